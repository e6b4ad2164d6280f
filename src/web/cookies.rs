//! Cookies we read and set: one place for their attributes.
//!
//! Owns reading a cookie from a request and writing `Set-Cookie` with the attributes every
//! cookie of ours has: `Path` from the public base (so two products behind one host don't
//! see each other's), `HttpOnly`, `SameSite=Lax` (a top-level redirect from the SP carries
//! them), `Secure` when the public base is https. What goes in a cookie is the caller's.

use super::origin::PublicBase;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

/// The value of cookie `name` in the request, if present once. A cookie of ours that comes
/// twice was set a second time by someone else (a sibling host can set one for a longer
/// `Path`, which browsers send first: cookie tossing), so it counts as absent: no choice
/// between the two is safe.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v);
    let first = found.next();
    match found.next() {
        Some(_) => None,
        None => first,
    }
}

fn path_of(base: &PublicBase) -> String {
    let path = url::Url::parse(base.as_str())
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    if path.is_empty() {
        "/".to_string()
    } else {
        path
    }
}

/// Adds a `Set-Cookie`; `max_age` None makes a browser-session cookie.
pub fn set(r: &mut Response, base: &PublicBase, name: &str, value: &str, max_age: Option<u64>) {
    let secure = if base.is_https() { "; Secure" } else { "" };
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    let c = format!(
        "{name}={value}; Path={}{age}; SameSite=Lax; HttpOnly{secure}",
        path_of(base)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Tells the browser to forget cookie `name`.
pub fn clear(r: &mut Response, base: &PublicBase, name: &str) {
    set(r, base, name, "", Some(0));
}
