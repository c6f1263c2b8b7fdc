//! Operations whose request body is `multipart/form-data` (file uploads). progenitor 0.15 cannot
//! generate them ("unexpected content type"), so the spec declares them exactly and this pass
//! sets them aside from the spec progenitor sees, then generates each one's client method and
//! builder itself, in the same shape as progenitor's (`client.upload_document().company_id(..)
//! .document(file).send()`), from the operation's parameters and the body schema's properties.
//! The builders hand a form to the handwritten `crate::multipart::send`, which sends it through
//! the same hooks as every other operation (key, retries, limits, one error type).

use openapiv3 as oa;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::read::snake;
use crate::{Error, dsl::operation::MULTIPART, passes::open_enum::ident, read};

/// One part of a multipart body, from a property of the body schema.
struct Part {
    /// The JSON name (`siteId`).
    name: String,
    /// The builder setter's name (`site_id`).
    field: syn::Ident,
    kind: PartKind,
    required: bool,
    description: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PartKind {
    /// `format: binary`: a `crate::FilePart`.
    File,
    /// `format: uuid`.
    Uuid,
    /// Any other string.
    Text,
    /// A boolean.
    Flag,
}

/// A multipart operation set aside from progenitor.
pub(crate) struct MultipartOp {
    id: String,
    path: String,
    doc: String,
    path_params: Vec<(String, Option<String>)>,
    parts: Vec<Part>,
    response: String,
    success: Vec<u16>,
    errors: Vec<u16>,
}

/// Removes the multipart operations from `spec` (the copy progenitor sees) and returns them.
pub(crate) fn set_aside(spec: &mut oa::OpenAPI) -> Result<Vec<MultipartOp>, Error> {
    let found: Vec<(String, String)> = read::operations(spec)
        .filter(|(_, _, op)| is_multipart(op))
        .map(|(path, method, _)| (path.to_owned(), method.to_owned()))
        .collect();
    let mut ops = Vec::new();
    for (path, method) in found {
        let Some(oa::ReferenceOr::Item(item)) = spec.paths.paths.get_mut(&path) else {
            continue;
        };
        let slot = match method.as_str() {
            "post" => &mut item.post,
            "put" => &mut item.put,
            "patch" => &mut item.patch,
            other => {
                return Err(Error::Spec(format!(
                    "{other} {path}: a multipart body on a {other} is not supported"
                )));
            }
        };
        if method != "post" {
            return Err(Error::Spec(format!(
                "{method} {path}: multipart operations are generated as POST only"
            )));
        }
        let Some(operation) = slot.take() else {
            continue;
        };
        ops.push(describe(&path, &operation, spec.components.as_ref())?);
    }
    Ok(ops)
}

fn is_multipart(operation: &oa::Operation) -> bool {
    matches!(&operation.request_body, Some(oa::ReferenceOr::Item(body)) if body.content.contains_key(MULTIPART))
}

fn describe(
    path: &str,
    operation: &oa::Operation,
    components: Option<&oa::Components>,
) -> Result<MultipartOp, Error> {
    let id = operation
        .operation_id
        .clone()
        .ok_or_else(|| Error::Spec(format!("POST {path} has no operationId")))?;
    let fail = |what: &str| Error::Spec(format!("{id}: {what}"));
    let path_params = operation
        .parameters
        .iter()
        .filter_map(|p| p.as_item())
        .filter_map(|p| match p {
            oa::Parameter::Path { parameter_data, .. } => Some((
                parameter_data.name.clone(),
                parameter_data.description.clone(),
            )),
            _ => None,
        })
        .collect();
    let schema_ref = match &operation.request_body {
        Some(oa::ReferenceOr::Item(body)) => body
            .content
            .get(MULTIPART)
            .and_then(|media| media.schema.clone()),
        _ => None,
    }
    .ok_or_else(|| fail("the multipart body has no schema"))?;
    let schema = match &schema_ref {
        oa::ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            components
                .and_then(|c| c.schemas.get(name))
                .and_then(|s| s.as_item())
                .cloned()
                .ok_or_else(|| fail(&format!("body schema {reference} is missing")))?
        }
        oa::ReferenceOr::Item(schema) => schema.clone(),
    };
    let oa::SchemaKind::Type(oa::Type::Object(object)) = &schema.schema_kind else {
        return Err(fail("the multipart body is not an object"));
    };
    let mut parts = Vec::new();
    for (name, property) in &object.properties {
        let property = property
            .as_item()
            .ok_or_else(|| fail(&format!("part {name} is a reference")))?;
        let (kind, description) = match &property.schema_kind {
            oa::SchemaKind::Type(oa::Type::String(string)) => {
                let kind = match &string.format {
                    oa::VariantOrUnknownOrEmpty::Item(oa::StringFormat::Binary) => PartKind::File,
                    oa::VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => {
                        PartKind::Uuid
                    }
                    _ => PartKind::Text,
                };
                (kind, property.schema_data.description.clone())
            }
            oa::SchemaKind::Type(oa::Type::Boolean(_)) => {
                (PartKind::Flag, property.schema_data.description.clone())
            }
            _ => {
                return Err(fail(&format!(
                    "part {name}: only strings, files and booleans"
                )));
            }
        };
        parts.push(Part {
            field: ident(&snake(name))?,
            name: name.clone(),
            kind,
            required: object.required.contains(name),
            description,
        });
    }
    let statuses = |errors: bool| -> Vec<u16> {
        operation
            .responses
            .responses
            .keys()
            .filter_map(|code| match code {
                oa::StatusCode::Code(code) => Some(*code),
                oa::StatusCode::Range(_) => None,
            })
            .filter(|code| (*code >= 400) == errors)
            .collect()
    };
    let success = statuses(false).first().copied().unwrap_or(200);
    let response = read::json_answer(operation, success)
        .and_then(read::component_name)
        .map(str::to_owned)
        .ok_or_else(|| fail("the success answer is not a named JSON schema"))?;
    let doc = [
        operation.summary.clone(),
        operation.description.clone(),
        Some(format!(
            "Sends a `POST` request to `{path}` (`multipart/form-data`)"
        )),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n\n");
    Ok(MultipartOp {
        id,
        path: path.to_owned(),
        doc,
        path_params,
        parts,
        response,
        success: statuses(false),
        errors: statuses(true),
    })
}

/// Adds each operation's client method (to the file) and builder (to `mod builder`).
pub(crate) fn generate(file: &mut syn::File, ops: &[MultipartOp]) -> Result<(), Error> {
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for op in ops {
        let (method, builder) = tokens(op)?;
        methods.push(method);
        builders.push(builder);
    }
    if ops.is_empty() {
        return Ok(());
    }
    let methods: syn::Item = syn::parse2(quote! {
        impl Client {
            #(#methods)*
        }
    })
    .map_err(|e| Error::Render(format!("multipart methods: {e}")))?;
    file.items.push(methods);
    let module = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| Error::Render("the generated client has no `mod builder`".to_owned()))?;
    for builder in builders {
        let file: syn::File =
            syn::parse2(builder).map_err(|e| Error::Render(format!("multipart builder: {e}")))?;
        module.1.extend(file.items);
    }
    Ok(())
}

