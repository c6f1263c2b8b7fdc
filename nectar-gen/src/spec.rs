//! The spec: the API description assembled into one OpenAPI 3.0.3 document ([`spec`]), and that
//! document as the committed file ([`spec_json`]).

use indexmap::IndexMap;

use crate::{Error, api, dsl::operation::Api, oa, passes::links, read};

/// The OpenAPI 3.0.3 document of the documented API. Deterministic: paths and components are
/// sorted, so the same nectar-gen always gives the same document.
pub fn spec() -> Result<oa::OpenAPI, Error> {
    let mut description = Api::new();
    api::register(&mut description);
    let (mut paths, schemas) = description.finish()?;
    links::add(&mut paths, &schemas);
    Ok(api::document(paths, schemas))
}

/// The spec as committed in `spec/openapi.json`: **OpenAPI 3.1** (the bindings read [`spec`],
/// 3.0.3), pretty JSON with a final newline, with every reference to an enum or object written in
/// the form every outside tool reads alike and types exactly (measured with prism, schemathesis,
/// openapi-python-client, openapi-generator, openapi-typescript, datamodel-code-generator,
/// redocly and spectral; see `nectar-gen/src/api/DECISIONS.md`):
///
/// - **Enums in answers are open.** Nectar adds values (the docs show most value lists only in
///   part), so a property of a response-side component (one no request body or parameter
///   reaches) that refers to an enum `E` is `{title: "EOrUnknown", oneOf: [{$ref: E},
///   {type: string, not: {$ref: E}}], x-nectar-open-enum: true}` (`nullable: true` in the
///   second branch when the property is nullable): generated clients decode a known value as
///   `E` and any other as a string, instead of failing the whole object. Exactly one branch
///   matches any value, so `oneOf` is exact for validators; with `oneOf` (not `anyOf`)
///   openapi-generator's typescript-fetch writes `type EOrUnknown = E | string` instead of an
///   empty interface. The `title` names the union, so openapi-generator does not name it after
///   the property (`Account.status` would become `AccountStatus`, the enum's own name, and
///   recurse). Request-side components keep `$ref: E`: a value Nectar does not know is refused
///   before it is sent.
/// - **Other nullable references** (`{nullable, allOf: [$ref]}`, schemars' form, which typify
///   reads, so [`spec`] keeps it for the bindings) become `{title: "XOrNull", anyOf: [{$ref: X},
///   {type: "null"}]}`, and `nullable: true` next to a `type` becomes `type: [T, "null"]`
///   (OpenAPI 3.1, `openapi_31`): generators type them `X | null` / `X | None` /
///   `Optional[X]`, where no OpenAPI 3.0 form was both exact in every generator and strict in
///   every validator.
/// - **A union of plain values of different types** (`DuplicateFlag`: string or boolean) is
///   `oneOf` (`disjoint_unions`).
pub fn spec_json(spec: &oa::OpenAPI) -> Result<String, Error> {
    let text = serde_json::to_string(spec)
        .map_err(|e| Error::Spec(format!("serializing the spec: {e}")))?;
    // An order-keeping JSON value, so the file keeps the spec's key order.
    let mut value: Json = serde_json::from_str(&text)
        .map_err(|e| Error::Spec(format!("re-reading the spec: {e}")))?;
    let kinds: IndexMap<String, Kind> = match value.get("components").and_then(|c| c.get("schemas"))
    {
        Some(Json::Object(schemas)) => schemas
            .iter()
            .filter_map(|(name, schema)| {
                let kind = Kind {
                    ty: schema.get("type")?.clone(),
                    is_enum: schema.get("enum").is_some(),
                };
                Some((name.clone(), kind))
            })
            .collect(),
        _ => IndexMap::new(),
    };
    let inputs = read::input_components(spec);
    if let Json::Object(root) = &mut value
        && let Some(Json::Object(components)) = root.get_mut("components")
        && let Some(Json::Object(schemas)) = components.get_mut("schemas")
    {
        for (name, schema) in schemas.iter_mut() {
            if inputs.contains(name) {
                continue;
            }
            if let Json::Object(schema) = schema
                && let Some(Json::Object(properties)) = schema.get_mut("properties")
            {
                for property in properties.values_mut() {
                    open_enum(property, &kinds);
                }
            }
        }
    }
    nullable_refs(&mut value, &kinds);
    disjoint_unions(&mut value);
    openapi_31(&mut value);
    if let Json::Object(root) = &mut value {
        root.insert("openapi".to_owned(), Json::String("3.1.0".to_owned()));
    }
    serde_json::to_string_pretty(&value)
        .map(|json| json + "\n")
        .map_err(|e| Error::Spec(format!("serializing the spec: {e}")))
}

