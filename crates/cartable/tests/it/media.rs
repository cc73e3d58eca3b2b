//! Media delivery as a cache or a player sees it: ranges, validators,
//! immutability, and nothing that would stop a CDN from keeping it.

use crate::support::Env;

#[tokio::test]
async fn ranges_etags_and_cache_headers_let_any_cache_hold_media() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let capsule = server.json("/api/v1/capsules?limit=1").await["capsules"][0].clone();
    let rendition = capsule["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "video")
        .unwrap()
        .clone();
    let url = server.url(rendition["url"].as_str().unwrap());
    let size = rendition["size"].as_u64().unwrap();
    let client = reqwest::Client::new();

    let whole = client.get(&url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    let h = whole.headers().clone();
    assert_eq!(h["content-type"], "video/mp4");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert!(h.get("set-cookie").is_none());
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.len() == 66,
        "strong ETag {etag}"
    );
    let body = whole.bytes().await.unwrap();
    assert_eq!(body.len() as u64, size);

    let part = client
        .get(&url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{size}")
    );
    assert_eq!(part.bytes().await.unwrap(), body.slice(100..200));

    let tail = client
        .get(&url)
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), body.slice(body.len() - 10..));

    let beyond = client
        .get(&url)
        .header("range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], format!("bytes */{size}"));

    let cached = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().await.unwrap().is_empty());

    let same = client
        .get(&url)
        .header("range", "bytes=0-9")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 206);
    let changed = client
        .get(&url)
        .header("range", "bytes=0-9")
        .header("if-range", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.status(),
        200,
        "If-Range that does not match sends the whole file"
    );
    assert_eq!(changed.bytes().await.unwrap().len() as u64, size);

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], size.to_string());

    let playlist = client
        .get(server.url(rendition["playlist_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        playlist.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let text = playlist.text().await.unwrap();
    let head = client
        .get(server.url(rendition["playlist_url"].as_str().unwrap()))
        .header("range", "bytes=0-6")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 206, "small blobs take ranges too");
    assert_eq!(head.text().await.unwrap(), "#EXTM3U");
    let file = rendition["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert!(
        text.contains("#EXT-X-BYTERANGE") && text.contains(file),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_or_malformed_media_urls_are_404_in_json() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);
    let missing = format!("/media/b/{}.mp4", "0".repeat(64));
    for path in [
        missing.as_str(),
        "/media/b/abc.mp4",
        "/media/b/..%2F..%2Fetc%2Fpasswd",
        "/media/b/nohash",
        "/media/dl/xyz/a.mp4",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let capsule = server.json("/api/v1/capsules?limit=1").await["capsules"][0].clone();
    let hash = capsule["hls_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("/media/b/")
        .trim_end_matches(".m3u8")
        .to_owned();
    assert_eq!(
        server.get(&format!("/media/b/{hash}.exe")).await.status(),
        404
    );
}
