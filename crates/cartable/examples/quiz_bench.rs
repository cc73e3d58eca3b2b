//! The exam-start benchmark's candidates: many learners start the same
//! quiz within a window and answer every question at a human pace.
//!
//! ```text
//! quiz_bench setup --db sqlite:///tmp/w/data/cartable.db --candidates 3000 --out tokens.txt
//! quiz_bench run --url http://127.0.0.1:8701 --quiz bench --tokens tokens.txt \
//!     --window 60 --think 5-15 --out result.json
//! quiz_bench run --url http://127.0.0.1:8702 --static /quiz.json ...   (the reference)
//! ```
//!
//! `setup` adds the learners and an API token for each straight into the
//! database (no password, so no hashing: sign-in is not what is measured).
//! `run` starts each candidate at a uniformly random moment of the window;
//! a candidate presses "start" (POST the quiz's attempts), then after each
//! think time (uniform in the range, seconds) saves the next answer (PUT),
//! until every question of their paper is answered. With `--static PATH`
//! every request is a GET of that path instead, with the same schedule:
//! run against nginx serving a file, it gives the floor of this machine.
//! Each request's latency and status are kept; a start answered 202 (the
//! line) is counted and retried after its Retry-After. Only loopback URLs
//! are accepted, and the run stops after `--limit` seconds whatever
//! happens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cartable_core::accounts::{Login, Role, Secret};
use cartable_store::Db;
use cartable_store::accounts::NewUser;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

fn required(args: &[String], name: &str) -> String {
    arg(args, name).unwrap_or_else(|| panic!("{name} is required"))
}

/// A small deterministic generator (splitmix64): each candidate's
/// schedule, reproducible from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (high - low)
    }
}

#[derive(Default)]
struct Tally {
    start: Vec<f64>,
    save: Vec<f64>,
    errors: Vec<String>,
    queued: usize,
    finished: usize,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // reqwest is built without a crypto provider of its own.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match args.first().map(String::as_str) {
        Some("setup") => setup(&args).await,
        Some("run") => run(&args).await,
        _ => panic!("usage: quiz_bench setup|run …"),
    }
}

async fn setup(args: &[String]) {
    let db = Db::open(&required(args, "--db")).await.unwrap();
    let n: usize = required(args, "--candidates").parse().unwrap();
    let mut tokens = String::new();
    for i in 0..n {
        let login = Login::try_from(format!("candidate-{i}").as_str()).unwrap();
        db.add_user(&NewUser {
            login: &login,
            name: &format!("Candidate {i}"),
            role: Role::Learner,
            password_hash: None,
        })
        .await
        .unwrap();
        let token = format!("ct_bench{i:08}{}", "x".repeat(24));
        db.create_token(
            &format!("bench{i:07}"),
            &Secret::from_text(&token).digest(),
            &login,
            "bench",
        )
        .await
        .unwrap();
        tokens.push_str(&token);
        tokens.push('\n');
    }
    std::fs::write(required(args, "--out"), tokens).unwrap();
    db.close().await;
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    json!({
        "requests": ms.len(),
        "p50_ms": percentile(&ms, 50.0),
        "p90_ms": percentile(&ms, 90.0),
        "p99_ms": percentile(&ms, 99.0),
        "max_ms": ms.last().copied().unwrap_or(f64::NAN),
    })
}