/// What the file forms need to know of a component: its `type`, and whether it is an enum.
struct Kind {
    ty: Json,
    is_enum: bool,
}

/// Marks the open-enum form, for readers of the file (the emulator's validator checks answers
/// against the known values by reading through it).
pub const OPEN_ENUM: &str = "x-nectar-open-enum";

/// The component a schema refers to, and whether it is nullable: `{$ref}`, `{allOf: [{$ref}]}`
/// or `{nullable: true, allOf: [{$ref}]}`, without a `type`.
fn reference(map: &IndexMap<String, Json>) -> Option<(String, bool)> {
    if map.contains_key("type") {
        return None;
    }
    let reference = match (map.get("$ref"), map.get("allOf")) {
        (Some(Json::String(reference)), None) => reference.clone(),
        (None, Some(Json::Array(all_of))) => match all_of.as_slice() {
            [Json::Object(only)] if only.len() == 1 => match only.get("$ref") {
                Some(Json::String(reference)) => reference.clone(),
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let nullable = map.get("nullable") == Some(&Json::Bool(true));
    Some((reference, nullable))
}

/// Replaces the reference in `map` by `{title, <combinator>: [{$ref}, second], extra...}`, where
/// the reference and `nullable` stood.
fn union(
    map: &mut IndexMap<String, Json>,
    combinator: &str,
    reference: &str,
    title: String,
    second: IndexMap<String, Json>,
    extra: Option<(&str, Json)>,
) {
    let position = ["$ref", "allOf", "nullable"]
        .iter()
        .filter_map(|key| map.get_index_of(*key))
        .min()
        .unwrap_or(0);
    for key in ["$ref", "allOf", "nullable"] {
        map.shift_remove(key);
    }
    let branches = Json::Array(vec![
        Json::Object(IndexMap::from([(
            "$ref".to_owned(),
            Json::String(reference.to_owned()),
        )])),
        Json::Object(second),
    ]);
    let mut at = position.min(map.len());
    map.shift_insert(at, "title".to_owned(), Json::String(title));
    at += 1;
    map.shift_insert(at, combinator.to_owned(), branches);
    if let Some((key, value)) = extra {
        map.shift_insert(at + 1, key.to_owned(), value);
    }
}

/// A response-side property (or its items) that refers to an enum becomes the open form; see
/// [`spec_json`].
fn open_enum(property: &mut Json, kinds: &IndexMap<String, Kind>) {
    let Json::Object(map) = property else {
        return;
    };
    if map.get("type") == Some(&Json::String("array".to_owned())) {
        if let Some(items) = map.get_mut("items") {
            open_enum(items, kinds);
        }
        return;
    }
    let Some((reference, nullable)) = reference(map) else {
        return;
    };
    let Some(name) = reference.strip_prefix("#/components/schemas/") else {
        return;
    };
    if !kinds.get(name).is_some_and(|kind| kind.is_enum) {
        return;
    }
    let mut string = IndexMap::from([("type".to_owned(), Json::String("string".to_owned()))]);
    if nullable {
        string.insert("nullable".to_owned(), Json::Bool(true));
    }
    // Any other string: exactly one branch matches every value, so `oneOf` is exact.
    string.insert(
        "not".to_owned(),
        Json::Object(IndexMap::from([(
            "$ref".to_owned(),
            Json::String(reference.clone()),
        )])),
    );
    let title = format!("{name}OrUnknown{}", if nullable { "OrNull" } else { "" });
    union(
        map,
        "oneOf",
        &reference,
        title,
        string,
        Some((OPEN_ENUM, Json::Bool(true))),
    );
}

/// A JSON value whose objects keep their key order (the workspace's `serde_json` sorts them).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(IndexMap<String, Json>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(map) => map.get(key),
            _ => None,
        }
    }
}

