//! `cartable serve --demo` on an empty data directory: a working platform.

use crate::support::Env;
use std::collections::HashSet;

#[tokio::test]
async fn the_demo_starts_on_an_empty_dir_with_lessons_in_three_languages() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    assert!(
        server.banner.contains("serving 12 capsules"),
        "{}",
        server.banner
    );
    assert_eq!(server.get("/healthz").await.text().await.unwrap(), "ok");

    let page = server.json("/api/v1/capsules?limit=100").await;
    let capsules = page["capsules"].as_array().unwrap();
    assert_eq!(capsules.len(), 12);
    let distinct = |field: &str| {
        capsules
            .iter()
            .map(|c| c[field].as_str().unwrap().to_owned())
            .collect::<HashSet<_>>()
    };
    assert!(distinct("level").len() >= 3);
    assert!(distinct("subject").len() >= 3);
    assert!(
        ["ar", "fr", "en"]
            .iter()
            .all(|l| distinct("lang").contains(*l))
    );
    for c in capsules {
        let master = server.get(c["hls_url"].as_str().unwrap()).await;
        assert_eq!(master.status(), 200);
        assert!(master.text().await.unwrap().contains("#EXT-X-STREAM-INF"));
    }

    // Every page kind renders, in each language, Arabic right to left.
    let id = capsules[0]["id"].as_str().unwrap();
    for lang in ["ar", "fr", "en"] {
        for path in [
            "/".to_owned(),
            "/browse".into(),
            format!("/capsules/{id}"),
            "/browse?level=primary-5".into(),
        ] {
            let response = server.get(&format!("/{lang}{path}")).await;
            assert_eq!(response.status(), 200, "/{lang}{path}");
            let html = response.text().await.unwrap();
            let dir = if lang == "ar" { "rtl" } else { "ltr" };
            assert!(
                html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
                "/{lang}{path}"
            );
            assert!(
                html.len() < 100_000,
                "/{lang}{path} weighs {} bytes",
                html.len()
            );
            assert!(
                !html.contains("http://") && !html.contains("https://"),
                "/{lang}{path} names another origin"
            );
        }
    }

    // Restarting on the same data keeps the catalog as it was.
    drop(server);
    let again = env.serve(&["--demo"]);
    assert!(
        again.banner.contains("serving 12 capsules"),
        "{}",
        again.banner
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_sigterm_stops_cleanly() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    server.get("/api/v1/capsules").await;
    server.get("/api/v1/capsules/nope").await;
    let metrics = server.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(
            "http_requests_total{route=\"/api/v1/capsules\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/api/v1/capsules/{id}\",method=\"GET\",status=\"404\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(metrics.contains("http_response_bytes_total"), "{metrics}");
    assert!(metrics.contains("http_open_connections"), "{metrics}");
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn root_sends_each_browser_to_its_language() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (accept, lang) in [("ar-MA,ar;q=0.9", "ar"), ("en-GB", "en"), ("de", "fr")] {
        let response = client
            .get(server.url("/"))
            .header("accept-language", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["location"],
            format!("/{lang}/"),
            "{accept}"
        );
    }
    let missing = server.get("/fr/capsules/does-not-exist").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page introuvable"));
}
