//! `cartable import capsules` with real ffmpeg: the ladder, idempotence,
//! every kind of bad manifest, and an import killed half-way.

use crate::support::{Env, make_video, require, stderr};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const HEADER: &str = "id,lang,title,title_ar,level,subject,programme,position,programme_title,media,captions,attachments,transcript";

fn write_manifest(dir: &Path, rows: &[String]) -> std::path::PathBuf {
    let path = dir.join("manifest.csv");
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    path
}

fn row(id: &str, title: &str, media: &str, position: u32) -> String {
    format!(
        "{id},fr,{title},عنوان,bac-2,mathematics,maths-bac,{position},Maths bac,{media},lesson.vtt,sheet.txt,Bonjour"
    )
}

/// A folder with media, captions and a worksheet, as an editor prepares it.
fn lesson_folder(dir: &Path) {
    make_video(&dir.join("tall.mp4"), 3, 720, 440);
    make_video(&dir.join("short.mp4"), 3, 200, 660);
    std::fs::write(
        dir.join("lesson.vtt"),
        "WEBVTT\n\n00:00.000 --> 00:02.000\nBonjour\n",
    )
    .unwrap();
    std::fs::write(dir.join("sheet.txt"), "Exercice 1").unwrap();
}

async fn capsule_count(env: &Env) -> u64 {
    let server = env.serve(&[]);
    server.json("/api/v1/capsules?limit=100").await["capsules"]
        .as_array()
        .unwrap()
        .len() as u64
}

