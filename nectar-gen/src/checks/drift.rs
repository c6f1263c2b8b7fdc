//! Drift: real answers compared with `spec/openapi.json`, so maintainers learn of an API change
//! before a user's decode fails. For every answer (or webhook body) it reports, by schema and
//! JSON path: fields the spec does not know, enum values outside the spec, required fields
//! missing, wrong types or formats, and `null` where the spec says not nullable.
//!
//! [`walk`] does no I/O itself: it takes a `fetch` function (xtask gives it one that calls
//! Nectar, the tests one that calls the emulator); [`check`] checks one value; [`check_dir`]
//! reads a directory of recorded answers (`cargo xtask drift --files`).
//!
//! ```
//! let spec = nectar_gen::spec().unwrap();
//! let body = serde_json::json!({"detail": "x", "code": 7});
//! let findings = nectar_gen::drift::check_component(&spec, "ApiError", &body);
//! assert_eq!(findings[0].path, "$.code");
//! assert_eq!(findings[0].kind, nectar_gen::drift::Kind::UnknownField);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use openapiv3 as oa;
use serde::Serialize;
use serde_json::Value;

use crate::read;

/// What kind of drift a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A field the schema does not list.
    UnknownField,
    /// A value outside the schema's `enum`.
    UnknownEnumValue,
    /// A required field is absent.
    MissingRequired,
    /// A value of another JSON type than the schema's.
    WrongType,
    /// A string that is not of the schema's `format` (date, date-time, uuid, decimal, ...).
    WrongFormat,
    /// `null` where the schema is not nullable.
    UnexpectedNull,
}

/// One difference between an answer and the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Where the answer came from: an operation and status, or an event, or a file.
    pub source: String,
    /// The component schema the value was checked against at this point (`Connection`, ...).
    pub schema: String,
    /// JSON path of the value, from `$`.
    pub path: String,
    /// What differs.
    pub kind: Kind,
    /// The details: the unknown value, the expected type, ...
    pub detail: String,
}

/// The component a webhook event type's body is checked against.
pub fn event_schema(event_type: &str) -> Option<&'static str> {
    match event_type.strip_suffix(".v2").unwrap_or(event_type) {
        "connection.created" | "connection.validated" => Some("ConnectionEvent"),
        "connection.updated" => Some("ConnectionUpdatedEvent"),
        "document.created" | "document.deleted" => Some("DocumentEvent"),
        "document.updated" => Some("DocumentUpdatedEvent"),
        _ => None,
    }
}

/// Checks a recorded answer or webhook body by its name (a file's stem): a webhook event
/// (`webhook.<event type>...`, or any body with an `eventType`), or an operation's answer
/// (`<operation>` or `<operation>__<status>`, 200 by default). `None` when the name and body
/// point to nothing in the spec. See [`check_recorded`] for the docs' recorded examples.
pub fn check_named(spec: &oa::OpenAPI, name: &str, body: &Value) -> Option<Vec<Finding>> {
    check_recorded(spec, name, None, body)
}

/// Like [`check_named`], and also for the examples recorded from Nectar's API reference: the
/// operation is named by its id, or by the reference page it was recorded from (`page`: the
/// URL, matched against the operations' `externalDocs`), or by the page's last segment after a
/// version prefix (`v2_get-meter-details`). After `__`: `request` (the request body),
/// `response` (the first documented 2xx answer) or a status code.
pub fn check_recorded(
    spec: &oa::OpenAPI,
    name: &str,
    page: Option<&str>,
    body: &Value,
) -> Option<Vec<Finding>> {
    let event = name
        .strip_prefix("webhook.")
        .and_then(|rest| {
            let parts: Vec<&str> = rest.split(['.', '_']).collect();
            (2..=parts.len().min(3))
                .rev()
                .find_map(|take| event_schema(&parts[..take].join(".")))
        })
        .or_else(|| body.get("eventType")?.as_str().and_then(event_schema));
    if let Some(component) = event {
        let schema = oa::ReferenceOr::ref_(&format!("#/components/schemas/{component}"));
        return Some(check(spec, &schema, body, name));
    }
    let (stem, part) = name.split_once("__").unwrap_or((name, "200"));
    let operation = read::operations(spec)
        .map(|(_, _, op)| op)
        .find(|op| op.operation_id.as_deref() == Some(stem))
        .or_else(|| page.and_then(|page| operation_by_page(spec, page)))
        .or_else(|| {
            let slug = stem.split_once('_').map_or(stem, |(_, slug)| slug);
            read::operations(spec)
                .map(|(_, _, op)| op)
                .find(|op| docs_page(op).and_then(|url| url.rsplit('/').next()) == Some(slug))
        })?;
    let schema = match part {
        "request" => read::json_body(&operation.request_body.as_ref()?.as_item()?.content)?.clone(),
        "response" => {
            operation
                .responses
                .responses
                .iter()
                .find_map(|(code, response)| match code {
                    oa::StatusCode::Code(200..=299) => {
                        read::json_body(&response.as_item()?.content).cloned()
                    }
                    _ => None,
                })?
        }
        status => read::json_answer(operation, status.parse().ok()?)?.clone(),
    };
    Some(check(spec, &schema, body, name))
}

