//! Answering a search (ranked hits, total, facet counts, highlighted titles
//! and snippets) and suggestions as the user types.
//!
//! Each call checks and analyses the text on the caller's thread, then runs
//! on the search pool (one worker per core, first come first served, see
//! `pool`): it takes one `Searcher` from the shared reader (a cheap clone),
//! builds the query ([`crate::query`]), collects the top hits, the count and
//! the facets in one pass, then reads and highlights the hits of the page
//! only.

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::analysis::{self, Analyzers};
use crate::columns::ColumnCache;
use crate::error::{QueryError, SearchError};
use crate::facets::{FacetCollector, Facets};
use crate::highlight::{Highlighter, Marked};
use crate::index::{Inner, SearchIndex};
use crate::pool;
use crate::query::{self, Filters, QueryWord, Scope};
use crate::schema::{ArchiveCard, Fields, Stored};

/// At most this many hits per page.
pub const MAX_LIMIT: usize = 100;
/// Pages start at most this far: deeper pages cost a heap this large.
pub const MAX_OFFSET: usize = 10_000;
/// At most this many suggestions.
pub const MAX_SUGGESTIONS: usize = 20;

/// A search as the API receives it. Empty filter values mean no filter.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Only documents in this language.
    pub lang: Option<String>,
    pub kind: Option<String>,
    pub level: Option<String>,
    pub subject: Option<String>,
    /// The interface language: the title shown, and the snippet's first
    /// choice.
    pub display_lang: String,
    /// Hits per page, at most [`MAX_LIMIT`]; 0 gives the total and facets only.
    pub limit: usize,
    /// Hits skipped, at most [`MAX_OFFSET`].
    pub offset: usize,
}

impl SearchQuery {
    /// A search for `text`, first page of 20, no filter.
    pub fn new(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            limit: 20,
            ..SearchQuery::default()
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResults {
    /// How many documents match, over all pages.
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Counts over all matching documents.
    pub facets: Facets,
}

/// One matching document.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub lang: String,
    pub level: Option<String>,
    pub subject: Option<String>,
    pub score: f32,
    /// In the display language, else the document's own, else any.
    pub title: Marked,
    /// About 160 characters of the body around its first match.
    pub snippet: Marked,
    /// Archive items: thumbnail, date and creators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<ArchiveCard>,
}

/// One suggestion as the user types.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub kind: String,
    /// The first title with a match, in the display language, else the
    /// document's own, else any.
    pub title: Marked,
}

/// Ranked ids without facets or highlighting.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TopIds {
    pub total: usize,
    /// (id, score), best first.
    pub ids: Vec<(String, f32)>,
}

impl SearchIndex {
    /// Searches. A query of punctuation only gives no hits, without reading
    /// the index. Errors: see [`QueryError`] (bad input, or an index fault).
    /// Blocking: it waits for its turn on the search pool.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, QueryError> {
        query::check(&q.text)?;
        let words = query::analyse(&q.text);
        if words.is_empty() {
            return Ok(SearchResults::default());
        }
        let (inner, q) = (self.inner.clone(), q.clone());
        on_pool(move || search(&inner, words, &q))
    }

    /// The same search as [`SearchIndex::search`] (filters, limit, offset),
    /// returning only the total and the ranked ids, read from a fast column:
    /// for callers that render hits themselves, and the benchmark's plain
    /// top-20.
    pub fn search_ids(&self, q: &SearchQuery) -> Result<TopIds, QueryError> {
        query::check(&q.text)?;
        let words = query::analyse(&q.text);
        if words.is_empty() {
            return Ok(TopIds::default());
        }
        let (inner, q) = (self.inner.clone(), q.clone());
        on_pool(move || search_ids(&inner, words, &q))
    }

    /// Up to `limit` (at most [`MAX_SUGGESTIONS`]) documents whose titles
    /// hold the typed words: the last one as a prefix, the others whole or,
    /// from five letters, with one typo. Titles only, no count or facets:
    /// cheap enough for every keystroke.
    pub fn suggest(
        &self,
        text: &str,
        display_lang: &str,
        limit: usize,
    ) -> Result<Vec<Suggestion>, QueryError> {
        query::check(text)?;
        let words = query::analyse(text);
        let limit = limit.min(MAX_SUGGESTIONS);
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let (inner, display_lang) = (self.inner.clone(), display_lang.to_owned());
        on_pool(move || suggest(&inner, words, &display_lang, limit))
    }
}

