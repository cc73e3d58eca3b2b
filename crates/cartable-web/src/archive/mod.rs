//! The city archive over HTTP, outside the pages: OAI-PMH for harvesters
//! ([`oai`]), IIIF for image viewers ([`iiif`]), the faceted search as JSON
//! (`GET /api/v1/archive/search`, `GET /api/v1/archive/items/{id}`), and
//! how an item becomes a search document.

pub mod iiif;
pub mod oai;

use crate::{ApiError, Shared};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cartable_core::archive::Item;
use cartable_search::{ArchiveCard, ArchiveDoc, ArchiveQuery, ArchiveResults, Doc};
use serde::Deserialize;

/// The search document of an archive item, keyed `archive:{id}` so it
/// never replaces a capsule of the same id.
pub fn archive_doc(item: &Item) -> Doc {
    let values =
        |element: &str| -> Vec<String> { item.all(element).map(|v| v.value.clone()).collect() };
    let lang = item
        .all("dc:title")
        .find_map(|v| v.lang.clone())
        .unwrap_or_else(|| "und".into());
    let pair = |v: &cartable_core::archive::Value| {
        (
            v.lang.clone().unwrap_or_else(|| lang.clone()),
            v.value.clone(),
        )
    };
    let titles = item.all("dc:title").map(pair).collect();
    let body = item
        .values
        .iter()
        .filter(|v| v.element != "dc:title" && v.element != "dc:identifier")
        .map(pair)
        .collect();
    let date = item
        .first("dcterms:created")
        .or_else(|| item.first("dc:date"))
        .map(str::to_owned);
    Doc {
        id: format!("{DOC_PREFIX}{}", item.id),
        kind: "archive".into(),
        lang: lang.clone(),
        level: None,
        subject: None,
        titles,
        body,
        keywords: vec![],
        archive: Some(ArchiveDoc {
            types: values("dc:type"),
            creators: values("dc:creator"),
            subjects: values("dc:subject"),
            collections: item.collections.clone(),
            year: item.year.map(i64::from),
            card: ArchiveCard {
                thumbnail: item
                    .image()
                    .and_then(|m| m.derivatives.first())
                    .map(|d| d.hash.clone()),
                date,
                creators: values("dc:creator").into_iter().take(3).collect(),
            },
        }),
    }
}

/// Stores a media file of an item, with an image's thumbnail, medium and
/// large derivatives; the message says why an image was refused.
pub async fn store_media(
    blobs: &cartable_store::BlobStore,
    name: String,
    kind: cartable_core::archive::MediaKind,
    bytes: axum::body::Bytes,
) -> Result<cartable_core::archive::Media, String> {
    let mut derivatives = vec![];
    if kind == cartable_core::archive::MediaKind::Image {
        let source = bytes.clone();
        let made = tokio::task::spawn_blocking(move || cartable_media::image::derivatives(&source))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        for d in made {
            let hash = blobs
                .put_bytes(d.jpeg.into())
                .await
                .map_err(|e| e.to_string())?;
            derivatives.push(cartable_core::archive::Derivative {
                hash: hash.to_string(),
                width: d.width,
                height: d.height,
            });
        }
    }
    let hash = blobs.put_bytes(bytes).await.map_err(|e| e.to_string())?;
    Ok(cartable_core::archive::Media {
        kind,
        name,
        hash: Some(hash.to_string()),
        derivatives,
        renditions: None,
    })
}

/// The prefix of archive items' ids in the search index.
pub const DOC_PREFIX: &str = "archive:";

/// The item id of a search hit's id.
pub fn item_id(doc_id: &str) -> &str {
    doc_id.strip_prefix(DOC_PREFIX).unwrap_or(doc_id)
}

pub fn api_router() -> Router<Shared> {
    Router::new()
        .route("/archive/search", get(search))
        .route("/archive/items/{id}", get(item))
}

/// The filters of an archive search, as the page and the API take them.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ArchiveParams {
    pub q: Option<String>,
    pub lang: Option<String>,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub creator: Option<String>,
    pub subject: Option<String>,
    pub collection: Option<String>,
    pub decade: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub ui: Option<String>,
}

/// Checks the parameters and makes the query; the message names the
/// parameter at fault.
pub fn archive_query(p: ArchiveParams) -> Result<ArchiveQuery, String> {
    let year = |name: &str, v: &Option<String>| -> Result<Option<i64>, String> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(y) => y
                .parse::<i64>()
                .ok()
                .filter(|y| (-9999..=9999).contains(y))
                .map(Some)
                .ok_or_else(|| format!("{name}: \"{y}\" is not a year")),
        }
    };
    let year_from = year("from", &p.from)?;
    let year_to = year("to", &p.to)?;
    let limit = p.limit.unwrap_or(20);
    if limit > 100 {
        return Err("limit: at most 100".into());
    }
    let offset = p.offset.unwrap_or(0);
    if offset > 10_000 {
        return Err("offset: at most 10000".into());
    }
    Ok(ArchiveQuery {
        text: p.q.unwrap_or_default(),
        lang: p.lang,
        item_type: p.item_type,
        creator: p.creator,
        subject: p.subject,
        collection: p.collection,
        decade: p.decade,
        year_from,
        year_to,
        display_lang: p.ui.unwrap_or_default(),
        limit,
        offset,
    })
}

/// Runs an archive search on the search pool.
pub async fn run_search(state: &Shared, q: ArchiveQuery) -> Result<ArchiveResults, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.search.search_archive_then(&q, move |r| {
        let _ = tx.send(r);
    });
    let mut results = rx
        .await
        .map_err(|_| ApiError::Internal("the archive search failed".into()))??;
    for h in &mut results.hits {
        h.id = item_id(&h.id).to_owned();
    }
    Ok(results)
}

async fn search(
    State(state): State<Shared>,
    params: Result<Query<ArchiveParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let q = archive_query(params).map_err(ApiError::InvalidParameter)?;
    Ok(Json(run_search(&state, q).await?).into_response())
}

/// One public item, as stored (Dublin Core values, media, collections).
async fn item(State(state): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    match state.db.archive_item(&id).await? {
        Some(s) if !s.withdrawn() => Ok(Json(serde_json::json!({
            "item": s.item,
            "version": s.version,
            "updated_at": oai::datestamp(s.updated_at),
            "oai_identifier": oai::oai_identifier(&state, &s.item.id),
        }))
        .into_response()),
        _ => Err(ApiError::NotFound(format!("archive item \"{id}\""))),
    }
}

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/oai", get(oai::get).post(oai::post))
        .route("/iiif/{id}/manifest", get(iiif::manifest))
        .route("/iiif/image/{id}/{n}/info.json", get(iiif::info))
        .route(
            "/iiif/image/{id}/{n}/{region}/{size}/{rotation}/{file}",
            get(iiif::image),
        )
}
