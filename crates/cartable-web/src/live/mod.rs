//! Live sessions over HTTP: the broadcaster's push (`PUT
//! /live/{id}/ingest/{token}/{file}`), the viewers' playlist
//! (`/live/{id}/index.m3u8`), the room's event stream
//! (`/live/{id}/events`) and the iCalendar feeds. The pages and the
//! room's forms are in `ui::live`.
//!
//! Pushed segments become content-addressed blobs, and the viewers'
//! playlist names them by hash under `/media/b/`, so a segment is cached
//! forever by any cache in front while the playlist is cached a second.

mod calendar;
pub mod rooms;

use crate::auth::MaybeAuth;
use crate::{ApiError, Shared};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use bytes::Bytes;
use cartable_core::accounts::{Role, Secret, same_secret};
use cartable_core::live::{
    EARLY_SECONDS, IngestFile, LiveState, MAX_PLAYLIST, MAX_SEGMENT, SegmentFormat, ingest_file,
    mp4_codecs, sniff,
};
use cartable_store::live::LiveSession;
use futures_util::StreamExt;
use rooms::Frame;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

pub use crate::ui::live::{NewSession, create_checked, ffmpeg_command};
pub use rooms::{Rooms, follow};

/// How long a node answers the playlist from memory before asking the
/// database again: other nodes' pushes show within this.
const PLAYLIST_FRESH: Duration = Duration::from_millis(500);
/// Comments sent on an idle event stream so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(60);
/// Events replayed to a reconnecting client per database read.
const REPLAY_PAGE: i64 = 1_000;

pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/live/{id}/ingest/{token}/{file}",
            put(ingest)
                .delete(forget)
                .layer(DefaultBodyLimit::max(MAX_SEGMENT + 1)),
        )
        .route("/live/{id}/index.m3u8", get(playlist))
        .route("/live/{id}/events", get(events))
        .route("/live/{id}/viewers", axum::routing::post(relay_viewers))
        .route("/api/v1/live", get(api_list))
        .route("/api/v1/live/{id}", get(api_session))
        .route("/live/calendar.ics", get(calendar::public))
        .route("/live/calendar/{kind}/{file}", get(calendar::group))
}

/// Playlists this node answered lately.
#[derive(Default)]
pub struct Playlists(Mutex<HashMap<String, Kept>>);

/// A playlist (None: nothing pushed yet), its session's state, and when
/// it was read.
type Kept = (Instant, Option<Bytes>, LiveState);

impl Playlists {
    fn get(&self, id: &str) -> Option<(Option<Bytes>, LiveState)> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(id)
            .filter(|(at, _, _)| at.elapsed() < PLAYLIST_FRESH)
            .map(|(_, p, s)| (p.clone(), *s))
    }

    fn put(&self, id: &str, playlist: Option<Bytes>, state: LiveState) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 10_000 {
            map.retain(|_, (at, _, _)| at.elapsed() < PLAYLIST_FRESH);
        }
        map.insert(id.to_owned(), (Instant::now(), playlist, state));
    }
}

async fn session(state: &Shared, id: &str) -> Result<LiveSession, ApiError> {
    state
        .db
        .live_session(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("live session".into()))
}

fn check_token(session: &LiveSession, token: &str) -> Result<(), ApiError> {
    if same_secret(&Secret::from_text(token).digest(), &session.token_digest) {
        Ok(())
    } else {
        Err(ApiError::WrongSecret(
            "this is not this session's ingest token: copy the push address shown when it was scheduled".into(),
        ))
    }
}

/// Checks a push's session, token and time, before its body is read.
async fn pushable(state: &Shared, id: &str, token: &str) -> Result<LiveSession, ApiError> {
    let session = session(state, id).await?;
    check_token(&session, token)?;
    match session.state {
        LiveState::Ended => Err(ApiError::Conflict(
            "this live session has ended: schedule a new one to broadcast again".into(),
        )),
        LiveState::Scheduled
            if cartable_store::now() < session.schedule.starts_at - EARLY_SECONDS =>
        {
            Err(ApiError::Conflict(format!(
                "this live session starts at {}; pushes open an hour before",
                crate::ui::utc_time(session.schedule.starts_at)
            )))
        }
        _ => Ok(session),
    }
}

