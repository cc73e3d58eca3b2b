//! A learner's own records: where they are in each capsule (a projection
//! of their statements, see `cartable_core::progress`), what the player
//! needs to record and resume, and all their records as one download.

use crate::auth::{Admins, AnyRole, Auth, Require};
use crate::xapi::{user_agent, user_ifi};
use crate::{ApiError, Shared};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cartable_core::accounts::User;
use cartable_core::progress::{self, Progress};
use cartable_store::records::StatementQuery;
use serde_json::{Value, json};

/// How many of a learner's newest records their progress is read from.
const RECENT: u32 = 500;
/// The most records one query of the download takes.
const PAGE: u32 = 500;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/me/progress", get(all_progress))
        .route("/me/progress/{capsule}", get(capsule_progress))
        .route("/me/progress/library/{book}", get(book_progress))
        .route("/me/records", get(download))
        .route("/users/{login}/records", get(records_of).delete(erase))
}

/// The learner's newest records, newest first.
pub async fn recent_records(
    state: &Shared,
    auth: &Auth,
    limit: u32,
) -> Result<Vec<Value>, ApiError> {
    let ifi = user_ifi(&state.lrs.home_page, auth.user.login.as_str());
    let rows = state
        .db
        .query_statements(&StatementQuery {
            agent: Some((ifi.0, false)),
            limit,
            ..StatementQuery::default()
        })
        .await?;
    rows.into_iter()
        .map(|(_, json)| serde_json::from_str(&json).map_err(|e| ApiError::Internal(e.to_string())))
        .collect()
}

/// Progress in the platform's capsules, most recently used first.
pub async fn capsules_progress(
    state: &Shared,
    auth: &Auth,
) -> Result<Vec<(String, Progress)>, ApiError> {
    let records = recent_records(state, auth, RECENT).await?;
    Ok(progress::project(&records)
        .into_iter()
        .filter_map(|p| {
            progress::capsule_of(&state.lrs.home_page, &p.activity)
                .map(str::to_owned)
                .map(|id| (id, p))
        })
        .collect())
}

async fn all_progress(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Json<Value>, ApiError> {
    let list = capsules_progress(&state, &auth).await?;
    Ok(Json(json!({
        "capsules": list.into_iter().map(|(id, p)| json!({"capsule": id, "progress": p})).collect::<Vec<_>>()
    })))
}

/// What the player needs: who records (the agent), the session's CSRF
/// token for the LRS, and where to resume.
async fn capsule_progress(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
    Path(capsule): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let activity = progress::capsule_activity(&state.lrs.home_page, &capsule);
    resume_point(&state, &auth, activity).await
}

/// The same for an audiobook: the position is in the whole book.
async fn book_progress(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
    Path(book): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let activity = cartable_core::library::book_activity(&state.lrs.home_page, &book);
    resume_point(&state, &auth, activity).await
}

async fn resume_point(
    state: &Shared,
    auth: &crate::auth::Auth,
    activity: String,
) -> Result<Json<Value>, ApiError> {
    let home = &state.lrs.home_page;
    let ifi = user_ifi(home, auth.user.login.as_str());
    let rows = state
        .db
        .query_statements(&StatementQuery {
            agent: Some((ifi.0.clone(), false)),
            activity: Some((activity.clone(), false)),
            limit: 50,
            ..StatementQuery::default()
        })
        .await?;
    let records: Vec<Value> = rows
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_str(&json).ok())
        .collect();
    let mut found = progress::project(&records).into_iter().next();
    if found.as_ref().is_some_and(|p| !p.completed) {
        let done = state
            .db
            .query_statements(&StatementQuery {
                agent: Some((ifi.0, false)),
                activity: Some((activity.clone(), false)),
                verb: Some(progress::COMPLETED.to_owned()),
                limit: 1,
                ..StatementQuery::default()
            })
            .await?;
        if let Some(p) = found.as_mut() {
            p.completed = !done.is_empty();
        }
    }
    Ok(Json(json!({
        "agent": user_agent(home, auth.user.login.as_str(), &auth.user.name),
        "activity": activity,
        "csrf": auth.csrf,
        "position": found.as_ref().and_then(|p| p.position),
        "completed": found.as_ref().is_some_and(|p| p.completed),
        "satchel": state.settings.satchel_box,
        "vocabulary": {
            "launched": progress::LAUNCHED,
            "progressed": progress::PROGRESSED,
            "completed": progress::COMPLETED,
            "time": progress::TIME,
            "progress": progress::PROGRESS,
            "quality": progress::QUALITY,
            "device": progress::DEVICE,
            "satchel": progress::SATCHEL,
            "video": progress::VIDEO,
            "media": progress::MEDIA,
        },
    })))
}

/// Every record about the learner (as actor, object or otherwise named),
/// as one JSON file.
async fn download(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, ApiError> {
    records_file(&state, &auth.user).await
}

async fn records_file(state: &Shared, user: &User) -> Result<Response, ApiError> {
    let ifi = user_ifi(&state.lrs.home_page, user.login.as_str());
    let mut query = StatementQuery {
        agent: Some((ifi.0, true)),
        ascending: true,
        limit: PAGE,
        ..StatementQuery::default()
    };
    let mut out = String::from("[");
    loop {
        let rows = state.db.query_statements(&query).await?;
        for (_, json) in &rows {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(json);
        }
        match rows.last() {
            Some((seq, _)) if rows.len() == PAGE as usize => query.after = Some(*seq),
            _ => break,
        }
    }
    out.push(']');
    let name = format!(
        "attachment; filename=\"cartable-records-{}.json\"",
        user.login.as_str()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        out,
    )
        .into_response())
}

/// An admin's copy of a person's records (the same file they can download
/// themselves).
async fn records_of(
    State(state): State<Shared>,
    _: Require<Admins>,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    let user = existing(&state, &login).await?;
    records_file(&state, &user).await
}

/// Erases a person's records; the city's counts stay.
async fn erase(
    State(state): State<Shared>,
    _: Require<Admins>,
    Path(login): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = existing(&state, &login).await?;
    let erased = erase_records(&state, user.login.as_str()).await?;
    Ok(Json(json!({"login": user.login, "erased": erased})))
}

async fn existing(state: &Shared, login: &str) -> Result<User, ApiError> {
    state
        .db
        .user(login)
        .await?
        .map(|u| u.user)
        .ok_or_else(|| ApiError::NotFound(format!("user \"{login}\"")))
}

/// Erases the records of a platform user: what the API and the command
/// line both do.
pub async fn erase_records(state: &Shared, login: &str) -> Result<u64, ApiError> {
    let ifi = user_ifi(&state.lrs.home_page, login);
    Ok(crate::xapi::erase(&state.db, &ifi.0, login).await?)
}
