//! Live sessions: a real ffmpeg push played by ffprobe while it runs, the
//! refusals of bad pushes, the room's events with reconnection from
//! `Last-Event-ID`, the schedule pages and calendar feeds, and two nodes
//! over one PostgreSQL delivering each event to viewers of both.

use crate::accounts::{Browser, add_user, hidden_csrf};
use crate::support::{Env, Server, python, require, stderr};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A session scheduled from the command line: (id, token).
pub fn create(env: &Env, extra: &[&str]) -> (String, String) {
    let mut args = vec!["live", "create", "--title", "Les fractions", "--json"];
    let start = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
    args.extend(["--start", &start]);
    args.extend(extra);
    let out = env.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let ingest = created["ingest_url"].as_str().unwrap();
    assert!(created["ffmpeg"].as_str().unwrap().contains("-method PUT"));
    let token = ingest.rsplit('/').next().unwrap().to_owned();
    (id, token)
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: Option<i64>,
    name: String,
    data: Value,
}

/// A room's event stream read as a browser's EventSource would.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(server: &Server, path: &str, headers: &[(&str, String)]) -> Stream {
        Stream::open_with(&reqwest::Client::new(), server, path, headers).await
    }

    /// With a client that may already hold a connection to the server (so
    /// the stream is not its connection's first request).
    async fn open_with(
        client: &reqwest::Client,
        server: &Server,
        path: &str,
        headers: &[(&str, String)],
    ) -> Stream {
        let mut request = client.get(server.url(path));
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "{path}"
        );
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and `retry` skipped), or None after
    /// `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    id: None,
                    name: "message".into(),
                    data: Value::Null,
                };
                let mut data = None;
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        event.id = Some(v.parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        v.clone_into(&mut event.name);
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(v).unwrap());
                    }
                }
                if let Some(d) = data {
                    event.data = d;
                    return Some(event);
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    /// The next event named `name`, skipping others (viewer counts).
    async fn next_named(&mut self, name: &str, wait: Duration) -> Option<Event> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let e = self.next(left).await?;
            if e.name == name {
                return Some(e);
            }
        }
    }

    /// Every numbered event within `wait`.
    async fn numbered(&mut self, wait: Duration) -> Vec<Event> {
        let deadline = Instant::now() + wait;
        let mut found = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left).await {
                Some(e) if e.id.is_some() => found.push(e),
                Some(_) => {}
                None => break,
            }
        }
        found
    }
}

pub fn push_command(ingest: &str, seconds: u32) -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
    ])
    .arg("testsrc2=size=426x240:rate=25")
    .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
    .args(["-t", &seconds.to_string()])
    .args([
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-g",
        "50",
        "-keyint_min",
        "50",
        "-sc_threshold",
        "0",
        "-b:v",
        "400k",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-f",
        "hls",
        "-hls_time",
        "2",
        "-hls_list_size",
        "4",
        "-hls_segment_type",
        "fmp4",
        "-method",
        "PUT",
    ])
    .arg(format!("{ingest}/index.m3u8"))
    .stdin(Stdio::null());
    cmd
}

fn ffprobe(url: &str) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_name",
            "-of",
            "json",
            url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe {url}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn codecs(probe: &Value) -> Vec<String> {
    let mut names: Vec<String> = probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[tokio::test]
async fn an_ffmpeg_push_plays_live_and_ends_with_the_broadcast() {
    if !require("ffmpeg", "-version") || !require("ffprobe", "-version") {
        return;
    }
    let env = Env::new().await;
    let (id, token) = create(&env, &[]);
    let server = env.serve(&[]);
    let mut events = Stream::open(&server, &format!("/live/{id}/events?after=0"), &[]).await;
    assert_eq!(
        server.get(&format!("/live/{id}/index.m3u8")).await.status(),
        404,
        "no playlist before the push"
    );
    let ingest = server.url(&format!("/live/{id}/ingest/{token}"));
    let mut push = push_command(&ingest, 9).spawn().unwrap();

    // A viewer plays it while it is pushed.
    let went_live = events.next_named("state", Duration::from_secs(20)).await;
    assert_eq!(went_live.as_ref().unwrap().data["state"], "live");
    assert_eq!(went_live.unwrap().id, Some(1));
    let live = server.get(&format!("/live/{id}/index.m3u8")).await;
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers()["cache-control"], "public, max-age=1");
    assert_eq!(
        live.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let text = live.text().await.unwrap();
    assert!(!text.contains("#EXT-X-ENDLIST"), "{text}");
    assert!(text.contains("#EXT-X-MAP:URI=\"/media/b/"), "{text}");
    let probe = ffprobe(&server.url(&format!("/live/{id}/index.m3u8")));
    assert_eq!(codecs(&probe), ["aac", "h264"], "{probe}");

    // Segments are immutable blobs.
    let segment = text
        .lines()
        .find(|l| l.ends_with(".m4s"))
        .expect("a segment")
        .to_owned();
    let got = server.get(&segment).await;
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(got.headers()["content-type"], "video/iso.segment");

    let status = push.wait().unwrap();
    assert!(status.success());
    let ended = events.next_named("state", Duration::from_secs(10)).await;
    assert_eq!(ended.as_ref().unwrap().data["state"], "ended");
    assert_eq!(ended.unwrap().id, Some(2));
    let done = server.get(&format!("/live/{id}/index.m3u8")).await;
    assert_eq!(done.headers()["cache-control"], "public, max-age=86400");
    let text = done.text().await.unwrap();
    assert!(text.contains("#EXT-X-ENDLIST"), "{text}");
    let probe = ffprobe(&server.url(&format!("/live/{id}/index.m3u8")));
    let seconds: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        seconds >= 8.5,
        "once ended, the playlist is the whole recording: {seconds} s"
    );
    assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"), "{text}");

    // Once ended, pushes are refused.
    let again = reqwest::Client::new()
        .put(format!("{ingest}/index9.m4s"))
        .body(vec![0x47u8; 188])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("has ended"));
}

