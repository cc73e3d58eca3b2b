//! The teacher's view of a class's learning: learners × the capsules of a
//! programme (not started / in progress / completed, with time spent), who
//! has been away for N days, where learners stop in each capsule, and the
//! same matrix as CSV.
//!
//! Everything comes from the progress projection (`progress` table, kept
//! by the LRS writer): one indexed query for the matrix and one for the
//! learners' last activity, whatever the number of statements behind them.

use super::account::personal;
use super::view::{Page, Text, text};
use super::{PageError, ui_lang};
use crate::api::accounts::taught_class;
use crate::api::assignments::NewAssignment;
use crate::auth::{Auth, Require, Teachers};
use crate::{ApiError, Shared, UiLang};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cartable_core::accounts::Class;
use cartable_core::catalog::Programme;
use cartable_core::progress;
use cartable_store::catalog::CapsuleFilter;
use cartable_store::records::ProgressRow;
use serde::Deserialize;
use std::collections::HashMap;

/// Days without any record after which a learner shows as absent, unless
/// the teacher asks for another number.
const ABSENT_DAYS: u32 = 7;
/// The most capsules of a programme the matrix shows.
const MAX_CAPSULES: u32 = 200;

#[derive(Deserialize, Default)]
pub struct DashQuery {
    programme: Option<String>,
    days: Option<u32>,
}

/// One cell of the matrix.
pub struct Cell {
    /// "done", "going" or "none", for the style.
    pub state: &'static str,
    pub label: String,
}

pub struct LearnerRow {
    pub name: String,
    pub login: String,
    pub cells: Vec<Cell>,
    /// Minutes spent on the programme's capsules.
    pub minutes: u64,
    /// The date of their newest record anywhere, or None.
    pub last: Option<String>,
    pub absent: bool,
}

pub struct CapsuleColumn {
    pub url: String,
    pub title: Text,
    pub started: usize,
    pub completed: usize,
    /// Of the learners who started and did not finish: how many stopped in
    /// each quarter of the capsule.
    pub stops: [usize; 4],
}

struct Dashboard {
    class: Class,
    programmes: Vec<(String, Text, bool)>,
    programme: Option<String>,
    columns: Vec<CapsuleColumn>,
    capsule_ids: Vec<String>,
    learners: Vec<LearnerRow>,
    days: u32,
}

