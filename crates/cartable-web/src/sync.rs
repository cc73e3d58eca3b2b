//! Records coming back from boxes, and going out to them.
//!
//! A box signs each chunk of its statements with the key its satchel
//! certified; the hub takes a chunk only from a box it packed a satchel
//! for, and only if every statement in it is about a member of that box's
//! schools; otherwise it refuses the chunk whole, changes nothing, and
//! logs why. Statements already stored are counted as duplicates, and a
//! statement whose id is stored with other content is kept as the hub has
//! it (a conflict, logged): both ways a repeated or replayed sync changes
//! nothing.
//!
//! Routes (outside the session layer; signatures are the credentials):
//! `GET /sync/v1/boxes/{id}` where a box's push resumes, `POST
//! /sync/v1/up` a chunk from a box, `POST /sync/v1/down` a box's signed
//! request for the hub's records of its learners.

use crate::xapi::{Prepared, Writer, authority_ifi_of};
use crate::{ApiError, Shared};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cartable_core::satchel::{self, KeyPair, from_hex, to_hex};
use cartable_core::sync::{CHUNK_STATEMENTS, Chunk, Direction, PullRequest};
use cartable_core::xapi::{self, Facts};
use cartable_store::Db;
use cartable_store::sync::{BoxRow, SyncEvent};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashSet;

pub const SIGNATURE_HEADER: &str = "x-cartable-signature";
/// How old a box's pull request may be.
const PULL_WINDOW_SECONDS: i64 = 600;

/// What applying a chunk did.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Applied {
    pub accepted: i64,
    pub duplicates: i64,
    pub conflicts: i64,
}

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/boxes/{id}", get(cursor))
        .route("/up", post(up))
        .route("/down", post(down))
        .route("/satchel", post(satchel_offer))
}

/// A satchel's sections by name.
pub type Sections = std::collections::BTreeMap<String, Vec<u8>>;

/// The newest satchel packed for a box, as the hub keeps it for the box to
/// fetch online: the signed manifest and the sections. The blobs the box
/// lacks it then takes from `/media/b/`, like any other client.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Offer {
    /// The manifest bytes, base64.
    pub manifest: String,
    /// The hub's signature of them, hex.
    pub signature: String,
    /// Each section's bytes, base64.
    pub sections: std::collections::BTreeMap<String, String>,
}

impl Offer {
    pub fn new(
        manifest: &[u8],
        signature: &[u8; 64],
        sections: &std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Offer {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        Offer {
            manifest: b64.encode(manifest),
            signature: to_hex(signature),
            sections: sections
                .iter()
                .map(|(k, v)| (k.clone(), b64.encode(v)))
                .collect(),
        }
    }

    /// The manifest bytes, the signature and the sections' bytes; `None`
    /// when any of them does not decode.
    pub fn decode(&self) -> Option<(Vec<u8>, [u8; 64], Sections)> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let manifest = b64.decode(&self.manifest).ok()?;
        let signature = <[u8; 64]>::try_from(from_hex(&self.signature)?).ok()?;
        let sections = self
            .sections
            .iter()
            .map(|(k, v)| Some((k.clone(), b64.decode(v).ok()?)))
            .collect::<Option<_>>()?;
        Some((manifest, signature, sections))
    }
}

/// Checks a request a box signed (its key, a recent time); the box and
/// what it asked.
async fn signed_by_box(
    state: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(BoxRow, PullRequest), ApiError> {
    let signature = signature_of(headers)?;
    let request: PullRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::Invalid(format!("the request does not parse: {e}")))?;
    let b = certified(&state.db, &request.box_id).await?;
    satchel::verify(&b.public_key, body, &signature)
        .map_err(|_| ApiError::Invalid(format!("the signature is not box {}'s", b.id)))?;
    if (cartable_store::now() - request.at).abs() > PULL_WINDOW_SECONDS {
        return Err(ApiError::Invalid(
            "the request is too old or from the future: check the box's clock".into(),
        ));
    }
    Ok((b, request))
}

