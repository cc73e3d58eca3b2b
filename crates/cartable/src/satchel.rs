//! `cartable keys` and `cartable satchel`: the hub's key, packing a
//! satchel (or an update) for schools, checking one, comparing two, and a
//! box opening, checking and updating the satchel it serves.

use crate::App;
use anyhow::{Context, bail};
use cartable_core::catalog::{Capsule, StoredMedia};
use cartable_core::quiz::{QuizSection, SectionBank, SectionQuiz};
use cartable_core::renditions::RenditionKind;
use cartable_core::satchel::{
    BlobRef, BoxGrant, BoxKey, CatalogSection, DEFAULT_RENDITIONS, Diff, FORMAT, Hub, KeyPair,
    Manifest, Roster, Selection,
};
use cartable_core::{BlobHash, Taxonomy};
use cartable_media::playlist::{self, Variant};
use cartable_satchel::{SatchelFile, SatchelWriter, Source, append_update};
use cartable_store::Db;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Make the hub's signing key (refuses to replace an existing one).
    Init {
        #[arg(long)]
        json: bool,
    },
    /// Print the hub's public key.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum SatchelCommand {
    /// Pack a satchel (or, with --parent, an update) for schools without network.
    Pack(PackArgs),
    /// Check a satchel's signature and every blob's hash.
    Verify(VerifyArgs),
    /// List what changed between two satchel versions.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// On a box: apply an update to the satchel it serves, in place.
    Apply {
        update: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// On a box online: fetch the newest satchel packed for it from the
    /// hub, only the blobs it lacks, resuming a cut download.
    Fetch {
        #[arg(long)]
        hub: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Satchel,
    Zim,
}

#[derive(clap::Args)]
pub struct PackArgs {
    /// The file to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Take the whole catalog.
    #[arg(long)]
    all: bool,
    /// Take the capsules of this programme (repeatable).
    #[arg(long = "programme")]
    programmes: Vec<String>,
    /// Take capsules of this level (repeatable; combined with --subject and --lang).
    #[arg(long = "level")]
    levels: Vec<String>,
    #[arg(long = "subject")]
    subjects: Vec<String>,
    #[arg(long = "lang")]
    langs: Vec<String>,
    /// Renditions to carry (repeatable). Default: 360p and audio.
    #[arg(long = "rendition")]
    renditions: Vec<String>,
    /// A school the satchel is for: its roster travels so learners can
    /// sign in offline, and its box is certified to send records back.
    #[arg(long = "school")]
    schools: Vec<String>,
    /// The box's name (default: the first school's id).
    #[arg(long = "box")]
    box_id: Option<String>,
    /// The satchel this one updates: only blobs it lacks are written.
    #[arg(long)]
    parent: Option<PathBuf>,
    /// satchel (for cartable boxes) or zim (for Kiwix readers and apps).
    #[arg(long, value_enum, default_value_t = Format::Satchel)]
    format: Format,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    file: PathBuf,
    /// The satchel an update applies to, for the blobs the update lacks.
    #[arg(long)]
    parent: Option<PathBuf>,
    /// Refuse unless signed by this hub key (hex).
    #[arg(long)]
    key: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn load_hub_key(app: &App) -> anyhow::Result<KeyPair> {
    let path = app.config.hub_key_file();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the hub key {} (make one with `cartable keys init`)",
            path.display()
        )
    })?;
    KeyPair::from_hex(&text).with_context(|| format!("the hub key {} is damaged", path.display()))
}

