//! The HTTP server loop: hyper's HTTP/1.1 and HTTP/2 over the counted
//! listener, with graceful shutdown.
//!
//! `axum::serve` offers no way to set hyper's options, and live ingest
//! needs one: ffmpeg's HLS muxer sends each file and closes its side of
//! the connection without waiting for the answer. hyper's default then
//! drops the request's handler as soon as it reads the end of the
//! connection, so the pushed segment would never be stored; with
//! `half_close` the handler runs to its end.

use crate::metrics::{ClientAddr, CountedListener};
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tower::ServiceExt;

/// A client has this long to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` until `shutdown` resolves, then lets the connections
/// finish what they were doing (the caller bounds how long).
pub async fn serve(
    mut listener: CountedListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
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
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo(ClientAddr(addr)));
            router.clone().oneshot(request)
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(io), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
