//! Capsule manifests: what an editor hands to `cartable import capsules`.
//!
//! Two spellings of the same content: a JSON document (`programmes` and
//! `capsules` arrays) and a CSV file with one capsule per row. Both are read
//! into [`Manifest`] and validated as a whole before anything is written;
//! every problem names the file, the line and the field.
//!
//! CSV columns: `id, lang, title, title_<lang>…, summary, summary_<lang>…,
//! level, subject, programme, position, programme_title, programme_title_<lang>…,
//! media, captions, captions_<lang>…, transcript, attachments, tags`.
//! `attachments` and `tags` are `;`-separated. Paths are relative to the
//! manifest's folder. `media` names a video or audio file, or a directory
//! holding an already transcoded rendition set (`renditions.json`).

use crate::renditions::{self, RenditionSet};
use crate::{CapsuleId, Lang, LevelId, ProgrammeId, SubjectId, Taxonomy, Translations};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};

const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 5_000;
const MAX_TRANSCRIPT: usize = 200_000;
const MAX_TAGS: usize = 32;
const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;
/// A manifest larger than this is certainly not a manifest.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// One thing wrong with a manifest, at a place the editor can find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.file, self.line, self.field, self.message
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeEntry {
    pub line: usize,
    pub id: ProgrammeId,
    pub titles: Translations,
    pub summaries: Translations,
    pub level: Option<LevelId>,
    pub subject: Option<SubjectId>,
}

/// Where a capsule's media comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaSource {
    /// A video or audio file to transcode.
    File(PathBuf),
    /// A directory with an already transcoded rendition set.
    Transcoded { dir: PathBuf, set: RenditionSet },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapsuleEntry {
    pub line: usize,
    pub id: CapsuleId,
    pub lang: Lang,
    pub titles: Translations,
    pub summaries: Translations,
    pub level: LevelId,
    pub subject: SubjectId,
    pub programme: Option<(ProgrammeId, u32)>,
    pub media: MediaSource,
    pub captions: BTreeMap<Lang, PathBuf>,
    pub transcript: Option<String>,
    pub attachments: Vec<PathBuf>,
    pub tags: Vec<String>,
}

/// The valid part of a manifest, and what was wrong with the rest.
#[derive(Debug, Default)]
pub struct Manifest {
    pub programmes: Vec<ProgrammeEntry>,
    pub capsules: Vec<CapsuleEntry>,
    pub problems: Vec<Problem>,
}

/// The fields of a capsule as written, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapsule {
    id: String,
    lang: String,
    titles: BTreeMap<String, String>,
    #[serde(default)]
    summaries: BTreeMap<String, String>,
    level: String,
    subject: String,
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    position: Option<u32>,
    media: String,
    #[serde(default)]
    captions: BTreeMap<String, String>,
    #[serde(default)]
    transcript: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgramme {
    id: String,
    titles: BTreeMap<String, String>,
    #[serde(default)]
    summaries: BTreeMap<String, String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    subject: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJson<'a> {
    #[serde(default, borrow)]
    programmes: Vec<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    capsules: Vec<&'a serde_json::value::RawValue>,
}

/// Collects problems while checking one entry.
struct Checker<'a> {
    file: &'a str,
    line: usize,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line: self.line,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn id<T: TryFrom<String, Error = crate::IdError>>(
        &mut self,
        field: &str,
        value: &str,
    ) -> Option<T> {
        T::try_from(value.trim().to_owned())
            .map_err(|e| self.fail(field, e.to_string()))
            .ok()
    }

    fn texts(&mut self, field: &str, raw: &BTreeMap<String, String>, max: usize) -> Translations {
        let mut out = Translations::new();
        for (lang, text) in raw {
            let Some(lang) = self.id::<Lang>(field, lang) else {
                continue;
            };
            let text = text.trim();
            if text.chars().count() > max {
                self.fail(
                    field,
                    format!("the {lang} text is longer than {max} characters"),
                );
            } else if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                self.fail(field, format!("the {lang} text holds control characters"));
            } else if !text.is_empty() {
                out.insert(lang, text.to_owned());
            }
        }
        out
    }

    /// Resolves a path written in the manifest against its folder, refusing
    /// absolute paths and `..` so a manifest cannot reach outside its folder.
    fn path(&mut self, field: &str, base: &Path, written: &str) -> Option<PathBuf> {
        let rel = Path::new(written.trim());
        if written.trim().is_empty() {
            self.fail(field, "is empty");
            return None;
        }
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            self.fail(field, format!("\"{written}\" must be a path inside the manifest's folder (no absolute path, no \"..\")"));
            return None;
        }
        let full = base.join(rel);
        if !full.exists() {
            self.fail(field, format!("file \"{written}\" does not exist"));
            return None;
        }
        Some(full)
    }
}