pub fn keys(app: &App, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let path = app.config.hub_key_file();
    let (key, json) = match command {
        KeysCommand::Init { json } => {
            if path.exists() {
                bail!(
                    "{} exists already; boxes trust it, so it is never replaced (remove it by hand to start over)",
                    path.display()
                );
            }
            let key = KeyPair::generate().context("the system has no randomness to offer")?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            write_secret(&path, &key.secret_hex())?;
            (key, json)
        }
        KeysCommand::Show { json } => (load_hub_key(app)?, json),
    };
    if json {
        println!(
            "{}",
            json!({ "public_key": key.public_hex(), "file": path })
        );
    } else {
        println!("hub public key: {}", key.public_hex());
        println!("secret key file: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a secret readable by its owner only, whole or not at all.
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{bar:30}} {{bytes}}/{{total_bytes}} {what}, {{bytes_per_sec}}, ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}

/// What a pack puts in the file, before writing it.
struct Plan {
    manifest: Manifest,
    sections: BTreeMap<String, Vec<u8>>,
    /// Blobs the pack generated (master playlists of the chosen renditions).
    made: BTreeMap<BlobHash, Vec<u8>>,
    capsules: usize,
}

/// Keeps the chosen renditions of a capsule (never none: without any of
/// them, the video nearest 360p and the audio), with a master playlist
/// listing only those.
fn choose(
    media: &StoredMedia,
    wanted: &[String],
    made: &mut BTreeMap<BlobHash, Vec<u8>>,
) -> StoredMedia {
    let mut kept: Vec<_> = media
        .renditions
        .iter()
        .filter(|r| wanted.contains(&r.name))
        .cloned()
        .collect();
    if kept.is_empty() {
        kept.extend(media.default_video().cloned());
        kept.extend(
            media
                .renditions
                .iter()
                .filter(|r| r.kind == RenditionKind::Audio)
                .cloned(),
        );
    }
    if kept.len() == media.renditions.len() {
        return media.clone();
    }
    let variants: Vec<Variant> = kept
        .iter()
        .map(|r| Variant {
            uri: format!("{}.m3u8", r.playlist),
            kind: r.kind,
            bandwidth: r.bandwidth,
            average_bandwidth: r.average_bandwidth,
            codecs: r.codecs.clone(),
            resolution: r.width.zip(r.height),
        })
        .collect();
    let text = playlist::master(&variants).into_bytes();
    let hash = BlobHash::try_from(blake3::hash(&text).to_hex().as_str())
        .unwrap_or_else(|_| unreachable!("blake3 hex is a valid hash"));
    made.insert(hash.clone(), text);
    StoredMedia {
        master: hash,
        renditions: kept,
        ..media.clone()
    }
}

fn blobs_of(c: &Capsule) -> Vec<BlobHash> {
    let m = &c.media;
    let mut out = vec![m.master.clone()];
    for r in &m.renditions {
        out.push(r.file.clone());
        out.push(r.playlist.clone());
    }
    out.extend(m.poster.clone());
    out.extend(m.thumbnail.clone());
    out.extend(m.chapters.clone());
    out.extend(c.captions.values().cloned());
    out.extend(c.attachments.iter().map(|a| a.blob.clone()));
    out
}

fn taxonomy_text(app: &App) -> anyhow::Result<String> {
    match &app.config.taxonomy_file {
        Some(file) => Ok(std::fs::read_to_string(file)?),
        None => Ok(cartable_core::taxonomy::DEFAULT_TOML.to_owned()),
    }
}

/// What a pack's arguments select: the selection as recorded, and the
/// catalog with the chosen renditions (and the master playlists made for
/// them).
struct Selected {
    selection: Selection,
    catalog: CatalogSection,
    made: BTreeMap<BlobHash, Vec<u8>>,
}

async fn select(app: &App, args: &PackArgs) -> anyhow::Result<Selected> {
    let renditions = if args.renditions.is_empty() {
        DEFAULT_RENDITIONS.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args.renditions.clone()
    };
    let selection = Selection {
        all: args.all,
        programmes: sorted(&args.programmes),
        levels: sorted(&args.levels),
        subjects: sorted(&args.subjects),
        langs: sorted(&args.langs),
        renditions: sorted(&renditions),
        schools: sorted(&args.schools),
    };
    if !selection.all
        && selection.programmes.is_empty()
        && selection.levels.is_empty()
        && selection.subjects.is_empty()
        && selection.langs.is_empty()
    {
        bail!("say what to pack: --all, or --programme, --level, --subject or --lang");
    }
    for p in &selection.programmes {
        if app.db.programme(p).await?.is_none() {
            bail!("--programme {p}: no such programme");
        }
    }
    let schools = app.db.schools().await?;
    for s in &selection.schools {
        if !schools.iter().any(|k| &k.id == s) {
            bail!("--school {s}: no such school (add it with `cartable school add`)");
        }
    }
    let mut made = BTreeMap::new();
    let mut capsules = Vec::new();
    for mut c in app.db.all_capsules().await? {
        if selection.takes(&c) {
            c.media = choose(&c.media, &selection.renditions, &mut made);
            capsules.push(c);
        }
    }
    if capsules.is_empty() {
        bail!("nothing matches: no capsule is selected");
    }
    let in_use: BTreeSet<&str> = capsules
        .iter()
        .flat_map(|c| c.programmes.iter().map(|(p, _)| p.as_str()))
        .collect();
    let mut programmes: Vec<_> = app
        .db
        .programmes()
        .await?
        .into_iter()
        .filter(|p| in_use.contains(p.id.as_str()))
        .collect();
    for p in &mut programmes {
        p.capsule_count = capsules
            .iter()
            .filter(|c| c.programmes.iter().any(|(q, _)| *q == p.id))
            .count() as u64;
    }
    programmes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Selected {
        selection,
        catalog: CatalogSection {
            programmes,
            capsules,
        },
        made,
    })
}

