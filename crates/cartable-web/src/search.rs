//! Search over HTTP, and the task that keeps this node's index current.
//!
//! `GET /api/v1/search` and `GET /api/v1/search/suggest` answer from the
//! node's tantivy index (`cartable-search`). The index follows the
//! catalog's change feed in SQL (capsules' `updated_at`, and removals):
//! [`keep_current`] polls it every [`POLL`], or at once when this node
//! changed the catalog, so a capsule imported by another process or node
//! is searchable within seconds.

use crate::{ApiError, Shared};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cartable_core::Taxonomy;
use cartable_core::catalog::Capsule;
use cartable_search::{Doc, QueryError, SearchIndex, SearchQuery};
use cartable_store::{BlobStore, Db};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

/// How often the change feed is read.
pub const POLL: Duration = Duration::from_secs(2);
/// How far back each read looks past the last one, so a write whose
/// transaction committed just after a read is not missed.
const OVERLAP: i64 = 10;
/// Kinds of document search knows; the library comes later.
const KINDS: [&str; 2] = ["capsule", "archive"];
const MAX_LIMIT: usize = 50;

pub fn router() -> axum::Router<Shared> {
    Router::new()
        .route("/search", get(search))
        .route("/search/suggest", get(suggest))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    pub q: Option<String>,
    pub lang: Option<String>,
    pub kind: Option<String>,
    pub level: Option<String>,
    pub subject: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    /// The language titles are shown in (default: the document's).
    pub ui: Option<String>,
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        if e.is_bad_input() {
            ApiError::InvalidParameter(format!("q: {e}"))
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

/// Checks the filters of a search against the taxonomy and builds it.
pub fn query(state: &Shared, p: SearchParams) -> Result<SearchQuery, ApiError> {
    if let Some(level) = &p.level
        && state.taxonomy.level(level).is_none()
    {
        return Err(ApiError::InvalidParameter(format!(
            "level: no level \"{level}\""
        )));
    }
    if let Some(subject) = &p.subject
        && state.taxonomy.subject(subject).is_none()
    {
        return Err(ApiError::InvalidParameter(format!(
            "subject: no subject \"{subject}\""
        )));
    }
    if let Some(kind) = &p.kind
        && !KINDS.contains(&kind.as_str())
    {
        return Err(ApiError::InvalidParameter(format!(
            "kind: \"{kind}\" is not one of {}",
            KINDS.join(", ")
        )));
    }
    if let Some(lang) = &p.lang
        && cartable_core::Lang::try_from(lang.as_str()).is_err()
    {
        return Err(ApiError::InvalidParameter(format!(
            "lang: \"{lang}\" is not a language code"
        )));
    }
    let limit = p.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::InvalidParameter(format!(
            "limit: between 1 and {MAX_LIMIT}"
        )));
    }
    let offset = p.offset.unwrap_or(0);
    if offset > 10_000 {
        return Err(ApiError::InvalidParameter("offset: at most 10000".into()));
    }
    Ok(SearchQuery {
        text: p.q.unwrap_or_default(),
        display_lang: p.ui.unwrap_or_default(),
        lang: p.lang,
        kind: p.kind,
        level: p.level,
        subject: p.subject,
        limit,
        offset,
    })
}

