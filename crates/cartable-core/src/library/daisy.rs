//! DAISY 2.02 talking books (daisy.org, "DAISY 2.02 Specification"): a
//! folder with a navigation control centre, `ncc.html` (the book's
//! metadata in `<meta name="dc:…">`, its headings `<h1>`…`<h6>` and its
//! page numbers `<span class="page-…">`, each a link into a SMIL file), and
//! SMIL files whose `<par>` elements pair a text with an audio clip
//! (`<audio src clip-begin="npt=…s" clip-end>`).
//!
//! Reading the folder gives the audio files in reading order and every
//! heading and page as a place in one of them, which is all a listener
//! needs to move through the book by heading or by page.

use super::{NavKind, NavPoint};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;

/// What `ncc.html` says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ncc {
    pub title: String,
    pub creator: String,
    pub narrator: String,
    pub language: String,
    pub entries: Vec<NccEntry>,
}

/// A heading or a page of `ncc.html`, with the SMIL place it links to.
#[derive(Debug, Clone, PartialEq)]
pub struct NccEntry {
    pub kind: NavKind,
    pub label: String,
    /// `file.smil`
    pub smil: String,
    /// The fragment after `#`: the id of a `<par>` or of its `<text>`.
    pub fragment: String,
}

/// An audio clip of a SMIL file, with the ids of its `<par>` and `<text>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    pub ids: Vec<String>,
    pub audio: String,
    pub begin_ms: u64,
}

/// A text as bytes in UTF-8 or, as older DAISY books are, in Latin-1.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name.as_bytes())
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

fn local(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase()
}

/// The entities of XHTML that DAISY books use besides XML's own.
pub(crate) fn entity(name: &str) -> Option<&'static str> {
    quick_xml::escape::resolve_predefined_entity(name).or(match name {
        "nbsp" => Some(" "),
        "mdash" => Some("—"),
        "ndash" => Some("–"),
        "hellip" => Some("…"),
        "rsquo" | "lsquo" => Some("'"),
        "laquo" => Some("«"),
        "raquo" => Some("»"),
        _ => None,
    })
}

fn xml_error(file: &str, reader: &Reader<&[u8]>, e: impl std::fmt::Display) -> String {
    let at = reader.error_position() as usize;
    let line = reader
        .get_ref()
        .iter()
        .take(at)
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    format!("{file}: line {line}: the XML does not parse: {e}")
}

/// Reads `ncc.html`.
pub fn read_ncc(text: &str) -> Result<Ncc, String> {
    let mut reader = Reader::from_reader(text.as_bytes());
    reader.config_mut().check_end_names = false;
    let mut ncc = Ncc::default();
    // The heading or page being read: its kind, text so far and link.
    let mut open: Option<(NavKind, String, Option<String>)> = None;
    let mut depth_in = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| xml_error("ncc.html", &reader, e))?;
        match event {
            Event::Start(e) | Event::Empty(e) if local(&e) == "meta" => {
                let (Some(name), Some(content)) = (attr(&e, "name"), attr(&e, "content")) else {
                    continue;
                };
                let content = content.trim().to_owned();
                match name.to_ascii_lowercase().as_str() {
                    "dc:title" => ncc.title = content,
                    "dc:creator" => ncc.creator = content,
                    "dc:language" => ncc.language = content,
                    "ncc:narrator" => ncc.narrator = content,
                    _ => {}
                }
            }
            Event::Start(e) => {
                let name = local(&e);
                if let Some((_, _, link)) = open.as_mut() {
                    depth_in += 1;
                    if name == "a" && link.is_none() {
                        *link = attr(&e, "href");
                    }
                    continue;
                }
                let kind = match name.as_str() {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        Some(NavKind::Heading(name.as_bytes()[1] - b'0'))
                    }
                    "span" if attr(&e, "class").is_some_and(|c| c.starts_with("page-")) => {
                        Some(NavKind::Page)
                    }
                    _ => None,
                };
                if let Some(kind) = kind {
                    open = Some((kind, String::new(), None));
                    depth_in = 0;
                }
            }
            Event::Empty(e) => {
                if let Some((_, _, link)) = open.as_mut()
                    && local(&e) == "a"
                    && link.is_none()
                {
                    *link = attr(&e, "href");
                }
            }
            Event::End(_) if open.is_some() => {
                if depth_in > 0 {
                    depth_in -= 1;
                    continue;
                }
                if let Some((kind, label, link)) = open.take() {
                    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
                    let Some(link) = link else {
                        return Err(format!("ncc.html: {label:?} links to no SMIL file"));
                    };
                    let (smil, fragment) = link.split_once('#').unwrap_or((link.as_str(), ""));
                    ncc.entries.push(NccEntry {
                        kind,
                        label,
                        smil: smil.to_owned(),
                        fragment: fragment.to_owned(),
                    });
                }
            }
            Event::Text(t) => {
                if let Some((_, label, _)) = open.as_mut() {
                    label.push_str(&t.decode().map_err(|e| xml_error("ncc.html", &reader, e))?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, label, _)) = open.as_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        label.push(c);
                    } else {
                        let name = r.decode().map(|n| n.into_owned()).unwrap_or_default();
                        label.push_str(entity(&name).unwrap_or(" "));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if ncc.title.is_empty() {
        return Err("ncc.html: no <meta name=\"dc:title\">: the book has no title".into());
    }
    if !ncc
        .entries
        .iter()
        .any(|e| matches!(e.kind, NavKind::Heading(_)))
    {
        return Err("ncc.html: no heading (<h1>…<h6>): nothing to listen to".into());
    }
    Ok(ncc)
}

