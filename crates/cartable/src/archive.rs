//! `cartable import archive CSV --mapping FILE`: a spreadsheet export in,
//! archive items out.
//!
//! The CSV is read twice, streaming: the first pass checks the mapping
//! against the header and every row against the mapping (and finds
//! identifiers given twice), keeping nothing but the identifiers; nothing
//! is written if anything is wrong, unless `--skip-bad`. The second pass
//! writes the good rows in batches of [`BATCH`], each batch one
//! transaction: an import killed half-way leaves whole items only, and
//! running it again finishes the job (unchanged items are not rewritten).

use crate::App;
use crate::import::{Rejected, progress_bar, report_problems};
use anyhow::Context;
use cartable_core::archive::{
    Collection, Item, Mapping, Media, MediaKind, MediaRef, Row, collection_id,
};
use cartable_core::manifest::Problem;
use cartable_store::archive::Written;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Rows per transaction.
const BATCH: usize = 1000;

#[derive(clap::Args)]
pub struct Args {
    /// The CSV export: a header row, then one item per row.
    csv: PathBuf,
    /// The column mapping (TOML); see examples/archive/tate.toml.
    #[arg(long)]
    mapping: PathBuf,
    /// Import the good rows and list the bad ones, instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Print one JSON report on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize, Default)]
struct Report {
    rows: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: Vec<Rejected>,
    /// Media files a row names that are not there.
    missing_media: Vec<Rejected>,
}

fn reader(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(csv::ReaderBuilder::new().flexible(false).from_reader(file))
}

/// A CSV row through the mapping: its line, and the item or its problems.
type RowResult = (usize, Result<Row, Vec<Problem>>);
/// What is wrong with a CSV's header for a mapping, one message each.
type HeaderProblems = Vec<String>;

/// The rows of a CSV through a mapping.
fn rows(
    path: &Path,
    name: &str,
    mapping: &Mapping,
) -> anyhow::Result<Result<impl Iterator<Item = RowResult> + use<>, HeaderProblems>> {
    let mut reader = reader(path)?;
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect::<Vec<_>>(),
        Err(e) => {
            return Ok(Err(vec![format!(
                "{name}:1: cannot read the header row: {e}"
            )]));
        }
    };
    let bound = match mapping.clone().bind(name, &headers) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e.0)),
    };
    let name = name.to_owned();
    Ok(Ok(reader.into_records().map(move |record| match record {
        Ok(r) => {
            let line = r.position().map_or(0, |p| p.line() as usize);
            (line, bound.row(&name, line, &r))
        }
        Err(e) => {
            let line = e.position().map_or(0, |p| p.line() as usize);
            (
                line,
                Err(vec![Problem {
                    file: name.clone(),
                    line,
                    field: String::new(),
                    message: format!("not a valid CSV row: {e}"),
                }]),
            )
        }
    })))
}

