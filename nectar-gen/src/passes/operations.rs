//! `generated/operations.rs`: what the handwritten layer needs to know about the spec at run
//! time, derived from it so nothing is kept by hand.
//!
//! - `OPERATIONS`: every operation's id, method and path template, sorted by id. Logs and errors
//!   name an operation by id and template, never by the URL (which carries ids and query values
//!   such as e-mail addresses).
//! - `SENSITIVE_FIELDS`: the name of every property the spec marks sensitive (`format: password`
//!   or `x-sensitive: true`), anywhere in a component. Raw bodies kept in errors, and JSON values
//!   printed by `Debug` (webhook `extra` maps, unknown events), have these fields redacted.

use std::collections::BTreeSet;

use openapiv3 as oa;
use proc_macro2::TokenStream;
use quote::quote;

use crate::{Error, read};

/// The tokens of `generated/operations.rs`.
pub(crate) fn generate(spec: &oa::OpenAPI) -> Result<TokenStream, Error> {
    let mut operations: Vec<(String, String, String)> = read::operations(spec)
        .map(|(path, method, operation)| {
            let id = operation
                .operation_id
                .clone()
                .ok_or_else(|| Error::Spec(format!("{method} {path} has no operationId")))?;
            Ok((id, method.to_ascii_uppercase(), path.to_owned()))
        })
        .collect::<Result<_, Error>>()?;
    operations.sort();
    let rows = operations.iter().map(|(id, method, path)| {
        quote! { Operation { id: #id, method: #method, path: #path }, }
    });
    let sensitive = sensitive_fields(spec).into_iter();
    Ok(quote! {
        //! What the handwritten layer needs to know about the spec at run time.

        /// An operation of the spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Operation {
            /// Its `operationId`, also the client method's name.
            pub id: &'static str,
            /// Its HTTP method.
            pub method: &'static str,
            /// Its path template, e.g. `/company/{company_id}`.
            pub path: &'static str,
        }

        /// Every operation, sorted by id.
        pub const OPERATIONS: &[Operation] = &[#(#rows)*];

        /// The operation with this id.
        pub fn operation(id: &str) -> ::std::option::Option<&'static Operation> {
            OPERATIONS
                .binary_search_by(|operation| operation.id.cmp(id))
                .ok()
                .map(|index| &OPERATIONS[index])
        }

        /// Every property name the spec marks sensitive (`format: password`, `x-sensitive`).
        pub const SENSITIVE_FIELDS: &[&str] = &[#(#sensitive),*];
    })
}

/// Names of the properties, in any component (nested objects included), whose schema is
/// sensitive, directly or through `allOf`/`oneOf`/`anyOf` or a referenced component.
pub(crate) fn sensitive_fields(spec: &oa::OpenAPI) -> BTreeSet<String> {
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    let resolve = |schema: &oa::ReferenceOr<oa::Schema>| -> Option<serde_json::Value> {
        match schema {
            oa::ReferenceOr::Item(item) => serde_json::to_value(item).ok(),
            oa::ReferenceOr::Reference { reference } => {
                let name = reference.rsplit('/').next()?;
                serde_json::to_value(schemas?.get(name)?.as_item()?).ok()
            }
        }
    };
    let sensitive_component = |name: &str| {
        schemas
            .and_then(|s| s.get(name))
            .and_then(resolve)
            .is_some_and(|value| is_sensitive(&value, &|_| false))
    };
    let mut names = BTreeSet::new();
    for schema in schemas.into_iter().flat_map(|s| s.values()) {
        let Some(value) = resolve(schema) else {
            continue;
        };
        let mut stack = vec![&value];
        while let Some(value) = stack.pop() {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                        for (name, property) in properties {
                            if is_sensitive(property, &sensitive_component) {
                                names.insert(name.clone());
                            }
                        }
                    }
                    stack.extend(map.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    names
}

/// Whether a property schema is sensitive itself, or wraps (`allOf`, `oneOf`, `anyOf`, a `$ref`)
/// a sensitive one.
fn is_sensitive(schema: &serde_json::Value, component: &dyn Fn(&str) -> bool) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    if map.get("format").and_then(|f| f.as_str()) == Some("password")
        || map.get("x-sensitive") == Some(&serde_json::Value::Bool(true))
    {
        return true;
    }
    if let Some(reference) = map.get("$ref").and_then(|r| r.as_str()) {
        return reference.rsplit('/').next().is_some_and(component);
    }
    ["allOf", "oneOf", "anyOf"].iter().any(|key| {
        map.get(*key)
            .and_then(|members| members.as_array())
            .is_some_and(|members| members.iter().any(|m| is_sensitive(m, component)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_secrets_are_found_and_nothing_else() {
        let spec = crate::spec().unwrap();
        let names: Vec<String> = sensitive_fields(&spec).into_iter().collect();
        for secret in [
            "password",
            "companyMagicLinkSecret",
            "connectionMagicLinkSecret",
            "magicLinkUrl",
        ] {
            assert!(names.iter().any(|n| n == secret), "{secret} in {names:?}");
        }
        assert!(
            !names.iter().any(|n| n == "username" || n == "url"),
            "{names:?}"
        );
    }

    #[test]
    fn wrapped_and_referenced_secrets_count() {
        let component = |name: &str| name == "Token";
        let wrapped = serde_json::json!({"allOf": [{"type": "string", "format": "password"}]});
        assert!(is_sensitive(&wrapped, &component));
        let referenced = serde_json::json!({"$ref": "#/components/schemas/Token"});
        assert!(is_sensitive(&referenced, &component));
        let plain = serde_json::json!({"type": "string", "format": "email"});
        assert!(!is_sensitive(&plain, &component));
    }
}
