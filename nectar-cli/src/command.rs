//! What a generated command is ([`CommandSpec`], written by nectar-gen into
//! `generated/commands.rs`) and how the commands become clap's tree: grouped under their noun,
//! and merged when several operations share a noun and a verb (a list by company, by site or by
//! connection is one `list` whose target picks the operation).

use clap::{Arg as ClapArg, ArgAction, ArgMatches, Command};

use crate::{
    error::CliError,
    generated::{COMMANDS, NOUNS},
};

/// What a command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing: `nectar companies list`.
    None,
    /// The resource's own id, as the positional `ID`: `nectar documents get ID`.
    Id,
    /// A parent's id, as a flag named for it: `nectar documents list --company ID`.
    Scope(&'static str),
}

/// The JSON kind of a body property a flag sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Bool,
    /// A JSON number.
    Number,
}

/// A flag that sets one top-level property of a JSON body.
#[derive(Debug)]
pub(crate) struct BodyField {
    pub(crate) flag: &'static str,
    pub(crate) json: &'static str,
    pub(crate) kind: FieldKind,
    pub(crate) help: &'static str,
}

/// A flag of a generated command.
#[derive(Debug)]
pub(crate) enum Arg {
    /// `--flag VALUE`.
    Value {
        flag: &'static str,
        help: &'static str,
    },
    /// `--flag true|false`.
    Bool {
        flag: &'static str,
        help: &'static str,
    },
    /// `--flag VALUE`, repeatable.
    Many {
        flag: &'static str,
        help: &'static str,
    },
    /// `--flag PATH`: a file to upload.
    File {
        flag: &'static str,
        help: &'static str,
    },
    /// `--body FILE|-` and a flag per top-level scalar property.
    Body { fields: &'static [BodyField] },
}

/// One generated command: one operation.
#[derive(Debug)]
pub(crate) struct CommandSpec {
    /// The resource (`companies`); empty for a top-level command (`ping`).
    pub(crate) noun: &'static str,
    /// `list`, `get`, `create-magic-link`, ...
    pub(crate) verb: &'static str,
    /// The operationId, also the client method's name.
    pub(crate) operation: &'static str,
    /// The operation's summary.
    pub(crate) about: &'static str,
    pub(crate) deprecated: bool,
    pub(crate) target: Target,
    /// Whether it pages (every page is fetched, up to `--max-items`).
    pub(crate) lists: bool,
    pub(crate) args: &'static [Arg],
}

/// The positional id's name in clap.
pub(crate) const ID: &str = "ID";
/// The body flag.
pub(crate) const BODY: &str = "body";
/// The flag that stops a list.
pub(crate) const MAX_ITEMS: &str = "max-items";

/// The generated commands with this noun and verb.
fn group(noun: &str, verb: &str) -> Vec<&'static CommandSpec> {
    COMMANDS
        .iter()
        .filter(|c| c.noun == noun && c.verb == verb)
        .collect()
}

/// Every noun with generated commands, in order (empty for top-level ones).
fn nouns() -> Vec<&'static str> {
    let mut nouns: Vec<&'static str> = COMMANDS.iter().map(|c| c.noun).collect();
    nouns.dedup();
    nouns
}

/// The verbs of a noun, in order.
fn verbs(noun: &str) -> Vec<&'static str> {
    let mut verbs: Vec<&'static str> = COMMANDS
        .iter()
        .filter(|c| c.noun == noun)
        .map(|c| c.verb)
        .collect();
    verbs.dedup();
    verbs
}