/// A few TS packets: a body that passes as a segment.
fn ts_packets(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; 188 * n];
    for p in bytes.chunks_mut(188) {
        p[0] = 0x47;
    }
    bytes
}

fn blob_count(env: &Env) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.file_type().unwrap().is_dir() {
                        count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    count(&env.data().join("blobs"))
}

#[tokio::test]
async fn bad_pushes_are_refused_with_a_reason_and_store_nothing() {
    let env = Env::new().await;
    let (id, token) = create(&env, &[]);
    let later = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let out = env.run(&[
        "live", "create", "--title", "Demain", "--start", &later, "--json",
    ]);
    let tomorrow: Value = serde_json::from_slice(&out.stdout).unwrap();
    let server = env.serve(&[]);
    let before = blob_count(&env);
    let client = reqwest::Client::new();
    let put = |path: String, body: Vec<u8>| {
        let request = client.put(server.url(&path)).body(body);
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let cases = [
        (
            format!("/live/{id}/ingest/{}/a.ts", "0".repeat(64)),
            ts_packets(2),
            403,
            "not this session's ingest token",
        ),
        (
            format!("/live/lnosuchsession/ingest/{token}/a.ts"),
            ts_packets(2),
            404,
            "live session",
        ),
        (
            format!("/live/{id}/ingest/{token}/a.exe"),
            ts_packets(2),
            400,
            "file name",
        ),
        (
            format!("/live/{id}/ingest/{token}/a.ts"),
            b"<html>not video</html>".to_vec(),
            415,
            "not an fMP4 or MPEG-TS",
        ),
        (
            format!("/live/{id}/ingest/{token}/a.ts"),
            ts_packets(16 * 1024 * 1024 / 188 + 2),
            413,
            "larger than",
        ),
        (
            format!("/live/{id}/ingest/{token}/index.m3u8"),
            b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nnever.ts\n".to_vec(),
            409,
            "never.ts is listed but was not pushed",
        ),
        (
            format!("/live/{id}/ingest/{token}/index.m3u8"),
            b"not a playlist".to_vec(),
            400,
            "index.m3u8",
        ),
        (
            format!(
                "/live/{}/ingest/{}/a.ts",
                tomorrow["id"].as_str().unwrap(),
                tomorrow["ingest_url"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
            ),
            ts_packets(2),
            409,
            "pushes open an hour before",
        ),
    ];
    for (path, body, status, message) in cases {
        let (got, text) = put(path.clone(), body).await;
        assert_eq!(got, status, "{path}: {text}");
        assert!(text.contains(message), "{path}: {text}");
    }
    assert_eq!(blob_count(&env), before, "a refused push stores nothing");
    assert_eq!(
        server.get(&format!("/live/{id}/index.m3u8")).await.status(),
        404
    );
    let listed: Value =
        serde_json::from_slice(&env.run(&["live", "list", "--json"]).stdout).unwrap();
    let ours = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(ours["state"], "scheduled", "a refused push is not live");
    // A good segment is accepted; ffmpeg's DELETE of an old one is
    // answered but the segment is kept for the recording.
    let (got, _) = put(format!("/live/{id}/ingest/{token}/a.ts"), ts_packets(4)).await;
    assert_eq!(got, 201);
    let deleted = client
        .delete(server.url(&format!("/live/{id}/ingest/{token}/a.ts")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(blob_count(&env), before + 1);
}

/// A signed-in browser and its session's CSRF token.
async fn signed_in(server: &Server, login: &str) -> (Browser, String) {
    let mut b = Browser::new(server);
    let r = b.sign_in(login, "tajine-2026").await;
    assert_eq!(r.status(), 303);
    let csrf = b.session_csrf().await;
    (b, csrf)
}

async fn post_room(b: &mut Browser, path: &str, csrf: &str, fields: &[(&str, &str)]) -> u16 {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    b.post_form(path, &all).await.status().as_u16()
}

#[tokio::test]
async fn the_room_carries_questions_hands_polls_and_slides_and_resumes_from_the_last_event() {
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", "tajine-2026");
    add_user(&env, "amina", "learner", "tajine-2026");
    let (id, _) = create(&env, &["--by", "prof"]);
    let server = env.serve(&[]);
    let (mut teacher, tcsrf) = signed_in(&server, "prof").await;
    let (mut learner, lcsrf) = signed_in(&server, "amina").await;
    let mut staff = Stream::open(
        &server,
        &format!("/live/{id}/events?after=0"),
        &[("cookie", teacher.cookie_header())],
    )
    .await;
    let mut public = Stream::open(&server, &format!("/live/{id}/events?after=0"), &[]).await;
    let room = format!("/fr/live/{id}");

    // A question waits for the teacher; only the teacher sees it.
    let asked = post_room(
        &mut learner,
        &format!("{room}/questions"),
        &lcsrf,
        &[("text", "Pourquoi 1/2 = 2/4 ?")],
    )
    .await;
    assert_eq!(asked, 303, "a form without script comes back to the room");
    let q = staff
        .next_named("question", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(q.data["state"], "pending");
    assert_eq!(q.data["text"], "Pourquoi 1/2 = 2/4 ?");
    let qid = q.data["id"].as_i64().unwrap();
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/questions/{qid}"),
            &lcsrf,
            &[("action", "approve")]
        )
        .await,
        403,
        "a learner does not moderate"
    );
    assert_eq!(
        post_room(
            &mut teacher,
            &format!("{room}/questions/{qid}"),
            &tcsrf,
            &[
                ("action", "answer"),
                ("answer", "On multiplie en haut et en bas.")
            ]
        )
        .await,
        303
    );
    let answered = public
        .next_named("question", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(answered.data["state"], "answered");
    assert_eq!(answered.data["answer"], "On multiplie en haut et en bas.");
    assert_eq!(
        answered.id,
        Some(2),
        "the pending question was not sent to the public"
    );

    // Hands: the teacher sees who, everyone sees how many.
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/hand"),
            &lcsrf,
            &[("raised", "1")]
        )
        .await,
        303
    );
    let hand = staff
        .next_named("hand", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(hand.data["login"], "amina");
    let hands = public
        .next_named("hands", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(hands.data["raised"], 1);

    // A poll with live results, counted once for many votes.
    assert_eq!(
        post_room(
            &mut teacher,
            &format!("{room}/polls"),
            &tcsrf,
            &[
                ("question", "1/2 ou 2/4 ?"),
                ("options", "1/2\n2/4\nPareil")
            ]
        )
        .await,
        303
    );
    let poll = public
        .next_named("poll", Duration::from_secs(5))
        .await
        .unwrap();
    let pid = poll.data["id"].as_i64().unwrap();
    assert_eq!(poll.data["votes"], serde_json::json!([0, 0, 0]));
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/polls/{pid}/vote"),
            &lcsrf,
            &[("choice", "2")]
        )
        .await,
        303
    );
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/polls/{pid}/vote"),
            &lcsrf,
            &[("choice", "7")]
        )
        .await,
        409,
        "an option the poll does not have"
    );
    let results = public
        .next_named("poll", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(results.data["votes"], serde_json::json!([0, 0, 1]));

    // A slide: an image, shown beside the video.
    let png = {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(32, 18, image::Rgb([200, 30, 30]))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        bytes
    };
    let slid = reqwest::Client::new()
        .post(server.url(&format!("{room}/slide")))
        .header("cookie", teacher.cookie_header())
        .header("x-csrf-token", &tcsrf)
        .header("content-type", "image/png")
        .header("accept", "application/json")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(slid.status(), 204);
    let slide = public
        .next_named("slide", Duration::from_secs(5))
        .await
        .unwrap();
    let url = slide.data["url"].as_str().unwrap().to_owned();
    assert_eq!(server.get(&url).await.bytes().await.unwrap(), png);
    let refused = reqwest::Client::new()
        .post(server.url(&format!("{room}/slide")))
        .header("cookie", teacher.cookie_header())
        .header("x-csrf-token", &tcsrf)
        .body("GIF89a not a slide")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);

    // The room page shows what happened, to each their own.
    let page = learner.get(&room).await.text().await.unwrap();
    assert!(page.contains("On multiplie en haut et en bas."));
    assert!(page.contains(&url));
    let moderation = format!("action=\"/fr/live/{id}/questions/{qid}\"");
    assert!(!page.contains(&moderation), "no moderation for learners");
    let page = teacher.get(&room).await.text().await.unwrap();
    assert!(page.contains(&moderation));

    // A viewer who lost the stream after event 2 resumes with the rest,
    // none missed, none twice, in order.
    let all: Vec<i64> = {
        let mut s = Stream::open(&server, &format!("/live/{id}/events?after=0"), &[]).await;
        s.numbered(Duration::from_secs(2))
            .await
            .iter()
            .map(|e| e.id.unwrap())
            .collect()
    };
    // (Its connection served a page first: the stream then goes through
    // the HTTP server's general path, not the one for fresh connections.)
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let mut resumed = Stream::open_with(
        &client,
        &server,
        &format!("/live/{id}/events"),
        &[("last-event-id", "2".into())],
    )
    .await;
    // More happens while it is connected.
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/hand"),
            &lcsrf,
            &[("raised", "0")]
        )
        .await,
        303
    );
    let events = resumed.numbered(Duration::from_secs(3)).await;
    let got: Vec<i64> = events.iter().map(|e| e.id.unwrap()).collect();
    let after_two: Vec<i64> = all.iter().copied().filter(|i| *i > 2).collect();
    assert!(
        got.starts_with(&after_two),
        "replayed {got:?}, expected to start with {after_two:?}"
    );
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(got, sorted, "no event twice, in order");
    let last = events.last().unwrap();
    assert_eq!(
        (last.name.as_str(), &last.data["raised"]),
        ("hands", &serde_json::json!(0)),
        "the hand lowered meanwhile came through: {events:?}"
    );

    // The teacher ends it: the room says so, and questions close.
    assert_eq!(
        post_room(&mut teacher, &format!("{room}/end"), &tcsrf, &[]).await,
        303
    );
    let ended = public
        .next_named("state", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ended.data["state"], "ended");
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/questions"),
            &lcsrf,
            &[("text", "Encore ?")]
        )
        .await,
        409
    );
}

