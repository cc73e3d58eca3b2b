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
//! commits). What this crate does not do: read the catalog or the change
//! feed, or speak HTTP.

mod analysis;
mod error;
mod facets;
mod highlight;
mod index;
mod query;
mod schema;
mod search;

#[cfg(test)]
mod tests;

pub use error::{QueryError, SearchError};
pub use facets::Facets;
pub use highlight::Marked;
pub use index::{Opened, SearchIndex};
pub use query::MAX_QUERY_BYTES;
pub use schema::{Doc, SCHEMA_VERSION};
pub use search::{
    Hit, MAX_LIMIT, MAX_OFFSET, MAX_SUGGESTIONS, SearchQuery, SearchResults, Suggestion, TopIds,
};
