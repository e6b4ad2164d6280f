//! The credential form: what it shows and where it posts.
//!
//! Owns filling the login page (the intro naming the SP in the page's language, the sealed
//! state, the user ID kept after a failure, the message tied to the fields it is about, with
//! its reference code written to the log, the language list, the busy-state script and the
//! policy that allows it) from a [`Cx`]. What the buttons do is `credentials`' job.

use super::language::languages;
use super::login::Cx;
use super::pages::{html, login_csp, reference_text, LoginPage, LOGIN_SCRIPT};
use super::reference;
use crate::sp::ServiceProvider;
use axum::http::StatusCode;
use axum::response::Response;

/// The longest user ID shown again in the form after a failure.
pub const MAX_USER_ID: usize = 256;

/// What one showing of the form holds.
pub struct FormView<'a> {
    /// The sealed pending login.
    pub sealed: &'a str,
    pub sp: &'a ServiceProvider,
    /// The user ID to fill in (empty when it was too long to keep).
    pub user_id: &'a str,
    /// A message key of the catalog, shown above the fields.
    pub error: Option<&'a str>,
    /// The count the message shows (then `error` is a plural message: "1 minute").
    pub count: Option<u64>,
}

/// The login page, in the request's language.
pub fn render(cx: &Cx<'_>, status: StatusCode, v: FormView<'_>) -> Response {
    let action = cx.state.sso_url(&cx.origin.base);
    let lang = cx.page.lang;
    let user_id = if v.user_id.len() <= MAX_USER_ID {
        v.user_id
    } else {
        ""
    };
    let (sp_name, sp_name_lang) = v.sp.display_name.for_lang(lang, cx.state.default_lang);
    // A message gets the request's reference, in the log with what it says (the audit line
    // of the attempt, when there is one, carries it too).
    let reference = v.error.map(|key| {
        let r = reference::current();
        tracing::info!(
            reference = %r.code,
            status = status.as_u16(),
            message = key,
            client = %cx.origin.client_ip,
            "credential form shown again with a message"
        );
        reference_text(lang, &r)
    });
    let error = v.error.map(|k| match v.count {
        Some(n) => lang.tn(k, "minutes", n, &[]),
        None => lang.t(k).to_string(),
    });
    let mut r = html(
        status,
        &LoginPage {
            intro: {
                let text = lang.t("login.intro");
                let (before, after) = text.split_once("{sp}").unwrap_or((text, ""));
                (before, sp_name, after)
            },
            sp_name_lang,
            error,
            // Messages about what was typed are tied to the fields.
            error_fields: matches!(
                v.error,
                Some("error.bad_credentials" | "error.missing_fields")
            ),
            reference,
            action: &action,
            state: v.sealed,
            sp: &v.sp.entity_id,
            user_id,
            languages: languages(),
            script: LOGIN_SCRIPT,
            other_account: other_account_url(cx, v.sealed),
            page: cx.page.clone(),
        },
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(login_csp()) {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// The "log on with a different account" link of a form, when Negotiate is on: the same form
/// without the challenge (`web::windows`).
fn other_account_url(cx: &Cx<'_>, sealed: &str) -> Option<String> {
    if !cx.state.windows.as_ref().is_some_and(|w| w.negotiates()) {
        return None;
    }
    let mut u = cx.state.sso_url(&cx.origin.base);
    u.push_str("&state=");
    u.extend(url::form_urlencoded::byte_serialize(sealed.as_bytes()));
    Some(u)
}
