//! The city's indicators, for staff who plan: active learners per day and
//! week, capsules started and finished per level, subject and programme,
//! reach by school and district, online against offline (satchel) use,
//! devices, and the data the audio-only rendition saved; for any period,
//! as accessible SVG charts each with its table, and as CSV.
//!
//! Aggregates only: everything is read from the count tables the LRS
//! writer keeps (`store::indicators`), which name no learner.

use super::account::personal;
use super::charts;
use super::view::{Page, text};
use super::{PageError, ui_lang};
use crate::auth::{Editors, Require};
use crate::{Shared, UiLang};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartable_core::renditions::RenditionKind;
use cartable_store::indicators::{By, SchoolReach, Sums};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The period shown when none is asked: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// The longest period one page shows, in days.
const MAX_DAYS: i64 = 366;

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// One indicator: a chart and the rows of its table.
pub struct Figure {
    pub id: &'static str,
    pub title: String,
    pub svg: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

struct Report {
    from: NaiveDate,
    to: NaiveDate,
    figures: Vec<Figure>,
    /// (indicator, key, value) for the CSV.
    lines: Vec<(&'static str, String, i64)>,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsTemplate {
    page: Page,
    from: String,
    to: String,
    figures: Vec<Figure>,
    csv_url: String,
}

fn period(p: &Period) -> (NaiveDate, NaiveDate) {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let to = parse(&p.to).unwrap_or_else(|| Utc::now().date_naive());
    let from = parse(&p.from)
        .filter(|f| *f <= to)
        .unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    (from.max(to - Duration::days(MAX_DAYS - 1)), to)
}

pub async fn page(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    _: Require<Editors>,
    Query(p): Query<Period>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let (from, to) = period(&p);
    let report = build(&state, lang, from, to).await?;
    let query = format!("?from={}&to={}", report.from, report.to);
    let template = IndicatorsTemplate {
        page: Page::new_static(lang, "ind-title", format!("/indicators{query}")),
        from: report.from.to_string(),
        to: report.to.to_string(),
        figures: report.figures,
        csv_url: format!("/{}/indicators.csv{query}", lang.code()),
    };
    personal(lang, StatusCode::OK, template.render())
}

pub async fn csv(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    _: Require<Editors>,
    Query(p): Query<Period>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let (from, to) = period(&p);
    let report = build(&state, lang, from, to).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let fault = |e: csv::Error| PageError::Internal(lang, e.to_string());
    out.write_record(["indicator", "key", "value"])
        .map_err(fault)?;
    for (indicator, key, value) in &report.lines {
        out.write_record([*indicator, key, &value.to_string()])
            .map_err(fault)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| PageError::Internal(lang, e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"indicators-{from}-{to}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

fn t(lang: UiLang, key: &str) -> String {
    crate::i18n::I18N.message(lang, key, None)
}

/// A figure of bars with a two-column table (label, value).
fn bar_figure(
    id: &'static str,
    lang: UiLang,
    title_key: &str,
    head: &str,
    rows: Vec<(String, i64)>,
) -> Figure {
    let title = t(lang, title_key);
    Figure {
        id,
        svg: charts::bars(id, &title, &rows, lang.dir() == "rtl"),
        head: vec![head.to_owned(), t(lang, "ind-count")],
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![k, v.to_string()])
            .collect(),
        title,
    }
}

async fn build(
    state: &Shared,
    lang: UiLang,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, PageError> {
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let (f, l) = (from.to_string(), to.to_string());
    let mut lines = Vec::new();
    let mut figures = Vec::new();

    // Active learners per day (every day of the period, zeros included)
    // and per ISO week.
    let per_day: HashMap<String, i64> = state
        .db
        .active_per_day(&f, &l)
        .await
        .map_err(fault)?
        .into_iter()
        .collect();
    let days: Vec<(String, i64)> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            let k = d.to_string();
            let v = per_day.get(&k).copied().unwrap_or(0);
            (k, v)
        })
        .collect();
    lines.extend(
        days.iter()
            .map(|(k, v)| ("active_learners_day", k.clone(), *v)),
    );
    let title = t(lang, "ind-active-day");
    figures.push(Figure {
        id: "active-day",
        svg: charts::columns("active-day", &title, &days),
        head: vec![t(lang, "ind-day"), t(lang, "ind-learners")],
        rows: days
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect(),
        title,
    });
    let week = |d: NaiveDate| format!("{}-W{:02}", d.iso_week().year(), d.iso_week().week());
    let weeks = state
        .db
        .active_per_week(&week(from), &week(to))
        .await
        .map_err(fault)?;
    lines.extend(
        weeks
            .iter()
            .map(|(k, v)| ("active_learners_week", k.clone(), *v)),
    );
    figures.push(bar_figure(
        "active-week",
        lang,
        "ind-active-week",
        &t(lang, "ind-week"),
        weeks,
    ));

    // Capsules started and finished, by level, subject and programme.
    let by_capsule = state
        .db
        .activity_by(By::Capsule, &f, &l)
        .await
        .map_err(fault)?;
    let places = state.db.capsule_places().await.map_err(fault)?;
    let members = state.db.programme_members().await.map_err(fault)?;
    let programmes = state.db.programmes().await.map_err(fault)?;
    let mut level_of = HashMap::new();
    let mut subject_of = HashMap::new();
    for (capsule, level, subject) in &places {
        level_of.insert(capsule.as_str(), level.as_str());
        subject_of.insert(capsule.as_str(), subject.as_str());
    }
    let mut programmes_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (programme, capsule) in &members {
        programmes_of.entry(capsule).or_default().push(programme);
    }
    let mut by_level: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_subject: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_programme: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for s in by_capsule.iter().filter(|s| !s.key.is_empty()) {
        let add = |map: &mut BTreeMap<String, (i64, i64)>, key: String| {
            let e = map.entry(key).or_default();
            e.0 += s.starts;
            e.1 += s.completions;
        };
        if let Some(level) = level_of.get(s.key.as_str()) {
            add(
                &mut by_level,
                state.taxonomy.level_label(level, lang.code()).to_owned(),
            );
        }
        if let Some(subject) = subject_of.get(s.key.as_str()) {
            add(
                &mut by_subject,
                state
                    .taxonomy
                    .subject_label(subject, lang.code())
                    .to_owned(),
            );
        }
        for p in programmes_of.get(s.key.as_str()).into_iter().flatten() {
            let title = programmes
                .iter()
                .find(|x| x.id.as_str() == *p)
                .map_or_else(|| (*p).to_owned(), |x| text(&x.titles, lang).text);
            add(&mut by_programme, title);
        }
    }
    for (id, key, indicator, map) in [
        ("level", "ind-by-level", "level", by_level),
        ("subject", "ind-by-subject", "subject", by_subject),
        ("programme", "ind-by-programme", "programme", by_programme),
    ] {
        let title = t(lang, key);
        let rows: Vec<(String, i64)> = map.iter().map(|(k, (s, _))| (k.clone(), *s)).collect();
        for (k, (s, c)) in &map {
            lines.push((started_line(indicator), k.clone(), *s));
            lines.push((completed_line(indicator), k.clone(), *c));
        }
        figures.push(Figure {
            id,
            svg: charts::bars(id, &title, &rows, lang.dir() == "rtl"),
            head: vec![
                t(lang, &format!("ind-{indicator}")),
                t(lang, "ind-started"),
                t(lang, "ind-completed"),
            ],
            rows: map
                .into_iter()
                .map(|(k, (s, c))| vec![k, s.to_string(), c.to_string()])
                .collect(),
            title,
        });
    }

    // Reach: by school, and by district.
    let reach: Vec<SchoolReach> = state.db.reach_by_school(&f, &l).await.map_err(fault)?;
    let mut districts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &reach {
        let e = districts.entry(r.district.clone()).or_default();
        e.0 += r.active;
        e.1 += r.enrolled;
        lines.push(("reach_school_active", r.id.clone(), r.active));
        lines.push(("reach_school_enrolled", r.id.clone(), r.enrolled));
    }
    let title = t(lang, "ind-reach-school");
    let rows: Vec<(String, i64)> = reach.iter().map(|r| (r.name.clone(), r.active)).collect();
    figures.push(Figure {
        id: "reach-school",
        svg: charts::bars("reach-school", &title, &rows, lang.dir() == "rtl"),
        head: vec![
            t(lang, "ind-school"),
            t(lang, "ind-district"),
            t(lang, "ind-active"),
            t(lang, "ind-enrolled"),
        ],
        rows: reach
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.district.clone(),
                    r.active.to_string(),
                    r.enrolled.to_string(),
                ]
            })
            .collect(),
        title,
    });
    let unnamed = t(lang, "ind-no-district");
    let name = |d: &str| {
        if d.is_empty() {
            unnamed.clone()
        } else {
            d.to_owned()
        }
    };
    for (d, (active, enrolled)) in &districts {
        lines.push(("reach_district_active", d.clone(), *active));
        lines.push(("reach_district_enrolled", d.clone(), *enrolled));
    }
    let title = t(lang, "ind-reach-district");
    let rows: Vec<(String, i64)> = districts.iter().map(|(d, (a, _))| (name(d), *a)).collect();
    figures.push(Figure {
        id: "reach-district",
        svg: charts::bars("reach-district", &title, &rows, lang.dir() == "rtl"),
        head: vec![
            t(lang, "ind-district"),
            t(lang, "ind-active"),
            t(lang, "ind-enrolled"),
        ],
        rows: districts
            .iter()
            .map(|(d, (a, e))| vec![name(d), a.to_string(), e.to_string()])
            .collect(),
        title,
    });

