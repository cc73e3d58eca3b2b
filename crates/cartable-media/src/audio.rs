//! The library's audio: each chapter or episode becomes two files, one for
//! listening (AAC-LC in MP4, what every phone and podcast app plays) and a
//! low-data one (Opus in WebM at 32 kbit/s mono, about 14 MB an hour, clear
//! enough for speech); a whole book also becomes one M4B with its chapter
//! marks, for listening offline in any player.
//!
//! WebM rather than Ogg for Opus: a browser learns an Ogg file's duration
//! by reading its end, which on a 256 kbit/s line put the first sound 4.5 s
//! after opening the page, against 1.3 s for WebM, whose header says it
//! (`bench/library.sh`).
//!
//! Plain files, not HLS: an `<audio src>` plays them from the first bytes
//! over HTTP ranges, podcast apps and Readium players want a file per
//! enclosure or reading-order item, and a listener can keep one.

use crate::tool::{self, MediaError};
use std::path::{Path, PathBuf};

/// Names the settings below; part of every import's fingerprint.
pub const AUDIO_LADDER: &str = "audio-v2/aac96-mp4/opus32c-mono-webm";

/// The media types with codecs of the two renditions and of the M4B.
pub const LISTEN_MIME: &str = "audio/mp4; codecs=\"mp4a.40.2\"";
pub const LOW_MIME: &str = "audio/webm; codecs=\"opus\"";
pub const BOOK_MIME: &str = "audio/mp4; codecs=\"mp4a.40.2\"";

/// What ffprobe says about an audio source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AudioProbe {
    pub duration_ms: u64,
    pub channels: u32,
    /// Chapter marks inside the file (M4B, MP3 with ID3 CHAP).
    pub chapters: Vec<ProbedChapter>,
    /// Its title tag, if any.
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProbedChapter {
    pub start_ms: u64,
    pub end_ms: u64,
    pub title: String,
}

#[derive(serde::Deserialize)]
struct Json {
    #[serde(default)]
    streams: Vec<Stream>,
    #[serde(default)]
    chapters: Vec<Chapter>,
    format: Option<Format>,
}

#[derive(serde::Deserialize)]
struct Stream {
    codec_type: Option<String>,
    channels: Option<u32>,
}

#[derive(serde::Deserialize)]
struct Chapter {
    start_time: Option<String>,
    end_time: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

#[derive(serde::Deserialize)]
struct Format {
    duration: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

fn ms(text: Option<&String>) -> Option<u64> {
    let s: f64 = text?.parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| (s * 1000.0).round() as u64)
}

fn unsupported(file: &Path, detail: impl Into<String>) -> MediaError {
    MediaError::Unsupported {
        file: file.to_owned(),
        detail: detail.into(),
    }
}

pub async fn probe(file: &Path) -> Result<AudioProbe, MediaError> {
    let out = tool::run(
        "ffprobe",
        [
            "-v".as_ref(),
            "error".as_ref(),
            "-show_entries".as_ref(),
            "stream=codec_type,channels:format=duration:format_tags=title:chapter=start_time,end_time:chapter_tags=title".as_ref(),
            "-of".as_ref(),
            "json".as_ref(),
            file.as_os_str(),
        ],
        file,
    )
    .await?;
    let json: Json = serde_json::from_slice(&out)
        .map_err(|e| unsupported(file, format!("ffprobe gave no usable answer: {e}")))?;
    let channels = json
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"))
        .map(|s| s.channels.unwrap_or(2))
        .ok_or_else(|| unsupported(file, "it holds no audio"))?;
    let format = json.format.unwrap_or(Format {
        duration: None,
        tags: Default::default(),
    });
    let duration_ms = ms(format.duration.as_ref())
        .filter(|d| *d > 0)
        .ok_or_else(|| unsupported(file, "its duration is unknown or zero"))?;
    let chapters = json
        .chapters
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let start_ms = ms(c.start_time.as_ref())?;
            let end_ms = ms(c.end_time.as_ref())?.min(duration_ms);
            let title = c
                .tags
                .get("title")
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("{}", i + 1));
            (end_ms > start_ms).then_some(ProbedChapter {
                start_ms,
                end_ms,
                title,
            })
        })
        .collect();
    Ok(AudioProbe {
        duration_ms,
        channels,
        chapters,
        title: format.tags.get("title").cloned(),
    })
}

/// The two renditions of one source (or of a part of it), written as
/// `{name}.m4a` and `{name}.weba` in `out`.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub listen: PathBuf,
    pub low: PathBuf,
    pub duration_ms: u64,
}

