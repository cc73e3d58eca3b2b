//! Text analysis: how a text becomes index terms, shared by indexing, query
//! analysis and highlighting so that the three always agree.
//!
//! Every text goes through [`Words`] (the tokenizer) and then through one of
//! two kinds of analyzer, registered on the index under the names in
//! [`FOLD`] and [`StemLang::tokenizer_name`]:
//!
//! - **fold**, language-independent: lower case with every form of Turkish
//!   `i` made `i`, accents and combining marks removed, Arabic normalised
//!   (alef and hamza forms, taa marbuta, alef maqsura, harakat, tatweel),
//!   Arabic-Indic digits made ASCII. Exact, prefix and fuzzy matching use it.
//! - **stemmed**, one per language we can stem (ar, fr, en, tr): the
//!   language's own lower-casing (Turkish `I` → `ı`, `İ` → `i`, which the
//!   Turkish stemmer expects; for Arabic, a light normalisation and the
//!   article removed), tantivy's Snowball stemmer, then the fold, so that
//!   `ışık` and `isik` stem alike.
//!
//! Query words and highlighted texts are analysed with the same analyzers,
//! through [`with`], which lends a thread's own copy (a `TextAnalyzer` needs
//! `&mut` to run).

use std::cell::RefCell;
use std::mem;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer, TokenizerManager,
};

/// The name of the language-independent analyzer.
pub(crate) const FOLD: &str = "cartable_fold";

/// Longer "words" are URLs, hashes or base64, never typed into a search box.
const MAX_WORD_BYTES: usize = 96;

/// The languages with a stemmed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StemLang {
    Ar,
    Fr,
    En,
    Tr,
}

impl StemLang {
    pub(crate) const ALL: [StemLang; 4] = [StemLang::Ar, StemLang::Fr, StemLang::En, StemLang::Tr];

    /// The stemmed language of a language code (`fr`, `fr-MA`, `AR`…), if any.
    pub(crate) fn of(code: &str) -> Option<StemLang> {
        let primary = code.split(['-', '_']).next().unwrap_or(code);
        match primary.to_ascii_lowercase().as_str() {
            "ar" => Some(StemLang::Ar),
            "fr" => Some(StemLang::Fr),
            "en" => Some(StemLang::En),
            "tr" => Some(StemLang::Tr),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn tokenizer_name(self) -> &'static str {
        match self {
            StemLang::Ar => "cartable_ar",
            StemLang::Fr => "cartable_fr",
            StemLang::En => "cartable_en",
            StemLang::Tr => "cartable_tr",
        }
    }

    fn analyzer(self) -> TextAnalyzer {
        let stemmed = |lower: fn(&str, &mut String), language| {
            TextAnalyzer::builder(Words)
                .filter(MapFilter(lower))
                .filter(Stemmer::new(language))
                .filter(MapFilter(fold_into))
                .filter(AsciiFoldingFilter)
                .build()
        };
        match self {
            StemLang::Ar => stemmed(arabic_pre_stem_into, Language::Arabic),
            StemLang::Fr => stemmed(lower_into, Language::French),
            StemLang::En => stemmed(lower_into, Language::English),
            StemLang::Tr => stemmed(turkish_lower_into, Language::Turkish),
        }
    }
}

fn fold_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(Words)
        .filter(MapFilter(fold_into))
        .filter(AsciiFoldingFilter)
        .build()
}

/// The letters a word must start with to be worth folding while
/// highlighting: the words that start otherwise cannot match the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FirstLetters {
    /// ASCII bytes, bit `b` for byte `b`.
    pub(crate) ascii: u128,
    /// Whether words that start with a letter of another script (Arabic,
    /// Tifinagh…) may match.
    pub(crate) other_scripts: bool,
}

impl FirstLetters {
    pub(crate) const ALL: FirstLetters = FirstLetters {
        ascii: u128::MAX,
        other_scripts: true,
    };

    fn may_match(self, word: &str) -> bool {
        let Some(c) = word.chars().next() else {
            return false;
        };
        if c.is_ascii() {
            return self.ascii & (1u128 << (c as u8).to_ascii_lowercase()) != 0;
        }
        // Latin letters with accents, combining marks, Arabic-Indic digits,
        // fullwidth and other forms that the fold may turn into ASCII: fold
        // them and see.
        let may_become_ascii = matches!(c,
            '\u{80}'..='\u{36F}' | '\u{660}'..='\u{669}' | '\u{6F0}'..='\u{6F9}'
            | '\u{1AB0}'..='\u{1EFF}' | '\u{2000}'..='\u{2BFF}' | '\u{FB00}'..='\u{FB06}'
            | '\u{FE20}'..='\u{FE2F}' | '\u{FF00}'..='\u{FFEF}');
        may_become_ascii || self.other_scripts
    }
}