/// Checks every `*.json` file of `dir` (sorted by name) with [`check_recorded`]: its stem names
/// it, and a `<stem>.src.txt` beside it, if any, gives the reference page it was recorded from.
/// Returns the findings and the files skipped, each with why; an unreadable file is an error.
pub fn check_dir(
    spec: &oa::OpenAPI,
    dir: &std::path::Path,
) -> Result<(Vec<Finding>, Vec<String>), String> {
    use std::{fs, path::PathBuf};
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    let mut findings = Vec::new();
    let mut skipped = Vec::new();
    for path in names {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = file.trim_end_matches(".json");
        let text =
            fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let Ok(body) = serde_json::from_str::<serde_json::Value>(&text) else {
            skipped.push(format!("{file}: not JSON"));
            continue;
        };
        // The docs' recorded examples name their page in a `<stem>.src.txt` beside them.
        let page = fs::read_to_string(path.with_extension("src.txt")).ok();
        match check_recorded(spec, stem, page.as_deref(), &body) {
            Some(found) => findings.extend(found),
            None => skipped.push(format!("{file}: names no operation or event of the spec")),
        }
    }
    Ok((findings, skipped))
}

/// The operation whose `externalDocs` is this reference page (`.md` and a trailing `/` ignored).
fn operation_by_page<'a>(spec: &'a oa::OpenAPI, page: &str) -> Option<&'a oa::Operation> {
    let normal = |url: &str| {
        let url = url.trim().trim_end_matches('/');
        url.strip_suffix(".md").unwrap_or(url).to_owned()
    };
    let page = normal(page);
    read::operations(spec)
        .map(|(_, _, op)| op)
        .find(|op| docs_page(op).is_some_and(|url| normal(url) == page))
}

fn docs_page(operation: &oa::Operation) -> Option<&str> {
    operation
        .external_docs
        .as_ref()
        .map(|docs| docs.url.as_str())
}

/// The JSON schema of an operation's answer with `status`, if the spec documents one.
pub fn response_schema(
    spec: &oa::OpenAPI,
    operation_id: &str,
    status: u16,
) -> Option<oa::ReferenceOr<oa::Schema>> {
    let (_, _, operation) = read::operations(spec)
        .find(|(_, _, op)| op.operation_id.as_deref() == Some(operation_id))?;
    read::json_answer(operation, status).cloned()
}

/// Checks `value` against component `name`.
pub fn check_component(spec: &oa::OpenAPI, name: &str, value: &Value) -> Vec<Finding> {
    check(
        spec,
        &oa::ReferenceOr::ref_(&format!("#/components/schemas/{name}")),
        value,
        name,
    )
}

/// Checks `value` against `schema`; `source` names where it came from.
pub fn check(
    spec: &oa::OpenAPI,
    schema: &oa::ReferenceOr<oa::Schema>,
    value: &Value,
    source: &str,
) -> Vec<Finding> {
    let mut walker = Walker {
        spec,
        source,
        findings: Vec::new(),
    };
    walker.walk(schema, value, "$", "(answer)", false);
    walker.findings
}

struct Walker<'a> {
    spec: &'a oa::OpenAPI,
    source: &'a str,
    findings: Vec<Finding>,
}

