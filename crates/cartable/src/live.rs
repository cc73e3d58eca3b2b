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
    Create(Box<CreateArgs>),
    /// The sessions ending from now on (and those of the past week).
    List {
        #[arg(long)]
        json: bool,
    },
    /// End a session: no more pushes; its segments are the recording.
    End { id: String },
    /// Make an ended session's recording into a capsule (the server does
    /// it by itself; this tries again after a failure).
    Record { id: String },
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
    /// The library series the recording is published into as an episode.
    #[arg(long)]
    series: Option<String>,
    /// The level of the taxonomy it is for (the recording's capsule has it).
    #[arg(long)]
    level: Option<String>,
    /// The subject of the taxonomy.
    #[arg(long)]
    subject: Option<String>,
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
        LiveCommand::Create(args) => create(app, *args).await,
        LiveCommand::List { json } => list(app, json).await,
        LiveCommand::Record { id } => match record(&app, &id).await {
            Ok(capsule) => {
                println!("{capsule}");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                app.db.set_recording(&id, Err(&format!("{e:#}"))).await?;
                Err(e)
            }
        },
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
        level: args
            .level
            .as_deref()
            .map(cartable_core::LevelId::try_from)
            .transpose()
            .context("--level")?,
        subject: args
            .subject
            .as_deref()
            .map(cartable_core::SubjectId::try_from)
            .transpose()
            .context("--subject")?,
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
        series: args.series,
    };
    let new = cartable_web::live::create_checked(
        &app.db,
        &app.taxonomy,
        &schedule,
        args.by.as_deref().unwrap_or(""),
    )
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

