//! cartable's integration tests: the real binary, started on an ephemeral
//! port, driven over HTTP like a learner's browser or an editor's script.
//!
//! They run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` names a
//! server (each test then gets a database of its own). Tests that need
//! ffmpeg, Node or Chromium skip loudly without them, and fail under
//! `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod api;
mod archive;
mod browser;
mod competition;
mod course;
mod demo;
mod import;
mod library;
mod literacy;
mod live;
mod media;
mod quiz;
mod satchel;
mod search;
mod support;
mod xapi;