fn tokens(op: &MultipartOp) -> Result<(TokenStream, TokenStream), Error> {
    let method = ident(&op.id)?;
    let builder = format_ident!("{}", crate::passes::open_enum::variant_name(&op.id));
    let response = ident(&op.response)?;
    let doc = &op.doc;
    let builder_doc = format!(
        "Builder for [`Client::{}`](super::Client::{})",
        op.id, op.id
    );
    let operation = &op.id;
    let success = &op.success;
    let errors = &op.errors;

    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    let mut takes = Vec::new();
    let mut names = Vec::new();
    let mut path = op.path.clone();
    let mut path_args = Vec::new();
    let segment: TokenStream = crate::passes::path_params::SEGMENT
        .parse()
        .map_err(|e| Error::Render(format!("path segment function: {e}")))?;
    for (name, description) in &op.path_params {
        let field = ident(name)?;
        let missing = format!("{name} was not initialized");
        let failed = format!("conversion to `Uuid` for {name} failed");
        let doc = description.clone().unwrap_or_default();
        fields.push(quote! { #field: ::std::result::Result<::uuid::Uuid, ::std::string::String>, });
        inits.push(quote! { #field: Err(#missing.to_string()), });
        setters.push(quote! {
            #[doc = #doc]
            pub fn #field<V>(mut self, value: V) -> Self
            where
                V: ::std::convert::TryInto<::uuid::Uuid>,
            {
                self.#field = value.try_into().map_err(|_| #failed.to_string());
                self
            }
        });
        takes.push(quote! { let #field = #field.map_err(crate::Error::invalid_request)?; });
        names.push(quote! { #field, });
        path = path.replace(&format!("{{{name}}}"), "{}");
        let name = name.as_str();
        path_args.push(quote! {
            #segment(#name, &#field.to_string()).map_err(crate::Error::invalid_request)?
        });
    }
    let mut parts = Vec::new();
    for part in &op.parts {
        let field = &part.field;
        let name = &part.name;
        let doc = part.description.clone().unwrap_or_default();
        let ty = match part.kind {
            PartKind::File => quote!(crate::FilePart),
            PartKind::Uuid => quote!(::uuid::Uuid),
            PartKind::Text => quote!(::std::string::String),
            PartKind::Flag => quote!(bool),
        };
        let failed = format!("conversion for {name} failed");
        let missing = format!("{name} was not initialized");
        let (stored, init, set) = if part.required {
            (
                quote!(::std::result::Result<#ty, ::std::string::String>),
                quote!(Err(#missing.to_string())),
                quote!(value.try_into().map_err(|_| #failed.to_string())),
            )
        } else {
            (
                quote!(::std::result::Result<::std::option::Option<#ty>, ::std::string::String>),
                quote!(Ok(None)),
                quote!(value.try_into().map(Some).map_err(|_| #failed.to_string())),
            )
        };
        fields.push(quote! { #field: #stored, });
        inits.push(quote! { #field: #init, });
        setters.push(quote! {
            #[doc = #doc]
            pub fn #field<V>(mut self, value: V) -> Self
            where
                V: ::std::convert::TryInto<#ty>,
            {
                self.#field = #set;
                self
            }
        });
        takes.push(quote! { let #field = #field.map_err(crate::Error::invalid_request)?; });
        names.push(quote! { #field, });
        let add = match part.kind {
            PartKind::File => quote!(form.file(#name, value)),
            PartKind::Uuid | PartKind::Flag => quote!(form.text(#name, value.to_string())),
            PartKind::Text => quote!(form.text(#name, value)),
        };
        parts.push(if part.required {
            quote! { let form = { let value = #field; #add }; }
        } else {
            quote! { let form = match #field { Some(value) => #add, None => form }; }
        });
    }
    let method_tokens = quote! {
        #[doc = #doc]
        pub fn #method(&self) -> builder::#builder<'_> {
            builder::#builder::new(self)
        }
    };
    let builder_tokens = quote! {
        #[doc = #builder_doc]
        #[derive(Debug, Clone)]
        pub struct #builder<'a> {
            client: &'a super::Client,
            #(#fields)*
        }

        impl<'a> #builder<'a> {
            pub fn new(client: &'a super::Client) -> Self {
                Self { client, #(#inits)* }
            }

            #(#setters)*

            #[doc = "Sends the request as `multipart/form-data`."]
            pub async fn send(self) -> Result<ResponseValue<types::#response>, crate::Error> {
                let Self { client, #(#names)* } = self;
                #(#takes)*
                let path = format!(#path, #(#path_args),*);
                let form = crate::multipart::Form::new();
                #(#parts)*
                crate::multipart::send(client, #operation, &path, form, &[#(#success),*], &[#(#errors),*]).await
            }
        }
    };
    Ok((method_tokens, builder_tokens))
}
