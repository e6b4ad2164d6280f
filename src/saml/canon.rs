//! Writing our XML documents, in either of the two exact forms of a document, with no parser
//! in between: the one writer of everything we send (Response, LogoutResponse, metadata, the
//! demo SP's AuthnRequest).
//!
//! Owns [`Writer`], which emits elements in one of two forms of the same document:
//! - [`Form::Canonical`]: Exclusive XML Canonicalization 1.0 (what is digested and signed):
//!   `<a></a>` for empty elements, c14n's text escaping (`&amp; &lt; &gt; &#xD;`) and attribute
//!   escaping (`&amp; &lt; &quot; &#x9; &#xA; &#xD;`);
//! - [`Form::Document`]: the same document as libxml2 serializes it (what is sent, byte for
//!   byte what the xmlsec path gives): `<a/>` for empty elements, text escaping
//!   `&amp; &lt; &gt; &#13;`, attribute escaping `&amp; &lt; &gt; &quot; &#9; &#10; &#13;`, and,
//!   for a document sent on its own, the XML declaration and line breaks between elements.
//!
//! Qualified names and namespace declarations come from `ns`'s table: an element is named by
//! its namespace and local name, and written with the namespace's prefix. Both forms drop
//! characters XML 1.0 cannot carry. The caller is responsible for what canonical form needs
//! beyond escaping, and the shapes in `response` and `sign` keep it: attributes given in
//! canonical order (unprefixed attributes by name), and each namespace declared exactly where
//! exclusive C14N renders it (on the outermost element that uses its prefix, again on each
//! element below that uses it when no ancestor in the signed subtree declared it). A document
//! that is not signed gives its attributes in the order it likes. No parsing, no SAML
//! knowledge here.

use super::ns::Ns;

/// Which of the two serializations a [`Writer`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Canonical,
    Document,
}

/// Appends XML text in one of the two forms.
pub struct Writer {
    pub out: String,
    form: Form,
}

