//! `Content::File` must be streamed: peak memory may not grow with the size
//! of the files. nextest runs each test in a process of its own, so the peak RSS is this test's.

use std::io::Write;

use cartable_zim::{Content, Entry, write};

const MIB: u64 = 1 << 20;
const VIDEO_MIB: u64 = 160;

/// Peak resident set size of this process (Linux only).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn large_files_are_streamed_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("big.mp4");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&video).unwrap());
    let mut chunk = vec![0u8; MIB as usize];
    for i in 0..VIDEO_MIB {
        chunk
            .iter_mut()
            .enumerate()
            .for_each(|(j, b)| *b = (i as usize ^ j) as u8);
        f.write_all(&chunk).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    drop(chunk);

    let Some(before) = peak_rss() else {
        eprintln!("SKIPPED: no /proc/self/status on this system");
        return;
    };
    let entries = vec![
        Entry {
            path: "index.html".into(),
            title: "Accueil".into(),
            mime: "text/html".into(),
            content: Content::Bytes(b"<video src=\"big.mp4\"></video>".to_vec()),
            front_article: true,
        },
        Entry {
            path: "big.mp4".into(),
            title: String::new(),
            mime: "video/mp4".into(),
            content: Content::File(video.clone()),
            front_article: false,
        },
    ];
    let out = dir.path().join("big.zim");
    let stats = write(
        &out,
        &crate::common::metadata(),
        "index.html",
        entries,
        vec![],
    )
    .unwrap();
    let after = peak_rss().unwrap();
    assert!(stats.file_size > VIDEO_MIB * MIB);
    let grew = after.saturating_sub(before);
    eprintln!(
        "peak RSS grew by {} MiB while archiving {VIDEO_MIB} MiB",
        grew / MIB
    );
    assert!(
        grew < 40 * MIB,
        "peak RSS grew by {grew} bytes: the file was not streamed"
    );
}
