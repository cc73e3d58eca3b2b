//! `cartable user …`, `school add`, `class add|teacher`, `enrol`: the
//! accounts from the command line, with the same checks as the admin page
//! and the API (they share `cartable_web::accounts`).

use crate::App;
use anyhow::{Context, bail};
use cartable_core::accounts::{Login, Membership, Role};
use cartable_web::{ApiError, HASHING_AT_ONCE, Hashing};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is asked on a terminal, or read from the
    /// first line of standard input.
    Add {
        /// The login (lowercase letters, digits, '.', '_', '-').
        login: String,
        /// learner, teacher, editor, archivist, broadcaster or admin.
        #[arg(long)]
        role: String,
        /// Display name (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make an API token for a user, printed once.
    Token {
        login: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct SchoolArgs {
    /// The school's id (lowercase letters, digits, '-').
    id: String,
    #[arg(long)]
    name: String,
    /// The district (or province) it belongs to, for the city indicators.
    #[arg(long)]
    district: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum ClassCommand {
    /// Add a class to a school.
    Add {
        id: String,
        #[arg(long)]
        school: String,
        #[arg(long)]
        name: String,
    },
    /// Make a user a teacher of a class.
    Teacher { class: String, login: String },
}

#[derive(clap::Args)]
pub struct EnrolArgs {
    /// CSV with the columns name, login, class and optionally password.
    csv: PathBuf,
    /// Enrol the good rows and list the bad ones, instead of refusing the file.
    #[arg(long)]
    skip_bad: bool,
    #[arg(long)]
    json: bool,
}

/// An API refusal as a command-line error.
fn refused(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.message())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub async fn user(app: App, command: UserCommand) -> anyhow::Result<ExitCode> {
    let hashing = Hashing::new(HASHING_AT_ONCE);
    match command {
        UserCommand::Add {
            login,
            role,
            name,
            json,
        } => {
            Login::try_from(login.as_str())?;
            Role::parse(&role)?;
            let password = read_password()?;
            if password.is_empty() {
                bail!("no password given: type one, or pipe it on standard input");
            }
            let name = name.unwrap_or_else(|| login.clone());
            let (login, _) = cartable_web::accounts::add_user_checked(
                &app.db,
                &hashing,
                &login,
                &name,
                &role,
                Some(&password),
            )
            .await
            .map_err(refused)?;
            if json {
                println!("{}", serde_json::json!({"login": login, "role": role}));
            } else {
                println!("added {login} ({role})");
            }
        }
        UserCommand::List { json } => {
            let users = app.db.users().await?;
            if json {
                println!("{}", serde_json::json!({ "users": users }));
            } else {
                for u in users {
                    let off = if u.disabled { " (disabled)" } else { "" };
                    println!("{}\t{}\t{}{off}", u.login, u.role, u.name);
                }
            }
        }
        UserCommand::Token { login, name, json } => {
            let Some(row) = app.db.user(&login).await? else {
                bail!("there is no user \"{login}\"");
            };
            let (id, token) = cartable_web::accounts::make_token(&app.db, &row.user, &name)
                .await
                .map_err(refused)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"id": id, "login": login, "token": token})
                );
            } else {
                println!("{token}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_id(id: &str, what: &str) -> anyhow::Result<()> {
    cartable_core::ProgrammeId::try_from(id)
        .map(|_| ())
        .map_err(|_| {
            anyhow::anyhow!(
                "{what} \"{id}\" is not valid: use 1 to 64 lowercase ASCII letters, digits and '-'"
            )
        })
}

pub async fn school(app: App, args: SchoolArgs) -> anyhow::Result<ExitCode> {
    check_id(&args.id, "school id")?;
    let name = cartable_core::accounts::check_name(&args.name)?;
    let district = args.district.as_deref().unwrap_or("").trim();
    if district.chars().count() > 200 {
        bail!("a district name has at most 200 characters");
    }
    if !app.db.add_school(&args.id, &name, district).await? {
        bail!("the school id \"{}\" is taken", args.id);
    }
    println!("added school {}", args.id);
    Ok(ExitCode::SUCCESS)
}

pub async fn class(app: App, command: ClassCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClassCommand::Add { id, school, name } => {
            check_id(&id, "class id")?;
            let name = cartable_core::accounts::check_name(&name)?;
            if !app.db.schools().await?.iter().any(|s| s.id == school) {
                bail!("there is no school \"{school}\" (add it with `cartable school add`)");
            }
            if !app.db.add_class(&id, &school, &name).await? {
                bail!("the class id \"{id}\" is taken");
            }
            println!("added class {id}");
        }
        ClassCommand::Teacher { class, login } => {
            if app.db.class(&class).await?.is_none() {
                bail!("there is no class \"{class}\"");
            }
            if app.db.user(&login).await?.is_none() {
                bail!("there is no user \"{login}\"");
            }
            app.db
                .add_member(&class, &login, Membership::Teacher)
                .await?;
            println!("{login} teaches {class}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn enrol(app: App, args: EnrolArgs) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read(&args.csv).with_context(|| format!("cannot read {}", args.csv.display()))?;
    let Ok(text) = String::from_utf8(text) else {
        bail!("{}: not UTF-8 text", args.csv.display());
    };
    let file = args.csv.display().to_string();
    let hashing = Hashing::new(HASHING_AT_ONCE);
    let (enrolled, skipped) =
        match cartable_web::accounts::enrol_csv(&app.db, &hashing, &file, &text, args.skip_bad)
            .await
        {
            Ok(done) => done,
            Err(ApiError::BadRows(problems)) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                bail!(
                    "{} bad rows: nothing was enrolled (fix them, or use --skip-bad)",
                    problems.len()
                );
            }
            Err(e) => return Err(refused(e)),
        };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "enrolled": enrolled.iter().map(|(l, p)| serde_json::json!({"login": l, "generated_password": p})).collect::<Vec<_>>(),
                "skipped": skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        );
    } else {
        for (login, password) in &enrolled {
            match password {
                Some(p) => println!("{login}\t{p}"),
                None => println!("{login}"),
            }
        }
        for p in &skipped {
            eprintln!("skipped: {p}");
        }
        eprintln!(
            "{} learners enrolled, {} rows skipped",
            enrolled.len(),
            skipped.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
