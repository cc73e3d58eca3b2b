//! `cartable sync`: records between a box and its hub, over HTTP (push,
//! pull) or in a file carried on a USB stick (export, import).
//!
//! The data directory says which side this is: a box serves a satchel and
//! holds the key its satchel certified; a hub holds its own key. Every
//! transfer goes in signed chunks (`core::sync`), each acknowledged on its
//! own, so a cut transfer resumes at the first chunk not acknowledged.

use crate::App;
use crate::satchel::{load_hub_key, state};
use anyhow::{Context, bail};
use cartable_core::satchel::{BlobRef, KeyPair, Manifest, from_hex, to_hex, verify};
use cartable_core::sync::{
    CHUNK_STATEMENTS, Chunk, Direction, FrameReader, PullRequest, write_frame, write_mark,
};
use cartable_satchel::{SatchelWriter, Source};
use cartable_store::sync::BoxRow;
use cartable_store::sync::SyncEvent;
use cartable_web::sync::{
    Applied, Checked, Claimed, Offer, Refused, SIGNATURE_HEADER, check_up, records_for, settle,
    store,
};
use cartable_web::xapi::Writer;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum SyncCommand {
    /// On a box: send the records the hub lacks.
    Push(HubArgs),
    /// On a box: fetch the hub's records of this box's learners.
    Pull(HubArgs),
    /// Write records to a file: on a box, its records for the hub; on a
    /// hub, a box's learners' records for that box (--box).
    Export {
        file: PathBuf,
        #[arg(long = "box")]
        box_id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Read a sync file written by `sync export` on the other side.
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct HubArgs {
    /// The hub's address, e.g. https://cartable.example.org
    #[arg(long)]
    hub: String,
    #[arg(long)]
    json: bool,
}

/// A box's identity, from the satchel it serves.
struct BoxSide {
    id: String,
    key: KeyPair,
    hub_key: String,
}

async fn box_side(app: &App) -> anyhow::Result<Option<BoxSide>> {
    let (Some(id), Some(secret), Some(hub_key)) = (
        app.db.local_state(state::BOX_ID).await?,
        app.db.local_state(state::BOX_SECRET).await?,
        app.db.local_state(state::HUB_KEY).await?,
    ) else {
        return Ok(None);
    };
    Ok(Some(BoxSide {
        id,
        key: KeyPair::from_hex(&secret).context("damaged box key in local state")?,
        hub_key,
    }))
}

async fn require_box(app: &App) -> anyhow::Result<BoxSide> {
    box_side(app).await?.context(
        "this data directory is not a box: serve a satchel packed for a school (`cartable serve --satchel FILE`) first",
    )
}

/// The platform's own users' homePage: on a box, the hub's.
async fn home_page(app: &App) -> anyhow::Result<String> {
    Ok(app
        .db
        .local_state(state::HUB_URL)
        .await?
        .unwrap_or_else(|| app.config.public_url.clone())
        .trim_end_matches('/')
        .to_owned())
}

fn client() -> anyhow::Result<reqwest::Client> {
    // Hubs are reached over HTTPS: ring does the cryptography, and the
    // system's certificate authorities decide whom to trust. Installing
    // twice (a second client in one process) is not an error.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()?)
}

/// The reason a hub gave in its error answer (`{"error": {"message"}}`
/// or `{"message"}`).
fn reason_in(body: &Value) -> String {
    body.pointer("/error/message")
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("no reason given")
        .to_owned()
}

/// POSTs a request this box signs to the hub's `path`.
async fn signed_post(
    http: &reqwest::Client,
    hub: &str,
    path: &str,
    b: &BoxSide,
    after: i64,
) -> anyhow::Result<reqwest::Response> {
    let request = serde_json::to_vec(&PullRequest {
        box_id: b.id.clone(),
        after,
        at: cartable_store::now(),
    })?;
    Ok(http
        .post(format!("{hub}{path}"))
        .header(SIGNATURE_HEADER, to_hex(&b.key.sign(&request)))
        .header("content-type", "application/json")
        .body(request)
        .send()
        .await?)
}

fn int(state: Option<String>) -> i64 {
    state.and_then(|s| s.parse().ok()).unwrap_or(0)
}

async fn log(app: &App, box_id: &str, kind: &str, result: &Result<Applied, String>) {
    let event = match result {
        Ok(a) => SyncEvent {
            box_id: box_id.into(),
            at: cartable_store::now(),
            kind: kind.into(),
            ok: true,
            accepted: a.accepted,
            duplicates: a.duplicates,
            detail: String::new(),
        },
        Err(e) => SyncEvent {
            box_id: box_id.into(),
            at: cartable_store::now(),
            kind: kind.into(),
            ok: false,
            accepted: 0,
            duplicates: 0,
            detail: e.clone(),
        },
    };
    if let Err(e) = app.db.log_sync(&event).await {
        tracing::warn!(error = %e, "cannot log the sync");
    }
}

fn report(json_out: bool, what: &str, total: &Applied, extra: Value) {
    if json_out {
        let mut v = json!({
            "accepted": total.accepted,
            "duplicates": total.duplicates,
            "conflicts": total.conflicts,
        });
        if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
            o.extend(e);
        }
        println!("{v}");
    } else {
        println!(
            "{what}: {} new records, {} already there{}",
            total.accepted,
            total.duplicates,
            if total.conflicts > 0 {
                format!(
                    ", {} kept as they were (same id, other content)",
                    total.conflicts
                )
            } else {
                String::new()
            }
        );
    }
}

fn add(total: &mut Applied, a: Applied) {
    total.accepted += a.accepted;
    total.duplicates += a.duplicates;
    total.conflicts += a.conflicts;
}

/// The box's next chunk of its own records after `after`.
async fn next_up(app: &App, b: &BoxSide, after: i64) -> anyhow::Result<Option<Chunk>> {
    let rows = app
        .db
        .statements_after(after, CHUNK_STATEMENTS as i64)
        .await?;
    let Some((last, _)) = rows.last() else {
        return Ok(None);
    };
    let newest = app.db.last_statement_seq().await?;
    let statements = rows
        .iter()
        .map(|(_, j)| serde_json::from_str(j))
        .collect::<Result<Vec<Value>, _>>()
        .context("a stored statement does not parse")?;
    Ok(Some(Chunk {
        box_id: b.id.clone(),
        direction: Direction::Up,
        after,
        last: *last,
        newest,
        statements,
    }))
}

pub async fn run(app: App, command: SyncCommand) -> anyhow::Result<ExitCode> {
    match command {
        SyncCommand::Push(args) => push(app, args).await,
        SyncCommand::Pull(args) => pull(app, args).await,
        SyncCommand::Export { file, box_id, json } => export(app, &file, box_id, json).await,
        SyncCommand::Import { file, json } => import(app, &file, json).await,
    }
}

async fn push(app: App, args: HubArgs) -> anyhow::Result<ExitCode> {
    let b = require_box(&app).await?;
    let http = client()?;
    let hub = args.hub.trim_end_matches('/');
    let answer: Value = http
        .get(format!("{hub}/sync/v1/boxes/{}", b.id))
        .send()
        .await
        .with_context(|| format!("cannot reach the hub at {hub}"))?
        .error_for_status()
        .with_context(|| format!("the hub at {hub} does not know box {}", b.id))?
        .json()
        .await?;
    let mut after = answer.get("received").and_then(Value::as_i64).unwrap_or(0);
    let mut total = Applied::default();
    let mut chunks = 0;
    // Two chunks in flight: the hub checks one while it writes the other,
    // and settles them in order.
    let mut in_flight = std::collections::VecDeque::new();
    let mut next_after = after;
    loop {
        while in_flight.len() < 2 {
            let Some(chunk) = next_up(&app, &b, next_after).await? else {
                break;
            };
            next_after = chunk.last;
            let payload = chunk.to_bytes();
            let signature = b.key.sign(&payload);
            let request = http
                .post(format!("{hub}/sync/v1/up"))
                .header(SIGNATURE_HEADER, to_hex(&signature))
                .header("content-type", "application/json")
                .body(payload);
            in_flight.push_back((chunk.after, chunk.last, tokio::spawn(request.send())));
        }
        let Some((first, last, sent)) = in_flight.pop_front() else {
            break;
        };
        let response = sent
            .await
            .map_err(|e| anyhow::anyhow!("the push stopped: {e}"))?
            .with_context(|| format!("the connection to {hub} was cut; run the push again to resume after record {after}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let reason = reason_in(&body);
            log(&app, &b.id, "push", &Err(reason.clone())).await;
            bail!("the hub refused records {}..{last}: {reason}", first + 1);
        }
        let a = Applied {
            accepted: body.get("accepted").and_then(Value::as_i64).unwrap_or(0),
            duplicates: body.get("duplicates").and_then(Value::as_i64).unwrap_or(0),
            conflicts: body.get("conflicts").and_then(Value::as_i64).unwrap_or(0),
        };
        add(&mut total, a);
        chunks += 1;
        after = body
            .get("received")
            .and_then(Value::as_i64)
            .unwrap_or(last)
            .max(after);
        app.db
            .set_local_state(state::HUB_RECEIVED, &after.to_string())
            .await?;
    }
    log(&app, &b.id, "push", &Ok(total)).await;
    report(
        args.json,
        "pushed",
        &total,
        json!({ "chunks": chunks, "received": after }),
    );
    Ok(ExitCode::SUCCESS)
}

async fn pull(app: App, args: HubArgs) -> anyhow::Result<ExitCode> {
    let b = require_box(&app).await?;
    let http = client()?;
    let hub = args.hub.trim_end_matches('/');
    let writer = Writer::start(app.db.clone(), home_page(&app).await?);
    let mut after = int(app.db.local_state(state::PULLED).await?);
    let mut total = Applied::default();
    loop {
        let response = signed_post(&http, hub, "/sync/v1/down", &b, after)
            .await
            .with_context(|| format!("the connection to {hub} was cut; run the pull again to resume after hub record {after}"))?;
        if !response.status().is_success() {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let reason = reason_in(&body);
            log(&app, &b.id, "pull", &Err(reason.clone())).await;
            bail!("the hub refused the pull: {reason}");
        }
        let signature = response
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(from_hex)
            .and_then(|s| <[u8; 64]>::try_from(s).ok())
            .context("the hub's answer is not signed")?;
        let payload = response.bytes().await?;
        let chunk = down_chunk(&b, &payload, &signature)?;
        let empty = chunk.statements.is_empty();
        let a = store(&app.db, &writer, chunk.statements, "hub")
            .await
            .map_err(|e| anyhow::anyhow!("the hub's records were not stored: {e}"))?;
        add(&mut total, a);
        after = chunk.last;
        app.db
            .set_local_state(state::PULLED, &after.to_string())
            .await?;
        if empty {
            break;
        }
    }
    log(&app, &b.id, "pull", &Ok(total)).await;
    report(args.json, "pulled", &total, json!({ "after": after }));
    Ok(ExitCode::SUCCESS)
}

/// Checks a chunk the hub sent this box.
fn down_chunk(b: &BoxSide, payload: &[u8], signature: &[u8; 64]) -> anyhow::Result<Chunk> {
    verify(&b.hub_key, payload, signature)
        .map_err(|_| anyhow::anyhow!("not signed by the hub this box trusts: refused"))?;
    let chunk = Chunk::parse(payload).map_err(|e| anyhow::anyhow!(e))?;
    if chunk.direction != Direction::Down || chunk.box_id != b.id {
        bail!(
            "these records are for box {}, not this box ({})",
            chunk.box_id,
            b.id
        );
    }
    Ok(chunk)
}

/// A sync file being written: to `FILE.tmp`, renamed into place once
/// whole, a frame at a time (a file of any size needs one chunk's memory).
struct SyncOut {
    file: PathBuf,
    tmp: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    frames: usize,
}

impl SyncOut {
    fn create(file: &Path) -> anyhow::Result<SyncOut> {
        let mut tmp = file.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&tmp)
                .with_context(|| format!("cannot write {}", tmp.display()))?,
        );
        write_mark(&mut out)?;
        Ok(SyncOut {
            file: file.to_owned(),
            tmp,
            out,
            frames: 0,
        })
    }

    fn frame(&mut self, payload: &[u8], signature: &[u8; 64]) -> anyhow::Result<()> {
        write_frame(&mut self.out, payload, signature)?;
        self.frames += 1;
        Ok(())
    }

    /// Syncs and renames into place; the file's size.
    fn finish(mut self) -> anyhow::Result<u64> {
        self.out.flush()?;
        let f = self.out.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        let len = f.metadata()?.len();
        std::fs::rename(&self.tmp, &self.file)?;
        Ok(len)
    }
}

