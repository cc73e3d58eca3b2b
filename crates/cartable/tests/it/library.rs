//! The library with real ffmpeg: `cartable import library` on a generated
//! audiobook, a small DAISY 2.02 book and a series; the renditions, the
//! M4B with its chapters, idempotence, bad folders named; the OPDS catalog
//! and audiobook manifests against the specifications' JSON schemas, the
//! podcast feed in two real parsers; listening resumed from the records.

use crate::accounts::{Browser, add_user};
use crate::support::{Env, python, repo, require, stderr};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// A tone of `seconds` (a different pitch per file, so files differ).
pub fn tone(path: &Path, hz: u32, seconds: u32) {
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency={hz}:duration={seconds}"))
        .args(["-ac", "1"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A plain book of two 40-second chapters with a cover.
pub fn plain_book(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    tone(&dir.join("01.mp3"), 330, 40);
    tone(&dir.join("02.mp3"), 440, 40);
    let mut png = Vec::new();
    image::RgbImage::from_pixel(300, 300, image::Rgb([30, 90, 140]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(dir.join("cover.png"), png).unwrap();
    std::fs::write(
        dir.join("book.json"),
        json!({
            "id": "le-puits",
            "title": "Le puits du village",
            "author": "Fatima Zahra",
            "narrator": "Youssef",
            "lang": "fr",
            "description": "Un conte du Haut Atlas.",
            "cover": "cover.png",
            "chapters": [
                {"file": "01.mp3", "title": "Le départ"},
                {"file": "02.mp3", "title": "Le retour"}
            ]
        })
        .to_string(),
    )
    .unwrap();
}

/// A DAISY 2.02 book: two audio files, three headings, four pages.
pub fn daisy_book(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    tone(&dir.join("a.mp3"), 300, 20);
    tone(&dir.join("b.mp3"), 500, 20);
    std::fs::write(
        dir.join("ncc.html"),
        r#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Contes</title>
<meta name="dc:title" content="Contes de la médina" />
<meta name="dc:creator" content="Ahmed Sefrioui" />
<meta name="dc:language" content="fr-MA" />
<meta name="ncc:narrator" content="Salma" />
<meta name="ncc:totalTime" content="0:00:40" />
</head><body>
<h1 class="title" id="h1"><a href="s1.smil#p1">Contes de la médina</a></h1>
<span class="page-normal" id="pg1"><a href="s1.smil#p2">1</a></span>
<h2 id="h2"><a href="s1.smil#p3">La fontaine</a></h2>
<span class="page-normal" id="pg2"><a href="s1.smil#p4">2</a></span>
<h2 id="h3"><a href="s2.smil#p5">Le souk</a></h2>
<span class="page-normal" id="pg3"><a href="s2.smil#p6">3</a></span>
<span class="page-normal" id="pg4"><a href="s2.smil#t7">4</a></span>
</body></html>"#,
    )
    .unwrap();
    let smil = |pars: &[(&str, &str, &str, f64)]| {
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<smil><head><meta name=\"dc:format\" content=\"Daisy 2.02\"/></head><body><seq>\n",
        );
        for (par, text, audio, begin) in pars {
            s.push_str(&format!(
                "<par endsync=\"last\" id=\"{par}\"><text src=\"ncc.html#{par}\" id=\"{text}\"/><seq><audio src=\"{audio}\" clip-begin=\"npt={begin:.3}s\" clip-end=\"npt={:.3}s\" id=\"a{par}\"/></seq></par>\n",
                begin + 5.0
            ));
        }
        s.push_str("</seq></body></smil>\n");
        s
    };
    std::fs::write(
        dir.join("s1.smil"),
        smil(&[
            ("p1", "t1", "a.mp3", 0.0),
            ("p2", "t2", "a.mp3", 5.0),
            ("p3", "t3", "a.mp3", 10.0),
            ("p4", "t4", "a.mp3", 15.0),
        ]),
    )
    .unwrap();
    std::fs::write(
        dir.join("s2.smil"),
        smil(&[
            ("p5", "t5", "b.mp3", 0.0),
            ("p6", "t6", "b.mp3", 5.0),
            ("p7", "t7", "b.mp3", 12.5),
        ]),
    )
    .unwrap();
}

/// A series of two episodes; the second is an M4B with chapter marks.
pub fn series_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    tone(&dir.join("e1.mp3"), 600, 8);
    tone(&dir.join("whole.mp3"), 700, 9);
    std::fs::write(
        dir.join("marks.txt"),
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=4000\ntitle=Il était une fois\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=4000\nEND=9000\ntitle=La morale\n",
    )
    .unwrap();
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(dir.join("whole.mp3"))
        .arg("-i")
        .arg(dir.join("marks.txt"))
        .args([
            "-map",
            "0",
            "-map_metadata",
            "1",
            "-map_chapters",
            "1",
            "-c:a",
            "aac",
        ])
        .arg(dir.join("e2.m4b"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(dir.join("whole.mp3")).unwrap();
    std::fs::remove_file(dir.join("marks.txt")).unwrap();
    std::fs::write(
        dir.join("series.json"),
        json!({
            "id": "heure-du-conte",
            "title": "L'heure du conte",
            "author": "Médiathèque de Fès",
            "lang": "fr",
            "description": "Chaque mercredi, un conte pour les enfants.",
            "episodes": [
                {"id": "ep-1", "title": "Le chat et la lune", "published": "2026-05-06", "file": "e1.mp3"},
                {"id": "ep-2", "title": "Le renard du souk", "published": "2026-05-13", "file": "e2.m4b",
                 "description": "Avec ses chapitres."}
            ]
        })
        .to_string(),
    )
    .unwrap();
}

/// The three folders in `dir`.
pub fn library_folder(dir: &Path) {
    plain_book(&dir.join("le-puits"));
    daisy_book(&dir.join("contes-medina"));
    series_folder(&dir.join("heure-du-conte"));
}

fn import(env: &Env, dir: &Path, extra: &[&str]) -> (bool, Value, String) {
    let mut args = vec!["import", "library", dir.to_str().unwrap(), "--json"];
    args.extend(extra);
    let out = env.run(&args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), report, stderr(&out))
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// What ffprobe says of a file: its duration and chapter titles.
fn probe(path: &Path) -> (f64, Vec<String>) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:chapter_tags=title",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let duration = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    let chapters = v["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tags"]["title"].as_str().unwrap_or("").to_owned())
        .collect();
    (duration, chapters)
}

#[tokio::test]
async fn a_library_imports_with_two_renditions_and_again_changes_nothing() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let src = env.dir.path().join("library");
    library_folder(&src);
    let (ok, report, err) = import(&env, &src, &[]);
    assert!(ok, "{err}\n{report}");
    assert_eq!(
        sorted(&report["imported"]),
        ["contes-medina", "heure-du-conte", "le-puits"]
    );
    let (ok, again, err) = import(&env, &src, &[]);
    assert!(ok, "{err}");
    assert!(again["imported"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 3);

    let server = env.serve(&[]);
    let manifest = server.json("/opds/books/le-puits.json").await;
    assert_eq!(manifest["metadata"]["title"], "Le puits du village");
    assert_eq!(manifest["metadata"]["narrator"]["name"], "Youssef");
    let order = manifest["readingOrder"].as_array().unwrap();
    assert_eq!(order.len(), 2);
    assert_eq!(order[1]["title"], "Le retour");
    for item in order {
        let d = item["duration"].as_f64().unwrap();
        assert!((39.5..=40.5).contains(&d), "{item}");
        assert_eq!(item["type"], "audio/mp4");
        let low = &item["alternate"][0];
        assert_eq!(low["type"], "audio/webm; codecs=\"opus\"");
        // Opus at 32 kbit/s: about 14 MB an hour, container included.
        let kbps = low["bitrate"].as_f64().unwrap();
        assert!(
            (24.0..=40.0).contains(&kbps),
            "low-data rendition at {kbps} kbit/s"
        );
        let listen = item["bitrate"].as_f64().unwrap();
        assert!(
            listen > kbps * 1.5,
            "listening {listen} vs low {kbps} kbit/s"
        );
        // The files are there, and play for as long as the manifest says.
        let href = item["href"].as_str().unwrap();
        let path = href.trim_start_matches("http://localhost");
        let bytes = server.get(path).await.bytes().await.unwrap();
        let file = env.dir.path().join("chapter.m4a");
        std::fs::write(&file, &bytes).unwrap();
        let (seconds, _) = probe(&file);
        assert!((seconds - d).abs() < 0.2, "{seconds} s vs {d} s");
    }
    assert_eq!(manifest["resources"][0]["rel"], "cover");

    // The whole book as one M4B with a chapter mark per chapter.
    let m4b = manifest["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"] == "M4B")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://localhost")
        .to_owned();
    let response = server.get(&m4b).await;
    assert_eq!(response.headers()["content-type"], "audio/mp4");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("le-puits.m4b")
    );
    let file = env.dir.path().join("book.m4b");
    std::fs::write(&file, response.bytes().await.unwrap()).unwrap();
    let (seconds, chapters) = probe(&file);
    assert!((79.0..=81.0).contains(&seconds), "{seconds}");
    assert_eq!(chapters, ["Le départ", "Le retour"]);

    // The DAISY book keeps its headings (the table of contents) and pages.
    let daisy = server.json("/opds/books/contes-medina.json").await;
    assert_eq!(daisy["metadata"]["language"], "fr");
    assert_eq!(daisy["metadata"]["author"]["name"], "Ahmed Sefrioui");
    let toc: Vec<(String, String)> = daisy["toc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let href = t["href"].as_str().unwrap();
            (
                t["title"].as_str().unwrap().to_owned(),
                href[href.find("#t=").unwrap()..].to_owned(),
            )
        })
        .collect();
    assert_eq!(
        toc,
        [
            ("Contes de la médina".to_owned(), "#t=0".to_owned()),
            ("La fontaine".to_owned(), "#t=10".to_owned()),
            ("Le souk".to_owned(), "#t=0".to_owned())
        ]
    );
    let page = server
        .get("/fr/library/contes-medina")
        .await
        .text()
        .await
        .unwrap();
    for control in ["Titre suivant", "Page suivante", "Page précédente"] {
        assert!(page.contains(control), "{control}");
    }
    let data = page.split("id=\"book-data\">").nth(1).unwrap();
    let data: Value = serde_json::from_str(data.split("</script>").next().unwrap()).unwrap();
    let pages: Vec<(u64, f64)> = data["nav"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "page")
        .map(|n| (n["track"].as_u64().unwrap(), n["at"].as_f64().unwrap()))
        .collect();
    assert_eq!(pages, [(0, 5.0), (0, 15.0), (1, 5.0), (1, 12.5)]);

    // A plain book has no page buttons; both renditions are offered.
    let page = server
        .get("/ar/library/le-puits")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("data-do=\"next-page\""));
    assert!(page.contains("quality=low"));
    let low = server
        .get("/fr/library/le-puits?quality=low&chapter=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        low.contains("audio/webm; codecs=&#34;opus&#34;")
            || low.contains("audio/webm; codecs=&quot;opus&quot;"),
        "{low}"
    );

    // The library page lists both books and the series.
    let list = server.get("/en/library").await.text().await.unwrap();
    for title in [
        "Le puits du village",
        "Contes de la médina",
        "L&#39;heure du conte",
    ] {
        assert!(list.contains(title), "{title} in {list}");
    }
}

