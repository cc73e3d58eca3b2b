//! The learner's pages: home, browse, programme, capsule.

use super::view::{CapsuleCard, Choice, Page, ProgrammeCard, Text, duration, text};
use super::{PageError, html, ui_lang};
use crate::Shared;
use crate::api::{blob_url, decode_cursor, download_name, download_url, encode_cursor, filter};
use crate::auth::MaybeAuth;
use crate::i18n::UiLang;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use cartable_core::catalog::Capsule;
use cartable_core::renditions::RenditionKind;
use cartable_store::catalog::CapsuleFilter;
use serde::Deserialize;

/// Small pages: a learner on a slow phone gets the first results fast.
const PAGE_SIZE: u32 = 12;
const NEWEST: u32 = 8;
/// The content languages offered in the browse filter.
const CONTENT_LANGS: [&str; 5] = ["ar", "fr", "en", "tr", "zgh"];

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    page: Page,
    /// A signed-in learner's assignments (the page is then theirs only).
    homework: Vec<super::learning::Homework>,
    /// Live sessions for this visitor: live now, then the next ones.
    live: Vec<super::live::Listed>,
    programmes: Vec<ProgrammeCard>,
    newest: Vec<CapsuleCard>,
    levels: Vec<Choice>,
}

pub async fn home(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let homework = match &auth {
        Some(a) => super::learning::homework(&state, lang, a.user.login.as_str())
            .await
            .map_err(|e| PageError::Internal(lang, e.message()))?,
        None => Vec::new(),
    };
    let programmes = state.db.programmes().await.map_err(|e| (lang, e))?;
    let newest = state
        .db
        .newest_capsules(NEWEST)
        .await
        .map_err(|e| (lang, e))?;
    let counts = state
        .db
        .level_subject_counts()
        .await
        .map_err(|e| (lang, e))?;
    let levels = state
        .taxonomy
        .levels
        .iter()
        .filter(|l| counts.iter().any(|(level, _, _)| level == l.id.as_str()))
        .map(|l| Choice {
            value: format!("/{}/browse?level={}", lang.code(), l.id),
            label: state
                .taxonomy
                .level_label(l.id.as_str(), lang.code())
                .to_owned(),
            selected: false,
        })
        .collect();
    let page = Page::new(lang, String::new(), "/".into());
    let template = HomeTemplate {
        programmes: programmes
            .iter()
            .map(|p| ProgrammeCard::new(lang, p))
            .collect(),
        newest: newest
            .iter()
            .map(|c| CapsuleCard::new(&state, lang, c))
            .collect(),
        levels,
        homework,
        live: super::live::upcoming(&state, lang, auth.as_ref()).await?,
        page: Page {
            title: page.t("home-title"),
            ..page
        },
    };
    // Signed in, the page is the learner's own: never kept by a cache.
    if auth.is_some() {
        return super::account::personal(lang, axum::http::StatusCode::OK, template.render());
    }
    html(template.render(), lang)
}

#[derive(Deserialize, Default)]
pub struct BrowseQuery {
    level: Option<String>,
    subject: Option<String>,
    lang: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "browse.html")]
struct BrowseTemplate {
    page: Page,
    levels: Vec<Choice>,
    subjects: Vec<Choice>,
    langs: Vec<Choice>,
    capsules: Vec<CapsuleCard>,
    next: Option<String>,
}

