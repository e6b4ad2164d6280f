//! The floor of `scripts/bench.sh`: the least any server on our stack can do per answer.
//!
//! An HTTP server on the same axum/tokio/hyper/OpenSSL stack as the IdP that answers every GET
//! with what the IdP sends for an SSO-session login, and does nothing else: a page of the same
//! size carrying a base64 `SAMLResponse` field, whose text holds one fresh RSA-2048 PKCS#1 v1.5
//! SHA-256 signature (a new key at start, the signing context kept per thread as the IdP does),
//! made on the worker that answers. No SAML parsing, no cookie, no logging, no XML. `bench.sh`
//! loads it like the IdP, so the gap between the RSA ceiling and this floor is what the machine,
//! the load generator and the HTTP stack take, and the gap between the floor and the IdP is
//! what the identity provider's own work takes. Not part of the product.
//!
//! Usage: `bench_floor <listen address> <page bytes>`; it prints `ready` once it listens.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use base64::Engine;
use openssl::md::Md;
use openssl::pkey::{PKey, Private};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Rsa;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

static KEY: OnceLock<PKey<Private>> = OnceLock::new();
static COUNT: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static CTX: RefCell<Option<PkeyCtx<Private>>> = const { RefCell::new(None) };
}

fn sign(data: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let digest = openssl::sha::sha256(data);
    let mut out = Vec::with_capacity(256);
    CTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let key = KEY.get().ok_or_else(openssl::error::ErrorStack::get)?;
            let mut ctx = PkeyCtx::new(key)?;
            ctx.sign_init()?;
            ctx.set_signature_md(Md::sha256())?;
            *slot = Some(ctx);
        }
        match slot.as_mut() {
            Some(ctx) => ctx.sign_to_vec(&digest, &mut out),
            None => Err(openssl::error::ErrorStack::get()),
        }
    })?;
    Ok(out)
}

/// The page: `bytes` long in all, a fresh signed text in its base64 field.
fn page(bytes: usize) -> axum::response::Response {
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let head =
        "<!DOCTYPE html><html><body><form method=\"post\" action=\"https://sp.bench.test/acs\">\
                <input type=\"hidden\" name=\"SAMLResponse\" value=\"";
    let tail = "\"></form></body></html>";
    // Base64 grows text by 4/3; the text is sized so the whole page comes out at `bytes`.
    let room = bytes.saturating_sub(head.len() + tail.len() + 344) * 3 / 4;
    let mut text = format!("answer {n} ").into_bytes();
    text.resize(room.max(text.len()), b'x');
    let signature = match sign(&text) {
        Ok(s) => s,
        Err(e) => {
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
    };
    text.extend_from_slice(&signature);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut body = String::with_capacity(bytes + 64);
    body.push_str(head);
    b64.encode_string(&text, &mut body);
    body.push_str(tail);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let bytes: usize = args.next().map_or(Ok(7000), |b| b.parse())?;
    KEY.set(PKey::from_rsa(Rsa::generate(2048)?)?)
        .map_err(|_| "key set twice")?;
    let bytes = Arc::new(bytes);
    let app = Router::new().fallback(get(move || {
        let bytes = bytes.clone();
        async move { page(*bytes) }
    }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("ready");
    axum::serve(listener, app).await?;
    Ok(())
}
