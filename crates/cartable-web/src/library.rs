//! The library's standard feeds, so that reader and podcast apps work
//! unchanged: an OPDS 2.0 catalog (`/opds/catalog.json`) whose
//! publications are Readium audiobook manifests (`/opds/books/{id}.json`,
//! every chapter with its duration and the low-data rendition as an
//! alternate), and a podcast RSS 2.0 feed per series
//! (`/feeds/series/{id}.xml`, an enclosure per episode, iTunes tags, and
//! chapters as Podlove Simple Chapters).
//!
//! Addresses in feeds are absolute, from the platform's public address:
//! apps fetch them from elsewhere.

use crate::Shared;
use crate::error::ApiError;
use crate::ui::library::{audio_url, cover_url};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cartable_core::library::{Audiobook, Episode, EpisodeMedia, NavKind, Series, clock};
use rss::extension::Extension;
use rss::extension::itunes::{ITunesChannelExtension, ITunesItemExtension};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const OPDS_TYPE: &str = "application/opds+json";
pub const AUDIOBOOK_TYPE: &str = "application/audiobook+json";
const AUDIOBOOK_PROFILE: &str = "https://readium.org/webpub-manifest/profiles/audiobook";
const ACQUISITION: &str = "http://opds-spec.org/acquisition/open-access";
/// Podlove Simple Chapters, read by podcast apps for chapter marks.
const PSC: &str = "http://podlove.org/simple-chapters";

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/opds/catalog.json", get(catalog))
        .route("/opds/books/{file}", get(manifest))
        .route("/opds/cover.png", get(default_cover))
        .route("/feeds/series/{file}", get(podcast))
}

