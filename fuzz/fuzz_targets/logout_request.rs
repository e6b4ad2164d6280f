//! Fuzzes LogoutRequest reading (`saml::logout::parse_request` and `inbound::check_protocol`),
//! directly on the input as XML text and behind the binding (deflated + base64, then
//! `decode_redirect`), plus the input taken as a `SAMLRequest` value. Parsing never panics,
//! refuses any DTD, and an accepted request has an ID, an Issuer and a NameID.
#![no_main]

use fuzz_common::same_behind_the_binding;
use libfuzzer_sys::fuzz_target;
use pureconnect_idp::saml::logout::{parse_request, LogoutError, LogoutRequest};

const OUR_SLO: &str = "https://sso.example.com/PureConnect/ICNotifierIDP/logout";

fn parse_checked(xml: &str) -> Result<LogoutRequest, LogoutError> {
    let r = parse_request(xml);
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        assert_eq!(r, Err(LogoutError::Doctype));
    }
    if let Ok(req) = &r {
        assert!(
            !req.id.is_empty() && req.id.chars().count() <= 256,
            "{:?}",
            req.id
        );
        for (what, v) in [("issuer", &req.issuer), ("NameID", &req.name_id)] {
            assert!(!v.is_empty() && v.as_str() == v.trim(), "{what} {v:?}");
        }
        assert_ne!(req.destination.as_deref(), Some(""));
        fuzz_common::protocol_checks_hold(req, OUR_SLO);
    }
    r
}

fuzz_target!(|data: &[u8]| same_behind_the_binding(data, parse_checked));
