//! A readable summary of the API surface, for review: one block per operation with its method,
//! path, Rust method name, parameters with their types, request body and responses.

use std::fmt::Write;

use openapiv3 as oa;

use crate::read;

/// The surface summary of `spec`, operations sorted by path then method.
pub fn surface(spec: &oa::OpenAPI) -> String {
    let mut operations: Vec<_> = read::operations(spec).collect();
    operations.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut out = String::new();
    for (path, method, operation) in operations {
        let id = operation.operation_id.as_deref().unwrap_or("?");
        let _ = write!(out, "{} {path}  ->  Client::{id}()", method.to_uppercase());
        if operation.deprecated {
            out.push_str("  [deprecated]");
        }
        out.push('\n');
        if let Some(summary) = &operation.summary {
            let _ = writeln!(out, "    {summary}");
        }
        for parameter in operation.parameters.iter().filter_map(|p| p.as_item()) {
            let (location, data) = match parameter {
                oa::Parameter::Path { parameter_data, .. } => ("path", parameter_data),
                oa::Parameter::Query { parameter_data, .. } => ("query", parameter_data),
                oa::Parameter::Header { parameter_data, .. } => ("header", parameter_data),
                oa::Parameter::Cookie { parameter_data, .. } => ("cookie", parameter_data),
            };
            let schema = match &data.format {
                oa::ParameterSchemaOrContent::Schema(schema) => type_of(schema),
                oa::ParameterSchemaOrContent::Content(_) => "content".to_owned(),
            };
            let presence = if data.required {
                "required"
            } else {
                "optional"
            };
            let _ = writeln!(
                out,
                "    {location:<6} {}: {schema} ({presence})",
                data.name
            );
        }
        if let Some(oa::ReferenceOr::Item(body)) = &operation.request_body {
            for (media, content) in &body.content {
                let schema = content.schema.as_ref().map_or("?".to_owned(), type_of);
                let _ = writeln!(out, "    body   {schema} ({media})");
            }
        }
        let mut responses: Vec<(String, String)> = Vec::new();
        for (status, response) in &operation.responses.responses {
            let body = match response {
                oa::ReferenceOr::Item(response) => match response.content.values().next() {
                    Some(media) => media.schema.as_ref().map_or("?".to_owned(), type_of),
                    None => "(no body)".to_owned(),
                },
                oa::ReferenceOr::Reference { reference } => reference.clone(),
            };
            match responses.iter_mut().find(|(_, b)| *b == body) {
                Some((statuses, _)) => {
                    let _ = write!(statuses, ", {status}");
                }
                None => responses.push((status.to_string(), body)),
            }
        }
        for (statuses, body) in responses {
            let _ = writeln!(out, "    {statuses:<6} {body}");
        }
        out.push('\n');
    }
    out
}

/// A compact type expression: `ConnectionStatus`, `[uuid]`, `integer(uint32, 1..=500, default 100)`.
pub(crate) fn type_of(schema: &oa::ReferenceOr<oa::Schema>) -> String {
    let schema = match schema {
        oa::ReferenceOr::Reference { reference } => {
            return reference.rsplit('/').next().unwrap_or(reference).to_owned();
        }
        oa::ReferenceOr::Item(schema) => schema,
    };
    let mut notes = Vec::new();
    let base = match &schema.schema_kind {
        oa::SchemaKind::Type(oa::Type::String(s)) => {
            let mut base = "string".to_owned();
            if let oa::VariantOrUnknownOrEmpty::Item(format) = &s.format {
                base = serde_json::to_value(format)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or(base);
            } else if let oa::VariantOrUnknownOrEmpty::Unknown(format) = &s.format {
                base.clone_from(format);
            }
            if let Some(min) = s.min_length {
                notes.push(format!("minLength {min}"));
            }
            if let Some(max) = s.max_length {
                notes.push(format!("maxLength {max}"));
            }
            if let Some(pattern) = &s.pattern {
                notes.push(format!("pattern {pattern}"));
            }
            if !s.enumeration.is_empty() {
                let values: Vec<_> = s.enumeration.iter().flatten().map(String::as_str).collect();
                notes.push(values.join("|"));
            }
            base
        }
        oa::SchemaKind::Type(oa::Type::Integer(i)) => {
            if let (Some(min), Some(max)) = (i.minimum, i.maximum) {
                notes.push(format!("{min}..={max}"));
            } else if let Some(min) = i.minimum {
                notes.push(format!(">= {min}"));
            }
            match &i.format {
                oa::VariantOrUnknownOrEmpty::Unknown(format) => format!("integer {format}"),
                oa::VariantOrUnknownOrEmpty::Item(format) => {
                    format!("integer {format:?}").to_lowercase()
                }
                oa::VariantOrUnknownOrEmpty::Empty => "integer".to_owned(),
            }
        }
        oa::SchemaKind::Type(oa::Type::Number(_)) => "number".to_owned(),
        oa::SchemaKind::Type(oa::Type::Boolean(_)) => "boolean".to_owned(),
        oa::SchemaKind::Type(oa::Type::Object(_)) => "object".to_owned(),
        oa::SchemaKind::Type(oa::Type::Array(a)) => {
            if let Some(max) = a.max_items {
                notes.push(format!("maxItems {max}"));
            }
            if let Some(min) = a.min_items {
                notes.push(format!("minItems {min}"));
            }
            let items = a
                .items
                .as_ref()
                .map_or("?".to_owned(), |items| match items {
                    oa::ReferenceOr::Reference { reference } => {
                        reference.rsplit('/').next().unwrap_or(reference).to_owned()
                    }
                    oa::ReferenceOr::Item(item) => {
                        type_of(&oa::ReferenceOr::Item((**item).clone()))
                    }
                });
            format!("[{items}]")
        }
        oa::SchemaKind::AllOf { all_of } if all_of.len() == 1 => type_of(&all_of[0]),
        oa::SchemaKind::AllOf { .. } => "allOf".to_owned(),
        oa::SchemaKind::AnyOf { any_of } => {
            any_of.iter().map(type_of).collect::<Vec<_>>().join(" | ")
        }
        oa::SchemaKind::OneOf { one_of } => {
            one_of.iter().map(type_of).collect::<Vec<_>>().join(" | ")
        }
        oa::SchemaKind::Not { .. } => "not".to_owned(),
        oa::SchemaKind::Any(_) => "any".to_owned(),
    };
    if let Some(default) = &schema.schema_data.default {
        notes.push(format!("default {default}"));
    }
    let mut text = if notes.is_empty() {
        base
    } else {
        format!("{base}({})", notes.join(", "))
    };
    if schema.schema_data.nullable {
        text.push_str(" | null");
    }
    text
}
