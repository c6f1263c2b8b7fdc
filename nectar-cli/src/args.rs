//! The flags a user gave to a generated command, parsed into the types the client's builders
//! take; every refusal names the flag and the value.

use std::{fmt::Display, str::FromStr};

use clap::ArgMatches;
use serde::de::DeserializeOwned;

use crate::{
    command::{Arg, BODY, CommandSpec, FieldKind, Target},
    error::CliError,
};

/// The flags of one invocation of a generated command.
pub(crate) struct Args<'m> {
    pub(crate) matches: &'m ArgMatches,
    pub(crate) spec: &'static CommandSpec,
    /// The target's value (the positional id, or the scope flag's).
    pub(crate) target: Option<String>,
}

/// `text` parsed as `T`, or an error naming `what`.
fn parse<T: FromStr>(what: &str, text: &str) -> Result<T, CliError>
where
    T::Err: Display,
{
    text.parse::<T>()
        .map_err(|e| CliError::usage(format!("{what}: {text:?} is not valid: {e}")))
}

impl Args<'_> {
    fn string(&self, flag: &str) -> Option<&String> {
        self.matches.try_get_one::<String>(flag).ok().flatten()
    }

    /// The target's value as `T`.
    pub(crate) fn target<T: FromStr>(&self) -> Result<T, CliError>
    where
        T::Err: Display,
    {
        let name = match self.spec.target {
            Target::Scope(flag) => format!("--{flag}"),
            _ => "ID".to_owned(),
        };
        let value = self
            .target
            .as_deref()
            .ok_or_else(|| CliError::usage(format!("{name} is required")))?;
        parse(&name, value)
    }

    /// `--flag`'s value as `T`, if given.
    pub(crate) fn value<T: FromStr>(&self, flag: &str) -> Result<Option<T>, CliError>
    where
        T::Err: Display,
    {
        self.string(flag)
            .map(|text| parse(&format!("--{flag}"), text))
            .transpose()
    }

    /// Every `--flag` value as `T`, if any was given.
    pub(crate) fn many<T: FromStr>(&self, flag: &str) -> Result<Option<Vec<T>>, CliError>
    where
        T::Err: Display,
    {
        let Some(values) = self.matches.try_get_many::<String>(flag).ok().flatten() else {
            return Ok(None);
        };
        values
            .map(|text| parse(&format!("--{flag}"), text))
            .collect::<Result<Vec<T>, _>>()
            .map(Some)
    }

    /// The file `--flag` names, read, if given.
    pub(crate) async fn file(&self, flag: &str) -> Result<Option<nectar_api::FilePart>, CliError> {
        let Some(path) = self.string(flag) else {
            return Ok(None);
        };
        nectar_api::FilePart::from_path_async(path)
            .await
            .map(Some)
            .map_err(|e| CliError::usage(format!("--{flag} {path}: {e}")))
    }

    /// The JSON body: `--body FILE|-` (an object), with each body-field flag given set on it.
    pub(crate) fn body<T: DeserializeOwned>(&self) -> Result<T, CliError> {
        let mut body = match self.string(BODY).map(String::as_str) {
            None => serde_json::Value::Object(serde_json::Map::new()),
            Some(source) => {
                let text = if source == "-" {
                    std::io::read_to_string(std::io::stdin())
                        .map_err(|e| CliError::usage(format!("--body -: reading stdin: {e}")))?
                } else {
                    std::fs::read_to_string(source)
                        .map_err(|e| CliError::usage(format!("--body {source}: {e}")))?
                };
                serde_json::from_str(&text)
                    .map_err(|e| CliError::usage(format!("--body {source}: not JSON: {e}")))?
            }
        };
        let fields = self.spec.args.iter().flat_map(|arg| match arg {
            Arg::Body { fields } => fields.iter(),
            _ => [].iter(),
        });
        for field in fields {
            let Some(text) = self.string(field.flag) else {
                continue;
            };
            let value = match field.kind {
                FieldKind::String => serde_json::Value::String(text.clone()),
                FieldKind::Bool => {
                    serde_json::Value::Bool(parse(&format!("--{}", field.flag), text)?)
                }
                FieldKind::Number => serde_json::Value::Number(parse::<serde_json::Number>(
                    &format!("--{}", field.flag),
                    text,
                )?),
            };
            let serde_json::Value::Object(map) = &mut body else {
                return Err(CliError::usage(
                    "--body: a flag sets a field, but the body is not a JSON object".to_owned(),
                ));
            };
            map.insert(field.json.to_owned(), value);
        }
        serde_json::from_value(body).map_err(|e| {
            CliError::usage(format!(
                "the body does not fit {}: {e} (see `nectar {} {} --help`)",
                self.spec.operation, self.spec.noun, self.spec.verb
            ))
        })
    }
}
