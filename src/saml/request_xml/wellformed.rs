//! The well-formedness rules quick-xml leaves to its caller, for `request_xml`: the XML
//! declaration, what an attribute value may hold, XML 1.0's characters (raw and as character
//! references), and the five predefined entities.

use quick_xml::events::attributes::{AttrError, Attribute, Attributes};
use quick_xml::events::BytesDecl;

/// The five entities XML predefines.
pub(super) fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Checks the XML declaration (`<?xml version="1.0" encoding="UTF-8"?>`): its version first,
/// then an encoding and a standalone flag if any, in that order, each once and well-formed.
/// quick-xml reads the declaration without checking it.
pub(super) fn declaration(d: &BytesDecl) -> Result<(), String> {
    let bad = || String::from("the XML declaration is malformed");
    // The declaration's content, after its name `xml`.
    let content = std::str::from_utf8(d).map_err(|_| bad())?;
    let mut expected: &[&[u8]] = &[b"version", b"encoding", b"standalone"];
    let mut versioned = false;
    for a in Attributes::new(content, 3) {
        let a = a.map_err(|_| bad())?;
        let (key, v) = (a.key.as_ref(), a.value.as_ref());
        let at = expected.iter().position(|k| *k == key).ok_or_else(bad)?;
        expected = &expected[at + 1..];
        let well_formed = match key {
            b"version" => {
                v.len() > 2 && v.starts_with(b"1.") && v[2..].iter().all(u8::is_ascii_digit)
            }
            // The document is read as UTF-8 text (and so is the signed part by libxml2): a
            // declaration naming another encoding would make the two readings differ.
            b"encoding" => {
                v.eq_ignore_ascii_case(b"UTF-8")
                    || v.eq_ignore_ascii_case(b"UTF8")
                    || v.eq_ignore_ascii_case(b"US-ASCII")
            }
            _ => v == b"yes" || v == b"no",
        };
        versioned |= key == b"version";
        if !well_formed || !versioned {
            return Err(bad());
        }
    }
    if versioned {
        Ok(())
    } else {
        Err(bad())
    }
}

/// An attribute that is well-formed: quick-xml checks its syntax, this what XML 1.0 forbids
/// in a value and quick-xml lets through: `<` (which is written `&lt;`), and a character
/// reference to a character XML does not allow (`&#1;`).
pub(super) fn attribute(a: Result<Attribute<'_>, AttrError>) -> Result<Attribute<'_>, String> {
    let a = a.map_err(|e| e.to_string())?;
    if a.value.contains(&b'<') {
        return Err("an attribute value holds `<`".into());
    }
    if !char_refs_are_xml(&a.value) {
        return Err(NOT_XML_CHAR.into());
    }
    Ok(a)
}

pub(super) const NOT_XML_CHAR: &str = "a character reference names a character XML does not allow";

/// XML 1.0's `Char`: tab, line feed, carriage return and the rest from U+0020, without the
/// surrogates and U+FFFE, U+FFFF.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether every `&#…;` in `value` names an XML character (a malformed one is left to the
/// unescaping, which refuses it).
pub(super) fn char_refs_are_xml(value: &[u8]) -> bool {
    let mut rest = value;
    while let Some(at) = rest.windows(2).position(|w| w == b"&#") {
        rest = &rest[at + 2..];
        let Some(end) = rest.iter().position(|&b| b == b';') else {
            return true;
        };
        let digits = std::str::from_utf8(&rest[..end]).unwrap_or("");
        let n = match digits.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => digits.parse::<u32>(),
        };
        if let Ok(n) = n {
            if !char::from_u32(n).is_some_and(is_xml_char) {
                return false;
            }
        }
        rest = &rest[end..];
    }
    true
}

/// Whether `bytes` holds a control character other than tab, line feed and carriage return,
/// which XML 1.0 allows nowhere in a document.
pub(super) fn has_forbidden_control(bytes: &[u8]) -> bool {
    crate::saml::xml::any_byte(bytes, |b| {
        (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')
    })
}

/// `s` without the spaces XML allows around a value (space, tab, CR, LF).
pub(in crate::saml) fn xml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}