/// An assignment as the teacher sees it.
pub struct AssignmentLine {
    pub id: String,
    pub what: String,
    pub due: String,
    /// Learners who finished every capsule of it.
    pub done: usize,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTemplate {
    page: Page,
    d: Dashboard,
    csv_url: String,
    csrf: String,
    assignments: Vec<AssignmentLine>,
    /// Why the last assignment asked for was refused.
    refusal: Option<String>,
}

impl DashboardTemplate {
    fn absent_count(&self) -> usize {
        self.d.learners.iter().filter(|l| l.absent).count()
    }
}

pub async fn page(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
    Query(q): Query<DashQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    render(&state, lang, &auth, &id, q, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    programme: Option<String>,
    due: String,
}

/// The teacher's form: assigns a programme to the class by a day.
pub async fn assign(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
    form: Result<Form<AssignForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    class_for(&state, lang, &auth.user, &id).await?;
    let Ok(Form(form)) = form else {
        return render(
            &state,
            lang,
            &auth,
            &id,
            DashQuery::default(),
            Some(I18n::t(lang, "assign-refused")),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let new = NewAssignment {
        programme: form.programme.clone(),
        capsules: Vec::new(),
        due: form.due,
    };
    match crate::api::assignments::assign(&state, &auth.user, &id, new).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/{}/teach/classes/{id}/progress{}",
            lang.code(),
            form.programme
                .map(|p| format!("?programme={p}"))
                .unwrap_or_default()
        ))
        .into_response()),
        Err(ApiError::Invalid(why)) => {
            render(
                &state,
                lang,
                &auth,
                &id,
                DashQuery::default(),
                Some(why),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(PageError::Internal(lang, e.message())),
    }
}

/// The teacher's button: removes an assignment.
pub async fn unassign(
    State(state): State<Shared>,
    Path((lang, id, aid)): Path<(String, String, String)>,
    Require(auth, ..): Require<Teachers>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    class_for(&state, lang, &auth.user, &id).await?;
    state
        .db
        .remove_assignment(&id, &aid)
        .await
        .map_err(|e| PageError::Internal(lang, e.to_string()))?;
    Ok(Redirect::to(&format!("/{}/teach/classes/{id}/progress", lang.code())).into_response())
}

async fn render(
    state: &Shared,
    lang: UiLang,
    auth: &Auth,
    id: &str,
    q: DashQuery,
    refusal: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let class = class_for(state, lang, &auth.user, id).await?;
    let assignments = assignment_lines(state, lang, &class).await?;
    let d = build(state, lang, class, q).await?;
    let title = format!("{} · {}", d.class.name, I18n::t(lang, "dash-title"));
    let csv_url = format!(
        "/{}/teach/classes/{}/progress.csv{}",
        lang.code(),
        d.class.id,
        d.programme
            .as_ref()
            .map(|p| format!("?programme={p}"))
            .unwrap_or_default()
    );
    let template = DashboardTemplate {
        page: Page::new(
            lang,
            title,
            format!("/teach/classes/{}/progress", d.class.id),
        ),
        d,
        csv_url,
        csrf: auth.csrf.clone().unwrap_or_default(),
        assignments,
        refusal,
    };
    personal(lang, status, template.render())
}

/// The class's assignments with how many learners finished each.
async fn assignment_lines(
    state: &Shared,
    lang: UiLang,
    class: &Class,
) -> Result<Vec<AssignmentLine>, PageError> {
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let programmes = state.db.programmes().await.map_err(fault)?;
    let mut lines = Vec::new();
    for a in state.db.class_assignments(&class.id).await.map_err(fault)? {
        let activities = crate::api::assignments::activities(state, &a);
        let refs: Vec<&str> = activities.iter().map(String::as_str).collect();
        let rows = state
            .db
            .class_progress(&class.id, &refs)
            .await
            .map_err(fault)?;
        let mut finished: HashMap<&str, usize> = HashMap::new();
        for r in rows.iter().filter(|r| r.completed) {
            *finished.entry(r.login.as_str()).or_default() += 1;
        }
        let done = finished
            .values()
            .filter(|n| **n >= a.capsules.len())
            .count();
        let what = crate::api::assignments::label(&programmes, &a, lang);
        lines.push(AssignmentLine {
            id: a.id,
            what,
            due: a.due,
            done,
        });
    }
    Ok(lines)
}

pub async fn csv(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
    Query(q): Query<DashQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let class = class_for(&state, lang, &auth.user, &id).await?;
    let d = build(&state, lang, class, q).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["login".to_owned(), "name".to_owned()];
    head.extend(d.capsule_ids.iter().cloned());
    head.extend(["minutes".to_owned(), "last_activity".to_owned()]);
    let internal = |e: csv::Error| PageError::Internal(lang, e.to_string());
    out.write_record(&head).map_err(internal)?;
    for l in &d.learners {
        let mut row = vec![l.login.clone(), l.name.clone()];
        row.extend(l.cells.iter().map(|c| c.label.clone()));
        row.push(l.minutes.to_string());
        row.push(l.last.clone().unwrap_or_default());
        out.write_record(&row).map_err(internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| PageError::Internal(lang, e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-progress.csv\"", d.class.id),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

struct I18n;

impl I18n {
    fn t(lang: UiLang, key: &str) -> String {
        crate::i18n::I18N.message(lang, key, None)
    }
}

pub(super) async fn class_for(
    state: &Shared,
    lang: UiLang,
    user: &cartable_core::accounts::User,
    id: &str,
) -> Result<Class, PageError> {
    match taught_class(state, user, id).await {
        Ok(class) => Ok(class),
        Err(ApiError::Forbidden) => Err(PageError::Forbidden(lang)),
        Err(ApiError::NotFound(_)) => {
            Err(PageError::NotFound(lang, format!("/teach/classes/{id}")))
        }
        Err(e) => Err(PageError::Internal(lang, e.message())),
    }
}

async fn build(
    state: &Shared,
    lang: UiLang,
    class: Class,
    q: DashQuery,
) -> Result<Dashboard, PageError> {
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let Choice {
        programmes,
        chosen,
        capsules,
    } = programme_choice(state, lang, q.programme).await?;
    let home = &state.lrs.home_page;
    let activities: Vec<String> = capsules
        .iter()
        .map(|c| progress::capsule_activity(home, c.id.as_str()))
        .collect();
    let refs: Vec<&str> = activities.iter().map(String::as_str).collect();
    let rows = state
        .db
        .class_progress(&class.id, &refs)
        .await
        .map_err(fault)?;
    let seen = state.db.class_last_seen(&class.id).await.map_err(fault)?;
    let days = q.days.unwrap_or(ABSENT_DAYS).clamp(1, 365);
    let cutoff = chrono::Utc::now().timestamp_micros() - i64::from(days) * 86_400_000_000;
    let by_pair: HashMap<(&str, &str), &ProgressRow> = rows
        .iter()
        .map(|r| ((r.login.as_str(), r.activity.as_str()), r))
        .collect();
    let mut columns: Vec<CapsuleColumn> = capsules
        .iter()
        .map(|c| CapsuleColumn {
            url: format!("/{}/capsules/{}", lang.code(), c.id),
            title: text(&c.titles, lang),
            started: 0,
            completed: 0,
            stops: [0; 4],
        })
        .collect();
    let mut learners = Vec::with_capacity(seen.len());
    for (login, name, last) in seen {
        let mut cells = Vec::with_capacity(activities.len());
        let mut spent_ms = 0;
        for (i, activity) in activities.iter().enumerate() {
            let row = by_pair.get(&(login.as_str(), activity.as_str()));
            cells.push(cell(lang, row.copied()));
            if let Some(r) = row {
                spent_ms += r.spent_ms.max(0);
                let column = &mut columns[i];
                column.started += 1;
                if r.completed {
                    column.completed += 1;
                } else {
                    let quarter = r.reached.unwrap_or(0).clamp(0, 999) as usize / 250;
                    column.stops[quarter] += 1;
                }
            }
        }
        learners.push(LearnerRow {
            name,
            login,
            cells,
            minutes: (spent_ms as u64).div_ceil(60_000),
            last: last.and_then(date),
            absent: last.is_none_or(|t| t < cutoff),
        });
    }
    Ok(Dashboard {
        class,
        programmes,
        programme: chosen,
        columns,
        capsule_ids: capsules.iter().map(|c| c.id.to_string()).collect(),
        learners,
        days,
    })
}

fn cell(lang: UiLang, row: Option<&ProgressRow>) -> Cell {
    match row {
        Some(r) if r.completed => Cell {
            state: "done",
            label: I18n::t(lang, "dash-done"),
        },
        Some(r) => {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("percent", r.reached.map_or(0, |p| p / 10));
            Cell {
                state: "going",
                label: crate::i18n::I18N.message(lang, "dash-going", Some(&args)),
            }
        }
        None => Cell {
            state: "none",
            label: I18n::t(lang, "dash-none"),
        },
    }
}

fn date(micros: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.format("%Y-%m-%d").to_string())
}

/// The programmes to pick from, the one picked (the asked one, else the
/// first), and its capsules in order.
pub struct Choice {
    pub programmes: Vec<(String, Text, bool)>,
    pub chosen: Option<String>,
    pub capsules: Vec<cartable_core::catalog::Capsule>,
}

pub async fn programme_choice(
    state: &Shared,
    lang: UiLang,
    asked: Option<String>,
) -> Result<Choice, PageError> {
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let all: Vec<Programme> = state.db.programmes().await.map_err(fault)?;
    let chosen = asked
        .filter(|p| all.iter().any(|x| x.id.as_str() == p))
        .or_else(|| all.first().map(|p| p.id.to_string()));
    let programmes = all
        .iter()
        .map(|p| {
            let id = p.id.to_string();
            let selected = chosen.as_deref() == Some(id.as_str());
            (id, text(&p.titles, lang), selected)
        })
        .collect();
    let capsules = match &chosen {
        Some(p) => {
            let filter = CapsuleFilter {
                programme: cartable_core::ProgrammeId::try_from(p.as_str()).ok(),
                ..CapsuleFilter::default()
            };
            state
                .db
                .capsules(&filter, None, MAX_CAPSULES)
                .await
                .map_err(fault)?
                .capsules
        }
        None => Vec::new(),
    };
    Ok(Choice {
        programmes,
        chosen,
        capsules,
    })
}
