//! The operation side of the DSL: resource modules describe operations with [`Op`] and register
//! them on an [`Api`], which assembles the OpenAPI document.

use indexmap::IndexMap;
use openapiv3 as oa;
use schemars::JsonSchema;

use crate::{Error, api::common::ApiError, dsl::schema::Schemas};

/// The media type of file uploads.
pub(crate) const MULTIPART: &str = "multipart/form-data";

/// HTTP methods the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// The spec under construction.
pub(crate) struct Api {
    schemas: Schemas,
    paths: IndexMap<String, oa::PathItem>,
    errors: Vec<Error>,
}

impl Api {
    pub(crate) fn new() -> Self {
        Self {
            schemas: Schemas::new(),
            paths: IndexMap::new(),
            errors: Vec::new(),
        }
    }

    /// Starts an operation; finish it with [`Op::add`].
    pub(crate) fn op(&mut self, method: Method, path: &str, operation_id: &str) -> Op<'_> {
        Op {
            api: self,
            method,
            path: path.to_owned(),
            operation: oa::Operation {
                operation_id: Some(operation_id.to_owned()),
                ..Default::default()
            },
        }
    }

    /// Adds `T` (and what it refers to) to the components without an operation.
    pub(crate) fn component<T: JsonSchema>(&mut self) {
        if let Err(error) = self.schemas.reference::<T>() {
            self.errors.push(Error::Spec(format!(
                "component {}: {error}",
                T::schema_name()
            )));
        }
    }

    /// The paths (sorted) and the components (sorted); every problem met on the way.
    pub(crate) fn finish(
        self,
    ) -> Result<(oa::Paths, IndexMap<String, oa::ReferenceOr<oa::Schema>>), Error> {
        if let Some(error) = self.errors.into_iter().next() {
            return Err(error);
        }
        let mut paths: Vec<_> = self.paths.into_iter().collect();
        paths.sort_by(|a, b| a.0.cmp(&b.0));
        let paths = oa::Paths {
            paths: paths
                .into_iter()
                .map(|(path, item)| (path, oa::ReferenceOr::Item(item)))
                .collect(),
            extensions: IndexMap::new(),
        };
        Ok((paths, self.schemas.into_components()?))
    }
}

/// Where Nectar's API reference pages live.
pub(crate) const DOCS: &str = "https://docs.nectarclimate.com/api-reference/";

/// One operation being described. Every method records problems instead of panicking;
/// [`Api::finish`] reports the first.
#[must_use = "an operation is only part of the spec once `.add()` is called"]
pub(crate) struct Op<'a> {
    api: &'a mut Api,
    method: Method,
    path: String,
    operation: oa::Operation,
}

