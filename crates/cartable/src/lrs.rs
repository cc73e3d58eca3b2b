//! `cartable lrs key …`: the credentials of xAPI clients (content packages,
//! other platforms, analytics tools). A key is shown with its secret once;
//! only the secret's digest is kept.

use crate::App;
use anyhow::bail;
use cartable_core::accounts::Secret;
use cartable_store::records::LrsKey;
use cartable_web::xapi::SCOPES;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum LrsCommand {
    /// Client keys (HTTP Basic credentials for /xapi/).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Rebuild the progress the pages read from the stored statements.
    Reproject,
    /// Erase a user's learning records (the city's counts stay).
    Erase {
        login: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum KeyCommand {
    /// Make a key; prints the key and its secret once.
    Add {
        /// Who the key is for (shown as the authority of what it stores).
        name: String,
        /// Comma-separated xAPI scopes: statements/write,
        /// statements/read/mine, statements/read, state, define, profile,
        /// all/read, all.
        #[arg(long, default_value = "statements/write,statements/read/mine,state")]
        scope: String,
        /// Print {"key": …, "secret": …}.
        #[arg(long)]
        json: bool,
    },
    /// List the keys (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key: it stops working within seconds.
    Revoke { key: String },
}

pub async fn run(app: App, command: LrsCommand) -> anyhow::Result<ExitCode> {
    let command = match command {
        LrsCommand::Key(c) => c,
        LrsCommand::Erase { login, json } => {
            if app.db.user(&login).await?.is_none() {
                bail!("there is no user {login:?}");
            }
            let home = app.config.public_url.trim_end_matches('/');
            let ifi = cartable_web::xapi::user_ifi(home, &login);
            let erased = cartable_web::xapi::erase(&app.db, &ifi.0, &login).await?;
            if json {
                println!("{}", serde_json::json!({"login": login, "erased": erased}));
            } else {
                println!("erased {erased} records of {login}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        LrsCommand::Reproject => {
            let read = cartable_web::xapi::rebuild_projection(
                &app.db,
                app.config.public_url.trim_end_matches('/'),
            )
            .await?;
            println!("progress rebuilt from {read} statements");
            return Ok(ExitCode::SUCCESS);
        }
    };
    match command {
        KeyCommand::Add { name, scope, json } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                bail!("the key's name must be 1 to 100 characters");
            }
            let scopes: Vec<String> = scope
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if scopes.is_empty() {
                bail!("give at least one scope: {}", SCOPES.join(", "));
            }
            if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
                bail!(
                    "unknown scope {bad:?}: the scopes are {}",
                    SCOPES.join(", ")
                );
            }
            let key = Secret::new()?.expose()[..20].to_owned();
            let secret = Secret::new()?;
            app.db
                .add_lrs_key(&LrsKey {
                    key: key.clone(),
                    name: name.to_owned(),
                    scopes: scopes.clone(),
                    created_at: cartable_store::now(),
                    revoked_at: None,
                    secret_digest: secret.digest(),
                })
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"key": key, "secret": secret.expose(), "name": name, "scopes": scopes})
                );
            } else {
                println!(
                    "key:    {key}\nsecret: {}\nscopes: {}",
                    secret.expose(),
                    scopes.join(", ")
                );
                println!(
                    "(the secret is shown only now; send both as HTTP Basic credentials to /xapi/)"
                );
            }
        }
        KeyCommand::List { json } => {
            let keys = app.db.lrs_keys().await?;
            if json {
                println!("{}", serde_json::to_string(&keys)?);
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!("{}  {}  [{}]  {state}", k.key, k.name, k.scopes.join(", "));
                }
            }
        }
        KeyCommand::Revoke { key } => {
            if !app.db.revoke_lrs_key(&key).await? {
                bail!("no active key {key:?}");
            }
            println!("revoked {key}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
