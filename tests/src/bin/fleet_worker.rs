//! One worker of the fleet benchmark (`tests/benches/fleet.rs`), as its own OS process: pulls
//! every usage row of one company with the default pager, under either its own adaptive limit
//! or the limit shared through Redis, and prints `<rows> <distinct rows>` on stdout.
//!
//! `fleet_worker <base url> <api key> <company id> local|<redis url>`

use std::collections::HashSet;

use nectar_api::{Client, Paginate, TryStreamExt, limiter::RedisLimit};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, key, company, mode] = args.as_slice() else {
        return Err(
            "usage: fleet_worker <base url> <api key> <company id> local|<redis url>".into(),
        );
    };
    let mut builder = Client::builder()
        .api_key(key.as_str())
        .base_url(base.as_str());
    if mode != "local" {
        builder = builder.limit(RedisLimit::connect(mode, key, 10).await?);
    }
    let client = builder.build()?;
    let rows: Vec<String> = client
        .list_company_usage()
        .company_id(company.parse::<uuid::Uuid>()?)
        .items()
        .map_ok(|row| row.id)
        .try_collect()
        .await?;
    let distinct: HashSet<&String> = rows.iter().collect();
    println!("{} {}", rows.len(), distinct.len());
    Ok(())
}
