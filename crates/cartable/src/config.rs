//! The one configuration struct: defaults in code, then a TOML file
//! (`--config`), then `CARTABLE_*` environment variables, then command-line
//! flags. Unknown keys are refused, so a typo cannot silently do nothing.

use anyhow::Context;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite file, the blob directory and scratch space live.
    pub data_dir: PathBuf,
    /// Address and port to serve on.
    pub listen: String,
    /// `sqlite://…` or `postgres://…`; defaults to `cartable.db` in the data dir.
    pub database_url: Option<String>,
    /// Blob directory; defaults to `blobs` in the data dir.
    pub blob_dir: Option<PathBuf>,
    /// A TOML file of levels and subjects replacing the built-in (Moroccan) one.
    pub taxonomy_file: Option<PathBuf>,
    /// Folder holding the demo `manifest.json` for `serve --demo`.
    pub demo_dir: Option<PathBuf>,
    /// `text` or `json` logs on stderr.
    pub log_format: String,
    /// A tracing filter such as `info` or `cartable=debug,info`.
    pub log_level: String,
    /// Interface language when the browser states no preference: ar, fr or en.
    pub default_lang: String,
    /// Whether session cookies say `Secure`; when not set, true, except
    /// on a box serving a satchel, which classrooms reach over plain HTTP.
    pub secure_cookies: Option<bool>,
    /// The search index's folder; defaults to `search` in the data dir.
    pub search_dir: Option<PathBuf>,
    /// The platform's address as its users know it. Learning records name
    /// each user by an account on this homePage: set it once, before
    /// learners start.
    pub public_url: String,
    /// The hub's ed25519 signing key (`cartable keys init` writes it);
    /// default `data_dir/keys/hub.key`.
    pub hub_key_file: Option<PathBuf>,
    /// The archive's name and its archivists' address, which OAI-PMH
    /// harvesters are told (Identify).
    pub archive_name: String,
    pub archive_email: String,
    /// On a school relay (`serve --relay HUB_URL`): the API token of the
    /// school's account on the hub.
    pub relay_token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("cartable-data"),
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            blob_dir: None,
            taxonomy_file: None,
            demo_dir: None,
            log_format: "text".into(),
            log_level: "info".into(),
            default_lang: "fr".into(),
            secure_cookies: None,
            search_dir: None,
            public_url: "http://localhost".into(),
            hub_key_file: None,
            archive_name: "cartable archive".into(),
            archive_email: "archive@example.org".into(),
            relay_token: None,
        }
    }
}

/// The database URL, which may hold a password, is never printed whole.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self
            .database_url
            .as_deref()
            .map(|u| match u.split_once('@') {
                Some((_, host)) => format!("…@{host}"),
                None => u.to_owned(),
            });
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("database_url", &url)
            .field("blob_dir", &self.blob_dir)
            .field("taxonomy_file", &self.taxonomy_file)
            .field("demo_dir", &self.demo_dir)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("default_lang", &self.default_lang)
            .field("secure_cookies", &self.secure_cookies)
            .field("search_dir", &self.search_dir)
            .finish()
    }
}

impl Config {
    /// Reads the file (if any) and the environment over the defaults.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            anyhow::ensure!(
                file.is_file(),
                "configuration file {} does not exist",
                file.display()
            );
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml));
        }
        builder =
            builder.add_source(config::Environment::with_prefix("CARTABLE").prefix_separator("_"));
        let config: Config = builder
            .build()
            .and_then(config::Config::try_deserialize)
            .context("configuration is not valid (file given with --config, or a CARTABLE_* environment variable)")?;
        anyhow::ensure!(
            ["text", "json"].contains(&config.log_format.as_str()),
            "log_format must be \"text\" or \"json\""
        );
        anyhow::ensure!(
            ["ar", "fr", "en"].contains(&config.default_lang.as_str()),
            "default_lang must be ar, fr or en"
        );
        Ok(config)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("cartable.db").display()))
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.blob_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    pub fn search_dir(&self) -> PathBuf {
        self.search_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("search"))
    }

    pub fn hub_key_file(&self) -> PathBuf {
        self.hub_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys").join("hub.key"))
    }

    pub fn scratch_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    pub fn demo_dir(&self) -> PathBuf {
        self.demo_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_and_lists_every_setting() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../cartable.example.toml"
        ));
        let text = std::fs::read_to_string(path).unwrap();
        let config: Config = toml_from(&text);
        assert_eq!(config.listen, "127.0.0.1:8080");
        let debug = format!("{:?}", Config::default());
        for field in debug
            .split(['{', ','])
            .skip(1)
            .filter_map(|f| f.split(':').next())
        {
            let key = field.trim();
            if !key.is_empty() && !key.starts_with('}') {
                assert!(
                    text.contains(&format!("{key} =")),
                    "cartable.example.toml does not document {key}"
                );
            }
        }
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let result = config::Config::builder()
            .add_source(config::File::from_str(
                "lisen = \"x\"",
                config::FileFormat::Toml,
            ))
            .build()
            .and_then(config::Config::try_deserialize::<Config>);
        assert!(result.unwrap_err().to_string().contains("lisen"));
    }

    #[test]
    fn the_database_password_never_reaches_the_logs() {
        let config = Config {
            database_url: Some("postgres://u:secret@db/x".into()),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("secret"));
    }

    fn toml_from(text: &str) -> Config {
        config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .unwrap()
    }
}
