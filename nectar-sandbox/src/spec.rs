//! The API's OpenAPI document as a validator: the emulator checks request bodies with it, and the
//! conformance test checks every response the emulator sends, so the two cannot drift apart.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The committed spec, embedded so the emulator needs no files: `openapi.json` in this package is
/// a copy of the workspace's `spec/openapi.json`, written and checked by `cargo xtask codegen`.
/// Hidden from the documentation (its page would be the whole 368 KB document); [`Spec::load`]
/// reads it.
#[doc(hidden)]
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// One documented operation.
#[derive(Debug)]
pub struct Operation {
    /// `operationId`, which is also the Rust method name.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template relative to the base URL, e.g. `/site/{site_id}`.
    pub path: String,
    /// Component name of the JSON request body, if any.
    pub request_body: Option<String>,
    /// Documented statuses, each with the JSON schema of its body (`None`: no body).
    pub responses: BTreeMap<u16, Option<Value>>,
}

/// The operations of the spec and a JSON Schema validator for any of its schemas.
pub struct Spec {
    operations: Vec<Operation>,
    definitions: Value,
    /// One compiled validator per component, built once.
    components: BTreeMap<String, jsonschema::Validator>,
}

/// A document that does not match a schema; one line per problem, each with the JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub Vec<String>);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl Spec {
    /// Reads the embedded spec.
    pub fn load() -> Self {
        let document: Value = serde_json::from_str(OPENAPI_JSON)
            // Proven: the file is generated JSON, and `cargo xtask codegen --check` and the
            // freshness test keep it identical to the spec the generator wrote.
            .expect("openapi.json is JSON (it is generated)");
        Self::from_document(&document)
    }

    /// Reads a spec document.
    pub fn from_document(document: &Value) -> Self {
        let mut definitions = Map::new();
        if let Some(schemas) = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (name, schema) in schemas {
                definitions.insert(name.clone(), to_json_schema(schema));
            }
        }
        let mut operations = Vec::new();
        if let Some(paths) = document.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, operation) in item {
                    let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                        continue;
                    };
                    let request_body = operation
                        .pointer("/requestBody/content/application~1json/schema/$ref")
                        .and_then(Value::as_str)
                        .map(component_name);
                    let mut responses = BTreeMap::new();
                    if let Some(map) = operation.get("responses").and_then(Value::as_object) {
                        for (status, response) in map {
                            let Ok(status) = status.parse::<u16>() else {
                                continue;
                            };
                            let schema = response
                                .pointer("/content/application~1json/schema")
                                .map(to_json_schema);
                            responses.insert(status, schema);
                        }
                    }
                    operations.push(Operation {
                        id: id.to_owned(),
                        method: method.to_uppercase(),
                        path: path.clone(),
                        request_body,
                        responses,
                    });
                }
            }
        }
        let definitions = Value::Object(definitions);
        let components = definitions
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, _)| {
                let schema = json!({ "$ref": format!("#/definitions/{name}") });
                compile(&schema, &definitions)
                    .ok()
                    .map(|v| (name.clone(), v))
            })
            .collect();
        Self {
            operations,
            definitions,
            components,
        }
    }

    /// Every documented operation.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this id.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// Validates `instance` against a schema in OpenAPI form (typically `{"$ref": ...}`).
    pub fn check(&self, schema: &Value, instance: &Value) -> Result<(), Mismatch> {
        let validator = compile(schema, &self.definitions)
            .map_err(|e| Mismatch(vec![format!("the schema does not compile: {e}")]))?;
        problems(&validator, instance)
    }

    /// Validates `instance` against the component schema `name`.
    pub fn check_component(&self, name: &str, instance: &Value) -> Result<(), Mismatch> {
        match self.components.get(name) {
            Some(validator) => problems(validator, instance),
            None => Err(Mismatch(vec![format!("the spec has no schema {name}")])),
        }
    }
}

fn compile(schema: &Value, definitions: &Value) -> Result<jsonschema::Validator, String> {
    let root = json!({ "allOf": [schema], "definitions": definitions });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| e.to_string())
}

