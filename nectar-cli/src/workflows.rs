//! The handwritten workflows of `nectar`, each a few calls on the library's handwritten layer
//! (status categories, the waiter, the pager, sync, webhooks), so the command line and a Rust
//! program get the same behaviour:
//!
//! - `connections needs-user --company ID`: the connections the end user must fix, with what to
//!   do; exit 5 when there is one.
//! - `connections wait ID`: wait for a connection's first check; exit 5 when it needs the user.
//! - `usage export --company|--site|--connection|--document ID [filters]`: usage rows as CSV,
//!   every documented filter, a progress bar on stderr when it is a terminal.
//! - `documents sync` / `usage sync --company ID --checkpoint FILE`: the changes since the
//!   checkpoint as NDJSON, then the new checkpoint written (atomically) to the file.
//! - `webhooks verify --secret-file FILE --headers FILE`: verify a delivery read from stdin.

use std::{
    io::{IsTerminal, Write},
    path::Path,
    time::Duration,
};

use clap::{Arg, ArgAction, ArgMatches, Command};
use futures_util::StreamExt;
use nectar_api::{
    Client, Paginate,
    pager::Page,
    sync::{Change, Checkpoint, Synced},
    types::UsageData,
    uuid::Uuid,
};
use serde::Serialize;
use serde_json::json;

use crate::{
    error::{CliError, exit},
    output::Output,
};

/// The filters of every usage list, as flags (the documented query parameters).
const USAGE_FILTERS: [(&str, &str); 5] = [
    ("start-date", "Only rows on or after this date (YYYY-MM-DD)"),
    ("end-date", "Only rows on or before this date (YYYY-MM-DD)"),
    (
        "date-type",
        "Which date the range applies to (e.g. START_DATE, END_DATE, UPDATED_DATE)",
    ),
    (
        "datasource-type",
        "Only this kind of data (e.g. ELECTRIC, GAS, WATER; repeatable)",
    ),
    (
        "identifier",
        "Only rows of this identifier (a meter or account number)",
    ),
];

/// The scopes a usage export takes, as flags.
const USAGE_SCOPES: [&str; 4] = ["company", "site", "connection", "document"];

fn id_flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).value_name("ID").help(help)
}

/// Adds the workflows to `nectar`'s tree, beside the generated commands of the same noun.
pub(crate) fn commands(mut command: Command) -> Command {
    let needs_user = Command::new("needs-user")
        .about("The company's connections that need the end user (credentials, MFA, accounts to confirm), with what to do; exit 5 when there is one")
        .arg(id_flag("company", "The company's id").required(true));
    let wait = Command::new("wait")
        .about("Wait for a connection's first check (until it leaves PENDING); exit 5 when it then needs the end user")
        .arg(Arg::new("ID").required(true).help("The connection's id"))
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64))
                .default_value("120")
                .help("Give up after this long"),
        );
    let mut export = Command::new("export")
        .about("Export usage rows as CSV (stdout, or --output FILE), with every documented filter; a progress bar on stderr at a terminal")
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FILE")
                .help("Write the CSV here instead of stdout"),
        );
    for scope in USAGE_SCOPES {
        export = export.arg(
            id_flag(scope, "The id of what to export the usage of")
                .conflicts_with_all(USAGE_SCOPES.iter().filter(|s| **s != scope).copied()),
        );
    }
    for (flag, help) in USAGE_FILTERS {
        let mut arg = Arg::new(flag).long(flag).value_name("VALUE").help(help);
        if flag == "datasource-type" {
            arg = arg.action(ArgAction::Append);
        }
        export = export.arg(arg);
    }
    let sync = |what: &str| {
        Command::new("sync")
            .about(format!(
                "The company's {what} changed since the checkpoint, as NDJSON ({{\"change\":\"changed\",\"object\":..}} or {{\"change\":\"deleted\",\"id\":..}}); then the new checkpoint is written to the file"
            ))
            .arg(id_flag("company", "The company's id").required(true))
            .arg(
                Arg::new("checkpoint")
                    .long("checkpoint")
                    .value_name("FILE")
                    .required(true)
                    .help("Where the checkpoint is kept (missing: a first, full run)"),
            )
    };
    let webhooks = Command::new("webhooks")
        .about("Webhook deliveries from Nectar (signed by Svix)")
        .subcommand_required(true)
        .subcommand(
            Command::new("verify")
                .about("Verify a delivery: its body from stdin, its headers from a file (`Name: value` lines, as `curl -D` writes them) or --header; prints the event")
                .arg(
                    Arg::new("secret-file")
                        .long("secret-file")
                        .value_name("PATH")
                        .required(true)
                        .help("The endpoint's secret (whsec_...), in a file"),
                )
                .arg(
                    Arg::new("headers")
                        .long("headers")
                        .value_name("FILE")
                        .help("The delivery's headers, one `Name: value` a line"),
                )
                .arg(
                    Arg::new("header")
                        .long("header")
                        .short('H')
                        .value_name("NAME: VALUE")
                        .action(ArgAction::Append)
                        .help("A header of the delivery (repeatable)"),
                )
                .arg(
                    Arg::new("ignore-timestamp")
                        .long("ignore-timestamp")
                        .action(ArgAction::SetTrue)
                        .help("Accept a delivery of any age (to check a recorded one)"),
                ),
        );
    command = command.mut_subcommand("connections", |c| c.subcommand(needs_user).subcommand(wait));
    command = command.mut_subcommand("usage", |c| {
        c.subcommand(export).subcommand(sync("usage rows"))
    });
    command = command.mut_subcommand("documents", |c| c.subcommand(sync("documents (bills)")));
    command.subcommand(webhooks)
}

