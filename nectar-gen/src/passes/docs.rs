//! Doc comments for every public item progenitor leaves without one, from the spec, so
//! nectar-api's generated code needs no `#[allow(missing_docs)]`:
//!
//! - a data type's `builder()`, and the builder type itself: what it builds and how;
//! - each setter of a type's builder: the description of the field it sets (copied from the
//!   type's own field);
//! - an operation builder's `new(client)`: the client method that starts one;
//! - each parameter setter of an operation builder: the parameter's description in the spec;
//!   `body` and `body_map`: what they take;
//! - a flattened `extra` map: the fields the spec does not know, kept as sent;
//! - a variant of an untagged enum: the JSON type it is sent as;
//! - `mod builder` (both): what is in it.

use std::collections::BTreeMap;

use openapiv3 as oa;
use quote::quote;

use crate::{Error, read};

/// A doc attribute of `text`.
fn doc(text: &str) -> syn::Attribute {
    let text = format!(" {}", text.trim());
    syn::parse_quote!(#[doc = #text])
}

fn is_public(visibility: &syn::Visibility) -> bool {
    matches!(visibility, syn::Visibility::Public(_))
}

fn has_doc(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("doc"))
}

fn doc_attrs(attrs: &[syn::Attribute]) -> Vec<syn::Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect()
}

/// The name an `impl` block is for (`impl Foo` / `impl<'a> Foo<'a>` -> `Foo`).
fn self_name(block: &syn::ItemImpl) -> Option<String> {
    let syn::Type::Path(path) = block.self_ty.as_ref() else {
        return None;
    };
    Some(path.path.segments.last()?.ident.to_string())
}

/// The field docs of every struct of a module: (struct, field) -> doc attributes.
fn field_docs(items: &[syn::Item]) -> BTreeMap<(String, String), Vec<syn::Attribute>> {
    let mut out = BTreeMap::new();
    for item in items {
        let syn::Item::Struct(structure) = item else {
            continue;
        };
        for field in &structure.fields {
            let Some(name) = &field.ident else { continue };
            let docs = doc_attrs(&field.attrs);
            if !docs.is_empty() {
                out.insert(
                    (
                        structure.ident.to_string(),
                        name.to_string().trim_start_matches("r#").to_owned(),
                    ),
                    docs,
                );
            }
        }
    }
    out
}

/// The description of every parameter of every operation: (operationId, setter name) -> text.
fn parameter_docs(spec: &oa::OpenAPI) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (_, _, operation) in read::operations(spec) {
        let Some(id) = &operation.operation_id else {
            continue;
        };
        for parameter in &operation.parameters {
            let parameter = match parameter {
                oa::ReferenceOr::Item(item) => Some(item),
                oa::ReferenceOr::Reference { reference } => reference
                    .rsplit('/')
                    .next()
                    .and_then(|name| spec.components.as_ref()?.parameters.get(name))
                    .and_then(|p| p.as_item()),
            };
            let Some(parameter) = parameter else { continue };
            let data = parameter.parameter_data_ref();
            let text = data
                .description
                .clone()
                .unwrap_or_else(|| format!("The `{}` parameter.", data.name));
            out.insert((id.clone(), read::snake(&data.name)), text);
        }
    }
    out
}

/// Adds the docs; the number of items documented.
pub(crate) fn apply(file: &mut syn::File, spec: &oa::OpenAPI) -> Result<usize, Error> {
    let parameters = parameter_docs(spec);
    let mut count = 0;
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident == "types" {
            count += document_types(module);
        } else if module.ident == "builder" {
            count += document_operation_builders(module, &parameters);
        }
    }
    if count == 0 {
        return Err(Error::Render(
            "docs: nothing left to document in progenitor's output (its output changed?)"
                .to_owned(),
        ));
    }
    Ok(count)
}