#[tokio::test]
async fn bad_library_folders_are_named_and_nothing_is_written() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let src = env.dir.path().join("library");
    plain_book(&src.join("good"));
    // No author; a DAISY book whose SMIL file is missing; an episode of a
    // capsule that does not exist; a folder that is nothing; a chapter
    // that is not audio at all.
    std::fs::create_dir_all(src.join("no-author")).unwrap();
    std::fs::write(
        src.join("no-author/book.json"),
        r#"{"title":"T","author":"","lang":"fr"}"#,
    )
    .unwrap();
    daisy_book(&src.join("broken-daisy"));
    std::fs::remove_file(src.join("broken-daisy/s2.smil")).unwrap();
    std::fs::create_dir_all(src.join("ghost-series")).unwrap();
    std::fs::write(
        src.join("ghost-series/series.json"),
        r#"{"title":"S","author":"A","lang":"fr","episodes":[{"id":"e","title":"E","published":"2026-01-01","capsule":"nowhere"}]}"#,
    )
    .unwrap();
    std::fs::create_dir_all(src.join("holiday-photos")).unwrap();
    std::fs::create_dir_all(src.join("fake")).unwrap();
    std::fs::write(src.join("fake/01.mp3"), b"this is not audio").unwrap();
    std::fs::write(
        src.join("fake/book.json"),
        r#"{"title":"T","author":"A","lang":"fr","chapters":[{"file":"01.mp3","title":"x"}]}"#,
    )
    .unwrap();

    let (ok, report, err) = import(&env, &src, &[]);
    assert!(!ok);
    let rejected = report["rejected"].as_array().unwrap();
    let said = |folder: &str, words: &str| {
        assert!(
            rejected
                .iter()
                .any(|r| r["file"].as_str().unwrap().contains(folder)
                    && r["message"].as_str().unwrap().contains(words)),
            "{folder}: {words} in {report}"
        )
    };
    said("no-author/book.json", "author is empty");
    said("broken-daisy/ncc.html", "s2.smil");
    said("ghost-series/series.json", "no capsule \"nowhere\"");
    said("holiday-photos", "not a book nor a series");
    said("fake/01.mp3", "ffmpeg cannot read");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("no-author/book.json"), "{err}");

    let server = env.serve(&[]);
    let catalog = server.json("/opds/catalog.json").await;
    assert!(catalog["publications"].as_array().unwrap().is_empty());
    drop(server);

    // With --skip-bad the good book comes in and the others are listed.
    let (ok, report, _) = import(&env, &src, &["--skip-bad"]);
    assert!(ok, "{report}");
    assert_eq!(sorted(&report["imported"]), ["le-puits"]);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn the_opds_catalog_and_podcast_feed_read_in_real_clients() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let Some(python) = python(&["jsonschema", "referencing", "feedparser", "podcastparser"]) else {
        return;
    };
    let env = Env::new().await;
    let src = env.dir.path().join("library");
    library_folder(&src);
    let (ok, report, err) = import(&env, &src, &[]);
    assert!(ok, "{err}\n{report}");
    let server = env.serve(&[]);

    // The OPDS 2.0 feed and each Readium audiobook manifest against the
    // specifications' JSON schemas.
    let validate = |kind: &str, doc: &Value| {
        let file = env.dir.path().join(format!("{kind}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = Command::new(&python)
            .arg(repo().join("tests/schemas/validate.py"))
            .arg(kind)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{kind}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let catalog = server.json("/opds/catalog.json").await;
    validate("opds", &catalog);
    let publications = catalog["publications"].as_array().unwrap();
    assert_eq!(publications.len(), 2);
    for p in publications {
        let href = p["links"][0]["href"].as_str().unwrap();
        assert_eq!(p["links"][0]["type"], "application/audiobook+json");
        let manifest = server
            .json(href.trim_start_matches("http://localhost"))
            .await;
        validate("audiobook", &manifest);
        // What the audiobook profile says in prose (no schema checks it).
        assert_eq!(
            manifest["metadata"]["conformsTo"],
            "https://readium.org/webpub-manifest/profiles/audiobook"
        );
        assert!(manifest["metadata"]["duration"].as_f64().unwrap() > 0.0);
        for item in manifest["readingOrder"].as_array().unwrap() {
            assert!(!item["href"].as_str().unwrap().contains('#'), "{item}");
            assert!(item["duration"].as_f64().unwrap() > 0.0, "{item}");
            assert!(item["bitrate"].as_f64().unwrap() > 0.0, "{item}");
            for alternate in item["alternate"].as_array().unwrap() {
                assert!(alternate["type"].is_string(), "{alternate}");
                assert!(alternate["bitrate"].as_f64().unwrap() > 0.0);
                for forbidden in ["title", "duration", "templated"] {
                    assert!(alternate.get(forbidden).is_none(), "{alternate}");
                }
            }
        }
    }
    assert_eq!(
        catalog["navigation"][0]["href"],
        "http://localhost/feeds/series/heure-du-conte.xml"
    );

    // The podcast feed in feedparser and podcastparser: every episode,
    // its enclosure, and the chapters of the second.
    let rss = server.get("/feeds/series/heure-du-conte.xml").await;
    assert!(
        rss.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let file = env.dir.path().join("feed.xml");
    std::fs::write(&file, rss.bytes().await.unwrap()).unwrap();
    let script = r#"
import json, sys, feedparser, podcastparser
path = sys.argv[1]
f = feedparser.parse(path)
with open(path, "rb") as fh:
    p = podcastparser.parse("http://localhost/feeds/series/heure-du-conte.xml", fh)
print(json.dumps({
  "bozo": bool(f.bozo), "title": f.feed.title, "language": f.feed.get("language"),
  "author": f.feed.get("author"),
  "entries": [{"title": e.title, "id": e.id, "published": e.published,
               "enclosures": [{"href": x.href, "type": x.type, "length": x.length} for x in e.enclosures]}
              for e in f.entries],
  "podcast": [{"title": e["title"], "total_time": e["total_time"],
               "chapters": [[c["start"], c["title"]] for c in e.get("chapters", [])],
               "enclosures": [x["url"] for x in e["enclosures"]]} for e in p["episodes"]],
}))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["bozo"], false, "{parsed}");
    assert_eq!(parsed["title"], "L'heure du conte");
    assert_eq!(parsed["language"], "fr");
    assert_eq!(parsed["author"], "Médiathèque de Fès");
    let entries = parsed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{parsed}");
    assert_eq!(entries[0]["title"], "Le renard du souk", "newest first");
    for e in entries {
        let enclosure = &e["enclosures"][0];
        assert_eq!(enclosure["type"], "audio/mp4");
        let url = enclosure["href"].as_str().unwrap();
        let got = server.get(url.trim_start_matches("http://localhost")).await;
        assert_eq!(got.status(), 200);
        assert_eq!(
            got.bytes().await.unwrap().len().to_string(),
            enclosure["length"].as_str().unwrap()
        );
    }
    let episodes = parsed["podcast"].as_array().unwrap();
    assert_eq!(episodes.len(), 2);
    let fox = episodes
        .iter()
        .find(|e| e["title"] == "Le renard du souk")
        .unwrap();
    assert_eq!(fox["total_time"], 9);
    assert_eq!(
        fox["chapters"],
        json!([[0, "Il était une fois"], [4, "La morale"]])
    );
}

#[tokio::test]
async fn listening_resumes_from_the_records_on_another_device() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let src = env.dir.path().join("library");
    plain_book(&src.join("le-puits"));
    let (ok, _, err) = import(&env, &src, &[]);
    assert!(ok, "{err}");
    add_user(&env, "khadija", "learner", "tajine-2026");
    let server = env.serve(&[]);
    let mut phone = Browser::new(&server);
    phone.sign_in("khadija", "tajine-2026").await;
    let found: Value = phone
        .get("/api/v1/me/progress/library/le-puits")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["position"], Value::Null);
    assert_eq!(found["activity"], "http://localhost/library/le-puits");
    // What the player sends on pause: the place in the whole book.
    let v = &found["vocabulary"];
    let mut result = json!({ "duration": "PT12S", "extensions": {} });
    result["extensions"][v["time"].as_str().unwrap()] = json!(52.5);
    let statement = json!({
        "actor": found["agent"],
        "verb": { "id": v["progressed"] },
        "object": { "objectType": "Activity", "id": found["activity"],
                    "definition": { "type": v["media"] } },
        "result": result,
    });
    let sent = phone
        .send_xapi(
            "POST",
            "/xapi/statements",
            found["csrf"].as_str(),
            Some(statement),
        )
        .await;
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());

    let mut computer = Browser::new(&server);
    computer.sign_in("khadija", "tajine-2026").await;
    let found: Value = computer
        .get("/api/v1/me/progress/library/le-puits")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["position"], 52.5);
    assert_eq!(found["completed"], false);
}