pub(crate) fn on_pool<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, QueryError> + Send + 'static,
) -> Result<T, QueryError> {
    pool::run(f).unwrap_or(Err(QueryError::Index(SearchError::Fault)))
}

/// What both kinds of search start from: a searcher, the query over every
/// field, the top-docs collector for the page asked, and its size.
fn prepare(
    inner: &Inner,
    words: &mut [QueryWord],
    q: &SearchQuery,
) -> Result<(Searcher, Box<dyn Query>, TopDocs, usize), QueryError> {
    let searcher = inner.reader.searcher();
    let fields = &inner.fields;
    let query = query::build(
        &searcher,
        fields,
        words,
        Scope::Everything,
        &filters(fields, q),
    )?;
    let limit = q.limit.min(MAX_LIMIT);
    let top = TopDocs::with_limit(limit.max(1)).and_offset(q.offset.min(MAX_OFFSET));
    Ok((searcher, query, top, limit))
}

fn search(
    inner: &Inner,
    mut words: Vec<QueryWord>,
    q: &SearchQuery,
) -> Result<SearchResults, QueryError> {
    let (searcher, query, top, limit) = prepare(inner, &mut words, q)?;
    let top = top.order_by_score();
    let fields = &inner.fields;
    let (top, total, facets) =
        searcher.search(&*query, &(top, Count, FacetCollector(&inner.columns)))?;
    let mut highlighter = Highlighter::new(&words);
    let hits = analysis::with(|a| {
        top.into_iter()
            .take(limit)
            .map(|(score, address)| {
                let stored = load(&searcher, fields, address)?;
                Ok(hit(a, &mut highlighter, stored, score, &q.display_lang))
            })
            .collect::<Result<Vec<Hit>, QueryError>>()
    })?;
    Ok(SearchResults {
        total,
        hits,
        facets,
    })
}

fn search_ids(
    inner: &Inner,
    mut words: Vec<QueryWord>,
    q: &SearchQuery,
) -> Result<TopIds, QueryError> {
    let (searcher, query, top, limit) = prepare(inner, &mut words, q)?;
    let top = top.order_by_score();
    let (top, total) = searcher.search(&*query, &(top, Count))?;
    let top: Vec<(f32, DocAddress)> = top.into_iter().take(limit).collect();
    Ok(TopIds {
        total,
        ids: ids_of(&searcher, &inner.columns, &top)?,
    })
}

fn suggest(
    inner: &Inner,
    mut words: Vec<QueryWord>,
    display_lang: &str,
    limit: usize,
) -> Result<Vec<Suggestion>, QueryError> {
    let searcher = inner.reader.searcher();
    let fields = &inner.fields;
    let none = [
        (fields.kind, None),
        (fields.lang, None),
        (fields.level, None),
        (fields.subject, None),
    ];
    let query = query::build(&searcher, fields, &mut words, Scope::Titles, &none)?;
    let top = searcher.search(&*query, &TopDocs::with_limit(limit).order_by_score())?;
    let mut highlighter = Highlighter::new(&words);
    analysis::with(|a| {
        top.into_iter()
            .map(|(_, address)| {
                let stored = load(&searcher, fields, address)?;
                let title = suggestion_title(a, &mut highlighter, &stored, display_lang);
                Ok(Suggestion {
                    id: stored.id,
                    kind: stored.kind,
                    title,
                })
            })
            .collect()
    })
}

