//! Library pages: the list of audiobooks and series, a book with its
//! player (every control a button with a spoken label, chapters, headings
//! and pages of DAISY books, speed, sleep timer, bookmarks, resume), and a
//! series with its episodes.
//!
//! Without JavaScript a book still plays chapter by chapter with the
//! browser's own controls, and every file can be downloaded.

use super::learn::human_size;
use super::view::{Page, duration};
use super::{PageError, html, ui_lang};
use crate::auth::url_encode;
use crate::{Shared, UiLang};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use cartable_core::library::{AudioFile, Audiobook, Episode, EpisodeMedia, NavKind, clock};
use serde::Deserialize;
use serde_json::json;

/// The address a stored audio file is served at.
pub fn audio_url(file: &AudioFile) -> String {
    format!("/media/b/{}.{}", file.blob, file.extension())
}

pub fn cover_url(blob: &cartable_core::BlobHash) -> String {
    format!("/media/b/{blob}.jpg")
}

struct BookCard {
    url: String,
    title: String,
    lang: String,
    author: String,
    narrator: String,
    duration: String,
    cover: Option<String>,
    synthetic: bool,
}

impl BookCard {
    fn new(lang: UiLang, b: &Audiobook) -> BookCard {
        BookCard {
            url: format!("/{}/library/{}", lang.code(), url_encode(&b.id)),
            title: b.title.clone(),
            lang: b.lang.clone(),
            author: b.author.clone(),
            narrator: b.narrator.clone(),
            duration: duration(b.duration_ms()),
            cover: b.cover.as_ref().map(cover_url),
            synthetic: b.synthetic,
        }
    }
}

struct SeriesCard {
    url: String,
    title: String,
    lang: String,
    author: String,
    description: String,
    cover: Option<String>,
    feed: String,
}

#[derive(Template)]
#[template(path = "library.html")]
struct ListTemplate {
    page: Page,
    books: Vec<BookCard>,
    series: Vec<SeriesCard>,
}

pub async fn list(
    State(state): State<Shared>,
    Path(lang): Path<String>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new_static(lang, "library-title", "/library".into());
    let fault = |e| PageError::from((lang, e));
    let books = state.db.audiobooks().await.map_err(fault)?;
    let series = state.db.all_series().await.map_err(fault)?;
    let template = ListTemplate {
        page,
        books: books.iter().map(|b| BookCard::new(lang, b)).collect(),
        series: series
            .into_iter()
            .map(|s| SeriesCard {
                url: format!("/{}/series/{}", lang.code(), url_encode(&s.id)),
                feed: format!("/feeds/series/{}.xml", url_encode(&s.id)),
                cover: s.cover.as_ref().map(cover_url),
                title: s.title,
                lang: s.lang,
                author: s.author,
                description: s.description,
            })
            .collect(),
    };
    html(template.render(), lang)
}

/// A chapter as the page lists it.
struct ChapterView {
    n: usize,
    title: String,
    duration: String,
    url: String,
    current: bool,
}

