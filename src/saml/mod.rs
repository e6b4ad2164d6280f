//! The SAML protocol, with no HTTP: bindings, requests, responses, logout, signatures, metadata.

pub mod authn_request;
pub mod binding;
pub mod canon;
pub mod logout;
pub mod metadata;
pub mod response;
pub mod sign;
pub mod signature;
pub mod xml;
