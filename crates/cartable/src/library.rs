//! `cartable import library DIR`: a folder per book or series in, the
//! library out.
//!
//! A folder holds a `book.json` (an audiobook), a `series.json` (a series
//! of episodes) or an `ncc.html` (a DAISY 2.02 talking book); DIR may also
//! be one such folder itself. As with capsules, everything is checked first
//! (metadata, files, every audio file ffprobe must read) and nothing is
//! written when anything is wrong, unless `--skip-bad`; then each book or
//! series is encoded, its files stored as blobs and its row written at
//! once, so an import killed half-way resumes by skipping what is done
//! (same fingerprint).

use crate::App;
use crate::import::{Rejected, finish, hash_file, progress_bar, report_problems};
use anyhow::Context;
use cartable_core::BlobHash;
use cartable_core::library::{
    self, AudioFile, Audiobook, BOOK_FILE, BookFile, Episode, EpisodeMedia, Mark, NavKind,
    NavPoint, SERIES_FILE, Series, SeriesFile, Track, daisy,
};
use cartable_core::manifest::Problem;
use cartable_media::audio::{self, AUDIO_LADDER, AudioProbe};
use indicatif::ProgressBar;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A folder of book and series folders, or one such folder.
    dir: PathBuf,
    /// Import the good folders and list the bad ones, instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Print one JSON report on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize, Default)]
struct Report {
    imported: Vec<String>,
    unchanged: Vec<String>,
    failed: Vec<Failure>,
    rejected: Vec<Rejected>,
}

#[derive(Serialize)]
struct Failure {
    id: String,
    error: String,
}

/// One audio file to encode: the whole file, or a part of it (a chapter
/// marked inside an M4B), with its title.
#[derive(Debug, Clone)]
struct Source {
    file: PathBuf,
    part: Option<(u64, u64)>,
    title: String,
    channels: u32,
}

/// What a folder is, once read and checked.
enum Planned {
    Book {
        book: Box<Audiobook>,
        sources: Vec<Source>,
        cover: Option<PathBuf>,
    },
    Series {
        series: Series,
        /// Episodes, with the source of those with their own audio.
        episodes: Vec<(Episode, Option<Source>)>,
        cover: Option<PathBuf>,
    },
}

struct Pending {
    id: String,
    folder: PathBuf,
    fingerprint: String,
    planned: Planned,
}

impl Pending {
    fn tracks(&self) -> u64 {
        match &self.planned {
            Planned::Book { sources, .. } => sources.len() as u64,
            Planned::Series { episodes, .. } => {
                episodes.iter().filter(|(_, s)| s.is_some()).count() as u64
            }
        }
    }
}

fn problem(folder: &Path, file: &str, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        file: if file.is_empty() {
            folder.display().to_string()
        } else {
            folder.join(file).display().to_string()
        },
        line: 0,
        field: field.into(),
        message: message.into(),
    }
}

