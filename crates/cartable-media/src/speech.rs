//! Running espeak-ng, the speech synthesizer: the only module that spawns
//! it. A missing espeak-ng, or a language it has no voice for (Tamazight,
//! on most systems), is one sentence saying what to do.

use std::path::Path;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error(
        "espeak-ng not found: install it with your package manager (for example `apt-get install espeak-ng`); it is needed to synthesize narration"
    )]
    Missing,
    #[error(
        "espeak-ng has no voice for {} ({code}) on this machine: record the narration instead (an audio file per chapter), or install a voice for it",
        language_name(code)
    )]
    NoVoice { code: String },
    #[error("espeak-ng failed: {0}")]
    Failed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A language's name in English, for messages.
fn language_name(code: &str) -> &str {
    match code {
        "ar" => "Arabic",
        "ary" => "Darija",
        "fr" => "French",
        "en" => "English",
        "tr" => "Turkish",
        "zgh" | "ber" | "tzm" | "shi" | "rif" | "kab" => "Tamazight",
        other => other,
    }
}

fn spawn_error(e: std::io::Error) -> SpeechError {
    match e.kind() {
        std::io::ErrorKind::NotFound => SpeechError::Missing,
        _ => SpeechError::Io(e),
    }
}

/// The espeak-ng voice for a language code (`fr`, `ar`, `en`, `zgh`…): the
/// code itself when espeak-ng lists a voice for it.
pub async fn voice_for(lang: &str) -> Result<String, SpeechError> {
    let out = Command::new("espeak-ng")
        .arg(format!("--voices={lang}"))
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(spawn_error)?;
    // The first line is the table's header; any other names a voice.
    let listed = String::from_utf8_lossy(&out.stdout).lines().count() > 1;
    if out.status.success() && listed {
        Ok(lang.to_owned())
    } else {
        Err(SpeechError::NoVoice {
            code: lang.to_owned(),
        })
    }
}

/// Speaks `text` with `voice` into the WAV file `out`, at a listening pace
/// a little slower than espeak-ng's default.
pub async fn speak(text: &str, voice: &str, out: &Path) -> Result<(), SpeechError> {
    let mut child = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "--stdin", "-w"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_error)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).await?;
        stdin.shutdown().await?;
    }
    let output = child.wait_with_output().await?;
    if output.status.success() {
        Ok(())
    } else {
        Err(SpeechError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ))
    }
}