/// The clap command of one noun and verb (one or several operations).
fn verb_command(noun: &str, verb: &'static str) -> Command {
    let specs = group(noun, verb);
    let mut about = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let about = s.about.trim_end_matches('.');
            if i == 0 {
                return about.to_owned();
            }
            let mut chars = about.chars();
            chars
                .next()
                .map(|c| c.to_lowercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("; or ");
    if specs.iter().any(|s| s.deprecated) && !about.contains("deprecated") {
        about.push_str(" (deprecated by Nectar)");
    }
    let mut command = Command::new(verb).about(about);
    let scopes: Vec<&'static str> = specs
        .iter()
        .filter_map(|s| match s.target {
            Target::Scope(flag) => Some(flag),
            _ => None,
        })
        .collect();
    let has_id = specs.iter().any(|s| s.target == Target::Id);
    let has_none = specs.iter().any(|s| s.target == Target::None);
    // Exactly one target when there is no target-less operation.
    let one_target = !has_none && (scopes.len() + usize::from(has_id)) == 1;
    if has_id {
        command = command.arg(
            ClapArg::new(ID)
                .help("The id of the object")
                .required(one_target)
                .conflicts_with_all(scopes.clone()),
        );
    }
    for scope in &scopes {
        command = command.arg(
            ClapArg::new(*scope)
                .long(*scope)
                .value_name("ID")
                .help(format!("The {scope}'s id"))
                .required(one_target)
                .conflicts_with_all(scopes.iter().filter(|s| *s != scope).copied()),
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut add = |command: Command, flag: &'static str, arg: ClapArg| {
        if seen.contains(&flag) {
            command
        } else {
            seen.push(flag);
            command.arg(arg)
        }
    };
    for spec in &specs {
        for arg in spec.args {
            command = match arg {
                Arg::Value { flag, help } => add(
                    command,
                    flag,
                    ClapArg::new(*flag)
                        .long(*flag)
                        .value_name("VALUE")
                        .help(*help),
                ),
                Arg::Bool { flag, help } => add(
                    command,
                    flag,
                    ClapArg::new(*flag)
                        .long(*flag)
                        .value_name("true|false")
                        .value_parser(["true", "false"])
                        .help(*help),
                ),
                Arg::Many { flag, help } => add(
                    command,
                    flag,
                    ClapArg::new(*flag)
                        .long(*flag)
                        .value_name("VALUE")
                        .action(ArgAction::Append)
                        .help(format!("{help} (repeatable)")),
                ),
                Arg::File { flag, help } => add(
                    command,
                    flag,
                    ClapArg::new(*flag)
                        .long(*flag)
                        .value_name("PATH")
                        .help(*help),
                ),
                Arg::Body { fields } => {
                    let mut command = add(
                        command,
                        BODY,
                        ClapArg::new(BODY)
                            .long(BODY)
                            .value_name("FILE|-")
                            .help("The JSON body, from a file or `-` for stdin; the flags below set or override its top-level fields"),
                    );
                    for field in *fields {
                        let value_name = match field.kind {
                            FieldKind::Bool => "true|false",
                            FieldKind::Number => "NUMBER",
                            FieldKind::String => "TEXT",
                        };
                        command = add(
                            command,
                            field.flag,
                            ClapArg::new(field.flag)
                                .long(field.flag)
                                .value_name(value_name)
                                .help(field.help),
                        );
                    }
                    command
                }
            };
        }
    }
    if specs.iter().any(|s| s.lists) {
        command = command.arg(
            ClapArg::new(MAX_ITEMS)
                .long(MAX_ITEMS)
                .value_name("N")
                .value_parser(clap::value_parser!(u64))
                .help("Stop after N items (default: every page)"),
        );
    }
    command
}

/// Every generated command as clap's tree: a command per noun, with a subcommand per verb; the
/// top-level ones (no noun) as commands of their own.
pub(crate) fn generated() -> Vec<Command> {
    let mut out = Vec::new();
    for noun in nouns() {
        if noun.is_empty() {
            out.extend(verbs(noun).into_iter().map(|verb| verb_command(noun, verb)));
            continue;
        }
        let about = NOUNS
            .iter()
            .find(|(name, _)| *name == noun)
            .map_or_else(|| capitalized(noun), |(_, about)| (*about).to_owned());
        let mut command = Command::new(noun)
            .about(about)
            .subcommand_required(true)
            .arg_required_else_help(true);
        for verb in verbs(noun) {
            command = command.subcommand(verb_command(noun, verb));
        }
        out.push(command);
    }
    out
}

fn capitalized(noun: &str) -> String {
    let mut chars = noun.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The generated command a parsed `noun verb` runs, picked by its target, with the target's
/// value; `None` when `noun verb` is not a generated command.
pub(crate) fn resolve(
    noun: &str,
    verb: &str,
    matches: &ArgMatches,
) -> Option<Result<(&'static CommandSpec, Option<String>), CliError>> {
    let specs = group(noun, verb);
    if specs.is_empty() {
        return None;
    }
    let given = |name: &str| matches.try_get_one::<String>(name).ok().flatten().cloned();
    for spec in &specs {
        let value = match spec.target {
            Target::Id => given(ID),
            Target::Scope(flag) => given(flag),
            Target::None => continue,
        };
        if value.is_some() {
            return Some(Ok((spec, value)));
        }
    }
    if let Some(spec) = specs.iter().find(|s| s.target == Target::None) {
        return Some(Ok((spec, None)));
    }
    let choices: Vec<String> = specs
        .iter()
        .map(|s| match s.target {
            Target::Id => "an ID".to_owned(),
            Target::Scope(flag) => format!("--{flag} ID"),
            Target::None => String::new(),
        })
        .collect();
    Some(Err(CliError::usage(format!(
        "{noun} {verb} needs one of: {}",
        choices.join(", ")
    ))))
}
