//! The JSON API under `/api/v1`, described by `openapi.json`.
//!
//! Listings use keyset cursors: `next_cursor` from one page is passed as
//! `cursor` to get the next, and stays valid while capsules are added.

pub mod accounts;
pub mod assignments;
pub mod progress;

use crate::auth::{Editors, Require};
use crate::{ApiError, Shared};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cartable_core::catalog::{Capsule, Programme};
use cartable_core::renditions::RenditionKind;
use cartable_core::{CapsuleId, Lang, LevelId, ProgrammeId, SubjectId, Translations};
use cartable_store::catalog::{CapsuleFilter, Cursor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const DEFAULT_LIMIT: u32 = 24;
const MAX_LIMIT: u32 = 100;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/capsules", get(list_capsules))
        .route("/capsules/{id}", get(get_capsule).delete(remove_capsule))
        .route("/programmes", get(list_programmes))
        .route("/programmes/{id}", get(get_programme))
        .route("/taxonomy", get(taxonomy))
        .route("/openapi.json", get(openapi))
}

/// Removes a capsule from the catalog (and, within seconds, from search).
async fn remove_capsule(
    State(state): State<Shared>,
    _: Require<Editors>,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    if state.db.remove_capsule(&id).await? {
        state.search_changed.notify_one();
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("capsule \"{id}\"")))
    }
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    level: Option<String>,
    subject: Option<String>,
    lang: Option<String>,
    programme: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// The URL of a blob, with the extension that gives its media type.
pub fn blob_url(hash: &impl std::fmt::Display, ext: &str) -> String {
    format!("/media/b/{hash}.{ext}")
}

pub fn download_url(hash: &impl std::fmt::Display, name: &str) -> String {
    format!("/media/dl/{hash}/{name}")
}

/// The file name a learner's download of one rendition is saved under.
pub fn download_name(capsule: &Capsule, rendition: &str) -> String {
    format!("{}-{rendition}.mp4", capsule.id)
}

/// A capsule as the API shows it, borrowed from the stored record and
/// serialised once, straight to the response body.
#[derive(Serialize)]
pub struct CapsuleView<'a> {
    id: &'a CapsuleId,
    lang: &'a Lang,
    titles: &'a Translations,
    summaries: &'a Translations,
    level: &'a LevelId,
    subject: &'a SubjectId,
    duration_ms: u64,
    programmes: Vec<Place<'a>>,
    tags: &'a [String],
    hls_url: String,
    download_url: Option<String>,
    poster_url: Option<String>,
    thumbnail_url: Option<String>,
    /// A WebVTT chapters track (a live recording's slide changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    chapters_url: Option<String>,
    renditions: Vec<RenditionView<'a>>,
    captions: Vec<CaptionView<'a>>,
    /// Only on a single capsule: transcripts would make listings heavy.
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<&'a str>,
    attachments: Vec<AttachmentView<'a>>,
    page_url: String,
    updated_at: i64,
}

#[derive(Serialize)]
struct Place<'a> {
    id: &'a ProgrammeId,
    position: u32,
}

#[derive(Serialize)]
struct RenditionView<'a> {
    name: &'a str,
    kind: RenditionKind,
    width: Option<u32>,
    height: Option<u32>,
    bandwidth: u64,
    average_bandwidth: u64,
    codecs: &'a str,
    size: u64,
    url: String,
    playlist_url: String,
    download_url: String,
}

#[derive(Serialize)]
struct CaptionView<'a> {
    lang: &'a Lang,
    url: String,
}

#[derive(Serialize)]
struct AttachmentView<'a> {
    name: &'a str,
    mime: &'a str,
    size: u64,
    url: String,
}

impl<'a> CapsuleView<'a> {
    fn new(c: &'a Capsule, with_transcript: bool) -> CapsuleView<'a> {
        let m = &c.media;
        CapsuleView {
            id: &c.id,
            lang: &c.lang,
            titles: &c.titles,
            summaries: &c.summaries,
            level: &c.level,
            subject: &c.subject,
            duration_ms: m.duration_ms,
            programmes: c
                .programmes
                .iter()
                .map(|(id, position)| Place {
                    id,
                    position: *position,
                })
                .collect(),
            tags: &c.tags,
            hls_url: blob_url(&m.master, "m3u8"),
            download_url: m
                .default_video()
                .or(m.renditions.first())
                .map(|r| download_url(&r.file, &download_name(c, &r.name))),
            poster_url: m.poster.as_ref().map(|h| blob_url(h, "jpg")),
            thumbnail_url: m.thumbnail.as_ref().map(|h| blob_url(h, "jpg")),
            chapters_url: m.chapters.as_ref().map(|h| blob_url(h, "vtt")),
            renditions: m
                .renditions
                .iter()
                .map(|r| RenditionView {
                    name: &r.name,
                    kind: r.kind,
                    width: r.width,
                    height: r.height,
                    bandwidth: r.bandwidth,
                    average_bandwidth: r.average_bandwidth,
                    codecs: &r.codecs,
                    size: r.size,
                    url: blob_url(&r.file, "mp4"),
                    playlist_url: blob_url(&r.playlist, "m3u8"),
                    download_url: download_url(&r.file, &download_name(c, &r.name)),
                })
                .collect(),
            captions: c
                .captions
                .iter()
                .map(|(lang, h)| CaptionView {
                    lang,
                    url: blob_url(h, "vtt"),
                })
                .collect(),
            transcript: c.transcript.as_deref().filter(|_| with_transcript),
            attachments: c
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    name: &a.name,
                    mime: &a.mime,
                    size: a.size,
                    url: download_url(&a.blob, &a.name),
                })
                .collect(),
            page_url: format!("/{}/capsules/{}", c.lang, c.id),
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize)]
struct CapsulePageView<'a> {
    capsules: Vec<CapsuleView<'a>>,
    next_cursor: Option<String>,
}

