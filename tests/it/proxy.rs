//! Behind nginx and as a switchover pair: real nginx configured from nginx-example.conf, two
//! identity-provider instances, the remap header from trusted and untrusted peers.

use crate::common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET_B: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

struct Nginx(Child);

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx-example.conf with only the ports, upstream addresses and certificate paths changed.
fn nginx_conf(port: u16, upstreams: &[String; 2], cert: &Path, key: &Path) -> String {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("nginx-example.conf"))
            .unwrap();
    let subs = [
        ("listen 443 ssl;", format!("listen 127.0.0.1:{port} ssl;")),
        ("server 10.1.2.3:8043;", format!("server {};", upstreams[0])),
        ("server 10.1.2.4:8043;", format!("server {};", upstreams[1])),
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

fn start_nginx(dir: &Path, conf: &str) -> Nginx {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let file = dir.join("nginx.conf");
    std::fs::write(&file, conf).unwrap();
    let globals = format!(
        "daemon off; master_process on; pid {}; error_log {} info;",
        dir.join("nginx.pid").display(),
        dir.join("logs/error.log").display()
    );
    let test = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&file)
        .arg("-g")
        .arg(&globals)
        .output()
        .expect("nginx is installed (make test installs it)");
    assert!(
        test.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&file)
        .arg("-g")
        .arg(&globals)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Nginx(child)
}

async fn wait_for(url: &str) {
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
    let (cert, key) = fx.tls();
    let server = fx.tls_server_lines();
    let a = TestIdp::start(fx.config_full("auto", SECRET_A, &server, "both", "")).await;
    let b = TestIdp::start(fx.config_full("auto", SECRET_A, &server, "both", "")).await;
    let hostport = |i: &TestIdp| i.base.trim_start_matches("https://").to_string();
    let port = free_port();
    let ngx_dir = fx.path().join("nginx");
    let _nginx = start_nginx(
        &ngx_dir,
        &nginx_conf(port, &[hostport(&a), hostport(&b)], &cert, &key),
    );
    let public = format!("https://127.0.0.1:{port}/PureConnect");
    wait_for(&format!("{public}/ICNotifierIDP/metadata")).await;

    // The metadata, fetched through the proxy, points through the proxy.
    let md_text = client()
        .get(format!("{public}/ICNotifierIDP/metadata"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remap_header_is_believed_only_from_trusted_proxies_and_only_when_valid() {
    let fx = Fixture::new();
    // Loopback is not trusted here: the test client plays a stranger.
    let untrusting = TestIdp::start(fx.config_full(
        "auto",
        SECRET_A,
        "trusted_proxies = [\"10.9.9.9/32\"]",
        "assertion",
        "",
    ))
    .await;
    let c = client();
    for path in ["/ICNotifierIDP/metadata", "/nowhere"] {
        let r = c
            .get(untrusting.url(path))
            .header("ININ-REMAP-BASE-URL", "https://evil.example")
            .header("X-Forwarded-For", "6.6.6.6")
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(!body.contains("evil.example"), "{path}: {body}");
    }
    let r = c
        .get(request_url(&untrusting.base))
        .header("ININ-REMAP-BASE-URL", "https://evil.example")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(
        body.contains("login-form") && !body.contains("evil.example"),
        "{body}"
    );
    untrusting.stop().await;

    // From a trusted proxy the header is used, and an invalid value is refused, not ignored.
    let trusting = TestIdp::start(fx.config_full("auto", SECRET_A, "", "assertion", "")).await;
    let r = c
        .get(trusting.url("/ICNotifierIDP/metadata"))
        .header("ININ-REMAP-BASE-URL", "https://sso.example.com/PureConnect")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "Location=\"https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml\""
        ),
        "{body}"
    );
    assert!(body.contains("entityID=\"https://sso.example.com\""));
    for bad in [
        "javascript:alert(1)",
        "https://user:pw@sso.example.com/PureConnect",
        "https://sso.example.com/x?y=1",
        "/PureConnect",
    ] {
        let r = c
            .get(trusting.url("/ICNotifierIDP/metadata"))
            .header("ININ-REMAP-BASE-URL", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body = r.text().await.unwrap();
        assert!(body.contains("ININ-REMAP-BASE-URL"), "{bad}: {body}");
    }
    // CR/LF cannot even be sent as a header value by a conforming client; send it raw.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(trusting.base.trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(b"GET /ICNotifierIDP/metadata HTTP/1.1\r\nHost: x\r\nININ-REMAP-BASE-URL: https://a.example/\rX: y\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    trusting.stop().await;
}
