//! Making new RSA key pairs and self-signed certificates (signing and demo TLS).
//!
//! Owns the shape of the certificates we create: RSA, SHA-256, a random serial, the given
//! common name, and for TLS the loopback names as subject alternative names; and the form of
//! the keys we write (PKCS#8, encrypted with AES-256 when a password is given). Writing files
//! is done with owner-only permissions for keys, by temporary file and rename.

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

/// A self-signed certificate valid from now for `days`; `san` adds DNS/IP subject alternative
/// names (for TLS).
pub fn self_signed(
    cn: &str,
    bits: u32,
    days: u32,
    san: &[&str],
) -> Result<NewPair, openssl::error::ErrorStack> {
    let now = chrono::Utc::now().timestamp();
    self_signed_at(cn, bits, now, now + i64::from(days) * 86400, san)
}

/// A self-signed certificate valid between two instants (Unix seconds); tests use it to make
/// certificates that have already expired.
pub fn self_signed_at(
    cn: &str,
    bits: u32,
    not_before: i64,
    not_after: i64,
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
    let not_before = Asn1Time::from_unix(not_before)?;
    let not_after = Asn1Time::from_unix(not_after)?;
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

/// The PKCS#8 key `key_pem` (any PEM form OpenSSL reads unencrypted) as encrypted PKCS#8
/// (PBES2, AES-256-CBC), the form `idp.key_password` opens.
pub fn encrypt_key(key_pem: &[u8], password: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let pkey = PKey::private_key_from_pem(key_pem)?;
    pkey.private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), password)
}

/// Writes `data` to `path` so that a reader sees either the old file or the whole new one:
/// a temporary file beside it (a dot name the key store ignores), flushed, then renamed.
/// `private` makes it readable by its owner only.
pub fn write_atomic(path: &Path, data: &[u8], private: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let tmp = dir.join(format!(".{file}.tmp-{}", std::process::id()));
    let written = if private {
        write_private(&tmp, data)
    } else {
        std::fs::write(&tmp, data)
    };
    let synced = written.and_then(|_| std::fs::File::open(&tmp)?.sync_all());
    match synced.and_then(|_| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
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
