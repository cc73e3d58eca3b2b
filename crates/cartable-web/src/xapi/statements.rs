//! The Statements resource: PUT one statement by id, POST one or many,
//! GET one (by statementId or voidedStatementId) or a filtered page with a
//! `more` link. Every statement is checked by `cartable_core::xapi` before
//! the writer stores it; nothing reaches SQL unchecked.

use super::client::{Client, ReadRight};
use super::error::{XResult, XapiError};
use super::multipart::{self, Part};
use super::writer::Prepared;
use super::{Params, read_body};
use crate::Shared;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use cartable_core::BlobHash;
use cartable_core::xapi::{self, Facts, SIGNATURE_USAGE};
use cartable_store::records::{Attachment, StatementQuery};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The most statements one GET returns (also the page size when the client
/// asks for 0, meaning "the server's maximum").
const PAGE_MAX: u32 = 500;

pub async fn put(
    State(state): State<Shared>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> XResult<Response> {
    client.may_write_statements()?;
    let params = Params::parse(query.as_deref(), &["statementId"])?;
    let id = params
        .get("statementId")
        .ok_or_else(|| XapiError::Bad("PUT needs the statementId parameter".into()))?;
    let id = xapi::check_uuid(id).map_err(|e| XapiError::Bad(format!("statementId: {e}")))?;
    let (value, parts) = read_body(&headers, body).await?;
    if !value.is_object() {
        return Err(XapiError::Bad(
            "PUT takes one statement (a JSON object)".into(),
        ));
    }
    let facts = xapi::check_statement(&value)?;
    if let Some(given) = &facts.id
        && *given != id
    {
        return Err(XapiError::Bad(format!(
            "the statement's id {given} differs from statementId {id}"
        )));
    }
    let checked = vec![(value, facts)];
    store_attachments(&state, &checked, parts).await?;
    let prepared = checked
        .into_iter()
        .map(|(v, f)| prepare(v, f, Some(&id), &client))
        .collect::<XResult<Vec<_>>>()?;
    state.lrs.writer.store(prepared).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn post(
    State(state): State<Shared>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> XResult<Response> {
    client.may_write_statements()?;
    Params::parse(query.as_deref(), &[])?;
    let (value, parts) = read_body(&headers, body).await?;
    let (list, batch) = match value {
        Value::Array(list) => (list, true),
        one @ Value::Object(_) => (vec![one], false),
        _ => {
            return Err(XapiError::Bad(
                "POST takes a statement (a JSON object) or an array of them".into(),
            ));
        }
    };
    let mut checked = Vec::with_capacity(list.len());
    let mut ids = HashSet::new();
    for (i, value) in list.into_iter().enumerate() {
        let facts = xapi::check_statement(&value).map_err(|mut e| {
            if batch {
                e.path = format!("statements[{i}].{}", e.path);
            }
            XapiError::from(e)
        })?;
        if let Some(id) = &facts.id
            && !ids.insert(id.clone())
        {
            return Err(XapiError::Bad(format!(
                "statements[{i}]: the id {id} appears twice in this batch"
            )));
        }
        checked.push((value, facts));
    }
    store_attachments(&state, &checked, parts).await?;
    let prepared = checked
        .into_iter()
        .map(|(v, f)| prepare(v, f, None, &client))
        .collect::<XResult<Vec<_>>>()?;
    let ids: Vec<String> = prepared.iter().map(|p| p.id.clone()).collect();
    state.lrs.writer.store(prepared).await?;
    Ok(axum::Json(ids).into_response())
}

/// Sets what the LRS owns in a checked statement: its id when it has none,
/// `authority`, `version`; `stored` is set by the writer.
fn prepare(mut value: Value, facts: Facts, id: Option<&str>, client: &Client) -> XResult<Prepared> {
    if let Some(own) = &client.learner
        && facts.actor.first() != Some(own)
    {
        return Err(XapiError::Forbidden(
            "a learner may only record statements about themselves".into(),
        ));
    }
    let id = match (id, &facts.id) {
        (Some(id), _) => id.to_owned(),
        (None, Some(id)) => id.clone(),
        (None, None) => xapi::new_statement_id(),
    };
    // Single context activities become arrays, as the LRS must store them.
    value = xapi::format_exact(&value);
    let object = value
        .as_object_mut()
        .ok_or_else(|| XapiError::Bad("a statement must be a JSON object".into()))?;
    object.insert("id".into(), Value::String(id.clone()));
    object.remove("stored");
    object.insert("authority".into(), client.authority.clone());
    object
        .entry("version")
        .or_insert_with(|| Value::String("1.0.0".into()));
    let json = serde_json::to_string(&value).map_err(|e| XapiError::Internal(e.to_string()))?;
    Ok(Prepared {
        id,
        json,
        value,
        facts,
        authority_id: client.authority_id.clone(),
        authority_ifi: client.authority_ifi.clone(),
    })
}

/// Checks the attachment parts against what the statements declare (every
/// declared attachment without a fileUrl is sent, every part is declared,
/// hashes match, signatures are well-formed JWS of the statement) and keeps
/// their bytes.
async fn store_attachments(
    state: &Shared,
    checked: &[(Value, Facts)],
    parts: Vec<Part>,
) -> XResult<()> {
    let mut sent = std::collections::HashMap::new();
    for (i, part) in parts.into_iter().enumerate() {
        let n = i + 2;
        let hash = part.header("x-experience-api-hash").ok_or_else(|| {
            XapiError::Bad(format!(
                "multipart part {n}: it has no X-Experience-API-Hash header"
            ))
        })?;
        if !part
            .header("content-transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("binary"))
        {
            return Err(XapiError::Bad(format!(
                "multipart part {n}: it needs the header Content-Transfer-Encoding: binary"
            )));
        }
        let actual = hex(&Sha256::digest(&part.body));
        if !actual.eq_ignore_ascii_case(hash) {
            return Err(XapiError::Bad(format!(
                "multipart part {n}: its SHA-256 is {actual}, not the {hash} its header says"
            )));
        }
        sent.insert(actual, part);
    }
    let mut used = HashSet::new();
    for (value, facts) in checked {
        for a in &facts.attachments {
            let sha2 = a.sha2.to_ascii_lowercase();
            let Some(part) = sent.get(&sha2) else {
                if a.file_url.is_none() {
                    return Err(XapiError::Bad(format!(
                        "attachment {sha2} has no fileUrl and its bytes were not sent as a multipart part"
                    )));
                }
                continue;
            };
            if a.usage_type == SIGNATURE_USAGE {
                if a.content_type != "application/octet-stream" {
                    return Err(XapiError::Bad(
                        "a signature attachment's contentType must be application/octet-stream"
                            .into(),
                    ));
                }
                let jws = std::str::from_utf8(&part.body)
                    .map_err(|_| XapiError::Bad("the statement's signature is not text".into()))?;
                xapi::check_signature(jws, value)
                    .map_err(|e| XapiError::Bad(format!("the statement's signature: {e}")))?;
            }
            used.insert(sha2);
        }
    }
    if let Some(extra) = sent.keys().find(|k| !used.contains(*k)) {
        return Err(XapiError::Bad(format!(
            "multipart part with hash {extra} is not an attachment of any statement"
        )));
    }
    for (sha2, part) in sent {
        let length = part.body.len() as i64;
        let content_type = part
            .header("content-type")
            .unwrap_or("application/octet-stream")
            .to_owned();
        let blob = state
            .blobs
            .put_bytes(part.body)
            .await
            .map_err(|e| XapiError::Internal(e.to_string()))?;
        state
            .db
            .put_attachment(&Attachment {
                sha2,
                content_type,
                length,
                blob: blob.to_string(),
            })
            .await?;
    }
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parameters GET accepts.
const GET_PARAMS: &[&str] = &[
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "cursor",
];

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
enum Format {
    Ids,
    Exact,
    Canonical,
}

/// A query and where its next page starts, carried by `more` links.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    query: StatementQuery,
    format: Format,
    attachments: bool,
}

pub async fn get(
    State(state): State<Shared>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> XResult<Response> {
    let right = client.may_read_statements()?;
    let params = Params::parse(query.as_deref(), GET_PARAMS)?;
    let format = match params.get("format") {
        None | Some("exact") => Format::Exact,
        Some("ids") => Format::Ids,
        Some("canonical") => Format::Canonical,
        Some(other) => {
            return Err(XapiError::Bad(format!(
                "format must be ids, exact or canonical, not {other:?}"
            )));
        }
    };
    let attachments = params.flag("attachments")?;
    let languages = accept_languages(&headers);
    let single = [("statementId", false), ("voidedStatementId", true)]
        .into_iter()
        .find_map(|(name, voided)| params.get(name).map(|id| (name, id, voided)));
    if let Some((name, id, voided)) = single {
        if let Some(other) = params
            .names()
            .find(|n| !["format", "attachments", name].contains(n))
        {
            return Err(XapiError::Bad(format!(
                "{name} cannot be combined with {other}"
            )));
        }
        let id = xapi::check_uuid(id).map_err(|e| XapiError::Bad(format!("{name}: {e}")))?;
        return one(
            &state,
            &client,
            &right,
            &id,
            voided,
            format,
            attachments,
            &languages,
        )
        .await;
    }
    let cursor = match params.get("cursor") {
        Some(c) => decode_cursor(c)?,
        None => Cursor {
            query: filter(&params)?,
            format,
            attachments,
        },
    };
    page(&state, &client, &right, cursor, &languages).await
}

fn filter(params: &Params) -> XResult<StatementQuery> {
    let agent = params
        .get("agent")
        .map(|a| super::documents::agent_value(a).map(|(_, ifi)| ifi.0))
        .transpose()?;
    let iri = |name: &str| {
        params
            .get(name)
            .map(|v| {
                xapi::check_iri(v)
                    .map(|()| v.to_owned())
                    .map_err(|e| XapiError::Bad(format!("{name}: {e}")))
            })
            .transpose()
    };
    let time = |name: &str| {
        params
            .get(name)
            .map(|v| {
                xapi::parse_timestamp(v)
                    .map(|t| t.timestamp_micros())
                    .map_err(|e| XapiError::Bad(format!("{name}: {e}")))
            })
            .transpose()
    };
    let limit = match params.get("limit") {
        None => PAGE_MAX,
        Some(l) => match l.parse::<u32>() {
            Ok(0) => PAGE_MAX,
            Ok(n) => n.min(PAGE_MAX),
            Err(_) => {
                return Err(XapiError::Bad(format!(
                    "limit must be a whole number, not {l:?}"
                )));
            }
        },
    };
    let related_agents = params.flag("related_agents")?;
    let related_activities = params.flag("related_activities")?;
    Ok(StatementQuery {
        agent: agent.map(|a| (a, related_agents)),
        verb: iri("verb")?,
        activity: iri("activity")?.map(|a| (a, related_activities)),
        registration: params
            .get("registration")
            .map(|r| xapi::check_uuid(r).map_err(|e| XapiError::Bad(format!("registration: {e}"))))
            .transpose()?,
        since: time("since")?,
        until: time("until")?,
        authority: None,
        ascending: params.flag("ascending")?,
        limit,
        after: None,
        up_to: None,
    })
}

/// Applies what the caller may see to a query.
fn restrict(query: &mut StatementQuery, client: &Client, right: &ReadRight) -> XResult<()> {
    if let ReadRight::Mine = right {
        query.authority = Some(client.authority_id.clone());
    }
    if let Some(own) = &client.learner {
        match &query.agent {
            Some((ifi, _)) if *ifi != own.0 => {
                return Err(XapiError::Forbidden(
                    "a learner may only read their own records".into(),
                ));
            }
            _ => query.agent = Some((own.0.clone(), false)),
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn one(
    state: &Shared,
    client: &Client,
    right: &ReadRight,
    id: &str,
    voided: bool,
    format: Format,
    attachments: bool,
    languages: &[String],
) -> XResult<Response> {
    let not_found = || {
        XapiError::NotFound(if voided {
            format!("no voided statement {id}")
        } else {
            format!("no statement {id} (or it was voided: ask with voidedStatementId)")
        })
    };
    let Some((json, is_voided)) = state.db.statement(id).await? else {
        return Err(not_found());
    };
    if is_voided != voided {
        return Err(not_found());
    }
    let value: Value =
        serde_json::from_str(&json).map_err(|e| XapiError::Internal(e.to_string()))?;
    let mut query = StatementQuery::default();
    restrict(&mut query, client, right)?;
    if query.authority.is_some() || query.agent.is_some() {
        let mine = query.authority.as_ref().is_none_or(|a| {
            value.get("authority") == Some(&client.authority) || *a == client.authority_id
        });
        let own = query.agent.as_ref().is_none_or(|(ifi, _)| {
            value
                .get("actor")
                .and_then(|a| xapi::check_agent_param(a).ok())
                .is_some_and(|a| a.ifi.0 == *ifi)
        });
        if !mine || !own {
            return Err(not_found());
        }
    }
    let stored = value
        .get("stored")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let shown = shape(value, format, languages);
    let mut response = respond(state, shown, attachments).await?;
    if let Some(last_modified) = xapi::parse_timestamp(&stored)
        .ok()
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .and_then(|t| HeaderValue::from_str(&t).ok())
    {
        response
            .headers_mut()
            .insert(header::LAST_MODIFIED, last_modified);
    }
    Ok(response)
}

async fn page(
    state: &Shared,
    client: &Client,
    right: &ReadRight,
    mut cursor: Cursor,
    languages: &[String],
) -> XResult<Response> {
    restrict(&mut cursor.query, client, right)?;
    if cursor.query.up_to.is_none() {
        cursor.query.up_to = Some(state.db.last_statement_seq().await?);
    }
    let limit = cursor.query.limit;
    let mut asked = cursor.query.clone();
    asked.limit = limit + 1;
    let mut rows = state.db.query_statements(&asked).await?;
    let more = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        let mut next = Cursor {
            query: cursor.query.clone(),
            format: cursor.format,
            attachments: cursor.attachments,
        };
        next.query.after = rows.last().map(|(seq, _)| *seq);
        format!("/xapi/statements?cursor={}", encode_cursor(&next)?)
    } else {
        String::new()
    };
    if cursor.format == Format::Exact && !cursor.attachments {
        // Stored statements are already in their exact form: the page is
        // their text joined, with no parsing.
        let size = rows.iter().map(|(_, j)| j.len() + 1).sum::<usize>();
        let mut body = String::with_capacity(size + more.len() + 32);
        body.push_str("{\"statements\":[");
        for (i, (_, json)) in rows.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(json);
        }
        body.push_str("],\"more\":");
        body.push_str(&Value::String(more).to_string());
        body.push('}');
        let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        consistent_through(&mut response);
        return Ok(response);
    }
    let statements = rows
        .into_iter()
        .map(|(_, json)| {
            serde_json::from_str::<Value>(&json)
                .map(|v| shape(v, cursor.format, languages))
                .map_err(|e| XapiError::Internal(e.to_string()))
        })
        .collect::<XResult<Vec<_>>>()?;
    let result = json!({"statements": statements, "more": more});
    respond(state, result, cursor.attachments).await
}

fn shape(statement: Value, format: Format, languages: &[String]) -> Value {
    match format {
        Format::Exact => statement,
        Format::Ids => xapi::format_ids(&statement),
        Format::Canonical => xapi::format_canonical(&statement, languages),
    }
}

/// The answer as JSON, or with `attachments=true` as multipart/mixed with
/// the JSON first and every attachment the statements name after it.
async fn respond(state: &Shared, body: Value, attachments: bool) -> XResult<Response> {
    let mut response = if attachments {
        let mut hashes: Vec<String> = Vec::new();
        collect_hashes(&body, &mut hashes);
        hashes.sort();
        hashes.dedup();
        let wanted: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let mut parts = vec![Part {
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
        }];
        for a in state.db.attachments(&wanted).await? {
            let hash = BlobHash::try_from(a.blob.as_str())
                .map_err(|e| XapiError::Internal(e.to_string()))?;
            let bytes = state
                .blobs
                .get(&hash)
                .await
                .map_err(|e| XapiError::Internal(e.to_string()))?;
            parts.push(Part {
                headers: vec![
                    ("Content-Type".into(), a.content_type),
                    ("Content-Transfer-Encoding".into(), "binary".into()),
                    ("X-Experience-API-Hash".into(), a.sha2),
                ],
                body: bytes,
            });
        }
        let (boundary, bytes) = multipart::compose(&parts).map_err(XapiError::Internal)?;
        (
            [(
                header::CONTENT_TYPE,
                format!("multipart/mixed; boundary={boundary}"),
            )],
            bytes,
        )
            .into_response()
    } else {
        axum::Json(body).into_response()
    };
    consistent_through(&mut response);
    Ok(response)
}

/// Every statement stored before now is visible: the writer answers only
/// after its commit.
fn consistent_through(response: &mut Response) {
    let now = xapi::format_timestamp(chrono::Utc::now());
    if let Ok(v) = HeaderValue::from_str(&now) {
        response
            .headers_mut()
            .insert("x-experience-api-consistent-through", v);
    }
}

fn collect_hashes(value: &Value, out: &mut Vec<String>) {
    let list: Vec<&Value> = match value.get("statements").and_then(Value::as_array) {
        Some(all) => all.iter().collect(),
        None => vec![value],
    };
    for s in list {
        for a in s
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(h) = a.get("sha2").and_then(Value::as_str) {
                out.push(h.to_ascii_lowercase());
            }
        }
    }
}

fn encode_cursor(cursor: &Cursor) -> XResult<String> {
    let json = serde_json::to_vec(cursor).map_err(|e| XapiError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

fn decode_cursor(text: &str) -> XResult<Cursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| XapiError::Bad("cursor is not one this LRS gave out in a more link".into()))
}

/// The languages of Accept-Language, most wanted first.
pub fn accept_languages(headers: &HeaderMap) -> Vec<String> {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Vec::new();
    };
    let mut weighted: Vec<(f32, usize, String)> = value
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut pieces = item.split(';');
            let tag = pieces.next()?.trim();
            if tag.is_empty() || tag == "*" {
                return None;
            }
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((q, i, tag.to_owned()))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, t)| t).collect()
}
