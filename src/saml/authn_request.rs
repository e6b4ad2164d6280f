//! Parsing and protocol-level validation of an `<samlp:AuthnRequest>`.
//!
//! Owns the typed values of the request (its XML is read by `request_xml`) and the checks
//! that need nothing but the request: SAML version, ID, Issuer, response binding. The time,
//! Destination and signature checks are `inbound`'s, shared with LogoutRequests; whether the
//! Issuer and its ACS are allowed is `sp::Registry`'s job. Also the one AuthnRequest we
//! write ourselves, the built-in demo SP's ([`sp_request`]).

use super::canon::{Form, Writer};
use super::inbound::{short, Message};
use super::ns::{ASSERTION, EMAIL_FORMAT, POST_BINDING, PROTOCOL};
use super::request_xml::{xml_trim, Kind};
use super::xml::instant;
use chrono::{DateTime, Utc};
use thiserror::Error;

const MAX_ID_LEN: usize = 256;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("the XML has a document type declaration, which SAML does not allow")]
    Doctype,
    #[error("the XML is not a valid AuthnRequest: {0}")]
    Malformed(String),
    #[error("the AuthnRequest has no Issuer")]
    NoIssuer,
    #[error("the AuthnRequest ID is missing or too long")]
    BadId,
    #[error("the AuthnRequest is SAML version {0}; only 2.0 is supported")]
    Version(String),
    #[error("the AuthnRequest asks for a response by {0}; only HTTP-POST is supported")]
    Binding(String),
}

/// The parts of an AuthnRequest the identity provider acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    pub id: String,
    pub issuer: String,
    pub issue_instant: DateTime<Utc>,
    pub destination: Option<String>,
    pub acs_url: Option<String>,
    pub acs_index: Option<usize>,
    pub force_authn: bool,
    pub is_passive: bool,
}

pub fn parse(xml: &str) -> Result<AuthnRequest, RequestError> {
    // SAML messages must not carry a DTD; refusing it up front rules out entity expansion
    // and external entities whatever the parser below would do with them.
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(RequestError::Doctype);
    }
    let r = super::request_xml::read(xml, Kind::AuthnRequest)
        .map_err(|e| RequestError::Malformed(short(&e)))?;
    let malformed = |what: &str| RequestError::Malformed(what.to_string());
    let id =
        r.id.ok_or_else(|| malformed("the AuthnRequest has no ID"))?;
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(RequestError::BadId);
    }
    let version = r
        .version
        .ok_or_else(|| malformed("the AuthnRequest has no Version"))?;
    let issue_instant = r
        .issue_instant
        .ok_or_else(|| malformed("the AuthnRequest has no IssueInstant"))?
        .parse::<DateTime<Utc>>()
        .map_err(|_| malformed("the AuthnRequest's IssueInstant is not a date and time"))?;
    let acs_index = r
        .acs_index
        .map(|i| xml_trim(&i).parse::<usize>())
        .transpose()
        .map_err(|_| malformed("AssertionConsumerServiceIndex is not a number"))?;
    let force_authn = boolean(r.force_authn.as_deref(), "ForceAuthn")?;
    let is_passive = boolean(r.is_passive.as_deref(), "IsPassive")?;
    if version != "2.0" {
        return Err(RequestError::Version(short(&version)));
    }
    let issuer = r
        .issuer
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(RequestError::NoIssuer)?;
    if let Some(b) = &r.protocol_binding {
        if b != POST_BINDING {
            return Err(RequestError::Binding(short(b)));
        }
    }
    Ok(AuthnRequest {
        id,
        issuer,
        issue_instant,
        destination: r.destination.filter(|d| !d.is_empty()),
        acs_url: r.acs_url.filter(|u| !u.is_empty()),
        acs_index,
        force_authn,
        is_passive,
    })
}

/// An `xs:boolean` attribute: `true`, `false`, `1` or `0`; absent is false.
fn boolean(v: Option<&str>, name: &str) -> Result<bool, RequestError> {
    match v.map(xml_trim) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(RequestError::Malformed(format!(
            "{name} is not true or false"
        ))),
    }
}

