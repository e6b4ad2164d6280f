//! The differential test of `request_xml`: the AuthnRequest reader against samael's serde parse,
//! which read requests before it, over the fuzz seeds, every truncation of them and variants
//! of the shapes SPs send (prefixes, entities, whitespace, typed values, odd children).
//!
//! Where both accept, they must read the same request. Where they differ, it must be one of
//! the differences the reader was written to have, each named by the variant that shows it:
//! it is stricter about names (a root or an Issuer in another namespace, a prefixed
//! attribute, a second root) and about the well-formedness quick-xml leaves unchecked (a `<`
//! in an attribute value, the XML declaration's place and fields), and it does not read
//! children it takes nothing from, so a malformed NameIDPolicy or Subject no longer refuses
//! the request.

use super::authn_request::{parse, AuthnRequest, RequestError};

/// The request as samael read it (the code `authn_request::parse` had before `request_xml`).
fn samael_parse(xml: &str) -> Result<AuthnRequest, RequestError> {
    use std::str::FromStr;
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(RequestError::Doctype);
    }
    let r = samael::schema::AuthnRequest::from_str(xml)
        .map_err(|e| RequestError::Malformed(e.to_string()))?;
    if r.id.is_empty() || r.id.len() > 256 {
        return Err(RequestError::BadId);
    }
    if r.version != "2.0" {
        return Err(RequestError::Version(r.version));
    }
    let issuer = r
        .issuer
        .and_then(|i| i.value)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(RequestError::NoIssuer)?;
    if let Some(b) = &r.protocol_binding {
        if b != super::ns::POST_BINDING {
            return Err(RequestError::Binding(b.clone()));
        }
    }
    Ok(AuthnRequest {
        id: r.id,
        issuer,
        issue_instant: r.issue_instant,
        destination: r.destination.filter(|d| !d.is_empty()),
        acs_url: r.assertion_consumer_service_url.filter(|u| !u.is_empty()),
        acs_index: r.assertion_consumer_service_index,
        force_authn: r.force_authn.unwrap_or(false),
        is_passive: r.is_passive.unwrap_or(false),
    })
}

/// What a variant is expected to show.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// The same answer: the same request, or both refuse.
    Same,
    /// The reader refuses a name samael matched by its local part alone.
    Stricter,
    /// The reader accepts: the broken part is in a child it takes nothing from.
    Lenient,
}

fn seeds() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/authn_request");
    let mut v = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Only the seeds kept in git: the corpus a fuzzing run grows beside them is local.
        if !name.starts_with("seed-") {
            continue;
        }
        let xml = if name.ends_with(".b64") {
            let text = String::from_utf8(bytes).unwrap();
            super::binding::decode_redirect(text.trim()).unwrap().0
        } else {
            String::from_utf8(bytes).unwrap()
        };
        v.push((name, xml));
    }
    v.sort();
    assert!(v.len() >= 9, "the fuzz seeds are missing");
    v
}

const BASE: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-05-01T12:00:00Z" Destination="https://sso.example.com/login?loginType=saml" AssertionConsumerServiceURL="https://sp.example.com/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>urn:sp</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>"#;

