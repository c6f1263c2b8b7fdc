//! OpenAPI `links` from each create operation to the operations that take what it created, so
//! stateful testers (schemathesis) and readers can chain calls: create a company, then a site
//! in it, then a connection, then read its details. Derived from the spec, not listed by hand:
//! a `POST` whose success answer is component `X` with an `id` links to every operation with a
//! path parameter `<x>_id` (`Company` → `company_id`), passing `$response.body#/id`; and to
//! every operation whose body takes a list `initial<X>s` (`Site` → `initialSites` of
//! `create_connection`) in the same parent: the created id goes in the list
//! (`requestBody`, which testers merge into the body they generate) and the parent's path
//! parameters pass through (`$request.path.company_id`), so a stateful run can make a
//! connection with a site of its company.

use indexmap::IndexMap;
use openapiv3 as oa;

use crate::read;
use crate::read::snake;

/// Adds the links to `paths` (`schemas`: the components, to check for an `id`).
pub(crate) fn add(paths: &mut oa::Paths, schemas: &IndexMap<String, oa::ReferenceOr<oa::Schema>>) {
    let spec = oa::OpenAPI {
        paths: paths.clone(),
        ..Default::default()
    };
    // (operation id, path parameter names, body properties) of every operation.
    let targets: Vec<(String, Vec<String>, Vec<String>)> = read::operations(&spec)
        .filter_map(|(_, _, op)| {
            let params = path_parameters(op);
            Some((op.operation_id.clone()?, params, body_lists(op, schemas)))
        })
        .collect();
    for item in paths.paths.values_mut() {
        let oa::ReferenceOr::Item(item) = item else {
            continue;
        };
        let Some(post) = item.post.as_mut() else {
            continue;
        };
        let own_params = path_parameters(post);
        for (status, response) in post.responses.responses.iter_mut() {
            let oa::StatusCode::Code(200..=299) = status else {
                continue;
            };
            let oa::ReferenceOr::Item(response) = response else {
                continue;
            };
            let Some(created) = created_component(response, schemas) else {
                continue;
            };
            let parameter = format!("{}_id", snake(&created));
            let list = format!("initial{created}s");
            for (target, params, lists) in &targets {
                // Into a body's `initial<X>s`, with the same parent (its path parameters).
                if lists.contains(&list) && params.iter().all(|p| own_params.contains(p)) {
                    response.links.insert(
                        format!("{}{}", pascal(target), pascal(&snake(&list))),
                        oa::ReferenceOr::Item(oa::Link {
                            description: Some(format!(
                                "The `id` of the created {created} goes in `{list}` of \
                                 `{target}`, in the same parent."
                            )),
                            operation: oa::LinkOperation::OperationId(target.clone()),
                            request_body: Some(
                                serde_json::json!({ list.clone(): ["$response.body#/id"] }),
                            ),
                            parameters: params
                                .iter()
                                .map(|p| {
                                    (
                                        p.clone(),
                                        serde_json::Value::String(format!("$request.path.{p}")),
                                    )
                                })
                                .collect(),
                            server: None,
                            extensions: IndexMap::new(),
                        }),
                    );
                }
                if !params.contains(&parameter) {
                    continue;
                }
                let name = pascal(target);
                response.links.insert(
                    name,
                    oa::ReferenceOr::Item(oa::Link {
                        description: Some(format!(
                            "The `id` of the created {created} is the `{parameter}` of `{target}`."
                        )),
                        operation: oa::LinkOperation::OperationId(target.clone()),
                        request_body: None,
                        parameters: IndexMap::from([(
                            parameter.clone(),
                            serde_json::Value::String("$response.body#/id".to_owned()),
                        )]),
                        server: None,
                        extensions: IndexMap::new(),
                    }),
                );
            }
            response.links.sort_keys();
        }
    }
}

/// The names of an operation's path parameters.
fn path_parameters(operation: &oa::Operation) -> Vec<String> {
    operation
        .parameters
        .iter()
        .filter_map(|p| match p.as_item()? {
            oa::Parameter::Path { parameter_data, .. } => Some(parameter_data.name.clone()),
            _ => None,
        })
        .collect()
}

/// The array properties of an operation's JSON body (a component).
fn body_lists(
    operation: &oa::Operation,
    schemas: &IndexMap<String, oa::ReferenceOr<oa::Schema>>,
) -> Vec<String> {
    let Some(oa::ReferenceOr::Item(body)) = &operation.request_body else {
        return Vec::new();
    };
    let Some(oa::ReferenceOr::Item(component)) = read::json_body(&body.content)
        .and_then(read::component_name)
        .and_then(|name| schemas.get(name))
    else {
        return Vec::new();
    };
    match &component.schema_kind {
        oa::SchemaKind::Type(oa::Type::Object(object)) => object
            .properties
            .iter()
            .filter(|(_, p)| {
                matches!(p, oa::ReferenceOr::Item(schema)
                    if matches!(schema.schema_kind, oa::SchemaKind::Type(oa::Type::Array(_))))
            })
            .map(|(name, _)| name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The component a response answers, if it is an object with an `id`.
fn created_component(
    response: &oa::Response,
    schemas: &IndexMap<String, oa::ReferenceOr<oa::Schema>>,
) -> Option<String> {
    let name = read::component_name(read::json_body(&response.content)?)?;
    let oa::ReferenceOr::Item(component) = schemas.get(name)? else {
        return None;
    };
    match &component.schema_kind {
        oa::SchemaKind::Type(oa::Type::Object(object)) if object.properties.contains_key("id") => {
            Some(name.to_owned())
        }
        _ => None,
    }
}

/// `get_company` -> `GetCompany`.
fn pascal(id: &str) -> String {
    crate::passes::open_enum::variant_name(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn creates_link_to_the_operations_taking_their_ids() {
        let spec = crate::spec().unwrap();
        let links = |path: &str| -> Vec<String> {
            let item = spec.paths.paths[path].as_item().unwrap();
            let post = item.post.as_ref().unwrap();
            let mut names: Vec<String> = post
                .responses
                .responses
                .values()
                .filter_map(|r| r.as_item())
                .flat_map(|r| r.links.keys().cloned())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let company = links("/company");
        for target in [
            "GetCompany",
            "CreateSite",
            "CreateConnection",
            "ListCompanyDocuments",
        ] {
            assert!(company.contains(&target.to_owned()), "{company:?}");
        }
        let site = links("/site/company/{company_id}");
        assert!(site.contains(&"GetSite".to_owned()) && site.contains(&"ListSiteUsage".to_owned()));
        assert!(
            site.contains(&"CreateConnectionInitialSites".to_owned()),
            "a created site reaches a new connection's initialSites: {site:?}"
        );
        let connection = links("/connection/company/{company_id}");
        assert!(
            connection.contains(&"GetConnection".to_owned()),
            "{connection:?}"
        );
        assert!(connection.contains(&"CreateReconnectInvitation".to_owned()));
    }
}