/// Runs the workflow `noun verb`; its exit code.
pub(crate) async fn run(
    noun: &str,
    verb: &str,
    matches: &ArgMatches,
    client: &Client,
    out: &mut Output,
) -> Result<u8, CliError> {
    match (noun, verb) {
        ("connections", "needs-user") => needs_user(client, uuid(matches, "company")?, out).await,
        ("connections", "wait") => wait(client, matches, out).await,
        ("usage", "export") => export(client, matches).await,
        ("documents", "sync") => sync_to_file(client, matches, Kind::Documents).await,
        ("usage", "sync") => sync_to_file(client, matches, Kind::Usage).await,
        ("webhooks", "verify") => verify(matches, out),
        _ => Err(CliError::usage(format!("no command {noun} {verb}"))),
    }
}

fn string<'m>(matches: &'m ArgMatches, flag: &str) -> Option<&'m String> {
    matches.try_get_one::<String>(flag).ok().flatten()
}

fn uuid(matches: &ArgMatches, flag: &str) -> Result<Uuid, CliError> {
    let text =
        string(matches, flag).ok_or_else(|| CliError::usage(format!("--{flag} is required")))?;
    text.parse()
        .map_err(|e| CliError::usage(format!("--{flag}: {text:?} is not an id: {e}")))
}

async fn needs_user(client: &Client, company: Uuid, out: &mut Output) -> Result<u8, CliError> {
    let mut connections = client
        .list_company_connections()
        .company_id(company)
        .items();
    let mut rows = Vec::new();
    while let Some(connection) = connections.next().await {
        let connection = connection?;
        let Some(status) = connection.status else {
            continue;
        };
        if status.requires_user_action() {
            rows.push(json!({
                "id": connection.id,
                "status": status.as_str(),
                "category": format!("{:?}", status.category()),
                "action": status.recommended_action(),
            }));
        }
    }
    let any = !rows.is_empty();
    if any {
        eprintln!("{} connection(s) need the end user", rows.len());
    } else {
        eprintln!("no connection needs the end user");
    }
    out.value(&serde_json::Value::Array(rows))?;
    Ok(if any { exit::NEEDS_USER } else { exit::OK })
}

async fn wait(client: &Client, matches: &ArgMatches, out: &mut Output) -> Result<u8, CliError> {
    let id = uuid(matches, "ID")?;
    let seconds = matches.get_one::<u64>("timeout").copied().unwrap_or(120);
    let connection = client
        .wait_for_connection(id)
        .timeout(Duration::from_secs(seconds))
        .await?;
    let needs_user = connection
        .status
        .as_ref()
        .is_some_and(|s| s.requires_user_action());
    if let Some(status) = &connection.status {
        eprintln!(
            "{}: {}",
            crate::output::escaped(status.as_str()),
            status.recommended_action()
        );
    }
    let value = serde_json::to_value(&connection)
        .map_err(|e| CliError::other(format!("encoding the connection: {e}")))?;
    out.value(&value)?;
    Ok(if needs_user {
        exit::NEEDS_USER
    } else {
        exit::OK
    })
}

