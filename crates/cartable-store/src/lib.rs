//! cartable's storage: the SQL database (SQLite or PostgreSQL, chosen by
//! URL) and the content-addressed blob store.
//!
//! [`db::Db`] opens and migrates the database; each concept's SQL lives in
//! its own module ([`catalog`], [`accounts`], [`records`]). [`blobs::BlobStore`] names every stored
//! byte string by its BLAKE3 hash.

pub mod accounts;
pub mod archive;
pub mod assignments;
pub mod blobs;
pub mod catalog;
pub mod competition;
pub mod course;
pub mod db;
pub mod indicators;
pub mod library;
pub mod live;
pub mod quiz;
pub mod records;
pub mod sync;

pub use blobs::BlobStore;

pub use db::Db;

/// A storage fault: never the user's mistake, logged once and reported as
/// an internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Seconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
