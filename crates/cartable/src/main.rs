//! The `cartable` binary: command-line parsing, configuration, logging and
//! the wiring of the library crates. Each subcommand lives in its own module.

mod accounts;
mod archive;
mod competition;
mod config;
mod course;
mod demo;
mod import;
mod library;
mod literacy;
mod live;
mod lrs;
mod quiz;
mod relay;
mod satchel;
mod serve;
mod sync;
mod tts;
mod zim;

use anyhow::Context;
use cartable_core::Taxonomy;
use cartable_store::{BlobStore, Db};
use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "cartable",
    version,
    about = "A learning platform for cities and ministries of education"
)]
struct Cli {
    /// Data directory (SQLite file, blobs, scratch space).
    #[arg(long, global = true, env = "CARTABLE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// TOML configuration file (see cartable.example.toml).
    #[arg(long, global = true, env = "CARTABLE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform over HTTP.
    Serve(serve::Args),
    /// Import content in bulk.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Media tools.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Users and their API tokens.
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// Schools.
    #[command(subcommand)]
    School(SchoolCommand),
    /// Classes of a school and their teachers.
    #[command(subcommand)]
    Class(accounts::ClassCommand),
    /// The learning record store's client keys.
    #[command(subcommand)]
    Lrs(lrs::LrsCommand),
    /// The hub's signing key.
    #[command(subcommand)]
    Keys(satchel::KeysCommand),
    /// Satchels: signed offline content for schools without network.
    #[command(subcommand)]
    Satchel(satchel::SatchelCommand),
    /// Live sessions: schedule, list, end.
    #[command(subcommand)]
    Live(live::LiveCommand),
    /// Quizzes and question banks.
    #[command(subcommand)]
    Quiz(quiz::QuizCommand),
    /// Innovation competitions.
    #[command(subcommand)]
    Competition(competition::CompetitionCommand),
    /// Courses: modules of capsules, readings and quizzes.
    #[command(subcommand)]
    Course(course::CourseCommand),
    /// Export or install the library and literacy courses as a folder.
    #[command(subcommand)]
    Library(library::LibraryCommand),
    /// Narrate a text or an EPUB with espeak-ng into a book folder (marked
    /// synthetic) for `cartable import library`.
    Tts(tts::Args),
    /// Records between a box and its hub.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Enrol learners in classes from a CSV.
    Enrol(accounts::EnrolArgs),
    /// Rebuild the search index from the database (stop the server first).
    Reindex {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SchoolCommand {
    /// Add a school.
    Add(accounts::SchoolArgs),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import capsules from a CSV or JSON manifest and the media beside it.
    Capsules(import::Args),
    /// Import archive items from a CSV export through a column mapping.
    Archive(archive::Args),
    /// Import questions into a bank from GIFT, Moodle XML or cartable JSON.
    Questions(quiz::ImportArgs),
    /// Import audiobooks (a folder each, with book.json, or a DAISY 2.02
    /// book) and series of episodes (a folder with series.json).
    Library(library::Args),
    /// Import a literacy course: literacy.json with its sounds and pictures.
    Literacy(literacy::Args),
}

#[derive(Subcommand)]
enum MediaCommand {
    /// Transcode one file into a rendition-set directory (as the import does).
    Transcode(import::TranscodeArgs),
}

/// What every command works on: the configuration, the database, the blob
/// store and the taxonomy.
pub struct App {
    pub config: Config,
    pub db: Db,
    pub blobs: BlobStore,
    pub taxonomy: Taxonomy,
}

impl App {
    async fn open(config: Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        let taxonomy = match &config.taxonomy_file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read taxonomy file {}", file.display()))?;
                Taxonomy::from_toml(&text).with_context(|| file.display().to_string())?
            }
            None => Taxonomy::builtin()?,
        };
        let db = Db::open(&config.database_url())
            .await
            .context("cannot open the database")?;
        let blobs =
            BlobStore::local(&config.blob_dir()).context("cannot open the blob directory")?;
        Ok(App {
            config,
            db,
            blobs,
            taxonomy,
        })
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    init_logging(&config);
    match cli.command {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Import(ImportCommand::Capsules(args)) => {
            import::run(App::open(config).await?, args).await
        }
        Command::Import(ImportCommand::Archive(args)) => {
            archive::import(App::open(config).await?, args).await
        }
        Command::Media(MediaCommand::Transcode(args)) => import::transcode_command(args).await,
        Command::User(c) => accounts::user(App::open(config).await?, c).await,
        Command::School(SchoolCommand::Add(args)) => {
            accounts::school(App::open(config).await?, args).await
        }
        Command::Class(c) => accounts::class(App::open(config).await?, c).await,
        Command::Lrs(c) => lrs::run(App::open(config).await?, c).await,
        Command::Keys(c) => satchel::keys(&App::open(config).await?, c),
        Command::Satchel(satchel::SatchelCommand::Pack(args)) => {
            satchel::pack(App::open(config).await?, args).await
        }
        Command::Satchel(satchel::SatchelCommand::Verify(args)) => satchel::verify(args),
        Command::Satchel(satchel::SatchelCommand::Diff { old, new, json }) => {
            satchel::diff(&old, &new, json)
        }
        Command::Satchel(satchel::SatchelCommand::Apply { update, json }) => {
            satchel::apply(App::open(config).await?, &update, json).await
        }
        Command::Satchel(satchel::SatchelCommand::Fetch { hub, json }) => {
            sync::fetch(App::open(config).await?, &hub, json).await
        }
        Command::Sync(c) => sync::run(App::open(config).await?, c).await,
        Command::Live(c) => live::run(App::open(config).await?, c).await,
        Command::Quiz(c) => quiz::run(App::open(config).await?, c).await,
        Command::Competition(c) => competition::run(App::open(config).await?, c).await,
        Command::Course(c) => course::run(App::open(config).await?, c).await,
        Command::Tts(args) => tts::run(args).await,
        Command::Library(c) => library::run(App::open(config).await?, c).await,
        Command::Import(ImportCommand::Literacy(args)) => {
            literacy::import(App::open(config).await?, args).await
        }
        Command::Import(ImportCommand::Library(args)) => {
            library::import(App::open(config).await?, args).await
        }
        Command::Import(ImportCommand::Questions(args)) => {
            quiz::import(App::open(config).await?, args).await
        }
        Command::Enrol(args) => accounts::enrol(App::open(config).await?, args).await,
        Command::Reindex { json } => reindex(App::open(config).await?, json).await,
    }
}

async fn reindex(app: App, json: bool) -> anyhow::Result<std::process::ExitCode> {
    let index = cartable_search::SearchIndex::open(&app.config.search_dir())?;
    let n = cartable_web::rebuild_search(&app.db, &app.blobs, &app.taxonomy, &index).await?;
    if json {
        println!("{}", serde_json::json!({ "documents": n }));
    } else {
        println!("indexed {n} documents");
    }
    Ok(std::process::ExitCode::SUCCESS)
}
