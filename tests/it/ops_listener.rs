//! The operational endpoints on their own listener (Trust issue): with `server.ops_listen`
//! set, `/metrics`, `/healthz` and `/readyz` are answered there (plain HTTP) and are 404 on the
//! public port; without it they stay on the public port.

use crate::common::*;

/// The server on an ephemeral public port and, when the configuration asks for one, an
/// ephemeral ops port: (public base, ops base, stop).
async fn start(cfg: pureconnect_idp::config::Config) -> (String, Option<String>, TestStop) {
    let app = pureconnect_idp::build(cfg, pureconnect_idp::Options::default())
        .await
        .unwrap();
    let ops = pureconnect_idp::bind_ops(&app.state.config).unwrap();
    let ops_base = ops
        .as_ref()
        .map(|l| format!("http://{}", l.local_addr().unwrap()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        pureconnect_idp::serve_with_ops(app, listener, ops, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (base, ops_base, TestStop(tx, task))
}

struct TestStop(
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
);

impl TestStop {
    async fn stop(self) {
        let _ = self.0.send(());
        let _ = self.1.await;
    }
}

#[tokio::test]
async fn metrics_health_and_readiness_move_to_the_ops_listener_when_it_is_set() {
    let fx = Fixture::new();
    let c = client();
    let paths = ["/metrics", "/healthz", "/readyz"];

    // With an ops listener: there, and not on the public port.
    let cfg = fx.config_full(
        "https://idp.test",
        SECRET_A,
        "ops_listen = \"127.0.0.1:0\"",
        "assertion",
        "",
    );
    let (base, ops, stop) = start(cfg).await;
    let ops = ops.expect("an ops listener");
    assert_ne!(base, ops);
    for p in paths {
        let public = get(&c, &format!("{base}{p}")).await;
        assert_eq!(public.status, 404, "{p} on the public port");
        let o = get(&c, &format!("{ops}{p}")).await;
        assert_eq!(o.status, 200, "{p} on the ops port: {}", o.body);
    }
    let m = get(&c, &format!("{ops}/metrics")).await;
    assert!(
        m.body.contains("idp_http_request_duration_seconds"),
        "{}",
        m.body
    );
    // The public port still serves the IdP, the ops port nothing else.
    assert_eq!(get(&c, &request_url(&base)).await.status, 200);
    assert_eq!(get(&c, &request_url(&ops)).await.status, 404);
    stop.stop().await;

    // Without: on the public port, as before.
    let cfg = fx.config("assertion", "");
    let (base, ops, stop) = start(cfg).await;
    assert!(ops.is_none());
    for p in paths {
        assert_eq!(get(&c, &format!("{base}{p}")).await.status, 200, "{p}");
    }
    stop.stop().await;
}

#[test]
fn a_bad_ops_listen_address_is_refused_naming_the_key() {
    let fx = Fixture::new();
    let text = "[server]\nops_listen = \"metrics-host\"\n[session]\nsecret = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n";
    let file = fx.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let e = pureconnect_idp::config::Config::load(&file)
        .unwrap_err()
        .to_string();
    assert!(e.contains("server.ops_listen"), "{e}");
}

/// The ops port has the public port's connection bounds: a peer's connections beyond
/// `limits.max_connections_per_ip` are closed at once, and a silent one is closed after
/// `limits.header_read_timeout` (the adversarial review held 300 open there for 25 s, and
/// enough of them took the public port's file descriptors).
#[tokio::test(flavor = "multi_thread")]
async fn the_ops_listener_bounds_connections_like_the_public_port() {
    use tokio::io::AsyncReadExt;
    let fx = Fixture::new();
    let cfg = fx.config_full(
        "https://idp.test",
        SECRET_A,
        "ops_listen = \"127.0.0.1:0\"",
        "assertion",
        "[limits]\nmax_connections_per_ip = 3\nheader_read_timeout = \"4s\"\n",
    );
    let (_, ops, stop) = start(cfg).await;
    let to = ops.unwrap().trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(&to).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let read_end = |mut s: tokio::net::TcpStream, wait: u64| async move {
        let mut buf = Vec::new();
        let t0 = std::time::Instant::now();
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(wait),
            s.read_to_end(&mut buf),
        )
        .await;
        (r.is_ok(), t0.elapsed())
    };
    let fourth = tokio::net::TcpStream::connect(&to).await.unwrap();
    let (closed, _) = read_end(fourth, 20).await;
    assert!(closed, "the fourth was not closed");
    // At once: before the header timeout closed the three opened earlier, which are still open.
    let mut buf = [0u8; 1];
    assert!(
        matches!(held[0].try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the fourth was closed by the header timeout, not at once"
    );
    // A silent one is closed after the header timeout (generous bound: a loaded machine).
    let (closed, took) = read_end(held.pop().unwrap(), 30).await;
    assert!(closed, "a silent connection stayed open for 30 s");
    assert!(took.as_secs() < 25, "{took:?}");
    stop.stop().await;
}
