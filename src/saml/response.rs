//! Building the SAML `<samlp:Response>` we send to an SP's ACS.
//!
//! Owns the fixed shape of our Response and Assertion (Issuer, Status, Subject with an
//! emailAddress NameID and bearer confirmation, Conditions with the audience, AuthnStatement,
//! attributes) and the order of signing for `sign = assertion | response | both`: an assertion
//! is signed on its own first, then placed in the Response, which is signed last. No HTTP here.

use super::sign::{sign_enveloped, template_into, SignError};
use super::xml::{escape_into, instant, new_id};
use crate::config::SignMode;
use crate::keys::SigningKey;
use chrono::{DateTime, Utc};

pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const PASSWORD_PROTECTED: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
const BASIC_ATTR: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

/// The top-level (and optional second-level) status of a Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    /// The user cancelled or could not be authenticated: Responder / AuthnFailed.
    AuthnFailed,
    /// IsPassive was asked and there is no session: Responder / NoPassive.
    NoPassive,
}

impl Status {
    fn codes(self) -> (&'static str, Option<&'static str>) {
        const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
        match self {
            Status::Success => ("urn:oasis:names:tc:SAML:2.0:status:Success", None),
            Status::AuthnFailed => (
                RESPONDER,
                Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"),
            ),
            Status::NoPassive => (
                RESPONDER,
                Some("urn:oasis:names:tc:SAML:2.0:status:NoPassive"),
            ),
        }
    }
}

/// Who the Response goes to and what it answers.
pub struct Addressing<'a> {
    pub issuer: &'a str,
    /// The ACS URL: the Response's Destination and the confirmation's Recipient.
    pub acs: &'a str,
    /// The AuthnRequest's ID (None for an IdP-initiated Response).
    pub in_response_to: Option<&'a str>,
}

/// What the assertion says about the user.
pub struct Statement<'a> {
    pub email: &'a str,
    pub audience: &'a str,
    pub session_index: &'a str,
    pub authn_instant: DateTime<Utc>,
    pub lifetime: std::time::Duration,
    /// (Name, value) pairs, each sent as a basic-format attribute.
    pub attributes: &'a [(&'a str, &'a str)],
}

fn open_tag(out: &mut String, name: &str, attrs: &[(&str, &str)]) {
    out.push('<');
    out.push_str(name);
    for (k, v) in attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_into(out, v);
        out.push('"');
    }
    out.push('>');
}