#[tokio::test]
async fn the_schedule_is_on_the_pages_and_in_calendar_feeds() {
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", "tajine-2026");
    add_user(&env, "omar", "learner", "tajine-2026");
    crate::accounts::cli(
        &env,
        &["school", "add", "douar-1", "--name", "École du douar"],
    );
    crate::accounts::cli(
        &env,
        &[
            "class", "add", "cm2-a", "--school", "douar-1", "--name", "CM2 A",
        ],
    );
    crate::accounts::cli(&env, &["class", "teacher", "cm2-a", "prof"]);
    let server = env.serve(&[]);
    let (mut teacher, _) = signed_in(&server, "prof").await;

    // The form: refused with the reason, then scheduled with the push
    // address shown once.
    let form = teacher.get("/fr/live/new").await.text().await.unwrap();
    let csrf = hidden_csrf(&form);
    let start = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let bad = teacher
        .post_form(
            "/fr/live/new",
            &[
                ("csrf", &csrf),
                ("title", "Atelier mosaïque"),
                ("lang", "fr"),
                ("start", &start),
                ("minutes", "60"),
                ("classes", "cm2-z"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    assert!(
        text.contains("class &quot;cm2-z&quot; does not exist")
            || text.contains("class &#34;cm2-z&#34; does not exist"),
        "{text}"
    );
    let made = teacher
        .post_form(
            "/fr/live/new",
            &[
                ("csrf", &csrf),
                ("title", "Atelier mosaïque"),
                ("description", "Apportez des tesselles."),
                ("lang", "fr"),
                ("start", &start),
                ("minutes", "90"),
                ("classes", "cm2-a"),
                ("capacity", "1"),
            ],
        )
        .await;
    assert_eq!(made.status(), 201);
    let page = made.text().await.unwrap();
    assert!(page.contains("-method PUT"), "the ffmpeg command is shown");
    let at = page.find("/live/l").unwrap();
    let id: String = page[at + 6..].chars().take(13).collect();
    assert!(id.starts_with('l'));
    let public_id = create(&env, &[]).0;

    // A learner of the class sees it; the public sees only public ones.
    let csv = env.dir.path().join("class.csv");
    std::fs::write(
        &csv,
        "name,login,class,password\nAmina,amina,cm2-a,tajine-2026\n",
    )
    .unwrap();
    crate::accounts::cli(&env, &["enrol", csv.to_str().unwrap()]);
    let (mut learner, lcsrf) = signed_in(&server, "amina").await;
    let mine = learner.get("/fr/live").await.text().await.unwrap();
    assert!(mine.contains(&id) && mine.contains(&public_id), "{mine}");
    let home = learner.get("/fr/").await.text().await.unwrap();
    assert!(home.contains(&id), "on the learner's home page");
    let anon = server.get("/fr/live").await.text().await.unwrap();
    assert!(anon.contains(&public_id) && !anon.contains(&id), "{anon}");
    let home = server.get("/fr/").await.text().await.unwrap();
    assert!(home.contains(&public_id) && !home.contains(&id));
    let (mut outsider, _) = signed_in(&server, "omar").await;
    assert_eq!(
        outsider.get(&format!("/fr/live/{id}")).await.status(),
        403,
        "not in the class"
    );
    let room = learner
        .get(&format!("/fr/live/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(room.contains("Apportez des tesselles."));

    // Registration within the workshop's places.
    assert_eq!(
        post_room(
            &mut learner,
            &format!("/fr/live/{id}/register"),
            &lcsrf,
            &[]
        )
        .await,
        303
    );
    let (mut teacher2, tcsrf) = signed_in(&server, "prof").await;
    assert_eq!(
        post_room(
            &mut teacher2,
            &format!("/fr/live/{id}/register"),
            &tcsrf,
            &[]
        )
        .await,
        409,
        "one place, taken"
    );
    let room = learner
        .get(&format!("/fr/live/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(room.contains("Vous êtes inscrit"));

    // Calendar feeds, read by a real iCalendar parser.
    let public_feed = server.get("/live/calendar.ics").await;
    assert_eq!(
        public_feed.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let public_feed = public_feed.text().await.unwrap();
    let class_feed = server
        .get("/live/calendar/class/cm2-a.ics")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        server.get("/live/calendar/class/nope.ics").await.status(),
        404
    );
    let Some(python) = python(&["icalendar"]) else {
        return;
    };
    let read = |feed: &str| -> Value {
        let script = "import sys, json, icalendar\ncal = icalendar.Calendar.from_ical(sys.stdin.read())\nprint(json.dumps([{'uid': str(e['UID']), 'summary': str(e['SUMMARY']), 'start': e.decoded('DTSTART').isoformat(), 'end': e.decoded('DTEND').isoformat(), 'url': str(e.get('URL'))} for e in cal.walk('VEVENT')]))";
        let mut child = Command::new(&python)
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(feed.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let events = read(&public_feed);
    assert_eq!(events.as_array().unwrap().len(), 1, "{events}");
    assert!(events[0]["uid"].as_str().unwrap().starts_with(&public_id));
    let events = read(&class_feed);
    let titles: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles.len(),
        2,
        "the class's workshop and the public session: {events}"
    );
    let workshop = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == "Atelier mosaïque")
        .unwrap();
    assert!(
        workshop["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/live/{id}"))
    );
    let starts = chrono::DateTime::parse_from_rfc3339(workshop["start"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(workshop["end"].as_str().unwrap()).unwrap();
    assert_eq!((ends - starts).num_minutes(), 90);
}

#[tokio::test]
async fn two_nodes_over_postgresql_deliver_each_room_event_to_viewers_of_both() {
    let env = Env::new().await;
    // Nodes share a database only on PostgreSQL: this runs in the test
    // command's PostgreSQL pass (.ci/run makes one), not on SQLite.
    let Some(url) = env.database_url.clone() else {
        eprintln!("\n*** SKIPPED: two nodes need PostgreSQL (set TEST_DATABASE_URL) ***\n");
        return;
    };
    add_user(&env, "prof", "teacher", "tajine-2026");
    add_user(&env, "amina", "learner", "tajine-2026");
    let (id, _) = create(&env, &["--by", "prof"]);
    let a = env.serve(&[]);
    let mut other = Command::new(crate::support::BIN);
    other
        .arg("--data-dir")
        .arg(env.dir.path().join("node-b"))
        .env("CARTABLE_LOG_LEVEL", "warn")
        .env("CARTABLE_DATABASE_URL", &url)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    let b = Server::start(other);
    let (mut learner, lcsrf) = signed_in(&a, "amina").await;
    let (mut teacher, tcsrf) = signed_in(&b, "prof").await;
    let mut on_a = Stream::open(&a, &format!("/live/{id}/events?after=0"), &[]).await;
    let mut on_b = Stream::open(&b, &format!("/live/{id}/events?after=0"), &[]).await;
    let mut staff_on_a = Stream::open(
        &a,
        &format!("/live/{id}/events?after=0"),
        &[("cookie", teacher.cookie_header())],
    )
    .await;

    // Asked on node A, approved on node B: both nodes' viewers get both
    // steps, numbered alike.
    let room = format!("/fr/live/{id}");
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/questions"),
            &lcsrf,
            &[("text", "Et 3/6 ?")]
        )
        .await,
        303
    );
    let pending = staff_on_a
        .next_named("question", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(pending.data["state"], "pending");
    let qid = pending.data["id"].as_i64().unwrap();
    assert_eq!(
        post_room(
            &mut teacher,
            &format!("{room}/questions/{qid}"),
            &tcsrf,
            &[("action", "approve")]
        )
        .await,
        303
    );
    for (stream, node) in [(&mut on_a, "A"), (&mut on_b, "B")] {
        let e = stream.next_named("question", Duration::from_secs(5)).await;
        let e = e.unwrap_or_else(|| panic!("node {node} got no question"));
        assert_eq!(
            (e.id, &e.data["state"]),
            (Some(2), &serde_json::json!("approved")),
            "node {node}"
        );
    }
    // Votes on both nodes are counted together.
    assert_eq!(
        post_room(
            &mut teacher,
            &format!("{room}/polls"),
            &tcsrf,
            &[("question", "Oui ?"), ("options", "oui\nnon")]
        )
        .await,
        303
    );
    let poll = on_a
        .next_named("poll", Duration::from_secs(5))
        .await
        .unwrap();
    let pid = poll.data["id"].as_i64().unwrap();
    assert_eq!(
        post_room(
            &mut learner,
            &format!("{room}/polls/{pid}/vote"),
            &lcsrf,
            &[("choice", "0")]
        )
        .await,
        303
    );
    assert_eq!(
        post_room(
            &mut teacher,
            &format!("{room}/polls/{pid}/vote"),
            &tcsrf,
            &[("choice", "1")]
        )
        .await,
        303
    );
    let mut seen = serde_json::json!(null);
    let deadline = Instant::now() + Duration::from_secs(6);
    while Instant::now() < deadline && seen != serde_json::json!([1, 1]) {
        if let Some(e) = on_b.next_named("poll", Duration::from_secs(3)).await {
            seen = e.data["votes"].clone();
        }
    }
    assert_eq!(
        seen,
        serde_json::json!([1, 1]),
        "node B's viewers see both votes"
    );
    // Each node counts the other's viewers.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut total = 0;
    while Instant::now() < deadline && total < 3 {
        if let Some(e) = on_b.next_named("viewers", Duration::from_secs(6)).await {
            total = e.data["total"].as_u64().unwrap();
        }
    }
    assert_eq!(total, 3, "two viewers on A and one on B");
}

#[tokio::test]
async fn the_recording_becomes_a_capsule_with_chapters_and_the_questions() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", "tajine-2026");
    add_user(&env, "amina", "learner", "tajine-2026");
    let server = env.serve(&["--demo"]);
    let before = server.json("/api/v1/programmes/math-primary-5").await;
    let (id, token) = create(
        &env,
        &[
            "--by",
            "prof",
            "--programme",
            "math-primary-5",
            "--series",
            "heure-du-conte",
        ],
    );
    let (mut teacher, tcsrf) = signed_in(&server, "prof").await;
    let (mut learner, lcsrf) = signed_in(&server, "amina").await;
    let mut events = Stream::open(&server, &format!("/live/{id}/events?after=0"), &[]).await;
    let ingest = server.url(&format!("/live/{id}/ingest/{token}"));
    let mut push = push_command(&ingest, 8).spawn().unwrap();
    events
        .next_named("state", Duration::from_secs(20))
        .await
        .unwrap();

    // A slide a few seconds in, a question answered.
    let room = format!("/fr/live/{id}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut png = Vec::new();
    image::RgbImage::from_pixel(16, 9, image::Rgb([20, 120, 200]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let slid = reqwest::Client::new()
        .post(server.url(&format!("{room}/slide")))
        .header("cookie", teacher.cookie_header())
        .header("x-csrf-token", &tcsrf)
        .header("content-type", "image/png")
        .header("accept", "application/json")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(slid.status(), 204);
    post_room(
        &mut learner,
        &format!("{room}/questions"),
        &lcsrf,
        &[("text", "Et 2/4 ?")],
    )
    .await;
    post_room(
        &mut teacher,
        &format!("{room}/questions/1"),
        &tcsrf,
        &[("action", "answer"), ("answer", "C'est la même fraction.")],
    )
    .await;
    assert!(push.wait().unwrap().success());
    let ended = events
        .next_named("state", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(ended.data["state"], "ended");

    // The server makes the capsule by itself.
    let capsule_id = format!("live-{id}");
    let deadline = Instant::now() + Duration::from_secs(240);
    let capsule = loop {
        let r = server.get(&format!("/api/v1/capsules/{capsule_id}")).await;
        if r.status() == 200 {
            break r.json::<Value>().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no capsule {capsule_id} after 4 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(capsule["titles"]["fr"], "Les fractions");
    assert_eq!(capsule["level"], "primary-5", "the programme's level");
    let ms = capsule["duration_ms"].as_u64().unwrap();
    assert!((7_000..=9_500).contains(&ms), "{ms} ms recorded");
    assert!(
        capsule["renditions"].as_array().unwrap().len() >= 2,
        "{capsule}"
    );
    let transcript = capsule["transcript"].as_str().unwrap();
    assert!(transcript.contains("Questions et réponses"), "{transcript}");
    assert!(
        transcript.contains("amina : Et 2/4 ?") || transcript.contains("Amina : Et 2/4 ?"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Réponse : C'est la même fraction."),
        "{transcript}"
    );
    assert!(transcript.contains("Diapositive 1"), "{transcript}");
    let vtt_url = capsule["chapters_url"].as_str().unwrap().to_owned();
    assert!(vtt_url.ends_with(".vtt"));
    let page = server
        .get(&format!("/fr/capsules/{capsule_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("kind=\"chapters\" src=\"{vtt_url}\"")));
    let vtt = server.get(&vtt_url).await.text().await.unwrap();
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    assert_eq!(
        vtt.matches(" --> ").count(),
        2,
        "the start and the slide: {vtt}"
    );
    let after = server.json("/api/v1/programmes/math-primary-5").await;
    assert_eq!(
        after["capsule_count"].as_u64().unwrap(),
        before["capsule_count"].as_u64().unwrap() + 1,
        "the recording joined its programme"
    );
    // The recording is an episode of the series it was published in, with
    // its chapters, in the podcast feed.
    let feed = server
        .get("/feeds/series/heure-du-conte.xml")
        .await
        .text()
        .await
        .unwrap();
    let guid = format!("urn:cartable:episode:heure-du-conte:live-{id}");
    let item = feed
        .split("<item>")
        .find(|i| i.contains(&guid))
        .unwrap_or_else(|| panic!("no episode {guid} in {feed}"));
    assert!(item.contains("<title>Les fractions</title>"), "{feed}");
    assert!(item.contains("type=\"audio/mp4\""), "{feed}");
    assert!(item.contains("title=\"Diapositive 1\""), "{feed}");
    // Doing it again gives the same capsule.
    let out = env.run(&["live", "record", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), capsule_id);
}

/// A TCP proxy on loopback that can be cut, counting the segment requests
/// that cross it.
struct Proxy {
    url: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    /// Every `GET /media/b/…` path that crossed.
    fetched: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = target.trim_start_matches("http://").to_owned();
        let proxy = Proxy {
            url,
            cut: Default::default(),
            links: Default::default(),
            fetched: Default::default(),
        };
        let (cut, links, fetched) = (
            proxy.cut.clone(),
            proxy.links.clone(),
            proxy.fetched.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let fetched = fetched.clone();
                let link = tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let text = String::from_utf8_lossy(&buf[..n]);
                            for line in text.lines().filter(|l| l.starts_with("GET /media/b/")) {
                                fetched
                                    .lock()
                                    .unwrap()
                                    .push(line.split(' ').nth(1).unwrap().to_owned());
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let down = tokio::io::copy(&mut sr, &mut cw);
                    tokio::select! { () = up => {}, _ = down => {} }
                });
                links.lock().unwrap().push(link);
            }
        });
        proxy
    }

    /// Drops every connection and refuses new ones until `restore`.
    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_school_relay_copies_each_segment_once_and_rides_out_a_cut() {
    if !require("ffmpeg", "-version") || !require("ffprobe", "-version") {
        return;
    }
    let hub_env = Env::new().await;
    add_user(&hub_env, "prof", "teacher", "tajine-2026");
    add_user(&hub_env, "douar", "teacher", "tajine-2026");
    let token = crate::accounts::token(&hub_env, "douar");
    let (id, ingest_token) = create(&hub_env, &["--by", "prof"]);
    let hub = hub_env.serve(&[]);
    let proxy = Proxy::start(&hub.url).await;

    // The school's box: its own data, its own learner.
    let school = tempfile::tempdir().unwrap();
    let mut add = Command::new(crate::support::BIN);
    add.arg("--data-dir")
        .arg(school.path())
        .args([
            "user", "add", "amina", "--role", "learner", "--name", "Amina",
        ])
        .stdin(Stdio::piped());
    let mut child = add.spawn().unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"tajine-2026\n")
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    let mut relay_cmd = Command::new(crate::support::BIN);
    relay_cmd
        .arg("--data-dir")
        .arg(school.path())
        .env("CARTABLE_LOG_LEVEL", "warn")
        .env("CARTABLE_RELAY_TOKEN", &token)
        .args(["serve", "--listen", "127.0.0.1:0", "--relay", &proxy.url]);
    let relay = Server::start(relay_cmd);

    let mut push = push_command(&hub.url(&format!("/live/{id}/ingest/{ingest_token}")), 60)
        .spawn()
        .unwrap();
    // The relay finds the session live within its schedule's round.
    let deadline = Instant::now() + Duration::from_secs(40);
    while relay.get(&format!("/live/{id}/index.m3u8")).await.status() != 200 {
        assert!(
            Instant::now() < deadline,
            "the relay never offered the stream"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let probe = ffprobe(&relay.url(&format!("/live/{id}/index.m3u8")));
    assert_eq!(codecs(&probe), ["aac", "h264"]);

    // Five screens play from the relay; the hub sends each segment once.
    for _ in 0..5 {
        let text = relay
            .get(&format!("/live/{id}/index.m3u8"))
            .await
            .text()
            .await
            .unwrap();
        for uri in text.lines().filter(|l| l.starts_with("/media/b/")) {
            assert_eq!(relay.get(uri).await.status(), 200, "{uri}");
        }
    }
    let fetched = proxy.fetched.lock().unwrap().clone();
    let mut unique = fetched.clone();
    unique.sort();
    unique.dedup();
    assert!(!fetched.is_empty());
    assert_eq!(
        fetched.len(),
        unique.len(),
        "a segment fetched twice from the hub: {fetched:?}"
    );

    // A question from the classroom reaches the hub's teacher, and the
    // answer comes back to the classroom.
    let (mut teacher, tcsrf) = signed_in(&hub, "prof").await;
    let mut staff = Stream::open(
        &hub,
        &format!("/live/{id}/events?after=0"),
        &[("cookie", teacher.cookie_header())],
    )
    .await;
    let mut classroom = Stream::open(&relay, &format!("/live/{id}/events?after=0"), &[]).await;
    let (mut learner, lcsrf) = signed_in(&relay, "amina").await;
    assert_eq!(
        post_room(
            &mut learner,
            &format!("/fr/live/{id}/questions"),
            &lcsrf,
            &[("text", "Et 3/6 ?")]
        )
        .await,
        303
    );
    let q = staff
        .next_named("question", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(q.data["name"], "Amina (douar)");
    let qid = q.data["id"].as_i64().unwrap();
    post_room(
        &mut teacher,
        &format!("/fr/live/{id}/questions/{qid}"),
        &tcsrf,
        &[("action", "approve")],
    )
    .await;
    let shown = classroom
        .next_named("question", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(shown.data["state"], "approved");

    // The hub reaches the relay's count of viewers.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut counted = false;
    while !counted && Instant::now() < deadline {
        if let Some(v) = staff.next_named("viewers", Duration::from_secs(6)).await {
            counted = v.data["total"].as_u64().unwrap() >= 2;
        }
    }
    assert!(counted, "the hub counts the classroom's screen");

    // The hub is out of reach for 10 s; a poll opens meanwhile.
    let before = relay
        .get(&format!("/live/{id}/index.m3u8"))
        .await
        .text()
        .await
        .unwrap();
    proxy.cut();
    post_room(
        &mut teacher,
        &format!("/fr/live/{id}/polls"),
        &tcsrf,
        &[("question", "Pareil ?"), ("options", "oui\nnon")],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        relay.get(&format!("/live/{id}/index.m3u8")).await.status(),
        200,
        "the classroom still has its stream during the cut"
    );
    proxy.restore();
    let poll = classroom.next_named("poll", Duration::from_secs(15)).await;
    assert_eq!(
        poll.unwrap().data["question"],
        "Pareil ?",
        "the event of the cut arrives after it"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = relay
            .get(&format!("/live/{id}/index.m3u8"))
            .await
            .text()
            .await
            .unwrap();
        if now != before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stream did not move on after the cut"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let fetched = proxy.fetched.lock().unwrap().clone();
    let mut unique = fetched.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        fetched.len(),
        unique.len(),
        "still once per segment: {fetched:?}"
    );
    let _ = push.kill();
    let _ = push.wait();
}
