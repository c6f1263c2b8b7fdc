//! The pager's glue, generated: every schema shaped like Nectar's page envelope implements
//! `nectar_api::pager::Page`, and every operation that answers one and takes a `page` query
//! parameter implements `nectar_api::pager::PagedRequest`. The one generic pager then serves
//! every list endpoint, present and future, with no code per endpoint.

use openapiv3 as oa;
use proc_macro2::TokenStream;
use quote::quote;

use crate::read::snake;
use crate::{Error, passes::open_enum::ident, read};

/// The fields every page envelope has (besides `total<Items>` and `<items>`).
const ENVELOPE: [&str; 5] = [
    "perPage",
    "totalPages",
    "currentPage",
    "hasNext",
    "hasPrevious",
];

/// A page envelope component: its name, its total field and its items field and item type.
struct Envelope {
    name: String,
    total: String,
    items: String,
    item_type: String,
}

fn envelope(name: &str, schema: &oa::Schema) -> Option<Envelope> {
    let oa::SchemaKind::Type(oa::Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    if !ENVELOPE
        .iter()
        .all(|field| object.required.iter().any(|r| r == field))
    {
        return None;
    }
    let totals: Vec<&String> = object
        .properties
        .keys()
        .filter(|k| k.starts_with("total") && k.as_str() != "totalPages")
        .collect();
    let arrays: Vec<(&String, String)> = object
        .properties
        .iter()
        .filter_map(|(key, property)| {
            let property = property.as_item()?;
            let oa::SchemaKind::Type(oa::Type::Array(array)) = &property.schema_kind else {
                return None;
            };
            match array.items.as_ref()? {
                oa::ReferenceOr::Reference { reference } => {
                    Some((key, reference.rsplit('/').next()?.to_owned()))
                }
                oa::ReferenceOr::Item(_) => None,
            }
        })
        .collect();
    match (totals.as_slice(), arrays.as_slice()) {
        ([total], [(items, item_type)]) => Some(Envelope {
            name: name.to_owned(),
            total: (*total).clone(),
            items: (*items).clone(),
            item_type: item_type.clone(),
        }),
        _ => None,
    }
}

/// Whether component `name` is an object with a required `id`.
fn has_required_id(spec: &oa::OpenAPI, name: &str) -> bool {
    let schema = spec
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(name))
        .and_then(|s| s.as_item());
    matches!(
        schema.map(|s| &s.schema_kind),
        Some(oa::SchemaKind::Type(oa::Type::Object(object)))
            if object.required.iter().any(|r| r == "id") && object.properties.contains_key("id")
    )
}

/// `list_company_connections` -> `ListCompanyConnections`.
fn camel(name: &str) -> String {
    crate::passes::open_enum::variant_name(name)
}

/// The tokens of `generated/pages.rs`.
pub(crate) fn generate(spec: &oa::OpenAPI) -> Result<TokenStream, Error> {
    let envelopes: Vec<Envelope> = spec
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .filter_map(|(name, schema)| envelope(name, schema.as_item()?))
        .collect();

    let mut items = Vec::new();
    for envelope in &envelopes {
        let page = ident(&envelope.name)?;
        let item = ident(&envelope.item_type)?;
        let total = ident(&snake(&envelope.total))?;
        let list = ident(&snake(&envelope.items))?;
        // An item with a required `id` is told apart by it: the pager refuses a list that gives
        // one twice (an item moved while the list was read, so another may have been skipped).
        let key = has_required_id(spec, &envelope.item_type).then(|| {
            quote! {
                fn item_key(item: &types::#item) -> ::std::option::Option<u64> {
                    ::std::option::Option::Some(crate::pager::key_of(&item.id))
                }
            }
        });
        items.push(quote! {
            impl crate::pager::Page for types::#page {
                type Item = types::#item;
                fn current_page(&self) -> u64 { self.current_page }
                fn total_pages(&self) -> u64 { self.total_pages }
                fn total_items(&self) -> u64 { self.#total }
                fn has_next(&self) -> bool { self.has_next }
                fn items(&self) -> &[types::#item] { &self.#list }
                fn into_items(self) -> ::std::vec::Vec<types::#item> { self.#list }
                #key
            }
        });
    }

    for (_, _, operation) in read::operations(spec) {
        let Some(id) = operation.operation_id.as_deref() else {
            continue;
        };
        let answers_page = read::json_answer(operation, 200)
            .and_then(read::component_name)
            .and_then(|name| envelopes.iter().find(|e| e.name == name));
        let takes_page = operation.parameters.iter().any(|p| {
            matches!(p, oa::ReferenceOr::Item(oa::Parameter::Query { parameter_data, .. })
                if parameter_data.name == "page")
        });
        let Some(envelope) = answers_page else {
            continue;
        };
        if !takes_page {
            return Err(Error::Spec(format!(
                "operation {id} answers the page envelope {} but has no `page` parameter",
                envelope.name
            )));
        }
        let builder = ident(&camel(id))?;
        let page = ident(&envelope.name)?;
        items.push(quote! {
            impl<'a> crate::pager::PagedRequest<'a> for builder::#builder<'a> {
                type Page = types::#page;
                fn with_page(self, page: u32) -> Self { self.page(page) }
                fn send_page(self) -> impl ::std::future::Future<
                    Output = ::std::result::Result<ResponseValue<types::#page>, crate::Error>,
                > + Send + 'a {
                    self.send()
                }
            }
        });
    }

    Ok(quote! {
        //! The pager's glue: `Page` for every page envelope of the spec, `PagedRequest` for every
        //! operation that answers one.
        use super::client::{builder, types, ResponseValue};
        #(#items)*
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::snake("totalConnections"), "total_connections");
        assert_eq!(
            super::camel("list_company_connections"),
            "ListCompanyConnections"
        );
    }
}