impl Message for AuthnRequest {
    const KIND: &'static str = "an AuthnRequest";
    fn parse(xml: &str) -> Result<Self, String> {
        parse(xml).map_err(|e| e.to_string())
    }
    fn issuer(&self) -> &str {
        &self.issuer
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn issue_instant(&self) -> DateTime<Utc> {
        self.issue_instant
    }
    fn destination(&self) -> Option<&str> {
        self.destination.as_deref()
    }
}

/// The AuthnRequest an SP of ours (the demo SP) sends: request `id` from `issuer`, issued
/// `now`, to our SSO endpoint `destination`, asking for an emailAddress NameID posted to
/// `acs`. Unsigned; for the HTTP-Redirect binding.
pub fn sp_request(
    id: &str,
    issuer: &str,
    now: DateTime<Utc>,
    destination: &str,
    acs: &str,
) -> String {
    let mut w = Writer::new(Form::Document, 1024);
    let now = instant(now);
    let attrs = [
        ("ID", id),
        ("Version", "2.0"),
        ("IssueInstant", &now),
        ("Destination", destination),
        ("AssertionConsumerServiceURL", acs),
        ("ProtocolBinding", POST_BINDING),
    ];
    w.open(PROTOCOL, "AuthnRequest", &[PROTOCOL, ASSERTION], &attrs);
    w.text_element(ASSERTION, "Issuer", &[], &[], issuer);
    let policy = [("Format", EMAIL_FORMAT), ("AllowCreate", "false")];
    w.empty(PROTOCOL, "NameIDPolicy", &[], &policy);
    w.close(PROTOCOL, "AuthnRequest");
    w.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(extra: &str, instant: &str) -> String {
        format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc" Version="2.0" IssueInstant="{instant}" {extra}><saml:Issuer>urn:sp</saml:Issuer></samlp:AuthnRequest>"#
        )
    }

    #[test]
    fn parses_and_checks() {
        let now = Utc::now();
        let xml = req(
            r#"Destination="https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml" AssertionConsumerServiceURL="https://sp/acs" ForceAuthn="true""#,
            &crate::saml::xml::instant(now),
        );
        let r = parse(&xml).unwrap();
        assert_eq!(r.issuer, "urn:sp");
        assert_eq!(r.acs_url.as_deref(), Some("https://sp/acs"));
        assert!(r.force_authn && !r.is_passive);
        let expect = |now, endpoint| crate::saml::inbound::Expect {
            now,
            skew: std::time::Duration::from_secs(300),
            endpoint,
        };
        use crate::saml::inbound::{check_protocol, InboundError};
        let ours = "https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml";
        check_protocol(&r, &expect(now, ours), true).unwrap();
        assert!(matches!(
            check_protocol(
                &r,
                &expect(now, "https://evil.example/ICNotifierIDP/login"),
                false
            ),
            Err(InboundError::Destination(_))
        ));
        assert!(matches!(
            check_protocol(&r, &expect(now + chrono::Duration::hours(1), ours), false),
            Err(InboundError::Stale(_))
        ));
    }

    #[test]
    fn refuses_bad_shapes() {
        let now = crate::saml::xml::instant(Utc::now());
        assert_eq!(
            parse(&format!(
                "<!DOCTYPE x [<!ENTITY a \"b\">]>{}",
                req("", &now)
            )),
            Err(RequestError::Doctype)
        );
        assert!(matches!(parse("<nope/>"), Err(RequestError::Malformed(_))));
        assert!(matches!(
            parse("not xml at all"),
            Err(RequestError::Malformed(_))
        ));
        let v11 = req("", &now).replace("Version=\"2.0\"", "Version=\"1.1\"");
        assert_eq!(parse(&v11), Err(RequestError::Version("1.1".into())));
        let art = req(
            r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact""#,
            &now,
        );
        assert!(matches!(parse(&art), Err(RequestError::Binding(_))));
    }

    #[test]
    fn the_demo_request_reads_back_as_written() {
        let now = Utc::now();
        let dest = "https://h/ICNotifierIDP/login?loginType=saml&a=<'\">";
        let xml = sp_request("_d1", "urn:demo&sp", now, dest, "https://h/demo/acs");
        let r = parse(&xml).unwrap();
        assert_eq!((r.id.as_str(), r.issuer.as_str()), ("_d1", "urn:demo&sp"));
        assert_eq!(r.destination.as_deref(), Some(dest));
        assert_eq!(r.acs_url.as_deref(), Some("https://h/demo/acs"));
        assert_eq!(r.issue_instant.timestamp(), now.timestamp());
        assert!(xml.ends_with("AllowCreate=\"false\"/></samlp:AuthnRequest>"));
    }
}