/// Characters XML 1.0 cannot carry at all, which are dropped rather than emitted.
fn unrepresentable(c: char) -> bool {
    ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Whether a byte may start something either form escapes or drops: a control character,
/// `& < > "`, or 0xEF (which leads U+FFFE and U+FFFF).
fn special(b: u8) -> bool {
    // `|`, not `||`: no branch, so a block of them vectorizes.
    (b < 0x20) | (b == b'&') | (b == b'<') | (b == b'>') | (b == b'"') | (b == 0xEF)
}

/// Whether `bytes` holds a [`special`] byte: the cert and signature values we write are
/// kilobytes of base64 with nothing to escape.
fn may_need_escaping(bytes: &[u8]) -> bool {
    super::xml::any_byte(bytes, special)
}

/// Whether `text` holds nothing that would be written.
fn writes_nothing(text: &str) -> bool {
    text.chars().all(unrepresentable)
}

impl Writer {
    pub fn new(form: Form, capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            form,
        }
    }

    pub fn form(&self) -> Form {
        self.form
    }

    pub fn into_string(self) -> String {
        self.out
    }

    /// Appends markup as it is (the caller vouches that it is in this writer's form): only the
    /// xmlsec reference signer, which embeds what xmlsec signed, needs it.
    #[cfg(feature = "xmlsec-reference")]
    pub fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Appends `s`, each character `rule` maps replaced (`""` drops it), the rest in runs.
    fn escaped(&mut self, s: &str, rule: impl Fn(Form, char) -> Option<&'static str>) {
        // Most values (URIs, IDs, base64) hold nothing to escape: one byte scan, one copy.
        if !may_need_escaping(s.as_bytes()) {
            self.out.push_str(s);
            return;
        }
        let mut run = 0;
        for (i, c) in s.char_indices() {
            if let Some(rep) = rule(self.form, c) {
                self.out.push_str(&s[run..i]);
                self.out.push_str(rep);
                run = i + c.len_utf8();
            }
        }
        self.out.push_str(&s[run..]);
    }

    fn escape_text(&mut self, s: &str) {
        self.escaped(s, |form, c| match (c, form) {
            ('&', _) => Some("&amp;"),
            ('<', _) => Some("&lt;"),
            ('>', _) => Some("&gt;"),
            ('\r', Form::Canonical) => Some("&#xD;"),
            ('\r', Form::Document) => Some("&#13;"),
            (c, _) if unrepresentable(c) => Some(""),
            _ => None,
        });
    }

    fn escape_attr(&mut self, s: &str) {
        self.escaped(s, |form, c| match (c, form) {
            ('&', _) => Some("&amp;"),
            ('<', _) => Some("&lt;"),
            ('"', _) => Some("&quot;"),
            ('>', Form::Document) => Some("&gt;"),
            ('\t', Form::Canonical) => Some("&#x9;"),
            ('\t', Form::Document) => Some("&#9;"),
            ('\n', Form::Canonical) => Some("&#xA;"),
            ('\n', Form::Document) => Some("&#10;"),
            ('\r', Form::Canonical) => Some("&#xD;"),
            ('\r', Form::Document) => Some("&#13;"),
            (c, _) if unrepresentable(c) => Some(""),
            _ => None,
        });
    }

    /// The XML declaration and a line break, at the start of a document sent on its own.
    pub fn declaration(&mut self) {
        self.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }

    /// A line break and two spaces a level of `depth`, between elements of a document meant
    /// to be read (the metadata); never inside what is signed.
    pub fn line(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn name(&mut self, ns: Ns, local: &str) {
        self.out.push_str(ns.qualifier);
        self.out.push_str(local);
    }

    fn tag_head(&mut self, ns: Ns, local: &str, decl: &[Ns], attrs: &[(&str, &str)]) {
        debug_assert!(
            self.form == Form::Document
                || decl.windows(2).all(|w| w[0].prefix() < w[1].prefix())
                    && attrs.windows(2).all(|w| w[0].0 < w[1].0),
            "namespaces and attributes must be given in canonical order: {local}"
        );
        self.out.push('<');
        self.name(ns, local);
        for d in decl {
            self.out.push_str(" xmlns:");
            self.out.push_str(d.prefix());
            self.out.push_str("=\"");
            self.escape_attr(d.uri);
            self.out.push('"');
        }
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.escape_attr(v);
            self.out.push('"');
        }
    }

    /// A start tag of `local` in `ns`, declaring `decl`; in canonical form, `decl` and `attrs`
    /// in canonical order.
    pub fn open(&mut self, ns: Ns, local: &str, decl: &[Ns], attrs: &[(&str, &str)]) {
        self.tag_head(ns, local, decl, attrs);
        self.out.push('>');
    }

    pub fn close(&mut self, ns: Ns, local: &str) {
        self.out.push_str("</");
        self.name(ns, local);
        self.out.push('>');
    }

    /// An element without content.
    pub fn empty(&mut self, ns: Ns, local: &str, decl: &[Ns], attrs: &[(&str, &str)]) {
        self.tag_head(ns, local, decl, attrs);
        match self.form {
            Form::Canonical => {
                self.out.push_str("></");
                self.name(ns, local);
                self.out.push('>');
            }
            Form::Document => self.out.push_str("/>"),
        }
    }

    /// An element holding only `text` (an element whose text writes nothing is empty).
    pub fn text_element(
        &mut self,
        ns: Ns,
        local: &str,
        decl: &[Ns],
        attrs: &[(&str, &str)],
        text: &str,
    ) {
        if writes_nothing(text) {
            return self.empty(ns, local, decl, attrs);
        }
        self.open(ns, local, decl, attrs);
        self.escape_text(text);
        self.close(ns, local);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Ns = Ns {
        qualifier: "p:",
        uri: "urn:p",
    };

    fn both(f: impl Fn(&mut Writer)) -> (String, String) {
        let mut c = Writer::new(Form::Canonical, 64);
        let mut d = Writer::new(Form::Document, 64);
        f(&mut c);
        f(&mut d);
        (c.into_string(), d.into_string())
    }

    #[test]
    fn escaping_in_each_form() {
        let v = "a&b<c>d\"e'f\tg\nh\ri\u{1}é€😀";
        let (c, d) = both(|w| w.text_element(P, "x", &[P], &[("A", v)], v));
        assert_eq!(
            c,
            "<p:x xmlns:p=\"urn:p\" A=\"a&amp;b&lt;c>d&quot;e'f&#x9;g&#xA;h&#xD;ié€😀\">a&amp;b&lt;c&gt;d\"e'f\tg\nh&#xD;ié€😀</p:x>"
        );
        assert_eq!(
            d,
            "<p:x xmlns:p=\"urn:p\" A=\"a&amp;b&lt;c&gt;d&quot;e'f&#9;g&#10;h&#13;ié€😀\">a&amp;b&lt;c&gt;d\"e'f\tg\nh&#13;ié€😀</p:x>"
        );
    }

    #[test]
    fn the_block_scan_finds_every_special_byte_wherever_it_is() {
        // Every byte value at every place of values that end in a whole block, in the
        // remainder, or in both, against the byte-by-byte definition.
        for len in [1, 31, 32, 33, 64, 95] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut v = vec![b'A'; len];
                    v[at] = b;
                    assert_eq!(may_need_escaping(&v), special(b), "{b:#x} at {at} of {len}");
                }
            }
            assert!(!may_need_escaping(&vec![b'A'; len]));
        }
        assert!(!may_need_escaping(b""));
    }

    #[test]
    fn empty_elements_in_each_form() {
        let (c, d) = both(|w| {
            w.empty(P, "e", &[], &[("A", "1"), ("B", "2")]);
            w.text_element(P, "t", &[], &[], "\u{2}");
        });
        assert_eq!(c, "<p:e A=\"1\" B=\"2\"></p:e><p:t></p:t>");
        assert_eq!(d, "<p:e A=\"1\" B=\"2\"/><p:t/>");
    }

    #[test]
    fn a_document_has_its_declaration_its_lines_and_its_own_attribute_order() {
        let q = Ns {
            qualifier: "q:",
            uri: "urn:q",
        };
        let mut d = Writer::new(Form::Document, 64);
        d.declaration();
        d.open(P, "r", &[P, q], &[("z", "1"), ("a", "'")]);
        d.line(1);
        d.empty(q, "e", &[], &[]);
        d.line(0);
        d.close(P, "r");
        assert_eq!(
            d.into_string(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<p:r xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" z=\"1\" a=\"'\">\n  <q:e/>\n</p:r>"
        );
    }
}
