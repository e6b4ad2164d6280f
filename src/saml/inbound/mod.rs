//! `saml::inbound`: the one place a SAML message an SP sent us is received, its signature
//! checked and its fields validated. No HTTP here.
//!
//! The pipeline is decode → validate. [`Received::decode`] takes the parameters of the query
//! or form (split once by [`Params`], so the signature check and the reader take the same
//! parts), decodes the binding and parses the message. The caller looks the Issuer up and hands
//! [`Received::validate`] that SP's [`SpTrust`]; validate applies the signature decision
//! ([`decide`]), verifies the signature (over the raw query parts for HTTP-Redirect, as an
//! enveloped XML signature for HTTP-POST, after which only what the signature covers is
//! read), then the protocol checks every request shares: IssueInstant within the clock skew,
//! Destination (required when signed, bindings §3.4.5.2 / §3.5.5.2). A signed request's ID
//! must not be seen twice within its validity: validate says until when
//! ([`Validated::replay_until`]) and the caller asks the store that remembers IDs (a
//! per-instance [`SeenIds`], or the pair's shared store), which may wait on the network.
//! Every refusal is one [`InboundError`].

mod params;
mod replay;

pub use params::{check_relay_state, Params, Part, MAX_RELAY_STATE, SAML_NAMES};
pub use replay::SeenIds;

use super::binding::{self, BindingError};
use super::signature::{self, SigError};
use base64::Engine;
use chrono::{DateTime, Utc};
use openssl::x509::X509;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum InboundError {
    #[error("the parameter {0} appears more than once")]
    Repeated(&'static str),
    #[error("RelayState is longer than {MAX_RELAY_STATE} bytes")]
    RelayStateTooLong,
    #[error("RelayState holds control characters")]
    RelayStateControl,
    #[error("the parameter {0} is not UTF-8 text once percent-decoded, so it cannot be read (or returned) unchanged")]
    NotText(&'static str),
    #[error("the request has no {0}")]
    NoMessage(&'static str),
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error("{0}")]
    Parse(String),
    #[error(transparent)]
    Signature(#[from] SigError),
    #[error("the signed Issuer differs from the unsigned one")]
    IssuerChanged,
    #[error("the request was issued at {0}, outside the allowed clock skew")]
    Stale(String),
    #[error("the request is addressed to {0}, not to this identity provider")]
    Destination(String),
    #[error("the request is signed but names no Destination")]
    NoDestination,
    #[error("the signed request {0} was already received (a replay)")]
    Replay(String),
}

/// A request type an SP sends us: what validate needs of it.
pub trait Message: Sized {
    /// "an AuthnRequest", for messages.
    const KIND: &'static str;
    fn parse(xml: &str) -> Result<Self, String>;
    fn issuer(&self) -> &str;
    fn id(&self) -> &str;
    fn issue_instant(&self) -> DateTime<Utc>;
    fn destination(&self) -> Option<&str>;
    /// A LogoutRequest's NotOnOrAfter.
    fn not_on_or_after(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// What an SP is trusted with: its certificates and its signature policy.
#[derive(Debug, Clone, Copy)]
pub struct SpTrust<'a> {
    pub certs: &'a [X509],
    pub allow_sha1: bool,
    /// Unsigned messages are refused.
    pub require_signed: bool,
}

/// What the message must agree with on our side.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub now: DateTime<Utc>,
    pub skew: std::time::Duration,
    /// Our endpoint the message was sent to (the Destination it must name).
    pub endpoint: &'a str,
}

/// How a message came, with what its signature needs.
#[derive(Debug, Clone)]
enum How {
    /// HTTP-Redirect; the query signature when there is one.
    Redirect(Option<RedirectSig>),
    Post,
}

/// An HTTP-Redirect query signature: the octets it covers, built from the raw received parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectSig {
    octets: String,
    alg: String,
    signature: Vec<u8>,
}

impl RedirectSig {
    /// The signature of the message in `param`, if the query carries one. Both `SigAlg` and
    /// `Signature` or neither; the octets are `param=…[&RelayState=…]&SigAlg=…` as received.
    pub fn from_params(params: &Params, param: &'static str) -> Result<Option<Self>, SigError> {
        let (alg, sig) = match (params.saml("SigAlg"), params.saml("Signature")) {
            (None, None) => return Ok(None),
            (Some(a), Some(s)) => (a, s),
            _ => {
                return Err(SigError::Malformed(
                    "SigAlg and Signature must come together",
                ))
            }
        };
        let msg = params
            .saml(param)
            .ok_or(SigError::Malformed("no message"))?;
        let mut octets = format!("{param}={}", msg.raw);
        if let Some(r) = params.saml("RelayState") {
            octets.push_str("&RelayState=");
            octets.push_str(r.raw);
        }
        octets.push_str("&SigAlg=");
        octets.push_str(alg.raw);
        let b64: String = sig.value.split_ascii_whitespace().collect();
        let signature = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| SigError::Malformed("the Signature is not base64"))?;
        Ok(Some(RedirectSig {
            octets,
            alg: alg.value.clone(),
            signature,
        }))
    }

    pub fn verify(&self, certs: &[X509], allow_sha1: bool) -> Result<(), SigError> {
        signature::verify_octets(&self.octets, &self.alg, &self.signature, certs, allow_sha1)
    }
}

/// What to do with a message's signature, from the SP's trust and what the message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Verify it; a signature that does not verify refuses the message.
    Verify,
    /// Take the message as unsigned.
    Unsigned,
    Refuse(SigError),
}

