//! Operations that belong to no resource.

use schemars::{JsonSchema, r#gen::SchemaGenerator, schema::Schema};

use crate::dsl::operation::{Api, Method};

/// The answer of `GET /ping`: version information whose shape Nectar does not document, so any
/// JSON value is accepted and kept as sent.
pub struct PingResponse;

impl JsonSchema for PingResponse {
    fn schema_name() -> String {
        "PingResponse".to_owned()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut schema = schemars::schema::SchemaObject::default();
        schema.metadata().description = Some(
            "Version information. Its shape is not documented; any JSON value is accepted."
                .to_owned(),
        );
        Schema::Object(schema)
    }
}

pub(crate) fn register(api: &mut Api) {
    api.op(Method::Get, "/ping", "ping")
        .tag("misc")
        .summary("Check the API key")
        .description(
            "Answers 200 with version information when the API key is accepted, 401 when not. \
             The cheapest way to test a key and the base URL.",
        )
        .response::<PingResponse>(200, "The key works.")
        .errors(&[401])
        .add();
}
