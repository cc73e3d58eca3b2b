//! The two error types: [`SearchError`] for faults of the index itself (the
//! web answers 500, or 503 for [`SearchError::InUse`] at start), and
//! [`QueryError`] for what a user typed (the web answers 400), which also
//! carries an index fault met while answering a query.

use std::path::PathBuf;

use crate::query::MAX_QUERY_BYTES;

/// A fault of the index: opening, writing or reading it.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Another process (or another handle in this one) holds the index.
    #[error(
        "the search index in {dir} is in use by another cartable process; stop it or use another data directory"
    )]
    InUse { dir: PathBuf },
    #[error("search index: {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: cannot open the directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index: a stored document cannot be read: {0}")]
    Stored(#[from] serde_json::Error),
    /// A search stopped on a fault of the code (logged where it happened).
    #[error("search index: the search failed unexpectedly")]
    Fault,
}

impl SearchError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SearchError {
        let path = path.into();
        move |source| SearchError::Io { path, source }
    }
}

/// Why a search was refused, or failed.
///
/// `Empty`, `TooLong` and `ControlCharacter` are the user's mistakes
/// ([`QueryError::is_bad_input`]); `Index` is an internal fault met while
/// answering a valid query, kept inside this type so that `search` has one
/// `Result`, and told apart by `is_bad_input() == false`.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("the search text is empty")]
    Empty,
    #[error("the search text is {len} bytes long; at most {MAX_QUERY_BYTES} are allowed")]
    TooLong { len: usize },
    #[error("the search text contains control characters")]
    ControlCharacter,
    #[error(transparent)]
    Index(#[from] SearchError),
}

impl QueryError {
    /// True for a mistake in the query (HTTP 400), false for an index fault
    /// (HTTP 500).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, QueryError::Index(_))
    }

    /// A stable snake_case code for the API's error table.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Empty => "search_query_empty",
            QueryError::TooLong { .. } => "search_query_too_long",
            QueryError::ControlCharacter => "search_query_invalid",
            QueryError::Index(_) => "internal",
        }
    }
}

impl From<tantivy::TantivyError> for QueryError {
    fn from(e: tantivy::TantivyError) -> QueryError {
        QueryError::Index(SearchError::Tantivy(e))
    }
}

impl From<serde_json::Error> for QueryError {
    fn from(e: serde_json::Error) -> QueryError {
        QueryError::Index(SearchError::Stored(e))
    }
}
