//! Small helpers for writing SAML XML by hand: escaping, timestamps and identifiers.
//!
//! Owns the rules every hand-written element relies on (text and attribute escaping, the
//! `xs:dateTime` form SAML uses, unpredictable `xs:ID` values). No parsing here.

use chrono::{DateTime, SecondsFormat, Utc};

/// Appends `s` escaped for use in XML text or a double-quoted attribute value.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            // Characters XML 1.0 cannot carry at all are dropped rather than emitted.
            c if (c as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// SAML's dateTime: UTC with a `Z`, whole seconds.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Appends the lowercase hexadecimal of `bytes`.
pub fn hex_into(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// A new `xs:ID`: a leading underscore (an NCName cannot start with a digit) and 160 random
/// bits from a CSPRNG (ChaCha, seeded by the OS).
pub fn new_id() -> String {
    let mut b = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    let mut s = String::with_capacity(41);
    s.push('_');
    hex_into(&mut s, &b);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_chars() {
        assert_eq!(
            escape("a<b>&\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;&apos;&#10;"
        );
    }

    #[test]
    fn ids_are_ncnames_and_distinct() {
        let a = new_id();
        assert!(a.starts_with('_') && a.len() == 41);
        assert_ne!(a, new_id());
    }
}
