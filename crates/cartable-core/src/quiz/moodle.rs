//! Moodle XML, the format Moodle exports question banks in
//! (docs.moodle.org, "Moodle XML format"): a `<quiz>` of
//! `<question type="…">` elements. The file is read with quick-xml into a
//! small tree first, then each question on its own, so a bad question is
//! named by its line and the others are still read.
//!
//! Moodle's texts are HTML; they are kept as plain text here (paragraphs
//! and line breaks become new lines), and the pictures and sounds embedded
//! as `<file encoding="base64">` come back beside the question, with the
//! `alt` text of the `<img>` that showed them.

use super::{Choice, Kind, Number, Problem, Question, media_type};
use base64::Engine;
use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// A file embedded in a question's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    /// What the picture shows, from its `<img alt>`.
    pub alt: String,
}

/// A question read, with the files its text shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub question: Question,
    pub files: Vec<Attached>,
}

/// Reads a Moodle XML file: the questions it gives, and a problem for
/// each it could not read, by the line its `<question>` starts on. A file
/// that is not well-formed XML gives only the one problem.
pub fn parse(xml: &str) -> (Vec<Read>, Vec<Problem>) {
    let root = match tree(xml) {
        Ok(root) => root,
        Err(problem) => return (Vec::new(), vec![problem]),
    };
    if root.name != "quiz" {
        return (
            Vec::new(),
            vec![Problem {
                line: root.line,
                reason: format!(
                    "not a Moodle XML question file: the root element is <{}>, not <quiz>",
                    root.name
                ),
            }],
        );
    }
    let mut read = Vec::new();
    let mut problems = Vec::new();
    let mut category: Option<String> = None;
    for node in root.children.iter().filter(|n| n.name == "question") {
        if node.attr("type") == Some("category") {
            category = node
                .text_of("category")
                .map(|c| c.trim_start_matches("$course$/").to_owned())
                .map(|c| c.trim_start_matches("top/").to_owned())
                .filter(|c| !c.is_empty() && c != "top");
            continue;
        }
        match question(node, category.as_deref()) {
            Ok(q) => read.push(q),
            Err(reason) => problems.push(Problem {
                line: node.line,
                reason,
            }),
        }
    }
    (read, problems)
}

/// An element: its name, attributes, the text directly inside it and its
/// children, and the line it starts on.
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
    line: usize,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text of `<name><text>…</text></name>`, as Moodle wraps every
    /// string, or of `<name>…</name>`.
    fn text_of(&self, name: &str) -> Option<String> {
        let node = self.child(name)?;
        Some(node.inner_text().trim().to_owned())
    }

    fn inner_text(&self) -> &str {
        match self.child("text") {
            Some(t) => &t.text,
            None => &self.text,
        }
    }
}