async fn plan(
    app: &App,
    key: &KeyPair,
    args: &PackArgs,
    parent: Option<&SatchelFile>,
) -> anyhow::Result<Plan> {
    let Selected {
        selection,
        catalog,
        made,
    } = select(app, args).await?;
    let mut blobs = BTreeMap::new();
    for c in &catalog.capsules {
        for hash in blobs_of(c) {
            if blobs.contains_key(&hash) {
                continue;
            }
            let size = match made.get(&hash) {
                Some(bytes) => bytes.len() as u64,
                None => app.blobs.size(&hash).await?.with_context(|| {
                    format!(
                        "capsule {}: blob {hash} is missing from the blob store",
                        c.id
                    )
                })?,
            };
            blobs.insert(hash.clone(), size);
        }
    }
    let mut sections = BTreeMap::new();
    let quizzes = quiz_section(app, &catalog).await?;
    for bank in &quizzes.banks {
        for (id, q) in &bank.questions {
            for m in &q.media {
                let hash = BlobHash::try_from(m.blob.as_str())
                    .map_err(|_| anyhow::anyhow!("question {id}: {} is not a blob hash", m.blob))?;
                if blobs.contains_key(&hash) {
                    continue;
                }
                let size = app.blobs.size(&hash).await?.with_context(|| {
                    format!("question {id}: blob {hash} is missing from the blob store")
                })?;
                blobs.insert(hash, size);
            }
        }
    }
    if !quizzes.quizzes.is_empty() {
        sections.insert("quizzes".to_owned(), serde_json::to_vec(&quizzes)?);
    }
    let courses = app.db.courses().await?;
    if !courses.is_empty() {
        sections.insert("courses".to_owned(), serde_json::to_vec(&courses)?);
    }
    // The library and the literacy path go whole: schools without network
    // are where they are needed most.
    let library = crate::library::Export::gather(&app.db).await?;
    for hash in library.blobs() {
        if blobs.contains_key(&hash) {
            continue;
        }
        let size = app
            .blobs
            .size(&hash)
            .await?
            .with_context(|| format!("library: blob {hash} is missing from the blob store"))?;
        blobs.insert(hash, size);
    }
    if !library.is_empty() {
        sections.insert("library".to_owned(), serde_json::to_vec(&library)?);
    }
    let count = catalog.capsules.len();
    sections.insert("catalog".to_owned(), serde_json::to_vec(&catalog)?);
    sections.insert("taxonomy".to_owned(), taxonomy_text(app)?.into_bytes());
    let mut boxes = Vec::new();
    if !selection.schools.is_empty() {
        let roster: Roster = app.db.roster(&selection.schools).await?;
        sections.insert("roster".to_owned(), serde_json::to_vec(&roster)?);
        let id = args
            .box_id
            .clone()
            .unwrap_or_else(|| selection.schools[0].clone());
        let box_key = key.derive_box(&id);
        boxes.push(BoxGrant {
            id: id.clone(),
            public_key: box_key.public_hex(),
            schools: selection.schools.clone(),
        });
        let secret = BoxKey {
            id,
            secret: box_key.secret_hex(),
        };
        sections.insert("box".to_owned(), serde_json::to_vec(&secret)?);
    }
    let manifest = Manifest {
        format: FORMAT,
        version: parent.map_or(1, |p| p.manifest.version + 1),
        parent: parent.map(|p| p.digest.clone()),
        hub: Hub {
            public_key: key.public_hex(),
            public_url: app.config.public_url.trim_end_matches('/').to_owned(),
        },
        selection,
        boxes,
        sections: sections
            .iter()
            .map(|(name, bytes)| {
                let hash = BlobHash::try_from(blake3::hash(bytes).to_hex().as_str())
                    .unwrap_or_else(|_| unreachable!("blake3 hex is a valid hash"));
                (
                    name.clone(),
                    BlobRef {
                        hash,
                        size: bytes.len() as u64,
                    },
                )
            })
            .collect(),
        blobs: blobs
            .into_iter()
            .map(|(hash, size)| BlobRef { hash, size })
            .collect(),
    };
    Ok(Plan {
        manifest,
        sections,
        made,
        capsules: count,
    })
}

