//! The schema side of the DSL: one schemars generator for the whole spec, and the field wrappers
//! that say what the documentation says about presence and `null`.
//!
//! Field types in the resource modules read as the API reference does:
//!
//! | Rust field type | JSON property                          |
//! |-----------------|----------------------------------------|
//! | `T`             | required, never `null`                 |
//! | `Nullable<T>`   | required, may be `null`                |
//! | `Optional<T>`   | may be absent, never `null`            |
//! | `Option<T>`     | may be absent, may be `null`           |

use std::marker::PhantomData;

use indexmap::IndexMap;
use openapiv3 as oa;
use schemars::{
    JsonSchema,
    r#gen::{SchemaGenerator, SchemaSettings},
    schema::{Schema, SchemaObject},
};

use crate::Error;

/// Required property whose value may be `null` (`string | null`, required, in the reference).
pub struct Nullable<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for Nullable<T> {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        format!("Nullable_{}", T::schema_name())
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = generator.subschema_for::<T>().into_object();
        // The same marker schemars puts on `Option<T>` in OpenAPI 3 mode; the `RemoveRefSiblings`
        // visitor later turns `{$ref, nullable}` into `{allOf: [$ref], nullable}`.
        schema
            .extensions
            .insert("nullable".to_owned(), serde_json::Value::Bool(true));
        Schema::Object(schema)
    }
}

/// Property that may be absent but is never `null`.
pub struct Optional<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for Optional<T> {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        format!("Optional_{}", T::schema_name())
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }

    // schemars 0.8.22 (pinned with `=`) decides "not required" through this hook; `Option<T>`
    // overrides it the same way. `tests::optional_is_absent_but_not_null` guards the behaviour.
    fn _schemars_private_is_option() -> bool {
        true
    }
}

/// A decimal quantity: the API sends decimals as JSON strings (`"12.50"`), never as numbers, so
/// they round-trip exactly.
pub struct Decimal;

impl JsonSchema for Decimal {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        "Decimal".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_with_format("decimal")
    }
}

/// A webhook payload's timestamp: RFC 3339 without the offset Nectar's webhook payloads leave
/// out (`2025-11-07T01:56:33.835384215`, UTC), which `format: date-time` would require. It is
/// declared by a pattern, which every validator checks, with an offset allowed should Nectar
/// add one. The bindings map it, like `date-time`, to `nectar_api::Timestamp` (see
/// `passes/bindings.rs`, `strip_constraints`).
pub struct WebhookTimestamp;

/// The pattern of [`WebhookTimestamp`].
pub(crate) const WEBHOOK_TIMESTAMP_PATTERN: &str =
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$";

impl JsonSchema for WebhookTimestamp {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        "WebhookTimestamp".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            string: Some(Box::new(schemars::schema::StringValidation {
                pattern: Some(WEBHOOK_TIMESTAMP_PATTERN.to_owned()),
                ..Default::default()
            })),
            ..Default::default()
        })
    }
}

/// A file's bytes in a `multipart/form-data` body: `format: binary`.
pub struct Binary;

impl JsonSchema for Binary {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        "Binary".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_with_format("binary")
    }
}

/// A secret (password, magic-link secret): `format: password` plus `x-sensitive: true`.
/// The bindings map this format to `nectar_api::Secret`, whose `Debug` is redacted.
pub struct Secret;

impl JsonSchema for Secret {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        "Secret".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut schema = string_with_format("password").into_object();
        schema
            .extensions
            .insert("x-sensitive".to_owned(), serde_json::Value::Bool(true));
        Schema::Object(schema)
    }
}

/// `{type: string, format: <format>}`.
pub(crate) fn string_with_format(format: &str) -> Schema {
    Schema::Object(SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some(format.to_owned()),
        ..Default::default()
    })
}

/// One generator for the whole spec, so every named type becomes exactly one component.
pub(crate) struct Schemas {
    generator: SchemaGenerator,
}

impl Schemas {
    pub(crate) fn new() -> Self {
        Self {
            generator: SchemaSettings::openapi3().into_generator(),
        }
    }

    /// The use-site schema of `T`: a `$ref` for named types, registering the component.
    pub(crate) fn reference<T: JsonSchema>(
        &mut self,
    ) -> Result<oa::ReferenceOr<oa::Schema>, Error> {
        let mut schema = self.generator.subschema_for::<T>();
        self.visit(&mut schema);
        to_openapi(&T::schema_name(), &schema)
    }

