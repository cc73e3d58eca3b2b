//! `satchel pack --format zim`: the same selection as a satchel, written
//! as a ZIM archive for Kiwix users: a page per capsule (its video in one
//! rendition, captions, transcript, worksheets), a page per programme, and
//! a home page listing both. Pages are plain HTML with no script, in the
//! capsule's own language and direction.

use crate::App;
use anyhow::Context;
use cartable_core::catalog::{Capsule, Programme};
use cartable_core::satchel::CatalogSection;
use cartable_core::{BlobHash, pick};
use cartable_zim::{Content, Entry, Metadata, Redirect};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ICON: &[u8] = include_bytes!("../assets/zim-icon.png");

const STYLE: &str = "body{font-family:sans-serif;max-width:48rem;margin:auto;padding:1rem;line-height:1.5}\
video{width:100%;height:auto;background:#000}a{color:#1f5f7a}li{margin:.3rem 0}\
.summary{font-size:1.1rem}details{margin-top:1rem}";

/// The few words of the archive's own pages, in its interface language.
struct Words {
    programmes: &'static str,
    capsules: &'static str,
    transcript: &'static str,
    worksheets: &'static str,
    home: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "ar" => Words {
            programmes: "البرامج",
            capsules: "الكبسولات",
            transcript: "النص الكامل",
            worksheets: "أوراق العمل",
            home: "الصفحة الرئيسية",
        },
        "en" => Words {
            programmes: "Programmes",
            capsules: "Capsules",
            transcript: "Transcript",
            worksheets: "Worksheets",
            home: "Home",
        },
        _ => Words {
            programmes: "Programmes",
            capsules: "Capsules",
            transcript: "Transcription",
            worksheets: "Fiches",
            home: "Accueil",
        },
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    cartable_core::escape_html(text, &mut out);
    out
}

fn dir(lang: &str) -> &'static str {
    if matches!(lang, "ar" | "fa" | "he" | "ur") {
        "rtl"
    } else {
        "ltr"
    }
}

/// ISO 639-3, as ZIM metadata wants it.
fn iso639_3(lang: &str) -> &str {
    match lang {
        "ar" => "ara",
        "fr" => "fra",
        "en" => "eng",
        "tr" => "tur",
        "es" => "spa",
        "zgh" => "zgh",
        "ber" => "ber",
        other => other,
    }
}

fn page(lang: &str, title: &str, depth: usize, body: &str) -> Vec<u8> {
    let up = "../".repeat(depth);
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title>\
<link rel=\"stylesheet\" href=\"{up}style.css\"></head><body>{body}</body></html>",
        dir(lang),
        escape(title)
    )
    .into_bytes()
}

fn title_of(c: &Capsule) -> (String, &str) {
    let own = c.lang.as_str();
    let text = c
        .titles
        .get(&c.lang)
        .map(String::as_str)
        .or_else(|| pick(&c.titles, own))
        .unwrap_or(c.id.as_str());
    (text.to_owned(), own)
}

fn link_list(items: &[(String, String, String)]) -> String {
    let mut out = String::from("<ul>");
    for (href, text, lang) in items {
        out.push_str(&format!(
            "<li><a href=\"{href}\" lang=\"{lang}\" dir=\"auto\">{}</a></li>",
            escape(text)
        ));
    }
    out.push_str("</ul>");
    out
}

/// Where a blob's bytes come from: its file in a local store, else the
/// bytes themselves (an S3 hub; capsule media is small).
async fn content_of(app: &App, hash: &BlobHash) -> anyhow::Result<Content> {
    Ok(match app.blobs.local_path(hash) {
        Some(path) if path.is_file() => Content::File(path),
        _ => Content::Bytes(app.blobs.get(hash).await?.to_vec()),
    })
}