/// Encodes `source` (from `part.0` to `part.1` ms when given) into both
/// renditions, in one ffmpeg run.
pub async fn encode(
    source: &Path,
    part: Option<(u64, u64)>,
    channels: u32,
    out: &Path,
    name: &str,
) -> Result<Encoded, MediaError> {
    tokio::fs::create_dir_all(out).await?;
    let listen = out.join(format!("{name}.m4a"));
    let low = out.join(format!("{name}.weba"));
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
        .map(String::from)
        .to_vec();
    if let Some((start, end)) = part {
        args.extend([
            "-ss".into(),
            format!("{:.3}", start as f64 / 1000.0),
            "-to".into(),
            format!("{:.3}", end as f64 / 1000.0),
        ]);
    }
    args.extend(["-i".into(), source.display().to_string()]);
    // Chapter marks and cover art of the source stay out: a part is a
    // chapter of its own, and the cover is stored once.
    let common = [
        "-map",
        "0:a:0",
        "-vn",
        "-map_chapters",
        "-1",
        "-map_metadata",
        "-1",
    ];
    args.extend(common.map(String::from));
    args.extend(
        [
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-ac",
            if channels >= 2 { "2" } else { "1" },
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ]
        .map(String::from),
    );
    args.push(listen.display().to_string());
    args.extend(common.map(String::from));
    args.extend(
        [
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-ac",
            "1",
            "-application",
            "voip",
            // Constrained VBR: about 32 kbit/s whatever the sound, so an
            // hour costs a predictable 14 MB.
            "-vbr",
            "constrained",
            "-f",
            "webm",
        ]
        .map(String::from),
    );
    args.push(low.display().to_string());
    tool::run("ffmpeg", &args, source).await?;
    let duration_ms = probe(&listen).await?.duration_ms;
    Ok(Encoded {
        listen,
        low,
        duration_ms,
    })
}

/// The literacy path's short sounds (prompts, letters, words): one AAC
/// file, mono at 48 kbit/s, which every browser plays.
pub const SHORT_LADDER: &str = "short-v1/aac48-mono-mp4";

/// Encodes a short sound into `out` (an `.m4a` path).
pub async fn encode_short(source: &Path, out: &Path) -> Result<(), MediaError> {
    if let Some(dir) = out.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i"]
        .map(String::from)
        .to_vec();
    args.push(source.display().to_string());
    args.extend(
        [
            "-map",
            "0:a:0",
            "-vn",
            "-map_metadata",
            "-1",
            "-c:a",
            "aac",
            "-b:a",
            "48k",
            "-ac",
            "1",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ]
        .map(String::from),
    );
    args.push(out.display().to_string());
    tool::run("ffmpeg", &args, source).await.map(|_| ())
}

/// ffmpeg's metadata file format: `=`, `;`, `#`, `\` and new lines are
/// escaped with a backslash.
fn metadata_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '=' | ';' | '#' | '\\' | '\n') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Joins the listening files of a book's chapters (`(file, title,
/// duration)`) into one M4B at `out`, with a chapter mark at each, the
/// book's title and author as tags. The audio is copied, not encoded again.
pub async fn join_book(
    chapters: &[(PathBuf, String, u64)],
    title: &str,
    author: &str,
    out: &Path,
) -> Result<(), MediaError> {
    let first = chapters
        .first()
        .map(|c| c.0.clone())
        .ok_or_else(|| unsupported(out, "a book needs at least one chapter"))?;
    let dir = out.parent().unwrap_or(Path::new("."));
    let list = dir.join("concat.txt");
    let meta = dir.join("chapters.txt");
    let mut list_text = String::from("ffconcat version 1.0\n");
    let mut meta_text = format!(
        ";FFMETADATA1\ntitle={}\nartist={}\nalbum={}\ngenre=Audiobook\n",
        metadata_escape(title),
        metadata_escape(author),
        metadata_escape(title)
    );
    let mut at = 0;
    for (file, chapter, duration) in chapters {
        let path = file.display().to_string().replace('\'', "'\\''");
        list_text.push_str(&format!("file '{path}'\n"));
        meta_text.push_str(&format!(
            "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART={at}\nEND={}\ntitle={}\n",
            at + duration,
            metadata_escape(chapter)
        ));
        at += duration;
    }
    tokio::fs::write(&list, list_text).await?;
    tokio::fs::write(&meta, meta_text).await?;
    let args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
    ]
    .map(String::from)
    .into_iter()
    .chain([
        list.display().to_string(),
        "-i".into(),
        meta.display().to_string(),
    ])
    .chain(
        [
            "-map",
            "0:a",
            "-map_metadata",
            "1",
            "-map_chapters",
            "1",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            "-f",
            "ipod",
        ]
        .map(String::from),
    )
    .chain([out.display().to_string()])
    .collect();
    tool::run("ffmpeg", &args, &first).await?;
    let _ = tokio::fs::remove_file(&list).await;
    let _ = tokio::fs::remove_file(&meta).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_text_is_escaped() {
        assert_eq!(metadata_escape("a=b;c#d\\e\nf"), "a\\=b\\;c\\#d\\\\e\\\nf");
    }
}
