//! `serve --demo`: a working catalog on an empty data directory, from the
//! small, already transcoded media committed under `demo/` (made by
//! `demo/make-demo.sh`), so the demo needs no ffmpeg.

use crate::App;
use crate::import;
use anyhow::Context;
use cartable_core::manifest::{Manifest, MediaSource};

/// Installs the demo catalog unless the catalog already holds capsules.
pub async fn install(app: &App) -> anyhow::Result<()> {
    if app.db.capsule_count().await? > 0 {
        return Ok(());
    }
    let path = app.config.demo_dir().join("manifest.json");
    anyhow::ensure!(
        path.is_file(),
        "the demo manifest {} is missing (set demo_dir)",
        path.display()
    );
    let manifest = Manifest::read(&path, &app.taxonomy, &|_| false);
    if let Some(problem) = manifest.problems.first() {
        anyhow::bail!("the demo manifest is damaged: {problem}");
    }
    import::store_programmes(app, &manifest.programmes).await?;
    for entry in &manifest.capsules {
        let MediaSource::Transcoded { dir, set } = &entry.media else {
            anyhow::bail!(
                "demo capsule {} is not transcoded; run demo/make-demo.sh",
                entry.id
            );
        };
        let media = import::ingest(app, dir, set)
            .await
            .with_context(|| format!("demo capsule {}", entry.id))?;
        import::store_entry(app, entry, media, "demo").await?;
    }
    tracing::info!(capsules = manifest.capsules.len(), "demo catalog installed");
    Ok(())
}
