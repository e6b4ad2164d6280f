//! Reading the XML of a request an SP sends (`<samlp:AuthnRequest>`, `<samlp:LogoutRequest>`)
//! into the raw values the IdP acts on.
//!
//! Owns the one pass over the document: a namespace-aware pull reader (quick-xml's
//! `NsReader`) that takes the root's unqualified attributes and the text of its
//! `<saml:Issuer>` child (and, for a LogoutRequest, its `<saml:NameID>`), and checks that the
//! whole document is well-formed XML with a single root, including what quick-xml leaves to
//! its caller (the XML declaration, a `<` in an attribute value, the reserved name `xml`).
//! Names are matched by namespace, not by prefix: the root must be the expected element in
//! the SAML protocol namespace, and the Issuer and NameID must be in the assertion namespace,
//! whatever prefixes the SP chose; a look-alike in another namespace is not read. Other
//! children (Signature, NameIDPolicy, SessionIndex, Extensions…) are stepped over: nothing is
//! taken from them. Attribute values are normalized and unescaped as XML 1.0 says. Typed
//! values (times, booleans, numbers) and the protocol checks are `authn_request`'s and
//! `logout`'s.

use super::response::{ASSERTION_NS, PROTOCOL_NS};
use quick_xml::events::attributes::{AttrError, Attribute, Attributes};
use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

/// Which request the document must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AuthnRequest,
    LogoutRequest,
}

impl Kind {
    fn local_name(self) -> &'static [u8] {
        match self {
            Kind::AuthnRequest => b"AuthnRequest",
            Kind::LogoutRequest => b"LogoutRequest",
        }
    }
}

/// The root's attributes and the Issuer's (and NameID's) text, as the document gives them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RawRequest {
    pub id: Option<String>,
    pub version: Option<String>,
    pub issue_instant: Option<String>,
    pub destination: Option<String>,
    pub acs_url: Option<String>,
    pub acs_index: Option<String>,
    pub protocol_binding: Option<String>,
    pub force_authn: Option<String>,
    pub is_passive: Option<String>,
    /// A LogoutRequest's NotOnOrAfter.
    pub not_on_or_after: Option<String>,
    /// The Issuer's text (None when there is no Issuer element).
    pub issuer: Option<String>,
    /// A LogoutRequest's NameID text (None when there is none).
    pub name_id: Option<String>,
}

/// The child elements whose text is taken: both in the assertion namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Issuer,
    NameId,
}

impl Field {
    fn of(kind: Kind, local: &[u8]) -> Option<Field> {
        match (kind, local) {
            (_, b"Issuer") => Some(Field::Issuer),
            (Kind::LogoutRequest, b"NameID") => Some(Field::NameId),
            _ => None,
        }
    }

    fn slot(self, out: &mut RawRequest) -> &mut Option<String> {
        match self {
            Field::Issuer => &mut out.issuer,
            Field::NameId => &mut out.name_id,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Field::Issuer => "Issuer",
            Field::NameId => "NameID",
        }
    }
}

