//! Where an error page's "Return to the application" link leads when the handler named no SP.
//!
//! Owns the choice of a safe way back: only ever the home (scheme, host and port of the
//! first ACS) of a configured SP, never a URL a request names. The SP the browser came from
//! (its `Referer` has that home's origin) first, else the first configured SP with an absolute
//! ACS, else, in demo mode, the demo SP's start page. Nothing here is a redirect.

use super::origin::Origin;
use super::state::{AppState, DEMO_PATH};
use axum::http::{header, HeaderMap};

/// `scheme://host[:port]` of an absolute URL, as written.
fn origin_of(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    Some(&url[..end])
}

/// The way back for a page of this request.
pub fn home(state: &AppState, origin: Option<&Origin>, headers: &HeaderMap) -> Option<String> {
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of);
    let mut first = None;
    for sp in state.sps.all().iter().filter(|sp| !sp.relative_acs) {
        let Some(h) = sp.acs_urls.first().and_then(|u| origin_of(u)) else {
            continue;
        };
        if referer.is_some_and(|r| r.eq_ignore_ascii_case(h)) {
            return Some(h.to_string());
        }
        first.get_or_insert(h);
    }
    match (first, origin) {
        (Some(h), _) => Some(h.to_string()),
        (None, Some(o)) if state.demo_sp => Some(o.base.url(DEMO_PATH)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origin_of_urls() {
        assert_eq!(
            origin_of("https://login.mypurecloud.de/saml"),
            Some("https://login.mypurecloud.de")
        );
        assert_eq!(
            origin_of("https://sp.test:8443?x=1"),
            Some("https://sp.test:8443")
        );
        assert_eq!(origin_of("https://sp.test"), Some("https://sp.test"));
        assert_eq!(origin_of("/relative/acs"), None);
    }
}
