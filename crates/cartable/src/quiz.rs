//! `cartable import questions FILE` and `cartable quiz …`: question banks
//! in (GIFT, Moodle XML, or cartable's own JSON) and out, and quizzes.

use crate::App;
use crate::import::{Rejected, report_problems};
use anyhow::Context;
use cartable_core::manifest::Problem as RowProblem;
use cartable_core::quiz::paper::{Feedback, QuizSpec};
use cartable_core::quiz::{self, BANK_FORMAT, BankFile, Media, Problem, Question, moodle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Gift,
    MoodleXml,
    Json,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A GIFT (.gift, .txt), Moodle XML (.xml) or cartable JSON (.json) file.
    file: PathBuf,
    /// The bank to add the questions to (made if new); the file's name
    /// when unset.
    #[arg(long)]
    bank: Option<String>,
    /// The bank's title; the bank's id when unset.
    #[arg(long)]
    title: Option<String>,
    /// The file's format, when its extension does not say.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Import the good questions and list the bad ones, instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Print one JSON report on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
pub enum QuizCommand {
    /// Make a quiz (or set an existing one again).
    Create(Box<CreateArgs>),
    /// List the quizzes.
    List {
        #[arg(long)]
        json: bool,
    },
    /// List the question banks.
    Banks {
        #[arg(long)]
        json: bool,
    },
    /// Write a bank in cartable's JSON format (docs/quizzes.md) on stdout.
    Export { bank: String },
}

#[derive(clap::Args)]
pub struct CreateArgs {
    /// The quiz's id (letters, digits, dashes), as its address shows it.
    id: String,
    #[arg(long)]
    title: String,
    /// The bank its questions come from.
    #[arg(long)]
    bank: String,
    /// Draw only questions with this tag (repeat for several: all must match).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// How many questions each paper has (all that match when unset).
    #[arg(long)]
    draw: Option<usize>,
    /// Give each learner their own order (and draw).
    #[arg(long)]
    shuffle: bool,
    /// Time allowed, as `90s`, `45m` or `2h`; untimed when unset.
    #[arg(long, value_parser = seconds)]
    time_limit: Option<i64>,
    #[arg(long, value_enum, default_value = "instant")]
    feedback: FeedbackArg,
    /// How many attempts a learner may make (any number when unset).
    #[arg(long)]
    attempts: Option<i64>,
    /// The share of the points that passes, 0 to 1.
    #[arg(long, default_value_t = 0.5)]
    pass: f64,
    /// "Check your understanding" after this capsule.
    #[arg(long)]
    capsule: Option<String>,
    /// The end of a unit of this programme.
    #[arg(long)]
    programme: Option<String>,
    /// The language of its page.
    #[arg(long, default_value = "fr")]
    lang: String,
    /// Who set it (a login).
    #[arg(long, default_value = "admin")]
    by: String,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FeedbackArg {
    Instant,
    Deferred,
}

fn seconds(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 45m or 2h"))?;
    match unit {
        "" | "s" => Ok(n),
        "m" | "min" => Ok(n * 60),
        "h" => Ok(n * 3600),
        _ => Err(format!("{text:?} is not a duration like 90s, 45m or 2h")),
    }
}

#[derive(Serialize)]
struct ImportReport {
    file: String,
    bank: String,
    format: Format,
    /// Questions read from the file.
    questions: usize,
    /// Of those, new to the bank.
    added: usize,
    /// Of those, already in it (the same question imported before).
    already: usize,
    rejected: Vec<Rejected>,
}

fn format_of(path: &Path, text: &str) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xml") => Format::MoodleXml,
        Some("json") => Format::Json,
        Some("gift" | "txt") => Format::Gift,
        _ if text.trim_start().starts_with('<') => Format::MoodleXml,
        _ if text.trim_start().starts_with('{') => Format::Json,
        _ => Format::Gift,
    }
}

