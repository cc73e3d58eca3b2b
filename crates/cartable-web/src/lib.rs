//! cartable's HTTP face: the JSON API under `/api/v1`, media delivery under
//! `/media`, the server-rendered pages under `/{lang}/`, and the operational
//! endpoints `/healthz` and `/metrics`.
//!
//! Handlers are thin: they parse the request, call the store, and map the
//! result. Start with [`router`], which lists every route.

mod api;
pub mod archive;
pub mod auth;
mod cache;
mod error;
mod i18n;
pub mod library;
pub mod live;
mod media;
pub mod metrics;
pub mod quiz;
mod search;
mod server;
mod signin;
pub mod sync;
mod ui;
pub mod xapi;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use cartable_core::Taxonomy;
use cartable_search::SearchIndex;
use cartable_store::{BlobStore, Db};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;

pub use error::ApiError;
pub use server::serve;
pub use signin::Hashing;

/// What the command line shares with the HTTP API, so both check the same
/// rules: adding users, enrolling a CSV, making API tokens.
pub mod accounts {
    pub use crate::api::accounts::{add_user_checked, enrol_csv, make_token};
}
pub use i18n::UiLang;
pub use search::{
    FollowError, catch_up_at_start as search_catch_up, keep_current as keep_search_current,
    rebuild as rebuild_search,
};

/// How many argon2id hashes may run at once (the threads that run them):
/// one per core of a small box, 19 MiB each.
pub const HASHING_AT_ONCE: usize = 2;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub blobs: BlobStore,
    pub taxonomy: Taxonomy,
    pub search: SearchIndex,
    pub settings: Settings,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Woken when this node changed the catalog, so search catches up at once.
    pub search_changed: tokio::sync::Notify,
    limiter: auth::Limiter,
    pub hashing: signin::Hashing,
    responses: cache::ResponseCache,
    pub lrs: xapi::Lrs,
    /// A hub's signing key (`cartable keys init`), which signs the records
    /// it sends to boxes; unset on a box or a hub without one.
    pub hub_key: std::sync::OnceLock<cartable_core::satchel::KeyPair>,
    /// Keeps each box's pushed chunks settling in order.
    pub sync_gates: sync::Gates,
    /// The live rooms this node holds open.
    pub rooms: live::Rooms,
    /// On a school relay: the hub the room's forms go to.
    pub upstream: std::sync::OnceLock<std::sync::Arc<dyn live::Upstream>>,
    /// Woken when this node ended a live session, so its recording is
    /// made into a capsule at once.
    pub recordings_due: tokio::sync::Notify,
    playlists: live::Playlists,
    /// Quizzes and questions kept between requests, and the line of
    /// learners starting attempts.
    pub quizzes: quiz::Quizzes,
}

/// The settings of the web layer.
#[derive(Debug, Clone)]
pub struct Settings {
    pub default_lang: UiLang,
    /// Whether cookies say `Secure`: true unless the platform is served
    /// over plain HTTP (a classroom box without a certificate).
    pub secure_cookies: bool,
    /// The platform's address as its users know it; the homePage of the
    /// accounts that name users in learning records.
    pub public_url: String,
    /// On a box serving a satchel: the box's name, which its records carry
    /// (marked offline in the hub's counts).
    pub satchel_box: Option<String>,
    /// The archive's name and contact, as OAI-PMH Identify tells
    /// harvesters.
    pub archive_name: String,
    pub archive_email: String,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(
        db: Db,
        blobs: BlobStore,
        taxonomy: Taxonomy,
        search: SearchIndex,
        settings: Settings,
        metrics: metrics_exporter_prometheus::PrometheusHandle,
    ) -> Shared {
        let lrs = xapi::Lrs::new(db.clone(), settings.public_url.clone());
        Arc::new(AppState {
            db,
            blobs,
            taxonomy,
            search,
            settings,
            metrics,
            search_changed: tokio::sync::Notify::new(),
            limiter: auth::Limiter::new(),
            hashing: signin::Hashing::new(HASHING_AT_ONCE),
            responses: cache::new(),
            lrs,
            hub_key: std::sync::OnceLock::new(),
            sync_gates: sync::Gates::default(),
            rooms: live::Rooms::default(),
            recordings_due: tokio::sync::Notify::new(),
            upstream: std::sync::OnceLock::new(),
            playlists: live::Playlists::default(),
            quizzes: quiz::Quizzes::default(),
        })
    }
}

/// Every route of the platform. The LRS (`/xapi`) and media sit outside
/// the session layer: the LRS checks its own credentials (keys, or a
/// session with its CSRF header), media needs none.
pub fn router(state: Shared) -> Router {
    // Pages and JSON shrink several times with gzip; media is already
    // compressed and must keep exact byte ranges, so it gets none.
    // Catalog and search answers are the same for everyone: kept a moment,
    // after compression, so a hit costs neither SQL nor gzip. Answers that
    // depend on who asks are never kept.
    let cached = || from_fn_with_state(state.clone(), cache::layer);
    let api = Router::new()
        .merge(
            api::router()
                .merge(search::router())
                .merge(archive::api_router())
                .layer(CompressionLayer::new())
                .layer(cached()),
        )
        .merge(
            api::accounts::router()
                .merge(api::progress::router())
                .merge(api::assignments::router())
                .merge(quiz::api_router())
                .layer(CompressionLayer::new()),
        )
        .fallback(|| async { ApiError::NotFound("this API route".into()) });
    let pages = ui::router()
        .layer(CompressionLayer::new())
        .layer(cached())
        .merge(ui::personal_router().layer(CompressionLayer::new()));
    Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .layer(from_fn_with_state(state.clone(), auth::layer))
        .merge(archive::router())
        .merge(live::router())
        .merge(library::router().layer(CompressionLayer::new()))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::render))
        .nest("/media", media::router())
        .nest(
            "/sync/v1",
            sync::router().layer(axum::extract::DefaultBodyLimit::max(
                cartable_core::sync::MAX_CHUNK_BYTES,
            )),
        )
        .nest_service("/xapi", xapi::service(state.clone()))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}
