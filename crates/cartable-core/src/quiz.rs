//! Questions and how answers to them are scored, and the GIFT format
//! teachers bring their question banks in (Moodle's plain-text format).
//!
//! Scores are fractions from 0 to 1. Choices carry weights as GIFT and
//! Moodle give them: a single-choice question's right answer is worth 1
//! (another may be worth part of it), a multiple-choice question's options
//! add up and a wrong option takes away; matching and ordering give a
//! share per item in its place. Short text is compared without case,
//! accents or Arabic vowel marks, and with spaces folded.

pub mod moodle;
pub mod paper;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    /// Its share of the points: 1 for a right answer, 0 for a wrong one,
    /// a fraction for a partly right one, negative to take points away.
    pub weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// A numeric answer accepted within a tolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Number {
    pub value: f64,
    pub tolerance: f64,
    pub weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// What is asked, by type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// One option to pick.
    Single { choices: Vec<Choice> },
    /// Any number of options to pick.
    Multiple { choices: Vec<Choice> },
    TrueFalse {
        answer: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        feedback_true: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        feedback_false: Option<String>,
    },
    /// A number, with the units that may follow it (`cm`, `kg`); an answer
    /// with another unit is wrong.
    Numeric {
        answers: Vec<Number>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        units: Vec<String>,
    },
    /// Words typed in, compared without case or accents.
    ShortText { accepted: Vec<Choice> },
    /// Items to put in order (given here in the right order).
    Ordering { items: Vec<String> },
    /// Each prompt to pair with its answer.
    Matching { pairs: Vec<(String, String)> },
}

/// A question of a bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    pub text: String,
    #[serde(flatten)]
    pub kind: Kind,
    /// Said after any answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// Level, subject, skill…, as `level:primary-5`, `skill:fractions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Pictures and sounds shown with the text, so that those who cannot
    /// read can take the question too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
}

/// A picture or a sound of a question, as a stored blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    /// The blob's BLAKE3 hash.
    pub blob: String,
    /// `image/png`, `audio/mpeg`…
    pub mime: String,
    /// What the picture shows, for those who cannot see it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alt: String,
}

/// The media type of a question's file, by its name's extension: only
/// pictures and sounds a browser shows and plays.
pub fn media_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        _ => return None,
    })
}

/// A learner's answer, by question type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// The option picked, or the options (multiple choice), by position.
    Picks(Vec<usize>),
    Flag(bool),
    /// Typed: a number with an optional unit, or words.
    Text(String),
}

/// How an answer scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// From 0 to 1.
    pub fraction: f64,
    /// Fully right.
    pub correct: bool,
    pub feedback: Vec<String>,
}

impl Score {
    fn of(fraction: f64, feedback: Vec<String>) -> Score {
        let fraction = fraction.clamp(0.0, 1.0);
        Score {
            fraction,
            correct: fraction >= 1.0 - 1e-9,
            feedback,
        }
    }
}

/// Text folded for comparison: lowercase, without accents or Arabic
/// vowel marks, spaces folded to one.
pub fn fold(text: &str) -> String {
    let bare: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c) && *c != '\u{0640}')
        .flat_map(char::to_lowercase)
        .collect();
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A typed number and its unit: `12,5 cm` → (12.5, "cm"). A decimal
/// comma is read as a point.
fn number_and_unit(text: &str) -> Option<(f64, String)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+')))
        .unwrap_or(text.len());
    let number: f64 = text[..end].replace(',', ".").parse().ok()?;
    Some((number, text[end..].trim().to_owned()))
}