impl Walker<'_> {
    fn report(&mut self, schema: &str, path: &str, kind: Kind, detail: String) {
        self.findings.push(Finding {
            source: self.source.to_owned(),
            schema: schema.to_owned(),
            path: path.to_owned(),
            kind,
            detail,
        });
    }

    fn component(&self, reference: &str) -> Option<(String, oa::Schema)> {
        let name = reference.rsplit('/').next()?;
        let schema = self
            .spec
            .components
            .as_ref()?
            .schemas
            .get(name)?
            .as_item()?;
        Some((name.to_owned(), schema.clone()))
    }

    fn walk(
        &mut self,
        schema: &oa::ReferenceOr<oa::Schema>,
        value: &Value,
        path: &str,
        owner: &str,
        nullable: bool,
    ) {
        let (owner, schema) = match schema {
            oa::ReferenceOr::Reference { reference } => match self.component(reference) {
                Some(found) => found,
                None => return,
            },
            oa::ReferenceOr::Item(schema) => (owner.to_owned(), schema.clone()),
        };
        let owner = owner.as_str();
        let nullable = nullable || schema.schema_data.nullable;
        if value.is_null() {
            if !nullable && !matches!(schema.schema_kind, oa::SchemaKind::Any(_)) {
                self.report(owner, path, Kind::UnexpectedNull, "null".to_owned());
            }
            return;
        }
        match &schema.schema_kind {
            oa::SchemaKind::AllOf { all_of } => {
                for member in all_of {
                    self.walk(member, value, path, owner, nullable);
                }
            }
            oa::SchemaKind::OneOf { one_of: members }
            | oa::SchemaKind::AnyOf { any_of: members } => {
                let fits = members.iter().any(|member| {
                    let mut trial = Walker {
                        spec: self.spec,
                        source: self.source,
                        findings: Vec::new(),
                    };
                    trial.walk(member, value, path, owner, nullable);
                    trial.findings.is_empty()
                });
                if !fits {
                    self.report(
                        owner,
                        path,
                        Kind::WrongType,
                        format!("{} fits none of the schema's alternatives", brief(value)),
                    );
                }
            }
            oa::SchemaKind::Not { .. } | oa::SchemaKind::Any(_) => {}
            oa::SchemaKind::Type(ty) => self.typed(ty, value, path, owner),
        }
    }

    fn typed(&mut self, ty: &oa::Type, value: &Value, path: &str, owner: &str) {
        let wrong = |expected: &str| format!("expected {expected}, got {}", brief(value));
        match ty {
            oa::Type::String(string) => {
                let Some(text) = value.as_str() else {
                    return self.report(owner, path, Kind::WrongType, wrong("a string"));
                };
                let known: Vec<&str> = string
                    .enumeration
                    .iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                if !known.is_empty() && !known.contains(&text) {
                    return self.report(owner, path, Kind::UnknownEnumValue, format!("{text:?}"));
                }
                let format = match &string.format {
                    oa::VariantOrUnknownOrEmpty::Item(oa::StringFormat::Date) => "date",
                    oa::VariantOrUnknownOrEmpty::Item(oa::StringFormat::DateTime) => "date-time",
                    oa::VariantOrUnknownOrEmpty::Unknown(format) => format.as_str(),
                    _ => "",
                };
                if !format_fits(format, text) {
                    self.report(
                        owner,
                        path,
                        Kind::WrongFormat,
                        format!("{:?} is not a valid {format}", brief_str(text)),
                    );
                }
            }
            oa::Type::Integer(_) => {
                if !(value.is_i64() || value.is_u64()) {
                    self.report(owner, path, Kind::WrongType, wrong("an integer"));
                }
            }
            oa::Type::Number(_) => {
                if !value.is_number() {
                    self.report(owner, path, Kind::WrongType, wrong("a number"));
                }
            }
            oa::Type::Boolean(_) => {
                if !value.is_boolean() {
                    self.report(owner, path, Kind::WrongType, wrong("a boolean"));
                }
            }
            oa::Type::Array(array) => {
                let Some(items) = value.as_array() else {
                    return self.report(owner, path, Kind::WrongType, wrong("an array"));
                };
                if let Some(schema) = &array.items {
                    let schema = schema.clone().unbox();
                    for (index, item) in items.iter().enumerate() {
                        self.walk(&schema, item, &format!("{path}[{index}]"), owner, false);
                    }
                }
            }
            oa::Type::Object(object) => {
                let Some(map) = value.as_object() else {
                    return self.report(owner, path, Kind::WrongType, wrong("an object"));
                };
                for required in &object.required {
                    if !map.contains_key(required) {
                        self.report(
                            owner,
                            &format!("{path}.{required}"),
                            Kind::MissingRequired,
                            "absent".to_owned(),
                        );
                    }
                }
                for (key, item) in map {
                    let child = format!("{path}.{key}");
                    match object.properties.get(key) {
                        Some(schema) => {
                            let schema = schema.clone().unbox();
                            self.walk(&schema, item, &child, owner, false);
                        }
                        None => match &object.additional_properties {
                            Some(oa::AdditionalProperties::Schema(schema)) => {
                                self.walk(schema, item, &child, owner, false);
                            }
                            Some(oa::AdditionalProperties::Any(true)) => {}
                            _ => self.report(owner, &child, Kind::UnknownField, brief(item)),
                        },
                    }
                }
            }
        }
    }
}

