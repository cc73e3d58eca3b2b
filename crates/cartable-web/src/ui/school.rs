//! A school's view of its learning, for its teachers and for admins: each
//! class with its learners, how many were active in the last N days and
//! how far they are in a programme; each capsule of the programme with how
//! many started and finished it across the school and where the others
//! stopped. Built for schools of thousands of learners: a few grouped
//! queries over the progress projection, no row per learner.

use super::account::personal;
use super::charts;
use super::dashboard::{Choice, programme_choice};
use super::view::{Page, Text, text};
use super::{PageError, ui_lang};
use crate::Shared;
use crate::auth::{Require, Teachers};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use cartable_core::accounts::{Membership, Role};
use cartable_core::progress;
use serde::Deserialize;
use std::collections::HashMap;

/// Days without a record after which a learner counts as away.
const ACTIVE_DAYS: u32 = 7;

#[derive(Deserialize, Default)]
pub struct SchoolQuery {
    programme: Option<String>,
    days: Option<u32>,
}

pub struct ClassRow {
    pub url: String,
    pub name: String,
    pub learners: i64,
    pub active: i64,
    pub started: i64,
    pub completed: i64,
    /// Finished (learner, capsule) pairs out of learners × capsules, in %.
    pub rate: i64,
}

pub struct CapsuleRow {
    pub url: String,
    pub title: Text,
    pub started: i64,
    pub completed: i64,
    pub stops: [i64; 4],
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolTemplate {
    page: Page,
    programmes: Vec<(String, Text, bool)>,
    days: u32,
    learners: i64,
    active: i64,
    classes: Vec<ClassRow>,
    capsules: Vec<CapsuleRow>,
    chart: String,
    boxes: Vec<super::boxes::BoxView>,
}

pub async fn page(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
    Query(q): Query<SchoolQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let school = state
        .db
        .schools()
        .await
        .map_err(fault)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| PageError::NotFound(lang, format!("/teach/schools/{id}")))?;
    if auth.user.role != Role::Admin {
        let teaches_here = state
            .db
            .classes_of(auth.user.login.as_str())
            .await
            .map_err(fault)?
            .iter()
            .any(|(c, m)| *m == Membership::Teacher && c.school == school.id);
        if !teaches_here {
            return Err(PageError::Forbidden(lang));
        }
    }
    let Choice {
        programmes,
        capsules,
        ..
    } = programme_choice(&state, lang, q.programme).await?;
    let days = q.days.unwrap_or(ACTIVE_DAYS).clamp(1, 365);
    let since =
        (chrono::Utc::now().date_naive() - chrono::Duration::days(i64::from(days) - 1)).to_string();
    let summaries = state
        .db
        .school_classes(&school.id, &since)
        .await
        .map_err(fault)?;
    let home = &state.lrs.home_page;
    let activities: Vec<String> = capsules
        .iter()
        .map(|c| progress::capsule_activity(home, c.id.as_str()))
        .collect();
    let refs: Vec<&str> = activities.iter().map(String::as_str).collect();
    let (by_class, by_activity) = state
        .db
        .school_progress(&school.id, &refs)
        .await
        .map_err(fault)?;
    let by_class: HashMap<String, (i64, i64)> =
        by_class.into_iter().map(|(c, s, d)| (c, (s, d))).collect();
    let by_activity: HashMap<String, _> = by_activity
        .into_iter()
        .map(|a| (a.activity.clone(), a))
        .collect();
    let n = capsules.len() as i64;
    let classes: Vec<ClassRow> = summaries
        .into_iter()
        .map(|c| {
            let (started, completed) = by_class.get(&c.id).copied().unwrap_or((0, 0));
            let possible = c.learners * n;
            ClassRow {
                url: format!("/{}/teach/classes/{}/progress", lang.code(), c.id),
                rate: if possible > 0 {
                    completed * 100 / possible
                } else {
                    0
                },
                name: c.name,
                learners: c.learners,
                active: c.active,
                started,
                completed,
            }
        })
        .collect();
    let capsule_rows = capsules
        .iter()
        .zip(&activities)
        .map(|(c, a)| {
            let s = by_activity.get(a);
            CapsuleRow {
                url: format!("/{}/capsules/{}", lang.code(), c.id),
                title: text(&c.titles, lang),
                started: s.map_or(0, |s| s.started),
                completed: s.map_or(0, |s| s.completed),
                stops: s.map_or([0; 4], |s| s.stops),
            }
        })
        .collect();
    let chart_title = crate::i18n::I18N.message(lang, "school-rate", None);
    let chart = charts::bars(
        "rate",
        &chart_title,
        &classes
            .iter()
            .map(|c| (c.name.clone(), c.rate))
            .collect::<Vec<_>>(),
        lang.dir() == "rtl",
    );
    let boxes = super::boxes::views(&state, lang, Some(std::slice::from_ref(&school.id))).await?;
    let template = SchoolTemplate {
        boxes,
        page: Page::new(
            lang,
            school.name.clone(),
            format!("/teach/schools/{}/progress", school.id),
        ),
        programmes,
        days,
        learners: classes.iter().map(|c| c.learners).sum(),
        active: classes.iter().map(|c| c.active).sum(),
        classes,
        capsules: capsule_rows,
        chart,
    };
    personal(lang, StatusCode::OK, template.render())
}