    // Online against offline, and devices: records made.
    for (id, by, key, indicator) in [
        ("channel", By::Channel, "ind-channel", "channel_records"),
        ("device", By::Device, "ind-device", "device_records"),
    ] {
        let sums: Vec<Sums> = state.db.activity_by(by, &f, &l).await.map_err(fault)?;
        let rows: Vec<(String, i64)> = sums
            .iter()
            .map(|s| (label(lang, &s.key), s.records))
            .collect();
        lines.extend(sums.iter().map(|s| (indicator, s.key.clone(), s.records)));
        figures.push(bar_figure(id, lang, key, &t(lang, key), rows));
    }

    // What listening to the audio-only rendition saved against the default
    // video rendition of the same capsule.
    let saved = audio_savings(state, &f, &l).await.map_err(fault)?;
    lines.push(("audio_only_seconds", "total".into(), saved.0));
    lines.push(("audio_only_bytes_saved", "total".into(), saved.1));
    let megabytes = saved.1 / 1_000_000;
    figures.push(Figure {
        id: "audio",
        title: t(lang, "ind-audio"),
        svg: String::new(),
        head: vec![t(lang, "ind-audio-hours"), t(lang, "ind-audio-mb")],
        rows: vec![vec![
            format!("{:.1}", saved.0 as f64 / 3600.0),
            megabytes.to_string(),
        ]],
    });
    Ok(Report {
        from,
        to,
        figures,
        lines,
    })
}

