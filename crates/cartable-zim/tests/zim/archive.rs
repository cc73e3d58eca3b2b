//! End to end: a small satchel-like archive, checked by our reader, by
//! zimcheck and by kiwix-serve when they are installed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Kind, Zim, metadata, tool_available};
use cartable_zim::{Content, Entry, Redirect, Stats, write};

const VIDEO_LEN: usize = 3 * 1024 * 1024 + 12_345;

const INDEX: &str = r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Accueil</title>
<link rel="stylesheet" href="style.css"></head>
<body><h1>Cartable</h1><ul>
<li><a href="fr.html">Les fractions</a></li>
<li><a href="ar.html" lang="ar" dir="rtl">الكسور</a></li>
<li><a href="bienvenue.html">Bienvenue</a></li>
</ul><video controls src="video.mp4"></video></body></html>
"#;

const FR: &str = r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Leçon : les fractions</title>
<link rel="stylesheet" href="style.css"></head>
<body><p>Une fraction s'écrit a/b. <a href="index.html">Retour</a></p></body></html>
"#;

const AR: &str = r#"<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>درس: الكسور</title>
<link rel="stylesheet" href="style.css"></head>
<body><p>الكسر هو جزء من الكل. <a href="index.html">رجوع</a></p></body></html>
"#;

const CSS: &str =
    "body { font-family: sans-serif; margin: 2em; }\n[dir=rtl] { text-align: right; }\n";

/// Not a real MP4: deterministic noise is enough to check bytes and ranges.
fn video_bytes() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..VIDEO_LEN)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

fn page(path: &str, title: &str, mime: &str, body: &str, front: bool) -> Entry {
    Entry {
        path: path.into(),
        title: title.into(),
        mime: mime.into(),
        content: Content::Bytes(body.as_bytes().to_vec()),
        front_article: front,
    }
}

fn inputs(video: &Path) -> (Vec<Entry>, Vec<Redirect>) {
    let entries = vec![
        page("index.html", "Accueil", "text/html", INDEX, true),
        page("fr.html", "Leçon : les fractions", "text/html", FR, true),
        page("ar.html", "درس: الكسور", "text/html", AR, true),
        page("style.css", "", "text/css", CSS, false),
        Entry {
            path: "video.mp4".into(),
            title: "Vidéo".into(),
            mime: "video/mp4".into(),
            content: Content::File(video.to_path_buf()),
            front_article: false,
        },
    ];
    let redirects = vec![Redirect {
        path: "bienvenue.html".into(),
        title: "Bienvenue".into(),
        target: "fr.html".into(),
    }];
    (entries, redirects)
}

struct Built {
    _dir: tempfile::TempDir,
    zim: PathBuf,
    stats: Stats,
    video: Vec<u8>,
}

fn build() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let video = video_bytes();
    let video_path = dir.path().join("video-source.mp4");
    std::fs::write(&video_path, &video).unwrap();
    let zim = dir.path().join("cartable_test.zim");
    let (entries, redirects) = inputs(&video_path);
    let stats = write(&zim, &metadata(), "index.html", entries, redirects).unwrap();
    Built {
        _dir: dir,
        zim,
        stats,
        video,
    }
}

