//! The double's test-only behaviour: every request recorded, timed and counted while in
//! flight, the fixed latency, and the modes (backup 503, hang, 500, connection reset) applied
//! before the ICWS resources.

use super::resources::icws_error;
use super::{DoubleState, Mode, Seen};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_server::accept::Accept;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Records the request, then applies the mode and the latency; times the answer.
pub async fn behaviour(State(st): State<Arc<DoubleState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    st.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    // Counted out however the answer ends (a hanging one is dropped with its connection).
    struct Out<'a>(&'a std::sync::atomic::AtomicUsize);
    impl Drop for Out<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let _out = Out(&st.in_flight);
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    st.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        accept_language: parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    let latency = *st.latency.lock().unwrap();
    tokio::time::sleep(latency).await;
    let resp = match st.mode() {
        Mode::Hang => std::future::pending().await,
        Mode::Fail500 => icws_error(StatusCode::INTERNAL_SERVER_ERROR, "error.server.internal"),
        Mode::Backup(hosts) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "errorId": "error.server.unavailable",
                "message": "This server is the backup of a switchover pair.",
                "alternateHostList": hosts,
            })),
        )
            .into_response(),
        Mode::Active | Mode::Reset => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
    };
    let spent = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    st.busy_nanos.fetch_add(spent, Ordering::SeqCst);
    resp
}

/// Resets new connections in [`Mode::Reset`]: reads what the client sent, then closes the
/// socket with SO_LINGER 0 so the client sees a reset, not an orderly close.
#[derive(Clone)]
pub struct ResetAcceptor(pub Arc<DoubleState>);

impl<S: Send + 'static> Accept<TcpStream, S> for ResetAcceptor {
    type Stream = TcpStream;
    type Service = S;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<(TcpStream, S)>> + Send>>;

    fn accept(&self, mut stream: TcpStream, service: S) -> Self::Future {
        let st = self.0.clone();
        Box::pin(async move {
            if st.mode() == Mode::Reset {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 8192];
                let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
                let _ = stream.set_zero_linger();
                drop(stream);
                return Err(std::io::Error::other("reset by the ICWS test double"));
            }
            Ok((stream, service))
        })
    }
}
