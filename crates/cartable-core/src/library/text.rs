//! Texts to narrate with a speech synthesizer: a plain or Markdown text cut
//! into chapters at its `# ` headings, and the spoken text of an EPUB's
//! XHTML documents (EPUB 3, w3.org/TR/epub-33: `META-INF/container.xml`
//! names the package document, whose spine orders the content documents).

use quick_xml::Reader;
use quick_xml::events::Event;

/// A chapter to narrate.
#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    pub title: String,
    pub text: String,
}

/// Cuts a text at its lines starting with `# ` (Markdown's first-level
/// headings); the text before the first heading, if any, is a chapter
/// titled `untitled`. Empty chapters are dropped.
pub fn chapters_of_text(text: &str, untitled: &str) -> Vec<Chapter> {
    let mut out: Vec<Chapter> = Vec::new();
    let mut current = Chapter {
        title: untitled.to_owned(),
        text: String::new(),
    };
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("# ") {
            out.push(std::mem::replace(
                &mut current,
                Chapter {
                    title: title.trim().to_owned(),
                    text: String::new(),
                },
            ));
        } else {
            current.text.push_str(line);
            current.text.push('\n');
        }
    }
    out.push(current);
    out.into_iter()
        .map(|c| Chapter {
            title: c.title,
            text: c.text.trim().to_owned(),
        })
        .filter(|c| !c.text.is_empty())
        .collect()
}

fn name_of(bytes: &[u8]) -> String {
    let name = String::from_utf8_lossy(bytes).to_ascii_lowercase();
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_owned(),
        None => name,
    }
}

/// Elements after which a reader pauses: they end a line.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "blockquote"
            | "section"
            | "dt"
            | "dd"
    )
}

/// The text of an XHTML document as a reader would say it, and its first
/// heading (h1 to h3). Scripts, styles and the head are left out.
pub fn xhtml_text(xhtml: &str) -> Result<(Option<String>, String), String> {
    let mut reader = Reader::from_str(xhtml);
    reader.config_mut().check_end_names = false;
    let mut text = String::new();
    let mut heading: Option<String> = None;
    let mut in_heading: Option<String> = None;
    let mut skip = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                let name = name_of(e.local_name().as_ref());
                if matches!(name.as_str(), "script" | "style" | "head") {
                    skip += 1;
                } else if heading.is_none() && matches!(name.as_str(), "h1" | "h2" | "h3") {
                    in_heading = Some(String::new());
                }
            }
            Event::End(e) => {
                let name = name_of(e.local_name().as_ref());
                if matches!(name.as_str(), "script" | "style" | "head") {
                    skip = skip.saturating_sub(1);
                } else if is_block(&name) {
                    text.push('\n');
                    if matches!(name.as_str(), "h1" | "h2" | "h3")
                        && let Some(h) = in_heading.take()
                    {
                        let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
                        if !h.is_empty() {
                            heading = Some(h);
                        }
                    }
                }
            }
            Event::Empty(e) if is_block(&name_of(e.local_name().as_ref())) => text.push('\n'),
            Event::Text(t) if skip == 0 => {
                let piece = t.decode().map_err(|e| e.to_string())?;
                text.push_str(&piece);
                if let Some(h) = in_heading.as_mut() {
                    h.push_str(&piece);
                }
            }
            Event::GeneralRef(r) if skip == 0 => {
                let piece = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.decode().map(|n| n.into_owned()).unwrap_or_default();
                        super::daisy::entity(&name).unwrap_or(" ").to_owned()
                    }
                };
                text.push_str(&piece);
                if let Some(h) = in_heading.as_mut() {
                    h.push_str(&piece);
                }
            }
            Event::CData(c) if skip == 0 => text.push_str(&String::from_utf8_lossy(&c)),
            Event::Eof => break,
            _ => {}
        }
    }
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    Ok((heading, lines.join("\n")))
}

/// What an EPUB's package document says: its title, author, language and
/// the content documents in reading order (paths relative to it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Package {
    pub title: String,
    pub creator: String,
    pub language: String,
    pub spine: Vec<String>,
}