/// Writes the ZIM of `catalog` to `out`; returns the archive's size.
pub async fn write(app: &App, catalog: &CatalogSection, out: &Path) -> anyhow::Result<u64> {
    let ui = app.config.default_lang.as_str();
    let w = words(ui);
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut add = |e: Entry| {
        entries.entry(e.path.clone()).or_insert(e);
    };
    add(Entry {
        path: "style.css".into(),
        title: String::new(),
        mime: "text/css".into(),
        content: Content::Bytes(STYLE.as_bytes().to_vec()),
        front_article: false,
    });
    // Media to add once the pages are written: path -> (blob, type).
    let mut media: BTreeMap<String, (BlobHash, String)> = BTreeMap::new();
    let mut blob = |hash: &BlobHash, mime: &str, ext: &str| {
        media.insert(
            format!("media/{hash}.{ext}"),
            (hash.clone(), mime.to_owned()),
        );
    };
    for c in &catalog.capsules {
        let (title, lang) = title_of(c);
        let mut body = format!(
            "<p><a href=\"../index.html\">{}</a></p><h1>{}</h1>",
            w.home,
            escape(&title)
        );
        if let Some(summary) = c
            .summaries
            .get(&c.lang)
            .or_else(|| c.summaries.values().next())
        {
            body.push_str(&format!("<p class=\"summary\">{}</p>", escape(summary)));
        }
        if let Some(video) = c.media.default_video().or(c.media.renditions.first()) {
            let poster = c
                .media
                .poster
                .as_ref()
                .map(|p| format!(" poster=\"../media/{p}.jpg\""))
                .unwrap_or_default();
            body.push_str(&format!(
                "<video controls preload=\"metadata\"{poster}><source src=\"../media/{}.mp4\" type=\"video/mp4\">",
                video.file
            ));
            for (track_lang, vtt) in &c.captions {
                body.push_str(&format!(
                    "<track kind=\"captions\" srclang=\"{track_lang}\" label=\"{track_lang}\" src=\"../media/{vtt}.vtt\"{}>",
                    if *track_lang == c.lang { " default" } else { "" }
                ));
                blob(vtt, "text/vtt", "vtt");
            }
            body.push_str("</video>");
            blob(&video.file, "video/mp4", "mp4");
        }
        if let Some(p) = &c.media.poster {
            blob(p, "image/jpeg", "jpg");
        }
        if let Some(t) = &c.transcript {
            body.push_str(&format!(
                "<details><summary>{}</summary><p>{}</p></details>",
                w.transcript,
                escape(t)
            ));
        }
        if !c.attachments.is_empty() {
            body.push_str(&format!("<h2>{}</h2><ul>", w.worksheets));
            for a in &c.attachments {
                let ext = a.name.rsplit_once('.').map_or("bin", |(_, e)| e);
                body.push_str(&format!(
                    "<li><a href=\"../media/{}.{ext}\" download=\"{}\">{}</a></li>",
                    a.blob,
                    escape(&a.name),
                    escape(&a.name)
                ));
                blob(&a.blob, &a.mime, ext);
            }
            body.push_str("</ul>");
        }
        add(Entry {
            path: format!("capsules/{}.html", c.id),
            title: title.clone(),
            mime: "text/html".into(),
            content: Content::Bytes(page(lang, &title, 1, &body)),
            front_article: true,
        });
    }
    let mut programme_links = Vec::new();
    for p in &catalog.programmes {
        let title = pick(&p.titles, ui).unwrap_or(p.id.as_str()).to_owned();
        let lang = p
            .titles
            .keys()
            .find(|l| l.as_str() == ui)
            .map_or_else(
                || p.titles.keys().next().map_or(ui, |l| l.as_str()),
                |l| l.as_str(),
            )
            .to_owned();
        add(Entry {
            path: format!("programmes/{}.html", p.id),
            title: title.clone(),
            mime: "text/html".into(),
            content: Content::Bytes(programme_page(p, &title, &lang, catalog, &w)),
            front_article: true,
        });
        programme_links.push((format!("programmes/{}.html", p.id), title, lang));
    }
    let capsule_links: Vec<(String, String, String)> = catalog
        .capsules
        .iter()
        .map(|c| {
            let (title, lang) = title_of(c);
            (format!("capsules/{}.html", c.id), title, lang.to_owned())
        })
        .collect();
    let mut home = String::from("<h1>cartable</h1>");
    if !programme_links.is_empty() {
        home.push_str(&format!(
            "<h2>{}</h2>{}",
            w.programmes,
            link_list(&programme_links)
        ));
    }
    home.push_str(&format!(
        "<h2>{}</h2>{}",
        w.capsules,
        link_list(&capsule_links)
    ));
    add(Entry {
        path: "index.html".into(),
        title: "cartable".into(),
        mime: "text/html".into(),
        content: Content::Bytes(page(ui, "cartable", 0, &home)),
        front_article: false,
    });
    for (path, (hash, mime)) in media {
        let content = content_of(app, &hash).await?;
        add(Entry {
            path,
            title: String::new(),
            mime,
            content,
            front_article: false,
        });
    }
    let langs: BTreeSet<&str> = catalog
        .capsules
        .iter()
        .map(|c| iso639_3(c.lang.as_str()))
        .collect();
    let newest = catalog
        .capsules
        .iter()
        .map(|c| c.updated_at)
        .max()
        .unwrap_or(0);
    let date = chrono::DateTime::from_timestamp(newest, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .context("a capsule's date is out of range")?;
    let host = app
        .config
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or(&app.config.public_url)
        .trim_end_matches('/')
        .to_owned();
    let meta = Metadata {
        name: format!(
            "cartable_{}",
            langs.iter().copied().collect::<Vec<_>>().join("-")
        ),
        title: "cartable".into(),
        description: format!("{} capsules from {host}", catalog.capsules.len()),
        language: langs.into_iter().collect::<Vec<_>>().join(","),
        creator: "cartable".into(),
        publisher: host,
        date,
        tags: "_category:education;_videos:yes".into(),
        illustration_48x48_png: ICON.to_vec(),
    };
    let redirects: Vec<Redirect> = Vec::new();
    let stats = cartable_zim::write(
        out,
        &meta,
        "index.html",
        entries.into_values().collect(),
        redirects,
    )?;
    Ok(stats.file_size)
}

fn programme_page(
    p: &Programme,
    title: &str,
    lang: &str,
    catalog: &CatalogSection,
    w: &Words,
) -> Vec<u8> {
    let mut ordered: Vec<(&Capsule, u32)> = catalog
        .capsules
        .iter()
        .filter_map(|c| {
            c.programmes
                .iter()
                .find(|(q, _)| *q == p.id)
                .map(|(_, n)| (c, *n))
        })
        .collect();
    ordered.sort_by_key(|(c, n)| (*n, c.id.clone()));
    let links: Vec<(String, String, String)> = ordered
        .iter()
        .map(|(c, _)| {
            let (t, l) = title_of(c);
            (format!("../capsules/{}.html", c.id), t, l.to_owned())
        })
        .collect();
    let mut body = format!(
        "<p><a href=\"../index.html\">{}</a></p><h1>{}</h1>",
        w.home,
        escape(title)
    );
    if let Some(s) = pick(&p.summaries, lang) {
        body.push_str(&format!("<p class=\"summary\">{}</p>", escape(s)));
    }
    body.push_str(
        &link_list(&links)
            .replace("<ul>", "<ol>")
            .replace("</ul>", "</ol>"),
    );
    page(lang, title, 1, &body)
}
