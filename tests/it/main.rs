//! Integration tests: each starts the real server on an ephemeral loopback port and checks
//! what it does with independent software (pysaml2 as the SP, xmlsec1, headless Chromium).

mod bad_input;
mod certs;
mod client_limits;
mod common;
mod demo;
mod hardening;
mod i18n;
mod icws;
mod icws_bench;
mod icws_double;
mod icws_guards;
mod ops_listener;
mod proxy;
mod sessions;
mod signing;
mod slow_clients;
mod sso;
