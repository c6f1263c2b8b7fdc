//! `nectar-cli/src/generated/commands.rs`: one command of the `nectar` binary per operation,
//! derived from the spec and from the generated client, so nothing is kept by hand.
//!
//! - **Where a command lives** comes from the API description: the noun is the operation's tag
//!   (`companies`, `connections`, ...; `misc` puts it at the top), the verb the operationId's
//!   first word plus whatever words name neither the resource nor the ids it takes
//!   (`list_company_documents` -> `documents list --company ID`, `create_company_magic_link` ->
//!   `connections create-magic-link --company ID`, `get_usage_data` -> `usage get ID`).
//! - **Its target**: a path id right after the resource's own root (`/document/{document_id}`)
//!   is the positional `ID`; one after another segment (`/document/site/{site_id}`) is a flag
//!   named by that segment (`--site`). Operations with the same noun and verb (a list by company,
//!   by site or by connection) are one command whose target picks the operation.
//! - **Its flags**: every other setter of the operation's generated builder, with the type the
//!   builder takes (read from the generated client, so a flag parses exactly what the client
//!   accepts) and the spec's description as help; a JSON body from `--body FILE|-`, and a flag for
//!   each top-level scalar property of the body schema.
//! - **What it runs**: the typed builder, through the library's pager for list operations.

use std::collections::BTreeMap;

use openapiv3 as oa;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::{Error, read};

/// The generated file of nectar-cli.
pub const CLI_COMMANDS: &str = "nectar-cli/src/generated/commands.rs";

/// A setter of a generated builder: its name and the type it takes (`TryInto<T>`).
struct Setter {
    name: String,
    ty: syn::Type,
}

/// The setters of every builder of the generated client, by builder name.
fn setters(client: &syn::File) -> BTreeMap<String, Vec<Setter>> {
    let mut out = BTreeMap::new();
    for item in &client.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        let Some((_, items)) = &module.content else {
            continue;
        };
        for item in items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let syn::Type::Path(path) = block.self_ty.as_ref() else {
                continue;
            };
            let Some(builder) = path.path.segments.last() else {
                continue;
            };
            let list: &mut Vec<Setter> = out.entry(builder.ident.to_string()).or_default();
            for member in &block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                if let Some(ty) = try_into_type(&function.sig) {
                    list.push(Setter {
                        name: function.sig.ident.to_string(),
                        ty,
                    });
                }
            }
        }
    }
    out
}

/// `T` of a setter `fn name<V>(self, value: V) -> Self where V: TryInto<T>`.
fn try_into_type(signature: &syn::Signature) -> Option<syn::Type> {
    let clause = signature.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|predicate| {
        let syn::WherePredicate::Type(predicate) = predicate else {
            return None;
        };
        predicate.bounds.iter().find_map(|bound| {
            let syn::TypeParamBound::Trait(bound) = bound else {
                return None;
            };
            let last = bound.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
                return None;
            };
            match arguments.args.first()? {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            }
        })
    })
}

/// A type of the generated client as nectar-cli names it (`types::X` -> `nectar_api::types::X`).
fn public_type(ty: &syn::Type) -> Result<TokenStream, Error> {
    let text = quote!(#ty).to_string().replace(' ', "");
    let text = text
        .replace("crate::generated::enums::", "nectar_api::types::")
        .replace("::uuid::", "nectar_api::uuid::")
        .replace("::chrono::", "nectar_api::chrono::")
        .replace("crate::FilePart", "nectar_api::FilePart");
    let text = if let Some(rest) = text.strip_prefix("types::") {
        format!("nectar_api::types::{rest}")
    } else {
        text
    };
    text.parse()
        .map_err(|e| Error::Render(format!("cli: type {text}: {e}")))
}

/// The builders that page (`impl PagedRequest for builder::X`).
fn paged(pages: &syn::File) -> Vec<String> {
    pages
        .items
        .iter()
        .filter_map(|item| {
            let syn::Item::Impl(block) = item else {
                return None;
            };
            let (trait_path, _) = block.trait_.as_ref()?;
            if trait_path.segments.last()?.ident != "PagedRequest" {
                return None;
            }
            let syn::Type::Path(path) = block.self_ty.as_ref() else {
                return None;
            };
            Some(path.path.segments.last()?.ident.to_string())
        })
        .collect()
}

/// `camelCase` or `snake_case` as a flag: `datasource-type`.
fn kebab(name: &str) -> String {
    read::snake(name).replace('_', "-")
}

/// The singular and plural of a tag or path root, to drop from a verb.
fn forms(word: &str) -> Vec<String> {
    let mut out = vec![word.to_owned()];
    if let Some(singular) = word.strip_suffix("ies") {
        out.push(format!("{singular}y"));
    } else if let Some(singular) = word.strip_suffix('s') {
        out.push(singular.to_owned());
    } else {
        out.push(format!("{word}s"));
    }
    out
}

/// A parameter of an operation, resolved.
fn parameter<'a>(
    spec: &'a oa::OpenAPI,
    parameter: &'a oa::ReferenceOr<oa::Parameter>,
) -> Option<&'a oa::Parameter> {
    match parameter {
        oa::ReferenceOr::Item(item) => Some(item),
        oa::ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next()?;
            spec.components.as_ref()?.parameters.get(name)?.as_item()
        }
    }
}

