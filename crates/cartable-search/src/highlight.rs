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

use crate::analysis::{Analyzers, StemLang, Stems};
use crate::query::QueryWord;

/// About this many characters of body make a snippet.
pub(crate) const SNIPPET_CHARS: usize = 160;
/// The snippet starts about this many characters before the first match.
const SNIPPET_LEAD: usize = 40;
/// Body bytes read, per hit, to find a first match; past them the snippet
/// is the start of the body.
const MAX_SCAN_BYTES: usize = 16 * 1024;

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
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&#39;"),
                    c => out.push(c),
                }
            }
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
    words: &'q [QueryWord],
    /// Per word and stemmed language, a short piece of the stem that a
    /// token's fold must contain before it is worth stemming: Snowball stems
    /// keep the start of the word, and stemming every token of a body would
    /// cost more than the search itself.
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
        Highlighter { words, stem_keys }
    }

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
            if !fold.contains(key.as_str()) {
                continue;
            }
            let got = stem.get_or_insert_with(|| stems.stem_word(lang, raw));
            if got.as_deref() == Some(want.as_str()) {
                return true;
            }
        }
        false
    }

    /// The whole of `text` with its matches marked.
    pub(crate) fn mark(&self, a: &mut Analyzers, lang: &str, text: &str) -> Marked {
        let lang = StemLang::of(lang);
        let mut out = Marked::default();
        let mut at = 0;
        a.fold_tokens(text, |t, stems| {
            let raw = &text[t.offset_from..t.offset_to];
            if self.matches(stems, lang, raw, &t.text) {
                out.push(&text[at..t.offset_from], false);
                out.push(raw, true);
                at = t.offset_to;
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
        &self,
        a: &mut Analyzers,
        texts: impl Iterator<Item = (&'t str, &'t str)> + Clone,
    ) -> Marked {
        let mut budget = MAX_SCAN_BYTES;
        for (lang, text) in texts.clone() {
            if budget == 0 {
                break;
            }
            let scanned = &text[..floor_boundary(text, budget)];
            budget -= scanned.len();
            if let Some(marked) = self.snippet_of(a, lang, scanned) {
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

    fn snippet_of(&self, a: &mut Analyzers, lang: &str, text: &str) -> Option<Marked> {
        let lang = StemLang::of(lang);
        let mut matches: Vec<(usize, usize)> = Vec::new();
        let mut window: Option<(usize, usize)> = None;
        a.fold_tokens(text, |t, stems| {
            if let Some((_, end)) = window
                && t.offset_to > end
            {
                return ControlFlow::Break(());
            }
            let raw = &text[t.offset_from..t.offset_to];
            if self.matches(stems, lang, raw, &t.text) {
                if window.is_none() {
                    let start = window_start(text, t.offset_from);
                    window = Some((start, window_end(text, start, t.offset_to)));
                }
                matches.push((t.offset_from, t.offset_to));
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

/// The largest char boundary at or below `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    (0..=i)
        .rev()
        .find(|&j| text.is_char_boundary(j))
        .unwrap_or(0)
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
pub(crate) fn within_one_edit(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let head = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        let tail = |from: usize| short[from..] == long[from..];
        // Substitution, or transposition of the two characters at `head`.
        tail(head + 1)
            || (head + 1 < short.len()
                && short[head] == long[head + 1]
                && short[head + 1] == long[head]
                && tail(head + 2))
    } else {
        short[head..] == long[head + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis;
    use crate::query::analyse;

    fn mark(query: &str, lang: &str, text: &str) -> Vec<String> {
        let words = analyse(query);
        let h = Highlighter::new(&words);
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
    fn snippet_is_around_the_first_match() {
        let words = analyse("quatorze ");
        let h = Highlighter::new(&words);
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
    fn snippet_without_match_is_the_start() {
        let words = analyse("zzz ");
        let h = Highlighter::new(&words);
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