fn query_string(pairs: &[(&str, &Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref().filter(|v| !v.is_empty()).map(|v| {
                format!(
                    "{k}={}",
                    v.chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                        .collect::<String>()
                )
            })
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

pub async fn browse(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    query: Result<Query<BrowseQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let q = query.map(|Query(q)| q).unwrap_or_default();
    // A filter that names nothing known shows the unfiltered list rather
    // than an error page: links from older pages keep working.
    let f = filter(
        &state,
        q.level.clone(),
        q.subject.clone(),
        q.lang.clone(),
        None,
    )
    .unwrap_or_else(|_| CapsuleFilter::default());
    let cursor = q.cursor.as_deref().and_then(|c| decode_cursor(c).ok());
    let page_of = state
        .db
        .capsules(&f, cursor.as_ref(), PAGE_SIZE)
        .await
        .map_err(|e| (lang, e))?;
    let selected = |v: &Option<String>, id: &str| v.as_deref() == Some(id);
    let levels = state
        .taxonomy
        .levels
        .iter()
        .map(|l| Choice {
            value: l.id.to_string(),
            label: state
                .taxonomy
                .level_label(l.id.as_str(), lang.code())
                .to_owned(),
            selected: selected(&q.level, l.id.as_str()),
        })
        .collect();
    let subjects = state
        .taxonomy
        .subjects
        .iter()
        .map(|s| Choice {
            value: s.id.to_string(),
            label: state
                .taxonomy
                .subject_label(s.id.as_str(), lang.code())
                .to_owned(),
            selected: selected(&q.subject, s.id.as_str()),
        })
        .collect();
    let probe = Page::new(lang, String::new(), String::new());
    let langs = CONTENT_LANGS
        .iter()
        .map(|l| Choice {
            value: (*l).into(),
            label: probe.t(&format!("lang-{l}")),
            selected: selected(&q.lang, l),
        })
        .collect();
    let next = page_of.next.as_ref().map(|c| {
        format!(
            "/{}/browse{}",
            lang.code(),
            query_string(&[
                ("level", &q.level),
                ("subject", &q.subject),
                ("lang", &q.lang),
                ("cursor", &Some(encode_cursor(c)))
            ])
        )
    });
    let rest = format!(
        "/browse{}",
        query_string(&[
            ("level", &q.level),
            ("subject", &q.subject),
            ("lang", &q.lang)
        ])
    );
    let mut title = probe.t("browse-title");
    if let Some(level) = f.level.as_ref() {
        title = format!(
            "{title} — {}",
            state.taxonomy.level_label(level.as_str(), lang.code())
        );
    }
    let template = BrowseTemplate {
        page: Page::new(lang, title, rest),
        levels,
        subjects,
        langs,
        capsules: page_of
            .capsules
            .iter()
            .map(|c| CapsuleCard::new(&state, lang, c))
            .collect(),
        next,
    };
    html(template.render(), lang)
}

#[derive(Template)]
#[template(path = "programme.html")]
struct ProgrammeTemplate {
    page: Page,
    summary: Option<Text>,
    heading: Text,
    capsules: Vec<CapsuleCard>,
    /// The end-of-unit quizzes (link, title).
    quizzes: Vec<(String, String)>,
}

/// The quizzes after a capsule or ending a programme, as (link, title).
async fn quiz_links(
    state: &Shared,
    lang: UiLang,
    capsule: Option<&str>,
    programme: Option<&str>,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .db
        .quizzes(capsule, programme)
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .map(|q| (format!("/{}/quizzes/{}", lang.code(), q.id), q.spec.title))
        .collect())
}

pub async fn programme(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let programme = state
        .db
        .programme(&id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/programmes/{id}")))?;
    let f = CapsuleFilter {
        programme: Some(programme.id.clone()),
        ..CapsuleFilter::default()
    };
    // A programme is a few dozen lessons; list them all, in order.
    let page_of = state
        .db
        .capsules(&f, None, 500)
        .await
        .map_err(|e| (lang, e))?;
    let capsules = page_of
        .capsules
        .iter()
        .map(|c| CapsuleCard {
            position: c
                .programmes
                .iter()
                .find(|(p, _)| *p == programme.id)
                .map(|(_, pos)| *pos),
            ..CapsuleCard::new(&state, lang, c)
        })
        .collect();
    let heading = text(&programme.titles, lang);
    let template = ProgrammeTemplate {
        page: Page::new(lang, heading.text.clone(), format!("/programmes/{id}")),
        summary: Some(text(&programme.summaries, lang)).filter(|s| !s.text.is_empty()),
        heading,
        capsules,
        quizzes: quiz_links(&state, lang, None, Some(programme.id.as_str())).await?,
    };
    html(template.render(), lang)
}

#[derive(Deserialize, Default)]
pub struct CapsuleQuery {
    quality: Option<String>,
}

/// One entry of the quality choice.
struct Quality {
    label: String,
    url: String,
    current: bool,
}

struct Source {
    url: String,
    mime: &'static str,
}

struct Track {
    url: String,
    lang: String,
    label: String,
    /// Captions in the spoken language are shown by default.
    default: bool,
}

struct Download {
    label: String,
    url: String,
    size: String,
}

#[derive(Template)]
#[template(path = "capsule.html")]
struct CapsuleTemplate {
    page: Page,
    heading: Text,
    summary: Option<Text>,
    level: Choice,
    subject: Choice,
    duration: String,
    poster: Option<String>,
    audio_only: bool,
    sources: Vec<Source>,
    tracks: Vec<Track>,
    /// The WebVTT chapters track, if the capsule has one.
    chapters: Option<String>,
    qualities: Vec<Quality>,
    transcript: Option<String>,
    content_lang: String,
    attachments: Vec<Download>,
    downloads: Vec<Download>,
    programmes: Vec<(String, Text, u32)>,
    /// "Check your understanding": the quizzes after this capsule (link,
    /// title).
    quizzes: Vec<(String, String)>,
    capsule_id: String,
    /// The quality asked for, or "auto" (what the player records).
    rendition: String,
    /// Records a signed-in learner's viewing and resumes it.
    player_script: &'static str,
}

/// A size as people read it: kilobytes under a megabyte, else megabytes.
pub(crate) fn human_size(lang: UiLang, bytes: u64) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    let key = if bytes < 1_000_000 {
        args.set("size", bytes.div_ceil(1000).to_string());
        "size-kb"
    } else {
        args.set("size", format!("{:.1}", bytes as f64 / 1_000_000.0));
        "size-mb"
    };
    crate::i18n::I18N.message(lang, key, Some(&args))
}

pub async fn capsule(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    query: Result<Query<CapsuleQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c: Capsule = state
        .db
        .capsule(&id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/capsules/{id}")))?;
    let probe = Page::new(lang, String::new(), String::new());
    let m = &c.media;
    let asked = query
        .ok()
        .and_then(|Query(q)| q.quality)
        .filter(|q| m.rendition(q).is_some());
    let chosen = asked.as_deref().and_then(|q| m.rendition(q));
    let audio_only =
        chosen.is_some_and(|r| r.kind == RenditionKind::Audio) || m.default_video().is_none();
    let sources = match chosen {
        Some(r) => vec![Source {
            url: blob_url(&r.file, "mp4"),
            mime: if r.kind == RenditionKind::Audio {
                "audio/mp4"
            } else {
                "video/mp4"
            },
        }],
        None => {
            let mut s = vec![Source {
                url: blob_url(&m.master, "m3u8"),
                mime: "application/vnd.apple.mpegurl",
            }];
            if let Some(r) = m.default_video().or(m.renditions.first()) {
                s.push(Source {
                    url: blob_url(&r.file, "mp4"),
                    mime: if r.kind == RenditionKind::Audio {
                        "audio/mp4"
                    } else {
                        "video/mp4"
                    },
                });
            }
            s
        }
    };
    let base = format!("/{}/capsules/{}", lang.code(), c.id);
    let mut qualities = vec![Quality {
        label: probe.t("quality-auto"),
        url: base.clone(),
        current: chosen.is_none(),
    }];
    let mut ordered: Vec<_> = m.renditions.iter().collect();
    ordered.sort_by_key(|r| (r.kind == RenditionKind::Audio, r.height));
    for r in &ordered {
        let label = if r.kind == RenditionKind::Audio {
            probe.t("quality-audio")
        } else {
            r.name.clone()
        };
        qualities.push(Quality {
            label,
            url: format!("{base}?quality={}", r.name),
            current: chosen.is_some_and(|x| x.name == r.name),
        });
    }
    let size = |bytes: u64| human_size(lang, bytes);
    let downloads = ordered
        .iter()
        .map(|r| Download {
            label: if r.kind == RenditionKind::Audio {
                probe.t("quality-audio")
            } else {
                r.name.clone()
            },
            url: download_url(&r.file, &download_name(&c, &r.name)),
            size: size(r.size),
        })
        .collect();
    let tracks = c
        .captions
        .iter()
        .map(|(l, h)| Track {
            url: blob_url(h, "vtt"),
            lang: l.to_string(),
            label: probe.t(&format!("lang-{l}")),
            default: *l == c.lang,
        })
        .collect();
    let attachments = c
        .attachments
        .iter()
        .map(|a| Download {
            label: a.name.clone(),
            url: download_url(&a.blob, &a.name),
            size: size(a.size),
        })
        .collect();
    let mut programmes = Vec::new();
    for (pid, position) in &c.programmes {
        if let Some(p) = state
            .db
            .programme(pid.as_str())
            .await
            .map_err(|e| (lang, e))?
        {
            programmes.push((
                format!("/{}/programmes/{}", lang.code(), p.id),
                text(&p.titles, lang),
                *position,
            ));
        }
    }
    let heading = text(&c.titles, lang);
    let rest = format!(
        "/capsules/{}{}",
        c.id,
        asked
            .as_ref()
            .map_or(String::new(), |q| format!("?quality={q}"))
    );
    let template = CapsuleTemplate {
        page: Page::new(lang, heading.text.clone(), rest),
        summary: Some(text(&c.summaries, lang)).filter(|s| !s.text.is_empty()),
        level: Choice {
            value: format!("/{}/browse?level={}", lang.code(), c.level),
            label: state
                .taxonomy
                .level_label(c.level.as_str(), lang.code())
                .to_owned(),
            selected: false,
        },
        subject: Choice {
            value: format!("/{}/browse?subject={}", lang.code(), c.subject),
            label: state
                .taxonomy
                .subject_label(c.subject.as_str(), lang.code())
                .to_owned(),
            selected: false,
        },
        duration: duration(m.duration_ms),
        poster: m.poster.as_ref().map(|h| blob_url(h, "jpg")),
        audio_only,
        sources,
        tracks,
        chapters: c.media.chapters.as_ref().map(|h| blob_url(h, "vtt")),
        qualities,
        transcript: c.transcript.clone(),
        content_lang: c.lang.to_string(),
        attachments,
        downloads,
        programmes,
        heading,
        quizzes: quiz_links(&state, lang, Some(c.id.as_str()), None).await?,
        capsule_id: c.id.to_string(),
        rendition: asked.unwrap_or_else(|| "auto".into()),
        player_script: include_str!("../../assets/player.js"),
    };
    html(template.render(), lang)
}
