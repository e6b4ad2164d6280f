//! The SAML protocol, with no HTTP: bindings, requests, responses, logout, signatures, metadata.

pub mod authn_request;
pub mod authn_xml;
#[cfg(test)]
mod authn_xml_tests;
pub mod binding;
pub mod canon;
pub mod logout;
pub mod metadata;
pub mod response;
pub mod sign;
pub mod signature;
pub mod xml;
