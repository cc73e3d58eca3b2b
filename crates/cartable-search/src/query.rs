//! From what a user typed to a tantivy query.
//!
//! [`check`] refuses bad input; [`analyse`] cuts the text into
//! [`QueryWord`]s, each with its folded form and its stem in every stemmed
//! language (the query's language is unknown: a French interface user may
//! type Arabic); [`build`] turns them into one boolean query where every
//! word must match (AND), each word matching any of:
//!
//! - its folded form in `all` (and, weighed more, in `title`),
//! - its stem in each `stem_*` field,
//! - for words of [`FUZZY_MIN_CHARS`] letters or more that are rare as typed
//!   (fewer than [`SPELLED_RIGHT_DOCS`] documents: likely misspelt), folded
//!   terms one edit away (on the folded field: the stems of a misspelt word
//!   drift apart),
//! - for the last word, as the user is still typing it, folded terms that
//!   start with it.
//!
//! Fuzzy and prefix words are expanded here against each segment's term
//! dictionary into at most [`MAX_EXPANSIONS`] terms, the most frequent
//! first (the fuzzy ones with the Levenshtein automaton of tantivy's
//! `FuzzyTermQuery`), rather than with that query itself, whose expansion
//! has no bound (a two-letter prefix would read thousands of posting lists)
//! and whose score ignores term frequency.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use tantivy::Searcher;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Term, termdict::TermDictionary};

use crate::analysis::{self, StemLang};
use crate::error::QueryError;
use crate::schema::Fields;

/// Longer queries are refused.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Words after this many are ignored: each word is a clause every hit must
/// match, and a query this long is a paste, not a search.
pub(crate) const MAX_WORDS: usize = 12;
/// Words this long (in letters, after folding) tolerate one typo.
pub(crate) const FUZZY_MIN_CHARS: usize = 5;
/// A word in this many documents is not corrected (see [`build`]).
pub(crate) const SPELLED_RIGHT_DOCS: u64 = 3;
/// The last word is a prefix once it has this many letters.
pub(crate) const PREFIX_MIN_CHARS: usize = 1;
/// At most this many terms per fuzzy or prefix word.
pub(crate) const MAX_EXPANSIONS: usize = 24;
/// At most this many dictionary terms are read per word and segment: a
/// one-letter prefix would otherwise read a good part of the dictionary.
const MAX_SCAN: usize = 1024;

const TITLE_BOOST: f32 = 1.5;
const EXPANSION_BOOST: f32 = 0.5;

/// One word of the query, analysed.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    pub(crate) fold: String,
    /// The stem in each [`StemLang`], by its index.
    pub(crate) stems: [Option<String>; 4],
    /// Typo-tolerant: long enough.
    pub(crate) fuzzy: bool,
    /// A prefix: the last word, still being typed.
    pub(crate) prefix: bool,
}

/// Refuses what is not a search: empty, too long, or binary.
pub(crate) fn check(text: &str) -> Result<(), QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong { len: text.len() });
    }
    if text.chars().any(char::is_control) {
        return Err(QueryError::ControlCharacter);
    }
    if text.trim().is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(())
}

/// The words of `text` (none for punctuation only). The last word is a
/// prefix unless something (a space, a full stop) follows it.
pub(crate) fn analyse(text: &str) -> Vec<QueryWord> {
    let mut spans = Vec::new();
    analysis::words(text, |from, to| spans.push((from, to)));
    spans.truncate(MAX_WORDS);
    let last_open = spans.last().is_some_and(|&(_, to)| to == text.len());
    let n = spans.len();
    analysis::with(|a| {
        let mut words = Vec::with_capacity(n);
        for (i, &(from, to)) in spans.iter().enumerate() {
            let raw = &text[from..to];
            let Some(fold) = a.fold_word(raw) else {
                continue;
            };
            let chars = fold.chars().count();
            let stems = StemLang::ALL.map(|l| a.stem.stem_word(l, raw));
            words.push(QueryWord {
                fuzzy: chars >= FUZZY_MIN_CHARS,
                prefix: i + 1 == n && last_open && chars >= PREFIX_MIN_CHARS,
                fold,
                stems,
            });
        }
        words
    })
}

/// Which fields a query searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every text, folded and stemmed.
    Everything,
    /// Titles only, folded: for suggestions as the user types.
    Titles,
}

/// Exact-value filters (kind, lang, level, subject), all required.
pub(crate) type Filters<'a> = [(Field, Option<&'a str>); 4];

/// The query for `words` (at least one) under `filters`.
///
/// A word found as typed in [`SPELLED_RIGHT_DOCS`] documents or more is
/// taken as spelled right: its `fuzzy` is turned off here (so that the
/// highlighter, which gets the same words, agrees), which spares reading
/// the dictionary for it and keeps near-misses of a correct word out.
pub(crate) fn build(
    searcher: &Searcher,
    fields: &Fields,
    words: &mut [QueryWord],
    scope: Scope,
    filters: &Filters<'_>,
) -> tantivy::Result<Box<dyn Query>> {
    let folded = match scope {
        Scope::Everything => fields.all,
        Scope::Titles => fields.title,
    };
    for word in words.iter_mut().filter(|w| w.fuzzy) {
        word.fuzzy =
            searcher.doc_freq(&Term::from_field_text(folded, &word.fold))? < SPELLED_RIGHT_DOCS;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(words.len() + 4);
    for word in words.iter() {
        clauses.push((Occur::Must, word_query(searcher, fields, word, scope)?));
    }
    for (field, value) in filters {
        if let Some(value) = value {
            let term = TermQuery::new(
                Term::from_field_text(*field, value),
                IndexRecordOption::Basic,
            );
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
            ));
        }
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

fn term(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    if boost == 1.0 {
        (Occur::Should, Box::new(q))
    } else {
        (Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost)))
    }
}