/// A schema, resolved one level.
fn resolve<'a>(
    spec: &'a oa::OpenAPI,
    schema: &'a oa::ReferenceOr<oa::Schema>,
) -> Option<&'a oa::Schema> {
    match schema {
        oa::ReferenceOr::Item(item) => Some(item),
        oa::ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next()?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

/// The kind of a body property a flag can set, if it is a scalar: a string (an enum too), a
/// boolean or a number, also wrapped in `allOf` of one schema or `anyOf`/`oneOf` with `null`.
fn scalar_kind(spec: &oa::OpenAPI, schema: &oa::ReferenceOr<oa::Schema>) -> Option<&'static str> {
    let schema = resolve(spec, schema)?;
    match &schema.schema_kind {
        oa::SchemaKind::Type(oa::Type::String(_)) => Some("String"),
        oa::SchemaKind::Type(oa::Type::Boolean(_)) => Some("Bool"),
        oa::SchemaKind::Type(oa::Type::Integer(_) | oa::Type::Number(_)) => Some("Number"),
        oa::SchemaKind::AllOf { all_of: members }
        | oa::SchemaKind::AnyOf { any_of: members }
        | oa::SchemaKind::OneOf { one_of: members } => {
            let kinds: Vec<Option<&'static str>> = members
                .iter()
                .filter(|m| !is_null(spec, m))
                .map(|m| scalar_kind(spec, m))
                .collect();
            match kinds.as_slice() {
                [kind] => *kind,
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a schema only admits `null` (`{nullable: true, enum: [null]}` and the like).
fn is_null(spec: &oa::OpenAPI, schema: &oa::ReferenceOr<oa::Schema>) -> bool {
    resolve(spec, schema).is_some_and(|s| {
        let value = serde_json::to_value(s).unwrap_or_default();
        value
            .get("enum")
            .and_then(|e| e.as_array())
            .is_some_and(|e| e.iter().all(|v| v.is_null()))
    })
}

/// One command, before rendering.
struct Command {
    noun: String,
    verb: String,
    operation: String,
    about: String,
    deprecated: bool,
    /// `None`: no target; `Some(None)`: the positional id; `Some(Some(flag))`: a scope flag.
    target: Option<(String, Option<String>)>,
    args: Vec<TokenStream>,
    calls: Vec<TokenStream>,
    paged: bool,
}

/// The tokens of `nectar-cli/src/generated/commands.rs`.
pub(crate) fn generate(
    spec: &oa::OpenAPI,
    client: &syn::File,
    pages: &syn::File,
) -> Result<TokenStream, Error> {
    let setters = setters(client);
    let paged = paged(pages);
    let mut commands = Vec::new();
    for (path, method, operation) in read::operations(spec) {
        let id = operation
            .operation_id
            .clone()
            .ok_or_else(|| Error::Spec(format!("{method} {path} has no operationId")))?;
        let builder = crate::passes::open_enum::variant_name(&id);
        let builder_setters = setters.get(&builder).ok_or_else(|| {
            Error::Render(format!(
                "cli: no builder::{builder} in the generated client"
            ))
        })?;
        let tag = operation.tags.first().cloned().unwrap_or_default();
        let noun = if tag == "misc" {
            String::new()
        } else {
            tag.clone()
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let root = segments.first().copied().unwrap_or_default();

        // Path parameters: the target.
        let mut target = None;
        let mut id_words: Vec<String> = Vec::new();
        let mut path_params = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                continue;
            };
            let before = if index > 0 { segments[index - 1] } else { "" };
            let flag = if before == root {
                None
            } else {
                Some(before.to_owned())
            };
            if let Some(flag) = &flag {
                id_words.push(flag.clone());
            } else {
                id_words.extend(name.trim_end_matches("_id").split('_').map(str::to_owned));
            }
            if target.is_some() {
                return Err(Error::Render(format!(
                    "cli: {id} has more than one path id; the command layout takes one"
                )));
            }
            target = Some((name.to_owned(), flag));
            path_params.push(name.to_owned());
        }

        // The verb: the operationId's words, less the resource and the ids.
        let mut drop: Vec<String> = forms(&tag);
        drop.extend(forms(root));
        drop.extend(id_words.iter().flat_map(|w| forms(w)));
        let words: Vec<&str> = id.split('_').collect();
        let verb = std::iter::once(words[0].to_owned())
            .chain(
                words[1..]
                    .iter()
                    .filter(|w| !drop.iter().any(|d| d == *w))
                    .map(|w| (*w).to_owned()),
            )
            .collect::<Vec<_>>()
            .join("-");

        let about = operation
            .summary
            .clone()
            .or_else(|| operation.description.clone())
            .unwrap_or_default();
        let descriptions: BTreeMap<String, String> = operation
            .parameters
            .iter()
            .filter_map(|p| parameter(spec, p))
            .map(|p| {
                let data = p.parameter_data_ref();
                (
                    read::snake(&data.name),
                    data.description.clone().unwrap_or_default(),
                )
            })
            .collect();

        let mut args = Vec::new();
        let mut calls = Vec::new();
        for setter in builder_setters {
            let name = &setter.name;
            let method_ident = format_ident!("{}", name);
            let ty = public_type(&setter.ty)?;
            let type_text = ty.to_string().replace(' ', "");
            if path_params.iter().any(|p| p == name) {
                calls.push(quote! {
                    request = request.#method_ident(args.target::<#ty>()?);
                });
                continue;
            }
            if name == "page" && paged.contains(&builder) {
                continue;
            }
            let flag = kebab(name);
            if name == "body" {
                // The body: `--body FILE|-`, and a flag per top-level scalar property.
                let schema = operation
                    .request_body
                    .as_ref()
                    .and_then(|b| b.as_item())
                    .and_then(|b| read::json_body(&b.content))
                    .and_then(|s| resolve(spec, s));
                let mut fields = Vec::new();
                if let Some(oa::SchemaKind::Type(oa::Type::Object(object))) =
                    schema.map(|s| &s.schema_kind)
                {
                    for (property, property_schema) in &object.properties {
                        let boxed = match property_schema {
                            oa::ReferenceOr::Item(b) => oa::ReferenceOr::Item((**b).clone()),
                            oa::ReferenceOr::Reference { reference } => {
                                oa::ReferenceOr::Reference {
                                    reference: reference.clone(),
                                }
                            }
                        };
                        let Some(kind) = scalar_kind(spec, &boxed) else {
                            continue;
                        };
                        let own = match &boxed {
                            oa::ReferenceOr::Item(item) => item.schema_data.description.clone(),
                            oa::ReferenceOr::Reference { .. } => None,
                        };
                        let help = own
                            .or_else(|| {
                                resolve(spec, &boxed)
                                    .and_then(|s| s.schema_data.description.clone())
                            })
                            .unwrap_or_default();
                        let flag = kebab(property);
                        let kind = format_ident!("{}", kind);
                        fields.push(quote! {
                            BodyField { flag: #flag, json: #property, kind: FieldKind::#kind, help: #help },
                        });
                    }
                }
                args.push(quote! {
                    Arg::Body { fields: &[#(#fields)*] },
                });
                calls.push(quote! {
                    request = request.body(args.body::<#ty>()?);
                });
                continue;
            }
            let help = descriptions.get(name).cloned().unwrap_or_default();
            if type_text.starts_with("::std::vec::Vec<") {
                let inner = type_text
                    .trim_start_matches("::std::vec::Vec<")
                    .trim_end_matches('>');
                let inner: TokenStream = inner
                    .parse()
                    .map_err(|e| Error::Render(format!("cli: {inner}: {e}")))?;
                args.push(quote! { Arg::Many { flag: #flag, help: #help }, });
                calls.push(quote! {
                    if let Some(values) = args.many::<#inner>(#flag)? {
                        request = request.#method_ident(values);
                    }
                });
            } else if type_text == "nectar_api::FilePart" {
                args.push(quote! { Arg::File { flag: #flag, help: #help }, });
                calls.push(quote! {
                    if let Some(file) = args.file(#flag).await? {
                        request = request.#method_ident(file);
                    }
                });
            } else if type_text == "bool" {
                args.push(quote! { Arg::Bool { flag: #flag, help: #help }, });
                calls.push(quote! {
                    if let Some(value) = args.value::<bool>(#flag)? {
                        request = request.#method_ident(value);
                    }
                });
            } else {
                args.push(quote! { Arg::Value { flag: #flag, help: #help }, });
                calls.push(quote! {
                    if let Some(value) = args.value::<#ty>(#flag)? {
                        request = request.#method_ident(value);
                    }
                });
            }
        }
        let deprecated = operation.deprecated;
        let is_paged = paged.contains(&builder);
        commands.push(Command {
            noun,
            verb,
            operation: id,
            about,
            deprecated,
            target,
            args,
            calls,
            paged: is_paged,
        });
    }
    commands
        .sort_by(|a, b| (&a.noun, &a.verb, &a.operation).cmp(&(&b.noun, &b.verb, &b.operation)));

    let rows = commands.iter().map(|c| {
        let Command {
            noun,
            verb,
            operation,
            about,
            deprecated,
            target,
            args,
            paged,
            ..
        } = c;
        let target = match target {
            None => quote!(Target::None),
            Some((_, None)) => quote!(Target::Id),
            Some((_, Some(flag))) => quote!(Target::Scope(#flag)),
        };
        quote! {
            CommandSpec {
                noun: #noun,
                verb: #verb,
                operation: #operation,
                about: #about,
                deprecated: #deprecated,
                target: #target,
                lists: #paged,
                args: &[#(#args)*],
            },
        }
    });
    let nouns = spec.tags.iter().filter(|t| t.name != "misc").map(|tag| {
        let name = &tag.name;
        let about = tag.description.clone().unwrap_or_default();
        quote! { (#name, #about), }
    });
    let arms = commands.iter().map(|c| {
        let operation = &c.operation;
        let method = format_ident!("{}", c.operation);
        let calls = &c.calls;
        let finish = if c.paged {
            quote!(out.list(request).await)
        } else {
            quote!(out.one(request.send().await).await)
        };
        let allow = c.deprecated.then(|| quote!(#[allow(deprecated)]));
        let binding = if calls.is_empty() {
            quote!(let request)
        } else {
            quote!(let mut request)
        };
        quote! {
            #operation => {
                #allow
                #binding = client.#method();
                #(#calls)*
                #finish
            }
        }
    });
    Ok(quote! {
        //! One command per operation of the spec: where it lives, its flags, and the typed call it
        //! makes. Generated by nectar-gen's `passes/cli.rs`.

        use crate::{
            args::Args,
            command::{Arg, BodyField, CommandSpec, FieldKind, Target},
            error::CliError,
            output::Output,
        };

        /// Every noun (the spec's tags) and what it is about.
        pub(crate) const NOUNS: &[(&str, &str)] = &[#(#nouns)*];

        /// Every generated command, sorted by noun, verb and operation.
        pub(crate) const COMMANDS: &[CommandSpec] = &[#(#rows)*];

        /// Runs `operation` with the flags the user gave, writing its answer to `out`.
        pub(crate) async fn run(
            operation: &str,
            client: &nectar_api::Client,
            args: &Args<'_>,
            out: &mut Output,
        ) -> Result<(), CliError> {
            match operation {
                #(#arms)*
                other => Err(CliError::usage(format!("no operation {other}"))),
            }
        }
    })
}