/// Whether `text` is of `format` (formats the spec uses; others are not checked). Date-times
/// may carry no offset: webhook payloads send them so, and the client accepts them.
fn format_fits(format: &str, text: &str) -> bool {
    match format {
        "date" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        "date-time" => {
            chrono::DateTime::parse_from_rfc3339(text).is_ok()
                || ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .any(|f| chrono::NaiveDateTime::parse_from_str(text, f).is_ok())
        }
        "uuid" => uuid::Uuid::parse_str(text).is_ok(),
        "decimal" => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let (whole, fraction) = match digits.split_once('.') {
                Some((whole, fraction)) => (whole, Some(fraction)),
                None => (digits, None),
            };
            let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
            (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()))
                && all_digits(whole)
                && fraction.is_none_or(|f| !f.is_empty() && all_digits(f))
        }
        "email" => text
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && !host.is_empty()),
        _ => true,
    }
}

/// A short rendering of a value for a report (strings cut at 60 characters).
fn brief(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{:?}", brief_str(text)),
        Value::Array(items) => format!("an array of {}", items.len()),
        Value::Object(map) => format!("an object with {} field(s)", map.len()),
        other => other.to_string(),
    }
}

fn brief_str(text: &str) -> String {
    let mut cut: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        cut.push('…');
    }
    cut
}

/// What `fetch` answers for a path (relative to the base URL, query included): the status and
/// the body as JSON (`Value::Null` when it is not JSON).
pub type Fetched = Result<(u16, Value), String>;

/// Walks every read-only operation of the spec (GETs, not the deprecated magic-link "creates"),
/// discovering ids as it goes (companies, their sites, connections, documents, usage rows,
/// meters, invitations), fetches each with `fetch`, and checks every answer. Operations whose
/// ids could not be discovered are listed in the second result. Never a write.
pub fn walk(
    spec: &oa::OpenAPI,
    mut fetch: impl FnMut(&str) -> Fetched,
) -> (Vec<Finding>, Vec<String>) {
    let reads: Vec<(String, String)> = read::operations(spec)
        .filter(|(_, method, op)| {
            *method == "get"
                && !op
                    .operation_id
                    .as_deref()
                    .unwrap_or("")
                    .starts_with("create_")
        })
        .filter_map(|(path, _, op)| Some((op.operation_id.clone()?, path.to_owned())))
        .collect();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut findings = Vec::new();
    loop {
        let mut progressed = false;
        for (operation, template) in &reads {
            if done.contains(operation) {
                continue;
            }
            let Some(path) = fill(template, &ids) else {
                continue;
            };
            done.insert(operation.clone());
            progressed = true;
            let source = format!("{operation} (GET {template})");
            match fetch(&path) {
                Ok((status, body)) => {
                    match response_schema(spec, operation, status) {
                        Some(schema) => findings.extend(check(spec, &schema, &body, &source)),
                        None => findings.push(Finding {
                            source: source.clone(),
                            schema: "(none)".to_owned(),
                            path: "$".to_owned(),
                            kind: Kind::WrongType,
                            detail: format!("status {status} is not documented: {}", brief(&body)),
                        }),
                    }
                    if status < 300 {
                        discover(&body, &mut ids);
                    }
                }
                Err(error) => findings.push(Finding {
                    source,
                    schema: "(none)".to_owned(),
                    path: "$".to_owned(),
                    kind: Kind::WrongType,
                    detail: format!("no answer: {error}"),
                }),
            }
        }
        if !progressed {
            break;
        }
    }
    let skipped = reads
        .iter()
        .filter(|(operation, _)| !done.contains(operation))
        .map(|(operation, template)| format!("{operation} (GET {template}): no id found for it"))
        .collect();
    (findings, skipped)
}