fn problems(validator: &jsonschema::Validator, instance: &Value) -> Result<(), Mismatch> {
    let problems: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| {
            let path = error.instance_path().to_string();
            let path = path.trim_start_matches('/').replace('/', ".");
            if path.is_empty() {
                error.to_string()
            } else {
                format!("{path}: {error}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Mismatch(problems))
    }
}

fn component_name(reference: &str) -> String {
    reference.rsplit('/').next().unwrap_or(reference).to_owned()
}

/// OpenAPI schema -> JSON Schema 2020-12 (which, unlike draft 7, knows the `uuid` format). The
/// spec file is OpenAPI 3.1, whose schemas are JSON Schema 2020-12 already; an OpenAPI 3.0
/// `nullable: true` (a schema of the user's) still becomes a `null` alternative,
/// references point into `definitions`, and extensions and `example` go.
///
/// An open enum (`x-nectar-open-enum`: `oneOf: [{$ref: E}, {type: string, not: {$ref: E}}]`, which lets
/// generated clients keep values Nectar adds) is read closed: the emulator's answers are checked
/// against the values the docs show, so a typo in the emulator is still caught.
pub fn to_json_schema(schema: &Value) -> Value {
    if let Value::Object(map) = schema
        && map.get("x-nectar-open-enum") == Some(&Value::Bool(true))
        && let Some(Value::Array(branches)) = map.get("oneOf").or_else(|| map.get("anyOf"))
        && let [known, open] = branches.as_slice()
    {
        let mut closed = map.clone();
        closed.remove("oneOf");
        let mut only = vec![known.clone()];
        // Nullable: OpenAPI 3.0's `nullable: true`, or 3.1's `type: [string, "null"]`.
        let nullable = open.get("nullable") == Some(&Value::Bool(true))
            || open
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|types| types.contains(&json!("null")));
        if nullable {
            only.push(json!({ "type": "null" }));
        }
        closed.insert("anyOf".to_owned(), Value::Array(only));
        closed.remove("x-nectar-open-enum");
        return to_json_schema(&Value::Object(closed));
    }
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "nullable" | "example" | "deprecated" => {}
                    key if key.starts_with("x-") => {}
                    "$ref" => {
                        let name = value.as_str().map(component_name).unwrap_or_default();
                        out.insert(key.to_owned(), json!(format!("#/definitions/{name}")));
                    }
                    // Property names are data, not keywords: keep them, convert their schemas.
                    "properties" => {
                        let properties = value
                            .as_object()
                            .map(|p| {
                                p.iter()
                                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(key.to_owned(), Value::Object(properties));
                    }
                    _ => {
                        out.insert(key.to_owned(), to_json_schema(value));
                    }
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(kind)) => {
                        out.insert("type".into(), json!([kind, "null"]));
                        if let Some(Value::Array(values)) = out.get_mut("enum") {
                            values.push(Value::Null);
                        }
                        Value::Object(out)
                    }
                    _ => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
                }
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_null_alternative() {
        assert_eq!(
            to_json_schema(&json!({"type": "string", "nullable": true, "x-sensitive": true})),
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            to_json_schema(
                &json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/A"}]})
            ),
            json!({"anyOf": [{"allOf": [{"$ref": "#/definitions/A"}]}, {"type": "null"}]})
        );
    }

    #[test]
    fn open_enums_are_checked_closed() {
        let spec = Spec::load();
        let mut connection = json!({ "status": "CONNECTED" });
        let schema = json!({ "$ref": "#/definitions/Connection" });
        let status = |spec: &Spec, value: &Value| {
            spec.check(&schema, value)
                .err()
                .map(|m| m.to_string())
                .filter(|m| m.contains("SUSPENDED"))
        };
        assert_eq!(status(&spec, &connection), None);
        connection["status"] = json!("SUSPENDED");
        assert!(
            status(&spec, &connection).is_some(),
            "an unknown status passes"
        );
        let document = json!({ "chargesUnits": null });
        let charges = spec
            .check(&json!({ "$ref": "#/definitions/Document" }), &document)
            .err()
            .map(|m| m.to_string())
            .unwrap_or_default();
        assert!(
            !charges.contains("chargesUnits") && !charges.contains("null"),
            "null is allowed: {charges}"
        );
    }

    #[test]
    fn the_spec_checks_documents_and_names_the_problem() {
        let spec = Spec::load();
        let site = json!({
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "name": "Plant",
            "dataCollectionStopDate": null,
        });
        assert_eq!(spec.check_component("Site", &site), Ok(()));

        let mut broken = site.clone();
        broken["id"] = json!("not-a-uuid");
        broken
            .as_object_mut()
            .unwrap()
            .remove("dataCollectionStopDate");
        let problems = spec
            .check_component("Site", &broken)
            .unwrap_err()
            .to_string();
        assert!(problems.contains("id: "), "{problems}");
        assert!(problems.contains("dataCollectionStopDate"), "{problems}");
        assert!(spec.operation("list_company_connections").is_some());
    }
}
