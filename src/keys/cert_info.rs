//! What a certificate says, read once when it is loaded: subject, serial, SHA-256
//! fingerprint and validity, and the days left at a given time; and the clock and time format
//! the key modules share. Nothing here touches a key.

use openssl::hash::MessageDigest;
use openssl::x509::X509Ref;

/// What the CLI and the status report show of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject as `CN=…, O=…`.
    pub subject: String,
    /// The serial number in hexadecimal.
    pub serial: String,
    /// SHA-256 of the DER certificate, `AB:CD:…` (what Genesys Cloud and browsers show).
    pub sha256: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
}

impl CertInfo {
    pub fn of(cert: &X509Ref) -> Result<CertInfo, openssl::error::ErrorStack> {
        let subject = cert
            .subject_name()
            .entries()
            .map(|e| {
                let k = e.object().nid().short_name().unwrap_or("?");
                let v = e.data().to_string().unwrap_or_default();
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let serial = cert.serial_number().to_bn()?.to_hex_str()?.to_string();
        let sha256 = cert
            .digest(MessageDigest::sha256())?
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let epoch = openssl::asn1::Asn1Time::from_unix(0)?;
        let unix = |t: &openssl::asn1::Asn1TimeRef| {
            epoch
                .diff(t)
                .map(|d| i64::from(d.days) * 86400 + i64::from(d.secs))
        };
        Ok(CertInfo {
            subject,
            serial,
            sha256,
            not_before: unix(cert.not_before())?,
            not_after: unix(cert.not_after())?,
        })
    }

    /// Seconds until the certificate expires at `now` (negative once it has).
    pub fn seconds_left(&self, now: i64) -> i64 {
        self.not_after - now
    }

    /// Whole days left (rounded down; negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        self.seconds_left(now).div_euclid(86400)
    }

    pub fn expired(&self, now: i64) -> bool {
        self.not_after <= now
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Unix time as `2026-03-14 12:00:00 UTC`.
pub fn format_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| unix.to_string())
}
