//! Signatures on messages an SP sends us, and the query-string signature on those we send.
//!
//! Owns both ways a SAML message is signed in the bindings we speak: HTTP-Redirect (a
//! `Signature` over the exact received `SAMLRequest=…&RelayState=…&SigAlg=…` parts, bindings
//! spec §3.4.4.1) and HTTP-POST (an enveloped XML signature, checked with xmlsec, and the
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

pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

#[derive(Debug, Error, PartialEq, Eq)]
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

/// The raw (still percent-encoded) value of each parameter of a query string. A parameter
/// that occurs twice is refused: the signed value and the used value must be the same one.
fn raw_parts<'a>(query: &'a str, names: &[&str]) -> Result<Vec<Option<&'a str>>, SigError> {
    let mut found: Vec<Option<&str>> = vec![None; names.len()];
    for part in query.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if let Some(i) = names.iter().position(|n| *n == k) {
            if found[i].is_some() {
                return Err(SigError::Malformed("a signed parameter appears twice"));
            }
            found[i] = Some(v);
        }
    }
    Ok(found)
}

fn url_decode(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Checks the HTTP-Redirect signature of the message in `param` (`SAMLRequest` or
/// `SAMLResponse`) over the raw query. `Ok(false)`: the query carries no signature.
pub fn verify_redirect(
    query: &str,
    param: &str,
    certs: &[X509],
    allow_sha1: bool,
) -> Result<bool, SigError> {
    let parts = raw_parts(query, &[param, "RelayState", "SigAlg", "Signature"])?;
    let (msg, relay, alg, sig) = (parts[0], parts[1], parts[2], parts[3]);
    let (alg, sig) = match (alg, sig) {
        (None, None) => return Ok(false),
        (Some(a), Some(s)) => (a, s),
        _ => {
            return Err(SigError::Malformed(
                "SigAlg and Signature must come together",
            ))
        }
    };
    let msg = msg.ok_or(SigError::Malformed("no message"))?;
    if certs.is_empty() {
        return Err(SigError::NoCertificate);
    }
    let digest = digest_for(&url_decode(alg), allow_sha1)?;
    let mut signed = format!("{param}={msg}");
    if let Some(r) = relay {
        signed.push_str("&RelayState=");
        signed.push_str(r);
    }
    signed.push_str("&SigAlg=");
    signed.push_str(alg);
    let sig_b64: String = url_decode(sig)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let sig = STANDARD
        .decode(sig_b64)
        .map_err(|_| SigError::Malformed("the Signature is not base64"))?;
    for cert in certs {
        let Ok(key) = cert.public_key() else { continue };
        let Ok(mut v) = Verifier::new(digest, &key) else {
            continue;
        };
        if v.update(signed.as_bytes()).is_ok() && v.verify(&sig).unwrap_or(false) {
            return Ok(true);
        }
    }
    Err(SigError::Invalid)
}

/// Whether an XML message carries an enveloped signature as a child of its root.
pub fn has_xml_signature(xml: &str) -> bool {
    xml.contains("http://www.w3.org/2000/09/xmldsig#") && xml.contains(":Signature")
        || xml.contains("<Signature")
}

/// Verifies the XML signature of a POSTed message and returns the message as the signature
/// covers it. Signatures must cover the root element, whose `ID` is `root_id`; anything the
/// signature does not cover is dropped, so a wrapped or injected element never reaches the
/// caller.
pub fn verify_xml(
    xml: &str,
    root_id: &str,
    certs: &[X509],
    allow_sha1: bool,
) -> Result<String, SigError> {
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
    .map_err(|_| SigError::Invalid)?;
    if root_id_of(&reduced).as_deref() != Some(root_id) {
        return Err(SigError::NotRoot);
    }
    Ok(reduced)
}

/// The `ID` attribute of the first element of a document.
fn root_id_of(xml: &str) -> Option<String> {
    let mut rest = xml;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i + 1..];
        if !(rest.starts_with('?') || rest.starts_with('!')) {
            break;
        }
    }
    let tag = &rest[..rest.find('>')?];
    let at = tag
        .find(" ID=\"")
        .or_else(|| tag.find("\tID=\""))
        .or_else(|| tag.find("\nID=\""))?;
    let v = &tag[at + 5..];
    Some(v[..v.find('"')?].to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::pkey::PKey;

    fn pair() -> (PKey<openssl::pkey::Private>, X509) {
        let p = crate::keys::generate::self_signed("sp.test", 2048, 30, &[]).unwrap();
        (
            PKey::private_key_from_pem(&p.key_pem).unwrap(),
            X509::from_pem(&p.cert_pem).unwrap(),
        )
    }

    #[test]
    fn redirect_signature_round_trip_and_tampering() {
        let (key, cert) = pair();
        let (_, other) = pair();
        let q = sign_redirect("SAMLRequest", "abc+/=", Some("r s&t"), &key).unwrap();
        let certs = [cert.clone()];
        assert_eq!(verify_redirect(&q, "SAMLRequest", &certs, false), Ok(true));
        // Extra unsigned parameters do not matter; order of the signed ones is fixed.
        let with_extra = format!("loginType=saml&{q}");
        assert_eq!(
            verify_redirect(&with_extra, "SAMLRequest", &certs, false),
            Ok(true)
        );
        let tampered = q.replace("RelayState=r", "RelayState=R");
        assert_eq!(
            verify_redirect(&tampered, "SAMLRequest", &certs, false),
            Err(SigError::Invalid)
        );
        assert_eq!(
            verify_redirect(&q, "SAMLRequest", &[other], false),
            Err(SigError::Invalid)
        );
        assert_eq!(
            verify_redirect(&q, "SAMLRequest", &[], false),
            Err(SigError::NoCertificate)
        );
        assert_eq!(
            verify_redirect("SAMLRequest=abc", "SAMLRequest", &certs, false),
            Ok(false)
        );
        let twice = format!("{q}&SAMLRequest=other");
        assert!(matches!(
            verify_redirect(&twice, "SAMLRequest", &certs, false),
            Err(SigError::Malformed(_))
        ));
        let sha1 = q.replace("rsa-sha256", "rsa-sha1");
        assert!(matches!(
            verify_redirect(&sha1, "SAMLRequest", &certs, false),
            Err(SigError::Algorithm(_))
        ));
    }

    #[test]
    fn root_id_is_read_from_the_first_element() {
        assert_eq!(
            root_id_of("<?xml version=\"1.0\"?><!-- c --><a:R xmlns:a=\"x\" ID=\"_1\"><b ID=\"_2\"/></a:R>"),
            Some("_1".into())
        );
        assert_eq!(root_id_of("<R><b ID=\"_2\"/></R>"), None);
    }
}
