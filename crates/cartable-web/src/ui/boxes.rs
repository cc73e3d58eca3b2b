//! Where the boxes stand: each box a hub packed a satchel for, when it last
//! synced and how, how many of its records have not come back yet, and
//! every failed sync with its reason. The admin sees every box
//! (`/{lang}/admin/boxes`); a school's page shows its own boxes to its
//! teachers.

use super::account::personal;
use super::view::Page;
use super::{PageError, ui_lang};
use crate::auth::{Admins, Require};
use crate::{Shared, UiLang};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cartable_store::sync::{BoxRow, SyncEvent};

/// How many log lines a page shows per box.
const LOG_LINES: i64 = 20;

pub struct BoxView {
    pub id: String,
    pub schools: String,
    pub version: i64,
    /// When and how the box last synced; `None` before its first sync.
    pub last_sync: Option<(String, String)>,
    pub received: i64,
    pub pending: i64,
    pub log: Vec<LogLine>,
}

pub struct LogLine {
    pub at: String,
    pub kind: String,
    pub ok: bool,
    pub accepted: i64,
    pub duplicates: i64,
    pub detail: String,
}

fn when(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A sync's kind (push, pull, import, export) in the page's language.
fn kind_label(page: &Page, kind: &str) -> String {
    match kind {
        "push" | "pull" | "import" | "export" => page.t(&format!("boxes-kind-{kind}")),
        other => other.to_owned(),
    }
}

/// The boxes among `rows` that serve one of `schools` (all when `None`),
/// each with its newest log lines.
pub async fn views(
    state: &Shared,
    lang: UiLang,
    schools: Option<&[String]>,
) -> Result<Vec<BoxView>, PageError> {
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let rows: Vec<BoxRow> = state.db.sync_boxes().await.map_err(fault)?;
    let mut out = Vec::new();
    for b in rows {
        if let Some(wanted) = schools
            && !b.schools.iter().any(|s| wanted.contains(s))
        {
            continue;
        }
        let log: Vec<SyncEvent> = state
            .db
            .sync_log(Some(&b.id), LOG_LINES)
            .await
            .map_err(fault)?;
        let page = Page::new(lang, String::new(), String::new());
        out.push(BoxView {
            last_sync: match (b.last_sync_at, &b.last_sync_kind) {
                (Some(at), Some(kind)) => Some((when(at), kind_label(&page, kind))),
                _ => None,
            },
            pending: b.pending(),
            schools: b.schools.join(", "),
            id: b.id,
            version: b.version,
            received: b.received,
            log: log
                .into_iter()
                .map(|e| LogLine {
                    at: when(e.at),
                    kind: kind_label(&page, &e.kind),
                    ok: e.ok,
                    accepted: e.accepted,
                    duplicates: e.duplicates,
                    detail: e.detail,
                })
                .collect(),
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "boxes.html")]
struct BoxesTemplate {
    page: Page,
    boxes: Vec<BoxView>,
}

pub async fn admin(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(..): Require<Admins>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let boxes = views(&state, lang, None).await?;
    let template = BoxesTemplate {
        page: Page::new_static(lang, "boxes-title", "/admin/boxes".into()),
        boxes,
    };
    personal(lang, StatusCode::OK, template.render())
}
