//! The HTML pages (askama templates) and the error page every failure ends in.
//!
//! Owns rendering: the credential form, the auto-POST page, the error page, and
//! [`PageError`] — a status, a message key from the catalogs and an optional technical detail —
//! which becomes a page in the user's language. Handlers decide *which* page; this module
//! decides how it looks: every error page has a way forward (a link back, one sentence on
//! what to do) and the request's reference code, written to the log with it. No SAML and no
//! credential logic here.

use super::reference::{self, Reference};

/// Seconds a browser told "busy" (the 503 "too many sign-ins" answer) is asked to wait.
pub const BUSY_RETRY_AFTER: &str = "5";

/// The policy of every page but the auto-POST one.
pub const DEFAULT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
use crate::i18n::Lang;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// The script that submits the auto-POST form. Fixed text, so a CSP can allow it by hash.
pub const AUTOPOST_SCRIPT: &str = "document.getElementById('saml-form').submit();";

/// The credential form's one script: on Log On, the button shows the busy text
/// (`login.signing_in`) and a second submit of the same form is held back. Without it the
/// form works the same.
pub const LOGIN_SCRIPT: &str = "document.getElementById('login-form').addEventListener('submit',function(e){var b=e.submitter;if(!b||b.id!=='logon')return;if(this.dataset.sent){e.preventDefault();return;}this.dataset.sent='1';b.textContent=b.dataset.busy;this.setAttribute('aria-busy','true');});";

/// The credential form's policy: the default one, and its script by hash.
pub fn login_csp() -> &'static str {
    static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let d = openssl::sha::sha256(LOGIN_SCRIPT.as_bytes());
        let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d);
        format!("{}; script-src 'sha256-{hash}'", DEFAULT_CSP)
    });
    &CSP
}

/// The catalog text of a reference: "Reference 7F3K-Q2 · 14:05 UTC".
pub fn reference_text(lang: Lang, r: &Reference) -> String {
    lang.tf("page.reference", &[("code", &r.code), ("time", &r.time)])
}

/// What every page needs: its language and the stylesheet URL (from the public base).
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub css: Option<String>,
    /// Where an error page's link leads when the handler names no place (see `way_back`).
    pub home: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub page: Page,
    /// The introduction around the SP's name: (before, name, after); the name is isolated
    /// with `<bdi>` so a left-to-right name reads right in right-to-left languages.
    pub intro: (&'static str, &'a str, &'static str),
    /// The language of the SP's name when it is not the page's (a fallback name).
    pub sp_name_lang: Option<&'a str>,
    pub error: Option<String>,
    /// Whether the message is about what was typed: the fields get `aria-invalid`.
    pub error_fields: bool,
    /// The reference line under a message.
    pub reference: Option<String>,
    pub action: &'a str,
    pub state: &'a str,
    pub sp: &'a str,
    pub user_id: &'a str,
    pub languages: Vec<(&'static str, &'static str)>,
    pub script: &'static str,
    /// With Windows sign-in: the link to this form without Negotiate.
    pub other_account: Option<String>,
}

#[derive(Template)]
#[template(path = "autopost.html")]
pub struct AutoPostPage<'a> {
    pub page: Page,
    pub acs: &'a str,
    /// Standard base64 (`A-Z a-z 0-9 + / =`), none of which HTML escapes: the template writes
    /// it as it is rather than scanning 10 KB for characters it cannot hold.
    pub saml_response: &'a str,
    /// Already escaped for an attribute, line breaks as character references so that HTML's
    /// newline normalization cannot change the value on its way back to the SP.
    pub relay_state: Option<String>,
    pub script: &'static str,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: Page,
    pub title: String,
    pub heading: &'static str,
    pub message: String,
    /// What to do, when the message does not say it.
    pub next: Option<&'static str>,
    pub detail: Option<String>,
    /// The link forward and its text.
    pub again: Option<(String, &'static str)>,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage {
    pub page: Page,
}

#[derive(Template)]
#[template(path = "demo_result.html")]
pub struct DemoResultPage {
    pub page: Page,
    pub signature: &'static str,
    pub name_id: String,
    pub name_id_format: String,
    pub attributes: Vec<(String, String)>,
    pub again: String,
}

/// Renders a template as an HTML response that must not be cached (it carries SAML or
/// credentials state).
pub fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => {
            let mut r = (status, Html(body)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!("template rendering failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A failure shown to the user as a page in their language (boxed: it travels in `Result`s).
#[derive(Debug, Clone)]
pub struct PageError(Box<PageErrorInner>);

#[derive(Debug, Clone)]
pub struct PageErrorInner {
    pub status: StatusCode,
    /// Catalog key of the main message.
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Technical detail (for administrators), shown folded.
    pub detail: Option<String>,
    pub lang: Lang,
    pub css: Option<String>,
    /// Where "Start again" leads, when we know.
    pub again: Option<String>,
    /// The page's way back when `again` is not set.
    pub home: Option<String>,
    /// A plural message's count: (placeholder, value).
    pub count: Option<(&'static str, u64)>,
}

impl PageError {
    pub fn new(status: StatusCode, key: &'static str) -> Self {
        PageError(Box::new(PageErrorInner {
            status,
            key,
            args: vec![],
            detail: None,
            lang: Lang::default(),
            css: None,
            again: None,
            home: None,
            count: None,
        }))
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        PageError::new(StatusCode::BAD_REQUEST, "error.request_invalid").detail(detail)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.0.detail = Some(d.into());
        self
    }

    pub fn arg(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.0.args.push((k, v.into()));
        self
    }

    /// A count the message shows: `key` is a plural message (see `i18n::plural`).
    pub fn count(mut self, placeholder: &'static str, n: u64) -> Self {
        self.0.count = Some((placeholder, n));
        self
    }

    pub fn again(mut self, url: Option<String>) -> Self {
        self.0.again = url;
        self
    }

    /// Sets the language and stylesheet (handlers call this once they know them).
    pub fn on(mut self, page: &Page) -> Self {
        self.0.lang = page.lang;
        self.0.css = page.css.clone();
        self.0.home = page.home.clone();
        self
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = *self.0;
        let args: Vec<(&str, &str)> = e.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let title_key = if e.status == StatusCode::SERVICE_UNAVAILABLE {
            "page.unavailable_title"
        } else {
            "page.error_title"
        };
        let heading = match e.key {
            "error.not_found" => "page.not_found_heading",
            _ => "page.error_heading",
        };
        // Messages that do not say what to do get the sentence that does.
        let next = matches!(e.key, "error.request_invalid" | "error.not_found")
            .then(|| e.lang.t("page.next_restart"));
        let message = match e.count {
            Some((name, n)) => e.lang.tn(e.key, name, n, &args),
            None => e.lang.tf(e.key, &args),
        };
        let again = match (e.again, e.home) {
            (Some(u), _) => Some((u, e.lang.t("page.start_again"))),
            (None, Some(u)) => Some((u, e.lang.t("page.back"))),
            (None, None) => None,
        };
        let r = reference::current();
        tracing::info!(
            reference = %r.code,
            status = e.status.as_u16(),
            message = e.key,
            detail = e.detail.as_deref().unwrap_or(""),
            "error page"
        );
        html(
            e.status,
            &ErrorPage {
                title: e
                    .lang
                    .tf("page.error_prefix", &[("title", e.lang.t(title_key))]),
                heading: e.lang.t(heading),
                message,
                next,
                detail: e.detail,
                again,
                reference: reference_text(e.lang, &r),
                page: Page {
                    lang: e.lang,
                    css: e.css,
                    home: None,
                },
            },
        )
    }
}
