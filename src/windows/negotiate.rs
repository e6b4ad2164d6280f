//! The `Authorization: Negotiate <token>` header: reading the token, and telling an NTLM
//! token from a Kerberos one before GSSAPI sees it.
//!
//! Owns the NTLM rule: NTLM is never offered and never accepted (it can be relayed, and
//! Microsoft is phasing it out), so a raw NTLMSSP message, or a SPNEGO token that offers NTLM
//! and no Kerberos mechanism, is refused here with a reason for the log. It does no I/O and
//! holds no state.

use base64::Engine;

/// A token bigger than this is refused unread (AD tickets with many groups reach ~12 KiB;
/// browsers and servers cap the header near 64 KiB).
pub const MAX_TOKEN: usize = 48 * 1024;

/// What the header holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Token {
    /// A token for GSSAPI (SPNEGO or raw Kerberos).
    Gss(Vec<u8>),
    /// An NTLM message, raw or the only mechanism SPNEGO offers.
    Ntlm,
    /// Not a Negotiate token: empty, not base64, too large.
    Malformed(&'static str),
}

/// `NTLMSSP\0`, the start of every NTLM message.
const NTLMSSP: &[u8] = b"NTLMSSP\0";
/// DER of the NTLM mechanism OID 1.3.6.1.4.1.311.2.2.10.
const NTLM_OID: &[u8] = &[
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
];
/// DER of the Kerberos mechanism OIDs: 1.2.840.113554.1.2.2 and Microsoft's 1.2.840.48018.1.2.2.
const KRB5_OIDS: [&[u8]; 2] = [
    &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ],
    &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ],
];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The token of an `Authorization` value, if its scheme is Negotiate (any case).
pub fn from_header(value: &str) -> Option<Token> {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("Negotiate") {
        return None;
    }
    Some(classify(rest.trim()))
}

/// Decodes and classifies a base64 token.
pub fn classify(b64: &str) -> Token {
    if b64.is_empty() {
        return Token::Malformed("empty token");
    }
    if b64.len() > MAX_TOKEN * 4 / 3 + 4 {
        return Token::Malformed("token too large");
    }
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return Token::Malformed("token is not base64");
    };
    if raw.starts_with(NTLMSSP) {
        return Token::Ntlm;
    }
    let offers_kerberos = KRB5_OIDS.iter().any(|o| contains(&raw, o));
    if !offers_kerberos && (contains(&raw, NTLM_OID) || contains(&raw, NTLMSSP)) {
        return Token::Ntlm;
    }
    Token::Gss(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    #[test]
    fn ntlm_is_recognised_raw_and_inside_spnego() {
        // The type 1 message browsers send first: "TlRMTVNTUAAB...".
        let t1 = b"NTLMSSP\0\x01\x00\x00\x00\x07\x82\x08\xa2";
        assert!(b64(t1).starts_with("TlRMTVNTUAAB"));
        assert_eq!(
            from_header(&format!("Negotiate {}", b64(t1))),
            Some(Token::Ntlm)
        );
        // A SPNEGO NegTokenInit offering only NTLM.
        let mut spnego = vec![
            0x60, 0x28, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x1e,
        ];
        spnego.extend_from_slice(&[0x30, 0x1c, 0xa0, 0x0e, 0x30, 0x0c]);
        spnego.extend_from_slice(NTLM_OID);
        assert_eq!(classify(&b64(&spnego)), Token::Ntlm);
        // The same offering Kerberos too goes to GSSAPI (which picks Kerberos).
        let mut both = spnego.clone();
        both.extend_from_slice(KRB5_OIDS[0]);
        assert!(matches!(classify(&b64(&both)), Token::Gss(_)));
    }

    #[test]
    fn other_schemes_and_malformed_tokens() {
        assert_eq!(from_header("Basic YWdlbnQxOng="), None);
        assert_eq!(
            from_header("negotiate"),
            Some(Token::Malformed("empty token"))
        );
        assert_eq!(
            from_header("Negotiate ***"),
            Some(Token::Malformed("token is not base64"))
        );
        let huge = "A".repeat(MAX_TOKEN * 2);
        assert_eq!(classify(&huge), Token::Malformed("token too large"));
        assert!(matches!(from_header("Negotiate YIIB"), Some(Token::Gss(_))));
    }
}
