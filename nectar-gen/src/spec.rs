//! The spec: the API description assembled into one OpenAPI 3.0.3 document ([`spec`]), and that
//! document as the committed file ([`spec_json`]).

use indexmap::IndexMap;

use crate::{Error, api, dsl::operation::Api, oa, passes::links};

/// The OpenAPI 3.0.3 document of the documented API. Deterministic: paths and components are
/// sorted, so the same nectar-gen always gives the same document.
pub fn spec() -> Result<oa::OpenAPI, Error> {
    let mut description = Api::new();
    api::register(&mut description);
    let (mut paths, schemas) = description.finish()?;
    links::add(&mut paths, &schemas);
    Ok(api::document(paths, schemas))
}

/// The spec as committed in `spec/openapi.json`: pretty JSON with a final newline.
///
/// A nullable reference is written the way OpenAPI 3.0.3 means it: `nullable` only adds `null`
/// next to a `type`, so `{nullable, allOf: [$ref]}` (schemars' form, and the one typify reads, so
/// [`spec`] keeps it for the generators) would not admit `null` to strict validators (redocly's
/// `nullable-type-sibling`, prism). The file has `{oneOf: [$ref, {type, nullable, enum: [null]}]}`
/// instead: the same values, in a form every tool reads alike.
pub fn spec_json(spec: &oa::OpenAPI) -> Result<String, Error> {
    let text = serde_json::to_string(spec)
        .map_err(|e| Error::Spec(format!("serializing the spec: {e}")))?;
    // An order-keeping JSON value, so the file keeps the spec's key order.
    let mut value: Json = serde_json::from_str(&text)
        .map_err(|e| Error::Spec(format!("re-reading the spec: {e}")))?;
    let types: IndexMap<String, Json> = match &value {
        Json::Object(root) => match root.get("components").and_then(|c| c.get("schemas")) {
            Some(Json::Object(schemas)) => schemas
                .iter()
                .filter_map(|(name, schema)| Some((name.clone(), schema.get("type")?.clone())))
                .collect(),
            _ => IndexMap::new(),
        },
        _ => IndexMap::new(),
    };
    nullable_refs(&mut value, &types);
    serde_json::to_string_pretty(&value)
        .map(|json| json + "\n")
        .map_err(|e| Error::Spec(format!("serializing the spec: {e}")))
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

/// Rewrites every `{nullable: true, allOf: [{$ref}]}` without a `type`; see [`spec_json`].
fn nullable_refs(value: &mut Json, types: &IndexMap<String, Json>) {
    match value {
        Json::Object(map) => {
            let reference = match (
                map.get("nullable"),
                map.contains_key("type"),
                map.get("allOf"),
            ) {
                (Some(Json::Bool(true)), false, Some(Json::Array(all_of))) => {
                    match all_of.as_slice() {
                        [Json::Object(only)] => match only.get("$ref") {
                            Some(Json::String(reference)) => Some(reference.clone()),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            };
            let ty = reference
                .as_deref()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| types.get(name));
            if let (Some(reference), Some(ty)) = (reference.as_deref(), ty) {
                let position = map.get_index_of("nullable").unwrap_or(0);
                map.shift_remove("nullable");
                map.shift_remove("allOf");
                let null = IndexMap::from([
                    ("type".to_owned(), ty.clone()),
                    ("nullable".to_owned(), Json::Bool(true)),
                    ("enum".to_owned(), Json::Array(vec![Json::Null])),
                ]);
                let one_of = Json::Array(vec![
                    Json::Object(IndexMap::from([(
                        "$ref".to_owned(),
                        Json::String(reference.to_owned()),
                    )])),
                    Json::Object(null),
                ]);
                map.shift_insert(position.min(map.len()), "oneOf".to_owned(), one_of);
            }
            for child in map.values_mut() {
                nullable_refs(child, types);
            }
        }
        Json::Array(items) => {
            for item in items {
                nullable_refs(item, types);
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

    /// OpenAPI 3.0.3: `nullable` only counts next to a `type` (redocly's `nullable-type-sibling`).
    #[test]
    fn the_spec_file_has_no_nullable_without_a_type() {
        fn walk(value: &serde_json::Value, path: &str, bad: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if map.get("nullable") == Some(&serde_json::Value::Bool(true))
                        && !map.contains_key("type")
                    {
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
        let charges = &value["components"]["schemas"]["Document"]["properties"]["chargesUnits"];
        assert_eq!(charges["oneOf"][0]["$ref"], "#/components/schemas/Currency");
        assert_eq!(charges["oneOf"][1]["enum"], serde_json::json!([null]));
        // The file keeps the spec's key order: `openapi` first, as written.
        assert!(
            text.starts_with("{\n  \"openapi\": \"3.0.3\""),
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