/// A SMIL clock value: `npt=12.5s`, `npt=0:01:02.5`, `12.5s`, `62.5`.
pub fn parse_clock(text: &str) -> Option<u64> {
    let value = text.trim().trim_start_matches("npt=").trim_end_matches('s');
    let mut seconds = 0.0;
    for part in value.split(':') {
        seconds = seconds * 60.0 + part.parse::<f64>().ok()?;
    }
    (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1000.0).round() as u64)
}

/// Reads a SMIL file's clips, in order. `file` names it in errors.
pub fn read_smil(file: &str, text: &str) -> Result<Vec<Clip>, String> {
    let mut reader = Reader::from_reader(text.as_bytes());
    let mut clips = Vec::new();
    // The ids of the open <par> and of its <text>, waiting for the first
    // audio clip inside it.
    let mut waiting: Vec<String> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| xml_error(file, &reader, e))?;
        match event {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                "par" => waiting = attr(&e, "id").into_iter().collect(),
                "text" => waiting.extend(attr(&e, "id")),
                "audio" => {
                    let src =
                        attr(&e, "src").ok_or_else(|| format!("{file}: an <audio> has no src"))?;
                    let begin = attr(&e, "clip-begin").unwrap_or_else(|| "0s".into());
                    let begin_ms = parse_clock(&begin).ok_or_else(|| {
                        format!("{file}: clip-begin {begin:?} of {src} is not a time")
                    })?;
                    clips.push(Clip {
                        ids: std::mem::take(&mut waiting),
                        audio: src,
                        begin_ms,
                    });
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(clips)
}

/// A DAISY book laid out for import: its audio files in reading order and
/// its navigation as places in them.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub audio_files: Vec<String>,
    pub nav: Vec<NavPoint>,
}