/// The fold analyzer for highlighting: it skips (leaves out) the words that
/// cannot start like a query word, before the fold's work. Most words of a
/// text are skipped so, and in a text of another script all of them.
pub(crate) fn highlight_analyzer(first: FirstLetters) -> TextAnalyzer {
    let fold_if_may_match = move |word: &str, out: &mut String| {
        if first.may_match(word) {
            fold_into(word, out);
        } else {
            out.clear();
        }
    };
    TextAnalyzer::builder(Words)
        .filter(MapFilter(fold_if_may_match))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers the analyzers on an index's tokenizer manager.
pub(crate) fn register(manager: &TokenizerManager) {
    manager.register(FOLD, fold_analyzer());
    for lang in StemLang::ALL {
        manager.register(lang.tokenizer_name(), lang.analyzer());
    }
}

/// One thread's analyzers, for query words and highlighting.
pub(crate) struct Analyzers {
    pub(crate) fold: TextAnalyzer,
    pub(crate) stem: Stems,
}

/// The stemmed analyzers, apart from the fold one so that a text can be
/// folded token by token while single words are stemmed.
pub(crate) struct Stems([TextAnalyzer; 4]);

impl Analyzers {
    fn new() -> Analyzers {
        Analyzers {
            fold: fold_analyzer(),
            stem: Stems(StemLang::ALL.map(StemLang::analyzer)),
        }
    }

    /// The folded form of one word (as [`Words`] cuts it), None if nothing is
    /// left of it.
    pub(crate) fn fold_word(&mut self, word: &str) -> Option<String> {
        first_token(&mut self.fold, word)
    }
}

impl Stems {
    /// The stem of one word in `lang`, None if nothing is left of it.
    pub(crate) fn stem_word(&mut self, lang: StemLang, word: &str) -> Option<String> {
        first_token(&mut self.0[lang.index()], word)
    }
}

fn first_token(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    if stream.advance() {
        Some(mem::take(&mut stream.token_mut().text))
    } else {
        None
    }
}

thread_local! {
    static ANALYZERS: RefCell<Analyzers> = RefCell::new(Analyzers::new());
}

/// Runs `f` with this thread's analyzers (a fresh set if they are already
/// lent, so that a nested call cannot panic).
pub(crate) fn with<R>(f: impl FnOnce(&mut Analyzers) -> R) -> R {
    ANALYZERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut analyzers) => f(&mut analyzers),
        Err(_) => f(&mut Analyzers::new()),
    })
}

/// Calls `f` with the byte range of each word of `text`, as every analyzer
/// cuts it.
pub(crate) fn words(text: &str, mut f: impl FnMut(usize, usize)) {
    let mut words = Words;
    let mut stream = words.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        f(token.offset_from, token.offset_to);
    }
}

/// Marks that belong inside a word and that the fold removes: Latin
/// combining accents, Arabic harakat, Quranic marks and tatweel, the
/// Tifinagh consonant joiner, zero-width joiners and the soft hyphen.
/// Several of them are not alphanumeric, so without this list a word with
/// harakat would be cut at every vowel mark.
fn is_word_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E4}' | '\u{06E7}' | '\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{2D7F}' | '\u{200C}' | '\u{200D}' | '\u{00AD}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_word_mark(c)
}

