//! Small helpers for the values we write: timestamps, identifiers, escaping for HTML.
//!
//! Owns the `xs:dateTime` form SAML uses, unpredictable `xs:ID` values, the byte scan the
//! writer and reader use, and [`escape`], which the auto-POST page uses for a value it puts
//! in an HTML attribute (XML documents are written by `canon::Writer`). No parsing here.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

/// Appends `s` escaped for use in XML or HTML text or a double-quoted attribute value.
fn escape_into(out: &mut String, s: &str) {
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

/// SAML's dateTime: UTC with a `Z`, whole seconds (`2026-11-22T09:30:00Z`). Written digit by
/// digit: every Response carries five of them, and chrono's general formatter is heavy for
/// a shape this fixed. Years beyond four digits and leap seconds, which
/// no clock of ours gives, go to chrono.
pub fn instant(t: DateTime<Utc>) -> String {
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        return t.to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    let y = year.unsigned_abs();
    let mut out = String::with_capacity(20);
    for (n, after) in [
        (y / 100, ""),
        (y % 100, "-"),
        (t.month(), "-"),
        (t.day(), "T"),
        (t.hour(), ":"),
        (t.minute(), ":"),
        (t.second(), "Z"),
    ] {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
        out.push_str(after);
    }
    out
}

/// Whether any byte of `bytes` is one `hit` picks. Blocks of 32 are tested whole, with `|` and
/// no branch a byte, which the compiler turns into a few vector instructions a block: the
/// scans of whole documents and kilobyte values on the request path go through here.
#[inline]
pub(crate) fn any_byte(bytes: &[u8], hit: impl Fn(u8) -> bool) -> bool {
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        if block.iter().fold(false, |found, &b| found | hit(b)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| hit(b))
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
    fn instants_are_written_as_chrono_writes_them() {
        let chrono_form = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut t = DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        // Steps of a prime number of seconds (with a fraction) through ten thousand years.
        let step = chrono::Duration::seconds(31_556_927) + chrono::Duration::milliseconds(977);
        while t.year() < 9999 {
            assert_eq!(instant(t), chrono_form(t));
            t += step;
        }
        for s in [
            "2026-11-22T09:05:07Z",
            "2000-02-29T23:59:59Z",
            "9999-12-31T23:59:59Z",
        ] {
            let t = DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
            assert_eq!(instant(t), s);
        }
        // A leap second, and beyond four digits: chrono's own form.
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .unwrap()
            .and_utc();
        assert_eq!(instant(leap), chrono_form(leap));
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(instant(far), chrono_form(far));
    }

    #[test]
    fn ids_are_ncnames_and_distinct() {
        let a = new_id();
        assert!(a.starts_with('_') && a.len() == 41);
        assert_ne!(a, new_id());
    }
}
