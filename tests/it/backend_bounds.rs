//! Credential checks are bounded: argon2id hashes (about 19 MiB each) run a few at once in
//! kept memory, so a flood of credential POSTs cannot grow the server's memory; CIC logins in
//! flight are capped at `backend.max_concurrent`. Beyond either bound and its wait, a
//! localized 503 "busy" page with `Retry-After`.

use crate::common::*;
use crate::icws::idp_for;
use crate::icws_double::IcwsDouble;
use std::time::Duration;

/// The server's peak resident memory (VmHWM), in KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

const BUSY: &str = "Too many people are logging on right now";

/// A fresh browser's credential form: the client (with its idp_browser cookie) and the page.
async fn form_at(base: &str) -> (reqwest::Client, Page) {
    let c = client();
    let form = get(&c, &request_url(base)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    (c, form)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_parallel_credential_posts_keep_the_servers_peak_memory_bounded() {
    let fx = Fixture::new();
    // The brute-force throttle would refuse most of them before any hash, and the cap on one
    // client's requests in flight (64) the rest: neither is the bound under test here.
    let server = spawn_server_with(
        &fx,
        "[throttle]\nip_failures = 100000\nuser_failures = 100000\n[limits]\nmax_in_flight_per_client = 1000\n",
        &[],
    );
    let (c, form) = form_at(&server.base).await;
    let warm = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert!(autopost(&warm.body).is_some(), "{}", warm.body);
    let before = vm_hwm_kib(server.child.id());

    let mut forms = Vec::new();
    for _ in 0..100 {
        forms.push(form_at(&server.base).await);
    }
    let posts: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (c, form))| {
            tokio::spawn(async move {
                let user = format!("nobody-{i}-{}", rand::random::<u32>());
                submit(&c, &form.body, &user, "wrong", "login").await
            })
        })
        .collect();
    let (mut bad, mut busy) = (0, 0);
    for p in posts {
        let p = p.await.unwrap();
        match p.status {
            200 => {
                assert!(p.body.contains("incorrect"), "{}", p.body);
                bad += 1;
            }
            503 => {
                assert!(p.body.contains(BUSY), "{}", p.body);
                assert_eq!(p.headers["retry-after"], "5");
                busy += 1;
            }
            s => panic!("status {s}: {}", p.body),
        }
    }
    let peak = vm_hwm_kib(server.child.id());
    eprintln!(
        "server VmHWM: {} MiB after one login, {} MiB after 100 parallel credential POSTs ({bad} checked, {busy} busy)",
        before / 1024,
        peak / 1024
    );
    // Each unknown user still cost a hash: they were checked, not turned away.
    assert!(bad >= 50, "{bad} checked, {busy} busy");
    assert!(peak < 150 * 1000, "peak RSS {} MiB", peak / 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_logins_in_flight_stay_within_max_concurrent() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    // Each login is three requests (connect, user record, delete) of 400 ms: 1.2 s.
    cic.set_latency(Duration::from_millis(400));
    let max = 3;
    let idp = idp_for(
        &fx,
        &[cic.server()],
        // Twelve sign-ins of one user at once: more than the throttle lets through for one
        // user from one address (attempts in flight count), so its budget is raised here.
        &format!(
            "max_concurrent = {max}\nmax_wait = \"2s\"\n[throttle]\nuser_failures = 50\nip_failures = 100\n"
        ),
    )
    .await;
    let mut forms = Vec::new();
    for _ in 0..12 {
        forms.push(form_at(&idp.base).await);
    }
    let logins: Vec<_> = forms
        .into_iter()
        .map(|(c, form)| {
            tokio::spawn(
                async move { submit(&c, &form.body, "agent1", "agent1-pw", "login").await },
            )
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for l in logins {
        let p = l.await.unwrap();
        match p.status {
            200 if autopost(&p.body).is_some() => ok += 1,
            503 => {
                assert!(p.body.contains(BUSY), "{}", p.body);
                assert_eq!(p.headers["retry-after"], "5");
                busy += 1;
            }
            s => panic!("status {s}: {}", p.body),
        }
    }
    let peak = cic.peak_in_flight();
    eprintln!("ICWS double: at most {peak} requests at once; {ok} logins, {busy} busy");
    assert!(
        peak <= max,
        "{peak} ICWS requests in flight at once, over {max}"
    );
    // 12 logins of 1.2 s, 3 at once, none waiting over 2 s: some got through, some were busy.
    assert!(ok >= max && busy >= 1, "{ok} logins, {busy} busy");
    assert_eq!(cic.open_sessions(), 0);
    idp.stop().await;
}