/// A course as the satchel's `courses` section holds it.
#[derive(serde::Deserialize)]
struct CourseSection {
    id: String,
    spec: cartable_core::course::CourseSpec,
}

/// The quizzes that go with a satchel's catalog: those after its capsules,
/// those ending its programmes, and the practice exams that stand alone,
/// with every bank they draw from.
async fn quiz_section(app: &App, catalog: &CatalogSection) -> anyhow::Result<QuizSection> {
    let capsules: BTreeSet<&str> = catalog.capsules.iter().map(|c| c.id.as_str()).collect();
    let programmes: BTreeSet<&str> = catalog.programmes.iter().map(|p| p.id.as_str()).collect();
    let mut section = QuizSection::default();
    for q in app.db.quizzes(None, None).await? {
        let goes = match (&q.spec.capsule, &q.spec.programme) {
            (None, None) => true,
            (c, p) => {
                c.as_deref().is_some_and(|c| capsules.contains(c))
                    || p.as_deref().is_some_and(|p| programmes.contains(p))
            }
        };
        if goes {
            section.quizzes.push(SectionQuiz {
                id: q.id,
                spec: q.spec,
            });
        }
    }
    let wanted: BTreeSet<String> = section
        .quizzes
        .iter()
        .map(|q| q.spec.bank.clone())
        .collect();
    for bank in app.db.banks().await? {
        if wanted.contains(&bank.id) {
            section.banks.push(SectionBank {
                questions: app.db.bank_questions(&bank.id).await?,
                id: bank.id,
                title: bank.title,
            });
        }
    }
    Ok(section)
}

fn sorted(list: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = list.iter().collect();
    set.into_iter().cloned().collect()
}

