//! A local HTTPS server whose `Date` header is a chosen number of seconds off, answering 200
//! to every path: a CIC server or a Genesys Cloud login host with a wrong clock. Its
//! certificate is for 127.0.0.1, from the ICWS double's private CA.

use crate::icws_double::pki::Pki;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;

pub struct DateServer {
    pub port: u16,
    handle: axum_server::Handle,
}

impl DateServer {
    pub async fn start(pki: &Pki, offset_secs: i64) -> DateServer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
            pki.cert_pem.clone(),
            pki.key_pem.clone(),
        )
        .await
        .unwrap();
        let app = axum::Router::new().fallback(move || async move {
            let t = chrono::Utc::now() + chrono::Duration::seconds(offset_secs);
            let date = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            let mut r = "ok".into_response();
            r.headers_mut()
                .insert(header::DATE, HeaderValue::from_str(&date).unwrap());
            r
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp_rustls(listener, tls).handle(handle.clone());
        tokio::spawn(async move { server.serve(app.into_make_service()).await });
        DateServer { port, handle }
    }

    pub fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for DateServer {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}
