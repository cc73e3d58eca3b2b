//! The pure-data half of an xAPI 1.0.3 Learning Record Store: it decides
//! whether a statement, an agent or a parameter is acceptable, exactly as the
//! specification requires, and extracts what the store indexes.
//!
//! It owns no I/O and no async: the SQL store and the HTTP handlers call in
//! here and keep everything else. Start with [`check_statement`], which walks
//! a statement once and returns its [`Facts`]; then [`same_statement`] for the
//! idempotent re-send rule, and [`format_ids`] / [`format_canonical`] for the
//! `format` parameter of `GET /statements`. [`parse_json`] reads a request
//! body refusing duplicate properties, and [`check_signature`] checks a
//! signed statement's JWS. Section numbers in comments refer to the 1.0.3
//! specification's Part Two ("Data") unless they say otherwise.

mod activity;
mod agent;
mod compare;
mod json;
mod langtag;
mod retrieval;
mod signature;
mod statement;
mod syntax;
mod time;

#[cfg(test)]
mod tests;

pub use activity::merge_definition;
pub use agent::check_agent_param;
pub use compare::same_statement;
pub use json::parse_json;
pub use langtag::{accept_languages, is_language_tag};
pub use retrieval::{format_canonical, format_exact, format_ids};
pub use signature::check_signature;
pub use statement::check_statement;
pub use syntax::{check_iri, check_uuid};
pub use time::{format_timestamp, parse_timestamp};

/// The version of the specification this module follows, for the
/// `X-Experience-API-Version` response header.
pub const VERSION: &str = "1.0.3";

/// The attachment usage type that marks a JSON web signature (2.6).
pub const SIGNATURE_USAGE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// The reserved verb of a voiding statement (2.3.2).
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// Why a statement, agent or parameter was refused: where (a JSON path like
/// `statement.object.definition.choices[2].id`, or `statements[3].actor` for
/// a batch; the caller prefixes batch indexes) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct Invalid {
    /// Where the refused value sits, starting at `statement` or `agent`.
    pub path: String,
    /// What is wrong with it, in a sentence a client developer can act on.
    pub message: String,
}

/// An Agent's or identified Group's inverse functional identifier, canonical
/// text: `mbox:mailto:a@b.org`, `mbox_sha1sum:<40 lowercase hex>`,
/// `openid:<uri>`, `account:<homePage>|<name>`.
///
/// Two agents are the same agent exactly when their `Ifi` text is equal. The
/// domain of an email address and the hex of a hash are lower-cased because
/// the specification makes them case-insensitive (2.3.1, 2.4.2.3); everything
/// else is kept as sent. `|` cannot occur in a valid IRI, so the account form
/// is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ifi(pub String);

impl Ifi {
    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ifi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Agent or identified Group given as a query parameter (`agent=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentParam {
    /// Its identifier.
    pub ifi: Ifi,
    /// True for an identified Group: statements match it through its own
    /// identifier only, never through members it did not list.
    pub is_group: bool,
}

/// What the store indexes about a statement, from [`check_statement`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The statement's id as given (lower-cased), `None` if absent (the LRS
    /// then assigns one with [`new_statement_id`]).
    pub id: Option<String>,
    /// The verb IRI.
    pub verb: String,
    /// The actor's IFI (if any) and, for a Group actor, each member's IFI.
    pub actor: Vec<Ifi>,
    /// The same for an Agent or Group object; empty otherwise.
    pub object_agent: Vec<Ifi>,
    /// The object's id when it is an Activity.
    pub activity: Option<String>,
    /// Every agent that `related_agents=true` must match except the
    /// authority (the store adds it): actor, object agent, context instructor
    /// and team (and their members), and the same inside a SubStatement;
    /// deduplicated, in order of first appearance.
    pub related_agents: Vec<Ifi>,
    /// Every activity id `related_activities=true` matches: the object
    /// activity, contextActivities of every kind, and the same inside a
    /// SubStatement; deduplicated, in order of first appearance.
    pub related_activities: Vec<String>,
    /// `context.registration`, lower-cased.
    pub registration: Option<String>,
    /// For a voiding statement, the target statement id (lower-cased).
    pub voids: Option<String>,
    /// For any StatementRef object (voiding or not), the target id
    /// (lower-cased).
    pub refers_to: Option<String>,
    /// The statement's `timestamp`, as given.
    pub timestamp: Option<String>,
    /// Every activity id with its definition object, where the statement
    /// carries one (for the Activities resource, which merges them). An id
    /// defined twice in one statement appears once, its definitions merged
    /// with [`merge_definition`] in document order.
    pub activities: Vec<(String, serde_json::Value)>,
    /// The attachment headers, the statement's own then its SubStatement's,
    /// in order: the multipart parser matches raw parts to them by `sha2`.
    pub attachments: Vec<AttachmentInfo>,
}

/// One attachment header of a statement (2.4.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// `usageType`; [`SIGNATURE_USAGE`] marks a signature.
    pub usage_type: String,
    /// `contentType`, as given.
    pub content_type: String,
    /// `length` in octets.
    pub length: u64,
    /// `sha2`, as given (hex).
    pub sha2: String,
    /// `fileUrl`, when the data is not sent in the request.
    pub file_url: Option<String>,
}

/// The id an LRS assigns when the statement has none (random v4, lower case).
///
/// Should the operating system's generator fail, the bytes come from BLAKE3
/// over the clock, the process id and a counter instead: an id must still be
/// assigned, and this library may not panic.
pub fn new_statement_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = fallback_bytes();
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn fallback_bytes() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = blake3::Hasher::new();
    hasher.update(&nanos.to_le_bytes());
    hasher.update(&std::process::id().to_le_bytes());
    hasher.update(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

/// Checks a `X-Experience-API-Version` header value: Ok for `1.0` and any
/// `1.0.x` (Communication 3.3), Err with a message otherwise.
pub fn check_version(header: &str) -> Result<(), String> {
    if is_version_1_0(header.trim()) {
        Ok(())
    } else {
        Err(format!(
            "X-Experience-API-Version \"{header}\" is not supported: this LRS speaks 1.0.x (latest {VERSION})"
        ))
    }
}

/// `1.0`, or `1.0.` followed by a patch number: the versions a 1.0.3 LRS
/// accepts in the header and in a statement's `version` (2.4.10).
pub(crate) fn is_version_1_0(v: &str) -> bool {
    v == "1.0"
        || v.strip_prefix("1.0.")
            .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}
