//! Unit tests of the request reader and its well-formedness rules.

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
