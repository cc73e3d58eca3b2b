//! "My learning": a signed-in learner's capsules to continue (where they
//! stopped), what they finished, their recent records, the download of all
//! their records, and a plain account of what the platform keeps about
//! them. Everything here is read from their learning records.

use super::account::personal;
use super::view::{Page, Text, duration, text};
use super::{PageError, ui_lang};
use crate::Shared;
use crate::api::progress::{capsules_progress, recent_records};
use crate::auth::MaybeAuth;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cartable_core::progress;
use serde_json::Value;

/// How many capsules each list shows, and how many records the history.
const SHOWN: usize = 20;
const HISTORY: u32 = 30;

struct Line {
    url: String,
    title: Text,
    /// Where they stopped (m:ss), for capsules in progress.
    at: Option<String>,
    /// Percent reached, when known.
    reached: Option<u32>,
}

struct Event {
    when: String,
    what: String,
    title: Text,
    url: String,
}

/// An assignment as the learner sees it.
pub struct Homework {
    pub what: String,
    pub due: String,
    pub progress: String,
    pub late: bool,
    pub finished: bool,
    /// The first capsule not finished yet.
    pub next: Option<String>,
}

/// The learner's assignments, soonest due first.
pub async fn homework(
    state: &Shared,
    lang: crate::UiLang,
    login: &str,
) -> Result<Vec<Homework>, crate::ApiError> {
    let programmes = state.db.programmes().await?;
    let today = chrono::Utc::now().date_naive().to_string();
    let mut out = Vec::new();
    for a in state.db.learner_assignments(login).await? {
        let activities = crate::api::assignments::activities(state, &a);
        let refs: Vec<&str> = activities.iter().map(String::as_str).collect();
        let rows = state.db.progress_of(login, &refs).await?;
        let finished: Vec<&str> = rows
            .iter()
            .filter(|r| r.completed)
            .map(|r| r.activity.as_str())
            .collect();
        let next = a
            .capsules
            .iter()
            .zip(&activities)
            .find(|(_, act)| !finished.contains(&act.as_str()))
            .map(|(c, _)| format!("/{}/capsules/{c}", lang.code()));
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("done", finished.len());
        args.set("total", a.capsules.len());
        let what = crate::api::assignments::label(&programmes, &a, lang);
        out.push(Homework {
            what,
            late: next.is_some() && a.due < today,
            finished: next.is_none(),
            progress: crate::i18n::I18N.message(lang, "assign-progress", Some(&args)),
            due: a.due,
            next,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "learning.html")]
struct LearningTemplate {
    page: Page,
    homework: Vec<Homework>,
    going: Vec<Line>,
    done: Vec<Line>,
    history: Vec<Event>,
}

pub async fn page(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let Some(auth) = auth else {
        return Ok(Redirect::to(&format!("/{}/login", lang.code())).into_response());
    };
    let internal = |e: crate::ApiError| PageError::Internal(lang, e.message());
    let list = capsules_progress(&state, &auth).await.map_err(internal)?;
    let mut going = Vec::new();
    let mut done = Vec::new();
    for (id, p) in list {
        let Some(c) = state.db.capsule(&id).await.map_err(|e| (lang, e))? else {
            continue;
        };
        let line = Line {
            url: format!("/{}/capsules/{id}", lang.code()),
            title: text(&c.titles, lang),
            at: p.position.map(|s| duration((s * 1000.0) as u64)),
            reached: p.reached.map(|r| (r * 100.0).round() as u32),
        };
        if p.completed {
            done.push(line);
        } else if going.len() < SHOWN {
            going.push(line);
        }
    }
    done.truncate(SHOWN);
    let page = Page::new_static(lang, "learning-title", "/learning".into());
    let mut history = Vec::new();
    for r in recent_records(&state, &auth, HISTORY)
        .await
        .map_err(internal)?
    {
        let Some(event) = event(&state, &page, &r).await else {
            continue;
        };
        history.push(event);
    }
    let homework = homework(&state, lang, auth.user.login.as_str())
        .await
        .map_err(internal)?;
    let template = LearningTemplate {
        page,
        homework,
        going,
        done,
        history,
    };
    personal(lang, StatusCode::OK, template.render())
}

/// One record as a line of the history, when it is about a capsule.
async fn event(state: &Shared, page: &Page, record: &Value) -> Option<Event> {
    let activity = record.pointer("/object/id")?.as_str()?;
    let id = progress::capsule_of(&state.lrs.home_page, activity)?;
    let capsule = state.db.capsule(id).await.ok()??;
    let verb = record.pointer("/verb/id")?.as_str()?;
    let key = match verb {
        progress::LAUNCHED => "learning-started",
        progress::COMPLETED => "learning-finished",
        _ => "learning-watched",
    };
    let when = record
        .get("timestamp")
        .or_else(|| record.get("stored"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Some(Event {
        when: when.get(..16).unwrap_or(when).replace('T', " "),
        what: page.t(key),
        title: text(&capsule.titles, page.lang),
        url: format!("/{}/capsules/{id}", page.code()),
    })
}
