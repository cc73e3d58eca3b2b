//! Assignments: a teacher asks a class to watch a programme or some
//! capsules by a day; each learner sees theirs with how much is done, read
//! from their progress. The rules live here, shared by the API and the
//! teacher's page.

use crate::api::accounts::{body, taught_class};
use crate::auth::{AnyRole, Require, Teachers};
use crate::{ApiError, Shared};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use cartable_core::accounts::{Secret, User};
use cartable_core::progress;
use cartable_store::assignments::Assignment;
use cartable_store::catalog::CapsuleFilter;
use serde::Deserialize;
use serde_json::{Value, json};

/// The most capsules one assignment may ask for.
const MAX_CAPSULES: u32 = 200;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/classes/{id}/assignments", get(list).post(create))
        .route("/classes/{id}/assignments/{aid}", delete(remove))
        .route("/me/assignments", get(mine))
}

/// What a teacher asks for.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub programme: Option<String>,
    #[serde(default)]
    pub capsules: Vec<String>,
    pub due: String,
}

/// Checks and stores an assignment for a class the caller teaches.
pub async fn assign(
    state: &Shared,
    by: &User,
    class: &str,
    new: NewAssignment,
) -> Result<Assignment, ApiError> {
    taught_class(state, by, class).await?;
    let due = chrono::NaiveDate::parse_from_str(new.due.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::Invalid(format!("due \"{}\" is not a day as YYYY-MM-DD", new.due))
    })?;
    let programme = new.programme.filter(|p| !p.trim().is_empty());
    let mut capsules = if let Some(p) = &programme {
        let id = cartable_core::ProgrammeId::try_from(p.as_str())
            .map_err(|_| ApiError::Invalid(format!("there is no programme \"{p}\"")))?;
        if state.db.programme(p).await?.is_none() {
            return Err(ApiError::Invalid(format!("there is no programme \"{p}\"")));
        }
        let filter = CapsuleFilter {
            programme: Some(id),
            ..CapsuleFilter::default()
        };
        let in_programme = state
            .db
            .capsules(&filter, None, MAX_CAPSULES)
            .await?
            .capsules;
        let ids: Vec<String> = in_programme.iter().map(|c| c.id.to_string()).collect();
        if let Some(c) = new.capsules.iter().find(|c| !ids.contains(c)) {
            return Err(ApiError::Invalid(format!(
                "capsule \"{c}\" is not in programme \"{p}\""
            )));
        }
        if new.capsules.is_empty() {
            ids
        } else {
            new.capsules
        }
    } else {
        for c in &new.capsules {
            if state.db.capsule(c).await?.is_none() {
                return Err(ApiError::Invalid(format!("there is no capsule \"{c}\"")));
            }
        }
        new.capsules
    };
    capsules.dedup();
    if capsules.is_empty() {
        return Err(ApiError::Invalid(
            "an assignment needs a programme or at least one capsule".into(),
        ));
    }
    if capsules.len() > MAX_CAPSULES as usize {
        return Err(ApiError::Invalid(format!(
            "an assignment asks for at most {MAX_CAPSULES} capsules"
        )));
    }
    let assignment = Assignment {
        id: Secret::new()?.expose()[..12].to_owned(),
        class_id: class.to_owned(),
        programme,
        capsules,
        due: due.to_string(),
        created_by: by.login.to_string(),
    };
    state.db.add_assignment(&assignment).await?;
    Ok(assignment)
}

/// How many of an assignment's capsules a learner finished.
pub async fn done_by(state: &Shared, login: &str, a: &Assignment) -> Result<usize, ApiError> {
    let activities = activities(state, a);
    let refs: Vec<&str> = activities.iter().map(String::as_str).collect();
    let rows = state.db.progress_of(login, &refs).await?;
    Ok(rows.iter().filter(|r| r.completed).count())
}

async fn create(
    State(state): State<Shared>,
    Require(auth, ..): Require<Teachers>,
    Path(id): Path<String>,
    json: Result<Json<NewAssignment>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(json)?;
    let a = assign(&state, &auth.user, &id, new).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

async fn list(
    State(state): State<Shared>,
    Require(auth, ..): Require<Teachers>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    taught_class(&state, &auth.user, &id).await?;
    let list = state.db.class_assignments(&id).await?;
    Ok(Json(json!({ "assignments": list })))
}

async fn remove(
    State(state): State<Shared>,
    Require(auth, ..): Require<Teachers>,
    Path((id, aid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    taught_class(&state, &auth.user, &id).await?;
    if state.db.remove_assignment(&id, &aid).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("assignment \"{aid}\"")))
    }
}

async fn mine(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Json<Value>, ApiError> {
    let login = auth.user.login.as_str();
    let mut out = Vec::new();
    for a in state.db.learner_assignments(login).await? {
        let done = done_by(&state, login, &a).await?;
        out.push(json!({"assignment": a, "done": done, "total": a.capsules.len()}));
    }
    Ok(Json(json!({ "assignments": out })))
}

/// The activity ids of an assignment's capsules, in order.
pub fn activities(state: &Shared, a: &Assignment) -> Vec<String> {
    a.capsules
        .iter()
        .map(|c| progress::capsule_activity(&state.lrs.home_page, c))
        .collect()
}

/// What an assignment asks, in words: its programme's title, or how many
/// capsules.
pub fn label(
    programmes: &[cartable_core::catalog::Programme],
    a: &Assignment,
    lang: crate::UiLang,
) -> String {
    match &a.programme {
        Some(p) => programmes
            .iter()
            .find(|x| x.id.as_str() == p)
            .map_or_else(|| p.clone(), |x| crate::ui::text_in(&x.titles, lang)),
        None => {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("count", a.capsules.len());
            crate::i18n::I18N.message(lang, "capsule-count", Some(&args))
        }
    }
}
