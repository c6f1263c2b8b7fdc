//! Checks the spec against what progenitor 0.15 can generate, before progenitor sees it.
//!
//! progenitor *panics* (with messages such as `assertion failed: response_types.len() <= 1` or
//! `key X is missing`) on several shapes of spec; each rule here names the operation or schema
//! and says what to change instead. What progenitor can and cannot do is summarised in
//! `passes/PROGENITOR.md`.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3 as oa;

use crate::read::{collect_refs, operations};

/// Every problem found, each naming the operation or schema and the fix; empty when the spec is
/// fine.
pub fn problems(spec: &oa::OpenAPI) -> Vec<String> {
    let mut problems = Vec::new();
    if !spec.openapi.starts_with("3.0.") {
        problems.push(format!(
            "openapi version is {:?}; progenitor reads only 3.0.x documents",
            spec.openapi
        ));
    }

    let components: BTreeMap<&str, &oa::ReferenceOr<oa::Schema>> = spec
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .map(|(name, schema)| (name.as_str(), schema))
        .collect();

    for name in components.keys() {
        let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
        if stem.len() < name.len() && components.contains_key(stem) {
            problems.push(format!(
                "schema {name} looks like a renamed duplicate of {stem}: two Rust types share the \
                 schema name {stem}; give one `#[schemars(rename = \"...\")]`"
            ));
        }
    }

    let mut refs = Vec::new();
    for (name, schema) in &components {
        collect_refs(schema, &format!("schema {name}"), &mut refs);
        if let oa::ReferenceOr::Item(schema) = schema
            && let Some(place) = closed_object(schema)
        {
            problems.push(format!(
                "schema {name}: {place} has additionalProperties: false; the bindings would \
                 reject any field Nectar adds (drop `deny_unknown_fields`)"
            ));
        }
    }

    let mut operation_ids = BTreeMap::new();
    for (path, method, operation) in operations(spec) {
        let place = format!("{} {path}", method.to_uppercase());
        let Some(id) = operation.operation_id.as_deref() else {
            problems.push(format!(
                "{place}: no operationId (it names the Rust method)"
            ));
            continue;
        };
        let place = format!("{place} ({id})");
        if let Some(other) = operation_ids.insert(id.to_owned(), place.clone()) {
            problems.push(format!("{place}: operationId {id} is also used by {other}"));
        }
        operation_problems(operation, &place, &mut problems, &mut refs);
        for placeholder in path_placeholders(path) {
            let declared = operation.parameters.iter().any(|p| {
                matches!(p, oa::ReferenceOr::Item(oa::Parameter::Path { parameter_data, .. })
                    if parameter_data.name == placeholder)
            });
            if !declared {
                problems.push(format!(
                    "{place}: path placeholder {{{placeholder}}} has no path parameter"
                ));
            }
        }
    }

    for (place, reference) in refs {
        match reference.strip_prefix("#/components/schemas/") {
            Some(name) if components.contains_key(name) => {}
            Some(name) => problems.push(format!(
                "{place}: refers to schema {name}, which is not a component"
            )),
            None => problems.push(format!(
                "{place}: reference {reference} is not of the form #/components/schemas/<name>"
            )),
        }
    }
    problems
}

fn operation_problems(
    operation: &oa::Operation,
    place: &str,
    problems: &mut Vec<String>,
    refs: &mut Vec<(String, String)>,
) {
    if operation.responses.default.is_some() {
        problems.push(format!(
            "{place}: has a `default` response; progenitor counts it as a success and an error \
             type at once. Document each status instead"
        ));
    }
    let mut success = BTreeSet::new();
    let mut failure = BTreeSet::new();
    for (status, response) in &operation.responses.responses {
        let oa::ReferenceOr::Item(response) = response else {
            problems.push(format!("{place}: response {status} is a $ref; inline it"));
            continue;
        };
        let kind = match response.content.len() {
            0 => "no body".to_owned(),
            1 => {
                let (media, content) = response
                    .content
                    .first()
                    .map_or(("", None), |(m, c)| (m.as_str(), c.schema.as_ref()));
                if let Some(schema) = content {
                    collect_refs(schema, &format!("{place} response {status}"), refs);
                }
                match content {
                    Some(oa::ReferenceOr::Reference { reference }) => {
                        format!("{media} {reference}")
                    }
                    Some(oa::ReferenceOr::Item(schema)) => {
                        format!(
                            "{media} {}",
                            serde_json::to_string(schema).unwrap_or_default()
                        )
                    }
                    None => format!("{media} without schema"),
                }
            }
            _ => {
                problems.push(format!(
                    "{place}: response {status} has several media types; progenitor takes one"
                ));
                continue;
            }
        };
        let code = match status {
            oa::StatusCode::Code(code) => *code,
            oa::StatusCode::Range(range) => range * 100,
        };
        match code {
            100..=399 => success.insert(kind),
            400..=599 => failure.insert(kind),
            _ => {
                problems.push(format!("{place}: status {status} is not an HTTP status"));
                continue;
            }
        };
    }
    if success.len() > 1 {
        problems.push(format!(
            "{place}: success responses have {} different bodies ({}); progenitor allows one",
            success.len(),
            success.into_iter().collect::<Vec<_>>().join(" | ")
        ));
    }
    if failure.len() > 1 {
        problems.push(format!(
            "{place}: error responses have {} different bodies ({}); progenitor allows one, so \
             every documented error must use ApiError",
            failure.len(),
            failure.into_iter().collect::<Vec<_>>().join(" | ")
        ));
    }
    if let Some(body) = &operation.request_body {
        match body {
            oa::ReferenceOr::Reference { .. } => {
                problems.push(format!("{place}: request body is a $ref; inline it"));
            }
            oa::ReferenceOr::Item(body) if body.content.len() != 1 => problems.push(format!(
                "{place}: request body has {} media types; progenitor takes exactly one",
                body.content.len()
            )),
            oa::ReferenceOr::Item(body) => {
                if let Some(schema) = body.content.values().next().and_then(|m| m.schema.as_ref()) {
                    collect_refs(schema, &format!("{place} request body"), refs);
                }
            }
        }
    }
    for parameter in &operation.parameters {
        let oa::ReferenceOr::Item(parameter) = parameter else {
            problems.push(format!("{place}: a parameter is a $ref; inline it"));
            continue;
        };
        let data = parameter.parameter_data_ref();
        match parameter {
            oa::Parameter::Query { style, .. } if *style != oa::QueryStyle::Form => {
                problems.push(format!(
                    "{place}: query parameter {} has style {style:?}; progenitor supports only \
                     form style",
                    data.name
                ));
            }
            oa::Parameter::Cookie { .. } => problems.push(format!(
                "{place}: cookie parameter {} is not supported by progenitor",
                data.name
            )),
            _ => {}
        }
        if let oa::ParameterSchemaOrContent::Schema(schema) = &data.format {
            collect_refs(schema, &format!("{place} parameter {}", data.name), refs);
        }
    }
}