impl Question {
    /// Whether the question can be asked and scored: some text, enough
    /// options, at least one right answer.
    pub fn check(&self) -> Result<(), String> {
        if self.text.trim().is_empty() && self.media.is_empty() {
            return Err("the question has no text".into());
        }
        fn right(mut weights: impl Iterator<Item = f64>) -> bool {
            weights.any(|w| w > 0.0)
        }
        match &self.kind {
            Kind::Single { choices } | Kind::Multiple { choices } => {
                if choices.len() < 2 {
                    return Err("a choice question needs at least 2 answers".into());
                }
                if choices.iter().any(|c| c.text.trim().is_empty()) {
                    return Err("an answer is empty".into());
                }
                if !right(choices.iter().map(|c| c.weight)) {
                    return Err("no answer is right".into());
                }
            }
            Kind::TrueFalse { .. } => {}
            Kind::Numeric { answers, .. } => {
                if !right(answers.iter().map(|a| a.weight)) {
                    return Err("no number is right".into());
                }
                if answers
                    .iter()
                    .any(|a| !a.value.is_finite() || a.tolerance < 0.0)
                {
                    return Err("a number or its tolerance is not valid".into());
                }
            }
            Kind::ShortText { accepted } => {
                if !right(accepted.iter().map(|a| a.weight)) {
                    return Err("no accepted answer".into());
                }
            }
            Kind::Ordering { items } => {
                if items.len() < 2 {
                    return Err("an ordering question needs at least 2 items".into());
                }
            }
            Kind::Matching { pairs } => {
                if pairs.len() < 2 {
                    return Err("a matching question needs at least 2 pairs".into());
                }
            }
        }
        Ok(())
    }

    /// Scores an answer. An answer of the wrong shape (words for a choice
    /// question, a pick out of range) scores 0.
    pub fn score(&self, answer: &Answer) -> Score {
        let feedback = |f: &Option<String>| f.iter().cloned().collect::<Vec<_>>();
        let mut general = feedback(&self.feedback);
        let mut with = |mut score: Score| {
            score.feedback.append(&mut general);
            score
        };
        match (&self.kind, answer) {
            (Kind::Single { choices }, Answer::Picks(picks)) if picks.len() == 1 => {
                match choices.get(picks[0]) {
                    Some(c) => with(Score::of(c.weight, feedback(&c.feedback))),
                    None => with(Score::of(0.0, vec![])),
                }
            }
            (Kind::Multiple { choices }, Answer::Picks(picks)) => {
                let mut picked: Vec<usize> = picks.clone();
                picked.sort_unstable();
                picked.dedup();
                if picked.iter().any(|p| *p >= choices.len()) {
                    return with(Score::of(0.0, vec![]));
                }
                let total = picked.iter().map(|p| choices[*p].weight).sum();
                let notes = picked
                    .iter()
                    .filter_map(|p| choices[*p].feedback.clone())
                    .collect();
                with(Score::of(total, notes))
            }
            (
                Kind::TrueFalse {
                    answer: right,
                    feedback_true,
                    feedback_false,
                },
                Answer::Flag(given),
            ) => {
                let note = if *given {
                    feedback_true
                } else {
                    feedback_false
                };
                with(Score::of(
                    if given == right { 1.0 } else { 0.0 },
                    feedback(note),
                ))
            }
            (Kind::Numeric { answers, units }, Answer::Text(text)) => {
                let Some((value, unit)) = number_and_unit(text) else {
                    return with(Score::of(0.0, vec![]));
                };
                let unit_ok = if units.is_empty() {
                    unit.is_empty()
                } else {
                    unit.is_empty() || units.iter().any(|u| fold(u) == fold(&unit))
                };
                if !unit_ok {
                    return with(Score::of(0.0, vec![]));
                }
                let best = answers
                    .iter()
                    .filter(|a| (value - a.value).abs() <= a.tolerance + 1e-9)
                    .max_by(|a, b| a.weight.total_cmp(&b.weight));
                match best {
                    Some(a) => with(Score::of(a.weight, feedback(&a.feedback))),
                    None => with(Score::of(0.0, vec![])),
                }
            }
            (Kind::ShortText { accepted }, Answer::Text(text)) => {
                let typed = fold(text);
                let best = accepted
                    .iter()
                    .filter(|a| fold(&a.text) == typed)
                    .max_by(|a, b| a.weight.total_cmp(&b.weight));
                match best {
                    Some(a) => with(Score::of(a.weight, feedback(&a.feedback))),
                    None => with(Score::of(0.0, vec![])),
                }
            }
            (Kind::Ordering { items }, Answer::Picks(order)) => {
                // The learner's order, as positions in the right order: one
                // share per item in its place.
                if order.len() != items.len() || !is_permutation(order) {
                    return with(Score::of(0.0, vec![]));
                }
                let placed = order.iter().enumerate().filter(|(i, p)| i == *p).count();
                with(Score::of(placed as f64 / items.len() as f64, vec![]))
            }
            (Kind::Matching { pairs }, Answer::Picks(chosen)) => {
                // For each prompt, the answer chosen (by its position among
                // the answers in the pairs' order).
                if chosen.len() != pairs.len() {
                    return with(Score::of(0.0, vec![]));
                }
                let right = chosen
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| pairs.get(**c).is_some_and(|p| p.1 == pairs[*i].1))
                    .count();
                with(Score::of(right as f64 / pairs.len() as f64, vec![]))
            }
            _ => with(Score::of(0.0, vec![])),
        }
    }
}