fn programme_view(p: &Programme) -> Value {
    json!({"id": p.id, "titles": p.titles, "summaries": p.summaries, "level": p.level, "subject": p.subject, "capsule_count": p.capsule_count})
}

fn parse<T: TryFrom<String, Error = cartable_core::IdError>>(
    name: &str,
    value: Option<String>,
) -> Result<Option<T>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| T::try_from(v).map_err(|e| ApiError::InvalidParameter(format!("{name}: {e}"))))
        .transpose()
}

/// Turns the API's query parameters into a store filter, refusing unknown
/// levels and subjects so a typo is not mistaken for an empty catalog.
pub fn filter(
    state: &Shared,
    level: Option<String>,
    subject: Option<String>,
    lang: Option<String>,
    programme: Option<String>,
) -> Result<CapsuleFilter, ApiError> {
    let filter = CapsuleFilter {
        level: parse::<LevelId>("level", level)?,
        subject: parse::<SubjectId>("subject", subject)?,
        lang: parse::<Lang>("lang", lang)?,
        programme: parse::<ProgrammeId>("programme", programme)?,
    };
    if let Some(l) = filter
        .level
        .as_ref()
        .filter(|l| state.taxonomy.level(l.as_str()).is_none())
    {
        return Err(ApiError::InvalidParameter(format!(
            "level: \"{l}\" is not a level of this platform"
        )));
    }
    if let Some(s) = filter
        .subject
        .as_ref()
        .filter(|s| state.taxonomy.subject(s.as_str()).is_none())
    {
        return Err(ApiError::InvalidParameter(format!(
            "subject: \"{s}\" is not a subject of this platform"
        )));
    }
    Ok(filter)
}

pub fn encode_cursor(cursor: &Cursor) -> String {
    match cursor {
        Cursor::AfterId(id) => format!("i.{id}"),
        Cursor::AfterPosition(p) => format!("p.{p}"),
    }
}

pub fn decode_cursor(text: &str) -> Result<Cursor, ApiError> {
    match text.split_once('.') {
        Some(("i", id)) => CapsuleId::try_from(id)
            .map(Cursor::AfterId)
            .map_err(|_| ApiError::BadCursor),
        Some(("p", p)) => p
            .parse()
            .map(Cursor::AfterPosition)
            .map_err(|_| ApiError::BadCursor),
        _ => Err(ApiError::BadCursor),
    }
}

async fn list_capsules(
    State(state): State<Shared>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let filter = filter(&state, q.level, q.subject, q.lang, q.programme)?;
    let limit = match q.limit.as_deref() {
        None | Some("") => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::InvalidParameter(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    let cursor = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    if matches!(cursor, Some(Cursor::AfterPosition(_))) != filter.programme.is_some()
        && cursor.is_some()
    {
        return Err(ApiError::BadCursor);
    }
    let page = state.db.capsules(&filter, cursor.as_ref(), limit).await?;
    Ok(Json(CapsulePageView {
        capsules: page
            .capsules
            .iter()
            .map(|c| CapsuleView::new(c, false))
            .collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    })
    .into_response())
}

/// An id from the path; one that is not even text names nothing.
fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|_| ApiError::NotFound("this resource".into()))
}

async fn get_capsule(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let capsule = state
        .db
        .capsule(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("capsule \"{id}\"")))?;
    Ok(Json(CapsuleView::new(&capsule, true)).into_response())
}

async fn list_programmes(State(state): State<Shared>) -> Result<Json<Value>, ApiError> {
    let programmes = state.db.programmes().await?;
    Ok(Json(
        json!({"programmes": programmes.iter().map(programme_view).collect::<Vec<_>>()}),
    ))
}

async fn get_programme(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(path)?;
    let programme = state
        .db
        .programme(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("programme \"{id}\"")))?;
    Ok(Json(programme_view(&programme)))
}

async fn taxonomy(State(state): State<Shared>) -> Json<Value> {
    let t = &state.taxonomy;
    Json(json!({
        "levels": t.levels.iter().map(|l| json!({"id": l.id, "cycle": l.cycle, "label": l.label})).collect::<Vec<_>>(),
        "subjects": t.subjects.iter().map(|s| json!({"id": s.id, "label": s.label})).collect::<Vec<_>>(),
    }))
}
