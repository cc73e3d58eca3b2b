//! The rendition ladder: one source becomes an audio-only rendition (the
//! cheapest way to follow a lesson, and the one for listening) and H.264
//! renditions at 240p, 360p and 720p where the source is tall enough, each a
//! single fragmented MP4 addressed by byte ranges from its HLS playlist.

use crate::playlist;
use crate::tool::{self, MediaError, Probe};
use cartable_core::renditions::{self, RenditionFile, RenditionKind, RenditionSet};
use std::path::Path;

/// Names the ladder below; change it whenever the encoding settings change,
/// so cached transcodes made with older settings are not reused.
pub const LADDER_VERSION: &str = "v1/aac64/h264main-240:300k-360:600k-720:1800k/hls4s";

const AUDIO_BITRATE: &str = "64k";
const SEGMENT_SECONDS: &str = "4";
/// The audio of every rendition: AAC-LC, stereo, at [`AUDIO_BITRATE`].
const AUDIO_CODEC: [&str; 6] = ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2"];
/// Heights and their video bitrates.
const RUNGS: &[(u32, u32)] = &[(240, 300), (360, 600), (720, 1800)];

#[derive(Debug, Clone)]
pub struct TranscodeOptions {
    /// Video heights to produce, among 240, 360 and 720.
    pub heights: Vec<u32>,
}

impl Default for TranscodeOptions {
    fn default() -> Self {
        TranscodeOptions {
            heights: RUNGS.iter().map(|(h, _)| *h).collect(),
        }
    }
}

/// The rungs this source gets: every asked height the source reaches, and
/// at least the smallest, at the source's own height if it is shorter.
fn rungs(source_height: u32, wanted: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = RUNGS
        .iter()
        .copied()
        .filter(|(h, _)| wanted.contains(h) && *h <= source_height)
        .collect();
    if out.is_empty() {
        let (_, bitrate) = RUNGS[0];
        out.push((source_height.max(2) & !1, bitrate));
    }
    out
}

fn hls_args(out: &Path, name: &str) -> Vec<String> {
    let file = format!("{name}.mp4");
    vec![
        "-f".into(),
        "hls".into(),
        "-hls_time".into(),
        SEGMENT_SECONDS.into(),
        "-hls_playlist_type".into(),
        "vod".into(),
        "-hls_segment_type".into(),
        "fmp4".into(),
        "-hls_flags".into(),
        "single_file".into(),
        "-hls_segment_filename".into(),
        out.join(&file).display().to_string(),
        out.join(format!("{name}.m3u8")).display().to_string(),
    ]
}

fn input_args(source: &Path) -> Vec<String> {
    ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([source.display().to_string()])
        .collect()
}

async fn describe(
    out: &Path,
    name: &str,
    kind: RenditionKind,
    size: Option<(u32, u32)>,
    codecs: String,
    duration_ms: u64,
) -> Result<RenditionFile, MediaError> {
    let playlist_name = format!("{name}.m3u8");
    let text = tokio::fs::read_to_string(out.join(&playlist_name)).await?;
    let (bandwidth, average_bandwidth) =
        playlist::measure(&text, duration_ms).map_err(|detail| MediaError::Unsupported {
            file: out.join(&playlist_name),
            detail,
        })?;
    Ok(RenditionFile {
        name: name.to_owned(),
        kind,
        width: size.map(|(w, _)| w),
        height: size.map(|(_, h)| h),
        bandwidth,
        average_bandwidth,
        codecs,
        file: format!("{name}.mp4"),
        playlist: playlist_name,
    })
}

async fn audio_rendition(
    source: &Path,
    out: &Path,
    duration_ms: u64,
) -> Result<RenditionFile, MediaError> {
    let mut args = input_args(source);
    args.extend(["-map", "0:a:0", "-vn"].map(String::from));
    args.extend(AUDIO_CODEC.map(String::from));
    args.extend(hls_args(out, "audio"));
    tool::run("ffmpeg", &args, source).await?;
    describe(
        out,
        "audio",
        RenditionKind::Audio,
        None,
        "mp4a.40.2".into(),
        duration_ms,
    )
    .await
}