fn text_element(out: &mut String, name: &str, attrs: &[(&str, &str)], text: &str) {
    open_tag(out, name, attrs);
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The assertion as a standalone document (it declares its own namespace, so its signature
/// stays valid once embedded), with a signature template when `key` is given.
fn assertion_xml(
    a: &Addressing,
    s: &Statement,
    now: DateTime<Utc>,
    key: Option<&SigningKey>,
) -> String {
    let id = new_id();
    let now_s = instant(now);
    let life = chrono::Duration::from_std(s.lifetime).unwrap_or(chrono::Duration::minutes(5));
    let not_after = instant(now + life);
    let not_before = instant(now - chrono::Duration::seconds(30));
    let mut out = String::with_capacity(4096);
    open_tag(
        &mut out,
        "saml:Assertion",
        &[
            ("xmlns:saml", ASSERTION_NS),
            ("ID", &id),
            ("Version", "2.0"),
            ("IssueInstant", &now_s),
        ],
    );
    text_element(&mut out, "saml:Issuer", &[], a.issuer);
    if let Some(k) = key {
        template_into(&mut out, &id, k);
    }
    out.push_str("<saml:Subject>");
    text_element(
        &mut out,
        "saml:NameID",
        &[("Format", EMAIL_FORMAT)],
        s.email,
    );
    out.push_str("<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">");
    let mut conf = vec![("NotOnOrAfter", not_after.as_str()), ("Recipient", a.acs)];
    if let Some(irt) = a.in_response_to {
        conf.push(("InResponseTo", irt));
    }
    open_tag(&mut out, "saml:SubjectConfirmationData", &conf);
    out.push_str("</saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>");
    open_tag(
        &mut out,
        "saml:Conditions",
        &[("NotBefore", &not_before), ("NotOnOrAfter", &not_after)],
    );
    out.push_str("<saml:AudienceRestriction>");
    text_element(&mut out, "saml:Audience", &[], s.audience);
    out.push_str("</saml:AudienceRestriction></saml:Conditions>");
    open_tag(
        &mut out,
        "saml:AuthnStatement",
        &[
            ("AuthnInstant", &instant(s.authn_instant)),
            ("SessionIndex", s.session_index),
        ],
    );
    out.push_str("<saml:AuthnContext>");
    text_element(
        &mut out,
        "saml:AuthnContextClassRef",
        &[],
        PASSWORD_PROTECTED,
    );
    out.push_str("</saml:AuthnContext></saml:AuthnStatement>");
    if !s.attributes.is_empty() {
        out.push_str("<saml:AttributeStatement>");
        for (name, value) in s.attributes {
            open_tag(
                &mut out,
                "saml:Attribute",
                &[("Name", name), ("NameFormat", BASIC_ATTR)],
            );
            text_element(&mut out, "saml:AttributeValue", &[], value);
            out.push_str("</saml:Attribute>");
        }
        out.push_str("</saml:AttributeStatement>");
    }
    out.push_str("</saml:Assertion>");
    out
}

fn response_xml(
    a: &Addressing,
    status: Status,
    now: DateTime<Utc>,
    assertion: Option<&str>,
    key: Option<&SigningKey>,
) -> String {
    let id = new_id();
    let now_s = instant(now);
    let mut attrs = vec![
        ("xmlns:samlp", PROTOCOL_NS),
        ("xmlns:saml", ASSERTION_NS),
        ("ID", id.as_str()),
        ("Version", "2.0"),
        ("IssueInstant", now_s.as_str()),
        ("Destination", a.acs),
    ];
    if let Some(irt) = a.in_response_to {
        attrs.push(("InResponseTo", irt));
    }
    let mut out = String::with_capacity(assertion.map_or(0, str::len) + 2048);
    open_tag(&mut out, "samlp:Response", &attrs);
    text_element(&mut out, "saml:Issuer", &[], a.issuer);
    if let Some(k) = key {
        template_into(&mut out, &id, k);
    }
    let (top, second) = status.codes();
    out.push_str("<samlp:Status>");
    open_tag(&mut out, "samlp:StatusCode", &[("Value", top)]);
    if let Some(s) = second {
        open_tag(&mut out, "samlp:StatusCode", &[("Value", s)]);
        out.push_str("</samlp:StatusCode>");
    }
    out.push_str("</samlp:StatusCode></samlp:Status>");
    if let Some(x) = assertion {
        out.push_str(x);
    }
    out.push_str("</samlp:Response>");
    out
}

/// A successful Response carrying a signed (or unsigned, if the SP wants only the Response
/// signed) assertion, signed as `mode` says. Blocking: call it off the async executor.
pub fn success(
    a: &Addressing,
    s: &Statement,
    mode: SignMode,
    key: &SigningKey,
) -> Result<String, SignError> {
    let now = Utc::now();
    let sign_assertion = matches!(mode, SignMode::Assertion | SignMode::Both);
    let sign_response = matches!(mode, SignMode::Response | SignMode::Both);
    let mut assertion = assertion_xml(a, s, now, sign_assertion.then_some(key));
    if sign_assertion {
        assertion = sign_enveloped(&assertion, key)?;
    }
    let response = response_xml(
        a,
        Status::Success,
        now,
        Some(&assertion),
        sign_response.then_some(key),
    );
    if sign_response {
        sign_enveloped(&response, key)
    } else {
        Ok(response)
    }
}

/// A Response without an assertion (cancel, NoPassive). Always signed at the Response level so
/// the SP can trust the status too.
pub fn failure(a: &Addressing, status: Status, key: &SigningKey) -> Result<String, SignError> {
    let response = response_xml(a, status, Utc::now(), None, Some(key));
    sign_enveloped(&response, key)
}