async fn read_body(body: Body, name: &str, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::TooLarge(format!(
            "{name}: larger than the {limit} bytes a push may be"
        ))
    })
}

/// A pushed file: a segment (kept as a blob, for viewers and the
/// recording) or the media playlist (rewritten to name the blobs, and
/// what makes the session live or, with `#EXT-X-ENDLIST`, ends it).
async fn ingest(
    State(state): State<Shared>,
    Path((id, token, file)): Path<(String, String, String)>,
    body: Body,
) -> Result<Response, ApiError> {
    let session = pushable(&state, &id, &token).await?;
    let kind = ingest_file(&file).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let limit = match kind {
        IngestFile::Segment => MAX_SEGMENT,
        IngestFile::Playlist => MAX_PLAYLIST,
    };
    let bytes = read_body(body, &file, limit).await?;
    // ffmpeg closes the connection as soon as it has sent a file, without
    // waiting for the answer, and the server then drops this handler: the
    // storing runs as a task of its own so it finishes all the same.
    tokio::spawn(store_push(state, session, id, file, kind, bytes))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

async fn store_push(
    state: Shared,
    session: LiveSession,
    id: String,
    file: String,
    kind: IngestFile,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    match kind {
        IngestFile::Segment => {
            let format = sniff(&file, &bytes).map_err(|e| match e {
                cartable_core::live::IngestError::TooLarge { .. } => {
                    ApiError::TooLarge(e.to_string())
                }
                _ => ApiError::UnsupportedType(e.to_string()),
            })?;
            let init = format == SegmentFormat::Fmp4 && bytes.get(4..8) == Some(b"ftyp");
            let codecs = if init { mp4_codecs(&bytes) } else { None };
            let size = bytes.len() as u64;
            let hash = state.blobs.put_bytes(bytes).await?;
            let hash = hash.to_string();
            state
                .db
                .put_live_segment(
                    &id,
                    &cartable_store::live::Pushed {
                        name: &file,
                        hash: &hash,
                        size,
                        format,
                        init,
                        codecs: codecs.as_deref(),
                    },
                )
                .await?;
            metrics::counter!("cartable_live_ingest_bytes_total").increment(size);
        }
        IngestFile::Playlist => {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| ApiError::UnsupportedType(format!("{file}: not UTF-8 text")))?;
            let playlist_error = |reason: String| {
                ApiError::Invalid(
                    cartable_core::live::IngestError::Playlist {
                        name: file.clone(),
                        reason,
                    }
                    .to_string(),
                )
            };
            let names = cartable_media::playlist::live_names(text).map_err(playlist_error)?;
            let hashes = pushed(&state, &id, &names).await?;
            let live = cartable_media::playlist::live_rewrite(text, |name| {
                let hash = hashes.get(name)?;
                Some(format!("/media/b/{hash}.{}", media_ext(name)))
            })
            .map_err(|reason| {
                if reason.ends_with("was not pushed") {
                    ApiError::Conflict(format!("{file}: {reason}"))
                } else {
                    playlist_error(reason)
                }
            })?;
            let Some(events) = state
                .db
                .put_live_playlist(&id, &live.text, live.position, &live.durations, live.ended)
                .await?
            else {
                // A later playlist is already stored.
                return Ok(StatusCode::CREATED.into_response());
            };
            let now_state = if live.ended {
                LiveState::Ended
            } else {
                LiveState::Live
            };
            state
                .playlists
                .put(&id, Some(Bytes::from(live.text)), now_state);
            for e in &events {
                state.rooms.published(&state.db, e).await;
            }
            if live.ended {
                finish(&state, &id).await?;
            }
            if session.state != now_state {
                tracing::info!(session = %id, state = now_state.as_str(), "live session changed state");
            }
        }
    }
    Ok(StatusCode::CREATED.into_response())
}

