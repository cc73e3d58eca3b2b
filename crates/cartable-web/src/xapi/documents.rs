//! The document resources (State, Activity Profile, Agent Profile) and the
//! Activities and Agents resources.
//!
//! A document's bytes live in the blob store and its row in SQL; its ETag
//! is the SHA-1 of its bytes, quoted, as xAPI asks. Writes honour If-Match
//! and If-None-Match atomically (the condition is part of the SQL write);
//! a profile overwritten without either header is refused with 409, as the
//! spec requires. POST merges JSON objects key by key.

use super::client::Client;
use super::error::{XResult, XapiError};
use super::{Params, read_limited};
use crate::Shared;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use cartable_core::BlobHash;
use cartable_core::xapi::{self, Ifi};
use cartable_store::records::{DocKey, Document, Precondition};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

/// Which document resource a request is for.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    State,
    ActivityProfile,
    AgentProfile,
}

impl Kind {
    fn table_name(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::ActivityProfile => "activity_profile",
            Kind::AgentProfile => "agent_profile",
        }
    }

    fn id_param(self) -> &'static str {
        match self {
            Kind::State => "stateId",
            _ => "profileId",
        }
    }

    fn scope(self) -> &'static str {
        match self {
            Kind::State => "state",
            _ => "profile",
        }
    }

    fn params(self) -> &'static [&'static str] {
        match self {
            Kind::State => &["activityId", "agent", "registration", "stateId", "since"],
            Kind::ActivityProfile => &["activityId", "profileId", "since"],
            Kind::AgentProfile => &["agent", "profileId", "since"],
        }
    }
}

/// Where a request's document (or documents) live.
struct Place {
    kind: Kind,
    activity: String,
    agent: String,
    registration: String,
    doc_id: Option<String>,
    since: Option<i64>,
}

impl Place {
    fn key<'a>(&'a self, doc_id: &'a str) -> DocKey<'a> {
        DocKey {
            kind: self.kind.table_name(),
            activity: &self.activity,
            agent: &self.agent,
            registration: &self.registration,
            doc_id,
        }
    }

    fn doc_id(&self) -> XResult<&str> {
        self.doc_id.as_deref().ok_or_else(|| {
            XapiError::Bad(format!(
                "the {} parameter is required",
                self.kind.id_param()
            ))
        })
    }
}

fn place(kind: Kind, client: &Client, query: Option<&str>, write: bool) -> XResult<Place> {
    client.may_use_documents(kind.scope(), write)?;
    let params = Params::parse(query, kind.params())?;
    let activity = if kind == Kind::AgentProfile {
        String::new()
    } else {
        let a = params.required("activityId")?;
        xapi::check_iri(a).map_err(|e| XapiError::Bad(format!("activityId: {e}")))?;
        a.to_owned()
    };
    let agent = if kind == Kind::ActivityProfile {
        String::new()
    } else {
        let ifi = agent_param(params.required("agent")?)?;
        // Learners keep their own state; an activity's profile is shared,
        // so they may read it but not change it.
        client.may_act_for(&ifi)?;
        ifi.0
    };
    if kind == Kind::ActivityProfile && write && client.learner.is_some() {
        return Err(XapiError::Forbidden(
            "a learner may not change an activity's profile".into(),
        ));
    }
    let registration = match params.get("registration") {
        Some(r) => xapi::check_uuid(r).map_err(|e| XapiError::Bad(format!("registration: {e}")))?,
        None => String::new(),
    };
    let since = params
        .get("since")
        .map(|s| {
            xapi::parse_timestamp(s)
                .map(|t| t.timestamp_micros())
                .map_err(|e| XapiError::Bad(format!("since: {e}")))
        })
        .transpose()?;
    Ok(Place {
        kind,
        activity,
        agent,
        registration,
        doc_id: params.get(kind.id_param()).map(str::to_owned),
        since,
    })
}

fn agent_param(text: &str) -> XResult<Ifi> {
    agent_value(text).map(|(_, ifi)| ifi)
}

/// An `agent` parameter: the JSON and its identifier.
pub(super) fn agent_value(text: &str) -> XResult<(Value, Ifi)> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| XapiError::Bad(format!("agent is not JSON: {e}")))?;
    let agent = xapi::check_agent_param(&value).map_err(|mut e| {
        e.path = format!("agent.{}", e.path);
        XapiError::from(e)
    })?;
    Ok((value, agent.ifi))
}

fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// If-Match / If-None-Match, read from the headers.
struct Conditions {
    if_match: Option<String>,
    if_none_match: Option<String>,
}

fn conditions(headers: &HeaderMap) -> Conditions {
    let get = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    };
    Conditions {
        if_match: get(header::IF_MATCH),
        if_none_match: get(header::IF_NONE_MATCH),
    }
}

/// Whether an If-Match value names this ETag (or is `*`).
fn matches(condition: &str, etag: &str) -> bool {
    condition
        .split(',')
        .map(|c| c.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|c| c == "*" || c == etag)
}