/// Reads `xml` as a request of `kind`; the error says what is wrong, in a few words.
pub fn read(xml: &str, kind: Kind) -> Result<RawRequest, String> {
    if has_forbidden_control(xml.as_bytes()) {
        return Err("the XML holds a control character XML does not allow".into());
    }
    let mut r = NsReader::from_str(xml);
    let mut out = RawRequest::default();
    // Open elements; 1 inside the root.
    let mut depth = 0usize;
    let mut root_done = false;
    // Some while the Issuer's (or NameID's) content is being read.
    let mut taking: Option<(Field, String)> = None;
    // Whether an event came before this one (the declaration may only come first).
    let mut later = false;
    loop {
        let (ns, ev) = r.read_resolved_event().map_err(|e| e.to_string())?;
        if let Event::Decl(d) = &ev {
            if later {
                return Err("the XML declaration is not at the start of the document".into());
            }
            declaration(d)?;
        }
        later = true;
        let in_ns =
            |want: &str| matches!(ns, ResolveResult::Bound(Namespace(n)) if n == want.as_bytes());
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                if root_done {
                    return Err("there is more than one root element".into());
                }
                if let ResolveResult::Unknown(p) = &ns {
                    return Err(format!(
                        "the prefix `{}` is not declared",
                        String::from_utf8_lossy(p)
                            .chars()
                            .take(40)
                            .collect::<String>()
                    ));
                }
                let field = Field::of(kind, e.local_name().as_ref());
                if depth == 0 {
                    if !(in_ns(PROTOCOL_NS) && e.local_name().as_ref() == kind.local_name()) {
                        return Err(format!(
                            "the root element is not a {kind:?} in the SAML 2.0 protocol namespace"
                        ));
                    }
                    root_attributes(&r, e, &mut out)?;
                } else if let Some((f, _)) = &taking {
                    return Err(format!("the {} holds an element", f.name()));
                } else if let Some(f) = field.filter(|_| depth == 1 && in_ns(ASSERTION_NS)) {
                    if f.slot(&mut out).is_some() {
                        return Err(format!("there is more than one {}", f.name()));
                    }
                    if empty {
                        *f.slot(&mut out) = Some(String::new());
                    } else {
                        taking = Some((f, String::new()));
                    }
                }
                // Attributes are parsed when asked for: ask, so that an element stepped over is
                // well-formed too, its prefixes declared and its character references XML's.
                for a in e.attributes() {
                    let a = attribute(a)?;
                    if let (ResolveResult::Unknown(p), _) = r.resolver().resolve_attribute(a.key) {
                        return Err(format!(
                            "the prefix `{}` is not declared",
                            String::from_utf8_lossy(&p)
                                .chars()
                                .take(40)
                                .collect::<String>()
                        ));
                    }
                }
                if empty {
                    root_done |= depth == 0;
                } else {
                    depth += 1;
                }
            }
            Event::End(_) => {
                // quick-xml has checked that it closes the element that is open.
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    if let Some((f, text)) = taking.take() {
                        *f.slot(&mut out) = Some(text);
                    }
                }
                root_done |= depth == 0;
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| e.to_string())?;
                if let Some((_, s)) = taking.as_mut() {
                    s.push_str(&text);
                } else if depth == 0 && !xml_trim(&text).is_empty() {
                    return Err("there is text outside the root element".into());
                }
            }
            Event::CData(c) => {
                if let Some((_, s)) = taking.as_mut() {
                    s.push_str(&c.decode().map_err(|e| e.to_string())?);
                } else if depth == 0 {
                    return Err("there is text outside the root element".into());
                }
            }
            Event::GeneralRef(g) => {
                let c = match g.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) if is_xml_char(c) => c,
                    Some(_) => return Err(NOT_XML_CHAR.into()),
                    None => predefined(&g.decode().map_err(|e| e.to_string())?)
                        .ok_or("the XML names an entity that is not defined")?,
                };
                if let Some((_, s)) = taking.as_mut() {
                    s.push(c);
                } else if depth == 0 {
                    return Err("there is text outside the root element".into());
                }
            }
            Event::DocType(_) => return Err("the XML has a document type declaration".into()),
            Event::PI(p) if p.target().eq_ignore_ascii_case(b"xml") => {
                return Err("a processing instruction takes the reserved name xml".into())
            }
            Event::PI(_) if root_done => {
                return Err("there is a processing instruction after the root element".into())
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !root_done || depth != 0 {
        return Err("the XML ends before its root element does".into());
    }
    Ok(out)
}

