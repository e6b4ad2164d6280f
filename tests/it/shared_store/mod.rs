//! Two instances that share a real Redis (`[store] type = "redis"`): the pair behaves as one
//! (throttle, form replay, revocation), and a Redis that stops or hangs does not stop logins.
//!
//! Each test starts its own `redis-server` (the Debian package) on a free loopback port, with
//! no persistence and a random password that the instances read from `store.password_file`.

mod failures;
mod negotiate;
mod pair;
mod sentinel;
mod tls;

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `store.timeout` of the tests about sharing (not about latency): generous, so a machine
/// loaded by the rest of the suite does not make an instance fall back to its own state.
pub const SLACK: &str = "2s";

/// Waits (10 s at most) until every instance of `idps` says its store is up.
pub async fn until_shared(idps: &[&TestIdp]) {
    for idp in idps {
        let up = within(Duration::from_secs(10), || async {
            !readyz(idp).await.body.contains("shared store")
        })
        .await;
        assert!(up.is_some(), "{}", readyz(idp).await.body);
    }
}

/// A `redis-server` of this test, on loopback.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    pub password: String,
    /// Extra arguments (TLS); with TLS the port speaks only TLS.
    tls: Vec<String>,
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Redis {
    pub fn start() -> Redis {
        let password = pureconnect_idp::web::form_guard::new_form_id();
        let mut r = Redis {
            child: None,
            port: free_port(),
            password,
            tls: Vec::new(),
        };
        r.restart();
        r
    }

    /// A Redis that speaks only TLS, with the certificate `cert`/`key` (PEM files).
    pub fn start_tls(cert: &Path, key: &Path) -> Redis {
        let mut r = Redis {
            child: None,
            port: free_port(),
            password: pureconnect_idp::web::form_guard::new_form_id(),
            tls: Vec::new(),
        };
        r.tls = vec![
            "--tls-cert-file".into(),
            cert.display().to_string(),
            "--tls-key-file".into(),
            key.display().to_string(),
            "--tls-auth-clients".into(),
            "no".into(),
        ];
        r.restart();
        r
    }

    /// Starts it (again) on the same port with the same password, empty.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port.to_string();
        let ports = if self.tls.is_empty() {
            vec!["--port", &port]
        } else {
            vec!["--port", "0", "--tls-port", &port]
        };
        let child = Command::new("redis-server")
            .args(ports)
            .args(["--bind", "127.0.0.1"])
            .args(&self.tls)
            .args(["--save", "", "--appendonly", "no"])
            .args(["--requirepass", &self.password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) is installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let up = if self.tls.is_empty() {
                self.command("PING").as_deref() == Some("+PONG")
            } else {
                TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            };
            if up {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// One inline command after AUTH; the first line of its reply.
    pub fn command(&self, cmd: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(s, "AUTH {}\r\n{cmd}\r\n", self.password).ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while buf.iter().filter(|b| **b == b'\n').count() < 2 {
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        text.lines().nth(1).map(str::to_string)
    }

    /// The `[store]` table for an instance of the pair (the password in a file of `dir`).
    pub fn store_table(&self, dir: &Path, timeout: &str) -> String {
        store_table(dir, self.port, &self.password, timeout)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn store_table(dir: &Path, port: u16, password: &str, timeout: &str) -> String {
    let pw = dir.join("redis.password");
    std::fs::write(&pw, format!("{password}\n")).unwrap();
    format!(
        "[store]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{port}/0\"\npassword_file = \"{}\"\ntimeout = \"{timeout}\"\n",
        pw.display()
    )
}

/// An instance with `store` (and `throttle`) tables, the fixture's users file as backend.
pub async fn instance(fx: &Fixture, store: &str, throttle: &str) -> TestIdp {
    let cfg = fx.config("assertion", &format!("{store}\n[throttle]\n{throttle}\n"));
    TestIdp::start(cfg).await
}

/// Two instances on `store` (and `throttle`), once both say their store is up.
pub async fn pair(fx: &Fixture, store: &str, throttle: &str) -> (TestIdp, TestIdp) {
    let a = instance(fx, store, throttle).await;
    let b = instance(fx, store, throttle).await;
    until_shared(&[&a, &b]).await;
    (a, b)
}

/// A login finished on `a` (asserted), whose form, cookies and all, is then posted to `b`:
/// what `b` answered.
pub async fn replayed_to_b(a: &TestIdp, b: &TestIdp) -> Page {
    let c = client();
    let form = get(&c, &request_url(&a.base)).await;
    let done = submit_to(&c, &a.base, &form.body, "agent1", "agent1").await;
    assert!(autopost(&done.body).is_some(), "{}", done.body);
    submit_to(&c, &b.base, &form.body, "agent1", "agent1").await
}

pub const SIGNER_ID: &str = "urn:test:signer";
pub const SIGNER_ACS: &str = "https://signer.test/acs";

/// Two instances sharing `redis` under one public base (so a request's Destination is right on
/// both), with an SP that must sign its requests and `extra` tables; and the query of one
/// signed HTTP-Redirect AuthnRequest of that SP.
pub async fn signed_pair(fx: &Fixture, redis: &Redis, extra: &str) -> (TestIdp, TestIdp, String) {
    let signer = SpKeys::new(fx.path(), "signer");
    let tables = format!(
        "{}\n[[service_providers]]\nentity_id = \"{SIGNER_ID}\"\nacs_urls = [\"{SIGNER_ACS}\"]\n\
         require_signed_requests = true\ncertificate_file = \"{}\"\n{extra}",
        redis.store_table(fx.path(), SLACK),
        signer.cert.display()
    );
    let cfg = || {
        fx.config_full(
            "https://idp.test",
            SECRET_A,
            "public_base_url = \"http://127.0.0.1\"",
            "assertion",
            &tables,
        )
    };
    let a = TestIdp::start(cfg()).await;
    let b = TestIdp::start(cfg()).await;
    until_shared(&[&a, &b]).await;
    let md = a.metadata_file(fx.path()).await.display().to_string();
    let req = signer.signed("authn", &md, (SIGNER_ID, SIGNER_ACS), "redirect", &[]);
    let query = req["url"].as_str().unwrap().split_once('?').unwrap().1;
    (a, b, query.to_string())
}

/// A credential POST of the form on `form` to `base` (whatever instance made the form).
pub async fn submit_to(c: &reqwest::Client, base: &str, form: &str, user: &str, pw: &str) -> Page {
    let (action, mut fields) = login_form(form);
    let path = action
        .find("/ICNotifierIDP/")
        .map_or(action.as_str(), |i| &action[i..]);
    fields.extend([
        ("user_id".into(), user.into()),
        ("password".into(), pw.into()),
        ("action".into(), "login".into()),
    ]);
    page(
        c.post(format!("{base}{path}"))
            .form(&fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A whole login on `idp` from browser `c`: the form, then the credentials.
pub async fn login(c: &reqwest::Client, idp: &TestIdp, user: &str, pw: &str) -> Page {
    login_at(c, &idp.base, user, pw).await
}

/// [`login`] on the server at `base`.
pub async fn login_at(c: &reqwest::Client, base: &str, user: &str, pw: &str) -> Page {
    let form = get(c, &request_url(base)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    submit_to(c, base, &form.body, user, pw).await
}

pub async fn readyz(idp: &TestIdp) -> Page {
    get(&client(), &idp.url("/readyz")).await
}

/// Polls `f` every 50 ms until it holds or `limit` passes; how long it took, if it held.
pub async fn within<F, Fut>(limit: Duration, mut f: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if f().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// `name=value` of the `Set-Cookie` of `name` on `p`.
pub fn cookie(p: &Page, name: &str) -> String {
    p.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie set"))
        .to_string()
}

/// A GET of `url` by a browser that has exactly the cookies `jar`.
pub async fn get_with(url: &str, jar: &str) -> Page {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    page(c.get(url).header("cookie", jar).send().await.unwrap()).await
}
