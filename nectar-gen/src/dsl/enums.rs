//! `documented_enum!`: how the API description declares a documented string enum (value and
//! meaning), and the component schema it becomes. The Rust enums are generated from the spec by
//! `passes::open_enum`.

/// Extension carrying the meaning of each enum value, so generated variants get doc comments: a
/// list in the order of `enum` (`""` for a value without one), the form the generators that read
/// it expect (datamodel-code-generator, openapi-generator's `x-enum-descriptions`); a map from
/// value to text stopped datamodel-code-generator with exit code 2.
pub(crate) const DESCRIPTIONS_EXTENSION: &str = "x-enum-descriptions";

/// Declares a documented string enum: a marker type whose JSON schema is the enum component.
///
/// ```ignore
/// documented_enum! {
///     /// Status of a connection.
///     ConnectionStatus {
///         "PENDING" => "Created, waiting for the first check.",
///     }
/// }
/// ```
macro_rules! documented_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($value:literal => $meaning:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                $crate::dsl::enums::enum_schema(
                    concat!($($doc, "\n"),*),
                    &[$(($value, $meaning)),+],
                )
            }
        }
    };
    ($(#[doc = $doc:literal])* $name:ident [ $($value:literal),+ $(,)? ]) => {
        $crate::dsl::enums::documented_enum! {
            $(#[doc = $doc])*
            $name { $($value => ""),+ }
        }
    };
}
pub(crate) use documented_enum;

/// The component schema of a documented enum. Values without a meaning (`""`) get none.
pub(crate) fn enum_schema(doc: &str, values: &[(&str, &str)]) -> schemars::schema::Schema {
    use schemars::schema::{InstanceType, Metadata, Schema, SchemaObject};
    let description = doc
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned();
    let meanings: Vec<serde_json::Value> = values
        .iter()
        .map(|(_, meaning)| (*meaning).into())
        .collect();
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        enum_values: Some(values.iter().map(|(value, _)| (*value).into()).collect()),
        metadata: Some(Box::new(Metadata {
            description: Some(description),
            ..Default::default()
        })),
        ..Default::default()
    };
    if values.iter().any(|(_, meaning)| !meaning.is_empty()) {
        schema
            .extensions
            .insert(DESCRIPTIONS_EXTENSION.to_owned(), meanings.into());
    }
    Schema::Object(schema)
}
