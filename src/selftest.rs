//! `selftest`: act as a browser against a running IdP and its demo SP, end to end.
//!
//! Owns the client side of one login — start at `/demo`, follow the redirect to the form,
//! post the credentials, carry the auto-POST to the demo ACS — and the verdict: success only
//! when the demo SP reports the signature verified and the NameID is an email (the expected
//! one, when given). Prints each step it checked.

use std::time::Duration;

pub struct SelfTest {
    pub url: String,
    pub user: String,
    pub password: String,
    pub expect_email: Option<String>,
    pub insecure: bool,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the attribute `attr` in the first tag that contains `marker`.
pub fn attr_in_tag(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let key = format!(" {attr}=\"");
    let i = tag.find(&key)? + key.len();
    let j = tag[i..].find('"')? + i;
    Some(unescape(&tag[i..j]))
}

/// The value of a hidden (or any) input by name.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    attr_in_tag(html, &format!("name=\"{name}\""), "value")
}

/// The text of the element with `id`.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let open = at + html[at..].find('>')? + 1;
    let close = open + html[open..].find('<')?;
    Some(unescape(html[open..close].trim()))
}

impl SelfTest {
    /// Runs the loop; `Ok` carries the lines to print, `Err` says what failed.
    pub async fn run(&self) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(self.insecure)
            .cookie_store(true)
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        let base = self.url.trim_end_matches('/');
        let start = format!("{base}/demo");
        let r = client
            .get(&start)
            .send()
            .await
            .map_err(|e| format!("GET {start}: {e}"))?;
        if !r.status().is_redirection() {
            return Err(format!(
                "GET {start} answered {} instead of a redirect (is the demo SP on? `demo.sp = true`)",
                r.status()
            ));
        }
        let login = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or("the demo SP's redirect has no Location")?
            .to_string();
        out.push(format!(
            "ok  demo SP redirected to the IdP: {}",
            login.split('?').next().unwrap_or("")
        ));
        let r = client
            .get(&login)
            .send()
            .await
            .map_err(|e| format!("GET login: {e}"))?;
        let status = r.status();
        let page = r.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            let why = text_of(&page, "detail").or_else(|| text_of(&page, "message"));
            return Err(format!(
                "the IdP refused the AuthnRequest ({status}): {}",
                why.unwrap_or_default()
            ));
        }
        let action = attr_in_tag(&page, "id=\"login-form\"", "action")
            .ok_or("no credential form on the page")?;
        let heading = text_of(&page, "heading").unwrap_or_default();
        out.push(format!("ok  credential form shown: \"{heading}\""));
        let mut fields = vec![
            ("user_id", self.user.clone()),
            ("password", self.password.clone()),
            ("action", "login".into()),
        ];
        for name in ["state", "sp", "lang"] {
            fields.push((
                name,
                input_value(&page, name).ok_or(format!("the form has no {name} field"))?,
            ));
        }
        let r = client
            .post(&action)
            .form(&fields)
            .send()
            .await
            .map_err(|e| format!("POST credentials: {e}"))?;
        let status = r.status();
        let page = r.text().await.map_err(|e| e.to_string())?;
        let Some(acs) = attr_in_tag(&page, "id=\"saml-form\"", "action") else {
            let why = text_of(&page, "error-text").or_else(|| text_of(&page, "message"));
            return Err(format!(
                "the IdP did not accept the credentials ({status}): {}",
                why.unwrap_or_default()
            ));
        };
        let saml =
            input_value(&page, "SAMLResponse").ok_or("the auto-POST form has no SAMLResponse")?;
        let relay = input_value(&page, "RelayState").unwrap_or_default();
        out.push(format!(
            "ok  credentials accepted; signed Response ({} bytes base64) for {acs}",
            saml.len()
        ));
        let r = client
            .post(&acs)
            .form(&[("SAMLResponse", saml), ("RelayState", relay)])
            .send()
            .await
            .map_err(|e| format!("POST {acs}: {e}"))?;
        let status = r.status();
        let page = r.text().await.map_err(|e| e.to_string())?;
        if text_of(&page, "signature").as_deref() != Some("verified") {
            let why = text_of(&page, "detail").unwrap_or_default();
            return Err(format!(
                "the demo SP did not verify the Response ({status}): {why}"
            ));
        }
        out.push("ok  signature verified with the certificate(s) from the IdP metadata".into());
        let name_id = text_of(&page, "name-id").unwrap_or_default();
        let format = text_of(&page, "name-id-format").unwrap_or_default();
        match &self.expect_email {
            Some(e) if !e.eq_ignore_ascii_case(&name_id) => {
                return Err(format!("the NameID is `{name_id}`, expected `{e}`"))
            }
            None if !name_id.contains('@') => {
                return Err(format!("the NameID `{name_id}` is not an email address"))
            }
            _ => {}
        }
        out.push(format!("ok  NameID {name_id} ({format})"));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_from_html() {
        let h = r#"<form method="post" action="https://x/a?b=1&amp;c=2" id="login-form"><input type="hidden" name="state" value="abc&quot;"><h1 id="heading">Hi &amp; bye</h1>"#;
        assert_eq!(
            attr_in_tag(h, "id=\"login-form\"", "action").unwrap(),
            "https://x/a?b=1&c=2"
        );
        assert_eq!(input_value(h, "state").unwrap(), "abc\"");
        assert_eq!(text_of(h, "heading").unwrap(), "Hi & bye");
        assert!(input_value(h, "nope").is_none());
    }
}