/// The path with its placeholders filled from `ids`, if all are known.
fn fill(template: &str, ids: &BTreeMap<String, String>) -> Option<String> {
    let mut path = template.to_owned();
    while let Some(start) = path.find('{') {
        let end = start + path[start..].find('}')?;
        let value = ids.get(&path[start + 1..end])?;
        path.replace_range(start..=end, value);
    }
    Some(path)
}

/// Ids an answer reveals, by the path parameter they fill.
fn discover(body: &Value, ids: &mut BTreeMap<String, String>) {
    let first = |value: &Value, key: &str| -> Option<String> {
        let found = match value {
            Value::Array(items) => items.first()?.get(key)?,
            other => other.get(key)?,
        };
        found.as_str().map(str::to_owned)
    };
    let mut learn = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            ids.entry(name.to_owned()).or_insert(value);
        }
    };
    if body.is_array() {
        // The company list, or the invitation list.
        let kind = body.get(0).map(|item| item.get("invitationType").is_some());
        match kind {
            Some(true) => learn("invitation_id", first(body, "id")),
            Some(false) => learn("company_id", first(body, "id")),
            None => {}
        }
        return;
    }
    learn("site_id", body.get("sites").and_then(|s| first(s, "id")));
    learn(
        "connection_id",
        body.get("connections").and_then(|c| first(c, "id")),
    );
    learn(
        "document_id",
        body.get("documents").and_then(|d| first(d, "id")),
    );
    if let Some(rows) = body.get("usageData") {
        learn("usage_data_id", first(rows, "id"));
        learn("meter_id", first(rows, "meter"));
    }
}

/// The findings as readable text, grouped by schema, then by path.
pub fn report(findings: &[Finding]) -> String {
    let mut by_schema: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_schema.entry(&finding.schema).or_default().push(finding);
    }
    let mut out = String::new();
    for (schema, mut items) in by_schema {
        items.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
        out.push_str(&format!("{schema}\n"));
        for item in items {
            out.push_str(&format!(
                "  {:<18} {}  {}  [{}]\n",
                format!("{:?}", item.kind),
                item.path,
                item.detail,
                item.source
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_of_drift_is_found_and_placed() {
        let spec = crate::spec().unwrap();
        let connection = json!({
            "id": "94ca4dc7-cc09-4162-9b20-7f4bcb5d1199",
            "created": "yesterday",
            "status": "SUSPENDED",
            "brandNew": 1,
            "accounts": [{"id": "not-a-uuid", "meters": [], "isTracked": null, "isDuplicated": 3}],
        });
        let findings = check_component(&spec, "Connection", &connection);
        let found =
            |path: &str, kind: Kind| findings.iter().any(|f| f.path == path && f.kind == kind);
        assert!(found("$.created", Kind::WrongFormat), "{findings:#?}");
        assert!(found("$.status", Kind::UnknownEnumValue), "{findings:#?}");
        assert!(found("$.brandNew", Kind::UnknownField), "{findings:#?}");
        assert!(
            found("$.accounts[0].id", Kind::WrongFormat),
            "{findings:#?}"
        );
        assert!(
            found("$.accounts[0].isTracked", Kind::UnexpectedNull),
            "{findings:#?}"
        );
        assert!(
            found("$.accounts[0].isDuplicated", Kind::WrongType),
            "{findings:#?}"
        );
        let text = report(&findings);
        assert!(
            text.starts_with("Account\n") && text.contains("Connection\n"),
            "{text}"
        );
    }

    #[test]
    fn a_conforming_value_has_no_findings() {
        let spec = crate::spec().unwrap();
        let error = json!({"detail": "Company not found."});
        assert!(check_component(&spec, "ApiError", &error).is_empty());
        let missing = check_component(&spec, "ApiError", &json!({}));
        assert_eq!(missing[0].kind, Kind::MissingRequired);
    }

    #[test]
    fn decimal_and_date_time_formats() {
        for ok in ["12.50", "0", "-3.1", "100", ".5"] {
            assert!(format_fits("decimal", ok), "{ok}");
        }
        for bad in ["", "-", "1.", ".", "1e3", "abc"] {
            assert!(!format_fits("decimal", bad), "{bad}");
        }
        assert!(format_fits("date-time", "2025-11-07T01:56:33.835384215"));
        assert!(format_fits("date-time", "2023-11-07T05:31:56Z"));
        assert!(!format_fits("date-time", "2023-11-07"));
    }
}
