//! `cartable tts`: narration where there is none. A text (cut into
//! chapters at its `# ` headings) or an EPUB (a chapter per content
//! document) is spoken by espeak-ng, chapter by chapter, into a book folder
//! with its `book.json` marked synthetic, ready for `cartable import
//! library`.

use anyhow::{Context, bail};
use cartable_core::library::text::{self, Chapter};
use cartable_media::speech;
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A text file (.txt or .md) or an EPUB.
    input: PathBuf,
    /// The language to speak it in: ar, fr, en, zgh… (an EPUB says its own).
    #[arg(long)]
    lang: Option<String>,
    /// The book's title (default: the EPUB's, or the file's name).
    #[arg(long)]
    title: Option<String>,
    /// The book's author (default: the EPUB's).
    #[arg(long)]
    author: Option<String>,
    /// The book folder to write (created; must not exist or be empty).
    #[arg(short, long)]
    out: PathBuf,
}

/// The biggest text or content document read, so a wrong file is refused
/// rather than read whole.
const MAX_BYTES: u64 = 20 * 1024 * 1024;

struct Book {
    title: String,
    author: String,
    lang: String,
    chapters: Vec<Chapter>,
}

fn read_text(path: &Path, untitled: &str) -> anyhow::Result<Vec<Chapter>> {
    let len = std::fs::metadata(path)?.len();
    anyhow::ensure!(len <= MAX_BYTES, "{}: larger than 20 MB", path.display());
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", path.display()))?;
    Ok(text::chapters_of_text(&text, untitled))
}

/// One file of an EPUB, as text.
fn entry(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> anyhow::Result<String> {
    let file = zip
        .by_name(name)
        .with_context(|| format!("the EPUB has no {name}"))?;
    let mut out = String::new();
    file.take(MAX_BYTES)
        .read_to_string(&mut out)
        .with_context(|| format!("{name}: not UTF-8 text"))?;
    Ok(out)
}

/// `dir/file` inside a zip, with `..` resolved (hrefs are relative to the
/// package document).
fn join(dir: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or(href);
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in href.split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn read_epub(path: &Path) -> anyhow::Result<Book> {
    let file = std::fs::File::open(path)?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| anyhow::anyhow!("{}: not an EPUB (a zip file): {e}", path.display()))?;
    let rootfile = text::container_rootfile(&entry(&mut zip, "META-INF/container.xml")?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let package = text::read_package(&entry(&mut zip, &rootfile)?)
        .map_err(|e| anyhow::anyhow!("{}: {rootfile}: {e}", path.display()))?;
    let dir = rootfile.rsplit_once('/').map_or("", |(d, _)| d);
    let mut chapters = Vec::new();
    for href in &package.spine {
        let name = join(dir, href);
        let (heading, spoken) = text::xhtml_text(&entry(&mut zip, &name)?)
            .map_err(|e| anyhow::anyhow!("{}: {name}: {e}", path.display()))?;
        if spoken.is_empty() {
            continue;
        }
        chapters.push(Chapter {
            title: heading.unwrap_or_else(|| format!("{}", chapters.len() + 1)),
            text: spoken,
        });
    }
    Ok(Book {
        title: package.title,
        author: package.creator,
        lang: package.language,
        chapters,
    })
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stem = args
        .input
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['_', '-'], " "))
        .unwrap_or_default();
    let is_epub = args
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("epub"));
    let mut book = if is_epub {
        let path = args.input.clone();
        tokio::task::spawn_blocking(move || read_epub(&path)).await??
    } else {
        Book {
            title: String::new(),
            author: String::new(),
            lang: String::new(),
            chapters: read_text(&args.input, &stem)?,
        }
    };
    if let Some(title) = args.title {
        book.title = title;
    }
    if book.title.trim().is_empty() {
        book.title = stem;
    }
    if let Some(author) = args.author {
        book.author = author;
    }
    if book.author.trim().is_empty() {
        bail!("the book's author is unknown: give --author");
    }
    if let Some(lang) = args.lang {
        book.lang = lang;
    }
    let lang: String = book
        .lang
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if lang.is_empty() {
        bail!("the language is unknown: give --lang (ar, fr, en…)");
    }
    if book.chapters.is_empty() {
        bail!("{}: there is no text to speak", args.input.display());
    }
    let voice = speech::voice_for(&lang).await?;
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        bail!("{} exists and is not empty", args.out.display());
    }
    std::fs::create_dir_all(&args.out)?;
    let progress = crate::import::progress_bar(book.chapters.len() as u64, "chapters spoken");
    let mut listed = Vec::new();
    for (i, c) in book.chapters.iter().enumerate() {
        let file = format!("{:03}.wav", i + 1);
        let spoken = format!("{}.\n\n{}", c.title, c.text);
        if let Err(e) = speech::speak(&spoken, &voice, &args.out.join(&file)).await {
            let _ = std::fs::remove_dir_all(&args.out);
            return Err(e.into());
        }
        listed.push(json!({ "file": file, "title": c.title }));
        progress.inc(1);
    }
    progress.finish_and_clear();
    let meta = json!({
        "title": book.title.trim(),
        "author": book.author.trim(),
        "narrator": "espeak-ng",
        "lang": lang,
        "synthetic": true,
        "chapters": listed,
    });
    std::fs::write(
        args.out.join(cartable_core::library::BOOK_FILE),
        serde_json::to_string_pretty(&meta)?,
    )?;
    eprintln!(
        "{}: {} chapter(s) spoken by espeak-ng ({voice}); import with: cartable import library {}",
        args.out.display(),
        book.chapters.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn hrefs_are_joined_to_the_package_folder() {
        assert_eq!(join("OEBPS", "text/c1.xhtml"), "OEBPS/text/c1.xhtml");
        assert_eq!(
            join("OEBPS/pkg", "../text/c1.xhtml#top"),
            "OEBPS/text/c1.xhtml"
        );
        assert_eq!(join("", "c1.xhtml"), "c1.xhtml");
    }
}
