//! The attacker of `slow_clients`: from 127.0.0.1, up to 1,000 connections to the server,
//! each a slow body, a slow header, a silent connection, or an HTTP/2 connection whose streams
//! are POSTs with trickling bodies; each reopened when the server closes it, all over when the
//! attack's time is up.

use super::ATTACKER;
use crate::common::Fixture;
use axum::body::Bytes;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Connections of the attacker: slow bodies (more than `limits.max_concurrent`), slow
/// headers, silent ones, and HTTP/2 connections with 200 streams each.
const SLOW_BODIES: usize = 597;
const SLOW_HEADERS: usize = 250;
const SILENT_ONES: usize = 150;
const H2_CONNECTIONS: usize = 3;
const H2_STREAMS: usize = 200;
/// How long the attack lasts, and when the user starts logging in.
pub const ATTACK: Duration = Duration::from_secs(14);
pub const RAMP_UP: Duration = Duration::from_secs(3);
/// The pace of the attacker's bytes, and its pause before it opens a closed connection again.
const TRICKLE: Duration = Duration::from_millis(400);
const REOPEN: Duration = Duration::from_millis(500);

pub async fn connect_from(src: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::from((src, 0)))?;
    s.connect(to).await
}

/// A TLS client that trusts the fixture's certificate and offers one protocol.
pub fn connector(fx: &Fixture, alpn: &[u8]) -> tokio_rustls::TlsConnector {
    let pem = std::fs::read(fx.tls().0).unwrap();
    let der = openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .to_der()
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der.into()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

#[derive(Clone)]
pub struct Attacker {
    pub to: SocketAddr,
    pub h1: tokio_rustls::TlsConnector,
    pub h2: tokio_rustls::TlsConnector,
    pub until: Instant,
    /// TLS connections the attacker got.
    pub opened: Arc<AtomicUsize>,
    /// Attempts that did not get one (refused or timed out).
    pub refused: Arc<AtomicUsize>,
}

impl Attacker {
    async fn open(&self, tls: &tokio_rustls::TlsConnector) -> Option<Tls> {
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").ok()?;
        let tcp = connect_from(ATTACKER, self.to).await.ok()?;
        match tls.connect(name, tcp).await {
            Ok(s) => {
                self.opened.fetch_add(1, Ordering::Relaxed);
                Some(s)
            }
            Err(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Every kind of connection at once, interleaved so that each kind gets its share of the
    /// connections the server allows; over when the attack's time is up.
    pub async fn run(self) {
        let body_head: &'static [u8] = b"POST /ICNotifierIDP/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
            Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n";
        let header_head: &'static [u8] = b"POST /ICNotifierIDP/login?loginType=saml HTTP/1.1\r\n";
        let mut kinds: Vec<(f64, u8)> = [(SLOW_BODIES, 0u8), (SLOW_HEADERS, 1), (SILENT_ONES, 2)]
            .iter()
            .flat_map(|&(n, k)| (0..n).map(move |j| (j as f64 / n as f64, k)))
            .collect();
        kinds.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut tasks = Vec::new();
        for (_, kind) in kinds {
            let a = self.clone();
            tasks.push(match kind {
                0 => tokio::spawn(a.trickle(body_head, b"aaaaaaaaa")),
                1 => tokio::spawn(a.trickle(header_head, b"X-Pad: x\r\n")),
                _ => tokio::spawn(a.silent()),
            });
        }
        for _ in 0..H2_CONNECTIONS {
            tasks.push(tokio::spawn(self.clone().h2_streams()));
        }
        tokio::time::sleep_until(self.until.into()).await;
        for t in tasks {
            t.abort();
        }
    }

    fn on(&self) -> bool {
        Instant::now() < self.until
    }

    /// Sends `head` at once, then `drip` a few bytes at a time, again and again, while the
    /// attack lasts; opens the connection again when the server closes it.
    async fn trickle(self, head: &'static [u8], drip: &'static [u8]) {
        while self.on() {
            if let Some(mut s) = self.open(&self.h1).await {
                if s.write_all(head).await.is_ok() {
                    'conn: while self.on() {
                        for chunk in drip.chunks(3) {
                            tokio::time::sleep(TRICKLE).await;
                            if !self.on() || s.write_all(chunk).await.is_err() {
                                break 'conn;
                            }
                        }
                    }
                }
            }
            tokio::time::sleep(REOPEN).await;
        }
    }

    /// Completes the handshake, then sends nothing until the server closes the connection.
    async fn silent(self) {
        while self.on() {
            if let Some(mut s) = self.open(&self.h1).await {
                let left = self.until.saturating_duration_since(Instant::now());
                let _ = tokio::time::timeout(left, s.read(&mut [0u8; 64])).await;
            }
            tokio::time::sleep(REOPEN).await;
        }
    }

    /// An HTTP/2 connection on which every stream is a POST whose body trickles.
    async fn h2_streams(self) {
        while self.on() {
            let Some(s) = self.open(&self.h2).await else {
                tokio::time::sleep(REOPEN).await;
                continue;
            };
            let Ok((client, conn)) = h2::client::handshake(s).await else {
                continue;
            };
            let conn = tokio::spawn(conn);
            let mut streams = Vec::new();
            for _ in 0..H2_STREAMS {
                let (client, a) = (client.clone(), self.clone());
                streams.push(tokio::spawn(async move { a.h2_stream(client).await }));
            }
            for t in streams {
                let _ = t.await;
            }
            conn.abort();
        }
    }

    async fn h2_stream(&self, client: h2::client::SendRequest<Bytes>) {
        while self.on() {
            let Ok(Ok(mut client)) =
                tokio::time::timeout(self.until - Instant::now(), client.clone().ready()).await
            else {
                return;
            };
            let req = axum::http::Request::post(format!(
                "https://127.0.0.1:{}/ICNotifierIDP/login",
                self.to.port()
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("content-length", "100000")
            .body(())
            .unwrap();
            let Ok((_resp, mut body)) = client.send_request(req, false) else {
                return;
            };
            while self.on() {
                body.reserve_capacity(1);
                if body.send_data(Bytes::from_static(b"a"), false).is_err() {
                    break;
                }
                tokio::time::sleep(TRICKLE).await;
            }
        }
    }
}
