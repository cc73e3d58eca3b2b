//! Live sessions: a broadcast scheduled for an audience, the files a
//! broadcaster pushes while it runs, and the events of its room.
//!
//! A broadcaster pushes an HLS stream (fMP4 or MPEG-TS segments and the
//! media playlist) with HTTP PUT, as ffmpeg's HLS muxer and OBS do; the
//! rules for what is accepted live here ([`ingest_file`], [`sniff`]). The
//! room carries [`RoomEvent`]s, numbered per session so a client that
//! reconnects resumes where it stopped. The SQL lives in `cartable-store`'s
//! `live` module, the HTTP side in `cartable-web`'s.

use crate::{Lang, LevelId, ProgrammeId, SubjectId};
use serde::{Deserialize, Serialize};

/// The longest a title may be, in characters.
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 4_000;
/// A question from a learner, in characters.
pub const MAX_QUESTION: usize = 500;
pub const MAX_POLL_OPTIONS: usize = 8;
/// The longest a session may be scheduled for: a day of workshops.
pub const MAX_HOURS: i64 = 12;
/// A pushed segment: 2 s of 1080p at 20 Mbit/s is 5 MB; this leaves room
/// for longer segments without letting one upload fill a disk.
pub const MAX_SEGMENT: usize = 16 * 1024 * 1024;
/// A pushed media playlist. ffmpeg's live playlists list a few segments;
/// one that keeps every segment of a long session stays far below this.
pub const MAX_PLAYLIST: usize = 512 * 1024;
/// Pushes are accepted from this long before the scheduled start, so a
/// broadcaster can check the stream arrives.
pub const EARLY_SECONDS: i64 = 3_600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LiveError {
    #[error("title: must be 1 to {MAX_TITLE} characters")]
    Title,
    #[error("description: at most {MAX_DESCRIPTION} characters")]
    Description,
    #[error("end: must be after the start, and at most {MAX_HOURS} hours after it")]
    Times,
    #[error("audience: name the public, or at least one school or class")]
    Audience,
    #[error("capacity: must be at least 1")]
    Capacity,
    #[error("question: must be 1 to {MAX_QUESTION} characters")]
    Question,
    #[error("poll: a question and 2 to {MAX_POLL_OPTIONS} options, none empty")]
    Poll,
    #[error("could not draw a random id")]
    Random,
}

/// Who a session is for: the public, or some schools and classes (their
/// learners and teachers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    pub public: bool,
    pub schools: Vec<String>,
    pub classes: Vec<String>,
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        !self.public && self.schools.is_empty() && self.classes.is_empty()
    }
}

/// What a broadcaster schedules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub title: String,
    pub description: String,
    pub lang: Lang,
    pub level: Option<LevelId>,
    pub subject: Option<SubjectId>,
    /// Seconds since the epoch.
    pub starts_at: i64,
    pub ends_at: i64,
    pub audience: Audience,
    /// For a workshop: how many may register. None: no registration.
    pub capacity: Option<u32>,
    /// The programme the recording joins as a capsule.
    pub programme: Option<ProgrammeId>,
    /// The library series the recording is published into as an episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

impl Schedule {
    pub fn check(&self) -> Result<(), LiveError> {
        let title = self.title.trim().chars().count();
        if title == 0 || title > MAX_TITLE {
            return Err(LiveError::Title);
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(LiveError::Description);
        }
        if self.ends_at <= self.starts_at || self.ends_at - self.starts_at > MAX_HOURS * 3_600 {
            return Err(LiveError::Times);
        }
        if self.audience.is_empty() {
            return Err(LiveError::Audience);
        }
        if self.capacity == Some(0) {
            return Err(LiveError::Capacity);
        }
        Ok(())
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveState {
    /// Not started: pushes are accepted from [`EARLY_SECONDS`] before the
    /// start, and the first one makes the session live.
    Scheduled,
    Live,
    /// Over: no more pushes; the segments are the recording.
    Ended,
}

impl LiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Scheduled => "scheduled",
            LiveState::Live => "live",
            LiveState::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Option<LiveState> {
        match text {
            "scheduled" => Some(LiveState::Scheduled),
            "live" => Some(LiveState::Live),
            "ended" => Some(LiveState::Ended),
            _ => None,
        }
    }
}

/// A new session id: `l` and 12 random letters and digits (60 bits), so
/// ids neither collide nor can be guessed from one another.
pub fn new_id() -> Result<String, LiveError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|_| LiveError::Random)?;
    let mut id = String::from("l");
    id.extend(
        bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])),
    );
    Ok(id)
}

