//! The Windows sign-in checks: the Kerberos keytab (`windows.keytab`) is readable and holds
//! the service principal — by the acceptor's own start-up check, so `doctor` and serving can
//! not disagree — and each LDAP server of `[windows.ldap]` takes the service account's bind
//! (StartTLS against `ca_file` as serving does), each bounded by `doctor.timeout`.

use super::{Check, Context, Line};
use crate::windows::kerberos::Acceptor;
use crate::windows::ldap::LdapChecker;

pub struct Keytab;
pub struct Ldap;

#[async_trait::async_trait]
impl Check for Keytab {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "windows.keytab";
        let Some(w) = &cx.cfg.windows else {
            return Vec::new();
        };
        let Some(keytab) = w.keytab.clone() else {
            return Vec::new();
        };
        let principal = w.service_principal.clone();
        let shown = keytab.display().to_string();
        let r = tokio::task::spawn_blocking(move || {
            Acceptor::new(&keytab, principal.as_deref()).map(|a| a.principal().map(String::from))
        })
        .await;
        let line = match r {
            Ok(Ok(Some(p))) => Line::pass(C, format!("the keytab {shown} is readable and holds {p}")),
            Ok(Ok(None)) => Line::pass(
                C,
                format!("the keytab {shown} is readable and holds a service key (any principal in it is accepted)"),
            ),
            Ok(Err(m)) => Line::fail(
                C,
                m,
                "Export the service principal's key into windows.keytab (ktpass on AD, kadmin ktadd), readable by the service user, and check windows.service_principal names it.",
            ),
            Err(e) => Line::fail(
                C,
                format!("the keytab check stopped: {e}"),
                "Report this as a bug in pureconnect-idp, with the output above.",
            ),
        };
        vec![line.tried(format!("read {shown} and acquire an acceptor credential"))]
    }
}

#[async_trait::async_trait]
impl Check for Ldap {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "windows.ldap";
        let Some(mut l) = cx.cfg.windows.as_ref().and_then(|w| w.ldap.clone()) else {
            return Vec::new();
        };
        l.timeout = cx.fetch.timeout;
        let checker = match LdapChecker::new(&l) {
            Ok(c) => c,
            Err(m) => {
                return vec![Line::fail(
                    C,
                    m,
                    "Correct the file the message names, then run doctor again.",
                )]
            }
        };
        let how = match (&l.ca_file, l.starttls) {
            (Some(ca), true) => {
                format!("StartTLS (ldap://) or TLS (ldaps://), CA {}", ca.display())
            }
            (Some(ca), false) => format!("TLS (ldaps://), CA {}", ca.display()),
            (None, _) => "TLS with the system roots".into(),
        };
        let secs = cx.fetch.timeout.as_secs_f64();
        checker
            .bind_each()
            .await
            .into_iter()
            .map(|(url, r)| {
                let how = if !url.is_tls() && !l.starttls {
                    "plain LDAP (danger_allow_plaintext)"
                } else {
                    how.as_str()
                };
                let tried = format!("bind to {url} as `{}` over {how} (timeout {secs} s)", l.bind_dn);
                match r {
                    Ok(()) => Line::pass(
                        C,
                        format!("the LDAP server {url} takes the service account's bind"),
                    ),
                    Err(m) => Line::fail(
                        C,
                        format!("the LDAP server {url} does not take the service account's bind: {m}"),
                        "Check that the server runs and is reachable, that windows.ldap.ca_file holds the CA of its certificate, and windows.ldap.bind_dn with the password in bind_password_file.",
                    ),
                }
                .tried(tried)
            })
            .collect()
    }
}
