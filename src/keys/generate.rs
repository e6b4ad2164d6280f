//! Making new RSA key pairs and self-signed certificates (signing and demo TLS).
//!
//! Owns the shape of the certificates we create: RSA, SHA-256, a random serial, the given
//! common name, and for TLS the loopback names as subject alternative names. Writing files is
//! done with owner-only permissions for keys.

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509Name, X509};
use std::path::Path;

pub struct NewPair {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

/// A self-signed certificate; `san` adds DNS/IP subject alternative names (for TLS).
pub fn self_signed(
    cn: &str,
    bits: u32,
    days: u32,
    san: &[&str],
) -> Result<NewPair, openssl::error::ErrorStack> {
    let pkey: PKey<Private> = PKey::from_rsa(Rsa::generate(bits)?)?;
    let mut name = X509Name::builder()?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&pkey)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(days)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    if !san.is_empty() {
        let mut ext = SubjectAlternativeName::new();
        for s in san {
            if s.parse::<std::net::IpAddr>().is_ok() {
                ext.ip(s);
            } else {
                ext.dns(s);
            }
        }
        let ext = ext.build(&b.x509v3_context(None, None))?;
        b.append_extension(ext)?;
    }
    b.sign(&pkey, MessageDigest::sha256())?;
    let cert = b.build();
    Ok(NewPair {
        cert_pem: cert.to_pem()?,
        key_pem: pkey.private_key_to_pem_pkcs8()?,
    })
}

/// Writes a key file readable by its owner only.
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(data)
}