/// An `anyOf` whose branches are plain values of different JSON types (`DuplicateFlag`: a
/// string or a boolean) becomes `oneOf`: exactly one branch matches any value, so it means the
/// same to a validator, and openapi-generator makes a union of it (`String(String)` /
/// `Bool(bool)` in Rust, `string | boolean` in TypeScript) instead of an empty struct, which
/// refused every real answer's `"isDuplicated": "false"`.
fn disjoint_unions(value: &mut Json) {
    match value {
        Json::Object(map) => {
            let disjoint = match map.get("anyOf") {
                Some(Json::Array(branches)) if branches.len() > 1 => {
                    let types: Vec<Option<&str>> = branches
                        .iter()
                        .map(|branch| match branch.get("type") {
                            Some(Json::String(ty))
                                if ["string", "boolean", "number", "array", "object"]
                                    .contains(&ty.as_str())
                                    && branch.get("enum").is_none()
                                    && branch.get("$ref").is_none() =>
                            {
                                Some(ty.as_str())
                            }
                            _ => None,
                        })
                        .collect();
                    types.iter().all(Option::is_some)
                        && (1..types.len()).all(|i| !types[..i].contains(&types[i]))
                }
                _ => false,
            };
            if disjoint
                && let Some(at) = map.get_index_of("anyOf")
                && let Some((_, branches)) = map.shift_remove_entry("anyOf")
            {
                map.shift_insert(at, "oneOf".to_owned(), branches);
            }
            for child in map.values_mut() {
                disjoint_unions(child);
            }
        }
        Json::Array(items) => {
            for item in items {
                disjoint_unions(item);
            }
        }
        _ => {}
    }
}