/// Free bytes on the file system holding `dir`.
fn free_space(dir: &Path) -> anyhow::Result<u64> {
    let stat = rustix::fs::statvfs(dir)
        .with_context(|| format!("cannot read free space at {}", dir.display()))?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

pub async fn pack(app: App, args: PackArgs) -> anyhow::Result<ExitCode> {
    if args.format == Format::Zim {
        return pack_zim(app, args).await;
    }
    let key = load_hub_key(&app)?;
    let parent = match &args.parent {
        Some(p) => {
            let parent =
                SatchelFile::open(p, None).with_context(|| format!("--parent {}", p.display()))?;
            if parent.manifest.hub.public_key != key.public_hex() {
                bail!("--parent {}: packed by another hub", p.display());
            }
            Some(parent)
        }
        None => None,
    };
    let plan = plan(&app, &key, &args, parent.as_ref()).await?;
    let manifest_bytes = plan.manifest.to_bytes()?;
    let signature = key.sign(&manifest_bytes);
    let digest = Manifest::digest(&manifest_bytes);
    let carried: Vec<&BlobRef> = plan
        .manifest
        .blobs
        .iter()
        .filter(|b| parent.as_ref().is_none_or(|p| p.locate(&b.hash).is_none()))
        .collect();
    let sections_bytes: u64 = plan.sections.values().map(|s| s.len() as u64).sum();
    let needed: u64 = carried.iter().map(|b| b.size).sum::<u64>()
        + sections_bytes
        + manifest_bytes.len() as u64 * 2
        + 4096;
    let dir = match args.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let free = free_space(&dir)?;
    if free < needed {
        bail!(
            "not enough space at {}: the satchel needs {}, {} are free",
            dir.display(),
            megabytes(needed),
            megabytes(free)
        );
    }
    let progress = bar(needed, "packed");
    let mut writer = SatchelWriter::create(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let written = write_entries(&app, &plan, &carried, &mut writer, &progress).await;
    if let Err(e) = written {
        writer.abandon();
        return Err(e);
    }
    let len = writer.finish(&manifest_bytes, &signature)?;
    progress.finish_and_clear();
    // The playlists made for the chosen renditions are blobs like any
    // other: a box online fetches what it lacks from the hub's store.
    for bytes in plan.made.values() {
        app.blobs.put_bytes(bytes.clone().into()).await?;
    }
    for b in &plan.manifest.boxes {
        app.db
            .certify_box(
                &b.id,
                &b.public_key,
                &b.schools,
                plan.manifest.version as i64,
                &digest,
            )
            .await?;
        let offer = cartable_web::sync::Offer::new(&manifest_bytes, &signature, &plan.sections);
        app.db
            .set_box_satchel(&b.id, &serde_json::to_string(&offer)?)
            .await?;
    }
    let summary = json!({
        "file": args.output,
        "version": plan.manifest.version,
        "digest": digest,
        "parent": plan.manifest.parent,
        "capsules": plan.capsules,
        "blobs": plan.manifest.blobs.len(),
        "blobs_in_file": carried.len(),
        "bytes": len,
        "box": plan.manifest.boxes.first().map(|b| &b.id),
    });
    if args.json {
        println!("{summary}");
    } else {
        println!(
            "packed {} capsules ({} blobs, {} in this file) into {}: {}, version {}{}",
            plan.capsules,
            plan.manifest.blobs.len(),
            carried.len(),
            args.output.display(),
            megabytes(len),
            plan.manifest.version,
            plan.manifest
                .boxes
                .first()
                .map(|b| format!(", for box {}", b.id))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn pack_zim(app: App, args: PackArgs) -> anyhow::Result<ExitCode> {
    if !args.schools.is_empty() || args.parent.is_some() {
        bail!("a ZIM carries content only: --school and --parent are for satchels");
    }
    let selected = select(&app, &args).await?;
    let bytes = crate::zim::write(&app, &selected.catalog, &args.output).await?;
    let capsules = selected.catalog.capsules.len();
    if args.json {
        println!(
            "{}",
            json!({ "file": args.output, "format": "zim", "capsules": capsules, "bytes": bytes })
        );
    } else {
        println!(
            "wrote {capsules} capsules to {} for Kiwix: {}",
            args.output.display(),
            megabytes(bytes)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn write_entries(
    app: &App,
    plan: &Plan,
    carried: &[&BlobRef],
    writer: &mut SatchelWriter,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    for (name, bytes) in &plan.sections {
        writer.section(name, bytes)?;
        progress.inc(bytes.len() as u64);
    }
    for blob in carried {
        let source = match plan.made.get(&blob.hash) {
            Some(bytes) => Source::Bytes(bytes.clone()),
            None => match app.blobs.local_path(&blob.hash) {
                Some(path) => Source::File(path),
                None => Source::Bytes(app.blobs.get(&blob.hash).await?.to_vec()),
            },
        };
        let n = writer.blob(&blob.hash, source)?;
        if n != blob.size {
            bail!("blob {} changed size while packing", blob.hash);
        }
        progress.inc(n);
    }
    Ok(())
}

fn catalog_of(file: &SatchelFile) -> anyhow::Result<CatalogSection> {
    let bytes = file
        .section("catalog")?
        .context("the satchel has no catalog section")?;
    serde_json::from_slice(&bytes).context("the catalog section does not parse")
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let file =
        SatchelFile::open(&args.file, None).with_context(|| args.file.display().to_string())?;
    if let Some(key) = &args.key
        && key.trim() != file.manifest.hub.public_key
    {
        bail!(
            "{}: signed by hub key {}, not the trusted {}",
            args.file.display(),
            file.manifest.hub.public_key,
            key.trim()
        );
    }
    let (held, bytes) = file.held();
    let progress = bar(bytes, "checked");
    file.verify(&|n| progress.set_position(n))
        .with_context(|| args.file.display().to_string())?;
    progress.finish_and_clear();
    let catalog = catalog_of(&file)?;
    let missing = file.missing();
    if !missing.is_empty() {
        let parent_path = args.parent.as_ref().with_context(|| {
            format!(
                "{}: an update of version {} holding {held} of {} blobs; give the satchel it updates with --parent",
                args.file.display(),
                file.manifest.version.saturating_sub(1),
                file.manifest.blobs.len()
            )
        })?;
        let parent = SatchelFile::open(parent_path, None)
            .with_context(|| parent_path.display().to_string())?;
        if Some(&parent.digest) != file.manifest.parent.as_ref() {
            bail!(
                "{} is not the parent of this update (it is version {}; the update names parent {})",
                parent_path.display(),
                parent.manifest.version,
                file.manifest.parent.as_deref().unwrap_or("none")
            );
        }
        if let Some(lost) = missing.iter().find(|h| parent.locate(h).is_none()) {
            bail!("blob {lost} is neither in the update nor in its parent");
        }
    }
    let summary = json!({
        "file": args.file,
        "ok": true,
        "version": file.manifest.version,
        "digest": file.digest,
        "parent": file.manifest.parent,
        "hub_key": file.manifest.hub.public_key,
        "capsules": catalog.capsules.len(),
        "blobs": file.manifest.blobs.len(),
        "blobs_in_file": held,
        "boxes": file.manifest.boxes.iter().map(|b| &b.id).collect::<Vec<_>>(),
    });
    if args.json {
        println!("{summary}");
    } else {
        println!(
            "{}: good. Version {}, signed by hub {}; {} capsules; {held} of {} blobs in the file, every one matching its hash",
            args.file.display(),
            file.manifest.version,
            file.manifest.hub.public_key,
            catalog.capsules.len(),
            file.manifest.blobs.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn diff(old: &Path, new: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let a = SatchelFile::open(old, None).with_context(|| old.display().to_string())?;
    let b = SatchelFile::open(new, None).with_context(|| new.display().to_string())?;
    let d = Diff::between(&a.manifest, &catalog_of(&a)?, &b.manifest, &catalog_of(&b)?);
    if json {
        println!("{}", serde_json::to_string(&d)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("version {} → {}", a.manifest.version, b.manifest.version);
    for (label, list) in [
        ("added", &d.added),
        ("removed", &d.removed),
        ("changed", &d.changed),
    ] {
        for id in list {
            println!("{label:>8}  {id}");
        }
    }
    println!(
        "{} blobs added ({}), {} removed",
        d.blobs_added,
        megabytes(d.bytes_added),
        d.blobs_removed
    );
    Ok(ExitCode::SUCCESS)
}

/// Names under which a box keeps its satchel's state in `local_state`.
pub mod state {
    pub const PATH: &str = "satchel_path";
    pub const LEN: &str = "satchel_len";
    pub const VERIFIED: &str = "satchel_verified";
    pub const INSTALLED: &str = "satchel_installed";
    pub const HUB_KEY: &str = "hub_key";
    pub const HUB_URL: &str = "hub_public_url";
    pub const BOX_ID: &str = "box_id";
    pub const BOX_SECRET: &str = "box_secret";
    /// The box's own record number the hub has everything up to.
    pub const HUB_RECEIVED: &str = "hub_received";
    /// The hub's record number the box has pulled up to.
    pub const PULLED: &str = "hub_pulled";
}

/// A box's satchel, open and checked, with what the box needs from it.
pub struct Opened {
    pub file: Arc<SatchelFile>,
    pub taxonomy: Taxonomy,
    pub box_id: Option<String>,
}

/// Opens the satchel a box serves: the version it last committed, or the
/// whole file for a new one; checks it is signed by the hub the box trusts
/// (`pin`, or the one it served before), checks every byte once, and
/// installs its catalog and roster when they changed.
pub async fn open_for_box(app: &App, path: &Path, pin: Option<&str>) -> anyhow::Result<Opened> {
    let db = &app.db;
    let canonical = path
        .canonicalize()
        .with_context(|| format!("cannot open the satchel {}", path.display()))?;
    let canonical_text = canonical.display().to_string();
    let same_file = db.local_state(state::PATH).await?.as_deref() == Some(canonical_text.as_str());
    let committed = match db.local_state(state::LEN).await? {
        Some(len) if same_file => Some(
            len.parse::<u64>()
                .context("damaged satchel length in local state")?,
        ),
        _ => None,
    };
    let file = SatchelFile::open(&canonical, committed)
        .with_context(|| format!("the satchel {}", path.display()))?;
    let trusted = match pin {
        Some(key) => Some(key.trim().to_owned()),
        None => db.local_state(state::HUB_KEY).await?,
    };
    if let Some(key) = &trusted
        && *key != file.manifest.hub.public_key
    {
        bail!(
            "the satchel {} is signed by hub key {}, but this box trusts {}: refused",
            path.display(),
            file.manifest.hub.public_key,
            key
        );
    }
    if !file.missing().is_empty() {
        bail!(
            "{} is an update (it lacks {} blobs of its version): apply it with `cartable satchel apply` to the satchel it updates",
            path.display(),
            file.missing().len()
        );
    }
    if db.local_state(state::VERIFIED).await?.as_deref() != Some(file.digest.as_str()) {
        let (_, bytes) = file.held();
        tracing::info!(bytes, "checking every blob of the satchel once");
        file.verify(&|_| {})
            .with_context(|| format!("the satchel {}", path.display()))?;
        db.set_local_state(state::VERIFIED, &file.digest).await?;
    }
    let taxonomy_text = file
        .section("taxonomy")?
        .context("the satchel has no taxonomy")?;
    let taxonomy = Taxonomy::from_toml(&String::from_utf8_lossy(&taxonomy_text))
        .context("the satchel's taxonomy")?;
    let box_key: Option<BoxKey> = file
        .section("box")?
        .map(|b| serde_json::from_slice(&b))
        .transpose()
        .context("the satchel's box section")?;
    if let Some(k) = &box_key {
        let derived = KeyPair::from_hex(&k.secret)?.public_hex();
        let granted = file
            .manifest
            .boxes
            .iter()
            .any(|g| g.id == k.id && g.public_key == derived);
        if !granted {
            bail!("the satchel's box key is not the one its manifest certifies");
        }
    }
    if db.local_state(state::INSTALLED).await?.as_deref() != Some(file.digest.as_str()) {
        if let Some(k) = &box_key {
            db.set_local_state(state::BOX_ID, &k.id).await?;
            db.set_local_state(state::BOX_SECRET, &k.secret).await?;
        }
        db.set_local_state(state::HUB_KEY, &file.manifest.hub.public_key)
            .await?;
        db.set_local_state(state::HUB_URL, &file.manifest.hub.public_url)
            .await?;
        db.set_local_state(state::PATH, &canonical_text).await?;
        db.set_local_state(state::LEN, &file.len.to_string())
            .await?;
        install_version(db, &file).await?;
    }
    Ok(Opened {
        file: Arc::new(file),
        taxonomy,
        box_id: box_key.map(|k| k.id),
    })
}

/// Makes the box's catalog and roster those of `file`'s version. Called
/// once the blobs of that version are served, so no capsule shows before
/// its media can play.
pub async fn install_version(db: &Db, file: &SatchelFile) -> anyhow::Result<()> {
    let catalog = catalog_of(file)?;
    db.install_catalog(&catalog).await?;
    if let Some(bytes) = file.section("quizzes")? {
        let quizzes: QuizSection =
            serde_json::from_slice(&bytes).context("the satchel's quizzes section")?;
        db.install_quizzes(&quizzes).await?;
    }
    if let Some(bytes) = file.section("courses")? {
        let courses: Vec<CourseSection> =
            serde_json::from_slice(&bytes).context("the satchel's courses section")?;
        for c in courses {
            db.put_course(&c.id, &c.spec, "satchel").await?;
        }
    }
    if let Some(bytes) = file.section("library")? {
        let library: crate::library::Export =
            serde_json::from_slice(&bytes).context("the satchel's library section")?;
        library.put_rows(db, "satchel").await?;
    }
    if let Some(bytes) = file.section("roster")? {
        let roster: Roster = serde_json::from_slice(&bytes).context("the satchel's roster")?;
        db.install_roster(&roster).await?;
    }
    db.set_local_state(state::INSTALLED, &file.digest).await?;
    tracing::info!(
        version = file.manifest.version,
        capsules = catalog.capsules.len(),
        "satchel installed"
    );
    Ok(())
}

/// The satchel a box serves, at the version it committed.
pub async fn served(app: &App) -> anyhow::Result<SatchelFile> {
    let db = &app.db;
    let path = db.local_state(state::PATH).await?.context(
        "this data directory serves no satchel yet: start `cartable serve --satchel FILE` first",
    )?;
    let len: u64 = db
        .local_state(state::LEN)
        .await?
        .context("damaged local state: no satchel length")?
        .parse()?;
    SatchelFile::open(Path::new(&path), Some(len)).with_context(|| path.clone())
}

/// What applying an update made of the box.
pub struct Applied {
    pub version: u64,
    pub digest: String,
    pub len: u64,
    pub capsules: usize,
}

/// Checks an update against the version the box serves and appends it;
/// the box switches only once it is whole. `None` when the box already
/// serves that version.
pub async fn apply_file(app: &App, update_path: &Path) -> anyhow::Result<Option<Applied>> {
    let db = &app.db;
    let base = served(app).await?;
    let update =
        SatchelFile::open(update_path, None).with_context(|| update_path.display().to_string())?;
    if update.manifest.hub.public_key != base.manifest.hub.public_key {
        bail!(
            "{}: signed by hub key {}, but this box trusts {}: refused",
            update_path.display(),
            update.manifest.hub.public_key,
            base.manifest.hub.public_key
        );
    }
    if update.digest == base.digest {
        return Ok(None);
    }
    if update.manifest.parent.as_ref() != Some(&base.digest) {
        bail!(
            "{} updates another version (it is version {}); this box serves version {}",
            update_path.display(),
            update.manifest.version,
            base.manifest.version
        );
    }
    let (_, bytes) = update.held();
    let progress = bar(bytes, "checked");
    update
        .verify(&|n| progress.set_position(n))
        .with_context(|| update_path.display().to_string())?;
    progress.finish_and_clear();
    if let Some(lost) = update
        .missing()
        .into_iter()
        .find(|h| base.locate(h).is_none())
    {
        bail!("blob {lost} is neither in the update nor in the satchel it updates");
    }
    let new_len = append_update(&base, &update)?;
    // The switch: until this commits, the box serves the old version and
    // the next apply cuts off what was appended. A running server notices
    // it, serves the new blobs, then installs the new catalog; otherwise
    // the next start does.
    db.set_local_state(state::VERIFIED, &update.digest).await?;
    db.set_local_state(state::LEN, &new_len.to_string()).await?;
    let opened = SatchelFile::open(&base.path, Some(new_len))?;
    let catalog = catalog_of(&opened)?;
    Ok(Some(Applied {
        version: opened.manifest.version,
        digest: opened.digest,
        len: new_len,
        capsules: catalog.capsules.len(),
    }))
}

/// `satchel apply UPDATE` on a box.
pub async fn apply(app: App, update_path: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    report_applied(apply_file(&app, update_path).await?, json_out);
    Ok(ExitCode::SUCCESS)
}

pub fn report_applied(applied: Option<Applied>, json_out: bool) {
    match applied {
        None if json_out => println!("{}", json!({ "changed": false })),
        None => println!("the box already serves this version"),
        Some(a) if json_out => println!(
            "{}",
            json!({ "changed": true, "version": a.version, "digest": a.digest, "bytes": a.len })
        ),
        Some(a) => println!(
            "the box now serves version {} ({} capsules); a running `cartable serve` switches to it within seconds",
            a.version, a.capsules
        ),
    }
}