async fn video_rendition(
    source: &Path,
    out: &Path,
    probe: &Probe,
    (height, kbps): (u32, u32),
) -> Result<RenditionFile, MediaError> {
    let name = format!("{height}p");
    let mut args = input_args(source);
    args.extend(["-map", "0:v:0"].map(String::from));
    if probe.has_audio {
        args.extend(["-map", "0:a:0"].map(String::from));
        args.extend(AUDIO_CODEC.map(String::from));
    }
    args.extend([
        "-vf".into(),
        format!("scale=-2:{height},format=yuv420p"),
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        "veryfast".into(),
        "-profile:v".into(),
        "main".into(),
        "-b:v".into(),
        format!("{kbps}k"),
        "-maxrate".into(),
        format!("{}k", kbps * 3 / 2),
        "-bufsize".into(),
        format!("{}k", kbps * 2),
        // A key frame every 2 s lets every 4 s segment start on one.
        "-force_key_frames".into(),
        "expr:gte(t,n_forced*2)".into(),
    ]);
    args.extend(hls_args(out, &name));
    tool::run("ffmpeg", &args, source).await?;
    let file = out.join(format!("{name}.mp4"));
    let level = tool::h264_level(&file).await?;
    let codecs = if probe.has_audio {
        format!("avc1.4d40{level:02x},mp4a.40.2")
    } else {
        format!("avc1.4d40{level:02x}")
    };
    let (w, h) = probe.video.unwrap_or((height * 16 / 9, height));
    let width = ((u64::from(w) * u64::from(height) / u64::from(h.max(1))) as u32 + 1) & !1;
    describe(
        out,
        &name,
        RenditionKind::Video,
        Some((width, height)),
        codecs,
        probe.duration_ms,
    )
    .await
}

async fn still(
    source: &Path,
    out: &Path,
    probe: &Probe,
    name: &str,
    filter: &str,
) -> Result<(), MediaError> {
    let at = format!("{:.3}", (probe.duration_ms as f64 / 2000.0).min(1.0));
    let mut args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-ss",
    ]
    .map(String::from)
    .to_vec();
    args.extend([
        at,
        "-i".into(),
        source.display().to_string(),
        "-frames:v".into(),
        "1".into(),
        "-vf".into(),
        filter.into(),
        "-q:v".into(),
        "4".into(),
        out.join(name).display().to_string(),
    ]);
    tool::run("ffmpeg", &args, source).await.map(|_| ())
}

/// Transcodes `source` into the rendition-set directory `out` and writes
/// its `renditions.json`. `out` should be a fresh directory: the caller
/// decides what survives a failure.
pub async fn transcode(
    source: &Path,
    out: &Path,
    options: &TranscodeOptions,
) -> Result<RenditionSet, MediaError> {
    let probe = tool::probe(source).await?;
    tokio::fs::create_dir_all(out).await?;
    let mut set = RenditionSet {
        duration_ms: probe.duration_ms,
        renditions: Vec::new(),
        poster: None,
        thumbnail: None,
    };
    if probe.has_audio {
        set.renditions
            .push(audio_rendition(source, out, probe.duration_ms).await?);
    }
    if let Some((_, source_height)) = probe.video {
        for rung in rungs(source_height, &options.heights) {
            set.renditions
                .push(video_rendition(source, out, &probe, rung).await?);
        }
        still(source, out, &probe, "poster.jpg", "scale=-2:'min(720,ih)'").await?;
        still(source, out, &probe, "thumbnail.jpg", "scale=320:-2").await?;
        set.poster = Some("poster.jpg".into());
        set.thumbnail = Some("thumbnail.jpg".into());
    }
    let json = serde_json::to_vec_pretty(&set).map_err(std::io::Error::other)?;
    tokio::fs::write(out.join(renditions::FILE_NAME), json).await?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_stops_at_the_source_height() {
        let all = [240, 360, 720];
        assert_eq!(
            rungs(1080, &all).iter().map(|r| r.0).collect::<Vec<_>>(),
            [240, 360, 720]
        );
        assert_eq!(
            rungs(480, &all).iter().map(|r| r.0).collect::<Vec<_>>(),
            [240, 360]
        );
        assert_eq!(
            rungs(181, &all).iter().map(|r| r.0).collect::<Vec<_>>(),
            [180]
        );
        assert_eq!(
            rungs(1080, &[360]).iter().map(|r| r.0).collect::<Vec<_>>(),
            [360]
        );
    }
}