async fn export(
    app: App,
    file: &Path,
    for_box: Option<String>,
    json_out: bool,
) -> anyhow::Result<ExitCode> {
    let mut out = SyncOut::create(file)?;
    let mut count = 0usize;
    let box_id = match box_side(&app).await? {
        Some(b) => {
            if for_box.is_some() {
                bail!("--box is for a hub; this is box {}", b.id);
            }
            // Everything the hub has not confirmed: a lost stick costs nothing.
            let mut after = int(app.db.local_state(state::HUB_RECEIVED).await?);
            while let Some(chunk) = next_up(&app, &b, after).await? {
                after = chunk.last;
                count += chunk.statements.len();
                let payload = chunk.to_bytes();
                out.frame(&payload, &b.key.sign(&payload))?;
            }
            b.id
        }
        None => {
            let id = for_box.context("on a hub, say which box the file is for: --box ID")?;
            let key = load_hub_key(&app)?;
            let b = app
                .db
                .sync_box(&id)
                .await?
                .with_context(|| format!("no box {id}: pack a satchel for its school first"))?;
            let home = home_page(&app).await?;
            let mut after = 0;
            loop {
                let (payload, signature) = records_for(&app.db, &home, &key, &b, after).await?;
                let chunk = Chunk::parse(&payload).map_err(|e| anyhow::anyhow!(e))?;
                let empty = chunk.statements.is_empty();
                count += chunk.statements.len();
                after = chunk.last;
                // An empty file still tells the box how far the hub stands.
                if !empty || out.frames == 0 {
                    out.frame(&payload, &signature)?;
                }
                if empty {
                    break;
                }
            }
            id
        }
    };
    let frames = out.frames;
    let bytes = out.finish()?;
    let done = Applied {
        accepted: count as i64,
        ..Applied::default()
    };
    log(&app, &box_id, "export", &Ok(done)).await;
    if json_out {
        println!(
            "{}",
            json!({ "file": file, "records": count, "chunks": frames, "bytes": bytes })
        );
    } else {
        println!(
            "wrote {count} records in {frames} chunks to {} ({bytes} bytes)",
            file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the import has done so far.
#[derive(Default)]
struct Imported {
    total: Applied,
    refused: Vec<String>,
    chunks: usize,
}

async fn import(app: App, file: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let home = home_page(&app).await?;
    let writer = Writer::start(app.db.clone(), home.clone());
    let mut done = Imported::default();
    match FrameReader::new(std::io::BufReader::new(input)) {
        Err(e) => done.refused.push(format!("{}: {e}", file.display())),
        Ok(frames) => match box_side(&app).await? {
            Some(b) => import_at_box(&app, &writer, &b, frames, file, &mut done).await,
            None => import_at_hub(&app, &writer, &home, frames, file, &mut done).await?,
        },
    }
    let Imported {
        total,
        refused,
        chunks,
    } = done;
    report(
        json_out,
        &format!("imported {}", file.display()),
        &total,
        json!({ "chunks": chunks, "refused": refused }),
    );
    if refused.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        if !json_out {
            for r in &refused {
                eprintln!("refused: {r}");
            }
        }
        Ok(ExitCode::from(2))
    }
}

/// `satchel fetch --hub URL` on a box: the newest satchel the hub packed
/// for it, as an update built here from the blobs this box lacks. Each
/// blob downloads into `tmp/fetch/` and resumes from where a cut left it;
/// a blob is kept only once its hash matches.
pub async fn fetch(app: App, hub: &str, json_out: bool) -> anyhow::Result<ExitCode> {
    let b = require_box(&app).await?;
    let http = client()?;
    let hub = hub.trim_end_matches('/');
    let response = signed_post(&http, hub, "/sync/v1/satchel", &b, 0)
        .await
        .with_context(|| format!("cannot reach the hub at {hub}"))?;
    if !response.status().is_success() {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let reason = reason_in(&body);
        bail!("the hub has no satchel for box {}: {reason}", b.id);
    }
    let offer: Offer = response
        .json()
        .await
        .context("the hub's answer does not parse")?;
    let (manifest_bytes, signature, sections) =
        offer.decode().context("the hub's answer does not decode")?;
    let manifest = Manifest::open(&manifest_bytes, &signature)?;
    if manifest.hub.public_key != b.hub_key {
        bail!("the satchel offered is signed by another hub than the one this box trusts: refused");
    }
    for (name, bytes) in &sections {
        let want = manifest
            .sections
            .get(name)
            .with_context(|| format!("section {name} is not in the manifest"))?;
        if blake3::hash(bytes).to_hex().as_str() != want.hash.as_str() {
            bail!("section {name} does not match its signed hash");
        }
    }
    let base = crate::satchel::served(&app).await?;
    if Manifest::digest(&manifest_bytes) == base.digest {
        crate::satchel::report_applied(None, json_out);
        return Ok(ExitCode::SUCCESS);
    }
    let missing: Vec<&BlobRef> = manifest
        .blobs
        .iter()
        .filter(|r| base.locate(&r.hash).is_none())
        .collect();
    let dir = app.config.scratch_dir().join("fetch");
    std::fs::create_dir_all(&dir)?;
    let mut downloaded = 0u64;
    for blob in &missing {
        downloaded += download(&http, hub, blob, &dir).await?;
    }
    let update = dir.join("update.satchel");
    let mut writer = SatchelWriter::create(&update)?;
    for (name, bytes) in &sections {
        writer.section(name, bytes)?;
    }
    for blob in &missing {
        writer.blob(&blob.hash, Source::File(dir.join(blob.hash.as_str())))?;
    }
    writer.finish(&manifest_bytes, &signature)?;
    let applied = crate::satchel::apply_file(&app, &update).await?;
    std::fs::remove_dir_all(&dir)?;
    if json_out {
        println!(
            "{}",
            json!({
                "version": manifest.version,
                "blobs_fetched": missing.len(),
                "bytes_downloaded": downloaded,
                "changed": applied.is_some(),
            })
        );
    } else {
        println!(
            "fetched {} blobs ({downloaded} bytes) from {hub}",
            missing.len()
        );
        crate::satchel::report_applied(applied, false);
    }
    Ok(ExitCode::SUCCESS)
}

/// Downloads one blob into `dir`, resuming a part left by a cut; the
/// bytes this call downloaded.
async fn download(
    http: &reqwest::Client,
    hub: &str,
    blob: &BlobRef,
    dir: &Path,
) -> anyhow::Result<u64> {
    use tokio::io::AsyncWriteExt;
    let done = dir.join(blob.hash.as_str());
    if done.is_file() {
        return Ok(0);
    }
    let part = dir.join(format!("{}.part", blob.hash));
    let have = std::fs::metadata(&part).map_or(0, |m| m.len());
    let mut request = http.get(format!("{hub}/media/b/{}.bin", blob.hash));
    if have > 0 && have < blob.size {
        request = request.header("range", format!("bytes={have}-"));
    }
    let mut response = request.send().await.with_context(|| {
        format!("the connection to {hub} was cut; run the fetch again to resume")
    })?;
    let resumed = response.status() == reqwest::StatusCode::PARTIAL_CONTENT;
    if !response.status().is_success() {
        bail!("the hub has no blob {} ({})", blob.hash, response.status());
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(resumed)
        .write(true)
        .truncate(!resumed)
        .open(&part)
        .await?;
    let mut got = 0u64;
    loop {
        let chunk = response.chunk().await.with_context(|| {
            format!("the connection to {hub} was cut; run the fetch again to resume")
        });
        let chunk = match chunk {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                file.flush().await?;
                return Err(e);
            }
        };
        file.write_all(&chunk).await?;
        got += chunk.len() as u64;
    }
    file.sync_all().await?;
    drop(file);
    let bytes = std::fs::File::open(&part)?;
    let mut hasher = blake3::Hasher::new();
    std::io::copy(&mut std::io::BufReader::new(bytes), &mut hasher)?;
    if hasher.finalize().to_hex().as_str() != blob.hash.as_str() {
        std::fs::remove_file(&part)?;
        bail!(
            "blob {} came damaged from the hub; run the fetch again",
            blob.hash
        );
    }
    std::fs::rename(&part, &done)?;
    Ok(got)
}

/// Records the hub sent this box, a chunk after another.
async fn import_at_box(
    app: &App,
    writer: &Writer,
    b: &BoxSide,
    frames: FrameReader<impl std::io::Read>,
    file: &Path,
    done: &mut Imported,
) {
    for frame in frames {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                done.refused.push(format!("{}: {e}", file.display()));
                break;
            }
        };
        done.chunks += 1;
        let result = match down_chunk(b, &frame.payload, &frame.signature) {
            Ok(chunk) => store(&app.db, writer, chunk.statements, "hub")
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        log(app, &b.id, "import", &result).await;
        match result {
            Ok(a) => add(&mut done.total, a),
            Err(e) => done
                .refused
                .push(format!("{} byte {}: {e}", file.display(), frame.offset)),
        }
    }
}

/// A box the hub certified, with the logins of its schools' members.
type Certified = (BoxRow, Arc<HashSet<String>>);

/// A chunk being checked on another thread, with what its settling needs.
struct InFlight {
    at: String,
    b: BoxRow,
    check: tokio::task::JoinHandle<Result<Checked, String>>,
}

/// Records boxes sent the hub. Chunk N+1 is checked (signature, every
/// statement) on another thread while chunk N is written, so both cores
/// work; chunks are still written and counted in the file's order.
async fn import_at_hub(
    app: &App,
    writer: &Writer,
    home: &str,
    frames: FrameReader<impl std::io::Read>,
    file: &Path,
    done: &mut Imported,
) -> anyhow::Result<()> {
    let mut boxes: HashMap<String, Option<Certified>> = HashMap::new();
    let mut in_flight: Option<InFlight> = None;
    for frame in frames {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                done.refused.push(format!("{}: {e}", file.display()));
                break;
            }
        };
        done.chunks += 1;
        let at = format!("{} byte {}", file.display(), frame.offset);
        let claimed = serde_json::from_slice::<Claimed>(&frame.payload)
            .map(|c| c.box_id)
            .map_err(|e| format!("the chunk does not parse: {e}"));
        let known = match &claimed {
            Ok(id) => match boxes.get(id) {
                Some(k) => k.clone(),
                None => {
                    let row = app.db.sync_box(id).await?;
                    let k = match row {
                        Some(row) => {
                            let members = app.db.members_of_schools(&row.schools).await?;
                            Some((row, Arc::new(members)))
                        }
                        None => None,
                    };
                    boxes.insert(id.clone(), k.clone());
                    k
                }
            },
            Err(_) => None,
        };
        let Some((b, members)) = known else {
            let reason = match &claimed {
                Ok(id) => format!("box {id} is unknown to this hub: nothing taken"),
                Err(e) => e.clone(),
            };
            app.db
                .log_sync(&SyncEvent {
                    box_id: claimed.unwrap_or_else(|_| "?".into()),
                    at: cartable_store::now(),
                    kind: "import".into(),
                    ok: false,
                    accepted: 0,
                    duplicates: 0,
                    detail: reason.clone(),
                })
                .await?;
            done.refused.push(format!("{at}: {reason}"));
            continue;
        };
        let (row, home) = (b.clone(), home.to_owned());
        let check = tokio::task::spawn_blocking(move || {
            check_up(&row, &members, &home, &frame.payload, &frame.signature)
        });
        if let Some(previous) = in_flight.replace(InFlight { at, b, check }) {
            settle_import(app, writer, previous, done).await?;
        }
    }
    if let Some(last) = in_flight {
        settle_import(app, writer, last, done).await?;
    }
    Ok(())
}

async fn settle_import(
    app: &App,
    writer: &Writer,
    chunk: InFlight,
    done: &mut Imported,
) -> anyhow::Result<()> {
    let checked = chunk
        .check
        .await
        .map_err(|e| anyhow::anyhow!("a check stopped: {e}"))?
        .map_err(Refused::Bad);
    match settle(&app.db, writer, &chunk.b, "import", checked).await {
        Ok((a, _)) => add(&mut done.total, a),
        Err(Refused::Fault(e)) => bail!("{}: {e} (nothing lost: import the file again)", chunk.at),
        Err(Refused::Bad(e)) => done.refused.push(format!("{}: {e}", chunk.at)),
    }
    Ok(())
}
