//! The names of the vocabulary we speak, in one table: the namespaces of SAML 2.0 (protocol,
//! assertion, metadata) and of XML Signature, each with the prefix we write it with and the
//! URI the readers match (names are matched by URI, never by prefix), and the URIs SAML and
//! XML Signature give values: bindings, the NameID format, status codes, authentication
//! context and attribute name format, subject confirmation, and the signature's algorithms.
//! `canon::Writer` takes its qualified names and namespace declarations from here, and the
//! readers (`request_xml`, `signature`) their URIs; no other module spells one.

/// A namespace: the prefix our documents bind it to (kept with its colon, `saml:`, as it
/// stands before every name the writer writes in it), and its URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ns {
    pub qualifier: &'static str,
    pub uri: &'static str,
}

impl Ns {
    /// The prefix without its colon (`saml`), as a namespace declaration binds it.
    pub fn prefix(self) -> &'static str {
        self.qualifier.strip_suffix(':').unwrap_or(self.qualifier)
    }
}

/// SAML 2.0 protocol: requests and responses (`samlp:AuthnRequest`, `samlp:Response`, …).
pub const PROTOCOL: Ns = Ns {
    qualifier: "samlp:",
    uri: "urn:oasis:names:tc:SAML:2.0:protocol",
};
/// SAML 2.0 assertions (`saml:Assertion`, `saml:Issuer`, `saml:NameID`, …).
pub const ASSERTION: Ns = Ns {
    qualifier: "saml:",
    uri: "urn:oasis:names:tc:SAML:2.0:assertion",
};
/// SAML 2.0 metadata (`md:EntityDescriptor`, …).
pub const METADATA: Ns = Ns {
    qualifier: "md:",
    uri: "urn:oasis:names:tc:SAML:2.0:metadata",
};
/// XML Signature (`ds:Signature`, `ds:KeyInfo`, …).
pub const DSIG: Ns = Ns {
    qualifier: "ds:",
    uri: "http://www.w3.org/2000/09/xmldsig#",
};

/// The HTTP-Redirect binding.
pub const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// The HTTP-POST binding.
pub const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// The one NameID format we issue and ask for.
pub const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Status codes.
pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";

/// What an assertion says about the sign-in and its values.
pub const PASSWORD_PROTECTED: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
pub const BASIC_ATTR: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// XML Signature's algorithms: the transforms and digest we sign with, and the signature
/// methods we sign with (RSA-SHA256) or accept.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_qualifier_is_a_prefix_and_its_colon() {
        for ns in [PROTOCOL, ASSERTION, METADATA, DSIG] {
            let p = ns.prefix();
            assert!(
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()),
                "{ns:?}"
            );
            assert_eq!(ns.qualifier, format!("{p}:"));
        }
    }
}