/// Puts together `ncc.html`'s entries and the SMIL files' clips
/// (`smil_of` reads a SMIL file by name).
pub fn layout(
    ncc: &Ncc,
    smil_of: &mut dyn FnMut(&str) -> Result<Vec<Clip>, String>,
) -> Result<Layout, String> {
    let mut audio_files: Vec<String> = Vec::new();
    let mut clips_by_smil: HashMap<String, Vec<Clip>> = HashMap::new();
    let mut nav = Vec::new();
    for entry in &ncc.entries {
        if !clips_by_smil.contains_key(&entry.smil) {
            let clips = smil_of(&entry.smil)?;
            for c in &clips {
                if !audio_files.contains(&c.audio) {
                    audio_files.push(c.audio.clone());
                }
            }
            clips_by_smil.insert(entry.smil.clone(), clips);
        }
        let clips = clips_by_smil
            .get(&entry.smil)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let clip = if entry.fragment.is_empty() {
            clips.first()
        } else {
            clips.iter().find(|c| c.ids.contains(&entry.fragment))
        }
        .ok_or_else(|| {
            format!(
                "ncc.html: {:?} links to {}#{}, where there is no audio",
                entry.label, entry.smil, entry.fragment
            )
        })?;
        let track = audio_files
            .iter()
            .position(|a| *a == clip.audio)
            .unwrap_or_default();
        nav.push(NavPoint {
            kind: entry.kind,
            label: entry.label.clone(),
            track,
            offset_ms: clip.begin_ms,
        });
    }
    Ok(Layout { audio_files, nav })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NCC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta name="dc:title" content="Contes du Maroc" />
<meta name="dc:creator" content="Fatima" />
<meta name="dc:language" content="fr" />
<meta name="ncc:narrator" content="Youssef" />
</head><body>
<h1 class="title" id="h1"><a href="s1.smil#p1">Contes&nbsp;du Maroc</a></h1>
<span class="page-normal" id="pg1"><a href="s1.smil#t2">1</a></span>
<h2 id="h2"><a href="s2.smil#p3">Le <em>puits</em></a></h2>
<span class="page-normal" id="pg2"><a href="s2.smil#p4">2</a></span>
</body></html>"#;

    const S1: &str = r#"<smil><body><seq>
<par endsync="last" id="p1"><text src="ncc.html#h1" id="t1"/><seq>
<audio src="a.mp3" clip-begin="npt=0.000s" clip-end="npt=2.500s" id="a1"/></seq></par>
<par endsync="last" id="p2"><text src="ncc.html#pg1" id="t2"/>
<audio src="a.mp3" clip-begin="npt=2.500s" clip-end="npt=4.000s" id="a2"/></par>
</seq></body></smil>"#;

    const S2: &str = r#"<smil><body><seq>
<par id="p3"><text src="ncc.html#h2" id="t3"/><audio src="b.mp3" clip-begin="npt=0:00:00.0" id="a3"/></par>
<par id="p4"><text src="ncc.html#pg2" id="t4"/><audio src="b.mp3" clip-begin="npt=1:03.25s" id="a4"/></par>
</seq></body></smil>"#;

    #[test]
    fn an_ncc_gives_metadata_headings_and_pages() {
        let ncc = read_ncc(NCC).unwrap();
        assert_eq!(ncc.title, "Contes du Maroc");
        assert_eq!(
            (
                ncc.creator.as_str(),
                ncc.narrator.as_str(),
                ncc.language.as_str()
            ),
            ("Fatima", "Youssef", "fr")
        );
        let kinds: Vec<_> = ncc
            .entries
            .iter()
            .map(|e| (e.kind, e.label.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (NavKind::Heading(1), "Contes du Maroc"),
                (NavKind::Page, "1"),
                (NavKind::Heading(2), "Le puits"),
                (NavKind::Page, "2")
            ]
        );
    }

    #[test]
    fn headings_and_pages_become_places_in_the_audio() {
        let ncc = read_ncc(NCC).unwrap();
        let layout = layout(&ncc, &mut |name| match name {
            "s1.smil" => read_smil(name, S1),
            "s2.smil" => read_smil(name, S2),
            _ => Err(format!("{name}: missing")),
        })
        .unwrap();
        assert_eq!(layout.audio_files, ["a.mp3", "b.mp3"]);
        let places: Vec<_> = layout.nav.iter().map(|n| (n.track, n.offset_ms)).collect();
        assert_eq!(places, [(0, 0), (0, 2500), (1, 0), (1, 63_250)]);
    }

    #[test]
    fn a_broken_book_is_named() {
        assert!(
            read_ncc("<html><body><h1><a href=\"s.smil#x\">x</a></h1></body></html>")
                .unwrap_err()
                .contains("dc:title")
        );
        let no_link = NCC.replace("<a href=\"s1.smil#p1\">Contes&nbsp;du Maroc</a>", "Contes");
        assert!(read_ncc(&no_link).unwrap_err().contains("links to no SMIL"));
        let ncc = read_ncc(NCC).unwrap();
        let err = layout(&ncc, &mut |name| {
            read_smil(name, "<smil><body></body></smil>")
        })
        .unwrap_err();
        assert!(err.contains("s1.smil#p1"), "{err}");
        assert!(
            read_smil(
                "x.smil",
                "<smil><audio clip-begin=\"soon\" src=\"a.mp3\"/></smil>"
            )
            .unwrap_err()
            .contains("clip-begin")
        );
        assert!(read_smil("x.smil", "<smil><par></smil>").is_err());
    }

    #[test]
    fn clocks_in_smil_forms() {
        assert_eq!(parse_clock("npt=12.5s"), Some(12_500));
        assert_eq!(parse_clock("npt=0:01:02.5"), Some(62_500));
        assert_eq!(parse_clock("3"), Some(3_000));
        assert_eq!(parse_clock("npt=-1s"), None);
        assert_eq!(parse_clock("soon"), None);
    }

    #[test]
    fn latin1_books_are_read() {
        assert_eq!(decode(b"caf\xe9"), "café");
        assert_eq!(decode("café".as_bytes()), "café");
    }
}
