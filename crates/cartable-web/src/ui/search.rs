//! The search page: a form, the hits with their matched words marked, and
//! facets (level, subject, language) as links that narrow the search. It
//! is the same for every visitor, so it is cached like the other
//! catalog pages.

use super::view::Page;
use super::{PageError, html, ui_lang};
use crate::Shared;
use crate::search::{SearchParams, query};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartable_search::Marked;
use serde::Deserialize;

const PAGE_SIZE: usize = 10;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    q: Option<String>,
    level: Option<String>,
    subject: Option<String>,
    lang: Option<String>,
    offset: Option<usize>,
}

pub struct HitView {
    pub url: String,
    pub lang: String,
    pub title: Vec<(String, bool)>,
    pub snippet: Vec<(String, bool)>,
    pub meta: String,
}

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub name: String,
    pub links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate {
    page: Page,
    q: String,
    summary: String,
    error: Option<String>,
    hits: Vec<HitView>,
    facets: Vec<FacetGroup>,
    next: Option<String>,
}

fn segments(m: &Marked) -> Vec<(String, bool)> {
    m.0.clone()
}

fn url(lang: &str, q: &str, filters: &[(&str, Option<&str>)], offset: usize) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("q", q)];
    pairs.extend(filters.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
    let offset = offset.to_string();
    if offset != "0" {
        pairs.push(("offset", &offset));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/{lang}/search?{query}")
}

pub async fn page(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    params: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let q = p.q.clone().unwrap_or_default();
    let mut page = Page::new_static(lang, "search-title", "/search".into());
    page.rest = url(
        "",
        &q,
        &[
            ("level", p.level.as_deref()),
            ("subject", p.subject.as_deref()),
            ("lang", p.lang.as_deref()),
        ],
        0,
    )[1..]
        .to_owned();
    let mut template = SearchTemplate {
        q: q.clone(),
        summary: String::new(),
        error: None,
        hits: vec![],
        facets: vec![],
        next: None,
        page,
    };
    if q.trim().is_empty() {
        return html(template.render(), lang);
    }
    let offset = p.offset.unwrap_or(0);
    let search = query(
        &state,
        SearchParams {
            q: Some(q.clone()),
            lang: p.lang.clone(),
            kind: None,
            level: p.level.clone(),
            subject: p.subject.clone(),
            limit: Some(PAGE_SIZE),
            offset: Some(offset),
            ui: Some(lang.code().into()),
        },
    );
    let results = match search {
        Ok(s) => {
            let index = state.search.clone();
            tokio::task::spawn_blocking(move || index.search(&s))
                .await
                .map_err(|e| PageError::Internal(lang, e.to_string()))?
        }
        Err(_) => {
            template.error = Some(template.page.t("search-bad-filter"));
            let mut r = html(template.render(), lang)?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
    };
    let results = match results {
        Ok(r) => r,
        Err(e) if !e.is_bad_input() => return Err(PageError::Internal(lang, e.to_string())),
        Err(_) => {
            template.error = Some(template.page.t("search-bad-query"));
            let html = template
                .render()
                .map_err(|e| PageError::Internal(lang, e.to_string()))?;
            return Ok((StatusCode::BAD_REQUEST, axum::response::Html(html)).into_response());
        }
    };
    let code = lang.code();
    let filters = [
        ("level", p.level.as_deref()),
        ("subject", p.subject.as_deref()),
        ("lang", p.lang.as_deref()),
    ];
    template.summary = template.page.count("search-count", &(results.total as u64));
    template.hits = results
        .hits
        .iter()
        .map(|h| HitView {
            url: match h.kind.as_str() {
                "archive" => format!(
                    "/{code}/archive/items/{}",
                    crate::auth::url_encode(crate::archive::item_id(&h.id))
                ),
                _ => format!("/{code}/capsules/{}", h.id),
            },
            lang: h.lang.clone(),
            title: segments(&h.title),
            snippet: segments(&h.snippet),
            meta: [
                h.level
                    .as_deref()
                    .map(|l| state.taxonomy.level_label(l, code).to_owned()),
                h.subject
                    .as_deref()
                    .map(|s| state.taxonomy.subject_label(s, code).to_owned()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        })
        .collect();
    let group = |name: &str,
                 key: &str,
                 counts: &[(String, u64)],
                 label: &dyn Fn(&str) -> String| FacetGroup {
        name: template.page.t(name),
        links: counts
            .iter()
            .map(|(value, count)| {
                let active = filters
                    .iter()
                    .any(|(k, v)| *k == key && *v == Some(value.as_str()));
                let narrowed: Vec<(&str, Option<&str>)> = filters
                    .iter()
                    .map(|(k, v)| {
                        if *k == key {
                            (*k, if active { None } else { Some(value.as_str()) })
                        } else {
                            (*k, *v)
                        }
                    })
                    .collect();
                FacetLink {
                    label: label(value),
                    count: *count,
                    url: url(code, &q, &narrowed, 0),
                    active,
                }
            })
            .collect(),
    };
    let probe = Page::new(lang, String::new(), String::new());
    template.facets = vec![
        group("filter-level", "level", &results.facets.level, &|v| {
            state.taxonomy.level_label(v, code).to_owned()
        }),
        group("filter-subject", "subject", &results.facets.subject, &|v| {
            state.taxonomy.subject_label(v, code).to_owned()
        }),
        group("filter-lang", "lang", &results.facets.lang, &|v| {
            probe.t(&format!("lang-{v}"))
        }),
    ];
    if offset + PAGE_SIZE < results.total {
        template.next = Some(url(code, &q, &filters, offset + PAGE_SIZE));
    }
    html(template.render(), lang)
}
