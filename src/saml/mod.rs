//! The SAML protocol, with no HTTP: bindings, requests, responses, signatures, metadata.

pub mod authn_request;
pub mod binding;
pub mod metadata;
pub mod response;
pub mod sign;
pub mod xml;
