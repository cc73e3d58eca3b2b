//! The test kit: a fresh data directory (and database) per test, the real
//! server on port 0, the real CLI, and tool checks.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_cartable");

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Whether `tool` runs here; when it does not, says so loudly, and fails
/// the test under CI=true, where every tool must be installed.
pub fn require(tool: &str, version_arg: &str) -> bool {
    let found = Command::new(tool)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required under CI=true but is not installed"
        );
        eprintln!("\n*** SKIPPED: {tool} is not installed; this test needs it ***\n");
    }
    found
}

/// The tests' Python (.ci/run makes it at ~/.cache/cartable-py, or
/// SICKLE_PYTHON names it) if it has every module named, or None (a loud
/// skip; a failure under CI=true).
pub fn python(modules: &[&str]) -> Option<PathBuf> {
    let python = std::env::var_os("SICKLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/cartable-py/bin/python")
        });
    let ok = Command::new(&python)
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} with {} is required under CI=true (.ci/run makes it)",
            python.display(),
            modules.join(", ")
        );
        eprintln!(
            "\n*** SKIPPED: no Python with {} at {} (pip install {}) ***\n",
            modules.join(", "),
            python.display(),
            modules.join(" ")
        );
        return None;
    }
    Some(python)
}

/// A data directory and database of a test's own.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Env {
    pub async fn new() -> Env {
        // reqwest is built with TLS but no crypto provider of its own; the
        // binary installs ring, and so do the tests' clients.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let database_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => Some(fresh_postgres(&server).await),
            _ => None,
        };
        Env { dir, database_url }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The CLI, pointed at this environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(self.data())
            .env("CARTABLE_LOG_LEVEL", "warn");
        if let Some(url) = &self.database_url {
            cmd.env("CARTABLE_DATABASE_URL", url);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut cmd = self.command();
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(extra);
        Server::start(cmd)
    }
}

/// A database of its own on the PostgreSQL server at `server`.
async fn fresh_postgres(server: &str) -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "cartable_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(server).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// The real server, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub banner: String,
}

impl Server {
    pub fn start(mut cmd: Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .last()
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "server printed {line:?}"
        );
        Server {
            child,
            url,
            banner: line,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(self.url(path)).await.unwrap()
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A short generated lesson video (test pattern and a tone), made by ffmpeg.
pub fn make_video(path: &Path, seconds: u32, height: u32, tone: u32) {
    let width = height * 16 / 9 / 2 * 2;
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc2=size={width}x{height}:rate=25"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency={tone}"))
        .args([
            "-t",
            &seconds.to_string(),
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
        ])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}