pub async fn import(app: App, args: Args) -> anyhow::Result<ExitCode> {
    let mapping_name = args.mapping.display().to_string();
    let text = std::fs::read_to_string(&args.mapping)
        .with_context(|| format!("cannot read the mapping {mapping_name}"))?;
    let mapping = match Mapping::parse(&mapping_name, &text) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("nothing was imported: the mapping is not right");
            return Ok(ExitCode::FAILURE);
        }
    };
    let name = args.csv.display().to_string();
    let (path, m) = (args.csv.clone(), mapping.clone());
    let checked = tokio::task::spawn_blocking(move || check(&path, &name, &m)).await??;
    let (good, problems) = match checked {
        Ok(c) => c,
        Err(header) => {
            for p in &header {
                eprintln!("{p}");
            }
            eprintln!(
                "nothing was imported: the mapping does not fit {}",
                args.csv.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut report = Report {
        rows: good + problems.len(),
        rejected: problems.iter().map(Rejected::from).collect(),
        ..Report::default()
    };
    if !report_problems(&problems, &args.csv, args.skip_bad, args.json, &report)? {
        return Ok(ExitCode::FAILURE);
    }
    let bad_lines: HashSet<usize> = problems.iter().map(|p| p.line).collect();
    let written = write(&app, &args, &mapping, &bad_lines, good, &mut report).await?;
    report.created = written.created;
    report.updated = written.updated;
    report.unchanged = written.unchanged;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for m in &report.missing_media {
            eprintln!(
                "media not found: {}:{}: {}: {}",
                m.file, m.line, m.field, m.message
            );
        }
        eprintln!(
            "{} created, {} updated, {} unchanged, {} rejected, {} media file(s) not found",
            report.created,
            report.updated,
            report.unchanged,
            report.rejected.len(),
            report.missing_media.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The number of good rows and every problem of the others.
type Checked = (usize, Vec<Problem>);

/// The first pass: the number of good rows and every problem, or the
/// header's problems.
fn check(
    path: &Path,
    name: &str,
    mapping: &Mapping,
) -> anyhow::Result<Result<Checked, HeaderProblems>> {
    let rows = match rows(path, name, mapping)? {
        Ok(rows) => rows,
        Err(header) => return Ok(Err(header)),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut problems = vec![];
    let mut good = 0;
    for (line, row) in rows {
        match row {
            Ok(row) => match seen.get(&row.item.id) {
                Some(first) => problems.push(Problem {
                    file: name.into(),
                    line,
                    field: mapping.identifier.clone(),
                    message: format!(
                        "the identifier \"{}\" is already on line {first}",
                        row.item.id
                    ),
                }),
                None => {
                    seen.insert(row.item.id, line);
                    good += 1;
                }
            },
            Err(mut p) => problems.append(&mut p),
        }
    }
    problems.sort_by_key(|p| p.line);
    Ok(Ok((good, problems)))
}

/// The second pass: the good rows, media imported, written in batches.
async fn write(
    app: &App,
    args: &Args,
    mapping: &Mapping,
    bad_lines: &HashSet<usize>,
    good: usize,
    report: &mut Report,
) -> anyhow::Result<Written> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<(usize, Row)>>(2);
    let (path, name, m) = (
        args.csv.clone(),
        args.csv.display().to_string(),
        mapping.clone(),
    );
    let bad = bad_lines.clone();
    let reading = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let Ok(rows) = rows(&path, &name, &m)? else {
            anyhow::bail!("{name} changed while it was imported");
        };
        let mut batch = Vec::with_capacity(BATCH);
        for (line, row) in rows {
            let Ok(row) = row else { continue };
            if bad.contains(&line) {
                continue;
            }
            batch.push((line, row));
            if batch.len() == BATCH
                && tx
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .is_err()
            {
                return Ok(());
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(())
    });
    let progress = progress_bar(good as u64, "items, ETA {eta}");
    let actor = format!(
        "import {}",
        args.csv
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    );
    let base = args.csv.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut total = Written::default();
    let mut known_collections: HashSet<String> = HashSet::new();
    while let Some(batch) = rx.recv().await {
        let mut items: Vec<Item> = Vec::with_capacity(batch.len());
        let mut collections: Vec<Collection> = vec![];
        for (line, row) in batch {
            let mut item = row.item;
            for title in &row.collections {
                let id = collection_id(title);
                if known_collections.insert(id.clone()) {
                    collections.push(Collection {
                        id: id.clone(),
                        title: title.clone(),
                        description: String::new(),
                    });
                }
                item.collections.push(id);
            }
            for media in row.media {
                match import_media(app, &base, &media).await {
                    Ok(Some(m)) => item.media.push(m),
                    Ok(None) => report.missing_media.push(Rejected {
                        file: args.csv.display().to_string(),
                        line,
                        field: "media".into(),
                        message: match &media {
                            MediaRef::File(f) => format!("{f} is not there"),
                            MediaRef::Url(u) => u.clone(),
                        },
                    }),
                    Err(e) => report.missing_media.push(Rejected {
                        file: args.csv.display().to_string(),
                        line,
                        field: "media".into(),
                        message: format!("{e:#}"),
                    }),
                }
            }
            items.push(item);
        }
        let n = items.len() as u64;
        let w = app
            .db
            .put_archive_items(&items, &collections, &actor)
            .await?;
        total.created += w.created;
        total.updated += w.updated;
        total.unchanged += w.unchanged;
        progress.inc(n);
    }
    progress.finish_and_clear();
    reading.await??;
    Ok(total)
}

/// Stores a media file (with its derivatives for an image), or records a
/// link. `None` when the file is not there.
pub async fn import_media(
    app: &App,
    base: &Path,
    media: &MediaRef,
) -> anyhow::Result<Option<Media>> {
    let file = match media {
        MediaRef::Url(url) => {
            return Ok(Some(Media {
                kind: MediaKind::Link,
                name: url.clone(),
                hash: None,
                derivatives: vec![],
                renditions: None,
            }));
        }
        MediaRef::File(f) => base.join(f),
    };
    let name = file
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let Some(kind) = MediaKind::of_file(&name) else {
        anyhow::bail!("{name}: not an image, document, audio or video file");
    };
    if !file.is_file() {
        return Ok(None);
    }
    if matches!(kind, MediaKind::Audio | MediaKind::Video) {
        // Through the capsule pipeline: the same ladder, HLS and downloads.
        let (original, _) = app.blobs.put_file(&file).await?;
        let hash = original.to_string();
        let scratch = app.config.scratch_dir();
        let renditions = crate::import::transcoded(app, &scratch, &file, &hash, "archive")
            .await
            .with_context(|| name.clone())?;
        return Ok(Some(Media {
            kind,
            name,
            hash: Some(hash),
            derivatives: vec![],
            renditions: Some(renditions),
        }));
    }
    let bytes = tokio::fs::read(&file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    cartable_web::archive::store_media(&app.blobs, name.clone(), kind, bytes.into())
        .await
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))
}
