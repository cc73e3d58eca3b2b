//! The JSON API on the demo catalog: filters, pagination, errors.

use crate::support::{Env, Server};
use std::collections::HashSet;

async fn ids(server: &Server, query: &str) -> Vec<String> {
    let page = server.json(&format!("/api/v1/capsules?{query}")).await;
    page["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn filters_narrow_the_catalog_and_cursors_walk_it_without_gaps() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let all = server.json("/api/v1/capsules?limit=100").await;
    let all = all["capsules"].as_array().unwrap().clone();

    for field in ["level", "subject", "lang"] {
        let value = all[0][field].as_str().unwrap();
        let expected: HashSet<String> = all
            .iter()
            .filter(|c| c[field] == value)
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        let got: HashSet<String> = ids(&server, &format!("{field}={value}&limit=100"))
            .await
            .into_iter()
            .collect();
        assert_eq!(got, expected, "filter {field}={value}");
    }
    let both = ids(
        &server,
        &format!(
            "level={}&subject={}",
            all[0]["level"].as_str().unwrap(),
            all[0]["subject"].as_str().unwrap()
        ),
    )
    .await;
    assert!(both.contains(&all[0]["id"].as_str().unwrap().to_owned()));

    // Pages of 5 cover the catalog exactly once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server
            .json(&format!("/api/v1/capsules?limit=5&cursor={cursor}"))
            .await;
        seen.extend(
            page["capsules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let total: Vec<String> = all
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, total);

    // A programme lists its capsules in their positions, page by page too.
    let programmes = server.json("/api/v1/programmes").await;
    let programme = &programmes["programmes"][0];
    let pid = programme["id"].as_str().unwrap();
    let first = server
        .json(&format!("/api/v1/capsules?programme={pid}&limit=2"))
        .await;
    let positions: Vec<u64> = first["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["programmes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == pid)
                .unwrap()["position"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let next = first["next_cursor"].as_str().unwrap();
    let rest = ids(&server, &format!("programme={pid}&limit=100&cursor={next}")).await;
    assert_eq!(
        rest.len() as u64 + 2,
        programme["capsule_count"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn bad_requests_get_json_errors_never_a_500() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    for (path, status, code) in [
        ("/api/v1/capsules?level=grade-99", 400, "invalid_parameter"),
        (
            "/api/v1/capsules?level=NOT%20AN%20ID",
            400,
            "invalid_parameter",
        ),
        ("/api/v1/capsules?lang=french", 400, "invalid_parameter"),
        ("/api/v1/capsules?limit=0", 400, "invalid_parameter"),
        ("/api/v1/capsules?limit=abc", 400, "invalid_parameter"),
        ("/api/v1/capsules?limit=1000", 400, "invalid_parameter"),
        ("/api/v1/capsules?cursor=zzz", 400, "bad_cursor"),
        ("/api/v1/capsules?cursor=p.3", 400, "bad_cursor"),
        ("/api/v1/capsules/does-not-exist", 404, "not_found"),
        ("/api/v1/capsules/%00%ff", 404, "not_found"),
        ("/api/v1/programmes/nope", 404, "not_found"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_capsule_names_its_renditions_captions_and_downloads() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let list = server.json("/api/v1/capsules?limit=100").await;
    let with_captions = list["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["captions"].as_array().unwrap().is_empty())
        .unwrap();
    let capsule = server
        .json(&format!(
            "/api/v1/capsules/{}",
            with_captions["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        capsule["transcript"].is_string(),
        "a capsule carries its transcript"
    );
    assert!(
        with_captions.get("transcript").is_none(),
        "listings leave transcripts out"
    );
    let renditions = capsule["renditions"].as_array().unwrap();
    assert!(renditions.iter().any(|r| r["kind"] == "audio"));
    assert!(
        renditions
            .iter()
            .any(|r| r["height"] == 360 && r["bandwidth"].as_u64().unwrap() > 0)
    );
    let vtt = server
        .get(capsule["captions"][0]["url"].as_str().unwrap())
        .await;
    assert!(
        vtt.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/vtt")
    );
    assert!(vtt.text().await.unwrap().starts_with("WEBVTT"));
    let download = server.get(capsule["download_url"].as_str().unwrap()).await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=")
    );
    let openapi = server.json("/api/v1/openapi.json").await;
    assert_eq!(openapi["openapi"], "3.0.3");
    assert!(openapi["paths"]["/capsules"]["get"].is_object());
}

/// Answers are cached for a moment, but a capsule imported while the
/// server runs shows up within seconds, in listings and on its page.
#[tokio::test]
async fn a_capsule_imported_while_serving_appears_within_seconds() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let before = ids(&server, "limit=100").await;
    assert_eq!(before.len(), 12);
    let src = env.dir.path().join("src");
    let media = src.join("media");
    std::fs::create_dir_all(&media).unwrap();
    let demo = crate::support::repo().join("demo/media/water-cycle");
    for file in std::fs::read_dir(&demo).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), media.join(file.file_name())).unwrap();
    }
    let manifest = src.join("m.json");
    std::fs::write(
        &manifest,
        r#"{"capsules": [{"id": "zz-new", "lang": "en", "titles": {"en": "New"}, "level": "bac-1", "subject": "philosophy", "media": "media"}]}"#,
    )
    .unwrap();
    let out = env.run(&["import", "capsules", manifest.to_str().unwrap()]);
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        if ids(&server, "limit=100")
            .await
            .contains(&"zz-new".to_owned())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new capsule never showed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(server.get("/en/capsules/zz-new").await.status(), 200);
}