fn started_line(what: &str) -> &'static str {
    match what {
        "level" => "started_level",
        "subject" => "started_subject",
        _ => "started_programme",
    }
}

fn completed_line(what: &str) -> &'static str {
    match what {
        "level" => "completed_level",
        "subject" => "completed_subject",
        _ => "completed_programme",
    }
}

/// The words for channel and device keys.
fn label(lang: UiLang, key: &str) -> String {
    match key {
        "online" | "offline" | "phone" | "tablet" | "computer" | "tv" => {
            t(lang, &format!("ind-{key}"))
        }
        _ => t(lang, "ind-unknown"),
    }
}

/// Seconds listened with the audio-only rendition, and the bytes that
/// saved against the capsule's default video rendition.
async fn audio_savings(state: &Shared, from: &str, to: &str) -> cartable_store::Result<(i64, i64)> {
    let mut seconds = 0;
    let mut bytes = 0;
    for (capsule, quality, s) in state.db.seconds_by_capsule_quality(from, to).await? {
        if quality != "audio" {
            continue;
        }
        seconds += s;
        let Some(c) = state.db.capsule(&capsule).await? else {
            continue;
        };
        let audio = c
            .media
            .renditions
            .iter()
            .find(|r| r.kind == RenditionKind::Audio)
            .map_or(0, |r| r.bandwidth);
        let video = c.media.default_video().map_or(0, |r| r.bandwidth);
        bytes += (video.saturating_sub(audio) / 8) as i64 * s;
    }
    Ok((seconds, bytes))
}
