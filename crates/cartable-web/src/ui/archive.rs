//! The archive's pages. For everyone: the archive's home (search with
//! facets, the collections), a collection's page (the same search, within
//! it) and an item's page (its Dublin Core description, images, documents,
//! recordings, and the IIIF manifest for viewers). For archivists: making
//! and editing items and collections, uploading media, changing
//! visibility, and each item's history.

use super::account::personal;
use super::search::{FacetGroup, FacetLink};
use super::view::Page;
use super::{PageError, html, ui_lang};
use crate::archive::{ArchiveParams, archive_query, run_search};
use crate::auth::{Archivists, Require, url_encode};
use crate::{Shared, UiLang};
use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cartable_core::archive::{
    Collection, ELEMENTS, Item, Media, MediaKind, Value, Visibility, check_rights, collection_id,
};
use cartable_search::{ArchiveFacets, FacetCount};
use cartable_store::archive::StoredItem;

const PAGE_SIZE: usize = 20;

pub struct Card {
    pub url: String,
    pub lang: String,
    pub title: Vec<(String, bool)>,
    pub snippet: Vec<(String, bool)>,
    pub thumbnail: Option<String>,
    pub meta: String,
}

#[derive(Template)]
#[template(path = "archive.html")]
struct ArchiveTemplate {
    page: Page,
    /// The form's target: the archive or the collection.
    action: String,
    heading: String,
    description: String,
    q: String,
    from: String,
    to: String,
    summary: String,
    error: Option<String>,
    cards: Vec<Card>,
    facets: Vec<FacetGroup>,
    collections: Vec<(String, String, i64)>,
    prev: Option<String>,
    next: Option<String>,
}

/// The filters a page keeps in its links, in order.
const KEYS: [&str; 8] = [
    "q",
    "type",
    "creator",
    "subject",
    "collection",
    "decade",
    "from",
    "to",
];

fn params_pairs(p: &ArchiveParams) -> Vec<(&'static str, String)> {
    let values = [
        &p.q,
        &p.item_type,
        &p.creator,
        &p.subject,
        &p.collection,
        &p.decade,
        &p.from,
        &p.to,
    ];
    KEYS.iter()
        .zip(values)
        .filter_map(|(k, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| (*k, v.clone()))
        })
        .chain(
            p.lang
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| ("lang", l.clone())),
        )
        .collect()
}

