//! The credential form: what it shows and where it posts.
//!
//! Owns filling the login page (the intro naming the SP, the sealed state, the user ID kept
//! after a failure, the message, the language list) from a [`Cx`]. What the buttons do is
//! `credentials`' job.

use super::language::languages;
use super::login::Cx;
use super::pages::{html, LoginPage};
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
    html(
        status,
        &LoginPage {
            intro: {
                let text = lang.t("login.intro");
                let (before, after) = text.split_once("{sp}").unwrap_or((text, ""));
                (before, v.sp.display_name.as_str(), after)
            },
            error: v.error.map(|k| lang.t(k).to_string()),
            action: &action,
            state: v.sealed,
            sp: &v.sp.entity_id,
            user_id,
            languages: languages(),
            page: cx.page.clone(),
        },
    )
}
