//! Single Logout messages: reading a `<samlp:LogoutRequest>`, writing our `<samlp:LogoutResponse>`.
//!
//! Owns the typed values of a LogoutRequest (its XML is read by `request_xml`, the same
//! namespace-aware reader as AuthnRequests) and the checks that need nothing but the request
//! (version, ID, Issuer, NameID), and the fixed shape of the LogoutResponse. The time,
//! Destination and signature checks are `inbound`'s, choosing the SLO URL the registry's. No
//! HTTP here.

use super::canon::{Form, Writer};
use super::inbound::{short, Message};
use super::ns::{ASSERTION, PROTOCOL, SUCCESS};
use super::request_xml::{read, Kind};
use super::xml::{instant, new_id};
use chrono::{DateTime, Utc};
use thiserror::Error;

const MAX_ID_LEN: usize = 256;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum LogoutError {
    #[error("the XML has a document type declaration, which SAML does not allow")]
    Doctype,
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
}

/// The parts of a LogoutRequest the identity provider acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: String,
    pub issuer: String,
    pub name_id: String,
    pub issue_instant: DateTime<Utc>,
    pub destination: Option<String>,
    pub not_on_or_after: Option<DateTime<Utc>>,
}

fn time(v: Option<String>, what: &str) -> Result<Option<DateTime<Utc>>, LogoutError> {
    v.map(|t| {
        t.parse::<DateTime<Utc>>()
            .map_err(|_| LogoutError::Malformed(format!("its {what} is not a date and time")))
    })
    .transpose()
}

pub fn parse_request(xml: &str) -> Result<LogoutRequest, LogoutError> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(LogoutError::Doctype);
    }
    let r = read(xml, Kind::LogoutRequest).map_err(|e| LogoutError::Malformed(short(&e)))?;
    let id =
        r.id.filter(|i| !i.is_empty() && i.len() <= MAX_ID_LEN)
            .ok_or(LogoutError::BadId)?;
    if r.version.as_deref() != Some("2.0") {
        return Err(LogoutError::Version);
    }
    let issuer = r
        .issuer
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(LogoutError::NoIssuer)?;
    let name_id = r
        .name_id
        .map(|n| n.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(LogoutError::NoNameId)?;
    let issue_instant = time(r.issue_instant, "IssueInstant")?
        .ok_or_else(|| LogoutError::Malformed("it has no IssueInstant".into()))?;
    Ok(LogoutRequest {
        id,
        issuer,
        name_id,
        issue_instant,
        destination: r.destination.filter(|d| !d.is_empty()),
        not_on_or_after: time(r.not_on_or_after, "NotOnOrAfter")?,
    })
}

impl Message for LogoutRequest {
    const KIND: &'static str = "a LogoutRequest";
    fn parse(xml: &str) -> Result<Self, String> {
        parse_request(xml).map_err(|e| e.to_string())
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
    fn not_on_or_after(&self) -> Option<DateTime<Utc>> {
        self.not_on_or_after
    }
}

/// A LogoutResponse with status Success, unsigned (the Redirect binding signs the query).
pub fn response_xml(issuer: &str, destination: &str, in_response_to: &str) -> String {
    let mut w = Writer::new(Form::Document, 1024);
    let (id, now) = (new_id(), instant(Utc::now()));
    let attrs = [
        ("ID", id.as_str()),
        ("Version", "2.0"),
        ("IssueInstant", &now),
        ("Destination", destination),
        ("InResponseTo", in_response_to),
    ];
    w.open(PROTOCOL, "LogoutResponse", &[PROTOCOL, ASSERTION], &attrs);
    w.text_element(ASSERTION, "Issuer", &[], &[], issuer);
    w.open(PROTOCOL, "Status", &[], &[]);
    w.empty(PROTOCOL, "StatusCode", &[], &[("Value", SUCCESS)]);
    w.close(PROTOCOL, "Status");
    w.close(PROTOCOL, "LogoutResponse");
    w.into_string()
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
        use crate::saml::inbound::{check_protocol, Expect, InboundError};
        let expect = |now, endpoint| Expect {
            now,
            skew: std::time::Duration::from_secs(300),
            endpoint,
        };
        let ours = "https://h/ICNotifierIDP/logout";
        check_protocol(&r, &expect(Utc::now(), ours), true).unwrap();
        assert!(matches!(
            check_protocol(
                &r,
                &expect(Utc::now(), "https://other/ICNotifierIDP/logout"),
                false
            ),
            Err(InboundError::Destination(_))
        ));
        assert!(matches!(
            check_protocol(
                &r,
                &expect(Utc::now() + chrono::Duration::hours(1), ours),
                false
            ),
            Err(InboundError::Stale(_))
        ));
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(parse_request(&req("", "")), Err(LogoutError::NoNameId));
        let authn =
            req("", "<saml:NameID>a</saml:NameID>").replace("LogoutRequest", "AuthnRequest");
        assert!(matches!(
            parse_request(&authn),
            Err(LogoutError::Malformed(_))
        ));
        assert!(matches!(
            parse_request("garbage"),
            Err(LogoutError::Malformed(_))
        ));
        let dtd = format!("<!DOCTYPE x>{}", req("", ""));
        assert_eq!(parse_request(&dtd), Err(LogoutError::Doctype));
        let v1 =
            req("", "<saml:NameID>a</saml:NameID>").replace("Version=\"2.0\"", "Version=\"1.1\"");
        assert_eq!(parse_request(&v1), Err(LogoutError::Version));
    }

    #[test]
    fn names_are_matched_by_namespace() {
        // The attack the reader stops: a root or an Issuer in a foreign namespace.
        let foreign_root = req("", "<saml:NameID>a</saml:NameID>").replace(
            "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"",
            "xmlns:samlp=\"urn:evil\"",
        );
        assert!(matches!(
            parse_request(&foreign_root),
            Err(LogoutError::Malformed(_))
        ));
        let foreign_issuer = req("", "<saml:NameID>a</saml:NameID>").replace(
            "<saml:Issuer>urn:sp</saml:Issuer>",
            "<x:Issuer xmlns:x=\"urn:evil\">urn:sp</x:Issuer>",
        );
        assert_eq!(parse_request(&foreign_issuer), Err(LogoutError::NoIssuer));
        let foreign_name_id = req("", "<x:NameID xmlns:x=\"urn:evil\">a</x:NameID>");
        assert_eq!(parse_request(&foreign_name_id), Err(LogoutError::NoNameId));
        let two = req(
            "",
            "<saml:NameID>a</saml:NameID><saml:NameID>b</saml:NameID>",
        );
        assert!(matches!(
            parse_request(&two),
            Err(LogoutError::Malformed(_))
        ));
    }

    #[test]
    fn response_has_the_fixed_shape() {
        let x = response_xml("https://idp", "https://sp/slo?a=1&b=2", "_l1");
        assert!(x.contains("Destination=\"https://sp/slo?a=1&amp;b=2\""));
        assert!(x.contains("InResponseTo=\"_l1\""));
        assert!(x.contains(SUCCESS));
    }
}
