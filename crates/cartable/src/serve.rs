//! `cartable serve`: opens the data, installs the demo if asked, serves
//! HTTP until SIGTERM or Ctrl-C, then lets in-flight requests finish and
//! closes the database cleanly.

use crate::satchel::{self, state};
use crate::{App, config::Config, demo};
use anyhow::Context;
use cartable_web::{AppState, Settings, UiLang, metrics};
use std::process::ExitCode;

const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:80 (port 0 picks a free one).
    #[arg(long, env = "CARTABLE_LISTEN")]
    listen: Option<String>,
    /// Install demo lessons if the catalog is empty.
    #[arg(long)]
    demo: bool,
    /// Serve this satchel (a box at a school): its catalog, roster and
    /// media, straight from the file; records are kept here and synced back.
    #[arg(long)]
    satchel: Option<std::path::PathBuf>,
    /// The hub key (hex) a new box trusts; default: the key of the first
    /// satchel it serves.
    #[arg(long, requires = "satchel")]
    hub_key: Option<String>,
    /// Relay a hub's live sessions to this school (`https://hub.example`):
    /// each segment and room event is fetched once and served to every
    /// screen here. Needs the API token of the school's account on the hub
    /// (`cartable user token` there) in CARTABLE_RELAY_TOKEN.
    #[arg(long, conflicts_with = "satchel")]
    relay: Option<String>,
    #[arg(
        long,
        env = "CARTABLE_RELAY_TOKEN",
        hide_env_values = true,
        requires = "relay"
    )]
    relay_token: Option<String>,
}

pub async fn run(mut config: Config, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let mut app = App::open(config).await?;
    let mut satchel_box = None;
    if let Some(path) = &args.satchel {
        let opened = satchel::open_for_box(&app, path, args.hub_key.as_deref()).await?;
        app.taxonomy = opened.taxonomy;
        app.config.public_url = opened.file.manifest.hub.public_url.clone();
        satchel_box = Some(opened.box_id.unwrap_or_else(|| "satchel".into()));
        app.blobs.attach_satchel(opened.file);
    }
    if args.demo {
        demo::install(&app)
            .await
            .context("cannot install the demo")?;
        crate::quiz::install_demo(&app)
            .await
            .context("cannot install the demo's quizzes")?;
        crate::course::install_demo(&app)
            .await
            .context("cannot install the demo's course")?;
        crate::library::install_demo(&app)
            .await
            .context("cannot install the demo's library")?;
    }
    let handle = metrics::install().map_err(|e| anyhow::anyhow!("cannot start metrics: {e}"))?;
    tokio::spawn(metrics::keep_tidy(handle.clone()));
    let lang = UiLang::parse(&app.config.default_lang).unwrap_or(UiLang::Fr);
    let listener = tokio::net::TcpListener::bind(&app.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.config.listen))?;
    let addr = listener.local_addr()?;
    let search = cartable_search::SearchIndex::open(&app.config.search_dir())?;
    let settings = Settings {
        default_lang: lang,
        secure_cookies: app.config.secure_cookies.unwrap_or(args.satchel.is_none()),
        public_url: app.config.public_url.clone(),
        satchel_box,
        archive_name: app.config.archive_name.clone(),
        archive_email: app.config.archive_email.clone(),
    };
    let state = AppState::new(
        app.db.clone(),
        app.blobs.clone(),
        app.taxonomy.clone(),
        search,
        settings,
        handle,
    );
    if let Ok(key) = satchel::load_hub_key(&app) {
        let _ = state.hub_key.set(key);
    }
    if args.satchel.is_some() {
        tokio::spawn(follow_updates(app.db.clone(), app.blobs.clone()));
    }
    cartable_web::search_catch_up(&state)
        .await
        .context("cannot bring the search index up to date")?;
    tokio::spawn(cartable_web::keep_search_current(state.clone()));
    tokio::spawn(cartable_web::live::follow(state.clone()));
    tokio::spawn(cartable_web::quiz::keep_sweeping(state.clone()));
    if let Some(hub) = &args.relay {
        let token = app
            .config
            .relay_token
            .as_deref()
            .context("--relay needs the school's API token on the hub: set relay_token (CARTABLE_RELAY_TOKEN)")?;
        let hub = crate::relay::Hub::new(hub, token)?;
        tokio::spawn(crate::relay::run(state.clone(), hub));
    } else if args.satchel.is_none() {
        let recorder = App {
            config: app.config.clone(),
            db: app.db.clone(),
            blobs: app.blobs.clone(),
            taxonomy: app.taxonomy.clone(),
        };
        tokio::spawn(crate::live::recorder(recorder, state.clone()));
    }
    let capsules = app.db.capsule_count().await?;
    // Tests and scripts read this line to find the port.
    println!("cartable is serving {capsules} capsules at http://{addr}/");
    tracing::info!(%addr, capsules, "serving");
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let signalled = stopping.clone();
    let rooms = state.clone();
    let server = cartable_web::serve(metrics::CountedListener(listener), state, async move {
        shutdown_signal().await;
        rooms.rooms.close();
        signalled.notify_one();
    });
    // A client that never finishes its download must not keep the node
    // from stopping: in-flight requests get a grace period, then go.
    let grace = async {
        stopping.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        () = server => {},
        () = grace => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway"),
    }
    app.db.close().await;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

/// Switches to a version `cartable satchel apply` committed while the box
/// serves: the new entries are already in the file, so the index moves,
/// then the catalog and roster follow.
async fn follow_updates(db: cartable_store::Db, blobs: cartable_store::BlobStore) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3));
    loop {
        tick.tick().await;
        let Some(current) = blobs.satchel() else {
            return;
        };
        let len = db
            .local_state(state::LEN)
            .await
            .ok()
            .flatten()
            .and_then(|l| l.parse::<u64>().ok());
        if let Some(len) = len.filter(|l| *l != current.len) {
            match cartable_satchel::SatchelFile::open(&current.path, Some(len)) {
                Ok(file) => {
                    tracing::info!(
                        version = file.manifest.version,
                        "serving the updated satchel"
                    );
                    let file = std::sync::Arc::new(file);
                    blobs.attach_satchel(file.clone());
                    if let Err(e) = satchel::install_version(&db, &file).await {
                        tracing::error!(error = %e, "cannot install the updated satchel's catalog");
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot open the updated satchel"),
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
