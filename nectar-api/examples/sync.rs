//! A nightly incremental sync of a company's bills, with its checkpoint in a file: the first run
//! pulls everything, every later run only what was created, revised or deleted since.
//!
//! ```sh
//! cargo run --example sync            # first run: every bill
//! cargo run --example sync            # second run: only the changes
//! cargo run --example sync -- --reset # forget the checkpoint
//! NECTAR_API_KEY=... NECTAR_COMPANY_ID=... cargo run --example sync   # against Nectar
//! ```
//!
//! The checkpoint file is `nectar-sync-checkpoint.json` in the system's temporary directory
//! (`NECTAR_SYNC_CHECKPOINT` overrides it). Without a key, the embedded emulator serves the same
//! company on every run (fixed seed and clock); when a checkpoint exists, it first plays
//! Nectar's night: an hour later, two bills are revised and one is withdrawn.

use std::{error::Error, path::PathBuf, time::Duration};

use chrono::{TimeZone, Utc};
use nectar_api::{
    Client,
    sync::{Change, Checkpoint},
};
use nectar_sandbox::Sandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::var_os("NECTAR_SYNC_CHECKPOINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("nectar-sync-checkpoint.json"));
    if std::env::args().any(|a| a == "--reset") {
        let _ = std::fs::remove_file(&path);
        println!("Forgot the checkpoint ({})", path.display());
        return Ok(());
    }
    let stored: Option<Checkpoint> = match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text)?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error.into()),
    };

    let has_key = std::env::var("NECTAR_API_KEY").is_ok_and(|k| !k.is_empty());
    let (client, company, sandbox) = if has_key {
        let company = std::env::var("NECTAR_COMPANY_ID")
            .map_err(|_| "set NECTAR_COMPANY_ID to the company to sync")?
            .parse()?;
        (Client::builder().build()?, company, None)
    } else {
        let sandbox = Sandbox::builder()
            .seed(7)
            .now(
                Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0)
                    .single()
                    .ok_or("a date")?,
            )
            .seed_usage("Nightly Co", 400, 3)
            .start()
            .await?;
        let company = sandbox.seeded_data()[0].company_id;
        if stored.is_some() {
            night(&sandbox).await?;
        }
        (sandbox.client(), company, Some(sandbox))
    };

    println!(
        "{} run for company {company}",
        if stored.is_some() {
            "Incremental"
        } else {
            "First"
        }
    );
    let mut sync = client.sync_documents(company, stored.as_ref())?;
    if let Some(sandbox) = &sandbox {
        // The emulator's clock is the one its stamps come from (it moved on an hour above).
        sync = sync.now(sandbox.now());
    }
    let (mut changed, mut deleted) = (0, 0);
    while let Some(change) = sync.next().await? {
        match change {
            Change::Changed(document) => {
                changed += 1;
                if changed <= 3 || stored.is_some() {
                    let updated = document
                        .updated
                        .as_ref()
                        .map_or_else(|| "?".to_owned(), ToString::to_string);
                    println!("  changed {} (updated {updated})", document.id);
                }
            }
            Change::Deleted(id) => {
                deleted += 1;
                println!("  deleted {id}");
            }
        }
    }
    // Every change is handled: only now is the checkpoint stored.
    std::fs::write(&path, serde_json::to_string_pretty(&sync.checkpoint()?)?)?;
    println!(
        "{changed} changed, {deleted} deleted; checkpoint stored in {}",
        path.display()
    );
    Ok(())
}

/// What Nectar does overnight, played on the emulator: an hour later, two bills are revised and
/// one is withdrawn.
async fn night(sandbox: &Sandbox) -> Result<(), Box<dyn Error>> {
    use nectar_api::{Paginate, TryStreamExt};

    sandbox.advance_clock(Duration::from_secs(3600));
    let company = sandbox.seeded_data()[0].company_id;
    let documents: Vec<_> = sandbox
        .client()
        .list_company_documents()
        .company_id(company)
        .items()
        .try_collect()
        .await?;
    if let [first, second, third, ..] = documents.as_slice() {
        sandbox.revise_document(first.id);
        sandbox.revise_document(second.id);
        sandbox.delete_document(third.id);
    }
    Ok(())
}
