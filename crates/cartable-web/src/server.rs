//! The HTTP server loop: hyper's HTTP/1.1 and HTTP/2 over the counted
//! listener, with graceful shutdown.
//!
//! `axum::serve` offers no way to set hyper's options, and live ingest
//! needs one: ffmpeg's HLS muxer sends each file and closes its side of
//! the connection without waiting for the answer. hyper's default then
//! drops the request's handler as soon as it reads the end of the
//! connection, so the pushed segment would never be stored; with
//! `half_close` the handler runs to its end.
//!
//! A connection whose first request asks for a live room's events goes to
//! `live::lean_events` instead, which writes them straight to the socket:
//! an idle hyper connection keeps buffers of several KiB, and a hub holds
//! hundreds of thousands of these.

use crate::Shared;
use crate::metrics::{ClientAddr, Counted, CountedListener};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tower::ServiceExt;

/// A client has this long to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the platform until `shutdown` resolves, then lets the
/// connections finish what they were doing (the caller bounds how long).
pub async fn serve(
    mut listener: CountedListener,
    state: Shared,
    shutdown: impl Future<Output = ()>,
) {
    let router = crate::router(state.clone());
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .half_close(true)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (io, addr) = tokio::select! {
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let state = state.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // Boxed: its buffer is freed before the connection is served.
            let io = match Box::pin(events_request(io)).await {
                Ok((io, target, headers)) => {
                    tokio::spawn(crate::live::lean_events(state, io, target, headers));
                    return;
                }
                Err(io) => io,
            };
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo(ClientAddr(addr)));
                    router.clone().oneshot(request)
                });
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// A request head this long or longer goes to hyper.
const HEAD_MAX: usize = 2048;

/// Whether a new connection's first request asks for a live room's events
/// (`GET /live/{id}/events`): then its head is read off the socket and
/// returned; otherwise the connection is given back untouched.
async fn events_request(mut io: Counted) -> Result<(Counted, String, HeaderMap), Counted> {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; HEAD_MAX];
    for _ in 0..20 {
        let Ok(n) = io.peek(&mut buf).await else {
            return Err(io);
        };
        let seen = &buf[..n];
        if n == 0 || !(seen.starts_with(b"GET /live/") || b"GET /live/".starts_with(seen)) {
            return Err(io);
        }
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut fields);
        match request.parse(seen) {
            Ok(httparse::Status::Complete(len)) => {
                let Some(target) = request.path.map(str::to_owned) else {
                    return Err(io);
                };
                let path = target.split('?').next().unwrap_or_default();
                if !path.ends_with("/events") || path.matches('/').count() != 3 {
                    return Err(io);
                }
                let mut headers = HeaderMap::new();
                for h in request.headers.iter() {
                    if let (Ok(name), Ok(value)) = (
                        HeaderName::from_bytes(h.name.as_bytes()),
                        HeaderValue::from_bytes(h.value),
                    ) {
                        headers.append(name, value);
                    }
                }
                let mut head = vec![0u8; len];
                if io.read_exact(&mut head).await.is_err() {
                    return Err(io);
                }
                return Ok((io, target, headers));
            }
            Ok(httparse::Status::Partial) if n < HEAD_MAX => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => return Err(io),
        }
    }
    Err(io)
}
