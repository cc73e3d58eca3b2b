//! The library: audiobooks (chapters, narrator, cover; DAISY books with
//! their headings and pages) and series of episodes (a weekly story time),
//! as stored once imported, and the metadata files an editor writes in a
//! book's or a series' folder.
//!
//! Every chapter and every episode is kept in two renditions: one for
//! listening and a low-data one (Opus, about 14 MB an hour).

pub mod daisy;
pub mod text;

use crate::BlobHash;
use crate::ids::is_slug;
use serde::{Deserialize, Serialize};

/// The name of a book's metadata file in its folder.
pub const BOOK_FILE: &str = "book.json";
/// The name of a series' metadata file in its folder.
pub const SERIES_FILE: &str = "series.json";

/// One encoded audio file, stored as a blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioFile {
    pub blob: BlobHash,
    pub size: u64,
    /// Its media type with codecs, as a `<source type>` and a manifest give
    /// it: `audio/mp4; codecs="mp4a.40.2"`.
    pub mime: String,
    /// Its mean bit rate, in bit/s.
    pub bitrate: u32,
}

impl AudioFile {
    /// The media type without parameters (`audio/mp4`).
    pub fn essence(&self) -> &str {
        self.mime.split(';').next().unwrap_or("").trim()
    }

    /// The file extension browsers and podcast apps expect.
    pub fn extension(&self) -> &'static str {
        match self.essence() {
            "audio/webm" => "weba",
            "audio/ogg" => "opus",
            "audio/mpeg" => "mp3",
            _ => "m4a",
        }
    }
}

/// A mark inside one audio file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub at_ms: u64,
    pub title: String,
}

/// One audio file of a book (a chapter) or an episode, in both renditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    pub title: String,
    pub duration_ms: u64,
    /// The listening rendition.
    pub listen: AudioFile,
    /// The low-data rendition.
    pub low: AudioFile,
}

/// What a navigation point is: a heading (level 1 to 6) or a page number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "level")]
pub enum NavKind {
    Heading(u8),
    Page,
}

/// A place in a book to jump to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavPoint {
    #[serde(flatten)]
    pub kind: NavKind,
    pub label: String,
    /// The index of the track it is in.
    pub track: usize,
    pub offset_ms: u64,
}

/// An audiobook as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audiobook {
    pub id: String,
    pub title: String,
    pub author: String,
    #[serde(default)]
    pub narrator: String,
    pub lang: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<BlobHash>,
    /// Narrated by a speech synthesizer, not by a person.
    #[serde(default)]
    pub synthetic: bool,
    /// Imported from a DAISY talking book.
    #[serde(default)]
    pub daisy: bool,
    pub tracks: Vec<Track>,
    /// Headings and pages; for a book without DAISY navigation, one heading
    /// per track.
    pub nav: Vec<NavPoint>,
    /// The whole book as one file with chapter marks (M4B), for listening
    /// offline in any player.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<AudioFile>,
}

impl Audiobook {
    pub fn duration_ms(&self) -> u64 {
        self.tracks.iter().map(|t| t.duration_ms).sum()
    }

    /// Where each track starts in the whole book, in ms.
    pub fn track_starts(&self) -> Vec<u64> {
        self.tracks
            .iter()
            .scan(0, |at, t| {
                let start = *at;
                *at += t.duration_ms;
                Some(start)
            })
            .collect()
    }

    /// Bytes of the listening and the low-data renditions, summed.
    pub fn sizes(&self) -> (u64, u64) {
        self.tracks
            .iter()
            .fold((0, 0), |(l, o), t| (l + t.listen.size, o + t.low.size))
    }

    pub fn has_pages(&self) -> bool {
        self.nav.iter().any(|n| n.kind == NavKind::Page)
    }
}

/// What an episode is: its own audio, or a capsule of the catalog (a live
/// session's recording, a video lesson).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum EpisodeMedia {
    Audio { track: Track },
    Capsule { capsule: String },
}

