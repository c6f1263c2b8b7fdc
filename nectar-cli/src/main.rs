//! `nectar`: the command line for the Nectar Climate API, generated from the same spec as
//! nectar-api (one command per operation, `src/generated/commands.rs`), with workflows on the
//! library's handwritten layer. See the crate's README for the commands, formats and exit codes.

mod args;
mod command;
mod error;
mod output;
mod workflows;

/// The generated commands (nectar-gen's `passes/cli.rs`; never edited by hand). Formatted by
/// prettyplease, not rustfmt.
#[rustfmt::skip]
#[path = "generated/commands.rs"]
mod generated;

use std::{process::ExitCode, time::Duration};

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::{
    args::Args,
    error::{CliError, exit},
    output::{Format, Output},
};

/// What `nectar --help` says after the commands.
const AFTER_HELP: &str = "\
Configuration: NECTAR_API_KEY (or --api-key-file), NECTAR_BASE_URL (default: Nectar's production API).
--sandbox runs the command against an embedded emulator instead (no account needed).

Output: a table on a terminal, JSON otherwise; --format json|ndjson|csv|table. Only data goes to
stdout; messages go to stderr.

Exit codes: 0 done, 1 other failure, 2 usage (nothing sent), 3 Nectar answered with an error,
4 no answer (network, TLS, timeout), 5 the end user must act (connections needs-user).";

fn cli() -> Command {
    let mut command = Command::new("nectar")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Nectar Climate API (v2.2) from the command line: companies, sites, connections, documents, usage")
        .after_help(AFTER_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("api-key-file")
                .help_heading("Global options")
                .long("api-key-file")
                .global(true)
                .value_name("PATH")
                .help("Read the API key from this file (instead of NECTAR_API_KEY)"),
        )
        .arg(
            Arg::new("sandbox")
                .help_heading("Global options")
                .long("sandbox")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Run against an embedded emulator of Nectar (seeded with a company, sites and connections)"),
        )
        .arg(
            Arg::new("format")
                .help_heading("Global options")
                .long("format")
                .global(true)
                .value_parser(Format::NAMES)
                .help("Output format (default: table on a terminal, json otherwise)"),
        )
        .arg(
            Arg::new("verbose")
                .help_heading("Global options")
                .long("verbose")
                .short('v')
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Say on stderr what is being done (the API key is never shown)"),
        );
    for generated in command::generated() {
        command = command.subcommand(generated);
    }
    command = workflows::commands(command);
    command.subcommand(
        Command::new("completions")
            .about("Print a shell completion script (bash, zsh or fish)")
            .arg(
                Arg::new("shell")
                    .required(true)
                    .value_parser(["bash", "zsh", "fish"]),
            ),
    )
}

/// The client the command runs with: against the embedded emulator with `--sandbox`, else
/// against Nectar as nectar-api reads its configuration, the key from `--api-key-file` if given.
/// The emulator, when started, is returned too: it stops when dropped.
async fn client(matches: &ArgMatches) -> Result<(nectar_api::Client, Option<Sandbox>), CliError> {
    if matches.get_flag("sandbox") {
        return sandbox().await;
    }
    let mut builder = nectar_api::Client::builder();
    if let Some(path) = matches.get_one::<String>("api-key-file") {
        let key = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("--api-key-file {path}: {e}")))?;
        builder = builder.api_key(key.trim().to_owned());
    }
    Ok((builder.build()?, None))
}

#[cfg(feature = "sandbox")]
type Sandbox = nectar_sandbox::Sandbox;
#[cfg(not(feature = "sandbox"))]
type Sandbox = ();

#[cfg(feature = "sandbox")]
async fn sandbox() -> Result<(nectar_api::Client, Option<Sandbox>), CliError> {
    let sandbox = nectar_sandbox::Sandbox::builder()
        .seed_company("Sandbox Company", 3, 8)
        .seed_usage("Sandbox Data", 12, 3)
        .validation_delay(Duration::from_millis(300))
        .start()
        .await
        .map_err(|e| CliError::other(format!("starting the embedded emulator: {e}")))?;
    let client = nectar_api::Client::builder()
        .api_key(sandbox.api_key())
        .base_url(sandbox.base_url())
        .build()?;
    Ok((client, Some(sandbox)))
}

#[cfg(not(feature = "sandbox"))]
async fn sandbox() -> Result<(nectar_api::Client, Option<Sandbox>), CliError> {
    let _ = Duration::ZERO;
    Err(CliError::usage(
        "--sandbox: this nectar was built without the `sandbox` feature".to_owned(),
    ))
}

async fn run(matches: ArgMatches) -> Result<u8, CliError> {
    let Some((name, sub)) = matches.subcommand() else {
        return Err(CliError::usage("no command given (see nectar --help)"));
    };
    if name == "completions" {
        let shell = sub
            .get_one::<String>("shell")
            .map_or("bash", String::as_str);
        let shell = match shell {
            "zsh" => clap_complete::Shell::Zsh,
            "fish" => clap_complete::Shell::Fish,
            _ => clap_complete::Shell::Bash,
        };
        clap_complete::generate(shell, &mut cli(), "nectar", &mut std::io::stdout());
        return Ok(exit::OK);
    }
    let mut out = Output::new(Format::chosen(
        matches.get_one::<String>("format").map(String::as_str),
    ));
    // A generated command: `noun verb`, or a top-level verb (`ping`).
    let (noun, verb, leaf) = match sub.subcommand() {
        Some((verb, leaf)) => (name, verb, leaf),
        None => ("", name, sub),
    };
    if let Some(resolved) = command::resolve(noun, verb, leaf) {
        let (spec, target) = resolved?;
        let (client, _sandbox) = client(&matches).await?;
        if matches.get_flag("verbose") {
            eprintln!("nectar: {} against {}", spec.operation, client.base_url());
        }
        out.max_items = leaf
            .try_get_one::<u64>(command::MAX_ITEMS)
            .ok()
            .flatten()
            .copied();
        let args = Args {
            matches: leaf,
            spec,
            target,
        };
        generated::run(spec.operation, &client, &args, &mut out).await?;
        out.flush()?;
        return Ok(exit::OK);
    }
    let (client, _sandbox) = client(&matches).await?;
    let code = workflows::run(noun, verb, leaf, &client, &mut out).await?;
    out.flush()?;
    Ok(code)
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = match cli().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // --help and --version are not errors.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match run(matches).await {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("nectar: {error}");
            ExitCode::from(error.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_valid_and_has_every_operation() {
        cli().debug_assert();
        let mut operations: Vec<&str> = generated::COMMANDS.iter().map(|c| c.operation).collect();
        operations.dedup();
        assert_eq!(
            operations.len(),
            35,
            "one command per operation of the spec"
        );
    }
}
