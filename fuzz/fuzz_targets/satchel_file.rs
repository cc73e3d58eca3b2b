//! Any bytes as a satchel file: the reader refuses them or reads only
//! what matches its signed hashes; it never panics, hangs or reads outside
//! the file.
//!
//! Random bytes seldom get past the signature, so half the inputs build a
//! well-signed satchel first (blobs taken from the input) and then damage
//! it where the input says: its index, entries and trailer are not signed
//! and must be checked all the same.

#![no_main]

use cartable_core::BlobHash;
use cartable_core::satchel::{BlobRef, FORMAT, Hub, KeyPair, Manifest, Selection};
use cartable_satchel::{SatchelFile, SatchelWriter, Source};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fn hash(bytes: &[u8]) -> BlobHash {
    BlobHash::try_from(blake3::hash(bytes).to_hex().as_str()).unwrap_or_else(|_| unreachable!())
}

/// A signed satchel holding `blobs`, written to `path`.
fn build(path: &Path, blobs: &[&[u8]]) -> Option<()> {
    let key = KeyPair::from_hex(&"42".repeat(32)).ok()?;
    let mut refs: Vec<BlobRef> = blobs
        .iter()
        .map(|b| BlobRef { hash: hash(b), size: b.len() as u64 })
        .collect();
    refs.sort();
    refs.dedup();
    let catalog = br#"{"programmes":[],"capsules":[]}"#;
    let manifest = Manifest {
        format: FORMAT,
        version: 1,
        parent: None,
        hub: Hub { public_key: key.public_hex(), public_url: "http://localhost".into() },
        selection: Selection::default(),
        boxes: vec![],
        sections: [("catalog".to_owned(), BlobRef { hash: hash(catalog), size: catalog.len() as u64 })].into(),
        blobs: refs.clone(),
    };
    let bytes = manifest.to_bytes().ok()?;
    let mut writer = SatchelWriter::create(path).ok()?;
    writer.section("catalog", catalog).ok()?;
    for r in &refs {
        let blob = blobs.iter().find(|b| hash(b) == r.hash)?;
        writer.blob(&r.hash, Source::Bytes(blob.to_vec())).ok()?;
    }
    writer.finish(&bytes, &key.sign(&bytes)).ok()?;
    Some(())
}

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("f.satchel");
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 && rest.len() >= 8 => {
            // Blobs from the first part, damage from the second: each
            // 5 bytes flip one byte (position u32 LE, xor value).
            let cut = usize::from(rest[0]) % rest.len();
            let (blob_bytes, damage) = rest.split_at(cut);
            let blobs: Vec<&[u8]> = blob_bytes.chunks(17).collect();
            if build(&path, &blobs).is_none() {
                return;
            }
            let Ok(mut file) = std::fs::read(&path) else { return };
            for d in damage.chunks_exact(5) {
                let at = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize % file.len();
                file[at] ^= d[4];
            }
            if std::fs::write(&path, &file).is_err() {
                return;
            }
        }
        _ => {
            if std::fs::write(&path, data).is_err() {
                return;
            }
        }
    }
    let Ok(satchel) = SatchelFile::open(&path, None) else { return };
    let _ = satchel.missing();
    for name in satchel.manifest.sections.keys() {
        let _ = satchel.section(name);
    }
    if satchel.verify(&|_| {}).is_ok() {
        for blob in &satchel.manifest.blobs {
            if let Ok(Some(bytes)) = satchel.read_blob(&blob.hash) {
                assert_eq!(blake3::hash(&bytes).to_hex().as_str(), blob.hash.as_str());
            }
        }
    }
});
