//! Integration tests: each starts the real server on an ephemeral loopback port and checks
//! what it does with independent software (pysaml2 as the SP, xmlsec1, headless Chromium).

mod alerts;
mod backend_bounds;
mod bad_input;
mod certs;
mod client_limits;
mod common;
mod deb;
mod demo;
mod doctor;
mod doubled;
mod genesys_api;
mod hardening;
mod hosts;
mod i18n;
mod icws;
mod icws_bench;
mod icws_double;
mod icws_guards;
mod inbound;
mod lockout;
mod log_lines;
mod ops_listener;
mod pages;
mod proxy;
mod remap;
mod sessions;
mod shared_store;
mod signing;
mod slow_clients;
mod sso;
mod windows;