fn document_types(module: &mut syn::ItemMod) -> usize {
    let Some((_, items)) = module.content.as_mut() else {
        return 0;
    };
    let fields = field_docs(items);
    let mut count = 0;
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(structure) => {
                for field in structure.fields.iter_mut() {
                    let is_extra = field.ident.as_ref().is_some_and(|i| i == "extra");
                    if is_extra && !has_doc(&field.attrs) {
                        field.attrs.insert(
                            0,
                            doc(
                                "The fields Nectar sent that the spec does not know, kept as sent \
                                 (their sensitive values masked in `Debug`).",
                            ),
                        );
                        count += 1;
                    }
                }
            }
            syn::Item::Enum(enumeration) => {
                for variant in enumeration.variants.iter_mut() {
                    if has_doc(&variant.attrs) {
                        continue;
                    }
                    let text = match &variant.fields {
                        syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                            let ty = &fields.unnamed[0].ty;
                            let ty = quote!(#ty).to_string().replace(' ', "");
                            let ty = ty.rsplit("::").next().unwrap_or(&ty).to_owned();
                            format!(
                                "The value, sent as a JSON {}.",
                                match ty.as_str() {
                                    "String" => "string",
                                    "bool" => "boolean",
                                    "f64" | "i64" | "u64" => "number",
                                    other => other,
                                }
                            )
                        }
                        _ => format!("`{}`.", variant.ident),
                    };
                    variant.attrs.insert(0, doc(&text));
                    count += 1;
                }
            }
            syn::Item::Impl(block) if block.trait_.is_none() => {
                let Some(name) = self_name(block) else {
                    continue;
                };
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(function) = member
                        && function.sig.ident == "builder"
                        && !has_doc(&function.attrs)
                    {
                        function.attrs.insert(
                            0,
                            doc(&format!(
                                "A builder for [`{name}`]: set its fields, then convert it with \
                                 `try_into()` (or `{name}::try_from`), which checks every value \
                                 and names the field that breaks a constraint."
                            )),
                        );
                        count += 1;
                    }
                }
            }
            syn::Item::Mod(inner) if inner.ident == "builder" => {
                if !has_doc(&inner.attrs)
                    || quote!(#inner).to_string().contains("composing complex")
                {
                    inner.attrs.retain(|a| !a.path().is_ident("doc"));
                    inner.attrs.insert(
                        0,
                        doc(
                            "Builders of the data types: one per type, each setter checking its \
                             value; `try_into()` gives the type.",
                        ),
                    );
                }
                count += document_type_builders(inner, &fields);
            }
            _ => {}
        }
    }
    count
}

fn document_type_builders(
    module: &mut syn::ItemMod,
    fields: &BTreeMap<(String, String), Vec<syn::Attribute>>,
) -> usize {
    let Some((_, items)) = module.content.as_mut() else {
        return 0;
    };
    let mut count = 0;
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(structure) if !has_doc(&structure.attrs) => {
                let name = structure.ident.to_string();
                structure.attrs.insert(
                    0,
                    doc(&format!(
                        "A builder for [`super::{name}`]: set its fields, then `try_into()`."
                    )),
                );
                count += 1;
            }
            syn::Item::Impl(block) if block.trait_.is_none() => {
                let Some(name) = self_name(block) else {
                    continue;
                };
                for member in &mut block.items {
                    let syn::ImplItem::Fn(function) = member else {
                        continue;
                    };
                    if has_doc(&function.attrs) || !is_public(&function.vis) {
                        continue;
                    }
                    let field = function.sig.ident.to_string();
                    let field = field.trim_start_matches("r#").to_owned();
                    let mut docs = fields
                        .get(&(name.clone(), field.clone()))
                        .cloned()
                        .unwrap_or_else(|| vec![doc(&format!("Sets `{field}`."))]);
                    let signature = &function.sig;
                    if quote!(#signature).to_string().contains("FieldValue") {
                        docs.push(doc(""));
                        docs.push(doc(
                            "Takes the value itself, an `Option` of it, or, for an update, a \
                             [`Patch`](crate::Patch) (set, clear or keep); text fields take a \
                             `&str` too, checked when set.",
                        ));
                    }
                    docs.append(&mut function.attrs);
                    function.attrs = docs;
                    count += 1;
                }
            }
            _ => {}
        }
    }
    count
}

fn document_operation_builders(
    module: &mut syn::ItemMod,
    parameters: &BTreeMap<(String, String), String>,
) -> usize {
    module.attrs.retain(|a| !a.path().is_ident("doc"));
    module.attrs.insert(
        0,
        doc(
            "The request builders, one per operation: a `Client` method starts one \
             (`client.get_company()`), its setters take the operation's parameters and body, and \
             `send()` sends it.",
        ),
    );
    let Some((_, items)) = module.content.as_mut() else {
        return 0;
    };
    let mut count = 0;
    for item in items.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        let Some(name) = self_name(block) else {
            continue;
        };
        let operation = read::snake(&name);
        for member in &mut block.items {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            if has_doc(&function.attrs) || !is_public(&function.vis) {
                continue;
            }
            let setter = function.sig.ident.to_string();
            let text = match setter.as_str() {
                "new" => format!(
                    "A `{operation}` request on `client`; [`Client::{operation}`](super::Client::{operation}) \
                     is the usual way to start one."
                ),
                "body" => "The request body: the type, or its builder (whose setters check each \
                           value)."
                    .to_owned(),
                "body_map" => "Changes the request body through its builder, a field at a time \
                               (`.body_map(|b| b.name(\"Acme\"))`)."
                    .to_owned(),
                _ => match parameters.get(&(operation.clone(), setter.clone())) {
                    Some(text) => text.clone(),
                    None => format!("Sets `{setter}`."),
                },
            };
            function.attrs.insert(0, doc(&text));
            count += 1;
        }
    }
    count
}
