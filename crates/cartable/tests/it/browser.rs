//! The pages in a real browser: headless Chromium plays a capsule, switches
//! to Arabic with the keyboard, and axe-core checks every page kind
//! (`tests/browser/check.mjs`).

use crate::support::{Env, repo, require};
use std::process::Command;

#[tokio::test]
async fn chromium_plays_a_capsule_and_axe_finds_nothing_serious() {
    let script = repo().join("tests/browser/check.mjs");
    if !require("node", "--version") || !require("chromium", "--version") {
        return;
    }
    if !repo()
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tests/browser/node_modules is missing under CI=true: run npm ci in tests/browser"
        );
        eprintln!("\n*** SKIPPED: run `npm ci` in tests/browser to enable the browser test ***\n");
        return;
    }
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let capsules = server.json("/api/v1/capsules?limit=100").await;
    let capsule = capsules["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["programmes"].as_array().unwrap().is_empty())
        .unwrap()
        .clone();
    let programme = capsule["programmes"][0]["id"].as_str().unwrap().to_owned();
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg(capsule["id"].as_str().unwrap())
            .arg(programme)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
}
