//! Request bodies the way users write them, generated from the spec (a pass over progenitor's
//! output):
//!
//! - every nullable field of an update (`PATCH`) body becomes `crate::Patch<T>`: left as it is
//!   (not sent), set, or cleared (`null`); typify alone would give `Option<T>`, which cannot
//!   send `null`;
//! - every list of an update body becomes `Option<Vec<T>>`: left as it is (`None`, not sent) or
//!   set, the empty list included (`Some(vec![])` sends `[]`, which clears it); typify alone
//!   gives `Vec<T>` skipped when empty, which can never clear a list;
//! - every optional field's builder setter takes `impl crate::FieldValue<F>`: the value itself,
//!   the field type, or plain text for string fields, checked against the field's constraints
//!   when set, the error naming the field (`.address("Main St 1")`, not
//!   `Some("Main St 1".try_into()?)`).

use std::collections::{BTreeMap, BTreeSet};

use openapiv3 as oa;
use quote::{ToTokens, quote};

use crate::read::snake;
use crate::{Error, read};

/// Request-body components, each with the JSON names of the properties that become `Patch`
/// (nullable properties of `PATCH` bodies; empty for other bodies).
pub(crate) fn request_bodies(spec: &oa::OpenAPI) -> BTreeMap<String, BTreeSet<String>> {
    update_properties(spec, is_nullable)
}

/// `PATCH` body components, each with the JSON names of its list properties (which become
/// `Option<Vec<T>>`, so that an empty list is sent).
pub(crate) fn update_lists(spec: &oa::OpenAPI) -> BTreeMap<String, BTreeSet<String>> {
    update_properties(spec, |property| {
        matches!(property, oa::ReferenceOr::Item(schema)
            if matches!(schema.schema_kind, oa::SchemaKind::Type(oa::Type::Array(_))))
    })
}

/// Request-body components, each with the JSON names of its properties that `select` picks when
/// the body is a `PATCH` body (none for other bodies).
fn update_properties(
    spec: &oa::OpenAPI,
    select: impl Fn(&oa::ReferenceOr<Box<oa::Schema>>) -> bool,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut bodies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    for (_, method, operation) in read::operations(spec) {
        let Some(oa::ReferenceOr::Item(body)) = &operation.request_body else {
            continue;
        };
        let Some(name) = read::json_body(&body.content).and_then(read::component_name) else {
            continue;
        };
        let name = name.to_owned();
        let nullable: BTreeSet<String> = if method == "patch" {
            schemas
                .and_then(|s| s.get(&name))
                .and_then(|s| s.as_item())
                .map(|schema| match &schema.schema_kind {
                    oa::SchemaKind::Type(oa::Type::Object(object)) => object
                        .properties
                        .iter()
                        .filter(|(_, p)| select(p))
                        .map(|(k, _)| k.clone())
                        .collect(),
                    _ => BTreeSet::new(),
                })
                .unwrap_or_default()
        } else {
            BTreeSet::new()
        };
        bodies.entry(name).or_default().extend(nullable);
    }
    bodies
}

fn is_nullable(property: &oa::ReferenceOr<Box<oa::Schema>>) -> bool {
    matches!(property, oa::ReferenceOr::Item(schema) if schema.schema_data.nullable)
}