/// The cover of a book that has none: OPDS wants an image per
/// publication.
async fn default_cover() -> Response {
    let mut r = include_bytes!("../assets/book-cover.png")
        .as_slice()
        .into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

fn base(state: &Shared) -> &str {
    state.settings.public_url.trim_end_matches('/')
}

fn typed(body: String, mime: &'static str) -> Response {
    let mut r = body.into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// The contributors, metadata and duration a manifest and a catalog
/// entry share.
fn book_metadata(b: &Audiobook) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("@type".into(), json!("http://schema.org/Audiobook"));
    m.insert("conformsTo".into(), json!(AUDIOBOOK_PROFILE));
    m.insert(
        "identifier".into(),
        json!(format!("urn:cartable:book:{}", b.id)),
    );
    m.insert("title".into(), json!(b.title));
    if !b.author.is_empty() {
        m.insert("author".into(), json!({ "name": b.author }));
    }
    if !b.narrator.is_empty() {
        m.insert("narrator".into(), json!({ "name": b.narrator }));
    }
    m.insert("language".into(), json!(b.lang));
    if !b.description.is_empty() {
        m.insert("description".into(), json!(b.description));
    }
    m.insert("duration".into(), json!(b.duration_ms() as f64 / 1000.0));
    m
}

fn cover_link(base: &str, b: &Audiobook) -> Option<Value> {
    b.cover.as_ref().map(|c| {
        json!({ "href": format!("{base}{}", cover_url(c)), "type": "image/jpeg", "rel": "cover" })
    })
}

/// A book's Readium audiobook manifest.
pub fn audiobook_manifest(base: &str, b: &Audiobook) -> Value {
    let reading_order: Vec<Value> = b
        .tracks
        .iter()
        .map(|t| {
            json!({
                "href": format!("{base}{}", audio_url(&t.listen)),
                "type": t.listen.essence(),
                "title": t.title,
                "duration": t.duration_ms as f64 / 1000.0,
                "bitrate": f64::from(t.listen.bitrate) / 1000.0,
                "alternate": [{
                    "href": format!("{base}{}", audio_url(&t.low)),
                    "type": t.low.mime,
                    "bitrate": f64::from(t.low.bitrate) / 1000.0,
                }],
            })
        })
        .collect();
    // The table of contents: every heading, at its place in its file.
    let toc: Vec<Value> = b
        .nav
        .iter()
        .filter(|n| matches!(n.kind, NavKind::Heading(_)))
        .filter_map(|n| {
            let t = b.tracks.get(n.track)?;
            Some(json!({
                "href": format!("{base}{}#t={}", audio_url(&t.listen), n.offset_ms as f64 / 1000.0),
                "title": n.label,
                "type": t.listen.essence(),
            }))
        })
        .collect();
    let mut links = vec![json!({
        "rel": "self",
        "href": format!("{base}/opds/books/{}.json", b.id),
        "type": AUDIOBOOK_TYPE,
    })];
    if let Some(d) = &b.download {
        links.push(json!({
            "rel": "alternate",
            "href": format!("{base}/media/dl/{}/{}.m4b", d.blob, b.id),
            "type": d.essence(),
            "title": "M4B",
        }));
    }
    let mut manifest = json!({
        "@context": "https://readium.org/webpub-manifest/context.jsonld",
        "metadata": book_metadata(b),
        "links": links,
        "readingOrder": reading_order,
        "toc": toc,
    });
    if let Some(cover) = cover_link(base, b) {
        manifest["resources"] = json!([cover]);
    }
    manifest
}

async fn catalog(State(state): State<Shared>) -> Result<Response, ApiError> {
    let base = base(&state);
    let books = state.db.audiobooks().await?;
    let series = state.db.all_series().await?;
    let publications: Vec<Value> = books
        .iter()
        .map(|b| {
            let mut links = vec![json!({
                "rel": ACQUISITION,
                "href": format!("{base}/opds/books/{}.json", b.id),
                "type": AUDIOBOOK_TYPE,
            })];
            if let Some(d) = &b.download {
                links.push(json!({
                    "rel": ACQUISITION,
                    "href": format!("{base}/media/dl/{}/{}.m4b", d.blob, b.id),
                    "type": d.essence(),
                }));
            }
            json!({
                "metadata": book_metadata(b),
                "links": links,
                "images": cover_link(base, b).map(|mut c| {
                    if let Some(o) = c.as_object_mut() { o.remove("rel"); }
                    vec![c]
                }).unwrap_or_else(|| vec![json!({
                    "href": format!("{base}/opds/cover.png"),
                    "type": "image/png",
                })]),
            })
        })
        .collect();
    let navigation: Vec<Value> = series
        .iter()
        .map(|s| {
            json!({
                "href": format!("{base}/feeds/series/{}.xml", s.id),
                "type": "application/rss+xml",
                "title": s.title,
                "rel": "related",
            })
        })
        .collect();
    let mut feed = json!({
        "metadata": { "title": "Library" },
        "links": [
            { "rel": "self", "href": format!("{base}/opds/catalog.json"), "type": OPDS_TYPE },
            { "rel": "start", "href": format!("{base}/opds/catalog.json"), "type": OPDS_TYPE },
            { "rel": "alternate", "href": format!("{base}/fr/library"), "type": "text/html" },
        ],
        "publications": publications,
    });
    if !navigation.is_empty() {
        feed["navigation"] = json!(navigation);
    }
    Ok(typed(feed.to_string(), OPDS_TYPE))
}

async fn manifest(
    State(state): State<Shared>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::NotFound("book".into()))?;
    let b = state
        .db
        .audiobook(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("book {id}")))?;
    Ok(typed(
        audiobook_manifest(base(&state), &b).to_string(),
        AUDIOBOOK_TYPE,
    ))
}

/// An RSS date (RFC 2822).
fn rfc2822(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc2822()
}

/// Podlove Simple Chapters for an episode's marks.
fn chapters_extension(marks: &[cartable_core::library::Mark]) -> Extension {
    let chapters = marks
        .iter()
        .map(|m| {
            let mut attrs = BTreeMap::new();
            let s = m.at_ms / 1000;
            attrs.insert(
                "start".to_owned(),
                format!(
                    "{:02}:{:02}:{:02}.{:03}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60,
                    m.at_ms % 1000
                ),
            );
            attrs.insert("title".to_owned(), m.title.clone());
            Extension {
                name: "psc:chapter".to_owned(),
                attrs,
                ..Extension::default()
            }
        })
        .collect();
    Extension {
        name: "psc:chapters".to_owned(),
        attrs: BTreeMap::from([("version".to_owned(), "1.2".to_owned())]),
        children: BTreeMap::from([("chapter".to_owned(), chapters)]),
        ..Extension::default()
    }
}