/// The folders to import: DIR itself when it is one, else its
/// sub-folders in name order.
fn folders(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let is_one = |d: &Path| {
        [BOOK_FILE, SERIES_FILE, "ncc.html"]
            .iter()
            .any(|f| d.join(f).is_file())
    };
    anyhow::ensure!(dir.is_dir(), "{} is not a folder", dir.display());
    if is_one(dir) {
        return Ok(vec![dir.to_owned()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

/// Every file of the folder (name and BLAKE3), the metadata and the
/// encoding settings: the same again means nothing to do.
fn fingerprint(folder: &Path) -> std::io::Result<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    let mut h = blake3::Hasher::new();
    h.update(AUDIO_LADDER.as_bytes());
    for p in names {
        h.update(p.file_name().unwrap_or_default().as_encoded_bytes());
        h.update(hash_file(&p)?.as_bytes());
    }
    Ok(h.finalize().to_hex().to_string())
}

fn folder_id(folder: &Path, given: Option<&String>) -> Result<String, String> {
    if let Some(id) = given {
        return Ok(id.clone());
    }
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if cartable_core::ids::is_slug(&name) {
        Ok(name)
    } else {
        Err(format!(
            "the folder's name {name:?} is not an id (lower-case letters, digits, dashes): give \"id\" in the metadata file"
        ))
    }
}

/// Reads a JSON metadata file, naming the line and column of a mistake.
fn read_json<T: serde::de::DeserializeOwned>(folder: &Path, name: &str) -> Result<T, Problem> {
    let text = std::fs::read_to_string(folder.join(name))
        .map_err(|e| problem(folder, name, "", format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        problem(
            folder,
            name,
            "",
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })
}

async fn probe(folder: &Path, name: &str) -> Result<AudioProbe, Problem> {
    let path = folder.join(name);
    if !path.is_file() {
        return Err(problem(folder, name, "file", "no such file in the folder"));
    }
    audio::probe(&path).await.map_err(|e| match e {
        cartable_media::MediaError::ToolMissing(_) => problem(folder, "", "", e.to_string()),
        other => problem(folder, name, "file", other.to_string()),
    })
}

fn audio_names(folder: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| library::is_audio_name(n))
        .collect();
    names.sort();
    Ok(names)
}

/// The title a file gives a chapter with no title: its tag, else its name.
fn title_of(name: &str, probe: &AudioProbe) -> String {
    probe
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            name.rsplit_once('.')
                .map_or(name, |(stem, _)| stem)
                .replace(['_', '-'], " ")
        })
}

fn placeholder(id: &str) -> Audiobook {
    Audiobook {
        id: id.to_owned(),
        title: String::new(),
        author: String::new(),
        narrator: String::new(),
        lang: String::new(),
        description: String::new(),
        cover: None,
        synthetic: false,
        daisy: false,
        tracks: Vec::new(),
        nav: Vec::new(),
        download: None,
    }
}

async fn plan_book(folder: &Path) -> Result<(String, Planned), Problem> {
    let file: BookFile = read_json(folder, BOOK_FILE)?;
    file.check()
        .map_err(|m| problem(folder, BOOK_FILE, "", m))?;
    let id =
        folder_id(folder, file.id.as_ref()).map_err(|m| problem(folder, BOOK_FILE, "id", m))?;
    let mut sources = Vec::new();
    if file.chapters.is_empty() {
        let names = audio_names(folder)
            .map_err(|e| problem(folder, "", "", format!("cannot read the folder: {e}")))?;
        if names.is_empty() {
            return Err(problem(
                folder,
                "",
                "chapters",
                "the folder holds no audio file",
            ));
        }
        let mut probes = Vec::new();
        for name in &names {
            probes.push(probe(folder, name).await?);
        }
        if let ([name], [p]) = (names.as_slice(), probes.as_slice())
            && p.chapters.len() > 1
        {
            for c in &p.chapters {
                sources.push(Source {
                    file: folder.join(name),
                    part: Some((c.start_ms, c.end_ms)),
                    title: c.title.clone(),
                    channels: p.channels,
                });
            }
        } else {
            for (name, p) in names.iter().zip(&probes) {
                sources.push(Source {
                    file: folder.join(name),
                    part: None,
                    title: title_of(name, p),
                    channels: p.channels,
                });
            }
        }
    } else {
        for c in &file.chapters {
            let p = probe(folder, &c.file).await?;
            sources.push(Source {
                file: folder.join(&c.file),
                part: None,
                title: c.title.trim().to_owned(),
                channels: p.channels,
            });
        }
    }
    let cover = cover_of(folder, file.cover.as_deref())?;
    let mut book = placeholder(&id);
    book.title = file.title.trim().to_owned();
    book.author = file.author.trim().to_owned();
    book.narrator = file.narrator.trim().to_owned();
    book.lang = file.lang;
    book.description = file.description.trim().to_owned();
    book.synthetic = file.synthetic;
    Ok((
        id,
        Planned::Book {
            book: Box::new(book),
            sources,
            cover,
        },
    ))
}

fn cover_of(folder: &Path, name: Option<&str>) -> Result<Option<PathBuf>, Problem> {
    let Some(name) = name else {
        return Ok(None);
    };
    let path = folder.join(name);
    if !path.is_file() {
        return Err(problem(folder, name, "cover", "no such file in the folder"));
    }
    Ok(Some(path))
}

async fn plan_daisy(folder: &Path) -> Result<(String, Planned), Problem> {
    let read = |name: &str| -> Result<String, String> {
        std::fs::read(folder.join(name))
            .map(|b| daisy::decode(&b))
            .map_err(|e| format!("{name}: cannot read: {e}"))
    };
    let ncc = read("ncc.html")
        .and_then(|t| daisy::read_ncc(&t))
        .map_err(|m| problem(folder, "ncc.html", "", m))?;
    let layout = daisy::layout(&ncc, &mut |smil| {
        if smil.contains(['/', '\\']) {
            return Err(format!(
                "ncc.html links to {smil}, outside the book's folder"
            ));
        }
        read(smil).and_then(|t| daisy::read_smil(smil, &t))
    })
    .map_err(|m| problem(folder, "ncc.html", "", m))?;
    let id = folder_id(folder, None).map_err(|m| problem(folder, "", "id", m))?;
    let lang: String = ncc
        .language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if cartable_core::Lang::try_from(lang.as_str()).is_err() {
        return Err(problem(
            folder,
            "ncc.html",
            "dc:language",
            format!("{:?} is not a language code", ncc.language),
        ));
    }
    let mut sources = Vec::new();
    for (i, name) in layout.audio_files.iter().enumerate() {
        if name.contains(['/', '\\']) {
            return Err(problem(folder, name, "file", "outside the book's folder"));
        }
        let p = probe(folder, name).await?;
        let title = layout
            .nav
            .iter()
            .find(|n| n.track == i && matches!(n.kind, NavKind::Heading(_)))
            .map_or_else(|| format!("{}", i + 1), |n| n.label.clone());
        sources.push(Source {
            file: folder.join(name),
            part: None,
            title,
            channels: p.channels,
        });
    }
    let mut book = placeholder(&id);
    book.title = ncc.title;
    book.author = ncc.creator;
    book.narrator = ncc.narrator;
    book.lang = lang;
    book.daisy = true;
    book.nav = layout.nav;
    Ok((
        id,
        Planned::Book {
            book: Box::new(book),
            sources,
            cover: None,
        },
    ))
}

async fn plan_series(app: &App, folder: &Path) -> Result<(String, Planned), Problem> {
    let file: SeriesFile = read_json(folder, SERIES_FILE)?;
    file.check()
        .map_err(|m| problem(folder, SERIES_FILE, "", m))?;
    let id =
        folder_id(folder, file.id.as_ref()).map_err(|m| problem(folder, SERIES_FILE, "id", m))?;
    let mut episodes = Vec::new();
    for (i, e) in file.episodes.iter().enumerate() {
        let published_at = library::parse_date(&e.published).unwrap_or_default();
        let (media, source, marks) = match (&e.file, &e.capsule) {
            (Some(name), _) => {
                let p = probe(folder, name).await?;
                let marks = p
                    .chapters
                    .iter()
                    .map(|c| Mark {
                        at_ms: c.start_ms,
                        title: c.title.clone(),
                    })
                    .collect();
                let source = Source {
                    file: folder.join(name),
                    part: None,
                    title: e.title.trim().to_owned(),
                    channels: p.channels,
                };
                (None, Some(source), marks)
            }
            (None, Some(capsule)) => {
                let found = app.db.capsule(capsule).await.map_err(|err| {
                    problem(
                        folder,
                        SERIES_FILE,
                        "",
                        format!("cannot read the catalog: {err}"),
                    )
                })?;
                if found.is_none() {
                    return Err(problem(
                        folder,
                        SERIES_FILE,
                        &format!("episodes[{i}].capsule"),
                        format!("no capsule {capsule:?} in the catalog"),
                    ));
                }
                let media = EpisodeMedia::Capsule {
                    capsule: capsule.clone(),
                };
                (Some(media), None, Vec::new())
            }
            (None, None) => {
                return Err(problem(
                    folder,
                    SERIES_FILE,
                    &format!("episodes[{i}]"),
                    "give either file or capsule",
                ));
            }
        };
        let episode = Episode {
            id: e.id.clone(),
            title: e.title.trim().to_owned(),
            description: e.description.trim().to_owned(),
            published_at,
            // Audio episodes get their track once encoded.
            media: media.unwrap_or(EpisodeMedia::Capsule {
                capsule: String::new(),
            }),
            marks,
        };
        episodes.push((episode, source));
    }
    let cover = cover_of(folder, file.cover.as_deref())?;
    let series = Series {
        id: id.clone(),
        title: file.title.trim().to_owned(),
        author: file.author.trim().to_owned(),
        lang: file.lang,
        description: file.description.trim().to_owned(),
        cover: None,
    };
    Ok((
        id,
        Planned::Series {
            series,
            episodes,
            cover,
        },
    ))
}

pub async fn import(app: App, args: Args) -> anyhow::Result<ExitCode> {
    let folders = folders(&args.dir)?;
    let mut report = Report::default();
    let mut problems = Vec::new();
    let mut pending = Vec::new();
    let mut ids = std::collections::HashMap::new();
    // Without ffmpeg nothing can be read: say so once, first.
    cartable_media::tool::run("ffmpeg", ["-version"], &args.dir).await?;
    for folder in folders {
        let planned = if folder.join("ncc.html").is_file() {
            plan_daisy(&folder).await
        } else if folder.join(BOOK_FILE).is_file() {
            plan_book(&folder).await
        } else if folder.join(SERIES_FILE).is_file() {
            plan_series(&app, &folder).await
        } else {
            Err(problem(
                &folder,
                "",
                "",
                format!("no {BOOK_FILE}, {SERIES_FILE} or ncc.html: not a book nor a series"),
            ))
        };
        let (id, planned) = match planned {
            Ok(p) => p,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        if let Some(other) = ids.insert(id.clone(), folder.clone()) {
            problems.push(problem(
                &folder,
                "",
                "id",
                format!("{id:?} is also the id of {}", other.display()),
            ));
            continue;
        }
        let fingerprint = {
            let folder = folder.clone();
            tokio::task::spawn_blocking(move || fingerprint(&folder)).await??
        };
        let stored = match &planned {
            Planned::Book { .. } => app.db.audiobook_fingerprint(&id).await?,
            Planned::Series { .. } => app.db.series_fingerprint(&id).await?,
        };
        if stored.as_deref() == Some(fingerprint.as_str()) {
            report.unchanged.push(id);
            continue;
        }
        pending.push(Pending {
            id,
            folder,
            fingerprint,
            planned,
        });
    }
    report.rejected = problems.iter().map(Rejected::from).collect();
    if !report_problems(&problems, &args.dir, args.skip_bad, args.json, &report)? {
        return Ok(ExitCode::FAILURE);
    }
    let scratch = app.config.scratch_dir().join("library");
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    let progress = progress_bar(
        pending.iter().map(Pending::tracks).sum(),
        "audio files, ETA {eta} — {msg}",
    );
    let total = pending.len();
    for (n, p) in pending.into_iter().enumerate() {
        progress.set_message(p.id.clone());
        let out = scratch.join(&p.id);
        let result = import_one(&app, &out, p.planned, &p.fingerprint, &progress).await;
        let _ = tokio::fs::remove_dir_all(&out).await;
        match result {
            Ok(()) => {
                if progress.is_hidden() && !args.json {
                    eprintln!("imported {} ({}/{total})", p.id, n + 1);
                }
                report.imported.push(p.id);
            }
            Err(e) => {
                let error = format!("{e:#}");
                progress.suspend(|| eprintln!("failed: {}: {error}", p.folder.display()));
                report.failed.push(Failure { id: p.id, error });
            }
        }
    }
    progress.finish_and_clear();
    finish(
        args.json,
        &report,
        [
            report.imported.len(),
            report.unchanged.len(),
            report.failed.len(),
            report.rejected.len(),
        ],
    )
}

async fn stored(app: &App, path: &Path, mime: &str, duration_ms: u64) -> anyhow::Result<AudioFile> {
    let (blob, size) = app.blobs.put_file(path).await?;
    Ok(AudioFile {
        blob,
        size,
        mime: mime.to_owned(),
        bitrate: (size * 8 * 1000 / duration_ms.max(1)) as u32,
    })
}

/// Encodes one source into both renditions and stores them.
async fn track(
    app: &App,
    out: &Path,
    n: usize,
    source: &Source,
) -> anyhow::Result<(Track, PathBuf)> {
    let encoded = audio::encode(
        &source.file,
        source.part,
        source.channels,
        out,
        &format!("{n:04}"),
    )
    .await?;
    let d = encoded.duration_ms;
    let track = Track {
        title: source.title.clone(),
        duration_ms: d,
        listen: stored(app, &encoded.listen, audio::LISTEN_MIME, d).await?,
        low: stored(app, &encoded.low, audio::LOW_MIME, d).await?,
    };
    Ok((track, encoded.listen))
}

async fn cover(app: &App, path: &Path) -> anyhow::Result<BlobHash> {
    let bytes = tokio::fs::read(path).await?;
    let jpeg = tokio::task::spawn_blocking(move || cartable_media::image::derivatives(&bytes))
        .await?
        .with_context(|| format!("{}", path.display()))?;
    // The medium size (or the original's, when smaller) is enough for a
    // cover on a phone and in a reader app.
    let mut sizes = jpeg.into_iter().take(2);
    let smallest = sizes.next().context("the cover gave no image")?;
    let chosen = sizes.next().unwrap_or(smallest);
    Ok(app.blobs.put_bytes(chosen.jpeg.into()).await?)
}

async fn import_one(
    app: &App,
    out: &Path,
    planned: Planned,
    fingerprint: &str,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    match planned {
        Planned::Book {
            mut book,
            sources,
            cover: cover_file,
        } => {
            let mut listen_files = Vec::new();
            for (n, source) in sources.iter().enumerate() {
                let (t, listen) = track(app, out, n, source)
                    .await
                    .with_context(|| format!("{}", source.file.display()))?;
                listen_files.push((listen, t.title.clone(), t.duration_ms));
                book.tracks.push(t);
                progress.inc(1);
            }
            if book.nav.is_empty() {
                book.nav = book
                    .tracks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| NavPoint {
                        kind: NavKind::Heading(1),
                        label: t.title.clone(),
                        track: i,
                        offset_ms: 0,
                    })
                    .collect();
            }
            if let Some(path) = cover_file {
                book.cover = Some(cover(app, &path).await?);
            }
            let m4b = out.join("book.m4b");
            audio::join_book(&listen_files, &book.title, &book.author, &m4b).await?;
            book.download = Some(stored(app, &m4b, audio::BOOK_MIME, book.duration_ms()).await?);
            app.db.put_audiobook(&book, fingerprint).await?;
        }
        Planned::Series {
            mut series,
            episodes,
            cover: cover_file,
        } => {
            let mut done = Vec::new();
            for (n, (mut episode, source)) in episodes.into_iter().enumerate() {
                if let Some(source) = source {
                    let (t, _) = track(app, out, n, &source)
                        .await
                        .with_context(|| format!("{}", source.file.display()))?;
                    episode.media = EpisodeMedia::Audio { track: t };
                    progress.inc(1);
                }
                done.push(episode);
            }
            if let Some(path) = cover_file {
                series.cover = Some(cover(app, &path).await?);
            }
            app.db.put_series(&series, &done, fingerprint).await?;
        }
    }
    Ok(())
}

/// A library and literacy courses as one folder: `library.json` (the
/// stored books, series with their episodes, and courses) and every blob
/// they name under `blobs/`, by hash. `cartable library export` writes it;
/// the demo is one, installed without ffmpeg.
#[derive(Serialize, serde::Deserialize, Default)]
pub struct Export {
    pub books: Vec<Audiobook>,
    pub series: Vec<ExportedSeries>,
    pub literacy: Vec<cartable_core::literacy::Course>,
}

#[derive(Serialize, serde::Deserialize)]
pub struct ExportedSeries {
    pub series: Series,
    pub episodes: Vec<Episode>,
}

/// The file in an export's folder.
pub const EXPORT_FILE: &str = "library.json";

fn track_blobs(t: &Track, out: &mut Vec<BlobHash>) {
    out.push(t.listen.blob.clone());
    out.push(t.low.blob.clone());
}

impl Export {
    /// The whole library and every literacy course.
    pub async fn gather(db: &cartable_store::Db) -> anyhow::Result<Export> {
        let mut export = Export {
            books: db.audiobooks().await?,
            literacy: db.literacy_courses().await?,
            ..Export::default()
        };
        for series in db.all_series().await? {
            let episodes = db.episodes(&series.id).await?;
            export.series.push(ExportedSeries { series, episodes });
        }
        Ok(export)
    }

    pub fn is_empty(&self) -> bool {
        self.books.is_empty() && self.series.is_empty() && self.literacy.is_empty()
    }

    /// Writes its rows (its blobs must be there already).
    pub async fn put_rows(&self, db: &cartable_store::Db, fingerprint: &str) -> anyhow::Result<()> {
        for b in &self.books {
            db.put_audiobook(b, fingerprint).await?;
        }
        for s in &self.series {
            db.put_series(&s.series, &s.episodes, fingerprint).await?;
        }
        for c in &self.literacy {
            db.put_literacy(c, fingerprint).await?;
        }
        Ok(())
    }

    /// Every blob the export names.
    pub fn blobs(&self) -> Vec<BlobHash> {
        let mut out = Vec::new();
        for b in &self.books {
            b.tracks.iter().for_each(|t| track_blobs(t, &mut out));
            out.extend(b.cover.clone());
            out.extend(b.download.as_ref().map(|d| d.blob.clone()));
        }
        for s in &self.series {
            out.extend(s.series.cover.clone());
            for e in &s.episodes {
                if let EpisodeMedia::Audio { track } = &e.media {
                    track_blobs(track, &mut out);
                }
            }
        }
        for c in &self.literacy {
            for prompts in c.prompts.values() {
                out.extend(prompts.values().map(|s| s.blob.clone()));
            }
            for l in &c.lessons {
                out.push(l.picture.blob.clone());
                out.push(l.sound.blob.clone());
                for i in &l.items {
                    out.push(i.picture.blob.clone());
                    out.push(i.sound.blob.clone());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[derive(clap::Subcommand)]
pub enum LibraryCommand {
    /// Write the library and the literacy courses to a folder (library.json
    /// and the blobs they name), to install elsewhere or keep.
    Export { dir: PathBuf },
    /// Install a folder written by `library export`.
    Install { dir: PathBuf },
}

pub async fn run(app: App, command: LibraryCommand) -> anyhow::Result<ExitCode> {
    match command {
        LibraryCommand::Export { dir } => {
            let export = Export::gather(&app.db).await?;
            let blobs = dir.join("blobs");
            tokio::fs::create_dir_all(&blobs).await?;
            for hash in export.blobs() {
                let bytes = app.blobs.get(&hash).await?;
                tokio::fs::write(blobs.join(hash.as_str()), bytes).await?;
            }
            tokio::fs::write(dir.join(EXPORT_FILE), serde_json::to_vec_pretty(&export)?).await?;
            eprintln!(
                "{}: {} book(s), {} series, {} literacy course(s)",
                dir.display(),
                export.books.len(),
                export.series.len(),
                export.literacy.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        LibraryCommand::Install { dir } => {
            install(&app, &dir, "install").await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Installs an export: every blob checked against its name, then the
/// rows, with `fingerprint` (a later import of the same folder replaces
/// them).
pub async fn install(app: &App, dir: &Path, fingerprint: &str) -> anyhow::Result<()> {
    let path = dir.join(EXPORT_FILE);
    let text = tokio::fs::read(&path)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    let export: Export =
        serde_json::from_slice(&text).with_context(|| format!("{} is damaged", path.display()))?;
    for hash in export.blobs() {
        let file = dir.join("blobs").join(hash.as_str());
        let (stored, _) = app
            .blobs
            .put_file(&file)
            .await
            .with_context(|| format!("{}", file.display()))?;
        anyhow::ensure!(
            stored == hash,
            "{}: its content does not match its name",
            file.display()
        );
    }
    for b in &export.books {
        app.db.put_audiobook(b, fingerprint).await?;
    }
    for s in &export.series {
        app.db
            .put_series(&s.series, &s.episodes, fingerprint)
            .await?;
    }
    for c in &export.literacy {
        app.db.put_literacy(c, fingerprint).await?;
    }
    Ok(())
}

/// The demo's library (`demo/library`, made by `demo/make-library.sh`),
/// unless the library already holds books.
pub async fn install_demo(app: &App) -> anyhow::Result<()> {
    if !app.db.audiobooks().await?.is_empty() {
        return Ok(());
    }
    install(app, &app.config.demo_dir().join("library"), "demo").await
}
