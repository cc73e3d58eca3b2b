//! `cartable live create|list|end`: live sessions from the command line,
//! for scripts, with the same checks as the scheduling page (they share
//! `cartable_web::live::create_checked`).

use crate::App;
use anyhow::{Context, bail};
use cartable_core::live::{Audience, Schedule};
use cartable_store::live::Listing;
use chrono::{DateTime, NaiveDateTime};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum LiveCommand {
    /// Schedule a live session; prints its id, its viewers' page and the
    /// address to push the stream to (with its token, shown only now).
    Create(CreateArgs),
    /// The sessions ending from now on (and those of the past week).
    List {
        #[arg(long)]
        json: bool,
    },
    /// End a session: no more pushes; its segments are the recording.
    End { id: String },
}

#[derive(clap::Args)]
pub struct CreateArgs {
    #[arg(long)]
    title: String,
    /// Start, in UTC: `2026-12-01T14:00` or RFC 3339 with an offset.
    #[arg(long)]
    start: String,
    /// Expected length in minutes.
    #[arg(long, default_value_t = 60)]
    minutes: i64,
    #[arg(long, default_value = "")]
    description: String,
    /// The language it is given in.
    #[arg(long, default_value = "fr")]
    lang: String,
    /// Open to the public (the default when no school or class is named).
    #[arg(long)]
    public: bool,
    /// A school it is for (repeatable).
    #[arg(long = "school")]
    schools: Vec<String>,
    /// A class it is for (repeatable).
    #[arg(long = "class")]
    classes: Vec<String>,
    /// Places for a workshop; without it, no registration.
    #[arg(long)]
    capacity: Option<u32>,
    /// The programme the recording joins as a capsule.
    #[arg(long)]
    programme: Option<String>,
    /// The user who moderates the room (besides admins).
    #[arg(long)]
    by: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

fn parse_start(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp());
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp());
        }
    }
    bail!("--start {text:?}: give a time such as 2026-12-01T14:00 (UTC) or 2026-12-01T15:00+01:00")
}

pub async fn run(app: App, command: LiveCommand) -> anyhow::Result<ExitCode> {
    match command {
        LiveCommand::Create(args) => create(app, args).await,
        LiveCommand::List { json } => list(app, json).await,
        LiveCommand::End { id } => match app.db.end_live(&id).await? {
            Some(_) => {
                cartable_web::live::recording_playlist(&app.db, &id)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.message()))?;
                println!("ended {id}");
                Ok(ExitCode::SUCCESS)
            }
            None => bail!("{id}: no such live session, or it has already ended"),
        },
    }
}

async fn create(app: App, args: CreateArgs) -> anyhow::Result<ExitCode> {
    let starts_at = parse_start(&args.start)?;
    if let Some(login) = &args.by
        && app.db.user(login).await?.is_none()
    {
        bail!("--by {login}: no such user");
    }
    let schedule = Schedule {
        title: args.title.trim().to_owned(),
        description: args.description,
        lang: cartable_core::Lang::try_from(args.lang.as_str())
            .with_context(|| format!("--lang {}", args.lang))?,
        level: None,
        subject: None,
        starts_at,
        ends_at: starts_at + args.minutes * 60,
        audience: Audience {
            public: args.public || (args.schools.is_empty() && args.classes.is_empty()),
            schools: args.schools,
            classes: args.classes,
        },
        capacity: args.capacity,
        programme: args
            .programme
            .as_deref()
            .map(cartable_core::ProgrammeId::try_from)
            .transpose()
            .context("--programme")?,
    };
    schedule.check()?;
    let new =
        cartable_web::live::create_checked(&app.db, &schedule, args.by.as_deref().unwrap_or(""))
            .await
            .map_err(|e| anyhow::anyhow!(e.message()))?;
    let base = app.config.public_url.trim_end_matches('/');
    let viewer = format!("{base}/{}/live/{}", app.config.default_lang, new.id);
    let ingest = format!("{base}/live/{}/ingest/{}", new.id, new.token.expose());
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "id": new.id,
                "viewer_url": viewer,
                "ingest_url": ingest,
                "playlist_url": format!("{base}/live/{}/index.m3u8", new.id),
                "ffmpeg": cartable_web::live::ffmpeg_command(&ingest),
            })
        );
    } else {
        println!("id:      {}", new.id);
        println!("viewers: {viewer}");
        println!("push to: {ingest}/index.m3u8");
        println!("(the push address holds the session's secret token; it is shown only now)");
        println!();
        println!("{}", cartable_web::live::ffmpeg_command(&ingest));
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(app: App, json: bool) -> anyhow::Result<ExitCode> {
    let mut listing = Listing {
        public: true,
        ending_after: cartable_store::now() - 7 * 86_400,
        limit: 1_000,
        ..Listing::default()
    };
    listing.schools = app.db.schools().await?.into_iter().map(|s| s.id).collect();
    listing.classes = app.db.classes().await?.into_iter().map(|c| c.id).collect();
    let sessions = app.db.live_schedule(&listing).await?;
    if json {
        println!("{}", serde_json::to_string(&sessions)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in sessions {
        let start = DateTime::from_timestamp(s.schedule.starts_at, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        println!(
            "{}  {:<9}  {start}  {}",
            s.id,
            s.state.as_str(),
            s.schedule.title
        );
    }
    Ok(ExitCode::SUCCESS)
}