async fn satchel_offer(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (b, _) = signed_by_box(&state, &headers, &body).await?;
    let offer = state
        .db
        .box_satchel(&b.id)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(|| ApiError::NotFound(format!("a satchel for box {}", b.id)))?;
    let mut response = offer.into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn signature_of(headers: &HeaderMap) -> Result<[u8; 64], ApiError> {
    headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(from_hex)
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or_else(|| {
            ApiError::Invalid("the X-Cartable-Signature header (128 hex digits) is missing".into())
        })
}

async fn certified(db: &Db, id: &str) -> Result<BoxRow, ApiError> {
    db.sync_box(id)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or(ApiError::Forbidden)
}

async fn cursor(State(state): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let b = certified(&state.db, &id).await?;
    Ok(axum::Json(json!({ "box": b.id, "received": b.received })).into_response())
}

/// Only the box a chunk says it comes from, read without building the
/// statements.
#[derive(serde::Deserialize)]
pub struct Claimed {
    #[serde(rename = "box")]
    pub box_id: String,
}

/// Keeps each box's chunks settling in their order when a box sends
/// several at once: a chunk is checked as soon as it arrives, then waits
/// (a bounded time) for the one before it to be written, so the box's
/// cursor moves over every chunk.
#[derive(Default)]
pub struct Gates(std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Gate>>>);

#[derive(Default)]
pub struct Gate {
    writing: tokio::sync::Mutex<()>,
    settled: tokio::sync::Notify,
}

impl Gates {
    fn of(&self, box_id: &str) -> std::sync::Arc<Gate> {
        match self.0.lock() {
            Ok(mut map) => map.entry(box_id.to_owned()).or_default().clone(),
            Err(_) => std::sync::Arc::default(),
        }
    }
}

/// How long a chunk waits for the one before it.
const PREDECESSOR_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

async fn up(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = signature_of(&headers)?;
    let claimed: Claimed = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(format!("the chunk does not parse: {e}")))?;
    let b = certified(&state.db, &claimed.box_id).await?;
    let members = state
        .db
        .members_of_schools(&b.schools)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (row, home) = (b.clone(), state.lrs.home_page.clone());
    let checked =
        tokio::task::spawn_blocking(move || check_up(&row, &members, &home, &body, &signature))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(Refused::Bad);
    let gate = state.sync_gates.of(&b.id);
    if let Ok(c) = &checked {
        let deadline = tokio::time::Instant::now() + PREDECESSOR_WAIT;
        loop {
            let settled = gate.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            let received = state
                .db
                .sync_box(&b.id)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_or(0, |r| r.received);
            if received >= c.after || tokio::time::timeout_at(deadline, settled).await.is_err() {
                break;
            }
        }
    }
    let outcome = {
        let _writing = gate.writing.lock().await;
        settle(&state.db, &state.lrs.writer, &b, "push", checked).await
    };
    gate.settled.notify_waiters();
    match outcome {
        Ok((applied, received)) => Ok(axum::Json(json!({
            "received": received,
            "accepted": applied.accepted,
            "duplicates": applied.duplicates,
            "conflicts": applied.conflicts,
        }))
        .into_response()),
        Err(Refused::Bad(reason)) => Err(ApiError::Invalid(reason)),
        Err(Refused::Fault(e)) => Err(ApiError::Internal(e)),
    }
}

/// Why a chunk was not taken.
#[derive(Debug)]
pub enum Refused {
    /// The sender's fault: named, logged, nothing changed.
    Bad(String),
    /// This side's fault (SQL): try again.
    Fault(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Bad(r) | Refused::Fault(r) => f.write_str(r),
        }
    }
}

/// A chunk from a box whose signature and every statement have been
/// checked, ready to store.
pub struct Checked {
    pub after: i64,
    pub last: i64,
    pub newest: i64,
    pub statements: Vec<(Value, Facts)>,
}