/// What a pushed file's name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestFile {
    /// The media playlist (`*.m3u8`).
    Playlist,
    /// An fMP4 init section or segment (`*.mp4`, `*.m4s`) or an MPEG-TS
    /// segment (`*.ts`).
    Segment,
}

/// Why a push is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IngestError {
    #[error(
        "file name {0:?}: use 1 to 64 letters, digits, '-', '_' or '.', ending in .m3u8, .mp4, .m4s or .ts"
    )]
    Name(String),
    #[error("{0}: not an fMP4 or MPEG-TS segment")]
    NotMedia(String),
    #[error("{name}: {size} bytes is more than the {limit} allowed")]
    TooLarge {
        name: String,
        size: usize,
        limit: usize,
    },
    #[error("{name}: {reason}")]
    Playlist { name: String, reason: String },
}

/// Checks a pushed file's name and says what it is. Names are flat: no
/// directories, so nothing pushed can name a path of the server.
pub fn ingest_file(name: &str) -> Result<IngestFile, IngestError> {
    let refuse = || IngestError::Name(name.to_owned());
    if name.is_empty()
        || name.len() > 64
        || name.starts_with('.')
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(refuse());
    }
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("m3u8") => Ok(IngestFile::Playlist),
        Some("mp4" | "m4s" | "ts") => Ok(IngestFile::Segment),
        _ => Err(refuse()),
    }
}

/// The container of a pushed segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentFormat {
    /// Fragmented MP4: an init section or a media segment.
    Fmp4,
    /// MPEG transport stream.
    Ts,
}

impl SegmentFormat {
    /// The extension media URLs use for it.
    pub fn ext(self) -> &'static str {
        match self {
            SegmentFormat::Fmp4 => "m4s",
            SegmentFormat::Ts => "ts",
        }
    }
}

/// Says what a pushed segment holds by its first bytes, and its size.
pub fn sniff(name: &str, bytes: &[u8]) -> Result<SegmentFormat, IngestError> {
    if bytes.len() > MAX_SEGMENT {
        return Err(IngestError::TooLarge {
            name: name.to_owned(),
            size: bytes.len(),
            limit: MAX_SEGMENT,
        });
    }
    // A transport stream is 188-byte packets, each starting with 0x47.
    if bytes.len() >= 188
        && bytes.len().is_multiple_of(188)
        && bytes.chunks(188).all(|p| p[0] == 0x47)
    {
        return Ok(SegmentFormat::Ts);
    }
    // An ISO BMFF file starts with a box: a 32-bit size, then its type.
    const FIRST_BOXES: [&[u8; 4]; 6] = [b"ftyp", b"styp", b"moof", b"sidx", b"emsg", b"prft"];
    if bytes.len() >= 8 {
        let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let kind = &bytes[4..8];
        if size >= 8 && size <= bytes.len() && FIRST_BOXES.iter().any(|b| b.as_slice() == kind) {
            return Ok(SegmentFormat::Fmp4);
        }
    }
    Err(IngestError::NotMedia(name.to_owned()))
}

/// The RFC 6381 codecs of an fMP4 init section, as a browser's Media
/// Source needs them (`avc1.64001f,mp4a.40.2`): read from the `avcC`
/// box's profile, compatibility and level bytes, and the presence of an
/// AAC (`mp4a`) or Opus track. None when no known codec is found.
///
/// Searching for the box names is enough here: they are four printable
/// bytes followed by fixed fields, and the init section is a few hundred
/// bytes written by an encoder.
pub fn mp4_codecs(init: &[u8]) -> Option<String> {
    let find = |tag: &[u8]| init.windows(4).position(|w| w == tag);
    let mut codecs = Vec::new();
    if let Some(at) = find(b"avcC") {
        let fields = init.get(at + 4..at + 8)?;
        codecs.push(format!(
            "avc1.{:02x}{:02x}{:02x}",
            fields[1], fields[2], fields[3]
        ));
    }
    if find(b"mp4a").is_some() {
        codecs.push("mp4a.40.2".to_owned());
    } else if find(b"Opus").is_some() {
        codecs.push("opus".to_owned());
    }
    (!codecs.is_empty()).then(|| codecs.join(","))
}