fn check_media(c: &mut Checker, base: &Path, written: &str) -> Option<MediaSource> {
    let path = c.path("media", base, written)?;
    if !path.is_dir() {
        return Some(MediaSource::File(path));
    }
    let described = path.join(renditions::FILE_NAME);
    let set = std::fs::read_to_string(&described)
        .map_err(|e| format!("cannot read {}: {e}", renditions::FILE_NAME))
        .and_then(|text| {
            serde_json::from_str::<RenditionSet>(&text)
                .map_err(|e| format!("{} is not valid: {e}", renditions::FILE_NAME))
        })
        .and_then(|set| {
            set.check_paths()
                .map(|()| set)
                .map_err(|e| format!("{}: {e}", renditions::FILE_NAME))
        });
    match set {
        Ok(set) => {
            let missing = set
                .renditions
                .iter()
                .flat_map(|r| [&r.file, &r.playlist])
                .find(|f| !path.join(f).is_file());
            if let Some(f) = missing {
                c.fail(
                    "media",
                    format!("\"{written}\" lists \"{f}\" but it is not there"),
                );
                return None;
            }
            Some(MediaSource::Transcoded { dir: path, set })
        }
        Err(e) => {
            c.fail("media", format!("directory \"{written}\": {e}"));
            None
        }
    }
}

fn check_capsule(
    c: &mut Checker,
    base: &Path,
    raw: RawCapsule,
    taxonomy: &Taxonomy,
) -> Option<CapsuleEntry> {
    let id = c.id::<CapsuleId>("id", &raw.id);
    let lang = c.id::<Lang>("lang", &raw.lang);
    let titles = c.texts("title", &raw.titles, MAX_TITLE);
    if let Some(lang) = lang.as_ref().filter(|l| !titles.contains_key(*l)) {
        c.fail(
            "title",
            format!("a title in the capsule's language ({lang}) is required"),
        );
    }
    let summaries = c.texts("summary", &raw.summaries, MAX_SUMMARY);
    let level = c.id::<LevelId>("level", &raw.level);
    if level
        .as_ref()
        .is_some_and(|l| taxonomy.level(l.as_str()).is_none())
    {
        c.fail(
            "level",
            format!("\"{}\" is not a level of the taxonomy", raw.level.trim()),
        );
    }
    let subject = c.id::<SubjectId>("subject", &raw.subject);
    if subject
        .as_ref()
        .is_some_and(|s| taxonomy.subject(s.as_str()).is_none())
    {
        c.fail(
            "subject",
            format!(
                "\"{}\" is not a subject of the taxonomy",
                raw.subject.trim()
            ),
        );
    }
    let programme = match (
        raw.programme
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty()),
        raw.position,
    ) {
        (None, None) => None,
        (None, Some(_)) => {
            c.fail("programme", "a position is given but no programme");
            None
        }
        (Some(_), None) | (Some(_), Some(0)) => {
            c.fail(
                "position",
                "a capsule in a programme needs a position of 1 or more",
            );
            None
        }
        (Some(p), Some(pos)) => c.id::<ProgrammeId>("programme", p).map(|p| (p, pos)),
    };
    let media = check_media(c, base, &raw.media);
    let mut captions = BTreeMap::new();
    for (l, file) in &raw.captions {
        let (Some(l), Some(path)) = (c.id::<Lang>("captions", l), c.path("captions", base, file))
        else {
            continue;
        };
        match std::fs::read(&path) {
            Ok(bytes)
                if bytes
                    .strip_prefix(b"\xEF\xBB\xBF")
                    .unwrap_or(&bytes)
                    .starts_with(b"WEBVTT") =>
            {
                captions.insert(l, path);
            }
            Ok(_) => c.fail(
                "captions",
                format!("\"{file}\" is not a WebVTT file (it must start with WEBVTT)"),
            ),
            Err(e) => c.fail("captions", format!("cannot read \"{file}\": {e}")),
        }
    }
    let mut attachments = Vec::new();
    for file in raw.attachments.iter().filter(|f| !f.trim().is_empty()) {
        let Some(path) = c.path("attachments", base, file) else {
            continue;
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() <= MAX_ATTACHMENT_BYTES => attachments.push(path),
            Ok(m) if m.is_file() => {
                c.fail("attachments", format!("\"{file}\" is larger than 50 MB"))
            }
            Ok(_) => c.fail("attachments", format!("\"{file}\" is not a file")),
            Err(e) => c.fail("attachments", format!("cannot read \"{file}\": {e}")),
        }
    }
    let tags: Vec<String> = raw
        .tags
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.len() > MAX_TAGS || tags.iter().any(|t| t.chars().count() > 64) {
        c.fail(
            "tags",
            format!("at most {MAX_TAGS} tags of at most 64 characters each"),
        );
    }
    let transcript = raw
        .transcript
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if transcript
        .as_ref()
        .is_some_and(|t| t.len() > MAX_TRANSCRIPT)
    {
        c.fail("transcript", "is longer than 200,000 bytes");
    }
    if !c.problems.is_empty() {
        return None;
    }
    Some(CapsuleEntry {
        line: c.line,
        id: id?,
        lang: lang?,
        titles,
        summaries,
        level: level?,
        subject: subject?,
        programme,
        media: media?,
        captions,
        transcript,
        attachments,
        tags,
    })
}