/// The extension a pushed segment is served with.
fn media_ext(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("ts") => "ts",
        Some("mp4") => "mp4",
        _ => "m4s",
    }
}

/// Once a session has ended, its playlist becomes the whole recording:
/// every segment pushed, so those who missed it watch it from the start.
pub async fn recording_playlist(
    db: &cartable_store::Db,
    id: &str,
) -> Result<Option<String>, ApiError> {
    let segments = db.live_segments(id).await?;
    let map = segments
        .iter()
        .find(|s| s.init)
        .map(|s| format!("/media/b/{}.mp4", s.hash));
    let listed: Vec<(String, i64)> = segments
        .iter()
        .filter_map(|s| {
            let ms = s.duration_ms?;
            Some((format!("/media/b/{}.{}", s.hash, media_ext(&s.name)), ms))
        })
        .collect();
    if listed.is_empty() {
        return Ok(None);
    }
    let text =
        cartable_media::playlist::recording(map.as_deref(), &listed).map_err(ApiError::Internal)?;
    db.put_recording_playlist(id, &text).await?;
    Ok(Some(text))
}

/// Keeps a playlist a relay copied from its hub, for its viewers.
pub fn keep_playlist(state: &Shared, id: &str, text: &str) {
    let live_state = if text.contains("#EXT-X-ENDLIST") {
        LiveState::Ended
    } else {
        LiveState::Live
    };
    state.playlists.put(
        id,
        Some(Bytes::copy_from_slice(text.as_bytes())),
        live_state,
    );
}

/// Ends what ending a session needs on this node: the recording's
/// playlist, and the playlist kept in memory.
pub async fn finish(state: &Shared, id: &str) -> Result<(), ApiError> {
    let text = recording_playlist(&state.db, id).await?;
    state
        .playlists
        .put(id, text.map(Bytes::from), LiveState::Ended);
    state.recordings_due.notify_one();
    Ok(())
}

/// How long a playlist waits for the segments it lists: they travel on
/// connections of their own and may still be being stored.
const SEGMENT_WAIT: Duration = Duration::from_secs(3);

