//! The ZIM writer against its judges: a reader written here, Debian's
//! zimcheck and kiwix-serve, random archives, and a large streamed file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod archive;
mod common;
mod random_archives;
mod streaming;