/// Checks a chunk a box signed: its signature, its numbers, every
/// statement, and that every actor is one of `members` (the logins of the
/// box's schools). Pure work, no I/O: callers may run it on another thread
/// while the previous chunk is being written.
pub fn check_up(
    b: &BoxRow,
    members: &HashSet<String>,
    home_page: &str,
    payload: &[u8],
    signature: &[u8; 64],
) -> Result<Checked, String> {
    satchel::verify(&b.public_key, payload, signature).map_err(|_| {
        format!(
            "the signature is not box {}'s: forged or altered records",
            b.id
        )
    })?;
    let chunk = Chunk::parse(payload)?;
    if chunk.box_id != b.id || chunk.direction != Direction::Up {
        return Err("the chunk is not from this box to the hub".into());
    }
    if chunk.after > chunk.last || chunk.last > chunk.newest {
        return Err(format!(
            "the chunk's record numbers do not add up (after {}, last {}, newest {})",
            chunk.after, chunk.last, chunk.newest
        ));
    }
    let prefix = format!("account:{home_page}|");
    let statements = check_all(chunk.statements)?;
    for (i, (_, facts)) in statements.iter().enumerate() {
        let login = facts
            .actor
            .first()
            .and_then(|ifi| ifi.0.strip_prefix(&prefix))
            .ok_or_else(|| format!("statements[{i}]: its actor is not a user of this platform"))?;
        if !members.contains(login) {
            return Err(format!(
                "statements[{i}]: {login} is not a member of the schools of box {}",
                b.id
            ));
        }
    }
    Ok(Checked {
        after: chunk.after,
        last: chunk.last,
        newest: chunk.newest,
        statements,
    })
}

/// Checks every statement of a chunk; each must carry its id.
pub fn check_all(statements: Vec<Value>) -> Result<Vec<(Value, Facts)>, String> {
    statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let facts = xapi::check_statement(&s)
                .map_err(|e| format!("statements[{i}].{}: {}", e.path, e.message))?;
            if facts.id.is_none() {
                return Err(format!(
                    "statements[{i}]: a synced statement must have its id"
                ));
            }
            Ok((s, facts))
        })
        .collect()
}

