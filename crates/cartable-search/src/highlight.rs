//! Highlighting: a hit's title and a snippet of its body, with the words
//! that matched the query marked.
//!
//! Hand-written rather than tantivy's `SnippetGenerator`, which only sees
//! the terms of plain term queries: it would mark nothing for a fuzzy or
//! prefix match, and would not know which stemmed field matched. Here each
//! stored text is cut and folded by the same analyzers as the index, and a
//! token is marked when it matches a query word the way the query does:
//! same fold, same stem in the text's language, starts with the last
//! (prefix) word, or one edit from a word of five letters or more.
//!
//! [`Marked`] serialises as a list of segments,
//! `[{"text": "Les ", "match": false}, {"text": "fractions", "match": true}]`,
//! whose texts concatenate to the shown text.

use std::ops::ControlFlow;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{self, Analyzers, FirstLetters, StemLang, Stems};
use crate::query::QueryWord;

/// About this many characters of body make a snippet.
pub(crate) const SNIPPET_CHARS: usize = 160;
/// The snippet starts about this many characters before the first match.
const SNIPPET_LEAD: usize = 40;
/// Body bytes read, per hit, to find a first match; past them the snippet
/// is the start of the body. Bounds the cost of a page of hits that matched
/// by their titles only (a 20-hit page then reads 80 KB at most).
const MAX_SCAN_BYTES: usize = 4 * 1024;

/// Text cut into segments, `true` for the words that matched the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marked(pub Vec<(String, bool)>);

impl Marked {
    /// The text without marks.
    pub fn plain(&self) -> String {
        self.0.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// The matched segments.
    pub fn matches(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter(|(_, m)| *m).map(|(t, _)| t.as_str())
    }

    /// HTML: the text escaped, each match in `<mark>…</mark>`.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        for (text, matched) in &self.0 {
            if *matched {
                out.push_str("<mark>");
            }
            cartable_core::escape_html(text, &mut out);
            if *matched {
                out.push_str("</mark>");
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(t, _)| t.is_empty())
    }

    fn push(&mut self, text: &str, matched: bool) {
        if text.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some((last, m)) if *m == matched => last.push_str(text),
            _ => self.0.push((text.to_owned(), matched)),
        }
    }
}

impl Serialize for Marked {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Segment<'a>(&'a str, bool);
        impl Serialize for Segment<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("text", self.0)?;
                m.serialize_entry("match", &self.1)?;
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (text, matched) in &self.0 {
            seq.serialize_element(&Segment(text, *matched))?;
        }
        seq.end()
    }
}

/// Marks the words of texts that match a query's words.
pub(crate) struct Highlighter<'q> {
    matcher: Matcher<'q>,
    /// The fold analyzer, skipping the words that cannot match.
    analyzer: TextAnalyzer,
}

struct Matcher<'q> {
    words: &'q [QueryWord],
    /// Per word and stemmed language, the stem's first two letters, which a
    /// token's fold must start with (contain, in Arabic) before it is worth
    /// stemming: stemming every token of a body would cost more than the
    /// search itself.
    stem_keys: Vec<[Option<String>; 4]>,
}

impl<'q> Highlighter<'q> {
    pub(crate) fn new(words: &'q [QueryWord]) -> Highlighter<'q> {
        let stem_keys = words
            .iter()
            .map(|w| {
                w.stems
                    .clone()
                    .map(|s| s.map(|s| s.chars().take(2).collect()))
            })
            .collect();
        let analyzer = analysis::highlight_analyzer(first_letters(words));
        Highlighter {
            matcher: Matcher { words, stem_keys },
            analyzer,
        }
    }

    /// Calls `f` with the byte range of each word of `text` (in `lang`)
    /// that matches, until it breaks or a word starts at or after `stop`
    /// while `f` has asked for no more than the first.
    fn scan(
        &mut self,
        a: &mut Analyzers,
        lang: &str,
        text: &str,
        mut f: impl FnMut(usize, usize, bool) -> ControlFlow<()>,
    ) {
        let lang = StemLang::of(lang);
        let mut stream = self.analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            let raw = &text[t.offset_from..t.offset_to];
            let matched = self.matcher.matches(&mut a.stem, lang, raw, &t.text);
            if f(t.offset_from, t.offset_to, matched).is_break() {
                break;
            }
        }
    }

