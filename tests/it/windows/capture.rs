//! A Negotiate token as a real client sends it: a loopback HTTP listener answers `401` with
//! `WWW-Authenticate: Negotiate` and records the `Authorization` header of the retry, and
//! `curl --negotiate` (GSSAPI with the ticket from `kinit`) is the client.

use super::kdc::Kdc;
use std::io::{BufRead, BufReader, Write};

/// The `Authorization` value curl sends to `http://localhost:<port>/` with the tickets in
/// `ccache` (service principal `HTTP/localhost`), or `None` when it sent none.
pub fn negotiate_header(kdc: &Kdc, ccache: &str) -> Option<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut seen = None;
        for _ in 0..2 {
            let Ok((mut s, _)) = listener.accept() else {
                break;
            };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut auth = None;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.strip_prefix("Authorization: ") {
                    auth = Some(v.trim().to_string());
                }
            }
            let answer = if auth.is_some() {
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            } else {
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            let _ = s.write_all(answer.as_bytes());
            if auth.is_some() {
                seen = auth;
                break;
            }
        }
        seen
    });
    let out = kdc
        .cmd("curl")
        .env("KRB5CCNAME", ccache)
        .args([
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "60",
            "--negotiate",
            "-u",
            ":",
        ])
        .arg(format!("http://localhost:{port}/"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // curl gave up after the 401 without a token: unblock the listener.
    let _ = std::net::TcpStream::connect(("127.0.0.1", port));
    server.join().unwrap()
}
