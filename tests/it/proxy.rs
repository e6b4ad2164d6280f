//! Behind nginx and as a switchover pair: real nginx configured from nginx-example.conf, two
//! identity-provider instances: a login through it, with one instance stopped, and with a
//! client sending its own remap header.

use crate::common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET_B: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

pub(crate) struct Nginx(Child);

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers too (SIGKILL would leave them running);
    /// SIGKILL only if it has not gone within five seconds.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx-example.conf with only the ports, upstream addresses, the public base, the upstream
/// TLS name and the certificate paths changed. The instances' TLS certificate (self-signed,
/// for 127.0.0.1 and localhost) is the CA nginx checks them with.
pub(crate) fn nginx_conf(port: u16, upstreams: &[String; 2], cert: &Path, key: &Path) -> String {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("nginx-example.conf"))
            .unwrap();
    let subs = [
        ("listen 443 ssl;", format!("listen 127.0.0.1:{port} ssl;")),
        (
            "server 10.1.2.3:8043 max_fails",
            format!("server {} max_fails", upstreams[0]),
        ),
        (
            "server 10.1.2.4:8043 max_fails",
            format!("server {} max_fails", upstreams[1]),
        ),
        (
            "ININ-REMAP-BASE-URL https://sso.example.com/PureConnect;",
            format!("ININ-REMAP-BASE-URL {};", public_base(port)),
        ),
        ("IdpServersCA.pem", cert.display().to_string()),
        (
            "proxy_ssl_name pureconnect-idp.internal;",
            "proxy_ssl_name localhost;".to_string(),
        ),
        ("CustomerProxyCertificate.cer", cert.display().to_string()),
        ("CustomerProxyPrivateKey.bin", key.display().to_string()),
    ];
    let mut conf = example.clone();
    for (from, to) in subs {
        assert_eq!(
            conf.matches(from).count(),
            1,
            "nginx-example.conf no longer has `{from}`"
        );
        conf = conf.replace(from, &to);
    }
    conf
}

/// The public base nginx on `port` announces.
pub(crate) fn public_base(port: u16) -> String {
    format!("https://127.0.0.1:{port}/PureConnect")
}

/// Two TLS instances configured with nginx's public base, and nginx from nginx-example.conf
/// in front of them, up: (instances, nginx, public base, nginx's port).
async fn pair_behind_nginx(fx: &Fixture, sign: &str) -> ([TestIdp; 2], Nginx, String, u16) {
    pair_with_impostor(fx, sign, None).await
}

/// The same, but instance `impostor` (if any) presents a TLS certificate of its own, not the
/// one nginx trusts, and signs as `https://impostor.test`.
async fn pair_with_impostor(
    fx: &Fixture,
    sign: &str,
    impostor: Option<usize>,
) -> ([TestIdp; 2], Nginx, String, u16) {
    let (cert, key) = fx.tls();
    let port = free_port();
    let public = public_base(port);
    let server = format!("{}\npublic_base_url = \"{public}\"", fx.tls_server_lines());
    let mut idps = Vec::new();
    for i in 0..2 {
        let cfg = if impostor == Some(i) {
            let pair = loopback_tls_pair();
            let (c, k) = (fx.path().join("other.crt"), fx.path().join("other.key"));
            std::fs::write(&c, &pair.cert_pem).unwrap();
            std::fs::write(&k, &pair.key_pem).unwrap();
            let lines = format!(
                "tls_cert = \"{}\"\ntls_key = \"{}\"\npublic_base_url = \"{public}\"",
                c.display(),
                k.display()
            );
            fx.config_full("https://impostor.test", SECRET_A, &lines, sign, "")
        } else {
            fx.config_full("auto", SECRET_A, &server, sign, "")
        };
        idps.push(TestIdp::start(cfg).await);
    }
    let [a, b]: [TestIdp; 2] = idps.try_into().ok().unwrap();
    let hostport = |i: &TestIdp| i.base.trim_start_matches("https://").to_string();
    let ngx_dir = fx.path().join(format!("nginx-{port}"));
    let nginx = start_nginx(
        &ngx_dir,
        &nginx_conf(port, &[hostport(&a), hostport(&b)], &cert, &key),
    );
    wait_for(&format!("{public}/ICNotifierIDP/metadata")).await;
    ([a, b], nginx, public, port)
}