/// Stores a checked chunk (or notes why it was refused), moves the box's
/// cursor, and logs the sync. Chunks of one box must be settled in order.
pub async fn settle(
    db: &Db,
    writer: &Writer,
    b: &BoxRow,
    kind: &str,
    checked: Result<Checked, Refused>,
) -> Result<(Applied, i64), Refused> {
    let result = match checked {
        Ok(c) => match store_checked(db, writer, c.statements, &format!("box:{}", b.id)).await {
            Ok(applied) => {
                let received = db
                    .box_contact(&b.id, c.after, c.last, c.newest, kind)
                    .await
                    .map_err(|e| Refused::Fault(e.to_string()))?;
                Ok((applied, received))
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let event = match &result {
        Ok((applied, _)) => SyncEvent {
            box_id: b.id.clone(),
            at: cartable_store::now(),
            kind: kind.into(),
            ok: true,
            accepted: applied.accepted,
            duplicates: applied.duplicates,
            detail: if applied.conflicts > 0 {
                format!(
                    "{} statements kept as the hub had them (same id, other content)",
                    applied.conflicts
                )
            } else {
                String::new()
            },
        },
        Err(e) => SyncEvent {
            box_id: b.id.clone(),
            at: cartable_store::now(),
            kind: kind.into(),
            ok: false,
            accepted: 0,
            duplicates: 0,
            detail: e.to_string(),
        },
    };
    db.log_sync(&event)
        .await
        .map_err(|e| Refused::Fault(e.to_string()))?;
    result
}

/// Checks and stores statements the hub sent (on a box).
pub async fn store(
    db: &Db,
    writer: &Writer,
    statements: Vec<Value>,
    authority_id: &str,
) -> Result<Applied, Refused> {
    let checked = check_all(statements).map_err(Refused::Bad)?;
    store_checked(db, writer, checked, authority_id).await
}

/// Stores the checked statements not yet stored, through the LRS's
/// writer, so progress, dashboards and indicators count them.
pub async fn store_checked(
    db: &Db,
    writer: &Writer,
    checked: Vec<(Value, Facts)>,
    authority_id: &str,
) -> Result<Applied, Refused> {
    let mut applied = Applied::default();
    let ids: Vec<String> = checked.iter().filter_map(|(_, f)| f.id.clone()).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let known = db
        .known_statements(&refs)
        .await
        .map_err(|e| Refused::Fault(e.to_string()))?;
    let mut fresh = Vec::new();
    let mut seen = HashSet::new();
    for (mut value, facts) in checked {
        let Some(id) = facts.id.clone() else { continue };
        if let Some(k) = known.get(&id) {
            let same = serde_json::from_str::<Value>(&k.json)
                .is_ok_and(|stored| xapi::same_statement(&stored, &value));
            if same {
                applied.duplicates += 1;
            } else {
                applied.conflicts += 1;
            }
            continue;
        }
        if !seen.insert(id.clone()) {
            applied.duplicates += 1;
            continue;
        }
        if let Some(o) = value.as_object_mut() {
            o.remove("stored");
        }
        let json = serde_json::to_string(&value).map_err(|e| Refused::Fault(e.to_string()))?;
        fresh.push(Prepared {
            authority_ifi: authority_ifi_of(&value),
            id,
            json,
            value,
            facts,
            authority_id: authority_id.to_owned(),
        });
    }
    applied.accepted = fresh.len() as i64;
    let results: Vec<Value> = fresh
        .iter()
        .filter(|p| p.value["verb"]["id"] == crate::quiz::SCORED)
        .map(|p| p.value.clone())
        .collect();
    if !fresh.is_empty() {
        writer
            .store(fresh)
            .await
            .map_err(|e| Refused::Fault(format!("{e:?}")))?;
    }
    // Attempts made at a box, rebuilt for the teachers' figures: derived
    // data, so a failure is logged and the records stay stored.
    if let Err(e) = crate::quiz::project_box_attempts(db, writer.home_page(), &results).await {
        tracing::warn!(error = %e, "cannot rebuild quiz attempts from a box's records");
    }
    Ok(applied)
}

async fn down(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = signature_of(&headers)?;
    let request: PullRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(format!("the pull request does not parse: {e}")))?;
    let b = certified(&state.db, &request.box_id).await?;
    satchel::verify(&b.public_key, &body, &signature)
        .map_err(|_| ApiError::Invalid(format!("the signature is not box {}'s", b.id)))?;
    if (cartable_store::now() - request.at).abs() > PULL_WINDOW_SECONDS {
        return Err(ApiError::Invalid(
            "the request is too old or from the future: check the box's clock".into(),
        ));
    }
    let key = state
        .hub_key
        .get()
        .ok_or_else(|| ApiError::Internal("this hub has no key (cartable keys init)".into()))?;
    let (payload, sig) = records_for(&state.db, &state.lrs.home_page, key, &b, request.after)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = payload.into_response();
    if let Ok(v) = HeaderValue::from_str(&to_hex(&sig)) {
        response.headers_mut().insert(SIGNATURE_HEADER, v);
    }
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let _ = state.db.box_contact(&b.id, 1, 0, 0, "pull").await;
    Ok(response)
}

/// The hub's next chunk of statements about a box's members after hub
/// record `after`, signed by the hub.
pub async fn records_for(
    db: &Db,
    home_page: &str,
    key: &KeyPair,
    b: &BoxRow,
    after: i64,
) -> cartable_store::Result<(Vec<u8>, [u8; 64])> {
    let members = db.members_of_schools(&b.schools).await?;
    let mut ifis: Vec<String> = members
        .iter()
        .map(|l| format!("account:{home_page}|{l}"))
        .collect();
    ifis.sort();
    let rows = db
        .statements_of_after(&ifis, after, CHUNK_STATEMENTS as i64)
        .await?;
    let newest = db.last_statement_seq().await?;
    let last = rows.last().map_or(newest.max(after), |(seq, _)| *seq);
    let statements = rows
        .iter()
        .filter_map(|(_, json)| serde_json::from_str(json).ok())
        .collect();
    let chunk = Chunk {
        box_id: b.id.clone(),
        direction: Direction::Down,
        after,
        last,
        newest,
        statements,
    };
    let payload = chunk.to_bytes();
    let signature = key.sign(&payload);
    Ok((payload, signature))
}
