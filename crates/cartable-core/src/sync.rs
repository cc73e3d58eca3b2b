//! What a sync carries between a hub and a box: chunks of statements, each
//! signed by its sender, over HTTP or in a file on a USB stick.
//!
//! A chunk names the sender's record numbers it covers, `(after, last]`,
//! so the receiver knows where the next one starts and a cut transfer
//! resumes at the first chunk not acknowledged. Statements keep their ids
//! everywhere, so receiving one twice changes nothing, and any order of
//! pushes, pulls and files ends with the same statements on both sides.
//!
//! A sync file is a mark followed by frames, each `length (u32 LE) ·
//! chunk JSON · ed25519 signature (64 bytes)`. Every frame stands alone:
//! a file cut short still delivers the whole frames before the cut.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Write};

pub const FILE_MARK: &[u8; 16] = b"cartable-sync-1\n";
/// The largest chunk a reader accepts.
pub const MAX_CHUNK_BYTES: usize = 64 * 1024 * 1024;
/// Statements per chunk: about 600 KB of JSON.
pub const CHUNK_STATEMENTS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From a box to its hub, signed by the box.
    Up,
    /// From the hub to a box, signed by the hub.
    Down,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    #[serde(rename = "box")]
    pub box_id: String,
    pub direction: Direction,
    /// The sender's record numbers this chunk covers: after < n <= last.
    pub after: i64,
    pub last: i64,
    /// The sender's newest record number when it sent this.
    pub newest: i64,
    pub statements: Vec<Value>,
}

impl Chunk {
    pub fn to_bytes(&self) -> Vec<u8> {
        // A Value tree always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn parse(bytes: &[u8]) -> Result<Chunk, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("the chunk does not parse: {e}"))
    }
}

/// A box's request for the hub's records of its learners, signed by the
/// box so nobody else can read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    #[serde(rename = "box")]
    pub box_id: String,
    pub after: i64,
    /// Unix seconds; the hub refuses requests older than a few minutes,
    /// so a copied request cannot be replayed later.
    pub at: i64,
}

/// A frame read from a sync file.
#[derive(Debug, Clone)]
pub struct Frame {
    pub payload: Vec<u8>,
    pub signature: [u8; 64],
    /// Where the frame starts in the file, for error messages.
    pub offset: u64,
}

pub fn write_mark(out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(FILE_MARK)
}

pub fn write_frame(
    out: &mut impl Write,
    payload: &[u8],
    signature: &[u8; 64],
) -> std::io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(std::io::Error::other)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(payload)?;
    out.write_all(signature)
}

/// Reads a sync file's frames one at a time, so a file of any size needs
/// the memory of one chunk. Stops at the first problem, with a message
/// naming the byte offset; the frames before it stand.
pub struct FrameReader<R> {
    input: R,
    offset: u64,
    done: bool,
}

impl<R: Read> FrameReader<R> {
    /// Checks the file's mark.
    pub fn new(mut input: R) -> Result<FrameReader<R>, String> {
        let mut mark = [0u8; 16];
        if read_full(&mut input, &mut mark).ok() != Some(16) || &mark != FILE_MARK {
            return Err("not a cartable sync file (the mark at its start is missing)".into());
        }
        Ok(FrameReader {
            input,
            offset: FILE_MARK.len() as u64,
            done: false,
        })
    }

    fn frame(&mut self) -> Result<Option<Frame>, String> {
        let offset = self.offset;
        let mut len = [0u8; 4];
        match read_full(&mut self.input, &mut len) {
            Ok(0) => return Ok(None),
            Ok(4) => {}
            Ok(_) => {
                return Err(format!(
                    "byte {offset}: the file is cut in a frame's length"
                ));
            }
            Err(e) => return Err(format!("byte {offset}: {e}")),
        }
        let n = u32::from_le_bytes(len) as usize;
        if n > MAX_CHUNK_BYTES {
            return Err(format!(
                "byte {offset}: a frame of {n} bytes is larger than allowed"
            ));
        }
        let mut payload = vec![0u8; n];
        let mut signature = [0u8; 64];
        let got = read_full(&mut self.input, &mut payload)
            .and_then(|a| Ok((a, read_full(&mut self.input, &mut signature)?)));
        match got {
            Ok((a, b)) if a == n && b == 64 => {}
            Ok(_) => return Err(format!("byte {offset}: the file is cut inside a frame")),
            Err(e) => return Err(format!("byte {offset}: {e}")),
        }
        self.offset += 4 + n as u64 + 64;
        Ok(Some(Frame {
            payload,
            signature,
            offset,
        }))
    }
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Result<Frame, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.frame().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}

/// Every whole frame of a sync file, and the problem that stopped the
/// reading, if any (for tests and fuzzing; the import streams instead).
pub fn read_frames(input: impl Read) -> (Vec<Frame>, Option<String>) {
    let reader = match FrameReader::new(input) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut frames = Vec::new();
    for frame in reader {
        match frame {
            Ok(f) => frames.push(f),
            Err(e) => return (frames, Some(e)),
        }
    }
    (frames, None)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_cut_file_keeps_its_whole_frames() {
        let mut file = Vec::new();
        write_mark(&mut file).unwrap();
        write_frame(&mut file, b"first", &[1; 64]).unwrap();
        write_frame(&mut file, b"second", &[2; 64]).unwrap();
        let (frames, problem) = read_frames(&file[..]);
        assert_eq!(problem, None);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].payload, b"second");
        assert_eq!(frames[1].signature, [2; 64]);
        let (frames, problem) = read_frames(&file[..file.len() - 3]);
        assert_eq!(frames.len(), 1);
        assert!(problem.unwrap().contains("cut inside a frame"));
        let (frames, problem) = read_frames(&b"PK\x03\x04 a zip file"[..]);
        assert!(frames.is_empty());
        assert!(problem.unwrap().contains("not a cartable sync file"));
    }

    #[test]
    fn an_oversized_length_is_refused_before_reading() {
        let mut file = FILE_MARK.to_vec();
        file.extend_from_slice(&u32::MAX.to_le_bytes());
        let (_, problem) = read_frames(&file[..]);
        assert!(problem.unwrap().contains("larger than allowed"));
    }
}
