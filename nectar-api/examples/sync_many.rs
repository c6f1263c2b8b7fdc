//! A nightly sync of many companies in one process, their checkpoints kept in one file: every
//! company's bills since its checkpoint, 8 companies at a time under the client's one limit.
//! Each company's checkpoint is written as soon as its changes are handled, so a crash loses no
//! finished company's progress.
//!
//! ```sh
//! cargo run --example sync_many            # first run: every bill of every company
//! cargo run --example sync_many            # again: only the changes
//! cargo run --example sync_many -- --reset # forget the checkpoints
//! NECTAR_API_KEY=... cargo run --example sync_many   # every company of the key, against Nectar
//! ```
//!
//! The checkpoints file is `nectar-sync-many.json` in the temporary directory
//! (`NECTAR_SYNC_CHECKPOINTS` overrides it). Without a key, the embedded emulator serves 20
//! companies (the same ones on every run).

use std::{collections::BTreeMap, error::Error, path::PathBuf};

use nectar_api::{
    Client, StreamExt,
    sync::{Change, Checkpoint},
    types::Document,
};
use nectar_sandbox::Sandbox;
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::var_os("NECTAR_SYNC_CHECKPOINTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("nectar-sync-many.json"));
    if std::env::args().any(|a| a == "--reset") {
        let _ = std::fs::remove_file(&path);
        println!("Forgot the checkpoints ({})", path.display());
        return Ok(());
    }
    let mut stored: BTreeMap<Uuid, Checkpoint> = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(error) => return Err(error.into()),
    };

    let has_key = std::env::var("NECTAR_API_KEY").is_ok_and(|k| !k.is_empty());
    let (client, _sandbox) = if has_key {
        (Client::builder().build()?, None)
    } else {
        let mut builder = Sandbox::builder().seed(11);
        for n in 0..20 {
            builder = builder.seed_usage(format!("Company {n}"), 25, 1);
        }
        let sandbox = builder.start().await?;
        (sandbox.client(), Some(sandbox))
    };
    let companies: Vec<Uuid> = client
        .list_companies()
        .send()
        .await?
        .into_inner()
        .into_iter()
        .map(|c| c.id)
        .collect();

    let input: Vec<(Uuid, Option<Checkpoint>)> = companies
        .iter()
        .map(|id| (*id, stored.get(id).cloned()))
        .collect();
    let mut runs = client.sync_companies::<Document>(input, 8);
    let (mut changed, mut deleted, mut failed) = (0, 0, 0);
    while let Some(done) = runs.next().await {
        match done {
            Ok(company) => {
                for change in &company.changes {
                    match change {
                        Change::Changed(_) => changed += 1,
                        Change::Deleted(_) => deleted += 1,
                    }
                }
                // The company's changes are handled: only now is its checkpoint stored.
                stored.insert(company.company, company.checkpoint);
                let text = serde_json::to_string_pretty(&stored)?;
                let temporary = path.with_extension("tmp");
                std::fs::write(&temporary, text)?;
                std::fs::rename(&temporary, &path)?;
            }
            Err(failure) => {
                failed += 1;
                eprintln!("company {}: {}", failure.company, failure.error);
            }
        }
    }
    println!(
        "{} companies: {changed} changed, {deleted} deleted, {failed} failed; checkpoints in {}",
        companies.len(),
        path.display()
    );
    Ok(())
}
