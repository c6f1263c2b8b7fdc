//! Reading the spec: the helpers every generator pass and check uses to walk operations, find an
//! operation's JSON body or answer and the component it names, and spell names as the generated
//! code does. No rule of progenitor's lives here (those are `checks::progenitor`).

use std::collections::BTreeSet;

use openapiv3 as oa;

/// Every operation as (path, method, operation), in document order.
pub(crate) fn operations(
    spec: &oa::OpenAPI,
) -> impl Iterator<Item = (&str, &'static str, &oa::Operation)> {
    spec.paths.paths.iter().flat_map(|(path, item)| {
        let item = item.as_item();
        [
            ("get", item.and_then(|i| i.get.as_ref())),
            ("put", item.and_then(|i| i.put.as_ref())),
            ("post", item.and_then(|i| i.post.as_ref())),
            ("delete", item.and_then(|i| i.delete.as_ref())),
            ("options", item.and_then(|i| i.options.as_ref())),
            ("head", item.and_then(|i| i.head.as_ref())),
            ("patch", item.and_then(|i| i.patch.as_ref())),
            ("trace", item.and_then(|i| i.trace.as_ref())),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| operation.map(|op| (path.as_str(), method, op)))
    })
}

/// The `application/json` schema of a request body or an answer, if it has one.
pub(crate) fn json_body(
    content: &indexmap::IndexMap<String, oa::MediaType>,
) -> Option<&oa::ReferenceOr<oa::Schema>> {
    content.get("application/json")?.schema.as_ref()
}

/// The JSON schema of an operation's answer with `status`, if the spec documents one.
pub(crate) fn json_answer(
    operation: &oa::Operation,
    status: u16,
) -> Option<&oa::ReferenceOr<oa::Schema>> {
    let response = operation
        .responses
        .responses
        .get(&oa::StatusCode::Code(status))?;
    json_body(&response.as_item()?.content)
}

/// The component a schema refers to (`#/components/schemas/Site` -> `Site`); `None` for an
/// inline schema.
pub(crate) fn component_name(schema: &oa::ReferenceOr<oa::Schema>) -> Option<&str> {
    match schema {
        oa::ReferenceOr::Reference { reference } => reference.rsplit('/').next(),
        oa::ReferenceOr::Item(_) => None,
    }
}

/// Every `$ref` in a schema (without following references), with where it was found.
pub(crate) fn collect_refs(
    schema: &oa::ReferenceOr<oa::Schema>,
    place: &str,
    out: &mut Vec<(String, String)>,
) {
    let value = serde_json::to_value(schema).unwrap_or_default();
    let mut stack = vec![&value];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(reference)) = map.get("$ref") {
                    out.push((place.to_owned(), reference.clone()));
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}

/// A JSON or schema name as a Rust field or module name: `totalConnections` ->
/// `total_connections`, `UsageData` -> `usage_data`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Components reachable from request bodies and parameters.
pub(crate) fn input_components(spec: &oa::OpenAPI) -> BTreeSet<String> {
    let mut refs = Vec::new();
    for (_, _, operation) in operations(spec) {
        if let Some(oa::ReferenceOr::Item(body)) = &operation.request_body {
            for media in body.content.values() {
                if let Some(schema) = &media.schema {
                    collect_refs(schema, "", &mut refs);
                }
            }
        }
        for parameter in operation.parameters.iter().filter_map(|p| p.as_item()) {
            if let oa::ParameterSchemaOrContent::Schema(schema) =
                &parameter.parameter_data_ref().format
            {
                collect_refs(schema, "", &mut refs);
            }
        }
    }
    let components = spec.components.as_ref();
    let mut seen = BTreeSet::new();
    while let Some((_, reference)) = refs.pop() {
        let name = reference
            .trim_start_matches("#/components/schemas/")
            .to_owned();
        if seen.insert(name.clone())
            && let Some(schema) = components.and_then(|c| c.schemas.get(&name))
        {
            collect_refs(schema, "", &mut refs);
        }
    }
    seen
}