/// Makes ended sessions' recordings into capsules: at start (those a stop
/// interrupted) and whenever this node ends one, or every minute (ended on
/// another node).
pub async fn recorder(app: App, state: cartable_web::Shared) {
    loop {
        match app.db.live_unrecorded().await {
            Ok(ids) => {
                for id in ids {
                    match record(&app, &id).await {
                        Ok(capsule) => {
                            tracing::info!(session = %id, %capsule, "the recording is a capsule");
                            state.search_changed.notify_one();
                        }
                        Err(e) => {
                            let reason = format!("{e:#}");
                            tracing::error!(session = %id, %reason, "the recording could not be made into a capsule");
                            let _ = app.db.set_recording(&id, Err(&reason)).await;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the recordings to make"),
        }
        tokio::select! {
            () = state.recordings_due.notified() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}

/// Words of the recording's chapters and transcript, in its language.
struct Words {
    start: &'static str,
    slide: &'static str,
    chapters: &'static str,
    questions: &'static str,
    answer: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "fr" => Words {
            start: "Début",
            slide: "Diapositive",
            chapters: "Chapitres",
            questions: "Questions et réponses",
            answer: "Réponse",
        },
        "ar" => Words {
            start: "البداية",
            slide: "الشريحة",
            chapters: "الفصول",
            questions: "الأسئلة والأجوبة",
            answer: "الجواب",
        },
        _ => Words {
            start: "Start",
            slide: "Slide",
            chapters: "Chapters",
            questions: "Questions and answers",
            answer: "Answer",
        },
    }
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        ms % 1000
    )
}

/// The chapters of a recording: (start in ms, title), the first at 0.
fn chapters(slides_ms: &[u64], duration_ms: u64, w: &Words) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    if slides_ms.first().is_none_or(|first| *first > 0) {
        out.push((0, w.start.to_owned()));
    }
    for (n, at) in slides_ms.iter().enumerate() {
        let at = (*at).min(duration_ms.saturating_sub(1));
        if out.last().is_some_and(|(last, _)| *last >= at) {
            out.pop();
        }
        out.push((at, format!("{} {}", w.slide, n + 1)));
    }
    out
}

/// A WebVTT chapters track.
fn chapters_vtt(chapters: &[(u64, String)], duration_ms: u64) -> String {
    let mut vtt = String::from("WEBVTT\n");
    for (i, (at, title)) in chapters.iter().enumerate() {
        let end = chapters.get(i + 1).map_or(duration_ms, |(next, _)| *next);
        vtt.push_str(&format!(
            "\n{}\n{} --> {}\n{title}\n",
            i + 1,
            clock(*at),
            clock(end)
        ));
    }
    vtt
}

/// Makes an ended session's recording into a capsule (`live-ID`): every
/// segment pushed, joined and transcoded to the usual ladder, chapters at
/// the slide changes, and the questions and answers as the transcript, in
/// the programme the broadcaster chose. Running it again gives the same
/// capsule.
pub async fn record(app: &App, id: &str) -> anyhow::Result<String> {
    use cartable_core::catalog::Capsule;
    use cartable_core::live::{LiveState, RoomEvent};
    use tokio::io::AsyncWriteExt;

    let session = app
        .db
        .live_session(id)
        .await?
        .with_context(|| format!("{id}: no such live session"))?;
    if session.state != LiveState::Ended {
        bail!("{id}: the session has not ended");
    }
    let schedule = &session.schedule;
    let programme = match &schedule.programme {
        Some(p) => app.db.programme(p.as_str()).await?,
        None => None,
    };
    let level = schedule
        .level
        .clone()
        .or_else(|| programme.as_ref().and_then(|p| p.level.clone()))
        .context(
            "the session names no level, nor does its programme (cartable live create --level)",
        )?;
    let subject = schedule
        .subject
        .clone()
        .or_else(|| programme.as_ref().and_then(|p| p.subject.clone()))
        .context(
            "the session names no subject, nor does its programme (cartable live create --subject)",
        )?;
    let segments = app.db.live_segments(id).await?;
    let listed: Vec<_> = segments
        .iter()
        .filter(|s| !s.init && s.duration_ms.is_some())
        .collect();
    if listed.is_empty() {
        bail!("{id}: no segment was pushed");
    }
    let init = segments.iter().find(|s| s.init);
    let ext = if session.format.as_deref() == Some("ts") {
        "ts"
    } else {
        "mp4"
    };
    let scratch = app.config.scratch_dir();
    tokio::fs::create_dir_all(&scratch).await?;
    // Init section then segments, byte after byte: a fragmented MP4 (or a
    // transport stream) that plays whole.
    let joined = scratch.join(format!("live-{id}.{ext}"));
    let mut out = tokio::fs::File::create(&joined).await?;
    let mut hasher = blake3::Hasher::new();
    for s in init.into_iter().chain(listed.iter().copied()) {
        let hash = cartable_core::BlobHash::try_from(s.hash.as_str())
            .map_err(|e| anyhow::anyhow!("segment {}: {e}", s.name))?;
        let bytes = app.blobs.get(&hash).await?;
        hasher.update(&bytes);
        out.write_all(&bytes).await?;
    }
    out.flush().await?;
    drop(out);
    let hash = hasher.finalize().to_hex().to_string();
    let transcoded = crate::import::transcoded(app, &scratch, &joined, &hash, "live").await;
    let _ = tokio::fs::remove_file(&joined).await;
    let mut media = transcoded?;

    // The recording's clock: the first segment ended when it arrived.
    let times = app.db.live_segment_times(id).await?;
    let start_ms = times
        .iter()
        .find_map(|(at, ms)| ms.map(|ms| at * 1000 - ms))
        .unwrap_or(0);
    let history = app.db.room_history(id).await?;
    let slides: Vec<u64> = history
        .iter()
        .filter(|(_, e)| matches!(e.e.event, RoomEvent::Slide { .. }))
        .map(|(at, _)| (at * 1000 - start_ms).max(0) as u64)
        .collect();
    let w = words(schedule.lang.as_str());
    let chapters = chapters(&slides, media.duration_ms, &w);
    let mut transcript = String::new();
    if chapters.len() > 1 {
        let vtt = chapters_vtt(&chapters, media.duration_ms);
        media.chapters = Some(app.blobs.put_bytes(vtt.into()).await?);
        transcript.push_str(w.chapters);
        transcript.push('\n');
        for (at, title) in &chapters {
            transcript.push_str(&format!("{} {title}\n", &clock(*at)[..8]));
        }
    }
    let mut questions = app.db.room_now(id, false).await?.questions;
    questions.reverse();
    if !questions.is_empty() {
        if !transcript.is_empty() {
            transcript.push('\n');
        }
        transcript.push_str(w.questions);
        transcript.push('\n');
        for q in &questions {
            transcript.push_str(&format!("\n{} : {}\n", q.name, q.text));
            if let Some(a) = &q.answer {
                transcript.push_str(&format!("{} : {a}\n", w.answer));
            }
        }
    }
    let lang = schedule.lang.clone();
    let capsule = Capsule {
        id: cartable_core::CapsuleId::try_from(format!("live-{id}"))
            .map_err(|e| anyhow::anyhow!("capsule id: {e}"))?,
        titles: [(lang.clone(), schedule.title.clone())].into(),
        summaries: if schedule.description.is_empty() {
            Default::default()
        } else {
            [(lang.clone(), schedule.description.clone())].into()
        },
        lang,
        level,
        subject,
        media,
        captions: Default::default(),
        transcript: (!transcript.is_empty()).then_some(transcript),
        attachments: Vec::new(),
        tags: vec!["live".into()],
        programmes: programme
            .map(|p| (p.id, p.capsule_count as u32 + 1))
            .into_iter()
            .collect(),
        updated_at: 0,
    };
    app.db
        .put_capsule(&capsule, &format!("live:{hash}"))
        .await?;
    if let Some(series) = &schedule.series {
        let episode = cartable_core::library::Episode {
            id: format!("live-{id}"),
            title: schedule.title.clone(),
            description: schedule.description.clone(),
            published_at: session.schedule.starts_at,
            media: cartable_core::library::EpisodeMedia::Capsule {
                capsule: capsule.id.to_string(),
            },
            marks: chapters
                .iter()
                .map(|(at, title)| cartable_core::library::Mark {
                    at_ms: *at,
                    title: title.clone(),
                })
                .collect(),
        };
        if !app.db.put_episode(series, &episode).await? {
            tracing::warn!(session = %id, %series, "the series is gone: the recording is a capsule only");
        }
    }
    app.db.set_recording(id, Ok(capsule.id.as_str())).await?;
    Ok(capsule.id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_follow_the_slides() {
        let w = words("fr");
        let c = chapters(&[60_000, 125_500], 300_000, &w);
        assert_eq!(
            c,
            [
                (0, "Début".to_owned()),
                (60_000, "Diapositive 1".to_owned()),
                (125_500, "Diapositive 2".to_owned())
            ]
        );
        let vtt = chapters_vtt(&c, 300_000);
        assert!(vtt.starts_with("WEBVTT\n"));
        assert!(vtt.contains("00:01:00.000 --> 00:02:05.500\nDiapositive 1"));
        assert!(vtt.contains("00:02:05.500 --> 00:05:00.000\nDiapositive 2"));
        // A slide shown before the recording began opens it.
        let c = chapters(&[0, 0, 10_000], 20_000, &w);
        assert_eq!(
            c,
            [
                (0, "Diapositive 2".to_owned()),
                (10_000, "Diapositive 3".to_owned())
            ]
        );
    }
}
