//! Windows password checks bounded in flight: a burst of `DOMAIN\user` form posts against a
//! directory that takes connections and never answers opens at most
//! `windows.ldap.max_concurrent` connections; the rest get the "busy" page, which is no
//! verdict on the password (the throttle does not count it).

use super::sign_in::linked_users_file;
use crate::common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Connections open now and the most ever open at once.
#[derive(Default)]
struct Open {
    now: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

/// A "directory" on loopback that accepts connections and never says a word, counting them
/// until the peer closes. Ends when the returned task is aborted.
async fn silent_directory() -> (String, Arc<Open>, tokio::task::JoinHandle<()>) {
    use tokio::io::AsyncReadExt;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ldap://{}", l.local_addr().unwrap());
    let open = Arc::new(Open::default());
    let task = tokio::spawn({
        let open = open.clone();
        async move {
            while let Ok((mut s, _)) = l.accept().await {
                let n = open.now.fetch_add(1, Ordering::SeqCst) + 1;
                open.peak.fetch_max(n, Ordering::SeqCst);
                open.total.fetch_add(1, Ordering::SeqCst);
                let open = open.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 512];
                    while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
                    open.now.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }
    });
    (url, open, task)
}

const BUSY: &str = "Too many people are logging on right now";
const UNREACHABLE: &str = "could not be reached";
const LOGINS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_windows_passwords_opens_at_most_max_concurrent_directory_connections() {
    let fx = Fixture::new();
    linked_users_file(&fx);
    std::fs::write(fx.path().join("svc.pw"), "svc-pw\n").unwrap();
    let (url, open, listener) = silent_directory().await;
    // The directory holds each check for the whole timeout; the bound's wait is far shorter.
    // user_failures = 1: a busy answer counted as a failure would lock the user out.
    let cfg = fx.config(
        "assertion",
        &format!(
            "[throttle]\nuser_failures = 1\n[windows]\nrealms = [\"EXAMPLE.COM\"]\n[windows.ldap]\n\
             urls = [\"{url}\"]\nbase_dn = \"dc=example,dc=com\"\ndomain = \"EXAMPLE\"\n\
             bind_dn = \"cn=svc\"\nbind_password_file = \"svc.pw\"\ntimeout = \"15s\"\n\
             max_concurrent = 2\nmax_wait = \"1s\"\n"
        ),
    );
    let idp = TestIdp::start(cfg).await;
    // The forms first (each its own browser), then every Log On at once, distinct users so
    // that the throttle refuses none of them before the directory is asked.
    let mut forms = Vec::new();
    for _ in 0..LOGINS {
        let c = client();
        let f = get(&c, &request_url(&idp.base)).await;
        assert_eq!(f.status, 200, "{}", f.body);
        forms.push((c, f.body));
    }
    let posts: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (c, body))| {
            tokio::spawn(async move {
                let user = format!("EXAMPLE\\user{i}");
                let p = submit(&c, &body, &user, "Win-pw", "login").await;
                (user, p)
            })
        })
        .collect();
    let mut busy = Vec::new();
    let mut unreachable = 0;
    for t in posts {
        let (user, p) = t.await.unwrap();
        assert_eq!(p.status, 503, "{user}: {}", p.body);
        if p.body.contains(BUSY) {
            assert_eq!(p.headers["retry-after"], "5", "{user}");
            busy.push(user);
        } else {
            assert!(p.body.contains(UNREACHABLE), "{user}: {}", p.body);
            unreachable += 1;
        }
    }
    let (peak, total) = (
        open.peak.load(Ordering::SeqCst),
        open.total.load(Ordering::SeqCst),
    );
    assert!(
        peak <= 2,
        "the directory saw {peak} connections at once ({total} in all)"
    );
    assert_eq!(total, unreachable, "one connection per check let through");
    assert!(busy.len() >= LOGINS - 2, "busy: {busy:?}");
    // Busy was no verdict: with the directory gone, a busy user's next try reaches it (and
    // finds it unreachable) instead of being throttled.
    listener.abort();
    let _ = listener.await;
    let c = client();
    let f = get(&c, &request_url(&idp.base)).await;
    let p = submit(&c, &f.body, &busy[0], "Win-pw", "login").await;
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains(UNREACHABLE), "{}", p.body);
    idp.stop().await;
}
