//! Integration tests: each starts the real server on an ephemeral loopback port and checks
//! what it does with independent software (pysaml2 as the SP, xmlsec1, headless Chromium).

mod certs;
mod common;
mod demo;
mod i18n;
mod proxy;
mod sso;