async fn get_doc(
    state: Shared,
    client: Client,
    query: Option<String>,
    kind: Kind,
) -> XResult<Response> {
    let place = place(kind, &client, query.as_deref(), false)?;
    let Some(doc_id) = place.doc_id.as_deref() else {
        let ids = state
            .db
            .document_ids(
                kind.table_name(),
                &place.activity,
                &place.agent,
                &place.registration,
                place.since,
            )
            .await?;
        return Ok(axum::Json(ids).into_response());
    };
    if place.since.is_some() {
        return Err(XapiError::Bad(format!(
            "since only applies when asking for the list of ids, without {}",
            kind.id_param()
        )));
    }
    let doc = state
        .db
        .document(place.key(doc_id))
        .await?
        .ok_or_else(|| XapiError::NotFound(format!("no document {doc_id:?} here")))?;
    let bytes = read_blob(&state, &doc.blob).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, doc.content_type.clone()),
        (header::ETAG, quoted(&doc.etag)),
        (header::LAST_MODIFIED, http_date(doc.updated)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    Ok(response)
}

fn http_date(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

async fn read_blob(state: &Shared, blob: &str) -> XResult<Bytes> {
    let hash = BlobHash::try_from(blob).map_err(|e| XapiError::Internal(e.to_string()))?;
    state
        .blobs
        .get(&hash)
        .await
        .map_err(|e| XapiError::Internal(e.to_string()))
}

/// PUT replaces; POST merges JSON objects into the stored one.
async fn write_doc(
    state: Shared,
    client: Client,
    query: Option<String>,
    headers: HeaderMap,
    body: Body,
    kind: Kind,
    merge: bool,
) -> XResult<Response> {
    let place = place(kind, &client, query.as_deref(), true)?;
    let doc_id = place.doc_id()?.to_owned();
    if place.since.is_some() {
        return Err(XapiError::Bad("since only applies to GET".into()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let is_json = content_type
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"));
    let mut bytes = read_limited(body).await?;
    if is_json {
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| XapiError::Bad(format!("the document says it is JSON but is not: {e}")))?;
    }
    let stored = state.db.document(place.key(&doc_id)).await?;
    let cond = conditions(&headers);
    let pre = precondition(&cond, stored.as_ref(), kind, merge)?;
    if merge && let Some(old) = &stored {
        bytes = merged(&state, old, is_json, &bytes).await?;
    }
    let etag = super::statements::hex(&Sha1::digest(&bytes));
    let blob = state
        .blobs
        .put_bytes(bytes)
        .await
        .map_err(|e| XapiError::Internal(e.to_string()))?;
    let doc = Document {
        content_type: if merge && stored.is_some() {
            "application/json".into()
        } else {
            content_type
        },
        blob: blob.to_string(),
        etag,
        updated: chrono::Utc::now().timestamp_micros(),
    };
    if !state.db.put_document(place.key(&doc_id), &doc, pre).await? {
        return Err(XapiError::PreconditionFailed(
            "the document changed since you read it (its ETag differs)".into(),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Checks the concurrency headers against the stored document and says
/// how the write must be guarded.
fn precondition<'a>(
    cond: &'a Conditions,
    stored: Option<&'a Document>,
    kind: Kind,
    merge: bool,
) -> XResult<Precondition<'a>> {
    let failed = |why: &str| XapiError::PreconditionFailed(why.to_owned());
    if let Some(m) = &cond.if_match {
        let Some(doc) = stored else {
            return Err(failed("If-Match was given but there is no such document"));
        };
        if !matches(m, &doc.etag) {
            return Err(failed("If-Match does not match the document's ETag"));
        }
        return Ok(Precondition::Matches(&doc.etag));
    }
    if let Some(n) = &cond.if_none_match {
        if n.trim() == "*" {
            if stored.is_some() {
                return Err(failed("If-None-Match: * but the document exists"));
            }
            return Ok(Precondition::Absent);
        }
        if stored.is_some_and(|d| matches(n, &d.etag)) {
            return Err(failed("If-None-Match names the document's ETag"));
        }
    }
    if !merge && kind != Kind::State && stored.is_some() {
        return Err(XapiError::Conflict(
            "this profile exists: send If-Match with its ETag (or If-None-Match: *) to change it"
                .into(),
        ));
    }
    // A merge read the stored document: write only if it is still that
    // one. A plain PUT without headers simply replaces.
    Ok(match (merge, stored) {
        (true, Some(doc)) => Precondition::Matches(&doc.etag),
        (true, None) => Precondition::Absent,
        (false, _) => Precondition::None,
    })
}

async fn merged(state: &Shared, old: &Document, is_json: bool, new: &Bytes) -> XResult<Bytes> {
    let old_json = old
        .content_type
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"));
    if !is_json || !old_json {
        return Err(XapiError::Bad(
            "POST merges JSON objects: both the stored and the sent document must be application/json".into(),
        ));
    }
    let old_bytes = read_blob(state, &old.blob).await?;
    let (Ok(Value::Object(mut base)), Ok(Value::Object(add))) = (
        serde_json::from_slice::<Value>(&old_bytes),
        serde_json::from_slice::<Value>(new),
    ) else {
        return Err(XapiError::Bad(
            "POST merges JSON objects: both documents must be JSON objects".into(),
        ));
    };
    base.extend(add);
    Ok(Bytes::from(Value::Object(base).to_string()))
}

async fn delete_doc(
    state: Shared,
    client: Client,
    query: Option<String>,
    headers: HeaderMap,
    kind: Kind,
) -> XResult<Response> {
    let place = place(kind, &client, query.as_deref(), true)?;
    if place.since.is_some() {
        return Err(XapiError::Bad("since only applies to GET".into()));
    }
    match place.doc_id.as_deref() {
        Some(doc_id) => {
            let cond = conditions(&headers);
            if let Some(m) = &cond.if_match {
                let stored = state.db.document(place.key(doc_id)).await?;
                let ok = stored.as_ref().is_some_and(|d| matches(m, &d.etag));
                if !ok
                    || !state
                        .db
                        .delete_document(
                            place.key(doc_id),
                            stored.as_ref().map(|d| d.etag.as_str()),
                        )
                        .await?
                {
                    return Err(XapiError::PreconditionFailed(
                        "If-Match does not match the document's ETag".into(),
                    ));
                }
            } else {
                state.db.delete_document(place.key(doc_id), None).await?;
            }
        }
        None if kind == Kind::State => {
            state
                .db
                .delete_documents(
                    kind.table_name(),
                    &place.activity,
                    &place.agent,
                    &place.registration,
                )
                .await?;
        }
        None => {
            return Err(XapiError::Bad("the profileId parameter is required".into()));
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

macro_rules! handlers {
    ($kind:expr, $get:ident, $put:ident, $post:ident, $delete:ident) => {
        pub async fn $get(
            State(state): State<Shared>,
            client: Client,
            RawQuery(q): RawQuery,
        ) -> XResult<Response> {
            get_doc(state, client, q, $kind).await
        }
        pub async fn $put(
            State(state): State<Shared>,
            client: Client,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
            body: Body,
        ) -> XResult<Response> {
            write_doc(state, client, q, headers, body, $kind, false).await
        }
        pub async fn $post(
            State(state): State<Shared>,
            client: Client,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
            body: Body,
        ) -> XResult<Response> {
            write_doc(state, client, q, headers, body, $kind, true).await
        }
        pub async fn $delete(
            State(state): State<Shared>,
            client: Client,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
        ) -> XResult<Response> {
            delete_doc(state, client, q, headers, $kind).await
        }
    };
}

handlers!(Kind::State, get_state, put_state, post_state, delete_state);
handlers!(
    Kind::ActivityProfile,
    get_activity_profile,
    put_activity_profile,
    post_activity_profile,
    delete_activity_profile
);
handlers!(
    Kind::AgentProfile,
    get_agent_profile,
    put_agent_profile,
    post_agent_profile,
    delete_agent_profile
);

/// GET /activities?activityId=: the activity with every definition the
/// statements gave of it, merged.
pub async fn activity(
    State(state): State<Shared>,
    client: Client,
    RawQuery(q): RawQuery,
) -> XResult<Response> {
    client.may_read_statements()?;
    let params = Params::parse(q.as_deref(), &["activityId"])?;
    let id = params.required("activityId")?;
    xapi::check_iri(id).map_err(|e| XapiError::Bad(format!("activityId: {e}")))?;
    let definitions = state.db.activity_definitions(&[id]).await?;
    let mut activity = json!({"objectType": "Activity", "id": id});
    if let Some(d) = definitions
        .get(id)
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
    {
        activity["definition"] = d;
    }
    Ok(axum::Json(activity).into_response())
}

/// GET /agents?agent=: the Person this LRS knows under that identifier.
/// cartable does not link identifiers, so a Person has one, and the name
/// of the agent's most recent statement.
pub async fn person(
    State(state): State<Shared>,
    client: Client,
    RawQuery(q): RawQuery,
) -> XResult<Response> {
    client.may_read_statements()?;
    let params = Params::parse(q.as_deref(), &["agent"])?;
    let (value, ifi) = agent_value(params.required("agent")?)?;
    client.may_act_for(&ifi)?;
    let mut person = json!({"objectType": "Person"});
    for key in ["mbox", "mbox_sha1sum", "openid", "account"] {
        if let Some(v) = value.get(key) {
            person[key] = json!([v]);
        }
    }
    let name = state
        .db
        .latest_statement_of(&ifi.0)
        .await?
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .and_then(|s| {
            ["actor", "object"].iter().find_map(|k| {
                let a = s.get(*k)?;
                let same = xapi::check_agent_param(a).ok()?.ifi == ifi;
                same.then(|| a.get("name")?.as_str().map(str::to_owned))
                    .flatten()
            })
        })
        .or_else(|| value.get("name").and_then(Value::as_str).map(str::to_owned));
    if let Some(name) = name {
        person["name"] = json!([name]);
    }
    Ok(axum::Json(person).into_response())
}
