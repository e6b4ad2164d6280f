//! Which language and stylesheet a page of this request gets.
//!
//! Owns the order of choice — a language picked on the form, then the `idp_lang` cookie, then
//! the browser's `Accept-Language`, then `i18n.default_language` — and the list the form's
//! language picker shows.

use super::cookies;
use super::origin::Origin;
use super::pages::Page;
use super::state::{AppState, CSS_PATH};
use crate::i18n::{negotiate::negotiate, Lang};
use axum::http::HeaderMap;

/// The cookie that remembers a language picked on the form.
pub const LANG_COOKIE: &str = "idp_lang";

/// The language and stylesheet of a page for this request; `picked` is a language chosen on
/// the form, which wins over the cookie and the browser's preferences.
pub fn page_for(
    state: &AppState,
    origin: Option<&Origin>,
    headers: &HeaderMap,
    picked: Option<&str>,
) -> Page {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let picked = picked.or_else(|| cookies::get(headers, LANG_COOKIE));
    Page {
        lang: negotiate(picked, accept, state.default_lang),
        css: origin.map(css_url),
        home: super::way_back::home(state, origin, headers),
    }
}

/// The stylesheet's public URL.
pub fn css_url(origin: &Origin) -> String {
    origin.base.url(CSS_PATH)
}

/// Languages for the picker: (tag, name in itself).
pub fn languages() -> Vec<(&'static str, &'static str)> {
    Lang::all().map(|l| (l.tag(), l.name())).collect()
}
