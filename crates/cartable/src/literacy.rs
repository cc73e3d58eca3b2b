//! `cartable import literacy DIR`: a literacy course (`literacy.json` and
//! the sounds and pictures it names) in. Everything is checked first, every
//! sound read by ffprobe, and nothing is written when anything is wrong;
//! the same folder again changes nothing.

use crate::App;
use crate::import::{Rejected, finish, hash_file};
use anyhow::Context;
use cartable_core::literacy::{COURSE_FILE, Course, CourseFile, Item, Lesson, Picture, Sound};
use cartable_core::manifest::Problem;
use cartable_media::audio;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The course's folder, with literacy.json.
    dir: PathBuf,
    /// Print one JSON report on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize, Default)]
struct Report {
    imported: Vec<String>,
    unchanged: Vec<String>,
    failed: Vec<String>,
    rejected: Vec<Rejected>,
}

fn problem(dir: &Path, file: &str, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        file: dir.join(file).display().to_string(),
        line: 0,
        field: field.into(),
        message: message.into(),
    }
}

/// Every file the course names: (where in literacy.json, path, is a sound).
fn named_files(file: &CourseFile) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for (lang, prompts) in &file.prompts {
        for (key, f) in prompts {
            out.push((format!("prompts.{lang}.{key}"), f.clone(), true));
        }
    }
    for (i, l) in file.lessons.iter().enumerate() {
        out.push((format!("lessons[{i}].picture"), l.picture.clone(), false));
        out.push((format!("lessons[{i}].sound"), l.sound.clone(), true));
        for (j, item) in l.items.iter().enumerate() {
            out.push((
                format!("lessons[{i}].items[{j}].picture"),
                item.picture.clone(),
                false,
            ));
            out.push((
                format!("lessons[{i}].items[{j}].sound"),
                item.sound.clone(),
                true,
            ));
        }
    }
    out
}

/// Reads and checks the course; every problem found, by file and field.
async fn plan(dir: &Path) -> Result<(CourseFile, String), Vec<Problem>> {
    let text = std::fs::read_to_string(dir.join(COURSE_FILE))
        .map_err(|e| vec![problem(dir, COURSE_FILE, "", format!("cannot read: {e}"))])?;
    let file: CourseFile = serde_json::from_str(&text).map_err(|e| {
        vec![problem(
            dir,
            COURSE_FILE,
            "",
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )]
    })?;
    file.check()
        .map_err(|m| vec![problem(dir, COURSE_FILE, "", m)])?;
    let mut problems = Vec::new();
    let mut fingerprint = blake3::Hasher::new();
    fingerprint.update(audio::SHORT_LADDER.as_bytes());
    fingerprint.update(text.as_bytes());
    let mut probed: HashMap<String, bool> = HashMap::new();
    for (field, name, is_sound) in named_files(&file) {
        let path = dir.join(&name);
        if !path.is_file() {
            problems.push(problem(
                dir,
                &name,
                &field,
                "no such file in the course's folder",
            ));
            continue;
        }
        if let Ok(h) = hash_file(&path) {
            fingerprint.update(h.as_bytes());
        }
        if is_sound && !probed.contains_key(&name) {
            let ok = match audio::probe(&path).await {
                Ok(_) => true,
                Err(e @ cartable_media::MediaError::ToolMissing(_)) => {
                    return Err(vec![problem(dir, "", "", e.to_string())]);
                }
                Err(e) => {
                    problems.push(problem(dir, &name, &field, e.to_string()));
                    false
                }
            };
            probed.insert(name, ok);
        }
    }
    if problems.is_empty() {
        Ok((file, fingerprint.finalize().to_hex().to_string()))
    } else {
        Err(problems)
    }
}

/// Stores the course's files, each once.
struct Stored<'a> {
    app: &'a App,
    dir: &'a Path,
    scratch: PathBuf,
    sounds: HashMap<String, Sound>,
    pictures: HashMap<String, Picture>,
}

impl Stored<'_> {
    async fn sound(&mut self, name: &str) -> anyhow::Result<Sound> {
        if let Some(s) = self.sounds.get(name) {
            return Ok(s.clone());
        }
        let out = self.scratch.join(format!("{}.m4a", self.sounds.len()));
        audio::encode_short(&self.dir.join(name), &out)
            .await
            .with_context(|| name.to_owned())?;
        let (blob, size) = self.app.blobs.put_file(&out).await?;
        let _ = tokio::fs::remove_file(&out).await;
        let sound = Sound { blob, size };
        self.sounds.insert(name.to_owned(), sound.clone());
        Ok(sound)
    }

    async fn picture(&mut self, name: &str) -> anyhow::Result<Picture> {
        if let Some(p) = self.pictures.get(name) {
            return Ok(p.clone());
        }
        let (blob, _) = self.app.blobs.put_file(&self.dir.join(name)).await?;
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let picture = Picture { blob, ext };
        self.pictures.insert(name.to_owned(), picture.clone());
        Ok(picture)
    }
}

async fn store(app: &App, dir: &Path, file: &CourseFile, fingerprint: &str) -> anyhow::Result<()> {
    let scratch = app
        .config
        .scratch_dir()
        .join(format!("literacy-{}", file.id));
    let mut stored = Stored {
        app,
        dir,
        scratch: scratch.clone(),
        sounds: HashMap::new(),
        pictures: HashMap::new(),
    };
    let mut prompts = BTreeMap::new();
    for (lang, keys) in &file.prompts {
        let mut sounds = BTreeMap::new();
        for (key, name) in keys {
            sounds.insert(key.clone(), stored.sound(name).await?);
        }
        prompts.insert(lang.clone(), sounds);
    }
    let mut lessons = Vec::new();
    for l in &file.lessons {
        let mut items = Vec::new();
        for i in &l.items {
            items.push(Item {
                id: i.id.clone(),
                text: i.text.trim().to_owned(),
                label: i.label.trim().to_owned(),
                picture: stored.picture(&i.picture).await?,
                sound: stored.sound(&i.sound).await?,
            });
        }
        lessons.push(Lesson {
            id: l.id.clone(),
            stage: l.stage,
            title: l.title.trim().to_owned(),
            picture: stored.picture(&l.picture).await?,
            sound: stored.sound(&l.sound).await?,
            items,
        });
    }
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    let course = Course {
        id: file.id.clone(),
        title: file.title.trim().to_owned(),
        lang: file.lang.clone(),
        prompts,
        lessons,
    };
    app.db.put_literacy(&course, fingerprint).await?;
    Ok(())
}

pub async fn import(app: App, args: Args) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    match plan(&args.dir).await {
        Err(problems) => {
            report.rejected = problems.iter().map(Rejected::from).collect();
            crate::import::report_problems(&problems, &args.dir, false, args.json, &report)?;
            Ok(ExitCode::FAILURE)
        }
        Ok((file, fingerprint)) => {
            if app.db.literacy_fingerprint(&file.id).await?.as_deref() == Some(fingerprint.as_str())
            {
                report.unchanged.push(file.id.clone());
            } else {
                match store(&app, &args.dir, &file, &fingerprint).await {
                    Ok(()) => report.imported.push(file.id.clone()),
                    Err(e) => {
                        eprintln!("failed: {}: {e:#}", args.dir.display());
                        report.failed.push(file.id.clone());
                    }
                }
            }
            let counts = [
                report.imported.len(),
                report.unchanged.len(),
                report.failed.len(),
                0,
            ];
            finish(args.json, &report, counts)
        }
    }
}