fn path_placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// Where in the schema an object is closed with `additionalProperties: false`.
fn closed_object(schema: &oa::Schema) -> Option<String> {
    let value = serde_json::to_value(schema).ok()?;
    let mut stack = vec![(String::from("the schema"), &value)];
    while let Some((place, value)) = stack.pop() {
        if let serde_json::Value::Object(map) = value {
            if map.get("additionalProperties") == Some(&serde_json::Value::Bool(false)) {
                return Some(place);
            }
            if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                for (name, property) in properties {
                    stack.push((format!("property {name}"), property));
                }
            }
            if let Some(items) = map.get("items") {
                stack.push((format!("{place} items"), items));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(path: &str, operation: serde_json::Value) -> oa::OpenAPI {
        let mut document = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {
                "ApiError": {"type": "object", "properties": {"detail": {"type": "string"}}},
                "Other": {"type": "object"},
                "Thing": {"type": "object"},
            }}
        });
        document["paths"][path] = serde_json::json!({ "get": operation });
        serde_json::from_value(document).unwrap()
    }

    fn body(name: &str) -> serde_json::Value {
        serde_json::json!({"description": "d", "content": {"application/json": {
            "schema": {"$ref": format!("#/components/schemas/{name}")}}}})
    }

    #[test]
    fn a_good_operation_has_no_problems() {
        let spec = spec_with(
            "/thing",
            serde_json::json!({"operationId": "get_thing",
                "responses": {"200": body("Thing"), "404": body("ApiError")}}),
        );
        assert_eq!(problems(&spec), Vec::<String>::new());
    }

    #[test]
    fn two_error_bodies_are_named() {
        let spec = spec_with(
            "/thing",
            serde_json::json!({"operationId": "get_thing",
                "responses": {"200": body("Thing"), "400": body("ApiError"), "500": body("Other")}}),
        );
        let problems = problems(&spec);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .starts_with("GET /thing (get_thing): error responses have 2 different bodies"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn default_response_missing_ref_and_placeholder_are_named() {
        let spec = spec_with(
            "/thing/{thing_id}",
            serde_json::json!({"operationId": "get_thing",
                "responses": {"200": body("Missing"), "default": body("ApiError")}}),
        );
        let problems = problems(&spec).join("\n");
        assert!(problems.contains("has a `default` response"), "{problems}");
        assert!(
            problems.contains("refers to schema Missing, which is not a component"),
            "{problems}"
        );
        assert!(
            problems.contains("path placeholder {thing_id} has no path parameter"),
            "{problems}"
        );
    }

    #[test]
    fn renamed_duplicates_and_31_are_named() {
        let mut spec = spec_with(
            "/thing",
            serde_json::json!({"operationId": "get_thing", "responses": {"200": body("Thing")}}),
        );
        spec.openapi = "3.1.0".into();
        let components = spec.components.as_mut().unwrap();
        components.schemas.insert(
            "Thing2".into(),
            oa::ReferenceOr::Item(
                serde_json::from_value(serde_json::json!({"type": "object"})).unwrap(),
            ),
        );
        let problems = problems(&spec).join("\n");
        assert!(
            problems.contains("openapi version is \"3.1.0\""),
            "{problems}"
        );
        assert!(
            problems.contains("schema Thing2 looks like a renamed duplicate of Thing"),
            "{problems}"
        );
    }
}