/// A question's place in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionState {
    /// Asked; only moderators see it.
    Pending,
    /// Shown to everyone.
    Approved,
    /// Shown to everyone with the teacher's answer.
    Answered,
    Hidden,
}

impl QuestionState {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionState::Pending => "pending",
            QuestionState::Approved => "approved",
            QuestionState::Answered => "answered",
            QuestionState::Hidden => "hidden",
        }
    }

    pub fn parse(text: &str) -> Option<QuestionState> {
        match text {
            "pending" => Some(QuestionState::Pending),
            "approved" => Some(QuestionState::Approved),
            "answered" => Some(QuestionState::Answered),
            "hidden" => Some(QuestionState::Hidden),
            _ => None,
        }
    }

    /// Whether everyone in the room sees it.
    pub fn public(self) -> bool {
        matches!(self, QuestionState::Approved | QuestionState::Answered)
    }
}

/// A question as the room shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: i64,
    /// The asker's display name.
    pub name: String,
    pub text: String,
    pub state: QuestionState,
    pub answer: Option<String>,
    /// When it was asked, seconds since the epoch.
    pub at: i64,
}

/// A poll with its results so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: i64,
    pub question: String,
    pub options: Vec<String>,
    /// Votes per option, in the options' order.
    pub votes: Vec<u64>,
    pub open: bool,
}

/// Checks a question's text, trimmed.
pub fn check_question(text: &str) -> Result<String, LiveError> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 || n > MAX_QUESTION {
        return Err(LiveError::Question);
    }
    Ok(text.to_owned())
}

/// Checks a poll: a question and 2 to 8 non-empty options, trimmed.
pub fn check_poll(question: &str, options: &[String]) -> Result<(String, Vec<String>), LiveError> {
    let question = question.trim();
    let options: Vec<String> = options
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    if question.is_empty()
        || question.chars().count() > MAX_QUESTION
        || options.len() < 2
        || options.len() > MAX_POLL_OPTIONS
        || options.iter().any(|o| o.chars().count() > MAX_TITLE)
    {
        return Err(LiveError::Poll);
    }
    Ok((question.to_owned(), options))
}

/// What happens in a room. Each is numbered per session when stored; the
/// number is the server-sent event id a client resumes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RoomEvent {
    /// A question asked or moderated. Pending and hidden ones go to
    /// moderators only.
    Question(Question),
    /// A learner raised or lowered their hand: for moderators.
    Hand {
        login: String,
        name: String,
        raised: bool,
    },
    /// How many hands are up: for everyone.
    Hands { raised: u64 },
    /// A poll opened, its results changed, or it closed.
    Poll(Poll),
    /// The teacher's slide or board image, as a media URL.
    Slide { url: String },
    /// The session went live or ended.
    State { state: LiveState },
}

impl RoomEvent {
    /// The server-sent event's name.
    pub fn name(&self) -> &'static str {
        match self {
            RoomEvent::Question(_) => "question",
            RoomEvent::Hand { .. } => "hand",
            RoomEvent::Hands { .. } => "hands",
            RoomEvent::Poll(_) => "poll",
            RoomEvent::Slide { .. } => "slide",
            RoomEvent::State { .. } => "state",
        }
    }

    /// Whether only the session's moderators receive it.
    pub fn staff_only(&self) -> bool {
        match self {
            RoomEvent::Question(q) => !q.state.public(),
            RoomEvent::Hand { .. } => true,
            _ => false,
        }
    }
}

