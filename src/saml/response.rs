//! Building the SAML `<samlp:Response>` we send to an SP's ACS.
//!
//! Owns the fixed shape of our Response and Assertion (Issuer, Status, Subject with an
//! emailAddress NameID and bearer confirmation, Conditions with the audience, AuthnStatement,
//! attributes) and the order of signing for `sign = assertion | response | both`: an assertion
//! is signed on its own first, then placed in the Response, which is signed last. The shape is
//! written through `canon::Writer`, so the same code gives the canonical form that is digested
//! and the document that is sent; each namespace is declared where exclusive C14N renders it
//! (`saml` on the Response's Issuer and on the Assertion, not on the Response). The signer is
//! [`Signer::Direct`] (digest and RSA over the canonical form we wrote, never parsing it); the
//! build feature `xmlsec-reference` (tests and benches only) adds `Signer::Xmlsec`, samael and
//! xmlsec on the document, the reference the differential test holds the direct one to byte
//! for byte. No HTTP here.

use super::canon::{Form, Writer};
use super::ns::{
    ASSERTION, AUTHN_FAILED, BASIC_ATTR, BEARER, EMAIL_FORMAT, NO_PASSIVE, PASSWORD_PROTECTED,
    PROTOCOL, RESPONDER, SUCCESS,
};
use super::sign::{self, SignError, SignatureValues};
use super::xml::{instant, new_id};
use crate::config::SignMode;
use crate::keys::SigningKey;
use chrono::{DateTime, Utc};

#[cfg(feature = "xmlsec-reference")]
mod reference;

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
        match self {
            Status::Success => (SUCCESS, None),
            Status::AuthnFailed => (RESPONDER, Some(AUTHN_FAILED)),
            Status::NoPassive => (RESPONDER, Some(NO_PASSIVE)),
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

/// What is fresh in every Response: its ID, its assertion's ID and the time. Tests fix them
/// to sign one document two ways.
#[derive(Debug, Clone)]
pub struct Fresh {
    pub response_id: String,
    pub assertion_id: String,
    pub now: DateTime<Utc>,
}

impl Fresh {
    pub fn new() -> Fresh {
        Fresh {
            response_id: new_id(),
            assertion_id: new_id(),
            now: Utc::now(),
        }
    }
}

impl Default for Fresh {
    fn default() -> Self {
        Fresh::new()
    }
}

/// How the signatures are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// SHA-256 and RSA over the canonical form written here: no XML parsing.
    Direct,
    /// samael/xmlsec on the serialized document (the reference implementation).
    #[cfg(feature = "xmlsec-reference")]
    Xmlsec,
}

/// The signature an element carries in the form being written.
#[derive(Clone, Copy)]
enum Sig<'a> {
    /// None (or, in canonical form, the one removed by the enveloped-signature transform).
    Absent,
    /// The empty template xmlsec fills in.
    #[cfg(feature = "xmlsec-reference")]
    Template,
    Signed(&'a SignatureValues),
}

fn signature(w: &mut Writer, sig: Sig, ref_id: &str, key: &SigningKey) {
    match sig {
        Sig::Absent => {}
        #[cfg(feature = "xmlsec-reference")]
        Sig::Template => sign::signature_element(w, ref_id, &key.cert_b64, None),
        Sig::Signed(v) => sign::signature_element(w, ref_id, &key.cert_b64, Some(v)),
    }
}

/// The fresh values of a Response, with its times written once for both forms.
struct Stamps<'f> {
    fresh: &'f Fresh,
    now: String,
    not_before: String,
    not_after: String,
    authn: String,
}

impl Stamps<'_> {
    fn new<'f>(f: &'f Fresh, s: Option<&Statement>) -> Stamps<'f> {
        let life = s.map_or(std::time::Duration::ZERO, |s| s.lifetime);
        let life = chrono::Duration::from_std(life).unwrap_or(chrono::Duration::minutes(5));
        Stamps {
            fresh: f,
            now: instant(f.now),
            not_before: instant(f.now - chrono::Duration::seconds(30)),
            not_after: instant(f.now + life),
            authn: s.map(|s| instant(s.authn_instant)).unwrap_or_default(),
        }
    }
}

