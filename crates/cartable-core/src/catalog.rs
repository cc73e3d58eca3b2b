//! The catalog as stored: capsules, their media, programmes.
//!
//! These are the records the store reads and writes and the API and pages
//! show. Blobs are referred to by hash only; where they are served from is
//! the web layer's business.

use crate::renditions::RenditionKind;
use crate::{BlobHash, CapsuleId, Lang, LevelId, ProgrammeId, SubjectId, Translations};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One stored rendition: a fragmented MP4 blob and its media playlist blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRendition {
    pub name: String,
    pub kind: RenditionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    pub codecs: String,
    pub file: BlobHash,
    pub size: u64,
    pub playlist: BlobHash,
}

/// A capsule's media once ingested: every rendition, the master playlist
/// that lists them, poster and thumbnail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMedia {
    pub duration_ms: u64,
    pub master: BlobHash,
    pub renditions: Vec<StoredRendition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<BlobHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<BlobHash>,
    /// A WebVTT chapters track (a live recording's slide changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapters: Option<BlobHash>,
}

impl StoredMedia {
    pub fn rendition(&self, name: &str) -> Option<&StoredRendition> {
        self.renditions.iter().find(|r| r.name == name)
    }

    /// The video rendition a learner gets by default: the one closest to
    /// 360p, a height that suits phones on slow networks.
    pub fn default_video(&self) -> Option<&StoredRendition> {
        self.renditions
            .iter()
            .filter(|r| r.kind == RenditionKind::Video)
            .min_by_key(|r| r.height.unwrap_or(0).abs_diff(360))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub blob: BlobHash,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capsule {
    pub id: CapsuleId,
    pub lang: Lang,
    pub titles: Translations,
    pub summaries: Translations,
    pub level: LevelId,
    pub subject: SubjectId,
    pub media: StoredMedia,
    pub captions: BTreeMap<Lang, BlobHash>,
    pub transcript: Option<String>,
    pub attachments: Vec<Attachment>,
    pub tags: Vec<String>,
    /// Programmes holding this capsule, with its position in each.
    pub programmes: Vec<(ProgrammeId, u32)>,
    /// Unix seconds of the last import that changed it.
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub id: ProgrammeId,
    pub titles: Translations,
    pub summaries: Translations,
    pub level: Option<LevelId>,
    pub subject: Option<SubjectId>,
    pub capsule_count: u64,
}