pub async fn import(app: App, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {name} (a question file is UTF-8 text)"))?;
    let format = args.format.unwrap_or_else(|| format_of(&args.file, &text));
    let bank = match &args.bank {
        Some(b) => b.clone(),
        None => args
            .file
            .file_stem()
            .and_then(|s| s.to_str())
            .map(|s| {
                s.to_ascii_lowercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            })
            .unwrap_or_default(),
    };
    anyhow::ensure!(
        cartable_core::ids::is_slug(&bank),
        "the bank id {bank:?} is not lowercase letters, digits and dashes: give one with --bank"
    );
    let (mut title, mut questions, problems): (String, Vec<Question>, Vec<Problem>) = match format {
        Format::Gift => {
            let (q, p) = quiz::parse_gift(&text);
            (String::new(), q, p)
        }
        Format::Json => quiz::parse_bank_json(&text),
        Format::MoodleXml => {
            let (read, p) = moodle::parse(&text);
            let mut questions = Vec::with_capacity(read.len());
            for r in read {
                let mut q = r.question;
                for f in r.files {
                    let hash = app.blobs.put_bytes(f.bytes.into()).await?;
                    q.media.push(Media {
                        blob: hash.to_string(),
                        mime: f.mime.to_owned(),
                        alt: f.alt,
                    });
                }
                questions.push(q);
            }
            (String::new(), questions, p)
        }
    };
    let mut problems = problems;
    // A question of cartable's format may name media already stored.
    let mut kept = Vec::with_capacity(questions.len());
    for q in questions.drain(..) {
        let mut missing = None;
        for m in &q.media {
            let there = match cartable_core::BlobHash::try_from(m.blob.as_str()) {
                Ok(hash) => app.blobs.exists(&hash).await?,
                Err(_) => false,
            };
            if !there {
                missing = Some(m.blob.clone());
            }
        }
        match missing {
            Some(blob) => problems.push(Problem {
                line: 0,
                reason: format!(
                    "a question names the media blob {blob}, which this platform does not have"
                ),
            }),
            None => kept.push(q),
        }
    }
    questions = kept;
    if let Some(t) = &args.title {
        title = t.clone();
    }
    if title.is_empty() {
        title = bank.clone();
    }
    let rows: Vec<RowProblem> = problems
        .iter()
        .map(|p| RowProblem {
            file: name.clone(),
            line: p.line,
            field: String::new(),
            message: p.reason.clone(),
        })
        .collect();
    let mut report = ImportReport {
        file: name.clone(),
        bank: bank.clone(),
        format,
        questions: questions.len(),
        added: 0,
        already: 0,
        rejected: rows.iter().map(Rejected::from).collect(),
    };
    if !report_problems(&rows, &args.file, args.skip_bad, args.json, &report)? {
        return Ok(ExitCode::FAILURE);
    }
    if questions.is_empty() {
        anyhow::bail!("{name} has no question that can be imported");
    }
    let with_ids: Vec<(String, Question)> = questions
        .into_iter()
        .map(|q| (quiz::question_id(&bank, &q), q))
        .collect();
    app.db.put_bank(&bank, &title).await?;
    report.added = app.db.add_questions(&bank, &with_ids).await?;
    report.already = report.questions - report.added;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: {} question(s) read, {} added to bank {bank}, {} already there, {} rejected",
            name,
            report.questions,
            report.added,
            report.already,
            report.rejected.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(app: App, command: QuizCommand) -> anyhow::Result<ExitCode> {
    match command {
        QuizCommand::Create(args) => create(app, *args).await,
        QuizCommand::List { json } => {
            let quizzes = app.db.quizzes(None, None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&quizzes)?);
            } else {
                for q in quizzes {
                    println!("{}\t{}\t{}", q.id, q.spec.bank, q.spec.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        QuizCommand::Banks { json } => {
            let banks = app.db.banks().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&banks)?);
            } else {
                for b in banks {
                    println!("{}\t{} question(s)\t{}", b.id, b.questions, b.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        QuizCommand::Export { bank } => {
            let found = app.db.banks().await?.into_iter().find(|b| b.id == bank);
            let found = found.with_context(|| format!("there is no bank {bank:?}"))?;
            let questions = app.db.bank_questions(&bank).await?;
            let file = BankFile {
                format: BANK_FORMAT.into(),
                title: found.title,
                questions: questions.into_iter().map(|(_, q)| q).collect(),
            };
            println!("{}", serde_json::to_string_pretty(&file)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn create(app: App, args: CreateArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        cartable_core::ids::is_slug(&args.id),
        "the quiz id {:?} is not lowercase letters, digits and dashes",
        args.id
    );
    let spec = QuizSpec {
        title: args.title.trim().to_owned(),
        lang: args.lang,
        bank: args.bank,
        tags: args.tags,
        draw: args.draw,
        shuffle: args.shuffle,
        time_limit: args.time_limit,
        feedback: match args.feedback {
            FeedbackArg::Instant => Feedback::Instant,
            FeedbackArg::Deferred => Feedback::Deferred,
        },
        attempts: args.attempts,
        pass: args.pass,
        capsule: args.capsule,
        programme: args.programme,
    };
    spec.check().map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        app.db.banks().await?.iter().any(|b| b.id == spec.bank),
        "there is no bank {:?}: import questions into it first (cartable import questions FILE --bank {})",
        spec.bank,
        spec.bank
    );
    if let Some(c) = &spec.capsule {
        anyhow::ensure!(
            app.db.capsule(c).await?.is_some(),
            "there is no capsule {c:?}"
        );
    }
    if let Some(p) = &spec.programme {
        anyhow::ensure!(
            app.db.programme(p).await?.is_some(),
            "there is no programme {p:?}"
        );
    }
    let candidates = app.db.candidate_questions(&spec.bank, &spec.tags).await?;
    anyhow::ensure!(
        !candidates.is_empty(),
        "no question of bank {:?} has every tag asked for",
        spec.bank
    );
    if let Some(n) = spec.draw
        && n > candidates.len()
    {
        anyhow::bail!(
            "the quiz draws {n} questions but only {} match",
            candidates.len()
        );
    }
    app.db.put_quiz(&args.id, &spec, &args.by).await?;
    let address = format!(
        "{}/{}/quizzes/{}",
        app.config.public_url.trim_end_matches('/'),
        spec.lang,
        args.id
    );
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": args.id, "url": address, "candidates": candidates.len()})
        );
    } else {
        println!(
            "quiz {} set: {} question(s) to draw from; learners take it at {address}",
            args.id,
            candidates.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo's bank (`demo/questions.gift`) and three quizzes on it: one
/// after a capsule, one ending a programme, and a timed practice exam.
pub async fn install_demo(app: &App) -> anyhow::Result<()> {
    if !app.db.quizzes(None, None).await?.is_empty() {
        return Ok(());
    }
    let path = app.config.demo_dir().join("questions.gift");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the demo questions {}", path.display()))?;
    let (questions, problems) = quiz::parse_gift(&text);
    if let Some(p) = problems.first() {
        anyhow::bail!("the demo questions are damaged: {p}");
    }
    let with_ids: Vec<(String, Question)> = questions
        .into_iter()
        .map(|q| (quiz::question_id("demo", &q), q))
        .collect();
    app.db
        .put_bank("demo", "Questions de démonstration")
        .await?;
    app.db.add_questions("demo", &with_ids).await?;
    let spec = |title: &str| QuizSpec {
        title: title.into(),
        lang: "fr".into(),
        bank: "demo".into(),
        tags: Vec::new(),
        draw: None,
        shuffle: false,
        time_limit: None,
        feedback: Feedback::Instant,
        attempts: None,
        pass: 0.5,
        capsule: None,
        programme: None,
    };
    let fractions = QuizSpec {
        tags: vec!["category:math-primary-5".into()],
        capsule: Some("fractions-same-denominator".into()),
        ..spec("Les fractions : avez-vous compris ?")
    };
    let unit = QuizSpec {
        tags: vec!["category:math-primary-5".into()],
        programme: Some("math-primary-5".into()),
        ..spec("Mathématiques, 5e année : fin d'unité")
    };
    let exam = QuizSpec {
        draw: Some(6),
        shuffle: true,
        time_limit: Some(20 * 60),
        feedback: Feedback::Deferred,
        attempts: Some(3),
        ..spec("Examen blanc (20 minutes)")
    };
    for (id, s) in [
        ("fractions-check", fractions),
        ("math-5-unit", unit),
        ("practice-exam", exam),
    ] {
        s.check().map_err(anyhow::Error::msg)?;
        app.db.put_quiz(id, &s, "demo").await?;
    }
    Ok(())
}
