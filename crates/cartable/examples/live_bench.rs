//! The live benchmark's viewers: holds many server-sent event streams
//! open and notes when each numbered event reaches each of them.
//!
//! ```text
//! live_bench --targets 127.0.0.1:8001,127.0.0.1:8002 --path /live/ID/events \
//!     --connections 15000 --sources 127.0.0.2-127.0.0.40 --events 3 \
//!     --timeout 300 --out viewers-1.json
//! ```
//!
//! Connections go round robin over the targets, each from one of the
//! source addresses (a loopback address has ~28,000 ports per
//! destination), at most 256 connecting at once. When every connection is
//! made or refused, one line `connected N failed M` goes to stdout; the
//! program then waits until every connection has seen `--events` events
//! with an id (or `--timeout` seconds pass) and writes, for the 1st, 2nd…
//! of them, the wall clock (ms since the epoch) at which each connection
//! read it. Events are counted by order, not by their id, so servers with
//! any id scheme (cartable's numbers, nchan's times) are measured alike.
//!
//! Only loopback addresses may be given: it refuses any other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

fn arg(args: &[String], name: &str) -> String {
    let at = args
        .iter()
        .position(|a| a == name)
        .unwrap_or_else(|| panic!("{name} is required"));
    args[at + 1].clone()
}

fn sources(spec: &str) -> Vec<Ipv4Addr> {
    let (first, last) = spec.split_once('-').unwrap_or((spec, spec));
    let first: Ipv4Addr = first.parse().unwrap();
    let last: Ipv4Addr = last.parse().unwrap();
    (u32::from(first)..=u32::from(last))
        .map(Ipv4Addr::from)
        .inspect(|ip| assert!(ip.is_loopback(), "{ip} is not a loopback address"))
        .collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Reads one stream: when each event with an id arrived, in order.
async fn viewer(
    source: Ipv4Addr,
    target: SocketAddr,
    request: Arc<Vec<u8>>,
    events: usize,
    connected: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    gate: Arc<tokio::sync::Semaphore>,
) -> Vec<u64> {
    let permit = gate.acquire().await.unwrap();
    let stream = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
        let mut stream = tokio::time::timeout(Duration::from_secs(20), socket.connect(target))
            .await
            .map_err(|_| std::io::Error::other("connect timed out"))??;
        stream.write_all(&request).await?;
        // The answer's status line must say 200.
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        if &head[9..12] != b"200" {
            return Err(std::io::Error::other("not 200"));
        }
        Ok::<_, std::io::Error>(stream)
    }
    .await;
    drop(permit);
    let mut stream = match stream {
        Ok(s) => {
            connected.fetch_add(1, Ordering::Relaxed);
            s
        }
        Err(_) => {
            failed.fetch_add(1, Ordering::Relaxed);
            return Vec::new();
        }
    };
    let mut seen = Vec::with_capacity(events);
    let mut buf = [0u8; 512];
    // The unfinished last line of the previous read.
    let mut carry: Vec<u8> = Vec::new();
    while seen.len() < events {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let at = now_ms();
        carry.extend_from_slice(&buf[..n]);
        let mut start = 0;
        while let Some(end) = carry[start..].iter().position(|b| *b == b'\n') {
            let line = &carry[start..start + end];
            if line.starts_with(b"id: ") {
                seen.push(at);
            }
            start += end + 1;
        }
        carry.drain(..start);
        if carry.len() > 4096 {
            carry.clear();
        }
    }
    seen
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let targets: Vec<SocketAddr> = arg(&args, "--targets")
        .split(',')
        .map(|t| t.parse().unwrap())
        .inspect(|t: &SocketAddr| assert!(t.ip().is_loopback(), "{t} is not loopback"))
        .collect();
    let path = arg(&args, "--path");
    let connections: usize = arg(&args, "--connections").parse().unwrap();
    let sources = sources(&arg(&args, "--sources"));
    let events: usize = arg(&args, "--events").parse().unwrap();
    let timeout: u64 = arg(&args, "--timeout").parse().unwrap();
    let out = arg(&args, "--out");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let connected = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(256));
        let mut tasks = Vec::with_capacity(connections);
        for i in 0..connections {
            let target = targets[i % targets.len()];
            let request = Arc::new(
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {target}\r\nAccept: text/event-stream\r\n\r\n"
                )
                .into_bytes(),
            );
            tasks.push(tokio::spawn(viewer(
                sources[(i / targets.len()) % sources.len()],
                target,
                request,
                events,
                connected.clone(),
                failed.clone(),
                gate.clone(),
            )));
        }
        while connected.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < connections {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "connected {} failed {}",
            connected.load(Ordering::Relaxed),
            failed.load(Ordering::Relaxed)
        );
        let mut received: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        let all = futures_util::future::join_all(tasks);
        let results = match tokio::time::timeout(Duration::from_secs(timeout), all).await {
            Ok(r) => r
                .into_iter()
                .map(|r| r.unwrap_or_default())
                .collect::<Vec<_>>(),
            Err(_) => {
                eprintln!("timed out before every viewer saw {events} events");
                Vec::new()
            }
        };
        for seen in results {
            for (nth, at) in seen.into_iter().enumerate() {
                received.entry(nth + 1).or_default().push(at);
            }
        }
        let json = serde_json::json!({
            "connected": connected.load(Ordering::Relaxed),
            "failed": failed.load(Ordering::Relaxed),
            "received": received,
        });
        std::fs::write(out, json.to_string()).unwrap();
    });
}
