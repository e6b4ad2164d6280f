//! Single Logout messages: reading a `<samlp:LogoutRequest>`, writing our `<samlp:LogoutResponse>`.
//!
//! Owns the protocol checks on a LogoutRequest that need no configuration (root element,
//! version, ID, Issuer, NameID, IssueInstant within the skew, Destination) and the fixed shape
//! of the LogoutResponse. Verifying signatures is `signature`'s job, choosing the SLO URL the
//! registry's. No HTTP here.

use super::response::{ASSERTION_NS, PROTOCOL_NS};
use super::xml::{escape_into, instant, new_id};
use chrono::{DateTime, Utc};
use std::str::FromStr;
use thiserror::Error;

const MAX_ID_LEN: usize = 256;
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum LogoutError {
    #[error("the XML has a document type declaration, which SAML does not allow")]
    Doctype,
    #[error("the message is not a LogoutRequest")]
    NotLogoutRequest,
    #[error("the XML is not a valid LogoutRequest: {0}")]
    Malformed(String),
    #[error("the LogoutRequest ID is missing or too long")]
    BadId,
    #[error("the LogoutRequest is not SAML version 2.0")]
    Version,
    #[error("the LogoutRequest has no Issuer")]
    NoIssuer,
    #[error("the LogoutRequest names no user (NameID)")]
    NoNameId,
    #[error("the LogoutRequest has no IssueInstant, or one outside the allowed clock skew")]
    Stale,
    #[error("the LogoutRequest is addressed to another endpoint")]
    Destination,
}

/// The parts of a LogoutRequest the identity provider acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: String,
    pub issuer: String,
    pub name_id: String,
    pub issue_instant: DateTime<Utc>,
    pub destination: Option<String>,
}

/// The local name of the document's first element.
fn root_local_name(xml: &str) -> Option<&str> {
    let mut rest = xml;
    loop {
        rest = &rest[rest.find('<')? + 1..];
        if !(rest.starts_with('?') || rest.starts_with('!')) {
            break;
        }
    }
    let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    let qname = &rest[..end];
    Some(qname.rsplit_once(':').map_or(qname, |(_, l)| l))
}

pub fn parse_request(xml: &str) -> Result<LogoutRequest, LogoutError> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(LogoutError::Doctype);
    }
    if root_local_name(xml) != Some("LogoutRequest") {
        return Err(LogoutError::NotLogoutRequest);
    }
    let r = samael::schema::LogoutRequest::from_str(xml)
        .map_err(|e| LogoutError::Malformed(e.to_string().chars().take(200).collect::<String>()))?;
    let id =
        r.id.filter(|i| !i.is_empty() && i.len() <= MAX_ID_LEN)
            .ok_or(LogoutError::BadId)?;
    if r.version.as_deref() != Some("2.0") {
        return Err(LogoutError::Version);
    }
    let issuer = r
        .issuer
        .and_then(|i| i.value)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(LogoutError::NoIssuer)?;
    let name_id = r
        .name_id
        .map(|n| n.value.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(LogoutError::NoNameId)?;
    Ok(LogoutRequest {
        id,
        issuer,
        name_id,
        issue_instant: r.issue_instant.ok_or(LogoutError::Stale)?,
        destination: r.destination.filter(|d| !d.is_empty()),
    })
}

impl LogoutRequest {
    /// Checks the time against ours and a Destination, when given, against our SLO URL.
    pub fn check(
        &self,
        now: DateTime<Utc>,
        skew: std::time::Duration,
        our_slo_url: &str,
    ) -> Result<(), LogoutError> {
        let skew = chrono::Duration::from_std(skew).unwrap_or(chrono::Duration::minutes(5));
        if self.issue_instant < now - skew || self.issue_instant > now + skew {
            return Err(LogoutError::Stale);
        }
        if let Some(d) = &self.destination {
            if !super::authn_request::same_endpoint(d, our_slo_url) {
                return Err(LogoutError::Destination);
            }
        }
        Ok(())
    }
}

/// A LogoutResponse with status Success, unsigned (the Redirect binding signs the query).
pub fn response_xml(issuer: &str, destination: &str, in_response_to: &str) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("<samlp:LogoutResponse xmlns:samlp=\"");
    out.push_str(PROTOCOL_NS);
    out.push_str("\" xmlns:saml=\"");
    out.push_str(ASSERTION_NS);
    out.push_str("\" ID=\"");
    out.push_str(&new_id());
    out.push_str("\" Version=\"2.0\" IssueInstant=\"");
    out.push_str(&instant(Utc::now()));
    out.push_str("\" Destination=\"");
    escape_into(&mut out, destination);
    out.push_str("\" InResponseTo=\"");
    escape_into(&mut out, in_response_to);
    out.push_str("\"><saml:Issuer>");
    escape_into(&mut out, issuer);
    out.push_str("</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"");
    out.push_str(SUCCESS);
    out.push_str("\"/></samlp:Status></samlp:LogoutResponse>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(extra: &str, body: &str) -> String {
        format!(
            r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" IssueInstant="{}" {extra}><saml:Issuer>urn:sp</saml:Issuer>{body}</samlp:LogoutRequest>"#,
            instant(Utc::now())
        )
    }

    #[test]
    fn parses_and_checks() {
        let x = req(
            r#"Destination="https://h/ICNotifierIDP/logout""#,
            "<saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">a@b.c</saml:NameID><samlp:SessionIndex>_s</samlp:SessionIndex>",
        );
        let r = parse_request(&x).unwrap();
        assert_eq!(
            (r.id.as_str(), r.issuer.as_str(), r.name_id.as_str()),
            ("_l1", "urn:sp", "a@b.c")
        );
        let skew = std::time::Duration::from_secs(300);
        r.check(Utc::now(), skew, "https://h/ICNotifierIDP/logout")
            .unwrap();
        assert_eq!(
            r.check(Utc::now(), skew, "https://other/ICNotifierIDP/logout"),
            Err(LogoutError::Destination)
        );
        assert_eq!(
            r.check(
                Utc::now() + chrono::Duration::hours(1),
                skew,
                "https://h/ICNotifierIDP/logout"
            ),
            Err(LogoutError::Stale)
        );
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(parse_request(&req("", "")), Err(LogoutError::NoNameId));
        let authn =
            req("", "<saml:NameID>a</saml:NameID>").replace("LogoutRequest", "AuthnRequest");
        assert_eq!(parse_request(&authn), Err(LogoutError::NotLogoutRequest));
        assert_eq!(parse_request("garbage"), Err(LogoutError::NotLogoutRequest));
        let dtd = format!("<!DOCTYPE x>{}", req("", ""));
        assert_eq!(parse_request(&dtd), Err(LogoutError::Doctype));
        let v1 =
            req("", "<saml:NameID>a</saml:NameID>").replace("Version=\"2.0\"", "Version=\"1.1\"");
        assert_eq!(parse_request(&v1), Err(LogoutError::Version));
    }

    #[test]
    fn response_has_the_fixed_shape() {
        let x = response_xml("https://idp", "https://sp/slo?a=1&b=2", "_l1");
        assert!(x.contains("Destination=\"https://sp/slo?a=1&amp;b=2\""));
        assert!(x.contains("InResponseTo=\"_l1\""));
        assert!(x.contains(SUCCESS));
    }
}