#[tokio::test]
async fn an_import_transcodes_the_ladder_and_a_reimport_does_nothing() {
    if !require("ffmpeg", "-version") || !require("ffprobe", "-version") {
        return;
    }
    let env = Env::new().await;
    let src = env.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    lesson_folder(&src);
    let manifest = write_manifest(
        &src,
        &[
            row("limits-1", "Limites", "tall.mp4", 1),
            row("limits-2", "Continuité", "short.mp4", 2),
        ],
    );
    let out = env.run(&[
        "import",
        "capsules",
        manifest.to_str().unwrap(),
        "--json",
        "--jobs",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"].as_array().unwrap().len(), 2, "{report}");

    let server = env.serve(&[]);
    let tall = server.json("/api/v1/capsules/limits-1").await;
    let names: Vec<&str> = tall["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["audio", "240p", "360p", "720p"]);
    let short = server.json("/api/v1/capsules/limits-2").await;
    let heights: Vec<u64> = short["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["height"].as_u64())
        .collect();
    assert_eq!(
        heights,
        [200],
        "a source shorter than 240p keeps its own height"
    );
    assert_eq!(tall["attachments"][0]["name"], "sheet.txt");
    assert_eq!(tall["programmes"][0]["id"], "maths-bac");

    // ffprobe, a real HLS client, reads the master playlist over HTTP.
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,height",
            "-of",
            "json",
        ])
        .arg(server.url(tall["hls_url"].as_str().unwrap()))
        .output()
        .unwrap();
    assert!(probe.status.success(), "{}", stderr(&probe));
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(
        streams.contains("\"video\"") && streams.contains("\"audio\"") && streams.contains("720"),
        "{streams}"
    );
    drop(server);

    let again = env.run(&["import", "capsules", manifest.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("0 imported, 2 unchanged"),
        "{}",
        stderr(&again)
    );

    // A changed title re-does that capsule only, from the cached transcode:
    // it succeeds even with ffmpeg out of reach.
    write_manifest(
        &src,
        &[
            row("limits-1", "Les limites", "tall.mp4", 1),
            row("limits-2", "Continuité", "short.mp4", 2),
        ],
    );
    let changed = env
        .command()
        .args(["import", "capsules", manifest.to_str().unwrap()])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(changed.status.success(), "{}", stderr(&changed));
    assert!(
        stderr(&changed).contains("1 imported, 1 unchanged"),
        "{}",
        stderr(&changed)
    );
}

#[tokio::test]
async fn bad_manifests_are_refused_whole_with_file_line_and_field() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let src = env.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    lesson_folder(&src);
    std::fs::write(src.join("broken.mp4"), b"this is not a video at all").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                row("ok-1", "Titre", "tall.mp4", 1),
                row("Bad Id", "Titre", "tall.mp4", 2),
            ],
            ":3: id:",
        ),
        (
            vec![row("ok-1", "Titre", "missing.mp4", 1)],
            ":2: media: file \"missing.mp4\" does not exist",
        ),
        (
            vec![row("ok-1", "Titre", "tall.mp4", 1).replace("bac-2", "grade-99")],
            ":2: level:",
        ),
        (
            vec![
                row("ok-1", "Titre", "tall.mp4", 1),
                row("ok-1", "Titre", "tall.mp4", 2),
            ],
            ":3: id: \"ok-1\" is already used on line 2",
        ),
        (
            vec![
                row("ok-1", "Titre", "tall.mp4", 1),
                row("ok-2", "Titre", "broken.mp4", 2),
            ],
            "broken.mp4",
        ),
        (vec![row("ok-1", "Titre", "/etc/passwd", 1)], ":2: media:"),
    ];
    for (rows, expected) in cases {
        let manifest = write_manifest(&src, &rows);
        let out = env.run(&["import", "capsules", manifest.to_str().unwrap()]);
        let err = stderr(&out);
        assert!(!out.status.success(), "accepted: {rows:?}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(err.contains("nothing was imported"), "{err}");
    }
    assert_eq!(
        capsule_count(&env).await,
        0,
        "a refused manifest writes nothing"
    );

    // With --skip-bad the good rows go in and the bad are listed.
    let manifest = write_manifest(
        &src,
        &[
            row("ok-1", "Titre", "tall.mp4", 1),
            row("ok-2", "Titre", "broken.mp4", 2),
        ],
    );
    let out = env.run(&[
        "import",
        "capsules",
        manifest.to_str().unwrap(),
        "--skip-bad",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], serde_json::json!(["ok-1"]));
    assert_eq!(report["rejected"][0]["line"], 3);
    assert!(
        report["rejected"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ffmpeg cannot read"),
        "{report}"
    );
    assert_eq!(capsule_count(&env).await, 1);
}

#[tokio::test]
async fn a_missing_ffmpeg_is_one_clear_sentence() {
    let env = Env::new().await;
    let src = env.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.mp4"), b"video").unwrap();
    std::fs::write(src.join("lesson.vtt"), "WEBVTT\n").unwrap();
    std::fs::write(src.join("sheet.txt"), "x").unwrap();
    let manifest = write_manifest(&src, &[row("a-1", "Titre", "a.mp4", 1)]);
    let out = env
        .command()
        .args(["import", "capsules", manifest.to_str().unwrap()])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("ffmpeg not found: install it with your package manager"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn an_import_killed_half_way_leaves_whole_capsules_and_resumes() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let src = env.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    lesson_folder(&src);
    let rows: Vec<String> = (1..=4)
        .map(|i| {
            let file = format!("v{i}.mp4");
            make_video(&src.join(&file), 4, 360, 300 + i * 100);
            row(&format!("lesson-{i}"), "Leçon", &file, i)
        })
        .collect();
    let manifest = write_manifest(&src, &rows);
    let mut child = env
        .command()
        .args([
            "import",
            "capsules",
            manifest.to_str().unwrap(),
            "--jobs",
            "1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    loop {
        let line = lines
            .next()
            .expect("import ended before importing anything")
            .unwrap();
        if line.starts_with("imported ") {
            break;
        }
    }
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let server = env.serve(&[]);
    let page = server.json("/api/v1/capsules?limit=100").await;
    let visible = page["capsules"].as_array().unwrap();
    assert!(
        !visible.is_empty() && visible.len() < 4,
        "{} capsules after the kill",
        visible.len()
    );
    for capsule in visible {
        for r in capsule["renditions"].as_array().unwrap() {
            assert_eq!(
                server.get(r["url"].as_str().unwrap()).await.status(),
                200,
                "a visible capsule is whole"
            );
        }
    }
    let before = visible.len();
    drop(server);

    let resumed = env.run(&["import", "capsules", manifest.to_str().unwrap()]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let expected = format!("{} imported, {before} unchanged", 4 - before);
    assert!(
        stderr(&resumed).contains(&expected),
        "expected {expected:?} in {}",
        stderr(&resumed)
    );
    assert_eq!(capsule_count(&env).await, 4);
}