pub(crate) fn start_nginx(dir: &Path, conf: &str) -> Nginx {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let file = dir.join("nginx.conf");
    std::fs::write(&file, conf).unwrap();
    let globals = format!(
        "daemon off; master_process on; pid {}; error_log {} info;",
        dir.join("nginx.pid").display(),
        dir.join("logs/error.log").display()
    );
    // nginx with this prefix, configuration and globals.
    let nginx = || {
        let mut c = Command::new("nginx");
        c.arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&file)
            .arg("-g")
            .arg(&globals);
        c
    };
    let test = nginx()
        .arg("-t")
        .output()
        .expect("nginx is installed (make test installs it)");
    assert!(
        test.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let child = nginx()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Nginx(child)
}

pub(crate) async fn wait_for(url: &str) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if client().get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pysaml2_logs_in_through_nginx_from_nginx_example_conf() {
    let fx = Fixture::new();
    let ([a, b], _nginx, public, port) = pair_behind_nginx(&fx, "both").await;

    // The metadata, fetched through the proxy, points through the proxy.
    let md_text = get(&client(), &format!("{public}/ICNotifierIDP/metadata"))
        .await
        .body;
    assert!(
        md_text.contains(&format!(
            "Location=\"{public}/ICNotifierIDP/login?loginType=saml\""
        )),
        "{md_text}"
    );
    assert!(
        md_text.contains(&format!("entityID=\"https://127.0.0.1:{port}\"")),
        "{md_text}"
    );
    assert!(!md_text.contains(&a.base) && !md_text.contains(&b.base));
    let md = fx.path().join("md.xml");
    std::fs::write(&md, &md_text).unwrap();
    let md = md.to_str().unwrap();

    let (ok, req) = pysaml2_as("authn", md, (SP_ID, SP_ACS), &[]);
    assert!(ok, "{req}");
    let url = req["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{public}/ICNotifierIDP/login?loginType=saml&")),
        "{url}"
    );
    let c = client();
    let form = get(&c, url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let (action, _) = login_form(&form.body);
    assert_eq!(
        action,
        format!("{public}/ICNotifierIDP/login?loginType=saml")
    );
    assert!(form
        .body
        .contains(&format!("href=\"{public}/ICNotifierIDP/static/idp.css\"")));
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (acs, resp, _) = autopost(&done.body).expect("a Response through the proxy");
    assert_eq!(acs, SP_ACS);
    let (ok, v) = sp_verify(fx.path(), md, &resp, rid(&req), &[]);
    assert!(ok, "{v}");
    assert_eq!(v["name_id"], "agent1@example.com");
    assert_eq!(v["issuer"], format!("https://127.0.0.1:{port}"));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_started_on_one_server_finishes_on_the_other() {
    let fx = Fixture::new();
    let a = TestIdp::start(fx.config("assertion", "")).await;
    let b = TestIdp::start(fx.config("assertion", "")).await;
    let other =
        TestIdp::start(fx.config_full("https://idp.test", SECRET_B, "", "assertion", "")).await;
    let c = client();
    let form = get(&c, &request_url(&a.base)).await;
    assert_eq!(form.status, 200);
    let (_, mut fields) = login_form(&form.body);
    a.stop().await;
    fields.push(("user_id".into(), "agent1".into()));
    fields.push(("password".into(), "agent1".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Server B shares the secret: the login completes, RelayState intact.
    let p = post(&c, &b.login_url(), &refs).await;
    let (acs, _, rs) = autopost(&p.body).expect("B finishes A's login");
    assert_eq!((acs.as_str(), rs.as_deref()), (SP_ACS, Some("keep-me")));
    // A server with another secret cannot; the user gets a page that says so and leads back.
    let p = post(&c, &other.login_url(), &refs).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("moved to another server"), "{}", p.body);
    assert!(p.body.contains("href=\"https://sp.test\""));
    b.stop().await;
    other.stop().await;
}

/// The `<saml:Issuer>` values of a Response's XML.
fn issuers(xml: &str) -> Vec<String> {
    crate::hosts::issuers(xml)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_remap_header_through_nginx_has_no_effect() {
    let fx = Fixture::new();
    let ([a, b], _nginx, public, port) = pair_behind_nginx(&fx, "assertion").await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "inin-remap-base-url",
        "https://evil.example/x;Domain=evil.example"
            .parse()
            .unwrap(),
    );
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .danger_accept_invalid_certs(true)
        .default_headers(headers)
        .build()
        .unwrap();
    let form = get(&c, &request_url(&public)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(!form.body.contains("evil.example"), "{}", form.body);
    let (action, _) = login_form(&form.body);
    assert_eq!(
        action,
        format!("{public}/ICNotifierIDP/login?loginType=saml")
    );
    for v in form.headers.get_all("set-cookie") {
        let v = v.to_str().unwrap();
        assert!(v.contains("; Path=/PureConnect;"), "{v}");
        assert!(!v.contains("Domain") && !v.contains("evil"), "{v}");
    }
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (acs, resp, _) = autopost(&done.body).expect("a Response through the proxy");
    assert_eq!(acs, SP_ACS);
    let xml = decode_b64(&resp);
    let found = issuers(&xml);
    assert!(!found.is_empty(), "{xml}");
    let issuer = format!("https://127.0.0.1:{port}");
    assert!(found.iter().all(|i| *i == issuer), "{found:?}");
    let md = get(&c, &format!("{public}/ICNotifierIDP/metadata")).await;
    assert!(
        md.body.contains(&format!("entityID=\"{issuer}\"")),
        "{}",
        md.body
    );
    assert!(!md.body.contains("evil.example"));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_through_nginx_goes_through_while_one_instance_is_stopped() {
    // Each of the two in turn: one of them is the one ip_hash pins this client to.
    for stopped in 0..2 {
        let fx = Fixture::new();
        let (pair, _nginx, public, port) = pair_behind_nginx(&fx, "assertion").await;
        let [a, b] = pair;
        let running = if stopped == 0 {
            a.stop().await;
            b
        } else {
            b.stop().await;
            a
        };
        let c = client();
        // The credential form, then twice the SSO session's answer, all through the one left.
        for round in 0..3 {
            let first = get(&c, &request_url(&public)).await;
            assert_eq!(
                first.status, 200,
                "stopped {stopped}, round {round}: {}",
                first.body
            );
            let done = if round == 0 {
                submit(&c, &first.body, "agent1", "agent1", "login").await
            } else {
                first
            };
            let (_, resp, rs) = autopost(&done.body)
                .unwrap_or_else(|| panic!("stopped {stopped}, round {round}: {}", done.body));
            assert_eq!(rs.as_deref(), Some("keep-me"));
            let xml = decode_b64(&resp);
            assert!(
                issuers(&xml)
                    .iter()
                    .all(|i| *i == format!("https://127.0.0.1:{port}")),
                "{xml}"
            );
        }
        running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_sends_no_login_to_an_instance_whose_certificate_it_cannot_verify() {
    // The impostor in each place in turn: one of them is where ip_hash pins this client.
    for impostor in 0..2 {
        let fx = Fixture::new();
        let ([a, b], _nginx, public, port) =
            pair_with_impostor(&fx, "assertion", Some(impostor)).await;
        let c = client();
        let form = get(&c, &request_url(&public)).await;
        assert_eq!(form.status, 200, "impostor {impostor}: {}", form.body);
        let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
        let (_, resp, _) =
            autopost(&done.body).unwrap_or_else(|| panic!("impostor {impostor}: {}", done.body));
        let found = issuers(&decode_b64(&resp));
        assert!(
            found
                .iter()
                .all(|i| *i == format!("https://127.0.0.1:{port}")),
            "impostor {impostor}: {found:?}"
        );
        a.stop().await;
        b.stop().await;
    }
}
