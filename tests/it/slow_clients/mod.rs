//! Slow clients (Abuse issue): the identity provider exposed directly (the real binary, TLS,
//! no proxy in front) while one address holds up to 1,000 connections that send their headers
//! or bodies a few bytes at a time, or nothing at all, plus HTTP/2 connections opening many
//! streams; meanwhile a user logs in from another address and a supervisor probes `/healthz`
//! from a third. Loopback only; the attack lasts a fixed time and stops by itself.

mod attacker;

use crate::common::*;
use attacker::{connect_from, connector, Attacker, ATTACK, RAMP_UP};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

const ATTACKER: [u8; 4] = [127, 0, 0, 1];
const USER: [u8; 4] = [127, 0, 0, 2];
const PROBE: [u8; 4] = [127, 0, 0, 3];
const SILENT: [u8; 4] = [127, 0, 0, 4];

/// The waits the attack meets, short so that the test is quick.
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const LIMITS: &str = "[limits]\nheader_read_timeout = \"2s\"\ntls_handshake_timeout = \"2s\"\n\
                      body_read_timeout = \"2s\"\nmax_connections_per_ip = 300\n";

/// The real binary in its own process, on an ephemeral port.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(fx: &Fixture) -> Server {
    use std::io::{BufRead, BufReader};
    // Exposed directly: no peer is a trusted proxy.
    let server = format!("{}\ntrusted_proxies = []", fx.tls_server_lines());
    fx.config_full("https://idp.test", SECRET_A, &server, "assertion", LIMITS);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(fx.path().join("idp.toml"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            let (_, rest) = l.split_once("listening on https://")?;
            rest.split(['"', ' ']).next()?.parse::<SocketAddr>().ok()
        })
        .expect("the server printed its address");
    // Keep reading, so that a full pipe never stalls the server.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Server { child, addr }
}