/// The package document's path, from `META-INF/container.xml`.
pub fn container_rootfile(xml: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if name_of(e.local_name().as_ref()) == "rootfile" => {
                if let Some(path) = attr(&e, "full-path") {
                    return Ok(path);
                }
            }
            Event::Eof => return Err("no <rootfile full-path> in META-INF/container.xml".into()),
            _ => {}
        }
    }
}

fn attr(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (name_of(a.key.as_ref()) == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

/// Reads the package document (OPF).
pub fn read_package(xml: &str) -> Result<Package, String> {
    let mut reader = Reader::from_str(xml);
    let mut package = Package::default();
    let mut items: Vec<(String, String, String)> = Vec::new();
    let mut idrefs: Vec<String> = Vec::new();
    let mut field: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => {
                let name = name_of(e.local_name().as_ref());
                match name.as_str() {
                    "item" => items.push((
                        attr(&e, "id").unwrap_or_default(),
                        attr(&e, "href").unwrap_or_default(),
                        attr(&e, "media-type").unwrap_or_default(),
                    )),
                    "itemref" if attr(&e, "linear").as_deref() != Some("no") => {
                        idrefs.extend(attr(&e, "idref"));
                    }
                    "title" | "creator" | "language" => field = Some(name),
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some(f) = field.take() {
                    let value = t.decode().map_err(|e| e.to_string())?.trim().to_owned();
                    let slot = match f.as_str() {
                        "title" => &mut package.title,
                        "creator" => &mut package.creator,
                        _ => &mut package.language,
                    };
                    if slot.is_empty() {
                        *slot = value;
                    }
                }
            }
            Event::End(_) => field = None,
            Event::Eof => break,
            _ => {}
        }
    }
    for id in idrefs {
        let (_, href, kind) = items
            .iter()
            .find(|(i, _, _)| *i == id)
            .ok_or_else(|| format!("the spine names {id:?}, which the manifest does not list"))?;
        if kind.contains("html") {
            package.spine.push(href.clone());
        }
    }
    if package.spine.is_empty() {
        return Err("the spine lists no XHTML document".into());
    }
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_cut_at_its_headings() {
        let text =
            "Avant-propos.\n\n# Le départ\nIl partit.\n\n# Vide\n\n# Le retour\nIl revint.\n";
        let c = chapters_of_text(text, "Début");
        let titles: Vec<_> = c.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Début", "Le départ", "Le retour"]);
        assert_eq!(c[1].text, "Il partit.");
    }

    #[test]
    fn xhtml_becomes_spoken_lines_with_its_heading() {
        let x = r#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title><style>p{}</style></head>
<body><h1>Chapitre&nbsp;1 : <em>le puits</em></h1><p>Il était   une fois&#8230;</p><p>Fin.<br/>Vraiment.</p><script>alert(1)</script></body></html>"#;
        let (heading, text) = xhtml_text(x).unwrap();
        assert_eq!(heading.as_deref(), Some("Chapitre 1 : le puits"));
        assert_eq!(
            text,
            "Chapitre 1 : le puits\nIl était une fois…\nFin.\nVraiment."
        );
    }

    #[test]
    fn a_package_gives_its_spine_in_order() {
        let opf = r#"<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Contes</dc:title><dc:creator>Fatima</dc:creator><dc:language>fr</dc:language></metadata>
<manifest><item id="c2" href="text/c2.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="text/c1.xhtml" media-type="application/xhtml+xml"/>
<item id="css" href="s.css" media-type="text/css"/><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/></manifest>
<spine><itemref idref="nav" linear="no"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>"#;
        let p = read_package(opf).unwrap();
        assert_eq!(
            (p.title.as_str(), p.creator.as_str(), p.language.as_str()),
            ("Contes", "Fatima", "fr")
        );
        assert_eq!(p.spine, ["text/c1.xhtml", "text/c2.xhtml"]);
        assert!(
            read_package(&opf.replace("idref=\"c2\"", "idref=\"c9\""))
                .unwrap_err()
                .contains("c9")
        );
        let container = r#"<container><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
        assert_eq!(container_rootfile(container).unwrap(), "OEBPS/content.opf");
    }
}
