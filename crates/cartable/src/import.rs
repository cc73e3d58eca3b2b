//! `cartable import capsules`: a manifest in, capsules out.
//!
//! The whole manifest is validated first (rows, files, and every source
//! ffprobe must read) and nothing is written if anything is wrong, unless
//! `--skip-bad`. Then each capsule is transcoded (or its cached transcode
//! reused), its files stored as blobs, and its row written in one
//! transaction: a capsule is either wholly there or not at all, so an import
//! killed half-way resumes by skipping what is done (same fingerprint).

use crate::App;
use anyhow::Context;
use cartable_core::catalog::{Attachment, Capsule, Programme, StoredMedia, StoredRendition};
use cartable_core::manifest::{CapsuleEntry, Manifest, MediaSource, Problem, ProgrammeEntry};
use cartable_core::renditions::RenditionSet;
use cartable_media::playlist::{self, Variant};
use cartable_media::{LADDER_VERSION, TranscodeOptions, tool};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The manifest: a .json file, or a CSV file with one capsule per row.
    manifest: PathBuf,
    /// How many capsules to transcode at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Import the good rows and list the bad ones, instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Print one JSON report on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct TranscodeArgs {
    /// The source video or audio file.
    source: PathBuf,
    /// The directory to write the rendition set into (created).
    out: PathBuf,
    /// Print the rendition set (renditions.json) on stdout.
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
    line: usize,
    error: String,
}