/// The assertion; it declares its own namespace, so its signature stays valid once embedded.
fn assertion(
    w: &mut Writer,
    a: &Addressing,
    s: &Statement,
    t: &Stamps,
    key: &SigningKey,
    sig: Sig,
) {
    let (now_s, not_before, not_after) = (&t.now, &t.not_before, &t.not_after);
    let id = t.fresh.assertion_id.as_str();
    // Attributes in canonical order (by name) everywhere below.
    w.open(
        ASSERTION,
        "Assertion",
        &[ASSERTION],
        &[("ID", id), ("IssueInstant", now_s), ("Version", "2.0")],
    );
    w.text_element(ASSERTION, "Issuer", &[], &[], a.issuer);
    signature(w, sig, id, key);
    w.open(ASSERTION, "Subject", &[], &[]);
    w.text_element(
        ASSERTION,
        "NameID",
        &[],
        &[("Format", EMAIL_FORMAT)],
        s.email,
    );
    w.open(ASSERTION, "SubjectConfirmation", &[], &[("Method", BEARER)]);
    let confirmation = [
        ("InResponseTo", a.in_response_to.unwrap_or_default()),
        ("NotOnOrAfter", not_after.as_str()),
        ("Recipient", a.acs),
    ];
    let skip = usize::from(a.in_response_to.is_none());
    w.empty(
        ASSERTION,
        "SubjectConfirmationData",
        &[],
        &confirmation[skip..],
    );
    w.close(ASSERTION, "SubjectConfirmation");
    w.close(ASSERTION, "Subject");
    w.open(
        ASSERTION,
        "Conditions",
        &[],
        &[("NotBefore", not_before), ("NotOnOrAfter", not_after)],
    );
    w.open(ASSERTION, "AudienceRestriction", &[], &[]);
    w.text_element(ASSERTION, "Audience", &[], &[], s.audience);
    w.close(ASSERTION, "AudienceRestriction");
    w.close(ASSERTION, "Conditions");
    w.open(
        ASSERTION,
        "AuthnStatement",
        &[],
        &[
            ("AuthnInstant", &t.authn),
            ("SessionIndex", s.session_index),
        ],
    );
    w.open(ASSERTION, "AuthnContext", &[], &[]);
    w.text_element(
        ASSERTION,
        "AuthnContextClassRef",
        &[],
        &[],
        PASSWORD_PROTECTED,
    );
    w.close(ASSERTION, "AuthnContext");
    w.close(ASSERTION, "AuthnStatement");
    if !s.attributes.is_empty() {
        w.open(ASSERTION, "AttributeStatement", &[], &[]);
        for (name, value) in s.attributes {
            w.open(
                ASSERTION,
                "Attribute",
                &[],
                &[("Name", name), ("NameFormat", BASIC_ATTR)],
            );
            w.text_element(ASSERTION, "AttributeValue", &[], &[], value);
            w.close(ASSERTION, "Attribute");
        }
        w.close(ASSERTION, "AttributeStatement");
    }
    w.close(ASSERTION, "Assertion");
}

/// The Response around `body` (the assertion, or nothing).
fn response(
    w: &mut Writer,
    a: &Addressing,
    status: Status,
    t: &Stamps,
    key: &SigningKey,
    sig: Sig,
    body: impl FnOnce(&mut Writer),
) {
    let id = t.fresh.response_id.as_str();
    let attrs = [
        ("Destination", a.acs),
        ("ID", id),
        ("InResponseTo", a.in_response_to.unwrap_or_default()),
        ("IssueInstant", &t.now),
        ("Version", "2.0"),
    ];
    if a.in_response_to.is_some() {
        w.open(PROTOCOL, "Response", &[PROTOCOL], &attrs);
    } else {
        let [d, i, _, t, v] = attrs;
        w.open(PROTOCOL, "Response", &[PROTOCOL], &[d, i, t, v]);
    }
    w.text_element(ASSERTION, "Issuer", &[ASSERTION], &[], a.issuer);
    signature(w, sig, id, key);
    let (top, second) = status.codes();
    w.open(PROTOCOL, "Status", &[], &[]);
    match second {
        Some(code) => {
            w.open(PROTOCOL, "StatusCode", &[], &[("Value", top)]);
            w.empty(PROTOCOL, "StatusCode", &[], &[("Value", code)]);
            w.close(PROTOCOL, "StatusCode");
        }
        None => w.empty(PROTOCOL, "StatusCode", &[], &[("Value", top)]),
    }
    w.close(PROTOCOL, "Status");
    body(w);
    w.close(PROTOCOL, "Response");
}

