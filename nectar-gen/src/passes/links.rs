//! OpenAPI `links` from each create operation to the operations that take what it created, so
//! stateful testers (schemathesis) and readers can chain calls: create a company, then a site
//! in it, then a connection, then read its details. Derived from the spec, not listed by hand:
//! a `POST` whose success answer is component `X` with an `id` links to every operation with a
//! path parameter `<x>_id` (`Company` → `company_id`), passing `$response.body#/id`.
//!
//! No link fills a request body (`requestBody`), though one from `create_site` into
//! `create_connection`'s `initialSites` would let stateful testers make connections:
//! openapi-generator's parser (swagger-parser) refuses a spec whose link `requestBody` is not a
//! string, and a string cannot be merged into a generated body. CI points schemathesis at seeded
//! objects instead (`tests/interop/seeded_config.py`).

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
    // (operation id, path parameter names) of every operation.
    let targets: Vec<(String, Vec<String>)> = read::operations(&spec)
        .filter_map(|(_, _, op)| {
            let params = op
                .parameters
                .iter()
                .filter_map(|p| match p.as_item()? {
                    oa::Parameter::Path { parameter_data, .. } => Some(parameter_data.name.clone()),
                    _ => None,
                })
                .collect();
            Some((op.operation_id.clone()?, params))
        })
        .collect();
    for item in paths.paths.values_mut() {
        let oa::ReferenceOr::Item(item) = item else {
            continue;
        };
        let Some(post) = item.post.as_mut() else {
            continue;
        };
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
            for (target, params) in &targets {
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
        let connection = links("/connection/company/{company_id}");
        assert!(
            connection.contains(&"GetConnection".to_owned()),
            "{connection:?}"
        );
        assert!(connection.contains(&"CreateReconnectInvitation".to_owned()));
    }
}
