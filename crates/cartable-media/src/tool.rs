//! Running ffmpeg and ffprobe: the only module that spawns them.
//!
//! A missing tool becomes one sentence saying how to install it; a source
//! ffmpeg cannot read names the file and quotes ffmpeg's own last words.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(
        "{0} not found: install it with your package manager (for example `apt-get install ffmpeg`); it is needed to import video and audio"
    )]
    ToolMissing(&'static str),
    #[error("{file}: ffmpeg cannot read this media file: {detail}")]
    Unreadable { file: PathBuf, detail: String },
    #[error("{file}: {detail}")]
    Unsupported { file: PathBuf, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The last meaningful lines ffmpeg printed, enough to say what went wrong.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

/// Runs `tool` with `args`; on failure the error names `source`.
pub async fn run<I, S>(tool: &'static str, args: I, source: &Path) -> Result<Vec<u8>, MediaError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => MediaError::ToolMissing(tool),
            _ => MediaError::Io(e),
        })?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(MediaError::Unreadable {
            file: source.to_owned(),
            detail: tail(&output.stderr),
        })
    }
}

/// What ffprobe says about a source: its duration and first streams.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub duration_ms: u64,
    pub video: Option<(u32, u32)>,
    pub has_audio: bool,
}

#[derive(serde::Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    #[serde(default)]
    format: Option<ProbeFormat>,
}

#[derive(serde::Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    level: Option<i64>,
    #[serde(default)]
    disposition: std::collections::HashMap<String, i64>,
}

#[derive(serde::Deserialize)]
struct ProbeFormat {
    duration: Option<String>,
}

async fn probe_json(file: &Path) -> Result<ProbeJson, MediaError> {
    let out = run(
        "ffprobe",
        [OsStr::new("-v"), OsStr::new("error"), OsStr::new("-show_entries"), OsStr::new("stream=codec_type,width,height,level:stream_disposition=attached_pic:format=duration"), OsStr::new("-of"), OsStr::new("json"), file.as_os_str()],
        file,
    )
    .await?;
    serde_json::from_slice(&out).map_err(|e| MediaError::Unreadable {
        file: file.to_owned(),
        detail: format!("ffprobe gave no usable answer: {e}"),
    })
}

pub async fn probe(file: &Path) -> Result<Probe, MediaError> {
    let json = probe_json(file).await?;
    // Cover art in an MP3 or M4A is a "video" stream too; it is not a video.
    let video = json
        .streams
        .iter()
        .find(|s| {
            s.codec_type.as_deref() == Some("video")
                && s.disposition.get("attached_pic").copied().unwrap_or(0) == 0
        })
        .and_then(|s| Some((s.width?, s.height?)));
    let has_audio = json
        .streams
        .iter()
        .any(|s| s.codec_type.as_deref() == Some("audio"));
    let seconds: f64 = json
        .format
        .and_then(|f| f.duration)
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    if video.is_none() && !has_audio {
        return Err(MediaError::Unsupported {
            file: file.to_owned(),
            detail: "it holds neither video nor audio".into(),
        });
    }
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(MediaError::Unsupported {
            file: file.to_owned(),
            detail: "its duration is unknown or zero".into(),
        });
    }
    Ok(Probe {
        duration_ms: (seconds * 1000.0).round() as u64,
        video,
        has_audio,
    })
}

/// The H.264 level of a transcoded file's video, for its codecs string.
pub async fn h264_level(file: &Path) -> Result<u8, MediaError> {
    let json = probe_json(file).await?;
    let level = json
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video"))
        .and_then(|s| s.level);
    Ok(level.and_then(|l| u8::try_from(l).ok()).unwrap_or(30))
}