/// Sets the usage filters given on any usage list builder.
macro_rules! filtered {
    ($request:expr, $matches:expr) => {{
        let mut request = $request;
        if let Some(v) = parsed::<nectar_api::chrono::NaiveDate>($matches, "start-date")? {
            request = request.start_date(v);
        }
        if let Some(v) = parsed::<nectar_api::chrono::NaiveDate>($matches, "end-date")? {
            request = request.end_date(v);
        }
        if let Some(v) = parsed::<nectar_api::types::DateType>($matches, "date-type")? {
            request = request.date_type(v);
        }
        if let Some(values) = $matches
            .try_get_many::<String>("datasource-type")
            .ok()
            .flatten()
        {
            let kinds = values
                .map(|v| {
                    v.parse::<nectar_api::types::DatasourceType>().map_err(|e| {
                        CliError::usage(format!("--datasource-type: {v:?} is not valid: {e}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            request = request.datasource_type(kinds);
        }
        if let Some(v) = string($matches, "identifier") {
            request = request.identifier(v.clone());
        }
        request
    }};
}

fn parsed<T: std::str::FromStr>(matches: &ArgMatches, flag: &str) -> Result<Option<T>, CliError>
where
    T::Err: std::fmt::Display,
{
    string(matches, flag)
        .map(|text| {
            text.parse::<T>()
                .map_err(|e| CliError::usage(format!("--{flag}: {text:?} is not valid: {e}")))
        })
        .transpose()
}

async fn export(client: &Client, matches: &ArgMatches) -> Result<u8, CliError> {
    let scope = USAGE_SCOPES
        .iter()
        .find(|s| string(matches, s).is_some())
        .ok_or_else(|| {
            CliError::usage("usage export needs one of --company, --site, --connection, --document")
        })?;
    let id = uuid(matches, scope)?;
    let pages = match *scope {
        "company" => filtered!(client.list_company_usage().company_id(id), matches).pages(),
        "site" => filtered!(client.list_site_usage().site_id(id), matches).pages(),
        "connection" => {
            filtered!(client.list_connection_usage().connection_id(id), matches).pages()
        }
        _ => filtered!(client.list_document_usage().document_id(id), matches).pages(),
    };
    let mut sink: Box<dyn Write> = match string(matches, "output") {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::other(format!("--output {path}: {e}")))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let progress = std::io::stderr().is_terminal().then(Progress::default);
    write_csv(&mut sink, UsageData::CSV_COLUMNS.iter().copied())?;
    let mut pages = pages;
    let mut rows = 0_u64;
    while let Some(page) = pages.next().await {
        let page = page?;
        if let Some(progress) = &progress {
            progress.show(rows, page.total_items());
        }
        for row in page.items() {
            write_csv(&mut sink, row.csv_record().iter().map(String::as_str))?;
            rows += 1;
        }
    }
    if let Some(progress) = &progress {
        progress.show(rows, rows);
        progress.done();
    }
    sink.flush()
        .map_err(|e| CliError::other(format!("writing the CSV: {e}")))?;
    eprintln!("{rows} usage rows exported");
    Ok(exit::OK)
}

/// A progress line on stderr: rows so far of the total, redrawn in place.
#[derive(Default)]
struct Progress;

impl Progress {
    fn show(&self, done: u64, total: u64) {
        let width = 30_u64;
        let filled = (done.saturating_mul(width)) / total.max(1);
        let bar: String = (0..width)
            .map(|i| if i < filled.min(width) { '#' } else { '-' })
            .collect();
        eprint!("\r[{bar}] {done}/{total} rows");
        let _ = std::io::stderr().flush();
    }

    fn done(&self) {
        eprintln!();
    }
}

fn write_csv<'a>(
    sink: &mut dyn Write,
    fields: impl Iterator<Item = &'a str>,
) -> Result<(), CliError> {
    writeln!(sink, "{}", crate::output::csv_line(fields))
        .map_err(|e| CliError::other(format!("writing the CSV: {e}")))
}

/// What a sync walks.
#[derive(Clone, Copy)]
enum Kind {
    Documents,
    Usage,
}

async fn sync_to_file(client: &Client, matches: &ArgMatches, kind: Kind) -> Result<u8, CliError> {
    let company = uuid(matches, "company")?;
    let path =
        string(matches, "checkpoint").ok_or_else(|| CliError::usage("--checkpoint is required"))?;
    let path = Path::new(path);
    let stored: Option<Checkpoint> = match std::fs::read_to_string(path) {
        Ok(text) => Some(serde_json::from_str(&text).map_err(|e| {
            CliError::usage(format!(
                "--checkpoint {}: not a checkpoint: {e}",
                path.display()
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(CliError::other(format!(
                "--checkpoint {}: {e}",
                path.display()
            )));
        }
    };
    let checkpoint = match kind {
        Kind::Documents => changes(client.sync_documents(company, stored.as_ref())?).await?,
        Kind::Usage => changes(client.sync_usage(company, stored.as_ref())?).await?,
    };
    let text = serde_json::to_string_pretty(&checkpoint)
        .map_err(|e| CliError::other(format!("encoding the checkpoint: {e}")))?;
    // Written beside, then renamed over: a crash leaves the old checkpoint or the new one.
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| CliError::other(format!("--checkpoint {}: {e}", path.display())))?;
    Ok(exit::OK)
}

/// Writes every change of a run as NDJSON to stdout; the run's checkpoint.
async fn changes<T: Synced + Serialize>(
    mut run: nectar_api::sync::SyncRun<'_, T>,
) -> Result<Checkpoint, CliError>
where
    T::Id: Serialize,
{
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut changed, mut deleted) = (0_u64, 0_u64);
    while let Some(change) = run.next().await? {
        let line = match change {
            Change::Changed(object) => {
                changed += 1;
                json!({ "change": "changed", "object": object })
            }
            Change::Deleted(id) => {
                deleted += 1;
                json!({ "change": "deleted", "id": id })
            }
        };
        writeln!(out, "{line}").map_err(|e| CliError::other(format!("writing: {e}")))?;
    }
    out.flush()
        .map_err(|e| CliError::other(format!("writing: {e}")))?;
    eprintln!("{changed} changed, {deleted} deleted");
    Ok(run.checkpoint()?)
}

fn verify(matches: &ArgMatches, out: &mut Output) -> Result<u8, CliError> {
    let secret_path = string(matches, "secret-file")
        .ok_or_else(|| CliError::usage("--secret-file is required"))?;
    let secret = std::fs::read_to_string(secret_path)
        .map_err(|e| CliError::usage(format!("--secret-file {secret_path}: {e}")))?;
    let mut lines: Vec<String> = Vec::new();
    if let Some(path) = string(matches, "headers") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("--headers {path}: {e}")))?;
        lines.extend(text.lines().map(str::to_owned));
    }
    if let Some(given) = matches.try_get_many::<String>("header").ok().flatten() {
        lines.extend(given.cloned());
    }
    let headers: Vec<(String, String)> = lines
        .iter()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
        .map_err(|e| CliError::usage(format!("reading the body from stdin: {e}")))?;
    let mut verifier = nectar_api::webhooks::Verifier::new(&secret)
        .map_err(|e| CliError::usage(format!("--secret-file {secret_path}: {e}")))?;
    if matches.get_flag("ignore-timestamp") {
        verifier = verifier.tolerance(Duration::from_secs(u64::from(u32::MAX)));
    }
    let delivery = verifier
        .verify(&headers, &body)
        .map_err(|e| CliError::other(format!("the delivery is refused: {e}")))?;
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    eprintln!(
        "verified: {} ({})",
        crate::output::escaped(&delivery.id),
        crate::output::escaped(delivery.event.event_type())
    );
    out.value(&json!({
        "id": delivery.id,
        "eventType": delivery.event.event_type(),
        "event": event,
    }))?;
    Ok(exit::OK)
}