#[derive(Serialize)]
pub struct Rejected {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl From<&Problem> for Rejected {
    fn from(p: &Problem) -> Self {
        Rejected {
            file: p.file.clone(),
            line: p.line,
            field: p.field.clone(),
            message: p.message.clone(),
        }
    }
}

/// Everything the fingerprint covers: an import of the same row with the
/// same files under the same ladder has nothing to do.
fn fingerprint(entry: &CapsuleEntry, file_hashes: &[String]) -> String {
    let mut h = blake3::Hasher::new();
    let row = serde_json::json!({
        "ladder": LADDER_VERSION,
        "lang": entry.lang, "titles": entry.titles, "summaries": entry.summaries,
        "level": entry.level, "subject": entry.subject, "programme": entry.programme,
        "transcript": entry.transcript, "tags": entry.tags,
        "attachments": entry.attachments.iter().map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect::<Vec<_>>(),
        "captions": entry.captions.keys().collect::<Vec<_>>(),
        "files": file_hashes,
    });
    h.update(row.to_string().as_bytes());
    h.finalize().to_hex().to_string()
}

/// The BLAKE3 of a file, as hex: what fingerprints and transcode caches
/// key on.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// The files a capsule's import reads, in a stable order.
fn files_of(entry: &CapsuleEntry) -> Vec<PathBuf> {
    let mut files = match &entry.media {
        MediaSource::File(path) => vec![path.clone()],
        MediaSource::Transcoded { dir, set } => set
            .renditions
            .iter()
            .flat_map(|r| [&r.file, &r.playlist])
            .chain(set.poster.iter())
            .chain(set.thumbnail.iter())
            .map(|f| dir.join(f))
            .collect(),
    };
    files.extend(entry.captions.values().cloned());
    files.extend(entry.attachments.iter().cloned());
    files
}

/// A capsule still to import, with what was learnt while validating it.
struct Pending {
    entry: CapsuleEntry,
    fingerprint: String,
    source_hash: Option<String>,
}

pub async fn run(app: App, args: Args) -> anyhow::Result<ExitCode> {
    let known: std::collections::HashSet<String> = app
        .db
        .programmes()
        .await?
        .into_iter()
        .map(|p| p.id.to_string())
        .collect();
    let manifest = {
        let (path, taxonomy) = (args.manifest.clone(), app.taxonomy.clone());
        tokio::task::spawn_blocking(move || {
            Manifest::read(&path, &taxonomy, &|p| known.contains(p))
        })
        .await?
    };
    let mut report = Report::default();
    let mut problems = manifest.problems.clone();
    let (pending, mut more_problems) = plan(&app, manifest.capsules, &mut report).await?;
    problems.append(&mut more_problems);
    problems.sort_by_key(|p| p.line);
    report.rejected = problems.iter().map(Rejected::from).collect();
    if !report_problems(&problems, &args.manifest, args.skip_bad, args.json, &report)? {
        return Ok(ExitCode::FAILURE);
    }
    store_programmes(&app, &manifest.programmes).await?;
    let scratch = app.config.scratch_dir();
    clear_scratch(&scratch).await;
    let progress = progress_bar(pending.len() as u64, "capsules, ETA {eta} — {msg}");
    let total = pending.len();
    let mut done = 0;
    let mut results = futures_util::stream::iter(pending)
        .map(|p| {
            let (app, scratch, progress) = (&app, &scratch, &progress);
            async move {
                progress.set_message(p.entry.id.to_string());
                let result = import_one(app, scratch, &p).await;
                (p, result)
            }
        })
        .buffer_unordered(usize::from(args.jobs));
    while let Some((p, result)) = results.next().await {
        done += 1;
        progress.inc(1);
        match result {
            Ok(()) => {
                if progress.is_hidden() && !args.json {
                    eprintln!("imported {} ({done}/{total})", p.entry.id);
                }
                report.imported.push(p.entry.id.to_string());
            }
            Err(e) => {
                let error = format!("{e:#}");
                progress.suspend(|| {
                    eprintln!("failed: line {}: {}: {error}", p.entry.line, p.entry.id)
                });
                report.failed.push(Failure {
                    id: p.entry.id.to_string(),
                    line: p.entry.line,
                    error,
                });
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

/// Ends an import: the report as JSON, or its counts (imported,
/// unchanged, failed, rejected) in a sentence; a failure when any failed.
pub fn finish(json: bool, report: &impl Serialize, counts: [usize; 4]) -> anyhow::Result<ExitCode> {
    let [imported, unchanged, failed, rejected] = counts;
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        eprintln!(
            "{imported} imported, {unchanged} unchanged, {failed} failed, {rejected} rejected"
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Hashes every file, drops the capsules whose fingerprint is unchanged,
/// and checks with ffprobe that every source to transcode is readable.
async fn plan(
    app: &App,
    capsules: Vec<CapsuleEntry>,
    report: &mut Report,
) -> anyhow::Result<(Vec<Pending>, Vec<Problem>)> {
    let mut pending = Vec::new();
    let mut problems = Vec::new();
    let mut ffmpeg_checked = false;
    for entry in capsules {
        let files = files_of(&entry);
        let hashes = tokio::task::spawn_blocking(move || {
            files
                .iter()
                .map(|f| hash_file(f))
                .collect::<std::io::Result<Vec<_>>>()
        })
        .await??;
        let fingerprint = fingerprint(&entry, &hashes);
        if app.db.capsule_fingerprint(&entry.id).await?.as_deref() == Some(fingerprint.as_str()) {
            report.unchanged.push(entry.id.to_string());
            continue;
        }
        let mut source_hash = None;
        if let MediaSource::File(path) = &entry.media {
            source_hash = hashes.first().cloned();
            let cached = app
                .db
                .cached_transcode(source_hash.as_deref().unwrap_or(""), LADDER_VERSION)
                .await?
                .is_some();
            if !cached {
                if !ffmpeg_checked {
                    tool::run("ffmpeg", ["-version"], path).await?;
                    ffmpeg_checked = true;
                }
                if let Err(e) = tool::probe(path).await {
                    let e = match e {
                        cartable_media::MediaError::ToolMissing(_) => return Err(e.into()),
                        other => other,
                    };
                    problems.push(Problem {
                        file: path.display().to_string(),
                        line: entry.line,
                        field: "media".into(),
                        message: e.to_string(),
                    });
                    continue;
                }
            }
        }
        pending.push(Pending {
            entry,
            fingerprint,
            source_hash,
        });
    }
    Ok((pending, problems))
}

/// A progress bar on a terminal (hidden otherwise): `{bar} {pos}/{len}`
/// then `tail`, an indicatif template.
pub fn progress_bar(len: u64, tail: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {tail}")) {
        bar.set_style(style);
    }
    bar
}

/// Says what is wrong with an import's rows. Without `skip_bad` and with
/// problems, it prints them (and the report with `json`) and returns
/// false: nothing is to be imported. Otherwise it lists the rows skipped.
pub fn report_problems(
    problems: &[Problem],
    file: &Path,
    skip_bad: bool,
    json: bool,
    report: &impl Serialize,
) -> anyhow::Result<bool> {
    if !problems.is_empty() && !skip_bad {
        if json {
            println!("{}", serde_json::to_string_pretty(report)?);
        }
        for p in problems {
            eprintln!("{p}");
        }
        eprintln!(
            "nothing was imported: {} problem(s) in {}; fix them, or pass --skip-bad to import the good rows",
            problems.len(),
            file.display()
        );
        return Ok(false);
    }
    for p in problems {
        eprintln!("skipped: {p}");
    }
    Ok(true)
}

/// Removes what killed imports left in the scratch directory.
async fn clear_scratch(scratch: &Path) {
    let _ = tokio::fs::remove_dir_all(scratch).await;
}

async fn import_one(app: &App, scratch: &Path, p: &Pending) -> anyhow::Result<()> {
    let entry = &p.entry;
    let media = match (&entry.media, &p.source_hash) {
        (MediaSource::Transcoded { dir, set }, _) => ingest(app, dir, set).await?,
        (MediaSource::File(source), Some(hash)) => {
            transcoded(app, scratch, source, hash, entry.id.as_str()).await?
        }
        (MediaSource::File(_), None) => anyhow::bail!("the source was not hashed"),
    };
    store_entry(app, entry, media, &p.fingerprint).await
}

/// The renditions of `source` (whose BLAKE3 is `hash`): from the transcode
/// cache, or transcoded into the scratch directory (`label` names its
/// folder there) and stored as blobs.
pub async fn transcoded(
    app: &App,
    scratch: &Path,
    source: &Path,
    hash: &str,
    label: &str,
) -> anyhow::Result<StoredMedia> {
    if let Some(media) = app.db.cached_transcode(hash, LADDER_VERSION).await? {
        return Ok(media);
    }
    let out = scratch.join(format!("{label}-{}", &hash[..16]));
    let set = cartable_media::transcode(source, &out, &TranscodeOptions::default()).await?;
    let media = ingest(app, &out, &set).await?;
    app.db.put_transcode(hash, LADDER_VERSION, &media).await?;
    let _ = tokio::fs::remove_dir_all(&out).await;
    Ok(media)
}

pub async fn store_programmes(app: &App, programmes: &[ProgrammeEntry]) -> anyhow::Result<()> {
    for p in programmes {
        let programme = Programme {
            id: p.id.clone(),
            titles: p.titles.clone(),
            summaries: p.summaries.clone(),
            level: p.level.clone(),
            subject: p.subject.clone(),
            capsule_count: 0,
        };
        app.db.put_programme(&programme).await?;
    }
    Ok(())
}

/// Stores a capsule's captions and attachments as blobs and writes its row.
pub async fn store_entry(
    app: &App,
    entry: &CapsuleEntry,
    media: StoredMedia,
    fingerprint: &str,
) -> anyhow::Result<()> {
    let mut captions = std::collections::BTreeMap::new();
    for (lang, path) in &entry.captions {
        captions.insert(lang.clone(), app.blobs.put_file(path).await?.0);
    }
    let mut attachments = Vec::new();
    for path in &entry.attachments {
        let (blob, size) = app.blobs.put_file(path).await?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        attachments.push(Attachment {
            mime: mime_of(&name).into(),
            name,
            size,
            blob,
        });
    }
    let capsule = Capsule {
        id: entry.id.clone(),
        lang: entry.lang.clone(),
        titles: entry.titles.clone(),
        summaries: entry.summaries.clone(),
        level: entry.level.clone(),
        subject: entry.subject.clone(),
        media,
        captions,
        transcript: entry.transcript.clone(),
        attachments,
        tags: entry.tags.clone(),
        programmes: entry.programme.iter().cloned().collect(),
        updated_at: 0,
    };
    app.db.put_capsule(&capsule, fingerprint).await?;
    Ok(())
}

/// The media type an attachment is served with, by its extension.
fn mime_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "mp3" => "audio/mpeg",
        "epub" => "application/epub+zip",
        "odt" => "application/vnd.oasis.opendocument.text",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// Stores a rendition set's files as blobs, rewrites its playlists to name
/// them, and writes the master playlist.
pub async fn ingest(app: &App, dir: &Path, set: &RenditionSet) -> anyhow::Result<StoredMedia> {
    let mut renditions = Vec::new();
    let mut variants = Vec::new();
    for r in &set.renditions {
        let (file, size) = app.blobs.put_file(&dir.join(&r.file)).await?;
        let text = tokio::fs::read_to_string(dir.join(&r.playlist))
            .await
            .with_context(|| format!("{}: cannot read", r.playlist))?;
        let rewritten = playlist::rewrite(&text, &format!("{file}.mp4"))
            .map_err(|e| anyhow::anyhow!("{}: {e}", r.playlist))?;
        let playlist = app.blobs.put_bytes(rewritten.into()).await?;
        variants.push(Variant {
            uri: format!("{playlist}.m3u8"),
            kind: r.kind,
            bandwidth: r.bandwidth,
            average_bandwidth: r.average_bandwidth,
            codecs: r.codecs.clone(),
            resolution: r.width.zip(r.height),
        });
        renditions.push(StoredRendition {
            name: r.name.clone(),
            kind: r.kind,
            width: r.width,
            height: r.height,
            bandwidth: r.bandwidth,
            average_bandwidth: r.average_bandwidth,
            codecs: r.codecs.clone(),
            file,
            size,
            playlist,
        });
    }
    let master = app
        .blobs
        .put_bytes(playlist::master(&variants).into())
        .await?;
    let still = |name: &Option<String>| name.as_ref().map(|n| dir.join(n));
    let poster = match still(&set.poster) {
        Some(path) => Some(app.blobs.put_file(&path).await?.0),
        None => None,
    };
    let thumbnail = match still(&set.thumbnail) {
        Some(path) => Some(app.blobs.put_file(&path).await?.0),
        None => None,
    };
    Ok(StoredMedia {
        duration_ms: set.duration_ms,
        master,
        renditions,
        poster,
        thumbnail,
        chapters: None,
    })
}

pub async fn transcode_command(args: TranscodeArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.source.is_file(),
        "{} is not a file",
        args.source.display()
    );
    let set =
        cartable_media::transcode(&args.source, &args.out, &TranscodeOptions::default()).await?;
    for r in &set.renditions {
        eprintln!("{}: {} bit/s peak, {}", r.name, r.bandwidth, r.codecs);
    }
    Ok(ExitCode::SUCCESS)
}