#[test]
fn same_inputs_give_identical_bytes_whatever_their_order() {
    let b = build();
    let again = b.zim.with_file_name("again.zim");
    let (mut entries, mut redirects) = inputs(&b._dir.path().join("video-source.mp4"));
    entries.reverse();
    redirects.reverse();
    let stats = write(&again, &metadata(), "index.html", entries, redirects).unwrap();
    assert_eq!(stats, b.stats);
    assert!(std::fs::read(&b.zim).unwrap() == std::fs::read(&again).unwrap());
    let names: Vec<_> = std::fs::read_dir(b._dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn our_reader_finds_everything() {
    let b = build();
    let zim = Zim::open(&b.zim).unwrap();
    assert_eq!(zim.minor, 1);
    assert_eq!(zim.uuid, b.stats.uuid);
    assert_eq!(zim.dirents.len() as u32, b.stats.entry_count);
    assert_eq!(std::fs::metadata(&b.zim).unwrap().len(), b.stats.file_size);

    let main = &zim.dirents[zim.main_page as usize];
    assert_eq!((main.ns, main.path.as_str()), (b'W', "mainPage"));
    assert_eq!(
        zim.content_of(zim.main_page as usize).unwrap().1,
        INDEX.as_bytes()
    );
    assert_eq!(
        zim.get(b'C', "fr.html").unwrap(),
        ("text/html".into(), FR.as_bytes().to_vec())
    );
    assert_eq!(zim.get(b'C', "bienvenue.html").unwrap().1, FR.as_bytes());
    assert_eq!(zim.get(b'C', "style.css").unwrap().1, CSS.as_bytes());
    let ar = &zim.dirents[zim.find(b'C', "ar.html").unwrap()];
    assert_eq!(ar.title, "درس: الكسور");
    let (mime, video) = zim.get(b'C', "video.mp4").unwrap();
    assert_eq!(mime, "video/mp4");
    assert!(video == b.video);

    // Text is compressed, media is not.
    let cluster_of = |path: &str| match zim.dirents[zim.find(b'C', path).unwrap()].kind {
        Kind::Item { cluster, .. } => zim.cluster(cluster).unwrap().0,
        Kind::Redirect(_) => panic!("{path} is a redirect"),
    };
    assert_eq!(cluster_of("index.html"), 5);
    assert_eq!(cluster_of("video.mp4"), 1);

    for (key, value) in [
        ("Name", "cartable_test_fr"),
        ("Language", "fra,ara"),
        ("Date", "2025-03-14"),
    ] {
        assert_eq!(zim.get(b'M', key).unwrap().1, value.as_bytes());
    }
    assert_eq!(
        zim.get(b'M', "Counter").unwrap().1,
        b"text/css=1;text/html=3;video/mp4=1"
    );
    assert_eq!(
        zim.get(b'M', "Illustration_48x48@1").unwrap(),
        ("image/png".into(), crate::common::png_48x48())
    );

    let titles = |ids: Vec<u32>| -> Vec<String> {
        ids.into_iter()
            .map(|i| zim.dirents[i as usize].shown_title().to_owned())
            .collect()
    };
    assert_eq!(zim.listing("v0").unwrap(), zim.title_index);
    assert_eq!(
        titles(zim.listing("v1").unwrap()),
        ["Accueil", "Leçon : les fractions", "درس: الكسور"]
    );
}

fn zimcheck(zim: &Path) {
    let out = Command::new("zimcheck")
        .arg("-A")
        .arg(zim)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("zimcheck -A said:\n{text}");
    assert!(out.status.success(), "zimcheck failed:\n{text}");
    assert!(!text.contains("[ERROR]"), "{text}");
}

#[test]
fn zimcheck_accepts_it() {
    if !tool_available("zimcheck") {
        return;
    }
    let b = build();
    zimcheck(&b.zim);

    // Without front articles the v1 listing is left out, as libzim 8 does.
    let lone = b.zim.with_file_name("lone.zim");
    let mut index = page("index.html", "", "text/html", FR, false);
    index.content = Content::Bytes(b"<p>Seule page</p>".to_vec());
    write(&lone, &metadata(), "index.html", vec![index], vec![]).unwrap();
    assert!(Zim::open(&lone).unwrap().listing("v1").is_err());
    zimcheck(&lone);
}

/// Kills the server even when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A bare HTTP/1.0 exchange: (status, headers, body).
fn http_get(port: u16, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{extra}\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, raw[split + 4..].to_vec())
}

/// kiwix-serve adds `<link type="root" href="...">` to every HTML head.
fn without_root_link(html: &str) -> String {
    match html.find("<link type=\"root\"") {
        Some(start) => match html[start..].find('>') {
            Some(len) => format!("{}{}", &html[..start], &html[start + len + 1..]),
            None => html.to_owned(),
        },
        None => html.to_owned(),
    }
}

#[test]
fn kiwix_serve_serves_pages_and_ranges() {
    if !tool_available("kiwix-serve") {
        return;
    }
    let b = build();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("kiwix-serve")
        // Without it, HTML pages get a toolbar injected.
        .arg("--nosearchbar")
        .arg("--address=127.0.0.1")
        .arg(format!("--port={port}"))
        .arg(&b.zim)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "kiwix-serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let book = b.zim.file_stem().unwrap().to_str().unwrap();

    // The book's root goes to the main page through W/mainPage.
    let (status, head, _) = http_get(port, &format!("/{book}/"), "");
    assert_eq!(status, 302, "{head}");
    assert!(
        head.contains(&format!("Location: /{book}/index.html")),
        "{head}"
    );

    for (path, want) in [("index.html", INDEX), ("ar.html", AR)] {
        let (status, head, body) = http_get(port, &format!("/{book}/{path}"), "");
        assert_eq!(status, 200, "{head}");
        assert_eq!(without_root_link(&String::from_utf8_lossy(&body)), want);
    }

    let (from, to) = (2_000_000usize, 2_065_535usize);
    let range = format!("Range: bytes={from}-{to}\r\n");
    let (status, head, body) = http_get(port, &format!("/{book}/video.mp4"), &range);
    assert_eq!(status, 206, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-range: bytes {from}-{to}/{VIDEO_LEN}")),
        "{head}"
    );
    assert!(body == b.video[from..=to], "range bytes differ");
}
