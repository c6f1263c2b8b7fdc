//! Serves the Nectar API emulator on loopback until interrupted.
//!
//! ```sh
//! cargo run -p nectar-sandbox -- --port 8080
//! ```
//!
//! Options: `--port N` (default 8080; 0 picks a free port), `--api-key KEY` (default
//! `sandbox-api-key`), `--validation-delay-ms N` (default 2000), `--seed N`,
//! `--seed-connections N` (a company with 3 sites and N connections in every status; and, so
//! that outside tools reach every operation with no set-up of their own, a second company with
//! a connected connection, its account and meters, 12 bills with 3 usage rows each, and a
//! connection invitation and a reconnect invitation), `--fault-rate R` with
//! `--fault-seed N` (429/502/503/drop, evenly), `--latency-ms N`, `--webhook URL` (deliver
//! signed connection events there; the secret is printed), `--now RFC3339` (pin the emulator's
//! clock, e.g. `2027-03-01T00:30:00Z`). `--help` prints the usage.

use std::{process::ExitCode, time::Duration};

use nectar_sandbox::{Fault, Faults, RetryAfter, Sandbox};

const USAGE: &str = "usage: nectar-sandbox [--port N] [--api-key KEY] [--validation-delay-ms N] \
[--seed N] [--seed-connections N] [--fault-rate R] [--fault-seed N] [--latency-ms N] [--webhook URL] \
[--now RFC3339]";

/// A connection invitation for the data set's company and a reconnect invitation for its
/// connection, made through the API as a user would (valid for a week, 100 uses).
async fn seed_invitations(
    sandbox: &Sandbox,
    data: &nectar_sandbox::SeededData,
) -> Result<(), nectar_api::Error> {
    use nectar_api::types::{ConnectionInvitationCreate, ReconnectInvitationCreate};
    const WEEK: u32 = 7 * 24 * 60 * 60;
    let uses = std::num::NonZeroU32::new(100);
    let client = sandbox.client();
    let created = client
        .create_connection_invitation()
        .company_id(data.company_id)
        .body(
            ConnectionInvitationCreate::builder()
                .expires_in_seconds(WEEK)
                .max_uses(uses),
        )
        .send()
        .await?;
    let reconnect = client
        .create_reconnect_invitation()
        .connection_id(data.connection_id)
        .body(
            ReconnectInvitationCreate::builder()
                .expires_in_seconds(WEEK)
                .max_uses(uses),
        )
        .send()
        .await?;
    println!(
        "Seeded invitations {} (new connection) and {} (reconnect)",
        created.id, reconnect.id
    );
    Ok(())
}

/// What the command line asks for: options to serve with, or the usage.
enum Command {
    Serve(Box<Options>),
    Help,
}

struct Options {
    port: u16,
    api_key: String,
    validation_delay_ms: u64,
    seed: u64,
    seed_connections: usize,
    fault_rate: f64,
    fault_seed: u64,
    latency_ms: u64,
    webhooks: Vec<String>,
    now: Option<chrono::DateTime<chrono::Utc>>,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut options = Options {
        port: 8080,
        api_key: Sandbox::DEFAULT_API_KEY.to_owned(),
        validation_delay_ms: 2000,
        seed: 1,
        seed_connections: 0,
        fault_rate: 0.0,
        fault_seed: 1,
        latency_ms: 0,
        webhooks: Vec::new(),
        now: None,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        let value = iter
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |name: &str| -> Result<u64, String> {
            value
                .parse()
                .map_err(|_| format!("{name}: {value:?} is not a whole number"))
        };
        match flag.as_str() {
            "--port" => {
                options.port = u16::try_from(number("--port")?)
                    .map_err(|_| format!("--port: {value} is not a port (0 to 65535)"))?;
            }
            "--api-key" => options.api_key = value.clone(),
            "--webhook" => options.webhooks.push(value.clone()),
            "--validation-delay-ms" => options.validation_delay_ms = number(flag)?,
            "--seed" => options.seed = number(flag)?,
            "--seed-connections" => options.seed_connections = number(flag)? as usize,
            "--fault-seed" => options.fault_seed = number(flag)?,
            "--latency-ms" => options.latency_ms = number(flag)?,
            "--fault-rate" => {
                options.fault_rate = value
                    .parse()
                    .map_err(|_| format!("--fault-rate: {value:?} is not a number"))?;
            }
            "--now" => {
                let now = chrono::DateTime::parse_from_rfc3339(value)
                    .map_err(|e| format!("--now: {value:?} is not an RFC 3339 date-time ({e})"))?;
                options.now = Some(now.to_utc());
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(Command::Serve(Box::new(options)))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Command::Serve(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let faults = Faults::seeded(options.fault_seed)
        .rate(
            options.fault_rate,
            [
                Fault::TooManyRequests(Some(RetryAfter::Seconds(1))),
                Fault::BadGateway,
                Fault::ServiceUnavailable,
                Fault::Drop,
            ],
        )
        .latency(Duration::from_millis(options.latency_ms));
    let mut builder = Sandbox::builder()
        .user(&options.api_key, Sandbox::DEFAULT_USER)
        .port(options.port)
        .seed(options.seed)
        .validation_delay(Duration::from_millis(options.validation_delay_ms))
        .faults(faults);
    if let Some(now) = options.now {
        builder = builder.now(now);
    }
    if options.seed_connections > 0 {
        builder = builder
            .seed_company("Seeded Company", 3, options.seed_connections)
            .seed_usage("Seeded Data", 12, 3);
    }
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    println!("Nectar emulator serving {}", sandbox.base_url());
    println!("API key: {}", sandbox.api_key());
    for url in &options.webhooks {
        match sandbox.add_webhook_endpoint(url) {
            Ok(secret) => println!("Webhook endpoint {url}, secret {secret}"),
            Err(error) => {
                eprintln!("webhook endpoint {url}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    for seeded in sandbox.seeded() {
        println!(
            "Seeded company {} with {} connections",
            seeded.company_id, seeded.connections
        );
    }
    for data in sandbox.seeded_data() {
        println!(
            "Seeded company {} with connection {}, {} documents and {} usage rows",
            data.company_id, data.connection_id, data.documents, data.usage
        );
        if let Err(error) = seed_invitations(&sandbox, data).await {
            eprintln!("seeding invitations: {error}");
            return ExitCode::FAILURE;
        }
    }
    println!("Press Ctrl-C to stop.");
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