fn is_permutation(order: &[usize]) -> bool {
    let mut seen = vec![false; order.len()];
    order
        .iter()
        .all(|p| *p < seen.len() && !std::mem::replace(&mut seen[*p], true))
}

/// A question a bank file could not give, by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// The id of a question in a bank: its content's hash, so importing the
/// same file again adds nothing, and an edited question is a new one
/// (attempts keep naming what they were asked).
pub fn question_id(bank: &str, question: &Question) -> String {
    let body = serde_json::to_string(question).unwrap_or_default();
    let hash = blake3::Hasher::new()
        .update(bank.as_bytes())
        .update(b"\n")
        .update(body.as_bytes())
        .finalize();
    hash.to_hex()[..16].to_owned()
}

/// The quizzes a satchel carries to a school without network, with the
/// banks they draw from (its `quizzes` section).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuizSection {
    pub banks: Vec<SectionBank>,
    pub quizzes: Vec<SectionQuiz>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionBank {
    pub id: String,
    pub title: String,
    /// Each question with its id, in the bank's order.
    pub questions: Vec<(String, Question)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionQuiz {
    pub id: String,
    pub spec: paper::QuizSpec,
}

/// The name of cartable's own bank format, in its `format` field.
pub const BANK_FORMAT: &str = "cartable-questions/1";

/// A bank in cartable's own format (docs/quizzes.md): JSON with the
/// questions as [`Question`] gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankFile {
    pub format: String,
    pub title: String,
    pub questions: Vec<Question>,
}

/// Reads a bank in cartable's format: its title, the questions, and a
/// problem for each question that does not read or check, by the line it
/// starts on.
pub fn parse_bank_json(text: &str) -> (String, Vec<Question>, Vec<Problem>) {
    #[derive(Deserialize)]
    struct Raw<'a> {
        format: String,
        #[serde(default)]
        title: String,
        #[serde(borrow)]
        questions: Vec<&'a serde_json::value::RawValue>,
    }
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let raw: Raw = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let problem = Problem {
                line: e.line(),
                reason: format!("the bank does not read as JSON: {e}"),
            };
            return (String::new(), Vec::new(), vec![problem]);
        }
    };
    if raw.format != BANK_FORMAT {
        let problem = Problem {
            line: 1,
            reason: format!("the format is {:?}, not {BANK_FORMAT:?}", raw.format),
        };
        return (raw.title, Vec::new(), vec![problem]);
    }
    let mut questions = Vec::new();
    let mut problems = Vec::new();
    for one in raw.questions {
        let line = line_of(one.get().as_ptr() as usize - text.as_ptr() as usize);
        let read = serde_json::from_str::<Question>(one.get())
            .map_err(|e| e.to_string())
            .and_then(|q| q.check().map(|()| q));
        match read {
            Ok(q) => questions.push(q),
            Err(reason) => problems.push(Problem { line, reason }),
        }
    }
    (raw.title, questions, problems)
}