/// OpenAPI 3.0's `nullable` written as OpenAPI 3.1 (JSON Schema 2020-12) says it: `{type: T,
/// nullable: true}` becomes `{type: [T, "null"]}` (with `null` among its `enum` values, if it has
/// any), and the second branch of a nullable reference, `{type: T, nullable: true, not: {type:
/// T}}` (null alone), becomes `{type: "null"}`. Every generator measured then types a nullable
/// reference exactly (`Site | null`, `Site | None`, `Optional[Site]`), and every validator reads
/// it alike; see `nectar-gen/src/api/DECISIONS.md`.
fn openapi_31(value: &mut Json) {
    match value {
        Json::Object(map) => {
            for child in map.values_mut() {
                openapi_31(child);
            }
            // In JSON Schema 2020-12 `format` is an annotation: a pattern keeps the shape
            // asserted by every validator.
            if map.get("format") == Some(&Json::String("date".to_owned()))
                && !map.contains_key("pattern")
            {
                map.insert(
                    "pattern".to_owned(),
                    Json::String("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$".to_owned()),
                );
            }
            if map.get("nullable") != Some(&Json::Bool(true)) {
                return;
            }
            map.shift_remove("nullable");
            let only_null = matches!(
                (map.get("type"), map.get("not")),
                (Some(ty), Some(Json::Object(not))) if not.len() == 1 && not.get("type") == Some(ty)
            );
            if only_null {
                map.clear();
                map.insert("type".to_owned(), Json::String("null".to_owned()));
                return;
            }
            if let Some(Json::String(ty)) = map.get("type").cloned() {
                map.insert(
                    "type".to_owned(),
                    Json::Array(vec![Json::String(ty), Json::String("null".to_owned())]),
                );
                if let Some(Json::Array(values)) = map.get_mut("enum")
                    && !values.contains(&Json::Null)
                {
                    values.push(Json::Null);
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                openapi_31(item);
            }
        }
        _ => {}
    }
}

/// Rewrites every `{nullable: true, allOf: [{$ref}]}` without a `type` into the strict
/// nullable form; see [`spec_json`].
fn nullable_refs(value: &mut Json, kinds: &IndexMap<String, Kind>) {
    match value {
        Json::Object(map) => {
            if let Some((reference, true)) = reference(map)
                && let Some(name) = reference.strip_prefix("#/components/schemas/")
                && let Some(kind) = kinds.get(name)
            {
                let name = name.to_owned();
                let only_null = IndexMap::from([
                    ("type".to_owned(), kind.ty.clone()),
                    ("nullable".to_owned(), Json::Bool(true)),
                    (
                        "not".to_owned(),
                        Json::Object(IndexMap::from([("type".to_owned(), kind.ty.clone())])),
                    ),
                ]);
                union(
                    map,
                    "anyOf",
                    &reference,
                    format!("{name}OrNull"),
                    only_null,
                    None,
                );
            }
            for child in map.values_mut() {
                nullable_refs(child, kinds);
            }
        }
        Json::Array(items) => {
            for item in items {
                nullable_refs(item, kinds);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read;

    #[test]
    fn spec_is_deterministic() {
        let first = spec_json(&spec().unwrap()).unwrap();
        let second = spec_json(&spec().unwrap()).unwrap();
        assert_eq!(first, second);
    }

    /// The file is OpenAPI 3.1: no `nullable` anywhere (`type: [T, "null"]` and `{type: "null"}`
    /// say it), and the forms every generator reads exactly.
    #[test]
    fn the_spec_file_is_openapi_31_without_nullable() {
        fn walk(value: &serde_json::Value, path: &str, bad: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if map.contains_key("nullable") {
                        bad.push(path.to_owned());
                    }
                    for (key, child) in map {
                        walk(child, &format!("{path}/{key}"), bad);
                    }
                }
                serde_json::Value::Array(items) => {
                    for (index, child) in items.iter().enumerate() {
                        walk(child, &format!("{path}/{index}"), bad);
                    }
                }
                _ => {}
            }
        }
        let text = spec_json(&spec().unwrap()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut bad = Vec::new();
        walk(&value, "#", &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
        let schemas = &value["components"]["schemas"];
        // A nullable enum in an answer: open and nullable.
        let charges = &schemas["Document"]["properties"]["chargesUnits"];
        assert_eq!(charges["oneOf"][0]["$ref"], "#/components/schemas/Currency");
        assert_eq!(
            charges["oneOf"][1],
            serde_json::json!({ "type": ["string", "null"],
                                "not": { "$ref": "#/components/schemas/Currency" } })
        );
        assert_eq!(charges["title"], "CurrencyOrUnknownOrNull");
        assert_eq!(charges[OPEN_ENUM], true);
        // A plain enum in an answer, and in array items.
        let status = &schemas["Connection"]["properties"]["status"];
        assert_eq!(
            status["oneOf"][1],
            serde_json::json!({ "type": "string",
                                "not": { "$ref": "#/components/schemas/ConnectionStatus" } })
        );
        assert_eq!(status["title"], "ConnectionStatusOrUnknown");
        let kinds = &schemas["Connection"]["properties"]["initialDatasourceTypes"]["items"];
        assert_eq!(
            kinds["oneOf"][0]["$ref"],
            "#/components/schemas/DatasourceType"
        );
        // A string or a boolean: a union of disjoint types is `oneOf`.
        assert_eq!(schemas["DuplicateFlag"]["oneOf"][1]["type"], "boolean");
        assert!(schemas["DuplicateFlag"].get("anyOf").is_none());
        // Request bodies stay strict.
        let country = &schemas["ConnectionCreate"]["properties"]["country"];
        assert!(country.get("oneOf").is_none(), "{country}");
        // A nullable object: null alone in the second branch, no enum of nulls anywhere.
        let document = &schemas["UsageData"]["properties"]["document"];
        assert_eq!(document["anyOf"][1], serde_json::json!({ "type": "null" }));
        // A nullable plain value.
        assert_eq!(
            schemas["Connection"]["properties"]["statusErrorDetail"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert!(
            !text.contains("\"enum\": [\n            null"),
            "an enum of null is left"
        );
        // The file keeps the spec's key order: `openapi` first, as written.
        assert!(
            text.starts_with("{\n  \"openapi\": \"3.1.0\""),
            "{}",
            &text[..40]
        );
    }

    /// Linters (spectral's `operation-description`, redocly's `tag-description`) ask for these;
    /// readers of the generated docs need them.
    #[test]
    fn every_operation_and_tag_is_described() {
        let spec = spec().unwrap();
        for (path, method, operation) in read::operations(&spec) {
            assert!(
                operation
                    .description
                    .as_deref()
                    .is_some_and(|d| !d.trim().is_empty()),
                "{method} {path} has no description"
            );
        }
        for tag in &spec.tags {
            assert!(
                tag.description.is_some(),
                "tag {} has no description",
                tag.name
            );
        }
    }
}