fn filters<'q>(fields: &Fields, q: &'q SearchQuery) -> Filters<'q> {
    let value = |v: &'q Option<String>| v.as_deref().filter(|v| !v.is_empty());
    [
        (fields.kind, value(&q.kind)),
        (fields.lang, value(&q.lang)),
        (fields.level, value(&q.level)),
        (fields.subject, value(&q.subject)),
    ]
}

pub(crate) fn load(
    searcher: &Searcher,
    fields: &Fields,
    address: DocAddress,
) -> Result<Stored, QueryError> {
    let doc: TantivyDocument = searcher.doc(address)?;
    let json = doc
        .get_first(fields.stored)
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    Ok(serde_json::from_str(json).map_err(SearchError::Stored)?)
}

/// The ids of `hits`, in their order, read from the fast column: per
/// segment, in ordinal order, one pass over the dictionary's blocks.
fn ids_of(
    searcher: &Searcher,
    cache: &ColumnCache,
    hits: &[(f32, DocAddress)],
) -> Result<Vec<(String, f32)>, QueryError> {
    let mut ids: Vec<(String, f32)> = hits
        .iter()
        .map(|(score, _)| (String::new(), *score))
        .collect();
    let mut order: Vec<(u32, usize)> = hits
        .iter()
        .enumerate()
        .map(|(i, (_, a))| (a.segment_ord, i))
        .collect();
    order.sort_unstable();
    for group in order.chunk_by(|a, b| a.0 == b.0) {
        let columns = cache.get(searcher.segment_reader(group[0].0))?;
        let Some(column) = &columns.id else { continue };
        let mut ords: Vec<(u64, usize)> = group
            .iter()
            .filter_map(|&(_, i)| Some((column.term_ords(hits[i].1.doc_id).next()?, i)))
            .collect();
        ords.sort_unstable();
        let sorted: Vec<u64> = ords.iter().map(|o| o.0).collect();
        let mut slots = ords.iter().map(|o| o.1);
        column
            .dictionary()
            .sorted_ords_to_term_cb(&sorted, |bytes| {
                if let Some(slot) = slots.next() {
                    ids[slot].0 = String::from_utf8_lossy(bytes).into_owned();
                }
            })
            .map_err(tantivy::TantivyError::from)?;
    }
    Ok(ids)
}

/// Texts in the order a hit prefers them: the display language, the
/// document's own, then the others as given.
fn by_preference<'s>(
    texts: &'s [(String, String)],
    display: &str,
    own: &str,
) -> Vec<(&'s str, &'s str)> {
    let rank = |lang: &str| {
        if !display.is_empty() && lang.eq_ignore_ascii_case(display) {
            0
        } else if lang.eq_ignore_ascii_case(own) {
            1
        } else {
            2
        }
    };
    let mut out: Vec<(&str, &str)> = texts
        .iter()
        .map(|(l, t)| (l.as_str(), t.as_str()))
        .collect();
    out.sort_by_key(|(l, _)| rank(l));
    out
}

pub(crate) fn hit(
    a: &mut Analyzers,
    h: &mut Highlighter<'_>,
    s: Stored,
    score: f32,
    display: &str,
) -> Hit {
    let title = match by_preference(&s.titles, display, &s.lang).first() {
        Some((lang, text)) => h.mark(a, lang, text),
        None => Marked::default(),
    };
    let snippet = h.snippet(a, by_preference(&s.body, display, &s.lang).into_iter());
    Hit {
        id: s.id,
        kind: s.kind,
        lang: s.lang,
        level: s.level,
        subject: s.subject,
        score,
        title,
        snippet,
        card: s.card,
    }
}

fn suggestion_title(
    a: &mut Analyzers,
    h: &mut Highlighter<'_>,
    s: &Stored,
    display: &str,
) -> Marked {
    let titles = by_preference(&s.titles, display, &s.lang);
    let mut first = None;
    for (lang, text) in &titles {
        let marked = h.mark(a, lang, text);
        if marked.matches().next().is_some() {
            return marked;
        }
        first.get_or_insert(marked);
    }
    first.unwrap_or_default()
}