async fn run(args: &[String]) {
    let url = required(args, "--url");
    let host = url
        .trim_start_matches("http://")
        .split([':', '/'])
        .next()
        .unwrap()
        .to_owned();
    let ip: std::net::IpAddr = if host == "localhost" {
        "127.0.0.1".parse().unwrap()
    } else {
        host.parse().unwrap()
    };
    assert!(ip.is_loopback(), "only loopback targets: {url}");
    let quiz = arg(args, "--quiz").unwrap_or_default();
    let reference = arg(args, "--static");
    let tokens: Vec<String> = std::fs::read_to_string(required(args, "--tokens"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let window: f64 = arg(args, "--window").map_or(60.0, |w| w.parse().unwrap());
    let questions: usize = arg(args, "--questions").map_or(40, |q| q.parse().unwrap());
    let think = arg(args, "--think").unwrap_or_else(|| "5-15".into());
    let (low, high) = think.split_once('-').unwrap();
    let (low, high): (f64, f64) = (low.parse().unwrap(), high.parse().unwrap());
    let limit = Duration::from_secs(arg(args, "--limit").map_or(1200, |l| l.parse().unwrap()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let (client, tally, url, quiz, reference) = (
            client.clone(),
            tally.clone(),
            url.clone(),
            quiz.clone(),
            reference.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(i as u64 + 1);
            tokio::time::sleep(Duration::from_secs_f64(rng.between(0.0, window))).await;
            candidate(
                &client,
                &url,
                &quiz,
                reference.as_deref(),
                &token,
                questions,
                (low, high),
                &mut rng,
                &tally,
            )
            .await;
        }));
    }
    let all = futures_util::future::join_all(tasks);
    let timed_out = tokio::time::timeout(limit, all).await.is_err();
    let elapsed = began.elapsed().as_secs_f64();
    let t = std::mem::take(&mut *tally.lock().unwrap());
    let mut errors = t.errors.clone();
    errors.sort();
    errors.dedup();
    let report = json!({
        "target": if reference.is_some() { "reference" } else { "cartable" },
        "candidates": t.start.len(),
        "finished": t.finished,
        "queued": t.queued,
        "errors": t.errors.len(),
        "error_kinds": errors.iter().take(10).collect::<Vec<_>>(),
        "timed_out": timed_out,
        "seconds": elapsed,
        "start": summary(t.start),
        "save": summary(t.save),
    });
    let text = serde_json::to_string_pretty(&report).unwrap();
    println!("{text}");
    if let Some(out) = arg(args, "--out") {
        std::fs::write(out, text).unwrap();
    }
}

#[allow(clippy::too_many_arguments)]
async fn candidate(
    client: &reqwest::Client,
    url: &str,
    quiz: &str,
    reference: Option<&str>,
    token: &str,
    questions: usize,
    (low, high): (f64, f64),
    rng: &mut Rng,
    tally: &Mutex<Tally>,
) {
    let fail = |what: String| tally.lock().unwrap().errors.push(what);
    // Start (waiting in line when told to).
    let attempt: Value = loop {
        let at = Instant::now();
        let request = match reference {
            Some(path) => client.get(format!("{url}{path}")),
            None => client
                .post(format!("{url}/api/v1/quizzes/{quiz}/attempts"))
                .bearer_auth(token),
        };
        let response = request.send().await;
        let ms = at.elapsed().as_secs_f64() * 1000.0;
        match response {
            Ok(r) if r.status() == 202 => {
                tally.lock().unwrap().queued += 1;
                let wait = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(3);
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            Ok(r) if r.status().is_success() => {
                tally.lock().unwrap().start.push(ms);
                break match reference {
                    Some(_) => {
                        let _ = r.bytes().await;
                        json!({"id": "reference"})
                    }
                    None => r.json().await.unwrap_or(Value::Null),
                };
            }
            Ok(r) => return fail(format!("start {}", r.status())),
            Err(e) => return fail(format!("start {e}")),
        }
    };
    let id = attempt["id"].as_str().unwrap_or_default().to_owned();
    for slot in 0..questions {
        tokio::time::sleep(Duration::from_secs_f64(rng.between(low, high))).await;
        let answer = match attempt["questions"][slot]["type"].as_str() {
            Some("true_false") => json!(rng.next().is_multiple_of(2)),
            Some("numeric" | "short_text") => json!((rng.next() % 50).to_string()),
            _ => json!([rng.next() % 3]),
        };
        let at = Instant::now();
        let request = match reference {
            Some(path) => client.get(format!("{url}{path}")),
            None => client
                .put(format!("{url}/api/v1/attempts/{id}/answers/{slot}"))
                .bearer_auth(token)
                .json(&json!({ "answer": answer })),
        };
        match request.send().await {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                tally
                    .lock()
                    .unwrap()
                    .save
                    .push(at.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                return fail(format!(
                    "save {status} {}",
                    body.chars().take(120).collect::<String>()
                ));
            }
            Err(e) => return fail(format!("save {e}")),
        }
    }
    tally.lock().unwrap().finished += 1;
}
