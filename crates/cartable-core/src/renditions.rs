//! A rendition set: what the transcoder makes of one source video, and what a
//! pre-transcoded capsule (the demo, a satchel) carries.
//!
//! On disk it is a directory holding `renditions.json` (this module's
//! [`RenditionSet`]), one fragmented MP4 and one HLS media playlist per
//! rendition, a poster and a thumbnail. The playlists address the MP4 by byte
//! ranges, so one file serves adaptive HLS and plain progressive playback.

use serde::{Deserialize, Serialize};

/// Name of the description file inside a rendition-set directory.
pub const FILE_NAME: &str = "renditions.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenditionKind {
    Audio,
    Video,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenditionFile {
    /// `audio`, `240p`, `360p`, `720p`.
    pub name: String,
    pub kind: RenditionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Peak bits per second over any segment, as HLS's BANDWIDTH wants.
    pub bandwidth: u64,
    /// Average bits per second over the whole file.
    pub average_bandwidth: u64,
    /// RFC 6381 codecs string, e.g. `avc1.42c01e,mp4a.40.2`.
    pub codecs: String,
    /// The fragmented MP4, relative to the set's directory.
    pub file: String,
    /// The HLS media playlist addressing `file` by byte ranges.
    pub playlist: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenditionSet {
    pub duration_ms: u64,
    pub renditions: Vec<RenditionFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

impl RenditionSet {
    /// Checks that every name the set uses is a plain file name inside the
    /// directory, so a hostile set cannot point outside it.
    pub fn check_paths(&self) -> Result<(), String> {
        let names = self
            .renditions
            .iter()
            .flat_map(|r| [&r.file, &r.playlist])
            .chain(self.poster.iter())
            .chain(self.thumbnail.iter());
        for name in names {
            let plain = !name.is_empty()
                && !name.starts_with('.')
                && !name.contains(['/', '\\'])
                && name.len() < 128;
            if !plain {
                return Err(format!("\"{name}\" is not a plain file name"));
            }
        }
        if self.renditions.is_empty() {
            return Err("it lists no rendition".into());
        }
        Ok(())
    }
}