/// Reads a GIFT file: the questions it gives, and a problem for each it
/// could not read (with its first line). `$CATEGORY: a/b` lines tag the
/// questions after them `category:a/b`.
///
/// Written here: no Rust crate reads GIFT. The grammar is Moodle's
/// (docs.moodle.org, "GIFT format"): questions separated by blank lines,
/// `//` comments, `::title::`, an answer block in braces, `\` escaping
/// `~ = # { } :`.
pub fn parse_gift(text: &str) -> (Vec<Question>, Vec<Problem>) {
    let mut questions = Vec::new();
    let mut problems = Vec::new();
    let mut category: Option<String> = None;
    let mut block: Vec<String> = Vec::new();
    let mut block_line = 0;
    let lines: Vec<&str> = text.lines().chain(std::iter::once("")).collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end();
        if line.trim_start().starts_with("//") {
            continue;
        }
        if let Some(rest) = line.trim_start().strip_prefix("$CATEGORY:") {
            category = Some(rest.trim().to_owned());
            continue;
        }
        if line.trim().is_empty() {
            if !block.is_empty() {
                match gift_question(&block.join("\n")) {
                    Ok(mut q) => {
                        if let Some(c) = &category {
                            q.tags.push(format!("category:{c}"));
                        }
                        questions.push(q);
                    }
                    Err(reason) => problems.push(Problem {
                        line: block_line,
                        reason,
                    }),
                }
                block.clear();
            }
            continue;
        }
        if block.is_empty() {
            block_line = i + 1;
        }
        block.push(line.to_owned());
    }
    (questions, problems)
}

/// The position of the first unescaped `wanted` in `text`.
fn find_unescaped(text: &str, wanted: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == wanted {
            return Some(i);
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some(next) => out.push(next),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// Drops a leading `[html]`, `[markdown]`, `[plain]` or `[moodle]` mark.
fn strip_format(text: &str) -> &str {
    let t = text.trim_start();
    for mark in ["[html]", "[markdown]", "[plain]", "[moodle]"] {
        if let Some(rest) = t.strip_prefix(mark) {
            return rest;
        }
    }
    t
}

fn gift_question(block: &str) -> Result<Question, String> {
    let mut rest = block.trim();
    let mut title = String::new();
    if let Some(after) = rest.strip_prefix("::") {
        let end = after
            .find("::")
            .ok_or("a title opened with :: is not closed with ::")?;
        title = unescape(&after[..end]);
        rest = after[end + 2..].trim_start();
    }
    let open = find_unescaped(rest, '{').ok_or("no answer block: add {…} after the question")?;
    let close = find_unescaped(&rest[open..], '}')
        .map(|c| c + open)
        .ok_or("the answer block opened with { is not closed with }")?;
    let before = &rest[..open];
    let after = &rest[close + 1..];
    let text = if after.trim().is_empty() {
        unescape(strip_format(before))
    } else {
        // A blank to fill in the middle of the sentence.
        format!(
            "{} _____ {}",
            unescape(strip_format(before)),
            unescape(after)
        )
        .trim()
        .to_owned()
    };
    if text.is_empty() {
        return Err("the question has no text".into());
    }
    let kind = gift_answers(&rest[open + 1..close])?;
    Ok(Question {
        title,
        text,
        kind: kind.0,
        feedback: kind.1,
        tags: Vec::new(),
        media: Vec::new(),
    })
}

/// Splits an answer block at its unescaped `=`, `~` (and keeps each
/// marker).
fn split_answers(block: &str) -> Vec<(char, String)> {
    let mut parts: Vec<(char, String)> = Vec::new();
    let mut escaped = false;
    for c in block.chars() {
        if escaped {
            if let Some(last) = parts.last_mut() {
                last.1.push('\\');
                last.1.push(c);
            }
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | '~' => parts.push((c, String::new())),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.1.push(c);
                } else if !c.is_whitespace() {
                    parts.push((' ', c.to_string()));
                }
            }
        }
    }
    parts
}