/// The signature decision table. A signature that is present is checked whenever the SP has
/// a certificate; one that cannot be checked (no certificate) counts for nothing; an SP that
/// must sign needs a certificate and a signature.
pub fn decide(has_certs: bool, require_signed: bool, signature_present: bool) -> Decision {
    match (has_certs, require_signed, signature_present) {
        (false, true, _) => Decision::Refuse(SigError::NoCertificate),
        (true, _, true) => Decision::Verify,
        (true, true, false) => Decision::Refuse(SigError::Missing),
        (false, false, _) | (true, false, false) => Decision::Unsigned,
    }
}

/// Which binding the parameters came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Redirect,
    Post,
}

/// A message as received: decoded and parsed, not yet trusted.
#[derive(Debug)]
pub struct Received<M> {
    msg: M,
    xml: String,
    relay_state: Option<String>,
    how: How,
}

/// A message that passed [`Received::validate`].
#[derive(Debug, Clone)]
pub struct Validated<M> {
    pub msg: M,
    pub relay_state: Option<String>,
    /// Whether a signature was verified.
    pub signed: bool,
    /// For a signed request: until when its ID must not be accepted again (its IssueInstant
    /// plus the clock skew; after that the time check refuses it anyway).
    pub replay_until: Option<DateTime<Utc>>,
}

const PARAM: &str = "SAMLRequest";

impl<M: Message> Received<M> {
    /// Decodes and parses the `SAMLRequest` of `params`, which came by `binding`.
    pub fn decode(params: &Params, binding: BindingKind) -> Result<Self, InboundError> {
        let encoded = params.saml(PARAM).ok_or(InboundError::NoMessage(PARAM))?;
        let (xml, how) = match binding {
            BindingKind::Redirect => (
                binding::decode_redirect(&encoded.value)?.0,
                How::Redirect(RedirectSig::from_params(params, PARAM)?),
            ),
            BindingKind::Post => (binding::decode_post(&encoded.value)?, How::Post),
        };
        let msg = M::parse(&xml).map_err(InboundError::Parse)?;
        Ok(Received {
            msg,
            xml,
            relay_state: params.relay_state().map(str::to_string),
            how,
        })
    }

    /// The Issuer as the message names it (not yet checked: look the SP up with it).
    pub fn issuer(&self) -> &str {
        self.msg.issuer()
    }

    /// Whether validate will check an XML signature (xmlsec: run it off the async workers).
    pub fn checks_xml_signature(&self) -> bool {
        matches!(self.how, How::Post) && signature::has_xml_signature(&self.xml)
    }

    /// Applies `trust` and the protocol checks. The replay check of a signed request is the
    /// caller's, with [`Validated::replay_until`].
    pub fn validate(self, trust: &SpTrust, expect: &Expect) -> Result<Validated<M>, InboundError> {
        let present = match &self.how {
            How::Redirect(sig) => sig.is_some(),
            How::Post => signature::has_xml_signature(&self.xml),
        };
        let decision = decide(!trust.certs.is_empty(), trust.require_signed, present);
        let (msg, signed) = match decision {
            Decision::Refuse(e) => return Err(e.into()),
            Decision::Unsigned => (self.msg, false),
            Decision::Verify => match &self.how {
                How::Redirect(Some(sig)) => {
                    sig.verify(trust.certs, trust.allow_sha1)?;
                    (self.msg, true)
                }
                How::Redirect(None) => return Err(SigError::Missing.into()),
                How::Post => {
                    let covered = signature::verify_xml(&self.xml, trust.certs, trust.allow_sha1)?;
                    // Act only on what the signature covers, read by the message's own
                    // reader, and only when that is the whole message: the same root.
                    let msg = M::parse(&covered)
                        .ok()
                        .filter(|m| m.id() == self.msg.id())
                        .ok_or(SigError::NotRoot)?;
                    if msg.issuer() != self.msg.issuer() {
                        return Err(InboundError::IssuerChanged);
                    }
                    (msg, true)
                }
            },
        };
        check_protocol(&msg, expect, signed)?;
        let replay_until = signed.then(|| msg.issue_instant() + skew(expect));
        Ok(Validated {
            msg,
            relay_state: self.relay_state,
            signed,
            replay_until,
        })
    }
}

fn skew(expect: &Expect) -> chrono::Duration {
    chrono::Duration::from_std(expect.skew).unwrap_or(chrono::Duration::minutes(5))
}

/// The checks every request shares: its time, and the endpoint it names.
pub fn check_protocol<M: Message>(
    msg: &M,
    expect: &Expect,
    signed: bool,
) -> Result<(), InboundError> {
    let skew = skew(expect);
    let at = msg.issue_instant();
    if at < expect.now - skew || at > expect.now + skew {
        return Err(InboundError::Stale(at.to_rfc3339()));
    }
    if msg
        .not_on_or_after()
        .is_some_and(|t| expect.now - skew >= t)
    {
        return Err(InboundError::Stale(at.to_rfc3339()));
    }
    match msg.destination() {
        Some(d) if !same_endpoint(d, expect.endpoint) => Err(InboundError::Destination(short(d))),
        None if signed => Err(InboundError::NoDestination),
        _ => Ok(()),
    }
}

/// Destination matches when scheme, host, port and path agree; the query (`loginType=saml`)
/// is compared leniently since SPs differ in whether they keep it.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(x), Ok(y)) => {
            x.scheme() == y.scheme()
                && x.host_str().map(str::to_ascii_lowercase)
                    == y.host_str().map(str::to_ascii_lowercase)
                && x.port_or_known_default() == y.port_or_known_default()
                && x.path().trim_end_matches('/') == y.path().trim_end_matches('/')
        }
        _ => false,
    }
}

/// At most 200 characters of a value from a request, for a message.
pub fn short(s: &str) -> String {
    let mut t: String = s.chars().take(200).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests;
