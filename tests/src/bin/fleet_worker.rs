//! One worker of the fleet benchmark (`tests/benches/fleet.rs`) and of the `kill -9` test
//! (`tests/tests/e2e/redis_limit.rs`), as its own OS process: pulls every usage row of one
//! company with the default pager, under either its own adaptive limit or the limit shared
//! through Redis, and prints `<rows> <distinct rows>` on stdout.
//!
//! `fleet_worker <base url> <api key> <company id> local|<redis url> [<max> [<lease ms>]]`
//! (the shared limit's maximum, default 10, and lease, default 10,000 ms).

use std::{collections::HashSet, time::Duration};

use nectar_api::{Client, Paginate, TryStreamExt, limiter::RedisLimit};

const USAGE: &str =
    "usage: fleet_worker <base url> <api key> <company id> local|<redis url> [<max> [<lease ms>]]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (base, key, company, mode) = match args.as_slice() {
        [base, key, company, mode, ..] => (base, key, company, mode),
        _ => return Err(USAGE.into()),
    };
    let max: usize = args.get(4).map_or(Ok(10), |n| n.parse())?;
    let lease = Duration::from_millis(args.get(5).map_or(Ok(10_000), |n| n.parse())?);
    let mut builder = Client::builder()
        .api_key(key.as_str())
        .base_url(base.as_str());
    let shared = if mode == "local" {
        None
    } else {
        let limit = RedisLimit::builder(mode.as_str(), key)
            .max(max)
            .lease(lease)
            .connect()
            .await?;
        Some(limit)
    };
    if let Some(limit) = &shared {
        builder = builder.limit(limit.clone());
    }
    let client = builder.build()?;
    let rows: Vec<String> = client
        .list_company_usage()
        .company_id(company.parse::<uuid::Uuid>()?)
        .items()
        .map_ok(|row| row.id)
        .try_collect()
        .await?;
    // The last slots back to the fleet now, not when their leases end.
    if let Some(limit) = shared {
        limit.flush().await;
    }
    let distinct: HashSet<&String> = rows.iter().collect();
    println!("{} {}", rows.len(), distinct.len());
    Ok(())
}
