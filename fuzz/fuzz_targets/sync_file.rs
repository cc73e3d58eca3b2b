//! Any bytes as a sync file: frames are read up to the first problem, and
//! each frame's chunk parses or is refused; never a panic. The same bytes
//! as a signed manifest are refused unless really signed.

#![no_main]

use cartable_core::satchel::Manifest;
use cartable_core::sync::{Chunk, read_frames};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (frames, _) = read_frames(data);
    for frame in &frames {
        if let Ok(chunk) = Chunk::parse(&frame.payload) {
            assert!(Chunk::parse(&chunk.to_bytes()).is_ok());
        }
        let _ = Manifest::open(&frame.payload, &frame.signature);
    }
    if data.len() > 64 {
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&data[..64]);
        let _ = Manifest::open(&data[64..], &signature);
    }
});
