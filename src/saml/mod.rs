//! The SAML protocol, with no HTTP: bindings, requests, responses, logout, signatures, metadata.

pub mod authn_request;
pub mod binding;
pub mod canon;
pub mod inbound;
pub mod logout;
pub mod metadata;
pub mod ns;
pub mod request_xml;
#[cfg(test)]
mod request_xml_tests;
pub mod response;
pub mod sign;
pub mod signature;
pub mod xml;
pub mod xmlsec_log;
