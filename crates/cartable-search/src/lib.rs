//! Full-text search over the catalog: the tantivy index behind
//! `GET /api/v1/search` and the search page.
//!
//! The caller flattens each capsule (later each archive item or book) into a
//! [`Doc`] — titles, body texts and keywords, each with its language — and
//! keeps the index current with [`SearchIndex::apply`] from a change feed
//! whose watermark the index stores, or [`SearchIndex::rebuild`]s it
//! whole. [`SearchIndex::search`] answers with ranked [`Hit`]s, a total and
//! facet counts; [`SearchIndex::suggest`] answers each keystroke.
//!
//! Where to start: `analysis` (how text becomes terms: Arabic normalisation,
//! Turkish `i`, accents, stemming), `query` (how typed words become a query:
//! AND of words, each exact, stemmed, fuzzy or prefix), `highlight` (marked
//! titles and snippets), `index` (opening, the writer lock, schema versions,
//! commits), `search` (answering, on the per-core worker pool of `pool`).
//! What this crate does not do: read the catalog or the change feed, or
//! speak HTTP.
//!
//! A [`SearchResults`] serialises as
//!
//! ```json
//! {"total": 3,
//!  "hits": [{"id": "fr-geometry", "kind": "capsule", "lang": "fr",
//!            "level": "cm2", "subject": "maths", "score": 7.1,
//!            "title": [{"text": "Mathématiques", "match": true},
//!                      {"text": " : le périmètre du carré", "match": false}],
//!            "snippet": [{"text": "Le périmètre d'un carré…", "match": false}]}],
//!  "facets": {"kind": [{"value": "capsule", "count": 3}],
//!             "lang": [{"value": "fr", "count": 2}, {"value": "ar", "count": 1}],
//!             "level": […], "subject": […]}}
//! ```
//!
//! `level` and `subject` are `null` when a document has none; a [`Marked`]
//! text is its segments in order, `match` true for the words that matched.

mod analysis;
mod archive;
mod columns;
mod error;
mod facets;
mod highlight;
mod index;
mod pool;
mod query;
mod schema;
mod search;

#[cfg(test)]
mod tests;

pub use archive::{ARCHIVE_FACET_VALUES, ArchiveFacets, ArchiveQuery, ArchiveResults, FacetCount};
pub use error::{QueryError, SearchError};
pub use facets::{Facets, MAX_FACET_VALUES};
pub use highlight::Marked;
pub use index::{Opened, SearchIndex};
pub use query::MAX_QUERY_BYTES;
pub use schema::{ArchiveCard, ArchiveDoc, Doc, SCHEMA_VERSION};
pub use search::{
    Hit, MAX_LIMIT, MAX_OFFSET, MAX_SUGGESTIONS, SearchQuery, SearchResults, Suggestion, TopIds,
};