/// The language-independent fold of one word (see the module's comment).
/// Latin accents are left to tantivy's `AsciiFoldingFilter`, which follows.
pub(crate) fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    for c in word.chars() {
        match c {
            'İ' | 'I' | 'ı' => out.push('i'),
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ؤ' => out.push('و'),
            'ئ' | 'ى' | 'ی' => out.push('ي'),
            'ة' => out.push('ه'),
            'ک' => out.push('ك'),
            '٠'..='٩' => out.push(shift_digit(c, '٠')),
            '۰'..='۹' => out.push(shift_digit(c, '۰')),
            c if is_word_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
}

fn shift_digit(c: char, zero: char) -> char {
    let n = u32::from(c) - u32::from(zero);
    char::from_digit(n, 10).unwrap_or(c)
}

/// Prepares an Arabic word for the Snowball stemmer: harakat and tatweel
/// removed, alef and hamza forms unified, but taa marbuta and alef maqsura
/// kept (the stemmer's suffix rules need them; the fold after the stemmer
/// changes them), and the definite article with its attached particles
/// (وال، بال، كال، فال، لل، ال) removed. Snowball removes the article too, but
/// then strips suffixes by the shortened length, so that `الرياضيات` and
/// `رياضيات` would get different stems; removing it first makes a word stem
/// alike with and without it.
fn arabic_pre_stem_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ؤ' => out.push('و'),
            'ئ' => out.push('ي'),
            c if is_word_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    for article in ["وال", "بال", "كال", "فال", "لل", "ال"] {
        if let Some(rest) = out.strip_prefix(article)
            && rest.chars().nth(2).is_some()
        {
            out.replace_range(..article.len(), "");
            break;
        }
    }
}

/// Lower case for French and English: as `to_lowercase`, except that `İ`
/// gives `i` rather than `i` + combining dot.
fn lower_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        match c {
            'İ' => out.push('i'),
            c => out.extend(c.to_lowercase()),
        }
    }
}

/// Turkish lower case: `I` → `ı`, `İ` (or `I` + combining dot) → `i`.
fn turkish_lower_into(word: &str, out: &mut String) {
    out.clear();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'I' if chars.peek() == Some(&'\u{0307}') => {
                chars.next();
                out.push('i');
            }
            'I' => out.push('ı'),
            'İ' => out.push('i'),
            c => out.extend(c.to_lowercase()),
        }
    }
}

/// The byte offset of the first character of `text` that is (`word`) or is
/// not a word character. Highlighting cuts every stored text it shows, so
/// ASCII is tested byte by byte, without decoding characters.
fn find_word_edge(text: &str, word: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() == word {
                return Some(i);
            }
            i += 1;
        } else {
            let c = text.get(i..)?.chars().next()?;
            if is_word_char(c) == word {
                return Some(i);
            }
            i += c.len_utf8();
        }
    }
    None
}

/// Cuts text into words: runs of letters, digits and in-word marks. Every
/// other character (space, punctuation, apostrophe, symbol) separates words,
/// so `İstanbul'un` gives `İstanbul` and `un`, and `l'eau` gives `l`, `eau`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Words;

pub(crate) struct WordStream<'a> {
    text: &'a str,
    at: usize,
    next_position: usize,
    token: Token,
}

impl Tokenizer for Words {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        WordStream {
            text,
            at: 0,
            next_position: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some(start) = find_word_edge(&self.text[self.at..], true) else {
                self.at = self.text.len();
                return false;
            };
            let from = self.at + start;
            let len = find_word_edge(&self.text[from..], false).unwrap_or(self.text.len() - from);
            let to = from + len;
            self.at = to;
            if len > MAX_WORD_BYTES {
                continue;
            }
            self.token.text.clear();
            self.token.text.push_str(&self.text[from..to]);
            self.token.offset_from = from;
            self.token.offset_to = to;
            self.token.position = self.next_position;
            self.next_position += 1;
            self.token.position_length = 1;
            return true;
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// A token filter that rewrites each token's text with a function and drops
/// the tokens left empty. One generic filter rather than one per step: each
/// tantivy filter needs three types of boilerplate.
#[derive(Clone, Copy)]
pub(crate) struct MapFilter<F>(pub(crate) F);

/// What a [`MapFilter`] can hold.
pub(crate) trait Map: Fn(&str, &mut String) + Clone + Send + Sync + 'static {}
impl<F: Fn(&str, &mut String) + Clone + Send + Sync + 'static> Map for F {}

#[derive(Clone)]
pub(crate) struct MapTokenizer<T, F> {
    inner: T,
    map: F,
    buffer: String,
}

pub(crate) struct MapStream<'a, S, F> {
    tail: S,
    map: &'a F,
    buffer: &'a mut String,
}

impl<F: Map> TokenFilter for MapFilter<F> {
    type Tokenizer<T: Tokenizer> = MapTokenizer<T, F>;

    fn transform<T: Tokenizer>(self, inner: T) -> MapTokenizer<T, F> {
        MapTokenizer {
            inner,
            map: self.0,
            buffer: String::new(),
        }
    }
}

impl<T: Tokenizer, F: Map> Tokenizer for MapTokenizer<T, F> {
    type TokenStream<'a> = MapStream<'a, T::TokenStream<'a>, F>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapStream {
            tail: self.inner.token_stream(text),
            map: &self.map,
            buffer: &mut self.buffer,
        }
    }
}