fn check_programme(
    c: &mut Checker,
    raw: RawProgramme,
    taxonomy: &Taxonomy,
) -> Option<ProgrammeEntry> {
    let id = c.id::<ProgrammeId>("id", &raw.id);
    let titles = c.texts("title", &raw.titles, MAX_TITLE);
    if titles.is_empty() {
        c.fail("title", "a programme needs a title");
    }
    let summaries = c.texts("summary", &raw.summaries, MAX_SUMMARY);
    let level = raw
        .level
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|l| c.id::<LevelId>("level", l));
    if level
        .as_ref()
        .is_some_and(|l| taxonomy.level(l.as_str()).is_none())
    {
        c.fail("level", "is not a level of the taxonomy");
    }
    let subject = raw
        .subject
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| c.id::<SubjectId>("subject", s));
    if subject
        .as_ref()
        .is_some_and(|s| taxonomy.subject(s.as_str()).is_none())
    {
        c.fail("subject", "is not a subject of the taxonomy");
    }
    if !c.problems.is_empty() {
        return None;
    }
    Some(ProgrammeEntry {
        line: c.line,
        id: id?,
        titles,
        summaries,
        level,
        subject,
    })
}

impl Manifest {
    /// Reads and validates the manifest at `path` (`.json`, else CSV).
    /// `known_programme` says whether a programme not declared in the
    /// manifest already exists in the catalog.
    pub fn read(
        path: &Path,
        taxonomy: &Taxonomy,
        known_programme: &dyn Fn(&str) -> bool,
    ) -> Manifest {
        let file = path.display().to_string();
        let base = path.parent().unwrap_or(Path::new("."));
        let fail = |message: String| Manifest {
            problems: vec![Problem {
                file: file.clone(),
                line: 0,
                field: String::new(),
                message,
            }],
            ..Manifest::default()
        };
        match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_MANIFEST_BYTES => {
                return fail("the manifest is larger than 64 MB".into());
            }
            Ok(m) if !m.is_file() => return fail("the manifest is not a file".into()),
            Err(e) => return fail(format!("cannot read the manifest: {e}")),
            Ok(_) => {}
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return fail(format!("cannot read the manifest: {e}")),
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return fail("the manifest is not UTF-8 text".into());
        };
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut manifest = if is_json {
            read_json(&file, base, &text, taxonomy)
        } else {
            read_csv(&file, base, &text, taxonomy)
        };
        if manifest.capsules.is_empty() && manifest.problems.is_empty() {
            manifest.problems.push(Problem {
                file: file.clone(),
                line: 1,
                field: String::new(),
                message: "the manifest lists no capsule".into(),
            });
        }
        manifest.check_whole(&file, known_programme);
        manifest
    }

    /// Checks what no single row can: duplicate ids, programme positions,
    /// programmes that exist nowhere.
    fn check_whole(&mut self, file: &str, known_programme: &dyn Fn(&str) -> bool) {
        let problem = |line: usize, field: &str, message: String| Problem {
            file: file.to_owned(),
            line,
            field: field.to_owned(),
            message,
        };
        let mut bad_lines = HashSet::new();
        let mut problems = Vec::new();
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut positions: HashMap<(&str, u32), usize> = HashMap::new();
        let declared: HashSet<&str> = self.programmes.iter().map(|p| p.id.as_str()).collect();
        for c in &self.capsules {
            if let Some(first) = ids.insert(c.id.as_str(), c.line) {
                problems.push(problem(
                    c.line,
                    "id",
                    format!("\"{}\" is already used on line {first}", c.id),
                ));
                bad_lines.insert(c.line);
            }
            if let Some((p, pos)) = &c.programme {
                if !declared.contains(p.as_str()) && !known_programme(p.as_str()) {
                    problems.push(problem(
                        c.line,
                        "programme",
                        format!("\"{p}\" is neither declared in this manifest nor in the catalog"),
                    ));
                    bad_lines.insert(c.line);
                }
                if let Some(first) = positions.insert((p.as_str(), *pos), c.line) {
                    problems.push(problem(
                        c.line,
                        "position",
                        format!("position {pos} of \"{p}\" is already taken on line {first}"),
                    ));
                    bad_lines.insert(c.line);
                }
            }
        }
        let mut seen = HashSet::new();
        for p in &self.programmes {
            if !seen.insert(p.id.as_str()) {
                problems.push(problem(
                    p.line,
                    "id",
                    format!("programme \"{}\" is declared twice", p.id),
                ));
            }
        }
        self.capsules.retain(|c| !bad_lines.contains(&c.line));
        self.problems.extend(problems);
        self.problems.sort_by_key(|p| p.line);
    }
}

