//! Admission: what one client may hold of the server while it sends nothing useful.
//!
//! Owns the per-client counts (TCP connections per peer address, requests in flight per client
//! IP) and the two acceptors the listener runs every connection through: [`Admit`] refuses a
//! connection beyond `limits.max_connections_per_ip` (trusted proxies are not counted: behind
//! one, every client shares its address) and [`FirstBytes`] closes a connection whose first
//! request bytes do not arrive within `limits.header_read_timeout` after the TLS handshake
//! (hyper's own header timeout starts only once it knows the protocol, and its protocol
//! sniffing waits for bytes without a bound). Clients are counted by IPv4 address or by IPv6
//! /64, the block one subscriber gets. It also makes the listening sockets (a deep accept
//! queue). It does not read requests: `guard` does.

use crate::values::Cidr;
use axum_server::accept::Accept;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The first bytes of every HTTP/2 connection.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The accept queue of a listener: room for a burst of connections, so that a flood of them
/// from one client (each refused at once) does not crowd out another client's.
const BACKLOG: u32 = 4096;

/// A listening socket on `addr` with a deep accept queue (the kernel caps it at
/// `net.core.somaxconn`). Call it inside the Tokio runtime.
pub fn listen(addr: std::net::SocketAddr) -> io::Result<std::net::TcpListener> {
    let s = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    s.set_reuseaddr(true)?;
    s.bind(addr)?;
    s.listen(BACKLOG)?.into_std()
}

/// The key a client is counted under: its IPv4 address (IPv4-mapped IPv6 included), or the
/// /64 of its IPv6 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(
                u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
            )),
        },
    }
}

/// How many of something each client holds now.
#[derive(Default)]
pub struct Counts {
    map: Mutex<HashMap<IpAddr, u32>>,
}

/// One unit held by one client, given back when dropped.
pub struct Slot {
    counts: Arc<Counts>,
    key: IpAddr,
}

impl Counts {
    /// One more for `ip`'s client, unless it already holds `max`.
    pub fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let key = client_key(ip);
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(key).or_insert(0);
        if *n as usize >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            counts: self.clone(),
            key,
        })
    }

    /// What `ip`'s client holds now.
    pub fn held(&self, ip: IpAddr) -> u32 {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&client_key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.counts.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// The acceptor that counts TCP connections per peer and refuses one beyond the cap.
#[derive(Clone)]
pub struct Admit {
    counts: Arc<Counts>,
    max: usize,
    exempt: Arc<Vec<Cidr>>,
    send_timeout: Duration,
}

impl Admit {
    /// `send_timeout`: how long a write to the client may make no progress (a client that
    /// stopped reading) before the connection is closed.
    pub fn new(max: usize, exempt: Vec<Cidr>, send_timeout: Duration) -> Admit {
        Admit {
            counts: Arc::default(),
            max,
            exempt: Arc::new(exempt),
            send_timeout,
        }
    }
}

impl<S> Accept<TcpStream, S> for Admit {
    type Stream = Held<TcpStream>;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Held<TcpStream>, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let ip = match stream.peer_addr() {
            Ok(a) => a.ip(),
            Err(e) => return std::future::ready(Err(e)),
        };
        if self.exempt.iter().any(|c| c.contains(ip)) {
            return std::future::ready(Ok((
                Held::new(stream, None, Some(self.send_timeout)),
                service,
            )));
        }
        std::future::ready(match self.counts.take(ip, self.max) {
            Some(slot) => Ok((
                Held::new(stream, Some(slot), Some(self.send_timeout)),
                service,
            )),
            None => {
                tracing::debug!(%ip, "refused a connection: limits.max_connections_per_ip");
                Err(io::Error::other("too many connections from one client"))
            }
        })
    }
}

/// A stream that holds its client's connection slot while it lives, first hands out the
/// bytes [`FirstBytes`] read ahead, and fails a write that makes no progress for its send
/// timeout: a client that asks and never reads the answer (pipelined requests, a tiny receive
/// window) would otherwise hold the connection for good.
pub struct Held<S> {
    inner: S,
    ahead: Vec<u8>,
    pos: usize,
    _slot: Option<Slot>,
    send_timeout: Option<Duration>,
    /// Running while a write is waiting for the client to read.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Held<S> {
    fn new(inner: S, slot: Option<Slot>, send_timeout: Option<Duration>) -> Held<S> {
        Held {
            inner,
            ahead: Vec::new(),
            pos: 0,
            _slot: slot,
            send_timeout,
            stalled: None,
        }
    }

    /// `r` of a write or flush: a pending one starts (or goes on with) the stall clock, which
    /// turns it into an error when it runs out; any progress stops it.
    fn watch<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        let Some(timeout) = self.send_timeout.filter(|_| r.is_pending()) else {
            self.stalled = None;
            return r;
        };
        let clock = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match clock.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::debug!(
                    "closed a connection whose client stopped reading: limits.send_timeout"
                );
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client stopped reading",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Held<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.ahead.len() {
            let n = buf.remaining().min(self.ahead.len() - self.pos);
            let start = self.pos;
            buf.put_slice(&self.ahead[start..start + n]);
            self.pos += n;
            if self.pos == self.ahead.len() {
                self.ahead = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Held<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The acceptor that waits at most `timeout` for the bytes that tell HTTP/1 from HTTP/2 (one
/// byte, or the 24 of the HTTP/2 preface), after `inner` (the TLS handshake) is done.
#[derive(Clone)]
pub struct FirstBytes<A> {
    inner: A,
    timeout: Duration,
}

impl<A> FirstBytes<A> {
    pub fn new(inner: A, timeout: Duration) -> FirstBytes<A> {
        FirstBytes { inner, timeout }
    }
}

type Accepted<T, S> = Pin<Box<dyn Future<Output = io::Result<(T, S)>> + Send>>;

impl<A, I, S> Accept<I, S> for FirstBytes<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Held<A::Stream>;
    type Service = A::Service;
    type Future = Accepted<Held<A::Stream>, A::Service>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let accepted = self.inner.accept(stream, service);
        let timeout = self.timeout;
        Box::pin(async move {
            let (mut stream, service) = accepted.await?;
            let deadline = tokio::time::Instant::now() + timeout;
            let mut ahead = Vec::with_capacity(H2_PREFACE.len());
            while ahead.len() < H2_PREFACE.len() && H2_PREFACE.starts_with(&ahead) {
                let mut chunk = [0u8; 24];
                let want = H2_PREFACE.len() - ahead.len();
                let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk[..want]))
                    .await
                    .map_err(|_| {
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no request within limits.header_read_timeout",
                        )
                    })??;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                ahead.extend_from_slice(&chunk[..n]);
            }
            // The stall clock runs on the TCP stream underneath (Admit's); not again here.
            let mut held = Held::new(stream, None, None);
            held.ahead = ahead;
            Ok((held, service))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_counted_by_address_or_ipv6_block() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("10.1.2.3")), ip("10.1.2.3"));
        assert_eq!(client_key(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
        assert_eq!(client_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        let c = Arc::new(Counts::default());
        let a = c.take(ip("2001:db8:1:2::1"), 2).unwrap();
        let _b = c.take(ip("2001:db8:1:2::2"), 2).unwrap();
        assert!(c.take(ip("2001:db8:1:2::3"), 2).is_none(), "same /64");
        assert!(c.take(ip("2001:db8:1:3::1"), 2).is_some(), "another /64");
        drop(a);
        assert_eq!(c.held(ip("2001:db8:1:2::9")), 1);
        assert!(c.take(ip("2001:db8:1:2::3"), 2).is_some(), "given back");
    }
}