/// One episode of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// When it was published, seconds since the epoch.
    pub published_at: i64,
    pub media: EpisodeMedia,
    /// Chapter marks: those inside its audio file, or a capsule's (a
    /// recording's slide changes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
}

/// A series as stored, without its episodes (kept apart, since live
/// sessions add episodes on their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub id: String,
    pub title: String,
    pub author: String,
    pub lang: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<BlobHash>,
}

/// A `book.json`: what an editor writes next to the audio files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookFile {
    /// Defaults to the folder's name.
    pub id: Option<String>,
    pub title: String,
    pub author: String,
    #[serde(default)]
    pub narrator: String,
    pub lang: String,
    #[serde(default)]
    pub description: String,
    /// A JPEG or PNG file in the folder.
    pub cover: Option<String>,
    #[serde(default)]
    pub synthetic: bool,
    /// The chapters in order. Without it: every audio file of the folder
    /// in name order, or the chapter marks inside a single M4B or MP3.
    #[serde(default)]
    pub chapters: Vec<ChapterFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChapterFile {
    pub file: String,
    pub title: String,
}

/// A `series.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesFile {
    pub id: Option<String>,
    pub title: String,
    pub author: String,
    pub lang: String,
    #[serde(default)]
    pub description: String,
    pub cover: Option<String>,
    pub episodes: Vec<EpisodeFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeFile {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `2026-05-01` (UTC midnight).
    pub published: String,
    /// An audio file in the folder, or…
    pub file: Option<String>,
    /// …a capsule of the catalog.
    pub capsule: Option<String>,
}

/// The audio files an import reads, by extension.
pub const AUDIO_EXTENSIONS: &[&str] = &["mp3", "m4a", "m4b", "ogg", "opus", "wav", "flac", "aac"];

pub fn is_audio_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A language code the library accepts: `fr`, `ar`, `en`, `zgh`.
fn check_lang(lang: &str) -> Result<(), String> {
    crate::Lang::try_from(lang).map(|_| ()).map_err(|_| {
        format!("lang {lang:?} is not a language code such as \"fr\", \"ar\" or \"zgh\"")
    })
}

/// A file named in a metadata file must be a plain name in the folder.
fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!(
            "{what} {name:?} must be the name of a file in the same folder"
        ));
    }
    Ok(())
}

fn check_id(id: &str) -> Result<(), String> {
    if is_slug(id) {
        Ok(())
    } else {
        Err(format!(
            "id {id:?} must be lower-case letters, digits and dashes (at most 64)"
        ))
    }
}

/// What a book's and a series' metadata files both say.
fn check_head(
    id: Option<&String>,
    title: &str,
    author: &str,
    lang: &str,
    cover: Option<&String>,
) -> Result<(), String> {
    if let Some(id) = id {
        check_id(id)?;
    }
    if title.trim().is_empty() {
        return Err("title is empty".into());
    }
    if author.trim().is_empty() {
        return Err("author is empty".into());
    }
    check_lang(lang)?;
    if let Some(cover) = cover {
        check_name("cover", cover)?;
    }
    Ok(())
}

impl BookFile {
    pub fn check(&self) -> Result<(), String> {
        check_head(
            self.id.as_ref(),
            &self.title,
            &self.author,
            &self.lang,
            self.cover.as_ref(),
        )?;
        for (i, c) in self.chapters.iter().enumerate() {
            check_name(&format!("chapters[{i}].file"), &c.file)?;
            if !is_audio_name(&c.file) {
                return Err(format!(
                    "chapters[{i}].file {:?} is not an audio file ({})",
                    c.file,
                    AUDIO_EXTENSIONS.join(", ")
                ));
            }
            if c.title.trim().is_empty() {
                return Err(format!("chapters[{i}].title is empty"));
            }
        }
        Ok(())
    }
}