/// A successful Response carrying a signed (or unsigned, if the SP wants only the Response
/// signed) assertion, signed as `mode` says. Blocking: call it off the async executor.
pub fn success(
    a: &Addressing,
    s: &Statement,
    mode: SignMode,
    key: &SigningKey,
) -> Result<String, SignError> {
    success_with(a, s, mode, key, &Fresh::new(), Signer::Direct)
}

/// [`success`] with the fresh values and the signer given.
pub fn success_with(
    a: &Addressing,
    s: &Statement,
    mode: SignMode,
    key: &SigningKey,
    f: &Fresh,
    signer: Signer,
) -> Result<String, SignError> {
    let sign_assertion = matches!(mode, SignMode::Assertion | SignMode::Both);
    let sign_response = matches!(mode, SignMode::Response | SignMode::Both);
    let ok = Status::Success;
    let t = Stamps::new(f, Some(s));
    match signer {
        Signer::Direct => {}
        #[cfg(feature = "xmlsec-reference")]
        Signer::Xmlsec => {
            return reference::success(a, s, (sign_assertion, sign_response), key, &t)
        }
    }
    let assertion_sig = if sign_assertion {
        let mut c = Writer::new(Form::Canonical, 4096);
        assertion(&mut c, a, s, &t, key, Sig::Absent);
        Some(sign::sign_canonical(&c.out, &f.assertion_id, key)?)
    } else {
        None
    };
    let asig = assertion_sig.as_ref().map_or(Sig::Absent, Sig::Signed);
    let response_sig = if sign_response {
        let mut c = Writer::new(Form::Canonical, 8192);
        response(&mut c, a, ok, &t, key, Sig::Absent, |c| {
            assertion(c, a, s, &t, key, asig)
        });
        Some(sign::sign_canonical(&c.out, &f.response_id, key)?)
    } else {
        None
    };
    let rsig = response_sig.as_ref().map_or(Sig::Absent, Sig::Signed);
    let mut w = Writer::new(Form::Document, 8192);
    response(&mut w, a, ok, &t, key, rsig, |w| {
        assertion(w, a, s, &t, key, asig)
    });
    Ok(w.into_string())
}

/// A Response without an assertion (cancel, NoPassive). Always signed at the Response level so
/// the SP can trust the status too.
pub fn failure(a: &Addressing, status: Status, key: &SigningKey) -> Result<String, SignError> {
    failure_with(a, status, key, &Fresh::new(), Signer::Direct)
}

/// [`failure`] with the fresh values and the signer given.
pub fn failure_with(
    a: &Addressing,
    status: Status,
    key: &SigningKey,
    f: &Fresh,
    signer: Signer,
) -> Result<String, SignError> {
    let t = Stamps::new(f, None);
    match signer {
        Signer::Direct => {}
        #[cfg(feature = "xmlsec-reference")]
        Signer::Xmlsec => return reference::failure(a, status, key, &t),
    }
    let mut c = Writer::new(Form::Canonical, 2048);
    response(&mut c, a, status, &t, key, Sig::Absent, |_| {});
    let v = sign::sign_canonical(&c.out, &f.response_id, key)?;
    let mut w = Writer::new(Form::Document, 4096);
    response(&mut w, a, status, &t, key, Sig::Signed(&v), |_| {});
    Ok(w.into_string())
}