/// An EPUB of two chapters (and a navigation document left out of the
/// reading order), written with the zip crate.
fn epub(path: &Path) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let files = [
        ("mimetype", "application/epub+zip".to_owned()),
        (
            "META-INF/container.xml",
            r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#.to_owned(),
        ),
        (
            "OEBPS/content.opf",
            r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:test:contes</dc:identifier><dc:title>Deux contes</dc:title><dc:creator>Leila</dc:creator><dc:language>fr</dc:language></metadata><manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="c1" href="text/c1.xhtml" media-type="application/xhtml+xml"/><item id="c2" href="text/c2.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="nav" linear="no"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>"#.to_owned(),
        ),
        ("OEBPS/nav.xhtml", "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><nav><ol><li>Sommaire</li></ol></nav></body></html>".to_owned()),
        ("OEBPS/text/c1.xhtml", "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>1</title></head><body><h1>La gazelle</h1><p>La gazelle courait dans le désert.</p></body></html>".to_owned()),
        ("OEBPS/text/c2.xhtml", "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><h1>Le hérisson</h1><p>Le hérisson dormait&#160;sous la dune.</p></body></html>".to_owned()),
    ];
    for (name, text) in files {
        zip.start_file(name, stored).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

#[tokio::test]
async fn tts_narrates_a_text_or_an_epub_into_a_synthetic_book() {
    if !require("ffmpeg", "-version") || !require("espeak-ng", "--version") {
        return;
    }
    let env = Env::new().await;
    let book = env.dir.path().join("contes.epub");
    epub(&book);
    let out = env.dir.path().join("library/deux-contes");
    let run = env.run(&["tts", book.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("book.json")).unwrap()).unwrap();
    assert_eq!(meta["title"], "Deux contes");
    assert_eq!(meta["author"], "Leila");
    assert_eq!(meta["synthetic"], true);
    assert_eq!(
        meta["chapters"],
        json!([{"file": "001.wav", "title": "La gazelle"}, {"file": "002.wav", "title": "Le hérisson"}])
    );

    // A text in Arabic, cut at its headings.
    let text = env.dir.path().join("hikaya.txt");
    std::fs::write(
        &text,
        "# البداية\nكان يا ما كان.\n# النهاية\nوعاشوا في سعادة.\n",
    )
    .unwrap();
    let arabic = env.dir.path().join("library/hikaya");
    let run = env.run(&[
        "tts",
        text.to_str().unwrap(),
        "--lang",
        "ar",
        "--author",
        "الراوي",
        "--title",
        "حكاية",
        "-o",
        arabic.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));

    let (ok, report, err) = import(&env, &env.dir.path().join("library"), &[]);
    assert!(ok, "{err}\n{report}");
    let server = env.serve(&[]);
    let manifest = server.json("/opds/books/deux-contes.json").await;
    let order = manifest["readingOrder"].as_array().unwrap();
    assert_eq!(order.len(), 2);
    assert!(
        order[0]["duration"].as_f64().unwrap() > 1.0,
        "spoken: {manifest}"
    );
    let page = server.get("/fr/library/hikaya").await.text().await.unwrap();
    assert!(page.contains("voix de synthèse"), "marked synthetic");

    // Tamazight has no espeak-ng voice here: one clear sentence, no folder.
    let none = env.dir.path().join("tz");
    let run = env.run(&[
        "tts",
        text.to_str().unwrap(),
        "--lang",
        "zgh",
        "--author",
        "A",
        "-o",
        none.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains("espeak-ng has no voice for Tamazight (zgh)"),
        "{}",
        stderr(&run)
    );
    assert!(!none.exists());

    // Without espeak-ng: the command says how to install it.
    let mut cmd = env.command();
    cmd.env("PATH", "/nonexistent").args([
        "tts",
        text.to_str().unwrap(),
        "--lang",
        "fr",
        "--author",
        "A",
        "-o",
        none.to_str().unwrap(),
    ]);
    let run = cmd.output().unwrap();
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains("espeak-ng not found: install it"),
        "{}",
        stderr(&run)
    );
}