    /// The properties of an object type `T`, each with its schema and whether it is required;
    /// used to turn a parameter struct into path or query parameters. `T` itself is not
    /// registered as a component.
    pub(crate) fn properties<T: JsonSchema>(&mut self) -> Result<Vec<Property>, Error> {
        let mut schema = T::json_schema(&mut self.generator);
        self.visit(&mut schema);
        let object = schema.into_object();
        let Some(validation) = object.object else {
            return Err(Error::Spec(format!(
                "parameter type {} is not a struct with named fields",
                T::schema_name()
            )));
        };
        validation
            .properties
            .into_iter()
            .map(|(name, schema)| {
                let mut schema = schema.into_object();
                let description = schema
                    .metadata
                    .as_mut()
                    .and_then(|metadata| metadata.description.take());
                // `{allOf: [$ref]}` only existed to carry the description next to the reference.
                if let Some(only) = single_all_of(&schema) {
                    schema = only;
                }
                Ok(Property {
                    required: validation.required.contains(&name),
                    schema: to_openapi(&name, &Schema::Object(schema))?,
                    description,
                    name,
                })
            })
            .collect()
    }

    /// Every component registered so far, sorted by name, with the OpenAPI 3 visitors applied
    /// (schemars applies them only in `root_schema_for`, not to `take_definitions`).
    pub(crate) fn into_components(
        mut self,
    ) -> Result<IndexMap<String, oa::ReferenceOr<oa::Schema>>, Error> {
        let mut definitions = self.generator.take_definitions();
        for schema in definitions.values_mut() {
            self.visit(schema);
        }
        definitions
            .iter()
            .map(|(name, schema)| Ok((name.clone(), to_openapi(name, schema)?)))
            .collect()
    }

    fn visit(&mut self, schema: &mut Schema) {
        for visitor in self.generator.visitors_mut() {
            visitor.visit_schema(schema);
        }
    }
}

/// The single member of `{allOf: [x]}` when the schema has nothing else (but empty metadata).
fn single_all_of(schema: &SchemaObject) -> Option<SchemaObject> {
    let all_of = schema.subschemas.as_ref()?.all_of.as_ref()?;
    let [only] = all_of.as_slice() else {
        return None;
    };
    let bare = SchemaObject {
        subschemas: None,
        metadata: None,
        ..schema.clone()
    };
    let metadata_empty = schema
        .metadata
        .as_deref()
        .is_none_or(|m| *m == schemars::schema::Metadata::default());
    (bare == SchemaObject::default() && metadata_empty).then(|| only.clone().into_object())
}

/// A property of a parameter struct.
pub(crate) struct Property {
    pub(crate) name: String,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    pub(crate) schema: oa::ReferenceOr<oa::Schema>,
}

fn to_openapi(name: &str, schema: &Schema) -> Result<oa::ReferenceOr<oa::Schema>, Error> {
    let mut value = serde_json::to_value(schema)
        .map_err(|e| Error::Spec(format!("schema {name} does not serialize: {e}")))?;
    normalize(&mut value);
    serde_json::from_value(value.clone()).map_err(|e| {
        Error::Spec(format!(
            "schema {name} is not representable in OpenAPI 3.0 ({e}): {value}"
        ))
    })
}

/// One pass over a schemars schema before openapiv3 reads it:
/// - schemars stores numeric bounds as `f64` (`"minimum": 1.0`); openapiv3 reads the bounds of
///   an integer schema as `i64` and, failing that, silently takes the schema as "any". Whole
///   bounds are written as integers.
/// - A map flattened into a struct (`#[serde(flatten)] other: BTreeMap<String, Value>`) reaches
///   the spec as `additionalProperties: true`, which typify reads as "allowed, drop them". The
///   field says "keep them", so it is written as the equivalent `additionalProperties: {}`,
///   which typify turns into a captured `extra` map. (A schema-valued map value would be lost:
///   schemars' flatten keeps only `true`.)
fn normalize(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child.as_f64()) {
                    ("minimum" | "maximum", Some(number))
                        if number.fract() == 0.0 && number.abs() < 9.0e15 =>
                    {
                        // Exact: a whole f64 below 2^53 converts to i64 without loss.
                        *child = serde_json::Value::from(number as i64);
                    }
                    ("additionalProperties", _) if *child == serde_json::Value::Bool(true) => {
                        *child = serde_json::json!({});
                    }
                    _ => normalize(child),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        always: String,
        maybe_null: Nullable<String>,
        maybe_absent: Optional<String>,
        either: Option<String>,
    }

    #[test]
    fn optional_is_absent_but_not_null() {
        let mut schemas = Schemas::new();
        let properties = schemas.properties::<Sample>().unwrap();
        // (name, required, nullable); schemars sorts properties by name.
        let summary: Vec<(String, bool, bool)> = properties
            .into_iter()
            .map(|p| {
                let nullable = p.schema.as_item().is_some_and(|s| s.schema_data.nullable);
                (p.name, p.required, nullable)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("always".to_owned(), true, false),
                ("either".to_owned(), false, true),
                ("maybeAbsent".to_owned(), false, false),
                ("maybeNull".to_owned(), true, true),
            ]
        );
    }
}
