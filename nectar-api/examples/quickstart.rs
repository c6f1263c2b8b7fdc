//! The getting-started flow: create a company, two sites and a sandbox connection, wait until
//! Nectar has checked the connection, then list the company's connections with what each status
//! asks of you. Shows the client builder, the waiter, the pager (with a status filter) and a
//! match on status categories.
//!
//! ```sh
//! cargo run --example quickstart                       # embedded emulator
//! NECTAR_API_KEY=... cargo run --example quickstart    # Nectar (use a sandbox key)
//! ```
//!
//! With a key, `NECTAR_BASE_URL` overrides the base URL (default: Nectar v2.2); without one the
//! embedded emulator is used.

use std::{
    error::Error,
    time::{Duration, Instant},
};

use futures_util::TryStreamExt;
use nectar_api::{
    Client, Paginate,
    status::ConnectionCategory,
    types::{Connection, ConnectionCreate, ConnectionStatus, Country},
};
use nectar_sandbox::{SANDBOX_PASSWORD, SANDBOX_URL, SANDBOX_USERNAME, Sandbox};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let has_key = std::env::var("NECTAR_API_KEY").is_ok_and(|k| !k.is_empty());
    // Without a key, the emulator runs in this process for as long as `_sandbox` lives.
    let (client, _sandbox, deadline) = if has_key {
        // The builder reads NECTAR_API_KEY, and NECTAR_BASE_URL when it is set.
        let client = Client::builder().build()?;
        println!("Talking to Nectar at {}", client.base_url());
        (client, None, Duration::from_secs(300))
    } else {
        let sandbox = Sandbox::builder()
            .validation_delay(Duration::from_secs(2))
            .start()
            .await?;
        println!(
            "NECTAR_API_KEY is not set: talking to the embedded emulator at {}",
            sandbox.base_url()
        );
        (sandbox.client(), Some(sandbox), Duration::from_secs(30))
    };

    let company = client
        .create_company()
        .body_map(|b| {
            b.name("Quickstart Company")
                .external_id(Some("quickstart-1".to_owned()))
        })
        .send()
        .await?
        .into_inner();
    println!("1. Created company {} ({})", company.name, company.id);

    let mut sites = Vec::new();
    for (name, address) in [
        ("Headquarters", "123 Main St, San Francisco, CA 94105"),
        ("Warehouse", "500 Harbor Blvd, Oakland, CA 94607"),
    ] {
        let site = client
            .create_site()
            .company_id(company.id)
            .body_map(|b| {
                b.name(name)
                    .address(Some(address.try_into().expect("a short address")))
            })
            .send()
            .await?
            .into_inner();
        println!("2. Created site {} ({})", site.name, site.id);
        sites.push(site.id);
    }

    let body: ConnectionCreate = ConnectionCreate::builder()
        .url(SANDBOX_URL)
        .username(SANDBOX_USERNAME)
        .password(SANDBOX_PASSWORD)
        .initial_sites(sites.clone())
        .country(Country::Us)
        .try_into()?;
    let connection = client
        .create_connection()
        .company_id(company.id)
        .body(body)
        .send()
        .await?
        .into_inner();
    println!(
        "3. Created sandbox connection {} with status {}",
        connection.id,
        status_text(&connection)
    );

    println!("4. Waiting for Nectar to check it...");
    let started = Instant::now();
    let checked = client
        .wait_for_connection(connection.id)
        .interval(Duration::from_millis(500))
        .timeout(deadline)
        .await?;
    println!(
        "   {} after {:.1} s, {} account(s) found",
        status_text(&checked),
        started.elapsed().as_secs_f64(),
        checked.accounts.len()
    );

    // Every connection of the company, over all pages (fetched concurrently, in order).
    let connections: Vec<Connection> = client
        .list_company_connections()
        .company_id(company.id)
        .items()
        .try_collect()
        .await?;
    println!("5. The company's connections:\n");
    print_table(&connections, &sites);

    // The connections that need the end user: one filtered listing per credential error.
    let mut needs_user = 0;
    for status in ConnectionStatus::KNOWN
        .iter()
        .filter(|s| s.requires_user_action())
    {
        let mut listed = client
            .list_company_connections()
            .company_id(company.id)
            .status(status.clone())
            .items();
        while let Some(connection) = listed.try_next().await? {
            needs_user += 1;
            println!(
                "   {} needs the end user: {}",
                connection.id,
                status.recommended_action()
            );
        }
    }
    println!("\n6. {needs_user} connection(s) need the end user.");
    Ok(())
}

fn status_text(connection: &Connection) -> String {
    connection
        .status
        .as_ref()
        .map_or_else(|| "(none)".to_owned(), ToString::to_string)
}

fn print_table(connections: &[Connection], sites: &[uuid::Uuid]) {
    let rows: Vec<[String; 6]> = connections
        .iter()
        .map(|c| {
            let site_names: Vec<String> = c
                .initial_sites
                .iter()
                .map(|id| match sites.iter().position(|s| s == id) {
                    Some(index) => format!("site {}", index + 1),
                    None => id.to_string()[..8].to_owned(),
                })
                .collect();
            let category = match c.status.as_ref().map(ConnectionStatus::category) {
                Some(ConnectionCategory::Healthy) => "healthy",
                Some(ConnectionCategory::CredentialError) => "needs the end user",
                Some(ConnectionCategory::ProviderError) => "provider problem",
                Some(ConnectionCategory::System) => "system",
                // `Unknown`, and any group a later release adds (the enum is non-exhaustive).
                Some(_) | None => "unknown",
            };
            let what_to_do = c
                .status
                .as_ref()
                .map_or("No status yet.", ConnectionStatus::recommended_action);
            [
                c.id.to_string()[..8].to_owned(),
                c.datasource
                    .as_ref()
                    .map_or("?".to_owned(), |d| d.name.clone()),
                site_names.join(", "),
                status_text(c),
                category.to_owned(),
                what_to_do.to_owned(),
            ]
        })
        .collect();
    let header = [
        "ID",
        "PROVIDER",
        "SITES",
        "STATUS",
        "CATEGORY",
        "WHAT TO DO",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    line(header);
    line(widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str));
    for row in &rows {
        line(row.each_ref().map(String::as_str));
    }
}
