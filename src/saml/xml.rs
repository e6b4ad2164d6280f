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

/// A new `xs:ID`: a leading underscore (an NCName cannot start with a digit) and 160 random bits.
pub fn new_id() -> String {
    let mut b = [0u8; 20];
    // On RNG failure fall back to a time-based value rather than fail the login; it is still
    // unique, just not secret, and the ID carries no security on its own.
    if openssl::rand::rand_bytes(&mut b).is_err() {
        let n = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        b[..8].copy_from_slice(&n.to_be_bytes());
    }
    let mut s = String::with_capacity(41);
    s.push('_');
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
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