/// `%50%text` → (0.5, "text"); without a weight, `default`.
fn weighted(text: &str, default: f64) -> Result<(f64, &str), String> {
    let t = text.trim_start();
    if let Some(after) = t.strip_prefix('%') {
        let end = after.find('%').ok_or("a weight %…% is not closed")?;
        let percent: f64 = after[..end]
            .trim()
            .parse()
            .map_err(|_| format!("weight %{}%: not a number", &after[..end]))?;
        if !(-100.0..=100.0).contains(&percent) {
            return Err(format!("weight %{percent}%: must be from -100 to 100"));
        }
        return Ok((percent / 100.0, &after[end + 1..]));
    }
    Ok((default, t))
}

/// `text#feedback` → (text, feedback).
fn with_feedback(text: &str) -> (String, Option<String>) {
    match find_unescaped(text, '#') {
        Some(i) => (
            unescape(&text[..i]),
            Some(unescape(&text[i + 1..])).filter(|f| !f.is_empty()),
        ),
        None => (unescape(text), None),
    }
}

type Answers = (Kind, Option<String>);

fn gift_answers(block: &str) -> Result<Answers, String> {
    // The general feedback: after an unescaped `####`.
    let (block, general) = match block.find("####") {
        Some(i) => (
            &block[..i],
            Some(unescape(&block[i + 4..])).filter(|f| !f.is_empty()),
        ),
        None => (block, None),
    };
    let trimmed = block.trim();
    if trimmed.is_empty() {
        return Err(
            "an empty answer block {} (an essay) is not a question that can be scored".into(),
        );
    }
    let head = trimmed.split('#').next().unwrap_or("").trim();
    if matches!(head, "T" | "TRUE" | "F" | "FALSE") {
        let mut notes = trimmed
            .split('#')
            .skip(1)
            .map(unescape)
            .filter(|f| !f.is_empty());
        let answer = matches!(head, "T" | "TRUE");
        // GIFT gives the feedback for a wrong answer first, then for a right one.
        let wrong = notes.next();
        let right = notes.next();
        let (feedback_true, feedback_false) = if answer {
            (right, wrong)
        } else {
            (wrong, right)
        };
        return Ok((
            Kind::TrueFalse {
                answer,
                feedback_true,
                feedback_false,
            },
            general,
        ));
    }
    if let Some(numeric) = trimmed.strip_prefix('#') {
        return Ok((gift_numeric(numeric)?, general));
    }
    let parts = split_answers(trimmed);
    if parts.iter().any(|(m, _)| *m == ' ') {
        return Err("each answer starts with = (right) or ~ (wrong)".into());
    }
    if parts.iter().any(|(m, t)| *m == '=' && t.contains("->")) {
        let mut pairs = Vec::new();
        for (marker, text) in &parts {
            let (prompt, answer) = text
                .split_once("->")
                .ok_or("a matching question pairs every answer as =prompt -> answer")?;
            if *marker != '=' {
                return Err("a matching question's pairs all start with =".into());
            }
            pairs.push((unescape(prompt), unescape(answer)));
        }
        if pairs.len() < 2 {
            return Err("a matching question needs at least 2 pairs".into());
        }
        return Ok((Kind::Matching { pairs }, general));
    }
    let mut choices = Vec::new();
    for (marker, text) in &parts {
        let default = if *marker == '=' { 1.0 } else { 0.0 };
        let (weight, text) = weighted(text, default)?;
        let (text, feedback) = with_feedback(text);
        if text.is_empty() {
            return Err("an answer is empty".into());
        }
        choices.push(Choice {
            text,
            weight,
            feedback,
        });
    }
    let rights = parts.iter().filter(|(m, _)| *m == '=').count();
    let wrongs = parts.len() - rights;
    if wrongs == 0 {
        return Ok((Kind::ShortText { accepted: choices }, general));
    }
    if choices.len() < 2 {
        return Err("a choice question needs at least 2 answers".into());
    }
    if rights == 1 && choices.iter().all(|c| c.weight >= 0.0) {
        return Ok((Kind::Single { choices }, general));
    }
    if choices.iter().all(|c| c.weight <= 0.0) {
        return Err("no answer is right: mark one with = or give it a positive %weight%".into());
    }
    Ok((Kind::Multiple { choices }, general))
}