impl<S: TokenStream, F: Map> TokenStream for MapStream<'_, S, F> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            (self.map)(&self.tail.token().text, self.buffer);
            if !self.buffer.is_empty() {
                mem::swap(&mut self.tail.token_mut().text, self.buffer);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold_all(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        with(|a| {
            let mut stream = a.fold.token_stream(text);
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
        });
        out
    }

    fn stem(lang: StemLang, word: &str) -> Option<String> {
        with(|a| a.stem.stem_word(lang, word))
    }

    #[test]
    fn arabic_is_normalised_and_kept_whole_with_harakat() {
        assert_eq!(fold_all("الرِّيَاضِيَّاتُ"), ["الرياضيات"]);
        assert_eq!(
            fold_all("أَحْمَد إِبْرَاهِيم آدَم ٱلْ"),
            ["احمد", "ابراهيم", "ادم", "ال"]
        );
        assert_eq!(
            fold_all("مسؤول شاطئ مدرسة مستشفى"),
            ["مسوول", "شاطي", "مدرسه", "مستشفي"]
        );
        assert_eq!(fold_all("كـــتاب"), ["كتاب"]);
        assert_eq!(fold_all("الدرس ٣"), ["الدرس", "3"]);
    }

    #[test]
    fn latin_accents_and_turkish_i_fold() {
        assert_eq!(
            fold_all("Mathématiques ÉLÈVE cœur"),
            ["mathematiques", "eleve", "coeur"]
        );
        assert_eq!(
            fold_all("İstanbul'un ISIK Işık ışık"),
            ["istanbul", "un", "isik", "isik", "isik"]
        );
        // Decomposed accents and a decomposed İ.
        assert_eq!(fold_all("e\u{301}te\u{301} I\u{307}zmir"), ["ete", "izmir"]);
    }

    #[test]
    fn tifinagh_words_are_words() {
        assert_eq!(
            fold_all("ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⵓⵙⵏⴰ, ⴰⵎⴰⵏ!"),
            ["ⵜⴰⵎⴰⵣⵉⵖⵜ", "ⵜⵓⵙⵏⴰ", "ⴰⵎⴰⵏ"]
        );
    }

    #[test]
    fn turkish_stemming_sees_dotless_i() {
        // Lower-cased the Turkish way before the stemmer, folded after it.
        assert_eq!(stem(StemLang::Tr, "IŞIK"), stem(StemLang::Tr, "ışık"));
        assert_eq!(stem(StemLang::Tr, "İstanbul"), Some("istanbul".into()));
    }

    #[test]
    fn stems_cover_plurals() {
        assert_eq!(stem(StemLang::En, "plants"), stem(StemLang::En, "plant"));
        assert_eq!(
            stem(StemLang::Fr, "fractions"),
            stem(StemLang::Fr, "fraction")
        );
        assert_eq!(
            stem(StemLang::Fr, "Mathématiques"),
            stem(StemLang::Fr, "mathematiques")
        );
        assert_eq!(
            stem(StemLang::Ar, "الرياضيات"),
            stem(StemLang::Ar, "رياضيات")
        );
        assert_eq!(
            stem(StemLang::Ar, "الرِّيَاضِيَّاتُ"),
            stem(StemLang::Ar, "رياضيات")
        );
        assert_eq!(stem(StemLang::Ar, "المدرسة"), stem(StemLang::Ar, "مدرسه"));
        assert_eq!(stem(StemLang::Ar, "والكتاب"), stem(StemLang::Ar, "كتاب"));
        assert_eq!(stem(StemLang::Ar, "المعلمين"), stem(StemLang::Ar, "معلمون"));
    }

    #[test]
    fn punctuation_and_long_junk_give_no_word() {
        assert!(fold_all("?!… — «»").is_empty());
        assert!(fold_all(&"a".repeat(200)).is_empty());
        assert!(fold_all("\u{0651}").is_empty());
    }

    #[test]
    fn language_codes() {
        assert_eq!(StemLang::of("fr-MA"), Some(StemLang::Fr));
        assert_eq!(StemLang::of("AR"), Some(StemLang::Ar));
        assert_eq!(StemLang::of("zgh"), None);
        assert_eq!(StemLang::of(""), None);
    }
}
