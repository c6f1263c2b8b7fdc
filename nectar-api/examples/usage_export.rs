//! Export every usage row of a company for a date range and datasource types as CSV, with a
//! progress bar (pages and rows) on stderr. The pager fetches pages concurrently within the
//! client's limit on requests in flight (10, lowered on `429` and raised again).
//!
//! ```sh
//! cargo run --example usage_export > usage.csv                  # embedded emulator
//! cargo run --example usage_export -- --from 2025-01-01 --to 2025-06-30 \
//!     --type ELECTRICITY --type GAS --out usage.csv
//! NECTAR_API_KEY=... cargo run --example usage_export -- --company <uuid>
//! ```
//!
//! Without `NECTAR_API_KEY` the example starts the emulator, creates a company with three sites
//! and a sandbox connection, waits for it to connect (the sandbox then produces monthly bills),
//! and exports that company. `--from`/`--to` filter on the usage period (`dateType=USAGE_PERIOD`,
//! inclusive); `--type` may be repeated; `--out` writes a file instead of stdout.
//! `NECTAR_BASE_URL` overrides the base URL.

use std::{error::Error, io::Write, time::Duration};

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nectar_api::{
    Client, Paginate,
    types::{DatasourceType, DateType, UsageData},
};
use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, flows};
use uuid::Uuid;

#[derive(Default)]
struct Options {
    company: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    types: Vec<DatasourceType>,
    out: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let date = |text: String, name: &str| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|_| format!("{name}: {text:?} is not a date (YYYY-MM-DD)"))
        };
        match flag.as_str() {
            "--company" => {
                let text = value()?;
                options.company = Some(
                    text.parse()
                        .map_err(|_| format!("--company: {text:?} is not a uuid"))?,
                );
            }
            "--from" => options.from = Some(date(value()?, "--from")?),
            "--to" => options.to = Some(date(value()?, "--to")?),
            "--type" => {
                let text = value()?;
                let kind = DatasourceType::from(text.as_str());
                if kind.is_unknown() {
                    let known: Vec<&str> =
                        DatasourceType::KNOWN.iter().map(|k| k.as_str()).collect();
                    return Err(format!(
                        "--type: {text:?} is not one of {}",
                        known.join(", ")
                    ));
                }
                options.types.push(kind);
            }
            "--out" => options.out = Some(value()?),
            "--help" | "-h" => {
                return Err(
                    "usage: usage_export [--company ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] \
                     [--type KIND]... [--out FILE]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown option {other:?} (see --help)")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let key = std::env::var("NECTAR_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let (client, company, _sandbox) = match key {
        Some(key) => {
            let url = std::env::var("NECTAR_BASE_URL")
                .unwrap_or_else(|_| nectar_api::DEFAULT_BASE_URL.to_owned());
            let Some(company) = options.company else {
                eprintln!("with NECTAR_API_KEY, say which company: --company <uuid>");
                std::process::exit(2);
            };
            eprintln!("Exporting from Nectar at {url}");
            let client = Client::builder().api_key(key).base_url(url).build()?;
            (client, company, None)
        }
        None => {
            let sandbox = Sandbox::builder()
                .validation_delay(Duration::from_millis(200))
                .start()
                .await?;
            eprintln!(
                "NECTAR_API_KEY is not set: exporting from the embedded emulator at {}",
                sandbox.base_url()
            );
            let client = sandbox.client();
            let (company, _, connection) =
                flows::sandbox_connection(&client, 3, SANDBOX_PASSWORD).await?;
            client
                .wait_for_connection(connection.id)
                .interval(Duration::from_millis(100))
                .timeout(Duration::from_secs(30))
                .await?;
            eprintln!("Sandbox company {company}: connection connected, bills generated");
            (client, company, Some(sandbox))
        }
    };

    let mut request = client
        .list_company_usage()
        .company_id(company)
        .date_type(DateType::UsagePeriod);
    if let Some(from) = options.from {
        request = request.start_date(from);
    }
    if let Some(to) = options.to {
        request = request.end_date(to);
    }
    if !options.types.is_empty() {
        request = request.datasource_type(options.types.clone());
    }

    let sink: Box<dyn Write> = match &options.out {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut csv = csv::Writer::from_writer(sink);
    csv.write_record(UsageData::CSV_COLUMNS)?;

    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} rows ({elapsed})")?
            .progress_chars("=> "),
    );
    let mut pages = request.pages();
    let (mut rows, mut pages_read) = (0_u64, 0_u64);
    while let Some(page) = pages.try_next().await? {
        pages_read += 1;
        progress.set_length(page.total_usage_data);
        progress.set_message(format!("page {pages_read}/{}", page.total_pages));
        for row in &page.usage_data {
            csv.write_record(row.csv_record())?;
            rows += 1;
        }
        progress.set_position(rows);
    }
    csv.flush()?;
    progress.finish_with_message(format!("{pages_read} pages"));
    eprintln!(
        "Exported {rows} usage rows in {pages_read} pages{}",
        options
            .out
            .as_deref()
            .map(|p| format!(" to {p}"))
            .unwrap_or_default()
    );
    Ok(())
}