    /// The whole of `text` with its matches marked.
    pub(crate) fn mark(&mut self, a: &mut Analyzers, lang: &str, text: &str) -> Marked {
        let mut out = Marked::default();
        let mut at = 0;
        self.scan(a, lang, text, |from, to, matched| {
            if matched {
                out.push(&text[at..from], false);
                out.push(&text[from..to], true);
                at = to;
            }
            ControlFlow::Continue(())
        });
        out.push(&text[at..], false);
        out
    }

    /// A snippet of about [`SNIPPET_CHARS`] around the first match in
    /// `texts` (tried in order), or the start of the first text if none
    /// matches within the bytes scanned.
    pub(crate) fn snippet<'t>(
        &mut self,
        a: &mut Analyzers,
        texts: impl Iterator<Item = (&'t str, &'t str)> + Clone,
    ) -> Marked {
        let mut budget = MAX_SCAN_BYTES;
        for (lang, text) in texts.clone() {
            if budget == 0 {
                break;
            }
            let scan = text.len().min(budget);
            budget -= scan;
            if let Some(marked) = self.snippet_of(a, lang, text, scan) {
                return marked;
            }
        }
        let Some((_, text)) = texts.into_iter().find(|(_, t)| !t.trim().is_empty()) else {
            return Marked::default();
        };
        let end = window_end(text, 0, 0);
        let mut out = Marked::default();
        push_spaced(&mut out, &text[..end], false);
        if end < text.len() {
            out.push("…", false);
        }
        out
    }

    /// The snippet of `text` around its first match, if one starts in its
    /// first `scan` bytes.
    fn snippet_of(
        &mut self,
        a: &mut Analyzers,
        lang: &str,
        text: &str,
        scan: usize,
    ) -> Option<Marked> {
        let mut matches: Vec<(usize, usize)> = Vec::new();
        let mut window: Option<(usize, usize)> = None;
        self.scan(a, lang, text, |from, to, matched| {
            match window {
                Some((_, end)) if to > end => return ControlFlow::Break(()),
                None if from >= scan => return ControlFlow::Break(()),
                _ => {}
            }
            if matched {
                if window.is_none() {
                    let start = window_start(text, from);
                    window = Some((start, window_end(text, start, to)));
                }
                matches.push((from, to));
            }
            ControlFlow::Continue(())
        });
        let (start, end) = window?;
        let mut out = Marked::default();
        if start > 0 {
            out.push("…", false);
        }
        let mut at = start;
        for (from, to) in matches {
            push_spaced(&mut out, &text[at..from], false);
            out.push(&text[from..to], true);
            at = to;
        }
        push_spaced(&mut out, &text[at..end], false);
        if end < text.len() {
            out.push("…", false);
        }
        Some(out)
    }
}

/// The letters a matching word can start with (see
/// [`analysis::highlight_analyzer`]): the first letters of the query's
/// folded words and of their French, English and Turkish stems (which keep
/// the start of the word); any letter of another script if one of those
/// starts with one, or if there is an Arabic stem (Arabic stems lose the
/// start of the word); and all of them while a word is fuzzy: a typo may be
/// in its first letter.
fn first_letters(words: &[QueryWord]) -> FirstLetters {
    if words.iter().any(|w| w.fuzzy) {
        return FirstLetters::ALL;
    }
    let mut first = FirstLetters {
        ascii: 0,
        other_scripts: false,
    };
    for w in words {
        let stems =
            [StemLang::Fr, StemLang::En, StemLang::Tr].map(|l| w.stems[l.index()].as_deref());
        for text in std::iter::once(Some(w.fold.as_str()))
            .chain(stems)
            .flatten()
        {
            match text.chars().next() {
                Some(c) if c.is_ascii() => first.ascii |= 1u128 << (c as u8),
                Some(_) => first.other_scripts = true,
                None => {}
            }
        }
        if w.stems[StemLang::Ar.index()]
            .as_deref()
            .is_some_and(|s| !s.is_ascii())
        {
            first.other_scripts = true;
        }
    }
    first
}

