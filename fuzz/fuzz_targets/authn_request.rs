//! Fuzzes AuthnRequest reading (`saml::authn_request::parse` and `inbound::check_protocol`),
//! directly on the input as XML text and behind the binding (deflated + base64, then
//! `decode_redirect`), plus the input taken as a `SAMLRequest` value. Whatever the XML, parsing
//! never panics, refuses any DTD, and an accepted request has a usable ID and Issuer.
#![no_main]

use fuzz_common::same_behind_the_binding;
use libfuzzer_sys::fuzz_target;
use pureconnect_idp::saml::authn_request::{parse, AuthnRequest, RequestError};

const OUR_SSO: &str = "https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml";

fn parse_checked(xml: &str) -> Result<AuthnRequest, RequestError> {
    let r = parse(xml);
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        assert_eq!(r, Err(RequestError::Doctype));
    }
    if let Ok(req) = &r {
        assert!(
            !req.id.is_empty() && req.id.chars().count() <= 256,
            "{:?}",
            req.id
        );
        assert!(!req.issuer.is_empty(), "empty issuer accepted");
        assert_eq!(req.issuer, req.issuer.trim());
        assert_ne!(req.acs_url.as_deref(), Some(""));
        assert_ne!(req.destination.as_deref(), Some(""));
        fuzz_common::protocol_checks_hold(req, OUR_SSO);
    }
    r
}

fuzz_target!(|data: &[u8]| same_behind_the_binding(data, parse_checked));
