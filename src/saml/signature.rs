//! Signatures on messages an SP sends us, and the query-string signature on those we send.
//!
//! Owns both ways a SAML message is signed in the bindings we speak: HTTP-Redirect (a
//! `Signature` over the exact received `SAMLRequest=…&RelayState=…&SigAlg=…` parts, bindings
//! spec §3.4.4.1, laid out by `saml::inbound`) and HTTP-POST (an enveloped XML signature, checked with xmlsec, and the
//! message then read only from what the signature covers). Which SP's certificates apply,
//! and whether a signature is required, is the caller's decision. No HTTP here.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::sign::{Signer, Verifier};
use openssl::x509::X509;
use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode,
};
use thiserror::Error;

use super::ns::{DSIG, RSA_SHA1, RSA_SHA256, RSA_SHA384, RSA_SHA512};

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SigError {
    #[error("the message is not signed, and this service provider must sign its messages")]
    Missing,
    #[error("the message is signed, but no certificate is configured for this service provider")]
    NoCertificate,
    #[error("the signature algorithm `{0}` is not allowed")]
    Algorithm(String),
    #[error("the signature does not verify with the service provider's certificate")]
    Invalid,
    #[error("the signed query is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature does not cover the whole message")]
    NotRoot,
}

fn digest_for(alg: &str, allow_sha1: bool) -> Result<MessageDigest, SigError> {
    match alg {
        RSA_SHA256 => Ok(MessageDigest::sha256()),
        RSA_SHA384 => Ok(MessageDigest::sha384()),
        RSA_SHA512 => Ok(MessageDigest::sha512()),
        RSA_SHA1 if allow_sha1 => Ok(MessageDigest::sha1()),
        other => Err(SigError::Algorithm(other.chars().take(100).collect())),
    }
}

/// Checks an HTTP-Redirect signature: `signature` by `alg` over `octets` (the
/// `SAMLRequest=…[&RelayState=…]&SigAlg=…` parts as received, which `saml::inbound` lays
/// out), with any of `certs`.
pub fn verify_octets(
    octets: &str,
    alg: &str,
    signature: &[u8],
    certs: &[X509],
    allow_sha1: bool,
) -> Result<(), SigError> {
    let digest = digest_for(alg, allow_sha1)?;
    for cert in certs {
        let Ok(key) = cert.public_key() else { continue };
        let Ok(mut v) = Verifier::new(digest, &key) else {
            continue;
        };
        if v.update(octets.as_bytes()).is_ok() && v.verify(signature).unwrap_or(false) {
            return Ok(());
        }
    }
    Err(SigError::Invalid)
}

/// Whether an XML message carries an enveloped signature as a child of its root.
pub fn has_xml_signature(xml: &str) -> bool {
    xml.contains(DSIG.uri) && xml.contains(":Signature") || xml.contains("<Signature")
}

/// Verifies the XML signature of a POSTed message and returns the message as the signature
/// covers it: anything the signature does not cover is dropped, so a wrapped or injected
/// element never reaches the caller. The caller reads what is returned with the message's
/// own reader and refuses it ([`SigError::NotRoot`]) unless its root is the message's root
/// (the same `ID`): a signature must cover the whole message.
pub fn verify_xml(xml: &str, certs: &[X509], allow_sha1: bool) -> Result<String, SigError> {
    if certs.is_empty() {
        return Err(SigError::NoCertificate);
    }
    let ders: Vec<CertificateDer> = certs
        .iter()
        .filter_map(|c| c.to_der().ok())
        .map(CertificateDer::from)
        .collect();
    // samael lists no RSA-SHA1; with the opt-in every algorithm xmlsec knows is accepted.
    let strong = [
        AllowedSignatureAlgorithm::RsaSha256,
        AllowedSignatureAlgorithm::RsaSha384,
        AllowedSignatureAlgorithm::RsaSha512,
    ];
    let allowed = if allow_sha1 { None } else { Some(&strong[..]) };
    let reduced = Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        &ders,
        ReduceMode::ValidateAndMarkNoAncestors,
        allowed,
    )
    .map_err(|_| SigError::Invalid);
    // The first check initializes libxmlsec, which puts its own error callback back.
    super::xmlsec_log::install();
    reduced
}

/// Signs a message for the HTTP-Redirect binding with RSA-SHA256 and returns the query
/// string: `param=…[&RelayState=…]&SigAlg=…&Signature=…`, each value percent-encoded.
pub fn sign_redirect(
    param: &str,
    encoded: &str,
    relay_state: Option<&str>,
    key: &openssl::pkey::PKey<openssl::pkey::Private>,
) -> Result<String, openssl::error::ErrorStack> {
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let mut q = format!("{param}={}", enc(encoded));
    if let Some(r) = relay_state {
        q.push_str("&RelayState=");
        q.push_str(&enc(r));
    }
    q.push_str("&SigAlg=");
    q.push_str(&enc(RSA_SHA256));
    let mut s = Signer::new(MessageDigest::sha256(), key)?;
    s.update(q.as_bytes())?;
    let sig = STANDARD.encode(s.sign_to_vec()?);
    q.push_str("&Signature=");
    q.push_str(&enc(&sig));
    Ok(q)
}
