//! The per-client limits one at a time (Abuse issue), each against the server in this process:
//! a trickling body holds none of the server's places and gets a 408 page; one client IP holds
//! at most `max_in_flight_per_client` requests and `max_connections_per_ip` connections while
//! another IP is served; an HTTP/2 connection is told `max_streams_per_connection`.

use crate::common::*;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Exposed directly: no peer is a trusted proxy.
async fn start(fx: &Fixture, limits: &str) -> TestIdp {
    let cfg = fx.config_full(
        "https://idp.test",
        SECRET_A,
        "trusted_proxies = []",
        "assertion",
        &format!("[limits]\n{limits}"),
    );
    TestIdp::start(cfg).await
}

fn addr(idp: &TestIdp) -> SocketAddr {
    idp.base.trim_start_matches("http://").parse().unwrap()
}

async fn connect_from(src: [u8; 4], to: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::from((src, 0))).unwrap();
    s.connect(to).await.unwrap()
}

/// A credential POST from 127.0.0.1 whose 1,000-byte body has sent 3 bytes so far.
async fn trickling_post(to: SocketAddr) -> TcpStream {
    let mut s = connect_from([127, 0, 0, 1], to).await;
    s.write_all(
        b"POST /ICNotifierIDP/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nsta",
    )
    .await
    .unwrap();
    s
}

fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Everything the server sends on `s` until it closes it (at most `wait`).
async fn read_all(s: &mut TcpStream, wait: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickling_body_holds_no_place_and_gets_a_408_page() {
    let fx = Fixture::new();
    let idp = start(&fx, "max_concurrent = 1\nbody_read_timeout = \"1s\"\n").await;
    let mut slow = trickling_post(addr(&idp)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The only place is free while the body is awaited: the form is served.
    let p = get(&client(), &request_url(&idp.base)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    // Within 8 s: the configured 1 s, not the 10 s default (generous for a loaded machine).
    let answer = read_all(&mut slow, Duration::from_secs(8)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("<html"), "a page: {answer}");
    assert!(answer.contains("limits.body_read_timeout"), "{answer}");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_ip_holds_at_most_max_in_flight_per_client_requests() {
    let fx = Fixture::new();
    let idp = start(
        &fx,
        "max_in_flight_per_client = 2\nbody_read_timeout = \"5s\"\n",
    )
    .await;
    let _a = trickling_post(addr(&idp)).await;
    let _b = trickling_post(addr(&idp)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = client_from([127, 0, 0, 1])
        .get(request_url(&idp.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        503,
        "a third request of the same client"
    );
    let r = client_from([127, 0, 0, 2])
        .get(request_url(&idp.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "another client");
    // The probe is outside the limit.
    let r = client_from([127, 0, 0, 1])
        .get(idp.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_max_connections_per_ip_are_closed_at_once() {
    let fx = Fixture::new();
    // Idle connections are otherwise kept for a minute, so only the limit closes the fourth.
    let idp = start(
        &fx,
        "max_connections_per_ip = 3\nheader_read_timeout = \"60s\"\n",
    )
    .await;
    let to = addr(&idp);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from([127, 0, 0, 1], to).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect_from([127, 0, 0, 1], to).await;
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), fourth.read_to_end(&mut out)).await;
    assert!(closed.is_ok(), "the fourth connection was not closed");
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    let r = client_from([127, 0, 0, 2])
        .get(idp.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "another address is served");
    // A connection that ends gives its place back.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = connect_from([127, 0, 0, 1], to).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_all(&mut again, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http2_connection_is_told_max_streams_per_connection() {
    let fx = Fixture::new();
    let idp = start(&fx, "max_streams_per_connection = 7\n").await;
    let tcp = connect_from([127, 0, 0, 1], addr(&idp)).await;
    let (mut h2, conn) = h2::client::handshake(tcp).await.unwrap();
    let mut conn = Box::pin(conn);
    let req = axum::http::Request::get(idp.url("/healthz"))
        .body(())
        .unwrap();
    let (resp, _) = h2.send_request(req, true).unwrap();
    let resp = tokio::select! {
        r = resp => r.unwrap(),
        e = &mut conn => panic!("the connection ended: {e:?}"),
    };
    assert_eq!(resp.status(), 200);
    assert_eq!(conn.max_concurrent_send_streams(), 7);
    idp.stop().await;
}

/// A client that pipelines requests and never reads the answers (a small receive window)
/// held its connection for good: the server's write just waited. Now a write that makes no
/// progress for `limits.send_timeout` closes the connection.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_reading_is_closed_after_the_send_timeout() {
    let fx = Fixture::new();
    let idp = start(
        &fx,
        "send_timeout = \"1s\"\nheader_read_timeout = \"30s\"\n",
    )
    .await;
    let s = TcpSocket::new_v4().unwrap();
    s.set_recv_buffer_size(4096).unwrap();
    s.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let mut s = s.connect(addr(&idp)).await.unwrap();
    let asks = 2000;
    let one = b"GET /ICNotifierIDP/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let all: Vec<u8> = one.iter().copied().cycle().take(one.len() * asks).collect();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.write_all(&all)).await;
    // Answers pile up unread, longer than the send timeout.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut got = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got))
        .await
        .is_ok();
    let answers = String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count();
    assert!(
        ended,
        "the connection was still open ({answers} answers read)"
    );
    assert!(answers < asks, "every answer was sent: {answers}");
    idp.stop().await;
}
