//! `cartable course …`: courses, written as a JSON file (docs/courses.md)
//! and checked against the catalog, the quizzes and the classes.

use crate::App;
use anyhow::Context;
use cartable_core::course::{CourseSpec, Item};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum CourseCommand {
    /// Make a course from its JSON file (or set an existing one again).
    Create {
        /// Its id (lowercase letters, digits, dashes), as its address shows it.
        id: String,
        /// The course as JSON: title, lang, summary, modules of capsules,
        /// readings and quizzes, open or the classes that may enrol.
        #[arg(long)]
        file: PathBuf,
        #[arg(long, default_value = "admin")]
        by: String,
    },
    /// List the courses.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(app: App, command: CourseCommand) -> anyhow::Result<ExitCode> {
    match command {
        CourseCommand::Create { id, file, by } => {
            anyhow::ensure!(
                cartable_core::ids::is_slug(&id),
                "the id {id:?} is not lowercase letters, digits and dashes"
            );
            let name = file.display().to_string();
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {name}"))?;
            let spec: CourseSpec = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{name}:{}: {e}", e.line()))?;
            spec.check().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            install(&app, &id, &spec, &by).await?;
            println!(
                "course {id} set; its page: {}/{}/courses/{id}",
                app.config.public_url.trim_end_matches('/'),
                spec.lang
            );
            Ok(ExitCode::SUCCESS)
        }
        CourseCommand::List { json } => {
            let courses = app.db.courses().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&courses)?);
            } else {
                for c in courses {
                    println!(
                        "{}\t{} module(s)\t{}",
                        c.id,
                        c.spec.modules.len(),
                        c.spec.title
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Checks that every capsule, quiz and class the course names exists,
/// then stores it.
pub async fn install(app: &App, id: &str, spec: &CourseSpec, by: &str) -> anyhow::Result<()> {
    for (m, i, item) in spec.items() {
        let at = format!("module {}, item {}", m + 1, i + 1);
        match item {
            Item::Capsule { id } => {
                anyhow::ensure!(
                    app.db.capsule(id).await?.is_some(),
                    "{at}: there is no capsule {id:?}"
                );
            }
            Item::Quiz { id } => {
                anyhow::ensure!(
                    app.db.quiz(id).await?.is_some(),
                    "{at}: there is no quiz {id:?}"
                );
            }
            Item::Reading { .. } => {}
        }
    }
    for class in &spec.classes {
        anyhow::ensure!(
            app.db.class(class).await?.is_some(),
            "there is no class {class:?}"
        );
    }
    if let Some(p) = &spec.programme {
        anyhow::ensure!(
            app.db.programme(p).await?.is_some(),
            "there is no programme {p:?}"
        );
    }
    app.db.put_course(id, spec, by).await?;
    Ok(())
}

/// The demo's course (`demo/course.json`), unless there are courses.
pub async fn install_demo(app: &App) -> anyhow::Result<()> {
    if !app.db.courses().await?.is_empty() {
        return Ok(());
    }
    let path = app.config.demo_dir().join("course.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the demo course {}", path.display()))?;
    let spec: CourseSpec = serde_json::from_str(&text).context("the demo course is damaged")?;
    spec.check().map_err(anyhow::Error::msg)?;
    install(app, "teach-fractions", &spec, "demo").await
}