fn tree(xml: &str) -> Result<Node, Problem> {
    let newlines: Vec<usize> = xml
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |offset: u64| newlines.partition_point(|n| (*n as u64) < offset) + 1;
    let fail = |offset: u64, reason: String| Problem {
        line: line_at(offset),
        reason,
    };
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Node {
        name: String::new(),
        attrs: Vec::new(),
        text: String::new(),
        children: Vec::new(),
        line: 1,
    }];
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            fail(
                reader.error_position(),
                format!("the XML does not parse: {e}"),
            )
        })?;
        let bad = |e: &dyn std::fmt::Display| fail(at, format!("the XML does not parse: {e}"));
        match event {
            Event::Start(e) => stack.push(element(&e, line_at(at)).map_err(|e| bad(&e))?),
            Event::Empty(e) => {
                let node = element(&e, line_at(at)).map_err(|e| bad(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            }
            Event::End(_) => {
                let done = stack.pop();
                match (done, stack.last_mut()) {
                    (Some(done), Some(parent)) => parent.children.push(done),
                    _ => {
                        return Err(fail(
                            at,
                            "an element is closed that was never opened".into(),
                        ));
                    }
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| bad(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|e| bad(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| bad(&e))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| fail(at, format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() > 1 {
        let open = stack.last().map(|n| n.name.clone()).unwrap_or_default();
        return Err(fail(
            xml.len() as u64,
            format!("the file ends inside <{open}>"),
        ));
    }
    let document = stack.pop().map(|d| d.children).unwrap_or_default();
    document
        .into_iter()
        .next()
        .ok_or_else(|| fail(0, "the file has no XML element".into()))
}

fn element(e: &BytesStart, line: usize) -> Result<Node, quick_xml::Error> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a?;
        let value = a.normalized_value(XmlVersion::Implicit1_0)?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        attrs.push((key, value.into_owned()));
    }
    Ok(Node {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        text: String::new(),
        children: Vec::new(),
        line,
    })
}

fn question(node: &Node, category: Option<&str>) -> Result<Read, String> {
    let kind_name = node.attr("type").ok_or("a <question> has no type")?;
    let title = node.text_of("name").unwrap_or_default();
    let asked = node
        .child("questiontext")
        .ok_or("the question has no <questiontext>")?;
    let (text, shown) = plain_text(asked.inner_text());
    let files = attached(asked, &shown)?;
    let feedback = node
        .child("generalfeedback")
        .map(|f| plain_text(f.inner_text()).0)
        .filter(|f| !f.is_empty());
    let kind = match kind_name {
        "multichoice" => {
            let choices = answers(node)?;
            let single = node
                .text_of("single")
                .is_none_or(|s| matches!(s.as_str(), "true" | "1"));
            if single {
                Kind::Single { choices }
            } else {
                Kind::Multiple { choices }
            }
        }
        "truefalse" => {
            let choices = answers(node)?;
            let said = |word: &str| choices.iter().find(|c| c.text.eq_ignore_ascii_case(word));
            let (yes, no) = (said("true"), said("false"));
            let yes = yes.ok_or("a true/false question has no answer \"true\"")?;
            Kind::TrueFalse {
                answer: yes.weight > 0.0,
                feedback_true: yes.feedback.clone(),
                feedback_false: no.and_then(|n| n.feedback.clone()),
            }
        }
        "shortanswer" => Kind::ShortText {
            accepted: answers(node)?,
        },
        "numerical" => {
            let mut numbers = Vec::new();
            for a in node.children("answer") {
                let written = a.inner_text().trim();
                // `*` is Moodle's "any other answer", for its feedback only.
                if written == "*" {
                    continue;
                }
                let number = |t: &str| t.trim().replace(',', ".").parse::<f64>();
                let value = number(written)
                    .map_err(|_| format!("the numeric answer {written:?} is not a number"))?;
                let tolerance = match a.child("tolerance") {
                    Some(t) => number(&t.text)
                        .map_err(|_| format!("the tolerance {:?} is not a number", t.text))?,
                    None => 0.0,
                };
                numbers.push(Number {
                    value,
                    tolerance: tolerance.abs(),
                    weight: fraction(a)?,
                    feedback: feedback_of(a),
                });
            }
            let units = node
                .child("units")
                .map(|u| {
                    u.children("unit")
                        .filter(|unit| {
                            unit.text_of("multiplier")
                                .is_none_or(|m| m.parse::<f64>().is_ok_and(|m| m == 1.0))
                        })
                        .filter_map(|unit| unit.text_of("unit_name"))
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Kind::Numeric {
                answers: numbers,
                units,
            }
        }
        "matching" => {
            // A sub-question without a prompt is a distractor answer;
            // those are left out.
            let pairs = node
                .children("subquestion")
                .map(|s| {
                    let prompt = plain_text(s.inner_text()).0;
                    let answer = s.text_of("answer").unwrap_or_default();
                    (prompt, answer)
                })
                .filter(|(p, a)| !p.is_empty() && !a.is_empty())
                .collect();
            Kind::Matching { pairs }
        }
        "ordering" => {
            let mut items: Vec<(f64, String)> = node
                .children("answer")
                .map(|a| Ok((fraction(a)?, plain_text(a.inner_text()).0)))
                .collect::<Result<_, String>>()?;
            items.sort_by(|a, b| a.0.total_cmp(&b.0));
            Kind::Ordering {
                items: items.into_iter().map(|(_, t)| t).collect(),
            }
        }
        "essay" => {
            return Err("an essay cannot be scored here: it needs a teacher to mark it".into());
        }
        "description" => return Err("a description is not a question".into()),
        other => {
            return Err(format!(
                "the question type \"{other}\" is not one cartable scores (multichoice, truefalse, shortanswer, numerical, matching, ordering)"
            ));
        }
    };
    let mut tags: Vec<String> = node
        .child("tags")
        .map(|t| {
            t.children("tag")
                .map(|tag| tag.inner_text().trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(c) = category {
        tags.push(format!("category:{c}"));
    }
    let question = Question {
        title,
        text,
        kind,
        feedback,
        tags,
        media: Vec::new(),
    };
    question.check()?;
    Ok(Read { question, files })
}

/// The `<answer fraction="…">` elements as choices: the fraction is a
/// percentage.
fn answers(node: &Node) -> Result<Vec<Choice>, String> {
    node.children("answer")
        .map(|a| {
            Ok(Choice {
                text: plain_text(a.inner_text()).0,
                weight: fraction(a)?,
                feedback: feedback_of(a),
            })
        })
        .collect()
}

fn fraction(answer: &Node) -> Result<f64, String> {
    let raw = answer.attr("fraction").unwrap_or("0");
    let percent: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("the answer fraction {raw:?} is not a number"))?;
    Ok(percent / 100.0)
}

fn feedback_of(answer: &Node) -> Option<String> {
    answer
        .child("feedback")
        .map(|f| plain_text(f.inner_text()).0)
        .filter(|f| !f.is_empty())
}

/// The embedded files of a text element, with the alt text of the
/// pictures that show them.
fn attached(text: &Node, shown: &[(String, String)]) -> Result<Vec<Attached>, String> {
    let mut files = Vec::new();
    for f in text.children("file") {
        let name = f.attr("name").unwrap_or_default().to_owned();
        if f.attr("encoding").is_some_and(|e| e != "base64") {
            return Err(format!("the file {name:?} is not in base64"));
        }
        let mime = media_type(&name).ok_or_else(|| {
            format!("the file {name:?} is neither a picture nor a sound (png, jpeg, gif, webp, svg, mp3, m4a, ogg, wav)")
        })?;
        let packed: String = f.text.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|e| format!("the file {name:?} is not valid base64: {e}"))?;
        let alt = shown
            .iter()
            .find(|(src, _)| *src == name)
            .map(|(_, alt)| alt.clone())
            .unwrap_or_default();
        files.push(Attached {
            name,
            mime,
            bytes,
            alt,
        });
    }
    Ok(files)
}

/// HTML as plain text: tags dropped, block ends and `<br>` made new
/// lines, character references resolved, spaces folded. Also gives, for
/// each embedded file the text shows (`src="@@PLUGINFILE@@/name"`), its
/// name and `alt`. Written here because question texts are short and
/// simple; an HTML parser would be a large dependency for this.
pub fn plain_text(html: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(html.len());
    let mut shown = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match name.as_str() {
            "br" => out.push('\n'),
            "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if closing => {
                out.push('\n')
            }
            "img" | "source" | "audio" => {
                if let Some(src) = attribute(tag, "src")
                    && let Some(file) = src.strip_prefix("@@PLUGINFILE@@/")
                {
                    let alt = attribute(tag, "alt").unwrap_or_default();
                    shown.push((file.replace("%20", " "), entities(&alt)));
                }
            }
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let text = entities(&out)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (text, shown)
}

/// The value of `name="…"` (or `'…'`) inside a tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(name) {
        let start = from + at;
        from = start + name.len();
        let before_ok = start == 0 || lower.as_bytes()[start - 1].is_ascii_whitespace();
        let after = lower[from..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let value_at = tag.len() - after.len() + 1;
        let value = tag[value_at..].trim_start();
        let quote = value.chars().next()?;
        if quote == '"' || quote == '\'' {
            let end = value[1..].find(quote)?;
            return Some(value[1..1 + end].to_owned());
        }
        let end = value
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(value.len());
        return Some(value[..end].to_owned());
    }
    None
}

/// Resolves HTML character references: the XML five, `&nbsp;`, and
/// numeric ones; others are kept as written.
fn entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let resolved = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "nbsp" => Some(' '),
                "apos" => Some('\''),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => resolve_predefined_entity(name).and_then(|s| s.chars().next()),
            };
            c.map(|c| (c, e))
        });
        match resolved {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::Answer;

    const BANK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Sciences/Physique</text></category>
  </question>
  <question type="multichoice">
    <name><text>Eau</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>À quelle température l'eau bout-elle&nbsp;?</p><p><img src="@@PLUGINFILE@@/casserole.png" alt="Une casserole sur le feu"></p>]]></text>
      <file name="casserole.png" path="/" encoding="base64">iVBORw0K
GgoAAAANSUhEUg==</file>
    </questiontext>
    <generalfeedback format="html"><text>Au niveau de la mer.</text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>100 °C</text><feedback><text>Oui.</text></feedback></answer>
    <answer fraction="0" format="html"><text>50 &#176;C</text></answer>
    <tags><tag><text>skill:etats-de-la-matiere</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>Pairs</text></name>
    <questiontext format="html"><text>Lesquels sont pairs ?</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>2</text></answer>
    <answer fraction="50"><text>4</text></answer>
    <answer fraction="-100"><text>5</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Terre</text></name>
    <questiontext format="html"><text>La Terre tourne autour du Soleil.</text></questiontext>
    <answer fraction="100"><text>true</text><feedback><text>Oui, en un an.</text></feedback></answer>
    <answer fraction="0"><text>false</text><feedback><text>Non.</text></feedback></answer>
  </question>
  <question type="shortanswer">
    <name><text>Capitale</text></name>
    <questiontext format="html"><text>Capitale de la Türkiye ?</text></questiontext>
    <answer fraction="100"><text>Ankara</text></answer>
  </question>
  <question type="numerical">
    <name><text>Longueur</text></name>
    <questiontext format="html"><text>Combien mesure la règle ?</text></questiontext>
    <answer fraction="100"><text>30</text><tolerance>0,5</tolerance></answer>
    <answer fraction="0"><text>*</text><feedback><text>Mesurez encore.</text></feedback></answer>
    <units><unit><multiplier>1</multiplier><unit_name>cm</unit_name></unit>
      <unit><multiplier>0.01</multiplier><unit_name>m</unit_name></unit></units>
  </question>
  <question type="essay">
    <name><text>Rédaction</text></name>
    <questiontext format="html"><text>Racontez vos vacances.</text></questiontext>
  </question>
  <question type="matching">
    <name><text>Pays</text></name>
    <questiontext format="html"><text>Associez chaque ville à son pays.</text></questiontext>
    <subquestion format="html"><text>Rabat</text><answer><text>Maroc</text></answer></subquestion>
    <subquestion format="html"><text>Izmir</text><answer><text>Türkiye</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>Égypte</text></answer></subquestion>
  </question>
  <question type="multichoice">
    <name><text>Sans réponse</text></name>
    <questiontext format="html"><text>Rien ne va.</text></questiontext>
    <answer fraction="0"><text>a</text></answer>
    <answer fraction="0"><text>b</text></answer>
  </question>
  <question type="ordering">
    <name><text>Ordre</text></name>
    <questiontext format="html"><text>Du plus petit au plus grand.</text></questiontext>
    <answer fraction="1"><text>souris</text></answer>
    <answer fraction="3"><text>éléphant</text></answer>
    <answer fraction="2"><text>chat</text></answer>
  </question>
</quiz>
"#;

    #[test]
    fn reads_each_type_and_names_the_bad_ones_by_line() {
        let (read, problems) = parse(BANK);
        let titles: Vec<&str> = read.iter().map(|r| r.question.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Eau", "Pairs", "Terre", "Capitale", "Longueur", "Pays", "Ordre"
            ]
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].line, 46);
        assert!(problems[0].reason.contains("essay"), "{problems:?}");
        assert_eq!(problems[1].line, 57);
        assert!(problems[1].reason.contains("no answer is right"));

        let eau = &read[0];
        assert_eq!(eau.question.text, "À quelle température l'eau bout-elle ?");
        assert_eq!(
            eau.question.tags,
            ["skill:etats-de-la-matiere", "category:Sciences/Physique"]
        );
        assert_eq!(eau.files.len(), 1);
        assert_eq!(eau.files[0].mime, "image/png");
        assert_eq!(&eau.files[0].bytes[..4], b"\x89PNG");
        assert_eq!(eau.files[0].alt, "Une casserole sur le feu");
        let Kind::Single { choices } = &eau.question.kind else {
            panic!("{:?}", eau.question.kind)
        };
        assert_eq!(choices[1].text, "50 °C");
        let s = eau.question.score(&Answer::Picks(vec![0]));
        assert!(s.correct);
        assert_eq!(s.feedback, ["Oui.", "Au niveau de la mer."]);

        let pairs = &read[1].question;
        assert!(pairs.score(&Answer::Picks(vec![0, 1])).correct);
        assert_eq!(pairs.score(&Answer::Picks(vec![0, 1, 2])).fraction, 0.0);

        let earth = &read[2].question;
        let s = earth.score(&Answer::Flag(true));
        assert!(s.correct);
        assert_eq!(s.feedback, ["Oui, en un an."]);
        assert_eq!(earth.score(&Answer::Flag(false)).feedback, ["Non."]);

        assert!(
            read[3]
                .question
                .score(&Answer::Text("ankara".into()))
                .correct
        );

        let length = &read[4].question;
        assert!(length.score(&Answer::Text("30,4 cm".into())).correct);
        assert!(length.score(&Answer::Text("29.5".into())).correct);
        assert!(!length.score(&Answer::Text("0.3 m".into())).correct);
        assert!(!length.score(&Answer::Text("31".into())).correct);

        let Kind::Matching { pairs } = &read[5].question.kind else {
            panic!()
        };
        assert_eq!(pairs.len(), 2);

        let Kind::Ordering { items } = &read[6].question.kind else {
            panic!()
        };
        assert_eq!(items, &["souris", "chat", "éléphant"]);
    }

    #[test]
    fn a_broken_file_is_one_problem_with_its_line() {
        let (read, problems) =
            parse("<quiz>\n<question type=\"truefalse\">\n<name></question>\n</quiz>");
        assert!(read.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3, "{problems:?}");
        let (_, problems) = parse("<?xml version=\"1.0\"?>\n<html></html>");
        assert!(problems[0].reason.contains("<html>"), "{problems:?}");
        let (_, problems) = parse("<quiz>\n<question type=\"shortanswer\">");
        assert!(problems[0].reason.contains("ends inside"), "{problems:?}");
    }

    #[test]
    fn html_becomes_text() {
        let (text, shown) = plain_text(
            "<p>Un<br/>deux &amp; trois&#x21;</p>\n<div>  quatre <b>cinq</b></div><img alt='x' src=\"@@PLUGINFILE@@/a%20b.png\" />",
        );
        assert_eq!(text, "Un\ndeux & trois!\nquatre cinq");
        assert_eq!(shown, [("a b.png".to_owned(), "x".to_owned())]);
    }
}