fn link(base: &str, pairs: &[(&str, String)], offset: usize) -> String {
    let mut pairs: Vec<(&str, String)> = pairs.to_vec();
    if offset > 0 {
        pairs.push(("offset", offset.to_string()));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// The archive's home and search.
pub async fn home(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    params: Result<Query<ArchiveParams>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let page = Page::new_static(lang, "archive-title", "/archive".into());
    let heading = page.title.clone();
    search_page(
        &state,
        lang,
        page,
        p,
        "/archive".into(),
        heading,
        String::new(),
    )
    .await
}

/// A collection: the archive's search within it.
pub async fn collection(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    params: Result<Query<ArchiveParams>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let Some(c) = state.db.archive_collection(&id).await.map_err(fault)? else {
        return Err(PageError::NotFound(
            lang,
            format!("/archive/collections/{id}"),
        ));
    };
    let mut p = params.map(|Query(p)| p).unwrap_or_default();
    p.collection = Some(c.id.clone());
    let rest = format!("/archive/collections/{}", url_encode(&c.id));
    let page = Page::new(lang, c.title.clone(), rest.clone());
    search_page(&state, lang, page, p, rest, c.title, c.description).await
}

async fn search_page(
    state: &Shared,
    lang: UiLang,
    mut page: Page,
    mut p: ArchiveParams,
    rest: String,
    heading: String,
    description: String,
) -> Result<Response, PageError> {
    let code = lang.code();
    let base = format!("/{code}{rest}");
    let in_collection = rest.starts_with("/archive/collections/");
    let offset = p.offset.unwrap_or(0);
    let mut kept = params_pairs(&p);
    if in_collection {
        kept.retain(|(k, _)| *k != "collection");
    }
    page.rest = link(&rest, &kept, offset);
    let mut t = ArchiveTemplate {
        action: base.clone(),
        heading,
        description,
        q: p.q.clone().unwrap_or_default(),
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        summary: String::new(),
        error: None,
        cards: vec![],
        facets: vec![],
        collections: vec![],
        prev: None,
        next: None,
        page,
    };
    p.limit = Some(PAGE_SIZE);
    p.ui = Some(code.into());
    let query = match archive_query(p.clone()) {
        Ok(q) => q,
        Err(e) => {
            t.error = Some(format!("{} ({e})", t.page.t("archive-bad-filter")));
            let mut r = html(t.render(), lang)?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
    };
    let results = match run_search(state, query).await {
        Ok(r) => r,
        Err(e) if e.status().is_client_error() => {
            t.error = Some(t.page.t("search-bad-query"));
            let mut r = html(t.render(), lang)?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(r);
        }
        Err(e) => return Err(PageError::Internal(lang, e.message())),
    };
    t.summary = t.page.count("archive-count", &(results.total as u64));
    let words = !t.q.trim().is_empty();
    t.cards = results
        .hits
        .iter()
        .map(|h| {
            let card = h.card.clone().unwrap_or_default();
            let mut meta = card.creators.join(", ");
            if let Some(d) = &card.date {
                if !meta.is_empty() {
                    meta.push_str(" · ");
                }
                meta.push_str(d);
            }
            Card {
                url: format!("/{code}/archive/items/{}", url_encode(&h.id)),
                lang: h.lang.clone(),
                title: h.title.0.clone(),
                // Without words, a snippet would only repeat the creators.
                snippet: if words { h.snippet.0.clone() } else { vec![] },
                thumbnail: card.thumbnail.map(|t| format!("/media/b/{t}.jpg")),
                meta,
            }
        })
        .collect();
    // The collection facet's labels; on the archive's home, also the
    // collections with their sizes (a count per collection: home only).
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let mut titles = std::collections::HashMap::new();
    if !in_collection && kept.is_empty() {
        let counted = state.db.archive_collections().await.map_err(fault)?;
        titles = counted
            .iter()
            .map(|(c, _)| (c.id.clone(), c.title.clone()))
            .collect();
        t.collections = counted
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| {
                (
                    format!("/{code}/archive/collections/{}", url_encode(&c.id)),
                    c.title,
                    n,
                )
            })
            .collect();
    } else if !in_collection {
        titles = state
            .db
            .archive_collection_list()
            .await
            .map_err(fault)?
            .into_iter()
            .map(|c| (c.id, c.title))
            .collect();
    }
    t.facets = facet_groups(
        &t.page,
        &base,
        &kept,
        &results.facets,
        in_collection,
        &titles,
    );
    if offset > 0 {
        t.prev = Some(link(&base, &kept, offset.saturating_sub(PAGE_SIZE)));
    }
    if offset + PAGE_SIZE < results.total.min(10_000) {
        t.next = Some(link(&base, &kept, offset + PAGE_SIZE));
    }
    html(t.render(), lang)
}

fn facet_groups(
    page: &Page,
    base: &str,
    kept: &[(&'static str, String)],
    f: &ArchiveFacets,
    in_collection: bool,
    titles: &std::collections::HashMap<String, String>,
) -> Vec<FacetGroup> {
    let group = |name: &str, key: &'static str, counts: &[FacetCount]| FacetGroup {
        name: page.t(name),
        links: counts
            .iter()
            .map(|c| {
                let active = kept.iter().any(|(k, v)| *k == key && *v == c.value);
                let mut pairs: Vec<(&str, String)> =
                    kept.iter().filter(|(k, _)| *k != key).cloned().collect();
                if !active {
                    pairs.push((key, c.value.clone()));
                }
                let label = match key {
                    "collection" => titles
                        .get(&c.value)
                        .cloned()
                        .unwrap_or_else(|| c.value.clone()),
                    "lang" => page.t(&format!("lang-{}", c.value)),
                    _ => c.value.clone(),
                };
                FacetLink {
                    label,
                    count: c.count,
                    url: link(base, &pairs, 0),
                    active,
                }
            })
            .collect(),
    };
    let mut groups = vec![
        group("archive-facet-type", "type", &f.item_type),
        group("archive-facet-creator", "creator", &f.creator),
        group("archive-facet-subject", "subject", &f.subject),
        group("archive-facet-decade", "decade", &f.decade),
    ];
    if !in_collection {
        groups.push(group(
            "archive-facet-collection",
            "collection",
            &f.collection,
        ));
    }
    groups.push(group("archive-facet-lang", "lang", &f.lang));
    groups
}

pub struct MediaView {
    pub kind: &'static str,
    pub name: String,
    pub url: String,
    /// Images: the medium derivative, and its size.
    pub preview: Option<(String, u32, u32)>,
    /// Audio and video: (url, type) of each source, best first: the HLS
    /// master playlist, then the progressive rendition nearest 360p (or the
    /// audio one); the original file when it was not transcoded.
    pub sources: Vec<(String, &'static str)>,
    pub poster: Option<String>,
}

/// The player's sources of an audio or video file.
fn sources(m: &Media, original: &str) -> Vec<(String, &'static str)> {
    use cartable_core::renditions::RenditionKind;
    let Some(r) = &m.renditions else {
        let ext = m
            .name
            .rsplit_once('.')
            .map_or("", |(_, e)| e)
            .to_ascii_lowercase();
        let mime = match ext.as_str() {
            "mp3" => "audio/mpeg",
            "m4a" => "audio/mp4",
            "ogg" | "opus" => "audio/ogg",
            "wav" => "audio/wav",
            "flac" => "audio/flac",
            "webm" => "video/webm",
            "mov" => "video/quicktime",
            "mkv" => "video/x-matroska",
            _ => "video/mp4",
        };
        return vec![(original.to_owned(), mime)];
    };
    let mut out = vec![(
        format!("/media/b/{}.m3u8", r.master),
        "application/vnd.apple.mpegurl",
    )];
    let progressive = if m.kind == MediaKind::Audio {
        r.renditions.iter().find(|x| x.kind == RenditionKind::Audio)
    } else {
        r.default_video()
    };
    if let Some(x) = progressive.or(r.renditions.first()) {
        let mime = if x.kind == RenditionKind::Audio {
            "audio/mp4"
        } else {
            "video/mp4"
        };
        out.push((format!("/media/b/{}.mp4", x.file), mime));
    }
    out
}

fn media_views(item: &Item) -> Vec<MediaView> {
    item.media
        .iter()
        .map(|m| {
            let url = match (&m.hash, m.kind) {
                (_, MediaKind::Link) => m.name.clone(),
                (_, MediaKind::Image) if !m.derivatives.is_empty() => m
                    .derivatives
                    .last()
                    .map(|d| format!("/media/b/{}.jpg", d.hash))
                    .unwrap_or_default(),
                (Some(h), _) => format!("/media/dl/{h}/{}", url_encode(&m.name)),
                (None, _) => String::new(),
            };
            let original = url.clone();
            MediaView {
                kind: match m.kind {
                    MediaKind::Image => "image",
                    MediaKind::Document => "document",
                    MediaKind::Audio => "audio",
                    MediaKind::Video => "video",
                    MediaKind::Link => "link",
                },
                name: m.name.clone(),
                url,
                preview: m
                    .derivatives
                    .get(1)
                    .or(m.derivatives.first())
                    .map(|d| (format!("/media/b/{}.jpg", d.hash), d.width, d.height)),
                sources: if matches!(m.kind, MediaKind::Audio | MediaKind::Video) {
                    sources(m, &original)
                } else {
                    vec![]
                },
                poster: m
                    .renditions
                    .as_ref()
                    .and_then(|r| r.poster.as_ref())
                    .map(|p| format!("/media/b/{p}.jpg")),
            }
        })
        .collect()
}

/// One element's values as the item page shows them.
pub struct Field {
    pub label: String,
    pub values: Vec<(String, String)>,
}

fn fields(page: &Page, item: &Item) -> Vec<Field> {
    ELEMENTS
        .iter()
        .filter_map(|element| {
            let values: Vec<(String, String)> = item
                .all(element)
                .map(|v| (v.lang.clone().unwrap_or_default(), v.value.clone()))
                .collect();
            (!values.is_empty()).then(|| Field {
                label: page.t(&element_key(element)),
                values,
            })
        })
        .collect()
}

/// The message key of an element's label: `dc-title`, `dcterms-isPartOf`.
fn element_key(element: &str) -> String {
    element.replace(':', "-")
}

#[derive(Template)]
#[template(path = "archive-item.html")]
struct ItemTemplate {
    page: Page,
    id: String,
    enc: String,
    title: String,
    title_lang: String,
    fields: Vec<Field>,
    media: Vec<MediaView>,
    rights: Option<String>,
    collections: Vec<(String, String)>,
    manifest: Option<String>,
    oai: String,
    updated: String,
}

pub async fn item(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let rest = format!("/archive/items/{}", url_encode(&id));
    let stored = match state.db.archive_item(&id).await.map_err(fault)? {
        Some(s) if !s.withdrawn() => s,
        _ => return Err(PageError::NotFound(lang, rest)),
    };
    let item = &stored.item;
    let code = lang.code();
    let page = Page::new(lang, item.title(code).to_owned(), rest);
    let collections = collections_of(&state, lang, item).await?;
    let t = ItemTemplate {
        id: item.id.clone(),
        enc: url_encode(&item.id),
        title: item.title(code).to_owned(),
        title_lang: item
            .all("dc:title")
            .find(|v| v.value == item.title(code))
            .and_then(|v| v.lang.clone())
            .unwrap_or_default(),
        fields: fields(&page, item),
        media: media_views(item),
        rights: item.rights.clone(),
        collections,
        manifest: item
            .image()
            .map(|_| format!("/iiif/{}/manifest", url_encode(&item.id))),
        oai: format!(
            "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={}",
            url_encode(&crate::archive::oai::oai_identifier(&state, &item.id))
        ),
        updated: crate::archive::oai::datestamp(stored.updated_at),
        page,
    };
    html(t.render(), lang)
}

async fn collections_of(
    state: &Shared,
    lang: UiLang,
    item: &Item,
) -> Result<Vec<(String, String)>, PageError> {
    let mut out = vec![];
    for id in &item.collections {
        if let Some(c) = state
            .db
            .archive_collection(id)
            .await
            .map_err(|e| PageError::Internal(lang, e.to_string()))?
        {
            out.push((
                format!("/{}/archive/collections/{}", lang.code(), url_encode(&c.id)),
                c.title,
            ));
        }
    }
    Ok(out)
}

// ---- Staff ----

pub struct ElementInput {
    pub name: String,
    pub label: String,
    pub text: String,
}

pub struct CollectionChoice {
    pub id: String,
    pub title: String,
    pub checked: bool,
}

pub struct HistoryView {
    pub version: i64,
    pub at: String,
    pub actor: String,
    pub changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "archive-edit.html")]
struct EditTemplate {
    page: Page,
    csrf: String,
    /// None for a new item.
    id: Option<String>,
    /// The id, encoded for a path.
    enc: String,
    id_text: String,
    lang_text: String,
    elements: Vec<ElementInput>,
    rights: String,
    public: bool,
    year: String,
    collections: Vec<CollectionChoice>,
    media: Vec<MediaView>,
    history: Vec<HistoryView>,
    deleted: bool,
    errors: Vec<String>,
    saved: bool,
}

fn when(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// The values of one element as a textarea holds them: one per line,
/// `@lang ` in front of a value in another language than the item's.
fn element_text(item: &Item, element: &str, lang: &str) -> String {
    item.all(element)
        .map(|v| match &v.lang {
            Some(l) if l != lang => format!("@{l} {}", v.value),
            _ => v.value.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn item_lang(item: &Item) -> String {
    item.all("dc:title")
        .find_map(|v| v.lang.clone())
        .unwrap_or_default()
}

async fn edit_template(
    state: &Shared,
    lang: UiLang,
    csrf: String,
    stored: Option<&StoredItem>,
    draft: Option<&Item>,
) -> Result<EditTemplate, PageError> {
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let empty = Item {
        id: String::new(),
        values: vec![],
        rights: None,
        visibility: Visibility::Public,
        collections: vec![],
        media: vec![],
        year: None,
    };
    let item = draft.or(stored.map(|s| &s.item)).unwrap_or(&empty);
    let rest = match stored {
        Some(s) => format!("/archive/items/{}/edit", url_encode(&s.item.id)),
        None => "/archive/new".into(),
    };
    let page = Page::new_static(
        lang,
        if stored.is_some() {
            "archive-edit-title"
        } else {
            "archive-new-title"
        },
        rest,
    );
    let item_lang = item_lang(item);
    let elements = ELEMENTS
        .iter()
        .map(|e| ElementInput {
            name: (*e).to_owned(),
            label: page.t(&element_key(e)),
            text: element_text(item, e, &item_lang),
        })
        .collect();
    let collections = state
        .db
        .archive_collection_list()
        .await
        .map_err(fault)?
        .into_iter()
        .map(|c| CollectionChoice {
            checked: item.collections.contains(&c.id),
            id: c.id,
            title: c.title,
        })
        .collect();
    let history = match stored {
        Some(s) => state
            .db
            .archive_history(&s.item.id)
            .await
            .map_err(fault)?
            .into_iter()
            .map(|h| HistoryView {
                version: h.version,
                at: when(h.at),
                actor: h.actor,
                changes: h.changes,
            })
            .collect(),
        None => vec![],
    };
    Ok(EditTemplate {
        csrf,
        id: stored.map(|s| s.item.id.clone()),
        enc: stored.map(|s| url_encode(&s.item.id)).unwrap_or_default(),
        id_text: item.id.clone(),
        lang_text: item_lang,
        elements,
        rights: item.rights.clone().unwrap_or_default(),
        public: item.visibility == Visibility::Public,
        year: item.year.map(|y| y.to_string()).unwrap_or_default(),
        collections,
        media: media_views(item),
        history,
        deleted: stored.is_some_and(|s| s.deleted_at.is_some()),
        errors: vec![],
        saved: false,
        page,
    })
}

pub async fn new_form(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Archivists>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let t = edit_template(&state, lang, auth.csrf.unwrap_or_default(), None, None).await?;
    personal(lang, StatusCode::OK, t.render())
}

pub async fn edit_form(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Archivists>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let stored = staff_item(&state, lang, &id).await?;
    let mut t = edit_template(
        &state,
        lang,
        auth.csrf.unwrap_or_default(),
        Some(&stored),
        None,
    )
    .await?;
    t.saved = query.is_some_and(|q| q.split('&').any(|p| p == "saved=1"));
    personal(lang, StatusCode::OK, t.render())
}

/// Any item, deleted or hidden too, for the archivists' pages.
async fn staff_item(state: &Shared, lang: UiLang, id: &str) -> Result<StoredItem, PageError> {
    state
        .db
        .archive_item(id)
        .await
        .map_err(|e| PageError::Internal(lang, e.to_string()))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/archive/items/{id}/edit")))
}

/// The edit form's fields, as posted.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The item a posted form describes, or what is wrong with it.
fn item_from_form(
    id: &str,
    fields: &[(String, String)],
    old: Option<&Item>,
) -> Result<Item, Vec<String>> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let mut errors = vec![];
    let lang = get("lang");
    if !lang.is_empty() && cartable_core::Lang::try_from(lang).is_err() {
        errors.push(format!(
            "language: \"{lang}\" is not a language code (like fr, ar, en)"
        ));
    }
    let lang = (!lang.is_empty()).then(|| lang.to_owned());
    let mut values = vec![];
    for element in ELEMENTS {
        for line in get(element)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (value_lang, text) = match line.strip_prefix('@').and_then(|l| l.split_once(' ')) {
                Some((l, text)) if cartable_core::Lang::try_from(l).is_ok() => {
                    (Some(l.to_owned()), text.trim())
                }
                _ => (lang.clone(), line),
            };
            let v = Value {
                element: element.to_owned(),
                value: text.to_owned(),
                lang: value_lang,
            };
            if !values.contains(&v) {
                values.push(v);
            }
        }
    }
    let rights = get("rights");
    if !rights.is_empty()
        && let Err(e) = check_rights(rights)
    {
        errors.push(format!("rights: {e}"));
    }
    let year = get("year");
    let year = if year.is_empty() {
        None
    } else {
        match year.parse::<i32>() {
            Ok(y) if (-9999..=9999).contains(&y) => Some(y),
            _ => {
                errors.push(format!("year: \"{year}\" is not a year"));
                None
            }
        }
    };
    let remove: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "remove-media")
        .map(|(_, v)| v.as_str())
        .collect();
    let media: Vec<Media> = old
        .map(|o| {
            o.media
                .iter()
                .enumerate()
                .filter(|(i, _)| !remove.contains(&i.to_string().as_str()))
                .map(|(_, m)| m.clone())
                .collect()
        })
        .unwrap_or_default();
    let item = Item {
        id: id.to_owned(),
        values,
        rights: (!rights.is_empty()).then(|| rights.to_owned()),
        visibility: if get("visibility") == "staff" {
            Visibility::Staff
        } else {
            Visibility::Public
        },
        collections: fields
            .iter()
            .filter(|(k, _)| k == "collection")
            .map(|(_, v)| v.clone())
            .collect(),
        media,
        year,
    };
    if let Err(e) = item.check() {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(item)
    } else {
        Err(errors)
    }
}

/// Writes an item as `auth`'s change, lets search know, and goes back to
/// the item's edit page, which says it is saved.
async fn save(
    state: &Shared,
    lang: UiLang,
    auth: &crate::auth::Auth,
    item: Item,
) -> Result<Response, PageError> {
    let id = item.id.clone();
    state
        .db
        .put_archive_items(&[item], &[], &actor(auth))
        .await
        .map_err(|e| PageError::Internal(lang, e.to_string()))?;
    state.search_changed.notify_one();
    Ok(Redirect::to(&format!(
        "/{}/archive/items/{}/edit?saved=1",
        lang.code(),
        url_encode(&id)
    ))
    .into_response())
}

fn actor(auth: &crate::auth::Auth) -> String {
    auth.user.login.to_string()
}

pub async fn create(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Archivists>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let fields = form_fields(&body);
    let id = fields
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let csrf = auth.csrf.clone().unwrap_or_default();
    let mut result = item_from_form(&id, &fields, None);
    if result.is_ok() && state.db.archive_item(&id).await.map_err(fault)?.is_some() {
        result = Err(vec![format!(
            "identifier: \"{id}\" is already an item of the archive"
        )]);
    }
    match result {
        Ok(item) => save(&state, lang, &auth, item).await,
        Err(errors) => {
            let draft =
                item_from_form(&id, &fields, None).unwrap_or_else(|_| lenient(&id, &fields));
            let mut t = edit_template(&state, lang, csrf, None, Some(&draft)).await?;
            t.errors = errors;
            personal(lang, StatusCode::UNPROCESSABLE_ENTITY, t.render())
        }
    }
}

/// What a refused form held, to show it again as typed.
fn lenient(id: &str, fields: &[(String, String)]) -> Item {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    Item {
        id: id.to_owned(),
        values: ELEMENTS
            .iter()
            .flat_map(|e| {
                get(e)
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| Value {
                        element: (*e).to_owned(),
                        value: l.trim().to_owned(),
                        lang: None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        rights: Some(get("rights").to_owned()).filter(|r| !r.is_empty()),
        visibility: if get("visibility") == "staff" {
            Visibility::Staff
        } else {
            Visibility::Public
        },
        collections: fields
            .iter()
            .filter(|(k, _)| k == "collection")
            .map(|(_, v)| v.clone())
            .collect(),
        media: vec![],
        year: get("year").parse().ok(),
    }
}

pub async fn update(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Archivists>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fault = |e: cartable_store::StoreError| PageError::Internal(lang, e.to_string());
    let stored = staff_item(&state, lang, &id).await?;
    let fields = form_fields(&body);
    if fields.iter().any(|(k, v)| k == "action" && v == "delete") {
        state
            .db
            .delete_archive_item(&id, &actor(&auth))
            .await
            .map_err(fault)?;
        state.search_changed.notify_one();
        return Ok(Redirect::to(&format!(
            "/{}/archive/items/{}/edit",
            lang.code(),
            url_encode(&id)
        ))
        .into_response());
    }
    match item_from_form(&id, &fields, Some(&stored.item)) {
        Ok(item) => save(&state, lang, &auth, item).await,
        Err(errors) => {
            let draft = lenient(&id, &fields);
            let mut t = edit_template(
                &state,
                lang,
                auth.csrf.unwrap_or_default(),
                Some(&stored),
                Some(&draft),
            )
            .await?;
            t.media = media_views(&stored.item);
            t.errors = errors;
            personal(lang, StatusCode::UNPROCESSABLE_ENTITY, t.render())
        }
    }
}

/// At most this many bytes in one media upload from the form; larger
/// files go through `cartable import archive`.
pub const MAX_UPLOAD: usize = 100 * 1024 * 1024;

/// A media file uploaded from the edit page (multipart/form-data: the
/// `csrf` field first, then `file`).
pub async fn upload(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Archivists>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let stored = staff_item(&state, lang, &id).await?;
    let refuse = |message: String| async {
        let mut t = edit_template(
            &state,
            lang,
            auth.csrf.clone().unwrap_or_default(),
            Some(&stored),
            None,
        )
        .await?;
        t.errors = vec![message];
        personal(lang, StatusCode::UNPROCESSABLE_ENTITY, t.render())
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let file = match multipart_form(content_type, &body) {
        Ok(form) => form.file,
        Err(e) => return refuse(e).await,
    };
    let Some((name, bytes)) = file.filter(|(n, _)| !n.is_empty()) else {
        return refuse(state_text(lang, "archive-upload-none")).await;
    };
    let Some(kind) = MediaKind::of_file(&name) else {
        return refuse(format!(
            "{name}: {}",
            state_text(lang, "archive-upload-kind")
        ))
        .await;
    };
    let media = match crate::archive::store_media(&state.blobs, name.clone(), kind, bytes).await {
        Ok(m) => m,
        Err(e) => return refuse(format!("{name}: {e}")).await,
    };
    let mut item = stored.item.clone();
    item.media.push(media);
    save(&state, lang, &auth, item).await
}

/// A multipart form: its text fields, and its `file` part (file name and
/// bytes) when one was chosen.
pub struct MultipartForm {
    pub fields: Vec<(String, String)>,
    pub file: Option<(String, Bytes)>,
}

pub fn multipart_form(content_type: &str, body: &Bytes) -> Result<MultipartForm, String> {
    let boundary = crate::xapi::multipart::boundary(content_type)
        .ok_or_else(|| "the form is not a multipart form".to_owned())?;
    let mut fields = Vec::new();
    let mut file = None;
    for p in crate::xapi::multipart::parse(&boundary, body)? {
        let Some(disposition) = p.header("content-disposition").map(str::to_owned) else {
            continue;
        };
        let Some(name) = form_param(&disposition, "name") else {
            continue;
        };
        if name == "file" {
            if !p.body.is_empty() {
                file = Some((
                    form_param(&disposition, "filename").unwrap_or_default(),
                    p.body,
                ));
            }
        } else {
            fields.push((name, String::from_utf8_lossy(&p.body).into_owned()));
        }
    }
    Ok(MultipartForm { fields, file })
}

fn state_text(lang: UiLang, key: &str) -> String {
    Page::new(lang, String::new(), String::new()).t(key)
}

/// A parameter of a Content-Disposition header: `name="file"`.
fn form_param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| {
            v.trim()
                .trim_matches('"')
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .to_owned()
        })
    })
}

/// Makes a collection (from the archive's management page).
pub async fn create_collection(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(..): Require<Archivists>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fields = form_fields(&body);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let title = get("title");
    if title.is_empty() {
        return Ok(Redirect::to(&format!("/{}/archive/new", lang.code())).into_response());
    }
    let c = Collection {
        id: collection_id(&title),
        title,
        description: get("description"),
    };
    state
        .db
        .put_archive_collection(&c)
        .await
        .map_err(|e| PageError::Internal(lang, e.to_string()))?;
    Ok(Redirect::to(&format!(
        "/{}/archive/collections/{}",
        lang.code(),
        url_encode(&c.id)
    ))
    .into_response())
}
