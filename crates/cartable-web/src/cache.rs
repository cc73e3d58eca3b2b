//! A short-lived cache of whole responses for pages and the JSON API.
//!
//! Catalog pages and listings are the same for every visitor, so at
//! national scale they are served many times between two changes. Each
//! answer is kept for [`TTL`] (compressed or not, as asked), which spares
//! the database and the templates while a change made by an import in
//! another process still shows within seconds. When an answer expires, one
//! request makes the next while the others get the expired one (for at
//! most [`STALE`]), so a popular page never stampedes the database. A cache or CDN in front can
//! hold the same answers longer: they say `Cache-Control: public`.

use crate::Shared;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long an answer is reused.
pub const TTL: Duration = Duration::from_secs(2);
/// How long an expired answer may still be sent while one request makes
/// the new one, so that the expiry of a popular page does not send every
/// waiting visitor to the database at once.
pub const STALE: Duration = Duration::from_secs(30);
/// The cache's size in bytes of kept bodies.
const CAPACITY: u64 = 32 * 1024 * 1024;
/// Answers larger than this are not kept.
const LARGEST: usize = 1024 * 1024;
/// What an API answer tells caches in front, when its handler said nothing.
const API_CACHE_CONTROL: &str = "public, max-age=10";

pub struct Kept {
    at: Instant,
    /// Set by the one request that is making the next answer.
    refreshing: AtomicBool,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
pub struct BodyWeight;

impl Weighter<String, Arc<Kept>> for BodyWeight {
    fn weight(&self, key: &String, kept: &Arc<Kept>) -> u64 {
        (key.len() + kept.body.len() + 256) as u64
    }
}

pub type ResponseCache = Cache<String, Arc<Kept>, BodyWeight>;

pub fn new() -> ResponseCache {
    Cache::with_weighter(4096, CAPACITY, BodyWeight)
}

fn rebuild(kept: &Kept) -> Response {
    let mut response = Response::new(Body::from(kept.body.clone()));
    *response.status_mut() = kept.status;
    *response.headers_mut() = kept.headers.clone();
    response
}

/// Serves a GET from the cache when a fresh answer is kept; otherwise
/// runs the handler and keeps its successful answer.
pub async fn layer(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || personal_home(&request) {
        return next.run(request).await;
    }
    let gzip = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let key = format!("{}{}", if gzip { "z" } else { "-" }, request.uri());
    let kept = state.responses.get(&key);
    if let Some(kept) = &kept {
        let age = kept.at.elapsed();
        if age < TTL || (age < STALE && kept.refreshing.swap(true, Ordering::AcqRel)) {
            metrics::counter!("response_cache_hits_total").increment(1);
            return rebuild(kept);
        }
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        if let Some(kept) = kept {
            kept.refreshing.store(false, Ordering::Release);
        }
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Pages and API answers are rendered in memory already: collecting
    // them costs no more memory than they hold.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(API_CACHE_CONTROL));
    let kept = Kept {
        at: Instant::now(),
        refreshing: AtomicBool::new(false),
        status: parts.status,
        headers: parts.headers,
        body,
    };
    let response = rebuild(&kept);
    if kept.body.len() <= LARGEST {
        state.responses.insert(key, Arc::new(kept));
    }
    response
}

/// The home page of a signed-in browser shows that learner's assignments:
/// it is never taken from nor put in the shared cache.
fn personal_home(request: &Request) -> bool {
    let path = request.uri().path();
    let home = path.len() == 4 && path.starts_with('/') && path.ends_with('/');
    home && request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(crate::auth::SESSION_COOKIE))
}