/// The enclosure (address, media type, size) and duration of an episode.
async fn episode_media(
    state: &Shared,
    e: &Episode,
) -> Result<Option<(String, String, u64, u64)>, ApiError> {
    let base = base(state);
    Ok(match &e.media {
        EpisodeMedia::Audio { track } => Some((
            format!("{base}{}", audio_url(&track.listen)),
            track.listen.essence().to_owned(),
            track.listen.size,
            track.duration_ms,
        )),
        EpisodeMedia::Capsule { capsule } => {
            let found = state.db.capsule(capsule).await?;
            found.and_then(|c| {
                let r = c.media.rendition("audio")?;
                Some((
                    format!("{base}/media/b/{}.mp4", r.file),
                    "audio/mp4".to_owned(),
                    r.size,
                    c.media.duration_ms,
                ))
            })
        }
    })
}

pub async fn podcast_feed(state: &Shared, s: &Series) -> Result<String, ApiError> {
    let base = base(state);
    let ui = crate::UiLang::parse(&s.lang).unwrap_or(state.settings.default_lang);
    let page = format!("{base}/{}/series/{}", ui.code(), s.id);
    let mut items = Vec::new();
    for e in state.db.episodes(&s.id).await? {
        let Some((url, mime, size, duration_ms)) = episode_media(state, &e).await? else {
            continue;
        };
        let mut item = rss::Item::default();
        item.set_title(e.title.clone());
        if !e.description.is_empty() {
            item.set_description(e.description.clone());
        }
        item.set_link(format!("{page}#ep-{}", e.id));
        let mut guid = rss::Guid::default();
        guid.set_value(format!("urn:cartable:episode:{}:{}", s.id, e.id));
        guid.set_permalink(false);
        item.set_guid(guid);
        item.set_pub_date(rfc2822(e.published_at));
        let mut enclosure = rss::Enclosure::default();
        enclosure.set_url(url);
        enclosure.set_mime_type(mime);
        enclosure.set_length(size.to_string());
        item.set_enclosure(enclosure);
        let mut itunes = ITunesItemExtension::default();
        itunes.set_duration(clock(duration_ms));
        itunes.set_explicit("false".to_owned());
        item.set_itunes_ext(itunes);
        if !e.marks.is_empty() {
            let mut ext = BTreeMap::new();
            ext.insert("chapters".to_owned(), vec![chapters_extension(&e.marks)]);
            item.extensions.insert("psc".to_owned(), ext);
        }
        items.push(item);
    }
    let mut channel = rss::Channel::default();
    channel.set_title(s.title.clone());
    channel.set_link(page);
    channel.set_description(if s.description.is_empty() {
        s.title.clone()
    } else {
        s.description.clone()
    });
    channel.set_language(s.lang.clone());
    channel.set_generator("cartable".to_owned());
    let mut itunes = ITunesChannelExtension::default();
    itunes.set_author(s.author.clone());
    itunes.set_explicit("false".to_owned());
    if let Some(c) = &s.cover {
        itunes.set_image(format!("{base}{}", cover_url(c)));
        let mut image = rss::Image::default();
        image.set_url(format!("{base}{}", cover_url(c)));
        image.set_title(s.title.clone());
        image.set_link(channel.link().to_owned());
        channel.set_image(image);
    }
    channel.set_itunes_ext(itunes);
    channel.set_items(items);
    channel.namespaces.insert("psc".to_owned(), PSC.to_owned());
    channel.namespaces.insert(
        "itunes".to_owned(),
        rss::extension::itunes::NAMESPACE.to_owned(),
    );
    Ok(channel.to_string())
}

async fn podcast(
    State(state): State<Shared>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".xml")
        .ok_or_else(|| ApiError::NotFound("series".into()))?;
    let s = state
        .db
        .series(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("series {id}")))?;
    Ok(typed(
        podcast_feed(&state, &s).await?,
        "application/rss+xml; charset=utf-8",
    ))
}