#[derive(Deserialize)]
pub struct BookQuery {
    /// The chapter to start with, from 1 (the links of the list without
    /// JavaScript).
    chapter: Option<usize>,
    /// `low` for the low-data rendition.
    quality: Option<String>,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookTemplate {
    page: Page,
    book: BookCard,
    description: String,
    chapters: Vec<ChapterView>,
    /// The chapter the audio element starts with.
    current: usize,
    current_src: String,
    current_mime: String,
    low: bool,
    daisy: bool,
    has_pages: bool,
    /// What the player script reads: tracks, navigation, words.
    data: String,
    download: Option<(String, String)>,
    sizes: (String, String),
    script: &'static str,
}

fn nav_json(b: &Audiobook) -> serde_json::Value {
    b.nav
        .iter()
        .map(|n| {
            json!({
                "kind": match n.kind { NavKind::Heading(_) => "heading", NavKind::Page => "page" },
                "level": match n.kind { NavKind::Heading(l) => l, NavKind::Page => 0 },
                "label": n.label,
                "track": n.track,
                "at": n.offset_ms as f64 / 1000.0,
            })
        })
        .collect()
}

/// The messages the player speaks, in the page's language.
fn words(page: &Page) -> serde_json::Value {
    let keys = [
        "player-play",
        "player-pause",
        "player-chapter",
        "player-of",
        "player-page",
        "player-heading",
        "player-speed-now",
        "player-sleep-set",
        "player-sleep-off",
        "player-sleep-done",
        "player-bookmark-added",
        "player-bookmark-go",
        "player-bookmark-remove",
        "player-bookmark-removed",
        "player-resumed",
        "player-no-page",
        "player-no-heading",
        "player-end",
        "player-start",
    ];
    keys.iter()
        .map(|k| ((*k).to_owned(), json!(page.t(k))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub async fn book(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Query(query): Query<BookQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let b = state
        .db
        .audiobook(&id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/library/{id}")))?;
    let low = query.quality.as_deref() == Some("low");
    let current = query.chapter.unwrap_or(1).clamp(1, b.tracks.len().max(1)) - 1;
    let base = format!("/{}/library/{}", lang.code(), url_encode(&b.id));
    let quality = if low { "&quality=low" } else { "" };
    let chapters = b
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| ChapterView {
            n: i + 1,
            title: t.title.clone(),
            duration: clock(t.duration_ms),
            url: format!("{base}?chapter={}{quality}", i + 1),
            current: i == current,
        })
        .collect();
    let page = Page::new(
        lang,
        b.title.clone(),
        format!("/library/{}", url_encode(&b.id)),
    );
    let pick =
        |t: &cartable_core::library::Track| if low { t.low.clone() } else { t.listen.clone() };
    let (current_src, current_mime) = b
        .tracks
        .get(current)
        .map(|t| (audio_url(&pick(t)), pick(t).mime))
        .unwrap_or_default();
    let data = json!({
        "book": b.id,
        "title": b.title,
        "lang": b.lang,
        "tracks": b.tracks.iter().map(|t| json!({
            "title": t.title,
            "duration": t.duration_ms as f64 / 1000.0,
            "src": audio_url(&pick(t)),
            "type": pick(t).mime,
        })).collect::<Vec<_>>(),
        "nav": nav_json(&b),
        "words": words(&page),
    });
    let (listen_size, low_size) = b.sizes();
    let template = BookTemplate {
        book: BookCard::new(lang, &b),
        description: b.description.clone(),
        chapters,
        current,
        current_src,
        current_mime,
        low,
        daisy: b.daisy,
        has_pages: b.has_pages(),
        // In a <script type="application/json">: only "</" could end it.
        data: data.to_string().replace("</", "<\\/"),
        download: b.download.as_ref().map(|d| {
            (
                format!("/media/dl/{}/{}.m4b", d.blob, b.id),
                human_size(lang, d.size),
            )
        }),
        sizes: (human_size(lang, listen_size), human_size(lang, low_size)),
        script: include_str!("../../assets/book.js"),
        page,
    };
    html(template.render(), lang)
}

struct EpisodeView {
    id: String,
    title: String,
    description: String,
    date: String,
    duration: String,
    /// (url, media type) of each rendition of an audio episode.
    sources: Vec<(String, String)>,
    capsule: Option<String>,
    marks: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "series.html")]
struct SeriesTemplate {
    page: Page,
    title: String,
    content_lang: String,
    author: String,
    description: String,
    cover: Option<String>,
    feed: String,
    episodes: Vec<EpisodeView>,
}

async fn episode_view(state: &Shared, lang: UiLang, e: &Episode) -> Result<EpisodeView, PageError> {
    let date = chrono::DateTime::from_timestamp(e.published_at, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let marks = e
        .marks
        .iter()
        .map(|m| (clock(m.at_ms), m.title.clone()))
        .collect();
    let (sources, capsule, duration_ms) = match &e.media {
        EpisodeMedia::Audio { track } => (
            vec![
                (audio_url(&track.listen), track.listen.mime.clone()),
                (audio_url(&track.low), track.low.mime.clone()),
            ],
            None,
            track.duration_ms,
        ),
        EpisodeMedia::Capsule { capsule } => {
            let found = state.db.capsule(capsule).await.map_err(|e| (lang, e))?;
            let sources = found
                .as_ref()
                .and_then(|c| c.media.rendition("audio").map(|r| (c, r)))
                .map(|(_, r)| vec![(format!("/media/b/{}.mp4", r.file), "audio/mp4".to_owned())])
                .unwrap_or_default();
            (
                sources,
                found
                    .as_ref()
                    .map(|_| format!("/{}/capsules/{}", lang.code(), url_encode(capsule))),
                found.map_or(0, |c| c.media.duration_ms),
            )
        }
    };
    Ok(EpisodeView {
        id: e.id.clone(),
        title: e.title.clone(),
        description: e.description.clone(),
        date,
        duration: clock(duration_ms),
        sources,
        capsule,
        marks,
    })
}

pub async fn series(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fault = |e| PageError::from((lang, e));
    let s = state
        .db
        .series(&id)
        .await
        .map_err(fault)?
        .ok_or_else(|| PageError::NotFound(lang, format!("/series/{id}")))?;
    let mut episodes = Vec::new();
    for e in state.db.episodes(&s.id).await.map_err(fault)? {
        episodes.push(episode_view(&state, lang, &e).await?);
    }
    let page = Page::new(
        lang,
        s.title.clone(),
        format!("/series/{}", url_encode(&s.id)),
    );
    let template = SeriesTemplate {
        page,
        feed: format!("/feeds/series/{}.xml", url_encode(&s.id)),
        cover: s.cover.as_ref().map(cover_url),
        title: s.title,
        content_lang: s.lang,
        author: s.author,
        description: s.description,
        episodes,
    };
    html(template.render(), lang)
}
