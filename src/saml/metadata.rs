//! Our IdP metadata document (EntityDescriptor with an IDPSSODescriptor).
//!
//! Owns its shape: every published signing certificate (active first) as a KeyDescriptor,
//! the emailAddress NameIDFormat, and the SSO and SLO endpoints for both bindings at the URLs the
//! caller gives (which comes from the public base). No HTTP here.

use super::canon::{Form, Writer};
use super::ns::{DSIG, EMAIL_FORMAT, METADATA, POST_BINDING, PROTOCOL, REDIRECT_BINDING};
use crate::keys::KeySet;

/// The metadata document, laid out one element of the IDPSSODescriptor a line.
pub fn idp_metadata(entity_id: &str, sso_url: &str, slo_url: &str, keys: &KeySet) -> String {
    let mut w = Writer::new(Form::Document, 4096);
    w.declaration();
    let decl = [METADATA, DSIG];
    w.open(
        METADATA,
        "EntityDescriptor",
        &decl,
        &[("entityID", entity_id)],
    );
    w.line(1);
    let idp = [
        ("WantAuthnRequestsSigned", "false"),
        ("protocolSupportEnumeration", PROTOCOL.uri),
    ];
    w.open(METADATA, "IDPSSODescriptor", &[], &idp);
    for k in keys.published() {
        w.line(2);
        w.open(METADATA, "KeyDescriptor", &[], &[("use", "signing")]);
        w.open(DSIG, "KeyInfo", &[], &[]);
        w.text_element(DSIG, "KeyName", &[], &[], &k.name);
        w.open(DSIG, "X509Data", &[], &[]);
        w.text_element(DSIG, "X509Certificate", &[], &[], &k.cert_b64);
        w.close(DSIG, "X509Data");
        w.close(DSIG, "KeyInfo");
        w.close(METADATA, "KeyDescriptor");
    }
    w.line(2);
    w.text_element(METADATA, "NameIDFormat", &[], &[], EMAIL_FORMAT);
    for (service, url) in [
        ("SingleSignOnService", sso_url),
        ("SingleLogoutService", slo_url),
    ] {
        for binding in [REDIRECT_BINDING, POST_BINDING] {
            w.line(2);
            let attrs = [("Binding", binding), ("Location", url)];
            w.empty(METADATA, service, &[], &attrs);
        }
    }
    w.line(1);
    w.close(METADATA, "IDPSSODescriptor");
    w.line(0);
    w.close(METADATA, "EntityDescriptor");
    w.line(0);
    w.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate, SigningKey};
    use std::str::FromStr;
    use std::sync::Arc;

    fn key(name: &str) -> Arc<SigningKey> {
        let pair = generate::self_signed("md test", 2048, 30, &[]).unwrap();
        Arc::new(SigningKey::from_pem(name, &pair.cert_pem, &pair.key_pem, None, "t").unwrap())
    }

    #[test]
    fn samael_reads_back_what_was_written_whatever_needs_escaping() {
        let keys = KeySet {
            active: key("a'b\"c<d>&e"),
            others: vec![key("next")],
            expired: vec![],
            auto_promoted_from: None,
        };
        let entity = "https://idp.test/x?a=1&b='2'\"<3>";
        let (sso, slo) = ("https://h/login?loginType=saml&x='y'", "https://h/logout");
        let xml = idp_metadata(entity, sso, slo, &keys);
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor ")
        );
        assert!(xml.ends_with("  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n"));
        let md = samael::metadata::EntityDescriptor::from_str(&xml).unwrap();
        assert_eq!(md.entity_id.as_deref(), Some(entity));
        let idp = &md.idp_sso_descriptors.unwrap()[0];
        let certs: Vec<_> = idp
            .key_descriptors
            .iter()
            .map(|k| k.key_info.x509_data.as_ref().unwrap().certificates.join(""))
            .collect();
        assert_eq!(
            certs,
            [
                keys.active.cert_b64.clone(),
                keys.others[0].cert_b64.clone()
            ]
        );
        // samael does not read KeyName: its text as written.
        assert!(xml.contains("<ds:KeyName>a'b\"c&lt;d&gt;&amp;e</ds:KeyName>"));
        let at = |s: &[samael::metadata::Endpoint]| -> Vec<(String, String)> {
            s.iter()
                .map(|e| (e.binding.clone(), e.location.clone()))
                .collect()
        };
        let both = |url: &str| {
            vec![
                (REDIRECT_BINDING.to_string(), url.to_string()),
                (POST_BINDING.to_string(), url.to_string()),
            ]
        };
        assert_eq!(at(&idp.single_sign_on_services), both(sso));
        assert_eq!(at(&idp.single_logout_services), both(slo));
        assert_eq!(idp.name_id_formats, [EMAIL_FORMAT]);
    }
}