/// The 1-based line on which `part`, a slice of `whole`, starts.
fn line_of(whole: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len());
    whole[..offset].bytes().filter(|b| *b == b'\n').count() + 1
}

fn read_json(file: &str, base: &Path, text: &str, taxonomy: &Taxonomy) -> Manifest {
    let mut manifest = Manifest::default();
    let raw: RawJson = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            manifest.problems.push(Problem {
                file: file.into(),
                line: e.line(),
                field: String::new(),
                message: format!("not a valid manifest: {e}"),
            });
            return manifest;
        }
    };
    for value in raw.programmes {
        let mut c = Checker {
            file,
            line: line_of(text, value.get()),
            problems: vec![],
        };
        match serde_json::from_str::<RawProgramme>(value.get()) {
            Ok(p) => manifest
                .programmes
                .extend(check_programme(&mut c, p, taxonomy)),
            Err(e) => c.fail("", format!("not a valid programme: {e}")),
        }
        manifest.problems.append(&mut c.problems);
    }
    for value in raw.capsules {
        let mut c = Checker {
            file,
            line: line_of(text, value.get()),
            problems: vec![],
        };
        match serde_json::from_str::<RawCapsule>(value.get()) {
            Ok(raw) => manifest
                .capsules
                .extend(check_capsule(&mut c, base, raw, taxonomy)),
            Err(e) => c.fail("", format!("not a valid capsule: {e}")),
        }
        manifest.problems.append(&mut c.problems);
    }
    manifest
}