/// The blobs of the segments a playlist lists, waiting a moment for any
/// still arriving.
async fn pushed(
    state: &Shared,
    id: &str,
    names: &[String],
) -> Result<HashMap<String, String>, ApiError> {
    let started = Instant::now();
    loop {
        let found: HashMap<String, String> = state
            .db
            .live_segment_hashes(id, names)
            .await?
            .into_iter()
            .collect();
        if names.iter().all(|n| found.contains_key(n)) || started.elapsed() >= SEGMENT_WAIT {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// ffmpeg's `delete_segments` asks to remove segments that left its
/// window; they are kept for the recording, so this only checks the
/// token.
async fn forget(
    State(state): State<Shared>,
    Path((id, token, file)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let session = session(&state, &id).await?;
    check_token(&session, &token)?;
    ingest_file(&file).map_err(|e| ApiError::Invalid(e.to_string()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The viewers' media playlist: cached a second while live, a day once
/// the broadcast ended.
async fn playlist(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (text, live_state) = match state.playlists.get(&id) {
        Some(found) => found,
        None => {
            let session = state.db.live_session(&id).await?;
            let found = match session {
                Some(s) => (s.playlist.map(Bytes::from), s.state),
                None => (None, LiveState::Scheduled),
            };
            state.playlists.put(&id, found.0.clone(), found.1);
            found
        }
    };
    let Some(text) = text else {
        return Err(ApiError::NotFound(
            "live stream (nothing was pushed yet)".into(),
        ));
    };
    let cache = match live_state {
        LiveState::Ended => "public, max-age=86400",
        _ => "public, max-age=1",
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.apple.mpegurl"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Deserialize)]
struct EventsQuery {
    /// Events after this number (a page that rendered the room passes its
    /// last; a reconnecting browser sends `Last-Event-ID` instead).
    after: Option<i64>,
}

/// What a school relay forwards to its hub: the room's forms of its
/// classroom users (questions, hands, votes), under its own account.
pub trait Upstream: Send + Sync {
    /// POSTs `fields` to the hub's `path` (`/fr/live/ID/questions`…).
    fn forward(
        &self,
        path: String,
        fields: Vec<(String, String)>,
    ) -> futures_util::future::BoxFuture<'static, Result<(), String>>;
}

/// `GET /api/v1/live`: the sessions the caller may watch, from the past
/// week on (what a school relay mirrors).
async fn api_list(
    State(state): State<Shared>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, ApiError> {
    let listing = crate::ui::live::listing_for(&state, auth.as_ref(), 500).await;
    let sessions = state.db.live_schedule(&listing).await?;
    Ok(axum::Json(serde_json::json!({ "sessions": sessions })).into_response())
}

/// `GET /api/v1/live/{id}`.
async fn api_session(
    State(state): State<Shared>,
    Path(id): Path<String>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, ApiError> {
    let session = session(&state, &id).await?;
    if !crate::ui::live::may_watch(&state, &session, auth.as_ref()).await {
        return Err(match auth {
            None => ApiError::SignInRequired,
            Some(_) => ApiError::Forbidden,
        });
    }
    Ok(axum::Json(session).into_response())
}

/// `POST /live/{id}/viewers` from a school relay (with its API token):
/// how many watch there, counted in its school like a node's viewers.
async fn relay_viewers(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let auth = crate::auth::resolve(&state, &headers)
        .await?
        .ok_or(ApiError::SignInRequired)?;
    session(&state, &id).await?;
    let count: u64 = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("viewers").and_then(serde_json::Value::as_u64))
        .ok_or_else(|| ApiError::Invalid("body: {\"viewers\": N}".into()))?;
    let school = school_of(&state, Some(&auth)).await;
    state
        .rooms
        .relayed_viewers(&state.db, auth.user.login.as_str(), &id, &school, count)
        .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether the caller moderates the session: its author, or an admin.
pub fn moderates(session: &LiveSession, auth: Option<&crate::auth::Auth>) -> bool {
    auth.is_some_and(|a| a.user.role == Role::Admin || a.user.login.as_str() == session.created_by)
}

/// The school a viewer is counted in: their first class's, or "" at home.
async fn school_of(state: &Shared, auth: Option<&crate::auth::Auth>) -> String {
    let Some(auth) = auth else {
        return String::new();
    };
    match state.db.classes_of(auth.user.login.as_str()).await {
        Ok(classes) => classes
            .first()
            .map(|(c, _)| c.school.clone())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// An event stream being opened: what to send first (the retry delay and
/// the events missed), then what follows.
struct Opened {
    first: Vec<Bytes>,
    follow: Following,
}

/// A viewer's place in a room: the frames to come.
struct Following {
    receiver: tokio::sync::broadcast::Receiver<Frame>,
    seat: rooms::Seat,
    /// The number of the last event sent.
    sent: i64,
    staff: bool,
}

impl Following {
    /// The next bytes to send: an event, or a comment after a quiet
    /// minute. None when the stream ends: the server stops, or the viewer
    /// fell too far behind (its browser reconnects and catches up from its
    /// last id).
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout(HEARTBEAT, self.receiver.recv()) => next,
                () = self.seat.closing() => return None,
            };
            return match next {
                Err(_) => Some(Bytes::from_static(b": \n\n")),
                Ok(Ok(frame)) => {
                    if frame.id != 0 && frame.id <= self.sent || frame.staff && !self.staff {
                        continue;
                    }
                    self.sent = self.sent.max(frame.id);
                    Some(frame.bytes)
                }
                Ok(Err(RecvError::Lagged(_) | RecvError::Closed)) => None,
            };
        }
    }
}

/// Joins a room for a viewer: the events after `after` from the table,
/// then each as it happens (without `after`, from now on).
async fn open(
    state: &Shared,
    id: &str,
    auth: Option<&crate::auth::Auth>,
    after: Option<i64>,
) -> Result<Opened, ApiError> {
    let session = session(state, id).await?;
    let staff = moderates(&session, auth);
    let school = school_of(state, auth).await;
    let (receiver, seat) = state.rooms.join(id, &school);
    let mut first = vec![Bytes::from_static(b"retry: 3000\n\n")];
    let mut sent = after.unwrap_or(session.last_event);
    if let Some(mut from) = after {
        loop {
            let page = state.db.room_events_after(id, from, REPLAY_PAGE).await?;
            for stored in &page {
                if staff || !stored.staff {
                    first.push(Frame::of(stored).bytes);
                }
                from = stored.e.id;
            }
            sent = sent.max(from);
            if (page.len() as i64) < REPLAY_PAGE {
                break;
            }
        }
    }
    Ok(Opened {
        first,
        follow: Following {
            receiver,
            seat,
            sent,
            staff,
        },
    })
}

fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
}

/// The room's server-sent events (see [`open`]), when the request came
/// through hyper (a connection that carried other requests first).
async fn events(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
    MaybeAuth(auth): MaybeAuth,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = last_event_id(&headers).or(query.after);
    let Opened { first, follow } = open(&state, &id, auth.as_ref(), after).await?;
    let replay = futures_util::stream::iter(first.into_iter().map(Ok::<Bytes, std::io::Error>));
    let live = futures_util::stream::unfold(follow, |mut follow| async move {
        follow.next().await.map(|b| (Ok(b), follow))
    });
    let body = Body::from_stream(replay.chain(live));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        body,
    )
        .into_response())
}

/// A stuck viewer (its socket full for this long) is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The room's server-sent events on a connection whose first request asks
/// for them ([`crate::server`] hands it over): written straight to the
/// socket, so a viewer costs its socket, its place in the room and a small
/// task, not an HTTP connection's buffers. Answered with `Connection:
/// close`; the body ends when the stream does.
pub async fn lean_events(
    state: Shared,
    mut io: crate::metrics::Counted,
    target: String,
    headers: HeaderMap,
) {
    use tokio::io::AsyncWriteExt;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let id = path
        .strip_prefix("/live/")
        .and_then(|p| p.strip_suffix("/events"))
        .unwrap_or_default()
        .to_owned();
    let after = last_event_id(&headers).or_else(|| {
        serde_urlencoded::from_str::<EventsQuery>(query)
            .ok()
            .and_then(|q| q.after)
    });
    // Boxed, as is the opening: the task then keeps for the stream's life
    // only what following it needs, not the room of these futures.
    let auth = Box::pin(crate::auth::resolve(&state, &headers))
        .await
        .ok()
        .flatten();
    drop(headers);
    let opened = Box::pin(open(&state, &id, auth.as_ref(), after)).await;
    drop((auth, id, target));
    metrics::counter!("http_requests_total", "route" => "/live/{id}/events", "method" => "GET", "status" => if opened.is_ok() { "200" } else { "error" }).increment(1);
    let Opened { first, mut follow } = match opened {
        Ok(o) => o,
        Err(e) => {
            let body = serde_json::json!({"error": {"message": e.message()}}).to_string();
            let status = e.status();
            let answer = format!(
                "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                body.len()
            );
            let _ = io.write_all(answer.as_bytes()).await;
            return;
        }
    };
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\nx-accel-buffering: no\r\nconnection: close\r\n\r\n";
    let mut start = Vec::with_capacity(head.len() + first.iter().map(Bytes::len).sum::<usize>());
    start.extend_from_slice(head);
    for b in first {
        start.extend_from_slice(&b);
    }
    let sent = tokio::time::timeout(WRITE_TIMEOUT, io.write_all(&start)).await;
    drop(start);
    if !matches!(sent, Ok(Ok(()))) {
        return;
    }
    while let Some(bytes) = follow.next().await {
        match tokio::time::timeout(WRITE_TIMEOUT, io.write_all(&bytes)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}