impl Matcher<'_> {
    /// Whether the token `raw`, folded to `fold`, in a text of `lang`,
    /// matches a query word.
    fn matches(&self, stems: &mut Stems, lang: Option<StemLang>, raw: &str, fold: &str) -> bool {
        let mut stem: Option<Option<String>> = None;
        for (w, keys) in self.words.iter().zip(&self.stem_keys) {
            if fold == w.fold
                || (w.prefix && fold.starts_with(&w.fold))
                || (w.fuzzy && within_one_edit(fold, &w.fold))
            {
                return true;
            }
            let Some(lang) = lang else { continue };
            let (Some(want), Some(key)) = (&w.stems[lang.index()], &keys[lang.index()]) else {
                continue;
            };
            // Snowball strips only suffixes, except Arabic (prefixes too).
            let worth = match lang {
                StemLang::Ar => fold.contains(key.as_str()),
                _ => fold.starts_with(key.as_str()),
            };
            if !worth {
                continue;
            }
            let got = stem.get_or_insert_with(|| stems.stem_word(lang, raw));
            if got.as_deref() == Some(want.as_str()) {
                return true;
            }
        }
        false
    }
}

/// Pushes `text` with each run of white space (transcripts have line
/// breaks) made one space.
fn push_spaced(out: &mut Marked, text: &str, matched: bool) {
    let mut rest = text;
    while let Some(i) = rest.find(char::is_whitespace) {
        out.push(&rest[..i], matched);
        out.push(" ", matched);
        rest = rest[i..].trim_start();
    }
    out.push(rest, matched);
}

/// Where a snippet whose first match starts at `first` begins: about
/// [`SNIPPET_LEAD`] characters earlier, at the start of a word.
fn window_start(text: &str, first: usize) -> usize {
    let before = &text[..first];
    let Some((back, _)) = before.char_indices().rev().nth(SNIPPET_LEAD) else {
        return 0;
    };
    match before[back..].find(char::is_whitespace) {
        Some(i) => {
            let space = back + i;
            space + before[space..].chars().next().map_or(0, char::len_utf8)
        }
        None => back,
    }
}

/// Where a snippet from `start` ends: about [`SNIPPET_CHARS`] characters
/// later, after a whole word, and never before `min`.
fn window_end(text: &str, start: usize, min: usize) -> usize {
    let Some((far, _)) = text[start..].char_indices().nth(SNIPPET_CHARS) else {
        return text.len();
    };
    let far = start + far;
    match text[..far].rfind(char::is_whitespace) {
        Some(space) if space > min => space,
        _ => far.max(min),
    }
}

