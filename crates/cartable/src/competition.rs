//! `cartable competition …`: innovation competitions, set up from the
//! command line; teams, submissions and the jury's scores happen in the
//! pages.

use crate::App;
use anyhow::Context;
use cartable_core::competition::{CompetitionSpec, Criterion};
use std::process::ExitCode;

/// The largest file a submission may hold: what the pages' upload takes.
const LARGEST_FILE: u64 = 100 * 1024 * 1024;

#[derive(clap::Subcommand)]
pub enum CompetitionCommand {
    /// Make a competition (or set an existing one again).
    Create(Box<CreateArgs>),
    /// List the competitions.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Publish the results (after the deadline).
    Publish { id: String },
}

#[derive(clap::Args)]
pub struct CreateArgs {
    /// Its id (lowercase letters, digits, dashes), as its address shows it.
    id: String,
    #[arg(long)]
    title: String,
    /// The brief: what to make, for whom, how it is judged.
    #[arg(long)]
    brief: String,
    /// When submissions close: UTC `2026-12-15T18:00`, or RFC 3339.
    #[arg(long)]
    deadline: String,
    /// A criterion of the rubric and its points, as `Innovation:10`
    /// (repeat for each).
    #[arg(long = "rubric", required = true)]
    rubric: Vec<String>,
    /// A juror's login (repeat for each).
    #[arg(long = "jury", required = true)]
    jury: Vec<String>,
    /// Members per team.
    #[arg(long, default_value_t = 4)]
    max_team: usize,
    /// Files per submission.
    #[arg(long, default_value_t = 3)]
    max_files: usize,
    /// Megabytes per file (at most 100).
    #[arg(long, default_value_t = 20)]
    max_mb: u64,
    /// The file types taken, by extension.
    #[arg(long, value_delimiter = ',', default_value = "pdf,png,jpg,mp4")]
    types: Vec<String>,
    #[arg(long, default_value = "fr")]
    lang: String,
    #[arg(long, default_value = "admin")]
    by: String,
    #[arg(long)]
    json: bool,
}

fn deadline(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp());
    }
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .with_context(|| format!("{text:?} is not a time like 2026-12-15T18:00 (UTC)"))?;
    Ok(t.and_utc().timestamp())
}

pub async fn run(app: App, command: CompetitionCommand) -> anyhow::Result<ExitCode> {
    match command {
        CompetitionCommand::Create(args) => create(app, *args).await,
        CompetitionCommand::List { json } => {
            let all = app.db.competitions().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for c in all {
                    let state = if c.published_at.is_some() {
                        "published"
                    } else {
                        ""
                    };
                    println!("{}\t{}\t{state}", c.id, c.spec.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CompetitionCommand::Publish { id } => {
            let c = app
                .db
                .competition(&id)
                .await?
                .with_context(|| format!("there is no competition {id:?}"))?;
            anyhow::ensure!(
                cartable_store::now() > c.spec.deadline,
                "the results are published after the deadline"
            );
            if app.db.publish_competition(&id).await? {
                println!("published the results of {id}");
            } else {
                println!("the results of {id} were already published");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn create(app: App, args: CreateArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        cartable_core::ids::is_slug(&args.id),
        "the id {:?} is not lowercase letters, digits and dashes",
        args.id
    );
    anyhow::ensure!(
        args.max_mb * 1024 * 1024 <= LARGEST_FILE,
        "a file is at most 100 MB"
    );
    let mut rubric = Vec::new();
    for r in &args.rubric {
        let (name, max) = r
            .rsplit_once(':')
            .with_context(|| format!("the criterion {r:?} is not NAME:POINTS"))?;
        let max: u32 = max
            .trim()
            .parse()
            .with_context(|| format!("the points of {r:?} are not a whole number"))?;
        rubric.push(Criterion {
            name: name.trim().to_owned(),
            max,
        });
    }
    for j in &args.jury {
        anyhow::ensure!(
            app.db.user(j).await?.is_some(),
            "there is no user {j:?} for the jury"
        );
    }
    let spec = CompetitionSpec {
        title: args.title.trim().to_owned(),
        lang: args.lang,
        brief: args.brief.trim().to_owned(),
        deadline: deadline(&args.deadline)?,
        max_team: args.max_team,
        max_files: args.max_files,
        max_bytes: args.max_mb * 1_000_000,
        types: args
            .types
            .iter()
            .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        rubric,
        jury: args.jury,
    };
    spec.check().map_err(anyhow::Error::msg)?;
    app.db.put_competition(&args.id, &spec, &args.by).await?;
    let url = format!(
        "{}/{}/competitions/{}",
        app.config.public_url.trim_end_matches('/'),
        spec.lang,
        args.id
    );
    if args.json {
        println!("{}", serde_json::json!({"id": args.id, "url": url}));
    } else {
        println!("competition {} set; its page: {url}", args.id);
    }
    Ok(ExitCode::SUCCESS)
}
