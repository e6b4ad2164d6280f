//! Audit events and the login counters: one call records both.
//!
//! Owns the shape of an audit event (target `audit`: result, the reference code a failure
//! shows, user ID, SP, client IP, language; the time comes from the log line; never a
//! password) and counting the same event in the metrics. Handlers decide the result; this
//! module only records it.

use super::origin::Origin;
use super::pages::Page;
use super::state::AppState;
use crate::sp::ServiceProvider;

pub fn login(
    state: &AppState,
    origin: &Origin,
    page: &Page,
    sp: &ServiceProvider,
    user: &str,
    result: &'static str,
) {
    // A failure shows the person a reference code: the audit line carries the same one.
    let reference = match result {
        "ok" | "ok_session" | "cancelled" | "no_passive" => None,
        _ => Some(super::reference::current().code),
    };
    tracing::info!(
        target: "audit",
        result,
        reference = reference.as_deref().unwrap_or(""),
        user = %user.chars().take(64).collect::<String>(),
        sp = %sp.entity_id,
        client_ip = %origin.client_ip,
        lang = page.lang.tag(),
        "login"
    );
    state.metrics.login(result, &sp.entity_id, page.lang.tag());
}