/// Whether `a` and `b` are at most one edit apart (insertion, deletion,
/// substitution, or a transposition of neighbours, as the fuzzy query).
/// Called for every token of every highlighted text: it compares slices
/// and allocates nothing.
pub(crate) fn within_one_edit(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let (short, long) = if la <= lb { (a, b) } else { (b, a) };
    // The byte offset of the first difference, in both.
    let at = short
        .char_indices()
        .zip(long.chars())
        .find(|((_, x), y)| x != y)
        .map_or(short.len(), |((i, _), _)| i);
    let (s_rest, l_rest) = (&short[at..], &long[at..]);
    let skip = |t: &str| t.chars().next().map_or(0, char::len_utf8);
    if la != lb {
        // One character more in `long`.
        return s_rest == &l_rest[skip(l_rest)..];
    }
    if s_rest[skip(s_rest)..] == l_rest[skip(l_rest)..] {
        return true;
    }
    let mut s_chars = s_rest.chars();
    let mut l_chars = l_rest.chars();
    match (
        s_chars.next(),
        s_chars.next(),
        l_chars.next(),
        l_chars.next(),
    ) {
        (Some(s0), Some(s1), Some(l0), Some(l1)) if s0 == l1 && s1 == l0 => {
            s_chars.as_str() == l_chars.as_str()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis;
    use crate::query::analyse;

    fn mark(query: &str, lang: &str, text: &str) -> Vec<String> {
        let words = analyse(query);
        let mut h = Highlighter::new(&words);
        let m = analysis::with(|a| h.mark(a, lang, text));
        assert_eq!(m.plain(), text);
        m.matches().map(str::to_owned).collect()
    }

    #[test]
    fn edits() {
        assert!(within_one_edit("mathematiques", "mathematiqes"));
        assert!(within_one_edit("mathematiques", "mathematiqeus"));
        assert!(within_one_edit("abcd", "abed"));
        assert!(within_one_edit("ab", "abc"));
        assert!(!within_one_edit("abcd", "badc"));
        assert!(!within_one_edit("abc", "abcde"));
        assert!(!within_one_edit("", "ab"));
        assert!(within_one_edit("", "a"));
        assert!(within_one_edit("ışık", "ışk"));
        assert!(within_one_edit("ⵜⵉⴼⵉⵏⴰⵖ", "ⵜⵉⴼⵏⵉⴰⵖ"));
        assert!(within_one_edit("الرياضيات", "الرياضيا"));
        assert!(!within_one_edit("abcdef", "abdcfe"));
        assert!(!within_one_edit("abcd", "abdd "));
    }

    #[test]
    fn marks_exact_stemmed_fuzzy_and_prefix_matches() {
        assert_eq!(
            mark(
                "mathematiqes et",
                "fr",
                "Les Mathématiques et la vie. Et après ?"
            ),
            ["Mathématiques", "et", "Et"]
        );
        assert_eq!(
            mark("plant", "en", "Photosynthesis in green plants"),
            ["plants"]
        );
        assert_eq!(
            mark("green photosy", "en", "Photosynthesis in green plants"),
            ["Photosynthesis", "green"]
        );
        assert_eq!(mark("isik", "tr", "Işık ve ısı"), ["Işık"]);
        assert_eq!(mark("رياضيات", "ar", "درس في الرِّيَاضِيَّات"), ["الرِّيَاضِيَّات"]);
    }

    #[test]
    fn words_that_cannot_match_are_skipped_but_not_those_that_fold_alike() {
        assert_eq!(
            mark("ecole 3 ", "fr", "L'École n° ٣ et l'eau"),
            ["École", "٣"]
        );
        assert_eq!(mark("eau ", "ar", "الماء eau ماء"), ["eau"]);
        assert_eq!(mark("ماء ", "ar", "الماء eau ماء"), ["الماء", "ماء"]);
        assert_eq!(
            mark("ⵜⵉⴼⵉⵏⴰⵖ ", "zgh", "ⴰⵍⵎⵎⵓⴷ ⵏ ⵜⵉⴼⵉⵏⴰⵖ tifinagh"),
            ["ⵜⵉⴼⵉⵏⴰⵖ"]
        );
        assert_eq!(
            mark("ﬁn", "fr", "La ﬁn, FIN et ＦＩＮ"),
            ["ﬁn", "FIN", "ＦＩＮ"]
        );
    }

    #[test]
    fn snippet_is_around_the_first_match() {
        let words = analyse("quatorze ");
        let mut h = Highlighter::new(&words);
        let text = format!(
            "{} quatorze {}",
            "un deux trois ".repeat(20),
            "cinq six sept ".repeat(20)
        );
        let m = analysis::with(|a| h.snippet(a, [("fr", text.as_str())].into_iter()));
        let plain = m.plain();
        assert!(plain.starts_with('…') && plain.ends_with('…'), "{plain}");
        assert!(plain.chars().count() <= SNIPPET_CHARS + 4, "{plain}");
        assert_eq!(m.matches().collect::<Vec<_>>(), ["quatorze"]);
        let lead = plain.find("quatorze").unwrap_or(0);
        assert!(
            (30..=60).contains(&plain[..lead].chars().count()),
            "{plain}"
        );
    }

    #[test]
    fn snippet_reads_a_bounded_part_of_long_bodies() {
        let words = analyse("needle ");
        let mut h = Highlighter::new(&words);
        let near = format!("{}needle", "hay ".repeat(900));
        let far = format!("{}needle", "hay ".repeat(1100));
        let m = analysis::with(|a| h.snippet(a, [("en", near.as_str())].into_iter()));
        assert_eq!(m.matches().collect::<Vec<_>>(), ["needle"]);
        assert!(m.plain().starts_with('…') && !m.plain().ends_with('…'));
        let m = analysis::with(|a| h.snippet(a, [("en", far.as_str())].into_iter()));
        assert_eq!(m.matches().count(), 0);
        assert!(m.plain().starts_with("hay hay") && m.plain().ends_with('…'));
    }

    #[test]
    fn snippet_without_match_is_the_start() {
        let words = analyse("zzz ");
        let mut h = Highlighter::new(&words);
        let m =
            analysis::with(|a| h.snippet(a, [("en", ""), ("en", "Short\n\ntext.")].into_iter()));
        assert_eq!(m.plain(), "Short text.");
        assert_eq!(m.matches().count(), 0);
    }

    #[test]
    fn json_shape_and_html() {
        let m = Marked(vec![("a <b> ".into(), false), ("c".into(), true)]);
        assert_eq!(
            serde_json::to_string(&m).ok().as_deref(),
            Some(r#"[{"text":"a <b> ","match":false},{"text":"c","match":true}]"#)
        );
        assert_eq!(m.to_html(), "a &lt;b&gt; <mark>c</mark>");
    }
}
