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

use super::ns::{ASSERTION, PROTOCOL};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

#[cfg(test)]
mod tests;
mod wellformed;

pub(super) use wellformed::xml_trim;
use wellformed::{
    attribute, declaration, has_forbidden_control, is_xml_char, predefined, NOT_XML_CHAR,
};

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
                    if !(in_ns(PROTOCOL.uri) && e.local_name().as_ref() == kind.local_name()) {
                        return Err(format!(
                            "the root element is not a {kind:?} in the SAML 2.0 protocol namespace"
                        ));
                    }
                    root_attributes(&r, e, &mut out)?;
                } else if let Some((f, _)) = &taking {
                    return Err(format!("the {} holds an element", f.name()));
                } else if let Some(f) = field.filter(|_| depth == 1 && in_ns(ASSERTION.uri)) {
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
