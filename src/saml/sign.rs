//! Enveloped XML signatures on what we send: the `<ds:Signature>` element, and the signer
//! that fills it in.
//!
//! Owns the signature's shape (RSA-SHA256, exclusive C14N, SHA-256 digest, the signing
//! certificate in KeyInfo), written through `canon::Writer` in either form (or as the empty
//! template the xmlsec reference signer, a test-only build feature, fills in), and
//! [`sign_canonical`]: it digests the canonical form of the signed element (written by the
//! caller, never parsed) and signs the canonical SignedInfo with the key already loaded, with
//! the values laid out as xmlsec lays them out. Which elements get signed, and in which
//! order, is `response`'s business.

use super::canon::{Form, Writer};
use super::ns::{DSIG, ENVELOPED, EXC_C14N, RSA_SHA256, SHA256};
use crate::keys::SigningKey;
use crate::memo::{self, Slot};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::error::ErrorStack;
use openssl::pkey::Private;
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use thiserror::Error;

#[derive(Debug, Error)]
#[error("signing failed: {0}")]
pub struct SignError(pub String);

/// The two values of a signature, base64 laid out as xmlsec writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureValues {
    pub digest: String,
    pub value: String,
}

/// SignedInfo for the element whose `ID` is `ref_id`; `digest` empty in a template. As the
/// apex of its own canonical form it declares `ds` itself.
fn signed_info(w: &mut Writer, ref_id: &str, digest: &str, apex: bool) {
    let decl: &[_] = if apex { &[DSIG] } else { &[] };
    w.open(DSIG, "SignedInfo", decl, &[]);
    w.empty(
        DSIG,
        "CanonicalizationMethod",
        &[],
        &[("Algorithm", EXC_C14N)],
    );
    w.empty(DSIG, "SignatureMethod", &[], &[("Algorithm", RSA_SHA256)]);
    let uri = format!("#{ref_id}");
    w.open(DSIG, "Reference", &[], &[("URI", &uri)]);
    w.open(DSIG, "Transforms", &[], &[]);
    w.empty(DSIG, "Transform", &[], &[("Algorithm", ENVELOPED)]);
    w.empty(DSIG, "Transform", &[], &[("Algorithm", EXC_C14N)]);
    w.close(DSIG, "Transforms");
    w.empty(DSIG, "DigestMethod", &[], &[("Algorithm", SHA256)]);
    w.text_element(DSIG, "DigestValue", &[], &[], digest);
    w.close(DSIG, "Reference");
    w.close(DSIG, "SignedInfo");
}

/// The `<ds:Signature>` element for the element whose `ID` is `ref_id`, filled in with
/// `values`, or the empty template xmlsec fills in when `None`.
pub fn signature_element(
    w: &mut Writer,
    ref_id: &str,
    cert_b64: &str,
    values: Option<&SignatureValues>,
) {
    w.open(DSIG, "Signature", &[DSIG], &[]);
    signed_info(w, ref_id, values.map_or("", |v| v.digest.as_str()), false);
    let value = values.map_or("", |v| v.value.as_str());
    w.text_element(DSIG, "SignatureValue", &[], &[], value);
    w.open(DSIG, "KeyInfo", &[], &[]);
    w.open(DSIG, "X509Data", &[], &[]);
    w.text_element(DSIG, "X509Certificate", &[], &[], cert_b64);
    w.close(DSIG, "X509Data");
    w.close(DSIG, "KeyInfo");
    w.close(DSIG, "Signature");
}

/// Base64 laid out as xmlsec lays out what it writes into a signature: lines of 64
/// characters with a line break between them (none before the first or after the last).
fn xmlsec_base64(bytes: &[u8]) -> String {
    let b64 = STANDARD.encode(bytes);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64);
    for (i, line) in b64.as_bytes().chunks(64).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Base64 is ASCII, so every chunk is a whole str.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
    }
    out
}

/// Signs the element whose canonical form without its signature (what the enveloped-signature
/// and exclusive C14N transforms make of it) is `canonical`: SHA-256 of it, then RSA PKCS#1
/// v1.5 with SHA-256 over the canonical SignedInfo, with the key loaded at start-up.
pub fn sign_canonical(
    canonical: &str,
    ref_id: &str,
    key: &SigningKey,
) -> Result<SignatureValues, SignError> {
    let digest = xmlsec_base64(&sha256(canonical.as_bytes()));
    let mut si = Writer::new(Form::Canonical, 1024);
    signed_info(&mut si, ref_id, &digest, true);
    let signature = rsa_sha256(si.out.as_bytes(), key).map_err(|e| SignError(e.to_string()))?;
    Ok(SignatureValues {
        digest,
        value: xmlsec_base64(&signature),
    })
}

thread_local! {
    /// This thread's signing context for the last key it signed with, set up once (as
    /// `openssl speed` does), so a signature pays for RSA and not for OpenSSL's look-ups.
    static SIGN_CTX: Slot<u64, PkeyCtx<Private>> = const { std::cell::RefCell::new(None) };
}

/// SHA-256 through OpenSSL's low-level interface. The one-shot `SHA256()` of OpenSSL 3 looks
/// the algorithm up in the provider store on every call (a lock and several allocations);
/// this one goes straight to the same implementation (SHA-NI where the CPU has it).
fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h = openssl::sha::Sha256::new();
    h.update(data);
    h.finish()
}

/// The DER of a SHA-256 `DigestInfo` (RFC 8017, section 9.2, note 1) up to the hash itself.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// A context for RSA with PKCS#1 v1.5 padding over bytes given whole: `rsa_sha256` hands it
/// the DigestInfo, which is what `openssl speed` signs with, and spares OpenSSL's encoding of
/// it on every signature.
fn new_ctx(key: &SigningKey) -> Result<PkeyCtx<Private>, ErrorStack> {
    let mut ctx = PkeyCtx::new(&key.pkey)?;
    ctx.sign_init()?;
    ctx.set_rsa_padding(Padding::PKCS1)?;
    Ok(ctx)
}

/// RSASSA-PKCS1-v1_5 with SHA-256 of `data`: the padded DigestInfo of its hash, signed.
fn rsa_sha256(data: &[u8], key: &SigningKey) -> Result<Vec<u8>, ErrorStack> {
    let mut digest = [0u8; 51];
    digest[..19].copy_from_slice(&SHA256_DIGEST_INFO);
    digest[19..].copy_from_slice(&sha256(data));
    let mut out = Vec::with_capacity(512);
    memo::with(
        &SIGN_CTX,
        &key.id(),
        |_| new_ctx(key),
        |ctx| ctx.sign_to_vec(&digest, &mut out),
    )?;
    Ok(out)
}