impl Op<'_> {
    pub(crate) fn tag(mut self, tag: &str) -> Self {
        self.operation.tags.push(tag.to_owned());
        self
    }

    pub(crate) fn summary(mut self, summary: &str) -> Self {
        self.operation.summary = Some(summary.to_owned());
        self
    }

    /// The description; leading indentation common to all lines is removed, so descriptions can
    /// be written as indented raw strings.
    pub(crate) fn description(mut self, description: &str) -> Self {
        self.operation.description = Some(dedent(description));
        self
    }

    /// The page of Nectar's API reference that documents this operation (the part after
    /// `https://docs.nectarclimate.com/api-reference/`), as `externalDocs`. `cargo xtask drift
    /// --files` matches the docs' recorded examples to the operation by this page.
    pub(crate) fn docs(mut self, page: &str) -> Self {
        self.operation.external_docs = Some(oa::ExternalDocumentation {
            url: format!("{DOCS}{page}"),
            description: Some("Nectar's reference page for this operation".to_owned()),
            ..Default::default()
        });
        self
    }

    pub(crate) fn deprecated(mut self) -> Self {
        self.operation.deprecated = true;
        self
    }

    /// Path parameters: the fields of `P`, all required.
    pub(crate) fn path_params<P: JsonSchema>(self) -> Self {
        self.params::<P>(true)
    }

    /// Query parameters: the fields of `Q` (`style: form, explode: true`, so arrays repeat the
    /// key: `?sites=a&sites=b`).
    pub(crate) fn query_params<Q: JsonSchema>(self) -> Self {
        self.params::<Q>(false)
    }

    fn params<P: JsonSchema>(mut self, in_path: bool) -> Self {
        let properties = match self.api.schemas.properties::<P>() {
            Ok(properties) => properties,
            Err(error) => return self.fail(error),
        };
        for property in properties {
            let data = oa::ParameterData {
                name: property.name,
                description: property.description,
                required: in_path || property.required,
                deprecated: None,
                format: oa::ParameterSchemaOrContent::Schema(property.schema),
                example: None,
                examples: IndexMap::new(),
                explode: (!in_path).then_some(true),
                extensions: IndexMap::new(),
            };
            let parameter = if in_path {
                oa::Parameter::Path {
                    parameter_data: data,
                    style: oa::PathStyle::Simple,
                }
            } else {
                oa::Parameter::Query {
                    parameter_data: data,
                    allow_reserved: false,
                    style: oa::QueryStyle::Form,
                    allow_empty_value: None,
                }
            };
            self.operation
                .parameters
                .push(oa::ReferenceOr::Item(parameter));
        }
        self
    }

    /// A required JSON request body of type `B`.
    pub(crate) fn body<B: JsonSchema>(mut self, description: &str) -> Self {
        let schema = match self.api.schemas.reference::<B>() {
            Ok(schema) => schema,
            Err(error) => return self.fail(error),
        };
        self.operation.request_body = Some(oa::ReferenceOr::Item(oa::RequestBody {
            description: Some(description.to_owned()),
            content: json_content(schema),
            required: true,
            extensions: IndexMap::new(),
        }));
        self
    }

    /// A required `multipart/form-data` request body whose parts are the properties of `B` (a
    /// file part is `format: binary`). progenitor cannot generate such an operation; the
    /// bindings generate it themselves (see `multipart.rs`).
    pub(crate) fn multipart_body<B: JsonSchema>(mut self, description: &str) -> Self {
        let schema = match self.api.schemas.reference::<B>() {
            Ok(schema) => schema,
            Err(error) => return self.fail(error),
        };
        self.operation.request_body = Some(oa::ReferenceOr::Item(oa::RequestBody {
            description: Some(description.to_owned()),
            content: IndexMap::from([(
                MULTIPART.to_owned(),
                oa::MediaType {
                    schema: Some(schema),
                    ..Default::default()
                },
            )]),
            required: true,
            extensions: IndexMap::new(),
        }));
        self
    }

    /// A success response with a JSON body of type `T`.
    pub(crate) fn response<T: JsonSchema>(mut self, status: u16, description: &str) -> Self {
        let schema = match self.api.schemas.reference::<T>() {
            Ok(schema) => schema,
            Err(error) => return self.fail(error),
        };
        self.insert_response(status, description, json_content(schema));
        self
    }

    /// A success response without a body (`204 No Content`).
    pub(crate) fn empty_response(mut self, status: u16, description: &str) -> Self {
        self.insert_response(status, description, IndexMap::new());
        self
    }

    /// Documented error statuses; every one carries the single `ApiError` body (progenitor allows
    /// one error type per operation, and Nectar answers errors as `{"detail": ...}`).
    pub(crate) fn errors(mut self, statuses: &[u16]) -> Self {
        let schema = match self.api.schemas.reference::<ApiError>() {
            Ok(schema) => schema,
            Err(error) => return self.fail(error),
        };
        for &status in statuses {
            let description = match status {
                400 => "The request is invalid; `detail` says which field or value.",
                401 => "The API key is missing, wrong, inactive, or for the other environment.",
                403 => "The key's user has no access to this object.",
                404 => "No such object.",
                _ => "Error.",
            };
            self.insert_response(status, description, json_content(schema.clone()));
        }
        self
    }

    /// The 400 answer's description, stating the business rules the schema cannot (a value
    /// that must name an existing object, ...). Call after [`Op::errors`].
    pub(crate) fn bad_request(mut self, rules: &str) -> Self {
        if let Some(oa::ReferenceOr::Item(response)) = self
            .operation
            .responses
            .responses
            .get_mut(&oa::StatusCode::Code(400))
        {
            response.description = format!(
                "The request is invalid; `detail` says which field or value. Besides the \
                 schema: {rules}"
            );
        }
        self
    }

    /// Adds the operation to the spec.
    pub(crate) fn add(self) {
        let Op {
            api,
            method,
            path,
            operation,
        } = self;
        let item = api.paths.entry(path.clone()).or_default();
        let slot = match method {
            Method::Get => &mut item.get,
            Method::Post => &mut item.post,
            Method::Patch => &mut item.patch,
            Method::Delete => &mut item.delete,
        };
        if slot.is_some() {
            api.errors
                .push(Error::Spec(format!("{method:?} {path} is described twice")));
        }
        *slot = Some(operation);
    }

    fn insert_response(
        &mut self,
        status: u16,
        description: &str,
        content: IndexMap<String, oa::MediaType>,
    ) {
        self.operation.responses.responses.insert(
            oa::StatusCode::Code(status),
            oa::ReferenceOr::Item(oa::Response {
                description: description.to_owned(),
                content,
                ..Default::default()
            }),
        );
    }

    fn fail(self, error: Error) -> Self {
        let id = self.operation.operation_id.clone().unwrap_or_default();
        self.api
            .errors
            .push(Error::Spec(format!("operation {id}: {error}")));
        self
    }
}

fn json_content(schema: oa::ReferenceOr<oa::Schema>) -> IndexMap<String, oa::MediaType> {
    IndexMap::from([(
        "application/json".to_owned(),
        oa::MediaType {
            schema: Some(schema),
            ..Default::default()
        },
    )])
}

/// Removes the indentation common to all non-blank lines, and surrounding blank lines.
pub(crate) fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dedent_strips_common_indentation() {
        let text = "\n        First line.\n\n          Indented.\n        Last.\n    ";
        assert_eq!(super::dedent(text), "First line.\n\n  Indented.\nLast.");
    }
}