/// The five entities XML predefines.
fn predefined(name: &str) -> Option<char> {
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
fn declaration(d: &BytesDecl) -> Result<(), String> {
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
fn attribute(a: Result<Attribute<'_>, AttrError>) -> Result<Attribute<'_>, String> {
    let a = a.map_err(|e| e.to_string())?;
    if a.value.contains(&b'<') {
        return Err("an attribute value holds `<`".into());
    }
    if !char_refs_are_xml(&a.value) {
        return Err(NOT_XML_CHAR.into());
    }
    Ok(a)
}

const NOT_XML_CHAR: &str = "a character reference names a character XML does not allow";

/// XML 1.0's `Char`: tab, line feed, carriage return and the rest from U+0020, without the
/// surrogates and U+FFFE, U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether every `&#…;` in `value` names an XML character (a malformed one is left to the
/// unescaping, which refuses it).
fn char_refs_are_xml(value: &[u8]) -> bool {
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
fn has_forbidden_control(bytes: &[u8]) -> bool {
    super::xml::any_byte(bytes, |b| {
        (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')
    })
}

/// `s` without the spaces XML allows around a value (space, tab, CR, LF).
pub(super) fn xml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

/// The root's unqualified attributes (SAML's attributes on a protocol element have no
/// namespace); prefixed ones and namespace declarations are not read. A repeated attribute
/// is an error (quick-xml checks that).
fn root_attributes(
    r: &NsReader<&[u8]>,
    e: &BytesStart,
    out: &mut RawRequest,
) -> Result<(), String> {
    for a in e.attributes() {
        let a = attribute(a)?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = r.resolver().resolve_attribute(a.key);
        if !matches!(ns, ResolveResult::Unbound) {
            continue;
        }
        let slot = match local.as_ref() {
            b"ID" => &mut out.id,
            b"Version" => &mut out.version,
            b"IssueInstant" => &mut out.issue_instant,
            b"Destination" => &mut out.destination,
            b"AssertionConsumerServiceURL" => &mut out.acs_url,
            b"AssertionConsumerServiceIndex" => &mut out.acs_index,
            b"ProtocolBinding" => &mut out.protocol_binding,
            b"ForceAuthn" => &mut out.force_authn,
            b"IsPassive" => &mut out.is_passive,
            b"NotOnOrAfter" => &mut out.not_on_or_after,
            _ => continue,
        };
        let v = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        *slot = Some(v.into_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_scan_finds_each_forbidden_byte_wherever_it_is() {
        for len in 1..80 {
            for at in 0..len {
                for b in 0u8..0x20 {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    let allowed = matches!(b, b'\t' | b'\n' | b'\r');
                    assert_eq!(has_forbidden_control(&v), !allowed, "{len} {at} {b}");
                }
            }
        }
        assert!(!has_forbidden_control("é ü 日本 \u{7f}".as_bytes()));
    }

    const DOC: &str = r#"<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" ID="i"/>"#;

    #[test]
    fn the_xml_declaration_is_checked() {
        for ok in [
            r#"<?xml version="1.0"?>"#,
            r#"<?xml version='1.0' encoding='utf-8'?>"#,
            r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"#,
            r#"<?xml version = "1.1"  standalone="yes" ?>"#,
            "\u{feff}<?xml version=\"1.0\" encoding=\"US-ASCII\"?>",
            r#"<?xml-stylesheet href="a"?>"#,
        ] {
            let r = read(&format!("{ok}\n{DOC}"), Kind::AuthnRequest);
            assert_eq!(r.map(|r| r.id), Ok(Some("i".into())), "{ok}");
        }
        for bad in [
            "<?xml?>",
            r#"<?xml encoding="UTF-8"?>"#,
            r#"<?xml encoding="UTF-8" version="1.0"?>"#,
            r#"<?xml versio1n="0."?>"#,
            r#"<?xml version="2.0"?>"#,
            r#"<?xml version="1."?>"#,
            r#"<?xml version="1.0g"?>"#,
            r#"<?xml version="1.0" version="1.0"?>"#,
            r#"<?xml version="1.0" standalone="yes" encoding="UTF-8"?>"#,
            r#"<?xml version="1.0" standalone="maybe"?>"#,
            r#"<?xml version="1.0" encoding="8bit"?>"#,
            r#"<?xml version="1.0" encoding="UTF 8"?>"#,
            r#"<?xml version="1.0" encoding="UTF-16"?>"#,
            r#"<?xml version="1.0" encoding="ISO-8859-1"?>"#,
            r#"<?xml version="1.0" other="x"?>"#,
            r#"<?xml version="1.0" encoding?>"#,
            r#" <?xml version="1.0"?>"#,
            r#"<!-- c --><?xml version="1.0"?>"#,
            r#"<?XML version="1.0"?>"#,
            r#"<?xMl a?>"#,
        ] {
            assert!(
                read(&format!("{bad}{DOC}"), Kind::AuthnRequest).is_err(),
                "{bad}"
            );
        }
        let after = format!(r#"{DOC}<?xml version="1.0"?>"#);
        assert!(read(&after, Kind::AuthnRequest).is_err());
        assert!(read(&format!("{DOC}<?pi x?>"), Kind::AuthnRequest).is_err());
        assert!(read(&format!("{DOC}\n<!-- c -->\n"), Kind::AuthnRequest).is_ok());
    }

    #[test]
    fn an_attribute_value_may_not_hold_a_less_than_sign() {
        let root = |attrs: &str, child: &str| {
            format!(
                r#"<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" {attrs}>{child}</p:AuthnRequest>"#
            )
        };
        let ok = read(&root(r#"ID="a&lt;b""#, ""), Kind::AuthnRequest).unwrap();
        assert_eq!(ok.id.as_deref(), Some("a<b"));
        for bad in [
            root(r#"ID="a<b""#, ""),
            root(r#"ID="i" Destination="https://x/<saml:Issuer>""#, ""),
            root(r#"ID="i" Other='<'"#, ""),
            root(r#"ID="i" xmlns:a="urn:a<b""#, ""),
            root(r#"ID="i""#, r#"<p:NameIDPolicy Format="a<b"/>"#),
            root(
                r#"ID="i""#,
                r#"<p:Extensions><p:X><p:Y a="<"/></p:X></p:Extensions>"#,
            ),
        ] {
            assert_eq!(
                read(&bad, Kind::AuthnRequest),
                Err("an attribute value holds `<`".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn character_references_and_attribute_prefixes_are_checked() {
        let root = |attrs: &str, child: &str| {
            format!(
                r#"<p:AuthnRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion" {attrs}>{child}</p:AuthnRequest>"#
            )
        };
        for ok in [
            root(
                r#"ID="a&#10;b&#x9;&#233;&#x1F600;""#,
                "<a:Issuer>x&#xA;y</a:Issuer>",
            ),
            root(r#"ID="i" a:x="1""#, ""),
        ] {
            assert!(read(&ok, Kind::AuthnRequest).is_ok(), "{ok}");
        }
        for bad in [
            root(r#"ID="_a&#1;b""#, ""),
            root(r#"ID="i" Destination="&#x1B;""#, ""),
            root(r#"ID="i""#, "<a:Issuer>urn:&#27;sp</a:Issuer>"),
            root(r#"ID="i""#, "<a:Issuer>&#xFFFE;</a:Issuer>"),
            root(
                r#"ID="i""#,
                r#"<p:Extensions><p:X y="&#0;"/></p:Extensions>"#,
            ),
            root(r#"ID="i" zz:a="1""#, ""),
            root(r#"ID="i""#, r#"<p:NameIDPolicy zz:Format="x"/>"#),
        ] {
            assert!(read(&bad, Kind::AuthnRequest).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_matched_by_namespace_not_by_prefix() {
        let doc = |root: &str, issuer: &str| {
            format!(
                r#"<{root} xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:x="urn:x" ID="i" x:ID="other">{issuer}</{root}>"#
            )
        };
        let r = read(
            &doc("p:AuthnRequest", "<a:Issuer>urn:sp</a:Issuer>"),
            Kind::AuthnRequest,
        )
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("i"));
        assert_eq!(r.issuer.as_deref(), Some("urn:sp"));
        // An Issuer in another namespace is not the Issuer.
        let r = read(
            &doc("p:AuthnRequest", "<x:Issuer>urn:sp</x:Issuer>"),
            Kind::AuthnRequest,
        )
        .unwrap();
        assert_eq!(r.issuer, None);
        assert!(read(
            &doc("x:AuthnRequest", "<a:Issuer>urn:sp</a:Issuer>"),
            Kind::AuthnRequest
        )
        .is_err());
        let two = doc(
            "p:AuthnRequest",
            "<a:Issuer>urn:sp</a:Issuer><a:Issuer>urn:b</a:Issuer>",
        );
        assert!(read(&two, Kind::AuthnRequest).is_err());
    }
}