fn raise_fd_limit() {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < 8192 {
            l.rlim_cur = l.rlim_max.min(8192);
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// One login as a browser does it, from the user's address: the AuthnRequest, the form, the
/// credentials, the auto-POST page.
async fn login(base: &str) -> Result<Duration, String> {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .danger_accept_invalid_certs(true)
        .local_address(std::net::IpAddr::from(USER))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let r = c
        .get(request_url(base))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let form = page(r).await;
    if form.status != 200 {
        return Err(format!("the form answered {}", form.status));
    }
    let (url, mut fields) = login_form(&form.body);
    fields.extend([
        ("user_id".into(), "agent1".into()),
        ("password".into(), "agent1".into()),
        ("action".into(), "login".into()),
    ]);
    let r = c
        .post(&url)
        .form(&fields)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let p = page(r).await;
    if p.status != 200 || autopost(&p.body).is_none() {
        return Err(format!("the credentials answered {}", p.status));
    }
    Ok(t0.elapsed())
}

/// How long after its TLS handshake (or, with `tls` off, after it connected) the server
/// closes a connection from `SILENT` that sends nothing; `None` if still open after `wait`.
async fn closed_after(fx: &Fixture, to: SocketAddr, tls: bool, wait: Duration) -> Option<Duration> {
    let tcp = connect_from(SILENT, to).await.unwrap();
    let mut s: Box<dyn Unpin + Send + AsyncReadWrite> = if tls {
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        Box::new(connector(fx, b"http/1.1").connect(name, tcp).await.unwrap())
    } else {
        Box::new(tcp)
    };
    let t0 = Instant::now();
    let mut buf = [0u8; 64];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => Some(t0.elapsed()),
        Ok(Ok(n)) => panic!("the server sent {n} bytes to a client that asked nothing"),
        Err(_) => None,
    }
}

trait AsyncReadWrite: AsyncRead + AsyncWrite {}
impl<T: AsyncRead + AsyncWrite> AsyncReadWrite for T {}

fn p99(sorted: &[Duration]) -> Duration {
    let i = ((sorted.len() as f64) * 0.99).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_flood_from_one_address_leaves_logins_and_healthz_working() {
    raise_fd_limit();
    let fx = Fixture::new();
    let server = start(&fx);
    let base = format!("https://{}", server.addr);
    // Before the attack: the user's login works (and the figure to compare with).
    let quiet = login(&base).await.expect("a login without attack");

    let attacker = Attacker {
        to: server.addr,
        h1: connector(&fx, b"http/1.1"),
        h2: connector(&fx, b"h2"),
        until: Instant::now() + ATTACK,
        opened: Arc::default(),
        refused: Arc::default(),
    };
    // The attacker runs on its own threads, so that it cannot slow down the user's client.
    let attack = std::thread::spawn({
        let a = attacker.clone();
        move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(a.run());
        }
    });
    tokio::time::sleep(RAMP_UP).await;

    // During the attack: a silent connection (TLS done, then nothing) and one that never
    // starts its handshake are closed within their timeouts; the supervisor's probe answers.
    let to = server.addr;
    let silent = closed_after(&fx, to, true, HEADER_TIMEOUT + Duration::from_secs(3));
    let no_handshake = closed_after(&fx, to, false, HEADER_TIMEOUT + Duration::from_secs(3));
    let probes = tokio::spawn({
        let url = format!("{base}/healthz");
        let until = attacker.until;
        async move {
            let c = reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .local_address(std::net::IpAddr::from(PROBE))
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut answers = Vec::new();
            while Instant::now() + Duration::from_secs(1) < until {
                let r = c.get(&url).send().await;
                answers.push(r.map(|r| r.status().as_u16()).map_err(|e| e.to_string()));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            answers
        }
    });
    let logins = async {
        let mut times = Vec::new();
        let mut failures = Vec::new();
        while Instant::now() + Duration::from_secs(1) < attacker.until {
            match login(&base).await {
                Ok(d) => times.push(d),
                Err(e) => failures.push(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (times, failures)
    };
    let (silent, no_handshake, (mut times, failures)) = tokio::join!(silent, no_handshake, logins);
    let probes = probes.await.unwrap();
    let (opened, refused) = (
        attacker.opened.load(Ordering::Relaxed),
        attacker.refused.load(Ordering::Relaxed),
    );
    attack.join().unwrap();
    times.sort();
    let worst = times.last().copied().unwrap_or_default();
    let p = (!times.is_empty()).then(|| p99(&times));
    eprintln!(
        "slow-client attack: {opened} attacker TLS connections opened, {refused} attempts refused; \
         {} logins during it, {} failed ({failures:?}); p99 {p:?} (median {:?}, worst {worst:?}; \
         {quiet:?} without attack); silent connection closed after {silent:?}, one without a \
         handshake after {no_handshake:?}; /healthz {probes:?}",
        times.len() + failures.len(),
        failures.len(),
        times.get(times.len() / 2),
    );
    assert!(
        opened >= 300,
        "the attack took hold of the connections it could ({opened})"
    );
    assert!(
        failures.is_empty(),
        "logins failed during the attack: {failures:?}"
    );
    assert!(
        times.len() >= 5,
        "logins ran during the attack: {}",
        times.len()
    );
    // A login the flood starved would wait for a connection's header timeout (10 s) or for
    // the attack to end (14 s). The bound is 1 s, or ten quiet logins when the machine is so
    // loaded that a quiet login alone takes more than 100 ms.
    let p = p99(&times);
    let bound = Duration::from_secs(1).max(quiet * 10);
    assert!(
        p < bound,
        "p99 of logins during the attack: {p:?} (bound {bound:?})"
    );
    assert!(!probes.is_empty());
    assert!(
        probes.iter().all(|r| matches!(r, Ok(200))),
        "/healthz during the attack: {probes:?}"
    );
    let margin = Duration::from_secs(2);
    assert!(
        silent.is_some_and(|d| d <= HEADER_TIMEOUT + margin),
        "a connection that sends nothing after its handshake is closed within \
         header_read_timeout: {silent:?}"
    );
    assert!(
        no_handshake.is_some_and(|d| d <= HEADER_TIMEOUT + margin),
        "a connection that never starts its handshake is closed within \
         tls_handshake_timeout: {no_handshake:?}"
    );
}