/// Applies the pass to the generated client; see the module documentation.
pub(crate) fn apply(file: &mut syn::File, spec: &oa::OpenAPI) -> Result<(), Error> {
    let bodies = request_bodies(spec);
    let lists = update_lists(spec);
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    }) else {
        return Err(Error::Render(
            "the generated client has no `mod types`".to_owned(),
        ));
    };
    // The string newtypes (constrained strings): plain text converts into them.
    let newtypes: BTreeSet<String> = types
        .1
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => match &s.fields {
                syn::Fields::Unnamed(fields)
                    if fields.unnamed.len() == 1
                        && quote!(#fields).to_string().contains("String") =>
                {
                    Some(s.ident.to_string())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    // (field type, newtype) pairs that need text conversions.
    let mut text_fields: BTreeSet<(bool, String)> = BTreeSet::new();

    // 1. The body structs: nullable fields of update bodies become Patch.
    for item in types.1.iter_mut() {
        let syn::Item::Struct(structure) = item else {
            continue;
        };
        let Some(patched) = bodies.get(&structure.ident.to_string()) else {
            continue;
        };
        let patched: BTreeSet<String> = patched.iter().map(|n| snake(n)).collect();
        let listed = snake_names(lists.get(&structure.ident.to_string()));
        if let syn::Fields::Named(fields) = &mut structure.fields {
            for field in fields.named.iter_mut() {
                let Some(name) = field.ident.as_ref().map(ToString::to_string) else {
                    continue;
                };
                if listed.contains(&name) {
                    optional_list(field, &structure.ident)?;
                    continue;
                }
                if !patched.contains(&name) {
                    continue;
                }
                let inner = option_inner(&field.ty).ok_or_else(|| {
                    Error::Render(format!(
                        "{}.{name} is nullable but not an Option",
                        structure.ident
                    ))
                })?;
                field.ty = syn::parse_quote!(crate::Patch<#inner>);
                replace_in_serde(
                    field,
                    "skip_serializing_if = \"::std::option::Option::is_none\"",
                    "default , skip_serializing_if = \"crate::Patch::is_keep\"",
                )?;
            }
        }
    }

    // 2. The builders: the same fields, and setters that take plain values.
    let Some(builders) = types.1.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
        _ => None,
    }) else {
        return Err(Error::Render(
            "the generated types have no `mod builder`".to_owned(),
        ));
    };
    let mut field_types: BTreeMap<(String, String), syn::Type> = BTreeMap::new();
    for item in builders.1.iter_mut() {
        let syn::Item::Struct(structure) = item else {
            continue;
        };
        let Some(patched) = bodies.get(&structure.ident.to_string()) else {
            continue;
        };
        let patched: BTreeSet<String> = patched.iter().map(|n| snake(n)).collect();
        let listed = snake_names(lists.get(&structure.ident.to_string()));
        let syn::Fields::Named(fields) = &mut structure.fields else {
            continue;
        };
        for field in fields.named.iter_mut() {
            let Some(name) = field.ident.as_ref().map(ToString::to_string) else {
                continue;
            };
            let Some(mut stored) = result_ok(&field.ty) else {
                continue;
            };
            if listed.contains(&name) {
                stored = syn::parse_quote!(::std::option::Option<#stored>);
            }
            let Some(inner) = option_inner(&stored) else {
                continue;
            };
            let stored: syn::Type = if patched.contains(&name) {
                syn::parse_quote!(crate::Patch<#inner>)
            } else {
                stored
            };
            field.ty = syn::parse_quote!(::std::result::Result<#stored, ::std::string::String>);
            let newtype = quote!(#inner).to_string().replace(' ', "");
            if let Some(newtype) = newtype.strip_prefix("super::")
                && newtypes.contains(newtype)
            {
                text_fields.insert((patched.contains(&name), newtype.to_owned()));
            }
            field_types.insert((structure.ident.to_string(), name), stored);
        }
    }
    for item in builders.1.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        let owner = block.self_ty.to_token_stream().to_string();
        for member in &mut block.items {
            let syn::ImplItem::Fn(setter) = member else {
                continue;
            };
            let name = setter.sig.ident.to_string();
            let Some(stored) = field_types.get(&(owner.clone(), name.clone())) else {
                continue;
            };
            let field = &setter.sig.ident;
            let json = camel(&name);
            *setter = syn::parse_quote! {
                pub fn #field<V>(mut self, value: V) -> Self
                where
                    V: crate::FieldValue<#stored>,
                {
                    self.#field = value.into_field().map_err(|e| format!("{}: {e}", #json));
                    self
                }
            };
        }
    }

    // 3. Plain text into the constrained string newtypes.
    for (patch, newtype) in text_fields {
        let ty = syn::Ident::new(&newtype, proc_macro2::Span::call_site());
        let (field, wrap) = if patch {
            (quote!(crate::Patch<#ty>), quote!(crate::Patch::Set))
        } else {
            (
                quote!(::std::option::Option<#ty>),
                quote!(::std::option::Option::Some),
            )
        };
        for source in [quote!(&str), quote!(::std::string::String)] {
            let item: syn::Item = syn::parse_quote! {
                impl crate::FieldValue<#field> for #source {
                    fn into_field(self) -> ::std::result::Result<#field, ::std::string::String> {
                        #ty::try_from(self).map(#wrap).map_err(|e| e.to_string())
                    }
                }
            };
            types.1.push(item);
        }
    }
    Ok(())
}

/// The snake-case (Rust) names of `names`.
fn snake_names(names: Option<&BTreeSet<String>>) -> BTreeSet<String> {
    names.into_iter().flatten().map(|n| snake(n)).collect()
}

/// `Vec<T>` skipped when empty -> `Option<Vec<T>>` skipped when `None`.
fn optional_list(field: &mut syn::Field, owner: &syn::Ident) -> Result<(), Error> {
    let ty = &field.ty;
    if generic_argument(ty, "Vec", 0).is_none() {
        return Err(Error::Render(format!(
            "{owner}.{} is a list in the spec but not a Vec: {}",
            field
                .ident
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            quote!(#ty)
        )));
    }
    field.ty = syn::parse_quote!(::std::option::Option<#ty>);
    replace_in_serde(
        field,
        "skip_serializing_if = \"::std::vec::Vec::is_empty\"",
        "skip_serializing_if = \"::std::option::Option::is_none\"",
    )
}

/// Replaces `from` by `to` in the field's `#[serde(...)]` attributes (as token text).
fn replace_in_serde(field: &mut syn::Field, from: &str, to: &str) -> Result<(), Error> {
    for attribute in &mut field.attrs {
        if attribute.path().is_ident("serde") {
            let text = attribute.to_token_stream().to_string().replace(from, to);
            *attribute = syn::parse_str::<syn::DeriveInput>(&format!("{text} struct X;"))
                .map_err(|e| Error::Render(e.to_string()))?
                .attrs
                .remove(0);
        }
    }
    Ok(())
}

/// `T` of `::std::option::Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    generic_argument(ty, "Option", 0)
}

/// `T` of `::std::result::Result<T, E>`.
fn result_ok(ty: &syn::Type) -> Option<syn::Type> {
    generic_argument(ty, "Result", 0)
}

fn generic_argument(ty: &syn::Type, outer: &str, index: usize) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != outer {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.iter().nth(index)? {
        syn::GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    }
}

/// `external_id` -> `externalId` (the JSON name the error names).
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn update_bodies_patch_their_nullable_fields_only() {
        let spec = crate::spec().unwrap();
        let bodies = super::request_bodies(&spec);
        let site = &bodies["SiteUpdate"];
        assert!(
            site.contains("externalId") && site.contains("occupancyPercent"),
            "{site:?}"
        );
        assert!(
            !site.contains("address"),
            "address is optional, not nullable: {site:?}"
        );
        assert!(bodies["CompanyUpdate"].contains("externalId"));
        assert!(bodies["ConnectionUpdate"].contains("dataCollectionStartDate"));
        assert!(
            bodies["SiteCreate"].is_empty(),
            "create bodies have nothing to clear"
        );
    }

    #[test]
    fn update_bodies_keep_or_set_their_lists() {
        let spec = crate::spec().unwrap();
        let lists = super::update_lists(&spec);
        assert!(lists["SiteUpdate"].contains("path"), "{lists:?}");
        assert!(lists["CompanyUpdate"].contains("users"), "{lists:?}");
        assert!(lists["SiteCreate"].is_empty(), "{lists:?}");
    }
}