fn word_query(
    searcher: &Searcher,
    fields: &Fields,
    word: &QueryWord,
    scope: Scope,
) -> tantivy::Result<Box<dyn Query>> {
    let mut should = Vec::with_capacity(8);
    let folded = match scope {
        Scope::Everything => {
            should.push(term(fields.all, &word.fold, 1.0));
            should.push(term(fields.title, &word.fold, TITLE_BOOST));
            for lang in StemLang::ALL {
                if let Some(stem) = &word.stems[lang.index()] {
                    should.push(term(fields.stem[lang.index()], stem, 1.0));
                }
            }
            fields.all
        }
        Scope::Titles => {
            should.push(term(fields.title, &word.fold, 1.0));
            fields.title
        }
    };
    for expanded in expand(searcher, folded, word)? {
        should.push(term(folded, &expanded, EXPANSION_BOOST));
    }
    Ok(Box::new(BooleanQuery::new(should)))
}

/// The terms of `field` a fuzzy or prefix word stands for, other than the
/// word itself: the most frequent first, at most [`MAX_EXPANSIONS`].
/// Frequencies add up over segments, from each segment's own most frequent
/// candidates.
fn expand(searcher: &Searcher, field: Field, word: &QueryWord) -> tantivy::Result<Vec<String>> {
    if !word.fuzzy && !word.prefix {
        return Ok(Vec::new());
    }
    let dfa = if word.fuzzy {
        Some(FuzzyTermQuery::new(Term::from_field_text(field, &word.fold), 1, true).automaton()?)
    } else {
        None
    };
    let own = word.fold.as_bytes();
    let mut found: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut best = Best::default();
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let terms: &TermDictionary = index.terms();
        if let Some(dfa) = &dfa {
            let mut stream = terms.search(dfa).into_stream()?;
            for _ in 0..MAX_SCAN {
                if !stream.advance() {
                    break;
                }
                best.offer(stream.key(), stream.value().doc_freq, own);
            }
        }
        if word.prefix {
            let mut stream = terms.range().ge(own).into_stream()?;
            for _ in 0..MAX_SCAN {
                if !stream.advance() || !stream.key().starts_with(own) {
                    break;
                }
                best.offer(stream.key(), stream.value().doc_freq, own);
            }
        }
        for (doc_freq, key) in best.0.drain() {
            *found.entry(key).or_default() += u64::from(doc_freq.0);
        }
    }
    let mut found: Vec<(Vec<u8>, u64)> = found.into_iter().collect();
    found.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(MAX_EXPANSIONS);
    Ok(found
        .into_iter()
        .filter_map(|(k, _)| String::from_utf8(k).ok())
        .collect())
}

/// The [`MAX_EXPANSIONS`] most frequent terms of a segment seen so far: a
/// min-heap, so that a short prefix, which reads a thousand terms, copies
/// only those that enter it.
#[derive(Default)]
struct Best(BinaryHeap<(Reverse<u32>, Vec<u8>)>);

impl Best {
    fn offer(&mut self, key: &[u8], doc_freq: u32, own: &[u8]) {
        if key == own {
            return;
        }
        if self.0.len() < MAX_EXPANSIONS {
            self.0.push((Reverse(doc_freq), key.to_vec()));
        } else if let Some(mut least) = self.0.peek_mut()
            && doc_freq > least.0.0
        {
            *least = (Reverse(doc_freq), key.to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_refused() {
        assert!(matches!(check(""), Err(QueryError::Empty)));
        assert!(matches!(check(" \u{3000} "), Err(QueryError::Empty)));
        assert!(matches!(
            check(&"a".repeat(1025)),
            Err(QueryError::TooLong { len: 1025 })
        ));
        assert!(matches!(check("ab\0c"), Err(QueryError::ControlCharacter)));
        assert!(matches!(
            check("ab\u{7}"),
            Err(QueryError::ControlCharacter)
        ));
        assert!(check(&"a".repeat(1024)).is_ok());
        assert!(check("?!").is_ok());
    }

    #[test]
    fn last_word_is_a_prefix_while_typed() {
        let w = analyse("Les fractions photosy");
        assert_eq!(w.len(), 3);
        assert!(w[2].prefix && !w[0].prefix && !w[1].prefix);
        assert!(w[1].fuzzy && !w[0].fuzzy);
        assert!(!analyse("photosy ")[0].prefix);
        assert!(analyse("x")[0].prefix);
        assert!(analyse("?! …").is_empty());
        assert_eq!(analyse(&"a ".repeat(100)).len(), MAX_WORDS);
    }
}
