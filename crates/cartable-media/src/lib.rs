//! cartable's media pipeline: from one source file to a ladder of HLS
//! renditions, and the playlists that serve them.
//!
//! [`tool`] is the one place that runs ffmpeg and ffprobe; [`transcode`]
//! decides the ladder and writes a rendition-set directory (see
//! `cartable_core::renditions`); [`playlist`] rewrites ffmpeg's media
//! playlists to point at content-addressed blobs and writes master playlists.
//! [`audio`] makes the library's two audio renditions and a book's M4B;
//! [`speech`] runs espeak-ng.

pub mod audio;
pub mod image;
pub mod playlist;
pub mod speech;
pub mod tool;
pub mod transcode;

pub use tool::MediaError;
pub use transcode::{LADDER_VERSION, TranscodeOptions, transcode};