/// Variants of [`BASE`]: (what, document, expected).
fn variants() -> Vec<(&'static str, String, Expect)> {
    use Expect::*;
    let r = |from: &str, to: &str| {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    };
    let attr = |a: &str| r(r#" ID="_r1""#, &format!(r#" ID="_r1" {a}"#));
    let issuer = |t: &str| r("<saml:Issuer>urn:sp</saml:Issuer>", t);
    let instant = |t: &str| r("2026-05-01T12:00:00Z", t);
    vec![
        ("as is", BASE.to_string(), Same),
        ("xml declaration", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{BASE}\n"), Same),
        ("comments and PIs around", format!("<!-- a --><?pi x?>{BASE}<!-- b -->"), Same),
        ("xml declaration in full", format!("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>{BASE}"), Same),
        ("xml declaration without version", format!("<?xml encoding=\"UTF-8\"?>{BASE}"), Same),
        ("xml declaration misspelt", format!("<?xml versio1n=\"0.\" encoding=\"UTF-8\"?>{BASE}"), Same),
        ("xml declaration cut", format!("<?xml veF-8\"?>{BASE}"), Same),
        ("xml declaration version 2.0", format!("<?xml version=\"2.0\"?>{BASE}"), Same),
        ("single quotes", r(r#"ID="_r1""#, "ID='_r1'"), Same),
        ("spaces around =", r(r#"ID="_r1""#, "ID = \"_r1\""), Same),
        ("entity in ID", r(r#"ID="_r1""#, r#"ID="_r&amp;1""#), Same),
        ("char refs in ID", r(r#"ID="_r1""#, r#"ID="_&#x72;&#49;""#), Same),
        ("tab and newline in ID", r(r#"ID="_r1""#, "ID=\"_r\t1\n\""), Same),
        ("char ref tab in ID", r(r#"ID="_r1""#, r#"ID="_r&#9;1""#), Same),
        ("empty ID", r(r#"ID="_r1""#, r#"ID="""#), Same),
        ("long ID", r(r#"ID="_r1""#, &format!("ID=\"_{}\"", "a".repeat(300))), Same),
        ("no ID", r(r#" ID="_r1""#, ""), Same),
        ("no Version", r(r#" Version="2.0""#, ""), Same),
        ("Version 1.1", r(r#"Version="2.0""#, r#"Version="1.1""#), Same),
        ("Version with spaces", r(r#"Version="2.0""#, r#"Version=" 2.0""#), Same),
        ("no IssueInstant", r(r#" IssueInstant="2026-05-01T12:00:00Z""#, ""), Same),
        ("instant with fraction", instant("2026-05-01T12:00:00.123456Z"), Same),
        ("instant with offset", instant("2026-05-01T14:00:00+02:00"), Same),
        ("instant without zone", instant("2026-05-01T12:00:00"), Same),
        ("instant lowercase", instant("2026-05-01t12:00:00z"), Same),
        ("instant with space", instant("2026-05-01 12:00:00Z"), Same),
        ("instant padded", instant(" 2026-05-01T12:00:00Z "), Same),
        ("instant nonsense", instant("yesterday"), Same),
        ("instant leap second", instant("2026-06-30T23:59:60Z"), Same),
        ("no Destination", r(r#" Destination="https://sso.example.com/login?loginType=saml""#, ""), Same),
        ("empty Destination", r(r#"Destination="https://sso.example.com/login?loginType=saml""#, r#"Destination="""#), Same),
        ("Destination with &amp;", r("login?loginType=saml", "login?a=1&amp;loginType=saml"), Same),
        ("empty ACS URL", r(r#"AssertionConsumerServiceURL="https://sp.example.com/acs""#, r#"AssertionConsumerServiceURL="""#), Same),
        ("ACS index", attr(r#"AssertionConsumerServiceIndex="3""#), Same),
        ("ACS index padded", attr(r#"AssertionConsumerServiceIndex=" 3 ""#), Same),
        ("ACS index plus", attr(r#"AssertionConsumerServiceIndex="+3""#), Same),
        ("ACS index negative", attr(r#"AssertionConsumerServiceIndex="-1""#), Same),
        ("ACS index huge", attr(r#"AssertionConsumerServiceIndex="99999999999999999999999""#), Same),
        ("ACS index word", attr(r#"AssertionConsumerServiceIndex="one""#), Same),
        ("ForceAuthn true", attr(r#"ForceAuthn="true""#), Same),
        ("ForceAuthn 1", attr(r#"ForceAuthn="1""#), Same),
        ("ForceAuthn false", attr(r#"ForceAuthn="false""#), Same),
        ("ForceAuthn 0", attr(r#"ForceAuthn="0""#), Same),
        ("ForceAuthn padded", attr(r#"ForceAuthn=" true ""#), Same),
        ("ForceAuthn TRUE", attr(r#"ForceAuthn="TRUE""#), Same),
        ("ForceAuthn yes", attr(r#"ForceAuthn="yes""#), Same),
        ("IsPassive true", attr(r#"IsPassive="true""#), Same),
        ("IsPassive empty", attr(r#"IsPassive="""#), Same),
        ("artifact binding", r("bindings:HTTP-POST", "bindings:HTTP-Artifact"), Same),
        ("no binding", r(r#" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#, ""), Same),
        ("unknown attribute", attr(r#"ProviderName="Genesys Cloud""#), Same),
        ("duplicate attribute", attr(r#"ID="_r2""#), Same),
        ("attribute without value", attr("ForceAuthn"), Same),
        ("unquoted attribute", attr("ForceAuthn=true"), Same),
        ("issuer padded", issuer("<saml:Issuer>\n  urn:sp \t</saml:Issuer>"), Same),
        ("issuer entity", issuer("<saml:Issuer>urn:sp&amp;x</saml:Issuer>"), Same),
        ("issuer char ref", issuer("<saml:Issuer>urn:s&#112;</saml:Issuer>"), Same),
        ("issuer around a comment", issuer("<saml:Issuer>urn:<!-- c -->sp</saml:Issuer>"), Same),
        ("issuer around a PI", issuer("<saml:Issuer>urn:<?p x?>sp</saml:Issuer>"), Same),
        ("issuer text and CDATA", issuer("<saml:Issuer> urn:<![CDATA[s]]>p </saml:Issuer>"), Same),
        ("issuer CDATA", issuer("<saml:Issuer><![CDATA[urn:sp]]></saml:Issuer>"), Same),
        ("issuer empty", issuer("<saml:Issuer></saml:Issuer>"), Same),
        ("issuer self-closed", issuer("<saml:Issuer/>"), Same),
        ("issuer blank", issuer("<saml:Issuer>   </saml:Issuer>"), Same),
        ("issuer attributes", issuer(r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">urn:sp</saml:Issuer>"#), Same),
        ("issuer default namespace", issuer(r#"<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">urn:sp</Issuer>"#), Same),
        ("issuer other prefix", issuer(r#"<a:Issuer xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion">urn:sp</a:Issuer>"#), Same),
        ("no issuer", issuer(""), Same),
        ("issuer after NameIDPolicy", r("<saml:Issuer>urn:sp</saml:Issuer><samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\" AllowCreate=\"true\"/>", "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\" AllowCreate=\"true\"/><saml:Issuer>urn:sp</saml:Issuer>"), Same),
        ("unknown entity in issuer", issuer("<saml:Issuer>&nope;</saml:Issuer>"), Same),
        ("bad char ref in issuer", issuer("<saml:Issuer>&#0;</saml:Issuer>"), Same),
        ("stray & in issuer", issuer("<saml:Issuer>a & b</saml:Issuer>"), Same),
        ("&lt; in attribute", attr(r#"ProviderName="a&lt;b""#), Same),
        ("mismatched end tag", r("</saml:Issuer>", "</saml:Issuex>"), Same),
        ("unclosed root", BASE.replace("</samlp:AuthnRequest>", ""), Same),
        ("empty document", String::new(), Same),
        ("not XML", "hello".to_string(), Same),
        ("Extensions", r("<samlp:NameIDPolicy", "<samlp:Extensions><x:y xmlns:x=\"urn:x\">z</x:y></samlp:Extensions><samlp:NameIDPolicy"), Same),
        ("malformed attribute in a child", r("AllowCreate=\"true\"", "AllowCreate"), Same),
        ("Scoping", r("</samlp:AuthnRequest>", "<samlp:Scoping ProxyCount=\"1\"/></samlp:AuthnRequest>"), Same),
        // Names in other namespaces: samael matched them by their local part.
        ("root in another namespace", r(r#"xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol""#, r#"xmlns:samlp="urn:evil""#), Stricter),
        ("root with another name", BASE.replace("samlp:AuthnRequest", "samlp:LogoutRequest"), Stricter),
        ("issuer in another namespace", issuer(r#"<e:Issuer xmlns:e="urn:evil">urn:sp</e:Issuer>"#), Stricter),
        ("issuer in the protocol namespace", issuer("<samlp:Issuer>urn:sp</samlp:Issuer>"), Stricter),
        ("prefixed ID", r(r#" ID="_r1""#, r#" samlp:ID="_r1""#), Stricter),
        ("undeclared prefix", r(r#" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#, ""), Stricter),
        ("text after the root", format!("{BASE}junk"), Stricter),
        ("a second root", format!("{BASE}<samlp:AuthnRequest/>"), Stricter),
        // Well-formedness quick-xml does not check: samael took these.
        ("< in attribute", attr(r#"ProviderName="a<b""#), Stricter),
        ("< in a namespace URI", r("tc:SAML:2.0:assertion", "tc<SAML:2.0:assertion"), Stricter),
        ("xml declaration after a comment", format!("<!-- a --><?xml version=\"1.0\"?>{BASE}"), Stricter),
        ("xml declaration after the root", format!("{BASE}<?xml version=\"1.0\"?>"), Stricter),
        ("xml declaration with its fields out of order", format!("<?xml version=\"1.0\" standalone=\"no\" encoding=\"UTF-8\"?>{BASE}"), Stricter),
        ("processing instruction named XML", format!("<?XML version=\"1.0\"?>{BASE}"), Stricter),
        ("issuer holding an element", issuer("<saml:Issuer>urn:<b>sp</b></saml:Issuer>"), Same),
        ("NUL in the ID", r(r#"ID="_r1""#, "ID=\"_r1\u{0}\""), Stricter),
        ("control character in the Issuer", issuer("<saml:Issuer>urn:sp\u{1}</saml:Issuer>"), Stricter),
        // Children the reader takes nothing from: samael refused what it could not type.
        ("Signature without DigestMethod", r("</saml:Issuer>", "</saml:Issuer><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"#_r1\"><ds:DigestValue>AA==</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue></ds:Signature>"), Lenient),
        ("NameIDPolicy AllowCreate maybe", r(r#"AllowCreate="true""#, r#"AllowCreate="maybe""#), Lenient),
    ]
}

/// Compares the two on `xml` as `expect` says; the failure names `what`.
fn compare(what: &str, xml: &str, expect: Expect) {
    let ours = parse(xml);
    let theirs = samael_parse(xml);
    match (expect, &ours, &theirs) {
        (Expect::Same, Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
        (Expect::Same, Err(a), Err(b)) => {
            // A refusal samael typed must be the same one; ours may say more than Malformed.
            if !matches!(b, RequestError::Malformed(_)) {
                assert_eq!(a, b, "{what}");
            }
        }
        (Expect::Stricter, Err(_), Ok(_)) | (Expect::Lenient, Ok(_), Err(_)) => {}
        _ => panic!("{what} ({expect:?}): ours {ours:?}, samael {theirs:?}\n{xml}"),
    }
}

#[test]
fn the_reader_reads_what_samael_read_and_refuses_only_foreign_names() {
    let seeds = seeds();
    for (name, xml) in &seeds {
        compare(name, xml, Expect::Same);
    }
    let variants = variants();
    for (what, xml, expect) in &variants {
        compare(what, xml, *expect);
    }
    // Every truncation of every seed and of the base document: each must be refused alike.
    let mut cut = 0;
    for (name, xml) in seeds
        .iter()
        .map(|(n, x)| (n.as_str(), x.as_str()))
        .chain([("base", BASE)])
    {
        for (i, _) in xml.char_indices().skip(1) {
            compare(&format!("{name} cut at {i}"), &xml[..i], Expect::Same);
            cut += 1;
        }
    }
    assert!(cut > 2000, "{cut}");
    // The variants that both accept: enough of them that the comparison above means something.
    let accepted = variants
        .iter()
        .filter(|(_, x, e)| *e == Expect::Same && parse(x).is_ok())
        .count();
    assert!(accepted >= 30, "{accepted}");
}