async fn search(
    State(state): State<Shared>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let q = query(&state, params)?;
    let index = state.search.clone();
    let mut results = tokio::task::spawn_blocking(move || index.search(&q))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    for h in &mut results.hits {
        h.id = crate::archive::item_id(&h.id).to_owned();
    }
    Ok(Json(results).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestParams {
    q: Option<String>,
    ui: Option<String>,
}

/// As-you-type: a few titles for what is typed so far. Public, cheap and
/// cacheable, so a page may call it on every keystroke.
async fn suggest(
    State(state): State<Shared>,
    params: Result<Query<SuggestParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let text = p.q.unwrap_or_default();
    let ui = p.ui.unwrap_or_default();
    let index = state.search.clone();
    let found = tokio::task::spawn_blocking(move || index.suggest(&text, &ui, 8))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let mut response = Json(json!({ "suggestions": found })).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

/// Caption files are WebVTT: their text without cue timings and headers.
fn caption_text(vtt: &str) -> String {
    vtt.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.contains("-->")
                && !l.starts_with("WEBVTT")
                && !l.starts_with("NOTE")
                && !l.bytes().all(|b| b.is_ascii_digit())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What search knows of a capsule: every title, summary, the transcript,
/// caption text, and the names of its level and subject in every language.
pub async fn capsule_doc(blobs: &BlobStore, taxonomy: &Taxonomy, c: &Capsule) -> Doc {
    let pairs = |t: &cartable_core::Translations| {
        t.iter()
            .map(|(l, s)| (l.to_string(), s.clone()))
            .collect::<Vec<_>>()
    };
    let mut body = pairs(&c.summaries);
    if let Some(t) = &c.transcript {
        body.push((c.lang.to_string(), t.clone()));
    }
    for (lang, hash) in &c.captions {
        match blobs.get(hash).await {
            Ok(bytes) => body.push((
                lang.to_string(),
                caption_text(&String::from_utf8_lossy(&bytes)),
            )),
            Err(e) => tracing::warn!(capsule = %c.id, error = %e, "captions not indexed"),
        }
    }
    let mut keywords = vec![];
    if let Some(level) = taxonomy.level(c.level.as_str()) {
        keywords.extend(pairs(&level.label));
    }
    if let Some(subject) = taxonomy.subject(c.subject.as_str()) {
        keywords.extend(pairs(&subject.label));
    }
    keywords.extend(c.tags.iter().map(|t| (c.lang.to_string(), t.clone())));
    Doc {
        id: c.id.to_string(),
        kind: "capsule".into(),
        lang: c.lang.to_string(),
        level: Some(c.level.to_string()),
        subject: Some(c.subject.to_string()),
        titles: pairs(&c.titles),
        body,
        keywords,
        archive: None,
    }
}

/// Why the index could not follow the catalog: logged, never fatal to
/// serving.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("{0}")]
    Store(#[from] cartable_store::StoreError),
    #[error("{0}")]
    Search(#[from] cartable_search::SearchError),
    #[error("{0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Rebuilds the whole index from SQL (`cartable reindex`, and a node's
/// first start); the number of documents.
pub async fn rebuild(
    db: &Db,
    blobs: &BlobStore,
    taxonomy: &Taxonomy,
    index: &SearchIndex,
) -> Result<usize, FollowError> {
    let start = cartable_store::now();
    let (capsules, _) = db.catalog_changes(i64::MIN).await?;
    let items = db.archive_changes(i64::MIN).await?;
    let mut docs = Vec::with_capacity(capsules.len() + items.len());
    for c in &capsules {
        docs.push(capsule_doc(blobs, taxonomy, c).await);
    }
    docs.extend(
        items
            .iter()
            .filter(|s| !s.withdrawn())
            .map(|s| crate::archive::archive_doc(&s.item)),
    );
    let index = index.clone();
    Ok(tokio::task::spawn_blocking(move || index.rebuild(docs, start)).await??)
}

/// Reads the change feed once and applies what is new. `applied` holds
/// what recent reads already applied (by id and time), so the overlap
/// between reads does not commit the same change twice.
async fn catch_up(state: &Shared, applied: &mut HashMap<String, i64>) -> Result<(), FollowError> {
    let Some(watermark) = state.search.watermark() else {
        let n = rebuild(&state.db, &state.blobs, &state.taxonomy, &state.search).await?;
        tracing::info!(documents = n, "search index built");
        applied.clear();
        return Ok(());
    };
    let start = cartable_store::now();
    let (capsules, removals) = state.db.catalog_changes(watermark - OVERLAP).await?;
    let mut docs = vec![];
    for c in &capsules {
        if applied.insert(c.id.to_string(), c.updated_at) != Some(c.updated_at) {
            docs.push(capsule_doc(&state.blobs, &state.taxonomy, c).await);
        }
    }
    let mut removed: Vec<String> = removals
        .into_iter()
        .filter(|(id, at)| applied.insert(format!("-{id}"), *at) != Some(*at))
        .map(|(id, _)| id)
        .collect();
    for s in state.db.archive_changes(watermark - OVERLAP).await? {
        let key = format!("{}{}", crate::archive::DOC_PREFIX, s.item.id);
        if applied.insert(key.clone(), s.updated_at) == Some(s.updated_at) {
            continue;
        }
        if s.withdrawn() {
            removed.push(key);
        } else {
            docs.push(crate::archive::archive_doc(&s.item));
        }
    }
    applied.retain(|_, at| *at >= start - 2 * OVERLAP);
    if docs.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let count = docs.len() + removed.len();
    let index = state.search.clone();
    tokio::task::spawn_blocking(move || index.apply(docs, &removed, start)).await??;
    tracing::debug!(count, "search index updated");
    Ok(())
}
/// Brings the index up to date before serving: built whole on a first
/// start (or a new index format), else the changes made while the server
/// was down.
pub async fn catch_up_at_start(state: &Shared) -> Result<(), FollowError> {
    catch_up(state, &mut HashMap::new()).await
}

/// Follows the change feed for as long as the server runs.
pub async fn keep_current(state: Shared) {
    let mut applied = HashMap::new();
    loop {
        if let Err(e) = catch_up(&state, &mut applied).await {
            tracing::error!(error = %e, "search index not updated");
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = state.search_changed.notified() => {}
        }
    }
}
