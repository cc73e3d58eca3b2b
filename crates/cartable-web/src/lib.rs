//! cartable's HTTP face: the JSON API under `/api/v1`, media delivery under
//! `/media`, the server-rendered pages under `/{lang}/`, and the operational
//! endpoints `/healthz` and `/metrics`.
//!
//! Handlers are thin: they parse the request, call the store, and map the
//! result. Start with [`router`], which lists every route.

mod api;
mod cache;
mod error;
mod i18n;
mod media;
pub mod metrics;
mod ui;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use cartable_core::Taxonomy;
use cartable_store::{BlobStore, Db};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;

pub use error::ApiError;
pub use i18n::UiLang;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub blobs: BlobStore,
    pub taxonomy: Taxonomy,
    pub default_lang: UiLang,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    responses: cache::ResponseCache,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(
        db: Db,
        blobs: BlobStore,
        taxonomy: Taxonomy,
        default_lang: UiLang,
        metrics: metrics_exporter_prometheus::PrometheusHandle,
    ) -> Shared {
        Arc::new(AppState {
            db,
            blobs,
            taxonomy,
            default_lang,
            metrics,
            responses: cache::new(),
        })
    }
}

/// Every route of the platform.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::render))
        // Pages and JSON shrink several times with gzip; media is already
        // compressed and must keep exact byte ranges, so it gets none.
        // Catalog answers are the same for everyone: kept a moment, after
        // compression, so a hit costs neither SQL nor gzip.
        .nest(
            "/api/v1",
            api::router()
                .layer(CompressionLayer::new())
                .layer(from_fn_with_state(state.clone(), cache::layer)),
        )
        .nest("/media", media::router())
        .merge(
            ui::router()
                .layer(CompressionLayer::new())
                .layer(from_fn_with_state(state.clone(), cache::layer)),
        )
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}