const CSV_COLUMNS: &[&str] = &[
    "id",
    "lang",
    "title",
    "summary",
    "level",
    "subject",
    "programme",
    "position",
    "programme_title",
    "media",
    "captions",
    "transcript",
    "attachments",
    "tags",
];
const CSV_PER_LANGUAGE: &[&str] = &["title_", "summary_", "programme_title_", "captions_"];

fn read_csv(file: &str, base: &Path, text: &str, taxonomy: &Taxonomy) -> Manifest {
    let mut manifest = Manifest::default();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_problem = |message: String| Problem {
        file: file.into(),
        line: 1,
        field: String::new(),
        message,
    };
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect::<Vec<_>>(),
        Err(e) => {
            manifest
                .problems
                .push(header_problem(format!("cannot read the header row: {e}")));
            return manifest;
        }
    };
    for h in &headers {
        let per_lang = CSV_PER_LANGUAGE
            .iter()
            .any(|p| h.strip_prefix(p).is_some_and(|l| Lang::try_from(l).is_ok()));
        if !CSV_COLUMNS.contains(&h.as_str()) && !per_lang {
            manifest
                .problems
                .push(header_problem(format!("unknown column \"{h}\"")));
        }
    }
    for required in ["id", "lang", "title", "level", "subject", "media"] {
        if !headers.iter().any(|h| h == required) {
            manifest.problems.push(header_problem(format!(
                "the required column \"{required}\" is missing"
            )));
        }
    }
    if !manifest.problems.is_empty() {
        return manifest;
    }
    let mut programmes: BTreeMap<String, (usize, BTreeMap<String, String>)> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                manifest.problems.push(Problem {
                    file: file.into(),
                    line,
                    field: String::new(),
                    message: format!("not a valid CSV row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let mut c = Checker {
            file,
            line,
            problems: vec![],
        };
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
        };
        let per_lang = |prefix: &str, plain: &str| {
            let mut out: BTreeMap<String, String> = headers
                .iter()
                .zip(record.iter())
                .filter_map(|(h, v)| {
                    h.strip_prefix(prefix)
                        .map(|l| (l.to_owned(), v.trim().to_owned()))
                })
                .filter(|(_, v)| !v.is_empty())
                .collect();
            if !cell(plain).is_empty() {
                out.insert(cell("lang").to_owned(), cell(plain).to_owned());
            }
            out
        };
        let position = match cell("position") {
            "" => None,
            p => p
                .parse::<u32>()
                .map_err(|_| c.fail("position", format!("\"{p}\" is not a whole number")))
                .ok(),
        };
        let split = |name: &str| {
            cell(name)
                .split(';')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        let raw = RawCapsule {
            id: cell("id").into(),
            lang: cell("lang").into(),
            titles: per_lang("title_", "title"),
            summaries: per_lang("summary_", "summary"),
            level: cell("level").into(),
            subject: cell("subject").into(),
            programme: Some(cell("programme").to_owned()).filter(|p| !p.is_empty()),
            position,
            media: cell("media").into(),
            captions: per_lang("captions_", "captions"),
            transcript: Some(cell("transcript").to_owned()),
            attachments: split("attachments"),
            tags: split("tags"),
        };
        let programme_titles = per_lang("programme_title_", "programme_title");
        if let (Some(p), false) = (&raw.programme, programme_titles.is_empty()) {
            programmes
                .entry(p.clone())
                .or_insert((line, programme_titles));
        }
        if c.problems.is_empty() {
            manifest
                .capsules
                .extend(check_capsule(&mut c, base, raw, taxonomy));
        }
        manifest.problems.append(&mut c.problems);
    }
    for (id, (line, titles)) in programmes {
        let mut c = Checker {
            file,
            line,
            problems: vec![],
        };
        let raw = RawProgramme {
            id,
            titles,
            ..RawProgramme::default()
        };
        manifest
            .programmes
            .extend(check_programme(&mut c, raw, taxonomy));
        manifest.problems.append(&mut c.problems);
    }
    manifest
}

#[cfg(test)]
mod tests;