/// A stored room event: its number in the session, and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbered {
    pub id: i64,
    pub event: RoomEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            title: "Les fractions".into(),
            description: String::new(),
            lang: Lang::try_from("fr").unwrap(),
            level: None,
            subject: None,
            starts_at: 1_000_000,
            ends_at: 1_003_600,
            audience: Audience {
                public: true,
                ..Audience::default()
            },
            capacity: None,
            programme: None,
            series: None,
        }
    }

    #[test]
    fn schedules_are_checked() {
        assert_eq!(schedule().check(), Ok(()));
        let mut s = schedule();
        s.title = "  ".into();
        assert_eq!(s.check(), Err(LiveError::Title));
        let mut s = schedule();
        s.ends_at = s.starts_at;
        assert_eq!(s.check(), Err(LiveError::Times));
        s.ends_at = s.starts_at + 13 * 3_600;
        assert_eq!(s.check(), Err(LiveError::Times));
        let mut s = schedule();
        s.audience.public = false;
        assert_eq!(s.check(), Err(LiveError::Audience));
        s.audience.classes.push("cm2-a".into());
        assert_eq!(s.check(), Ok(()));
        s.capacity = Some(0);
        assert_eq!(s.check(), Err(LiveError::Capacity));
    }

    #[test]
    fn ids_are_random_and_plain() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 13);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn pushed_names_are_flat_and_known() {
        assert_eq!(ingest_file("index.m3u8"), Ok(IngestFile::Playlist));
        assert_eq!(ingest_file("init_0.mp4"), Ok(IngestFile::Segment));
        assert_eq!(ingest_file("index12.m4s"), Ok(IngestFile::Segment));
        assert_eq!(ingest_file("seg-3.ts"), Ok(IngestFile::Segment));
        for bad in [
            "",
            "../etc.ts",
            "a/b.ts",
            ".hidden.ts",
            "x.exe",
            "noext",
            &"a".repeat(70),
        ] {
            assert!(ingest_file(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn segments_are_told_by_their_bytes() {
        let mut ts = vec![0u8; 188 * 3];
        for p in ts.chunks_mut(188) {
            p[0] = 0x47;
        }
        assert_eq!(sniff("a.ts", &ts), Ok(SegmentFormat::Ts));
        ts[188] = 0;
        assert!(sniff("a.ts", &ts).is_err());
        let mut mp4 = vec![0, 0, 0, 16];
        mp4.extend_from_slice(b"moof");
        mp4.extend_from_slice(&[0; 8]);
        assert_eq!(sniff("a.m4s", &mp4), Ok(SegmentFormat::Fmp4));
        assert!(matches!(
            sniff("a.m4s", b"<html>hello</html>"),
            Err(IngestError::NotMedia(_))
        ));
        let big = vec![0x47; MAX_SEGMENT + 188];
        assert!(matches!(
            sniff("a.ts", &big),
            Err(IngestError::TooLarge { .. })
        ));
    }

    #[test]
    fn codecs_come_from_the_init_section() {
        let mut init = b"....ftypiso6....moov".to_vec();
        init.extend_from_slice(b"avcC\x01\x64\x00\x1f\xff");
        init.extend_from_slice(b"....mp4a....");
        assert_eq!(mp4_codecs(&init).as_deref(), Some("avc1.64001f,mp4a.40.2"));
        assert_eq!(mp4_codecs(b"nothing here"), None);
    }

    #[test]
    fn polls_and_questions_are_checked() {
        assert_eq!(check_question("  Why?  ").unwrap(), "Why?");
        assert!(check_question(" ").is_err());
        assert!(check_question(&"x".repeat(501)).is_err());
        assert!(check_poll("Which?", &["a".into()]).is_err());
        assert!(check_poll("Which?", &["a".into(), " ".into()]).is_err());
        let (q, o) = check_poll(" Which? ", &["a".into(), "".into(), " b".into()]).unwrap();
        assert_eq!((q.as_str(), o), ("Which?", vec!["a".into(), "b".into()]));
    }

    #[test]
    fn events_say_who_receives_them() {
        let q = |state| {
            RoomEvent::Question(Question {
                id: 1,
                name: "Amina".into(),
                text: "?".into(),
                state,
                answer: None,
                at: 0,
            })
        };
        assert!(q(QuestionState::Pending).staff_only());
        assert!(q(QuestionState::Hidden).staff_only());
        assert!(!q(QuestionState::Approved).staff_only());
        assert!(!RoomEvent::Hands { raised: 2 }.staff_only());
        let json = serde_json::to_string(&RoomEvent::Slide { url: "/x".into() }).unwrap();
        assert_eq!(json, r#"{"type":"slide","url":"/x"}"#);
    }
}