/// Seconds since the epoch of a `YYYY-MM-DD` date (UTC midnight).
pub fn parse_date(text: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

impl SeriesFile {
    pub fn check(&self) -> Result<(), String> {
        check_head(
            self.id.as_ref(),
            &self.title,
            &self.author,
            &self.lang,
            self.cover.as_ref(),
        )?;
        let mut seen = std::collections::HashSet::new();
        for (i, e) in self.episodes.iter().enumerate() {
            let at = format!("episodes[{i}]");
            check_id(&e.id).map_err(|m| format!("{at}: {m}"))?;
            if !seen.insert(e.id.as_str()) {
                return Err(format!("{at}: id {:?} is used twice", e.id));
            }
            if e.title.trim().is_empty() {
                return Err(format!("{at}.title is empty"));
            }
            if parse_date(&e.published).is_none() {
                return Err(format!(
                    "{at}.published {:?} is not a date such as 2026-05-01",
                    e.published
                ));
            }
            match (&e.file, &e.capsule) {
                (Some(file), None) => {
                    check_name(&format!("{at}.file"), file)?;
                    if !is_audio_name(file) {
                        return Err(format!("{at}.file {file:?} is not an audio file"));
                    }
                }
                (None, Some(_)) => {}
                _ => return Err(format!("{at}: give either file or capsule")),
            }
        }
        Ok(())
    }
}

/// A duration as a listener reads it: `1:02:03` or `2:03`.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The activity id of a book, for the records of listening.
pub fn book_activity(public_url: &str, book: &str) -> String {
    format!("{}/library/{book}", public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(json: &str) -> Result<(), String> {
        let file: BookFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        file.check()
    }

    #[test]
    fn a_book_file_names_what_is_wrong() {
        assert!(book(r#"{"title":"T","author":"A","lang":"fr"}"#).is_ok());
        assert!(
            book(r#"{"title":" ","author":"A","lang":"fr"}"#)
                .unwrap_err()
                .contains("title")
        );
        assert!(
            book(r#"{"title":"T","author":"A","lang":"français"}"#)
                .unwrap_err()
                .contains("lang")
        );
        assert!(
            book(r#"{"title":"T","author":"A","lang":"fr","chapters":[{"file":"../x.mp3","title":"c"}]}"#)
                .unwrap_err()
                .contains("chapters[0].file")
        );
        assert!(
            book(r#"{"title":"T","author":"A","lang":"fr","chapters":[{"file":"x.txt","title":"c"}]}"#)
                .unwrap_err()
                .contains("not an audio file")
        );
        assert!(
            book(r#"{"title":"T","author":"A","lang":"fr","colour":"red"}"#)
                .unwrap_err()
                .contains("colour")
        );
    }

    #[test]
    fn a_series_file_wants_one_media_per_episode() {
        let series = |episodes: &str| {
            let json =
                format!(r#"{{"title":"S","author":"A","lang":"ar","episodes":[{episodes}]}}"#);
            serde_json::from_str::<SeriesFile>(&json)
                .map_err(|e| e.to_string())
                .and_then(|s| s.check())
        };
        assert!(
            series(r#"{"id":"e1","title":"1","published":"2026-05-01","file":"1.mp3"}"#).is_ok()
        );
        assert!(
            series(r#"{"id":"e1","title":"1","published":"2026-05-01"}"#)
                .unwrap_err()
                .contains("either file or capsule")
        );
        assert!(
            series(r#"{"id":"e1","title":"1","published":"1 May","file":"1.mp3"}"#)
                .unwrap_err()
                .contains("published")
        );
        assert!(
            series(
                r#"{"id":"e1","title":"1","published":"2026-05-01","file":"1.mp3"},{"id":"e1","title":"2","published":"2026-05-08","capsule":"c"}"#
            )
            .unwrap_err()
            .contains("twice")
        );
    }

    #[test]
    fn clocks_read_like_players_show_them() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(61_500), "1:01");
        assert_eq!(clock(3_723_000), "1:02:03");
    }
}
