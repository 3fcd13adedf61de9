//! Madang's HTTP/1.1 accept loop, in place of `axum::serve`, for what a public server
//! needs that axum's loop does not set:
//!
//! - **A deadline for every request's headers** (hyper's `header_read_timeout`, which
//!   needs a timer axum's loop does not give it). The clock starts whenever the
//!   connection is ready for a request, so it bounds a trickled header (slowloris) and
//!   also closes a kept-alive connection that sits idle between requests.
//! - **A cap on the connections one client address holds at once.** Past it a new
//!   connection is closed at once, before anything is read. Trusted proxies (nginx)
//!   are not capped: their connections carry many clients.
//!
//! Request bodies get their deadline from [`crate::body::read_within`], before a
//! request takes a concurrency slot. Shutdown is graceful as with axum: the listener
//! closes, every connection finishes its request in flight and closes, and `serve`
//! returns when the last one has.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::middleware::TrustedProxies;

#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Longest wait for a request's headers, from when the connection is ready for
    /// one (a new connection, or a kept-alive one between requests).
    pub header_timeout: Duration,
    /// Connections one client address may hold at once; 0: no cap.
    pub max_per_client: usize,
    /// Peers that are not capped (they are proxies for many clients).
    pub trusted_proxies: TrustedProxies,
}

/// Open connections per client address.
struct Slots {
    held: Mutex<HashMap<IpAddr, usize>>,
    max: usize,
}

/// One held connection of `ip`; dropped when the connection closes.
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Slots {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(ip).or_default();
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

/// An IPv4 client seen over IPv6 is the IPv4 client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains the
/// connections (see the module's notes).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: ConnectionSettings,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let slots = Arc::new(Slots {
        held: Mutex::new(HashMap::new()),
        max: settings.max_per_client,
    });
    // Told to drain by a send; waited for until every connection dropped its `open`.
    let (drain_tx, drain_rx) = watch::channel(());
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a little rather than spin.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ip = canonical(peer.ip());
        let slot = if settings.max_per_client == 0 || settings.trusted_proxies.trusts(ip) {
            None
        } else {
            match slots.take(ip) {
                Some(s) => Some(s),
                None => {
                    metrics::counter!("madang_http_connections_refused_total").increment(1);
                    drop(stream);
                    continue;
                }
            }
        };
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            settings.header_timeout,
            (slot, drain_rx.clone(), open_rx.clone()),
        ));
    }
    drop(listener);
    let _ = drain_tx.send(());
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    (slot, mut drain, open): (Option<Slot>, watch::Receiver<()>, watch::Receiver<()>),
) {
    let _ = stream.set_nodelay(true);
    let service = app.map_request(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.map(Body::new)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // More than Madang reads, so that a head over its limits is answered in the
        // error shape by `refuse_oversized_head` rather than by hyper, bare.
        .max_headers(4 * crate::middleware::MAX_HEADERS);
    let mut conn =
        pin!(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = drain.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    drop(slot);
    drop(open);
}