fn gift_numeric(block: &str) -> Result<Kind, String> {
    let one = |text: &str, weight: f64| -> Result<Number, String> {
        let (text, feedback) = with_feedback(text);
        let text = text.trim();
        let number = |t: &str| -> Result<f64, String> {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("{t:?} is not a number"))
        };
        let (value, tolerance) = if let Some((low, high)) = text.split_once("..") {
            let (low, high) = (number(low)?, number(high)?);
            if low > high {
                return Err(format!(
                    "range {low}..{high}: the first bound is the larger"
                ));
            }
            ((low + high) / 2.0, (high - low) / 2.0)
        } else if let Some((value, tolerance)) = text.split_once(':') {
            (number(value)?, number(tolerance)?.abs())
        } else {
            (number(text)?, 0.0)
        };
        Ok(Number {
            value,
            tolerance,
            weight,
            feedback,
        })
    };
    let parts = split_answers(block);
    let answers = if parts.is_empty() || parts.iter().all(|(m, _)| *m == ' ') {
        vec![one(block, 1.0)?]
    } else {
        parts
            .iter()
            .map(|(marker, text)| {
                let (weight, text) = weighted(text, if *marker == '=' { 1.0 } else { 0.0 })?;
                one(text, weight)
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(Kind::Numeric {
        answers,
        units: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(text: &str) -> Question {
        let (q, p) = parse_gift(text);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(q.len(), 1);
        q.into_iter().next().unwrap()
    }

    #[test]
    fn cartable_bank_names_each_bad_question_by_line() {
        let text = r#"{"format": "cartable-questions/1", "title": "Capitales",
"questions": [
  {"text": "Capitale du Maroc ?", "type": "short_text", "accepted": [{"text": "Rabat", "weight": 1}]},
  {"text": "Vide", "type": "single", "choices": []},
  {"text": "2 + 2 ?", "type": "numeric", "answers": [{"value": 4, "tolerance": 0, "weight": 1}]},
  {"text": "?", "type": "essay"}
]}"#;
        let (title, questions, problems) = parse_bank_json(text);
        assert_eq!(title, "Capitales");
        assert_eq!(questions.len(), 2);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].reason.contains("at least 2"));
        assert_eq!(problems[1].line, 6);
        assert!(problems[1].reason.contains("essay"), "{problems:?}");
        let (_, _, problems) = parse_bank_json("{\n\"format\": 3");
        assert_eq!(problems[0].line, 2);
        let id = question_id("b", &questions[0]);
        assert_eq!(id.len(), 16);
        assert_eq!(id, question_id("b", &questions[0]));
        assert_ne!(id, question_id("c", &questions[0]));
    }

    #[test]
    fn folding_ignores_case_accents_vowel_marks_and_spaces() {
        assert_eq!(fold("  Éléphant   Rose "), "elephant rose");
        assert_eq!(fold("ÇA"), "ca");
        assert_eq!(fold("كَتَبَ"), fold("كتب"));
        assert_eq!(fold("İstanbul"), fold("istanbul"));
    }

    #[test]
    fn gift_single_choice_with_feedback() {
        let q = single(
            "::Capitale::Quelle est la capitale du Maroc ? {=Rabat#Oui. ~Casablanca#Non : la plus grande ville. ~Fès}",
        );
        assert_eq!(q.title, "Capitale");
        assert_eq!(q.text, "Quelle est la capitale du Maroc ?");
        let Kind::Single { choices } = &q.kind else {
            panic!("{q:?}")
        };
        assert_eq!(choices.len(), 3);
        assert_eq!(choices[0].feedback.as_deref(), Some("Oui."));
        let s = q.score(&Answer::Picks(vec![0]));
        assert!(s.correct && s.fraction == 1.0);
        assert_eq!(s.feedback, ["Oui."]);
        let s = q.score(&Answer::Picks(vec![1]));
        assert!(!s.correct);
        assert_eq!(s.feedback, ["Non : la plus grande ville."]);
        assert_eq!(q.score(&Answer::Picks(vec![7])).fraction, 0.0);
        assert_eq!(q.score(&Answer::Text("Rabat".into())).fraction, 0.0);
    }

    #[test]
    fn gift_multiple_choice_weights_add_up_and_wrong_ones_subtract() {
        let q = single("Nombres premiers ? {~%50%2 ~%50%3 ~%-100%4 ~%-100%9}");
        assert!(matches!(q.kind, Kind::Multiple { .. }));
        assert_eq!(q.score(&Answer::Picks(vec![0, 1])).fraction, 1.0);
        assert_eq!(q.score(&Answer::Picks(vec![0])).fraction, 0.5);
        assert_eq!(q.score(&Answer::Picks(vec![0, 1, 2])).fraction, 0.0);
        assert_eq!(
            q.score(&Answer::Picks(vec![0, 0])).fraction,
            0.5,
            "a pick twice counts once"
        );
    }

    #[test]
    fn gift_true_false_and_its_feedback() {
        let q = single("La Terre tourne autour du Soleil.{T#Non, relisez.#Bravo.}");
        assert!(q.score(&Answer::Flag(true)).correct);
        assert_eq!(q.score(&Answer::Flag(true)).feedback, ["Bravo."]);
        assert_eq!(q.score(&Answer::Flag(false)).feedback, ["Non, relisez."]);
        let q = single("2 + 2 = 5 {FALSE}");
        assert!(q.score(&Answer::Flag(false)).correct);
    }

    #[test]
    fn numeric_tolerance_ranges_and_units() {
        let q = single("π à deux décimales ? {#3.14:0.005}");
        assert!(q.score(&Answer::Text("3.14".into())).correct);
        assert!(
            q.score(&Answer::Text("3,144".into())).correct,
            "a decimal comma"
        );
        assert!(!q.score(&Answer::Text("3.15".into())).correct);
        assert!(
            !q.score(&Answer::Text("3.14 cm".into())).correct,
            "no unit expected"
        );
        assert!(!q.score(&Answer::Text("trois".into())).correct);
        let q = single("Entre 1 et 2 ? {#1..2}");
        assert!(q.score(&Answer::Text("1.5".into())).correct);
        assert!(
            q.score(&Answer::Text("2".into())).correct,
            "bounds included"
        );
        assert!(!q.score(&Answer::Text("2.01".into())).correct);
        let q = single("Année ? {# =1956 =%50%1955:1 }");
        assert_eq!(q.score(&Answer::Text("1956".into())).fraction, 1.0);
        assert_eq!(q.score(&Answer::Text("1955".into())).fraction, 0.5);
        let mut q = single("Longueur du côté ? {#12:0.5}");
        if let Kind::Numeric { units, .. } = &mut q.kind {
            units.push("cm".into());
        }
        assert!(q.score(&Answer::Text("12 cm".into())).correct);
        assert!(q.score(&Answer::Text("12.4CM".into())).correct);
        assert!(
            q.score(&Answer::Text("12".into())).correct,
            "the unit may be left out"
        );
        assert!(!q.score(&Answer::Text("12 kg".into())).correct);
        assert!(!q.score(&Answer::Text("-12 cm".into())).correct);
    }

    #[test]
    fn short_text_ignores_case_and_accents() {
        let q = single("Le pluriel de « cheval » ? {=chevaux =%50%chevals}");
        assert!(matches!(q.kind, Kind::ShortText { .. }));
        assert!(q.score(&Answer::Text("  CHEVAUX ".into())).correct);
        assert_eq!(q.score(&Answer::Text("Chevals".into())).fraction, 0.5);
        assert!(!q.score(&Answer::Text("chevaus".into())).correct);
        let q = single("Capitale de l'Égypte ? {=Le Caire}");
        assert!(q.score(&Answer::Text("le  caire".into())).correct);
        let q = single("Écrivez « élève » {=élève}");
        assert!(q.score(&Answer::Text("eleve".into())).correct);
    }

    #[test]
    fn matching_and_ordering_give_a_share_per_item() {
        let q = single("Associez. {=Rabat -> Maroc =Tunis -> Tunisie =Alger -> Algérie}");
        let Kind::Matching { pairs } = &q.kind else {
            panic!()
        };
        assert_eq!(pairs[1], ("Tunis".into(), "Tunisie".into()));
        assert!(q.score(&Answer::Picks(vec![0, 1, 2])).correct);
        let s = q.score(&Answer::Picks(vec![1, 0, 2]));
        assert!((s.fraction - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(q.score(&Answer::Picks(vec![0, 1])).fraction, 0.0);
        let q = Question {
            title: String::new(),
            text: "Dans l'ordre".into(),
            kind: Kind::Ordering {
                items: vec!["un".into(), "deux".into(), "trois".into(), "quatre".into()],
            },
            feedback: None,
            tags: vec![],
            media: vec![],
        };
        assert!(q.score(&Answer::Picks(vec![0, 1, 2, 3])).correct);
        assert_eq!(q.score(&Answer::Picks(vec![1, 0, 2, 3])).fraction, 0.5);
        assert_eq!(
            q.score(&Answer::Picks(vec![0, 0, 2, 3])).fraction,
            0.0,
            "not a permutation"
        );
    }

    #[test]
    fn gift_files_with_comments_categories_escapes_and_bad_questions() {
        let file = "// a bank for the test
$CATEGORY: maths/fractions

::Q1:: 1/2 \\= ? {=2/4 ~2/3}

Quelle fraction {
=1/2
~1/3
} est la moitié ?

Sans bloc de réponse

::Titre ouvert Question {=a ~b}

Essai {}

Rien de juste {~a ~b}

// the general feedback
Q7 {=oui ~non ####Voir le chapitre 2.}
";
        let (questions, problems) = parse_gift(file);
        assert_eq!(questions.len(), 3, "{questions:#?}");
        assert_eq!(questions[0].text, "1/2 = ?");
        assert_eq!(questions[0].tags, ["category:maths/fractions"]);
        assert_eq!(questions[1].text, "Quelle fraction _____ est la moitié ?");
        assert_eq!(
            questions[2].feedback.as_deref(),
            Some("Voir le chapitre 2.")
        );
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [11, 13, 15, 17], "{problems:#?}");
        assert!(problems[0].reason.contains("no answer block"));
        assert!(problems[1].reason.contains("not closed"));
        assert!(problems[2].reason.contains("essay"));
        assert!(problems[3].reason.contains("no answer is right"));
        assert_eq!(
            problems[0].to_string(),
            format!("line 11: {}", problems[0].reason)
        );
    }

    #[test]
    fn questions_round_trip_through_json() {
        let q = single("Nombres premiers ? {~%50%2 ~%50%3 ~%-100%4}");
        let json = serde_json::to_string(&q).unwrap();
        assert!(json.contains("\"type\":\"multiple\""), "{json}");
        let back: Question = serde_json::from_str(&json).unwrap();
        assert_eq!(back, q);
    }
}
