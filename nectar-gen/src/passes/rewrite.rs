//! Passes over progenitor's output (as a syntax tree, before formatting) for what progenitor has
//! no setting for:
//!
//! - [`one_error_type`]: every builder's `send()` returns `nectar_api::Error`. progenitor's body
//!   of `send` becomes the private `exchange`, and `send` hands its future to the handwritten
//!   `crate::client::finish`, which turns progenitor's error (and what the hooks saw of the
//!   answer) into the one error type, bounded and redacted.
//! - [`bounded_decoding`]: every answer is decoded by the handwritten `crate::client::decode`
//!   instead of progenitor's `ResponseValue::from_response`, which bounds what a body decodes
//!   to by its size (progenitor decodes with no bound; a few bytes can become a large struct).
//! - [`redacting_debug`]: a type that holds raw JSON (`serde_json::Value` or `Map`, such as a
//!   webhook event's `extra` or `old`) gets a `Debug` that redacts the fields the spec marks
//!   sensitive, instead of the derived one that would print them.
//! - [`mark_deprecated`]: `#[deprecated]` on the client methods of deprecated operations.
//! - [`private_constructors`]: progenitor's `Client::new` (which builds its own `reqwest` client,
//!   following redirects) is removed and `Client::new_with_client` becomes crate-private, so
//!   `ClientBuilder::build` is the only way to a client and its rules (no redirect followed, the
//!   key only to the base URL's origin, bounded reads) cannot be bypassed.
//! - [`drop_prelude`]: progenitor's `mod prelude` goes; `nectar_api::Client` is the one path.
//! - [`non_exhaustive_types`]: every data type is `#[non_exhaustive]`, so a field Nectar adds is
//!   a minor release, not a breaking one; users build values with the types' builders or serde
//!   (the builders of response-only types are behind a feature: `response_builders`).

use std::collections::BTreeSet;

use openapiv3 as oa;
use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use crate::{Error, read};

/// The handwritten function every `send()` delegates to.
const FINISH: &str = "crate::client::finish";
/// The handwritten function every answer is decoded by.
const DECODE: &str = "crate::client::decode";
/// The handwritten wrapper whose `Debug` redacts sensitive fields of raw JSON.
const REDACTED: &str = "crate::redact::Redacted";

/// Rewrites every `send` of `mod builder` to return `crate::Error`; see the module docs.
pub(crate) fn one_error_type(file: &mut syn::File) -> Result<usize, Error> {
    let finish: syn::Path = syn::parse_str(FINISH).map_err(|e| Error::Render(e.to_string()))?;
    let mut rewritten = 0;
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        let Some((_, items)) = module.content.as_mut() else {
            continue;
        };
        for item in items.iter_mut() {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let mut added = Vec::new();
            for member in &mut block.items {
                let syn::ImplItem::Fn(send) = member else {
                    continue;
                };
                if send.sig.ident != "send" {
                    continue;
                }
                let operation = operation_id(&send.block).ok_or_else(|| {
                    let signature = &send.sig;
                    Error::Render(format!(
                        "a builder's send() has no `operation_id: \"...\"` (progenitor's output \
                         changed?): {}",
                        quote!(#signature)
                    ))
                })?;
                let mut exchange = send.clone();
                exchange.sig.ident = syn::Ident::new("exchange", send.sig.ident.span());
                exchange.vis = syn::Visibility::Inherited;
                exchange.attrs.retain(|a| !a.path().is_ident("doc"));
                set_error_type(&mut send.sig.output)?;
                send.block = syn::parse_quote!({
                    let client = self.client;
                    #finish(client, #operation, self.exchange()).await
                });
                added.push(syn::ImplItem::Fn(exchange));
                rewritten += 1;
            }
            block.items.extend(added);
        }
    }
    Ok(rewritten)
}

/// Routes every `ResponseValue::from_response` call of `mod builder` to [`DECODE`]; see the
/// module docs. Fails if there is none (progenitor's output changed).
pub(crate) fn bounded_decoding(file: &mut syn::File) -> Result<usize, Error> {
    let decode: syn::Path = syn::parse_str(DECODE).map_err(|e| Error::Render(e.to_string()))?;
    let mut replaced = 0;
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        let tokens = quote!(#module);
        let rewritten = replace_path(
            tokens,
            &["ResponseValue", "from_response"],
            &quote!(#decode),
            &mut replaced,
        );
        *module = syn::parse2(rewritten).map_err(|e| Error::Render(format!("builder: {e}")))?;
    }
    if replaced == 0 {
        return Err(Error::Render(
            "no `ResponseValue::from_response` in mod builder (progenitor's output changed?): \
             nectar-gen/src/passes/rewrite.rs bounded_decoding"
                .to_owned(),
        ));
    }
    Ok(replaced)
}

/// `tokens` with each occurrence of the path `path` (idents joined by `::`, such as
/// `ResponseValue :: from_response`) replaced by `with`, in groups too; `count` counts them.
pub(crate) fn replace_path(
    tokens: TokenStream,
    path: &[&str],
    with: &TokenStream,
    count: &mut usize,
) -> TokenStream {
    let Some((last, before)) = path.split_last() else {
        return tokens;
    };
    let mut out: Vec<TokenTree> = Vec::new();
    for token in tokens {
        match token {
            TokenTree::Group(group) => {
                let mut rebuilt = proc_macro2::Group::new(
                    group.delimiter(),
                    replace_path(group.stream(), path, with, count),
                );
                rebuilt.set_span(group.span());
                out.push(TokenTree::Group(rebuilt));
            }
            TokenTree::Ident(name) if name == last => {
                let path_before = ends_with_prefix(&out, before);
                if path_before {
                    out.truncate(out.len() - before.len() * 3);
                    out.extend(with.clone());
                    *count += 1;
                } else {
                    out.push(TokenTree::Ident(name));
                }
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Whether `tokens` ends with `segments[0] :: segments[1] :: ..` and a last `::` (an ident and
/// two puncts per segment).
pub(crate) fn ends_with_prefix(tokens: &[TokenTree], segments: &[&str]) -> bool {
    let lead = segments.len() * 3;
    tokens.len() >= lead
        && segments.iter().enumerate().all(|(i, segment)| {
            let start = tokens.len() - lead + i * 3;
            matches!(&tokens[start], TokenTree::Ident(x) if x == segment)
                && matches!(&tokens[start + 1], TokenTree::Punct(p) if p.as_char() == ':')
                && matches!(&tokens[start + 2], TokenTree::Punct(p) if p.as_char() == ':')
        })
}

/// The string literal after `operation_id :` in a function body.
fn operation_id(block: &syn::Block) -> Option<String> {
    fn find(tokens: TokenStream) -> Option<String> {
        let mut previous: Vec<TokenTree> = Vec::new();
        for token in tokens {
            if let TokenTree::Group(group) = &token
                && let Some(found) = find(group.stream())
            {
                return Some(found);
            }
            if let TokenTree::Literal(literal) = &token
                && let [.., TokenTree::Ident(name), TokenTree::Punct(colon)] = previous.as_slice()
                && name == "operation_id"
                && colon.as_char() == ':'
            {
                let text = literal.to_string();
                return text
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .map(str::to_owned);
            }
            previous.push(token);
        }
        None
    }
    find(quote!(#block))
}

/// `Result<ResponseValue<T>, Error<types::ApiError>>` -> `Result<ResponseValue<T>, crate::Error>`.
fn set_error_type(output: &mut syn::ReturnType) -> Result<(), Error> {
    let shown = quote!(#output).to_string();
    let unexpected = || Error::Render(format!("send() returns {shown}"));
    let syn::ReturnType::Type(_, ty) = output else {
        return Err(unexpected());
    };
    let syn::Type::Path(path) = ty.as_mut() else {
        return Err(unexpected());
    };
    let Some(last) = path.path.segments.last_mut() else {
        return Err(unexpected());
    };
    let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments else {
        return Err(unexpected());
    };
    let Some(error) = arguments.args.iter_mut().nth(1) else {
        return Err(unexpected());
    };
    *error = syn::parse_quote!(crate::Error);
    Ok(())
}

/// Replaces the derived `Debug` of every struct (in `mod types` and below) that holds raw JSON
/// with one that prints those fields through the redacting wrapper.
pub(crate) fn redacting_debug(file: &mut syn::File) -> Result<usize, Error> {
    let redacted: syn::Path = syn::parse_str(REDACTED).map_err(|e| Error::Render(e.to_string()))?;
    let mut count = 0;
    for item in &mut file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "types"
        {
            count += redact_in(module, &redacted);
        }
    }
    Ok(count)
}

fn redact_in(module: &mut syn::ItemMod, redacted: &syn::Path) -> usize {
    let Some((_, items)) = module.content.as_mut() else {
        return 0;
    };
    let mut count = 0;
    let mut out = Vec::with_capacity(items.len());
    for mut item in std::mem::take(items) {
        let mut debug = None;
        match &mut item {
            syn::Item::Mod(inner) => count += redact_in(inner, redacted),
            syn::Item::Struct(structure) => {
                let holds_json = structure.fields.iter().any(|field| {
                    let ty = &field.ty;
                    quote!(#ty).to_string().contains("serde_json")
                });
                if holds_json && remove_derived_debug(structure) {
                    debug = Some(debug_impl(structure, redacted));
                    count += 1;
                }
            }
            _ => {}
        }
        out.push(item);
        // Right after its struct, where a reader looks for it.
        out.extend(debug);
    }
    *items = out;
    count
}

/// Removes `Debug` from the struct's `#[derive(..)]`; whether it was there.
fn remove_derived_debug(structure: &mut syn::ItemStruct) -> bool {
    let mut removed = false;
    for attribute in &mut structure.attrs {
        if !attribute.path().is_ident("derive") {
            continue;
        }
        let Ok(paths) = attribute.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let kept: Vec<&syn::Path> = paths
            .iter()
            .filter(|path| {
                let is_debug = path.segments.last().is_some_and(|s| s.ident == "Debug");
                removed |= is_debug;
                !is_debug
            })
            .collect();
        *attribute = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
    removed
}

fn debug_impl(structure: &syn::ItemStruct, redacted: &syn::Path) -> syn::Item {
    let name = &structure.ident;
    let label = name.to_string();
    let (impl_generics, type_generics, where_clause) = structure.generics.split_for_impl();
    let wrap = |field: &syn::Field, access: TokenStream| {
        let ty = &field.ty;
        if quote!(#ty).to_string().contains("serde_json") {
            quote!(&#redacted(&self.#access))
        } else {
            quote!(&self.#access)
        }
    };
    let body = match &structure.fields {
        syn::Fields::Named(fields) => {
            let entries = fields.named.iter().filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let key = ident.to_string();
                let value = wrap(field, quote!(#ident));
                Some(quote!(.field(#key, #value)))
            });
            quote!(f.debug_struct(#label) #(#entries)* .finish())
        }
        syn::Fields::Unnamed(fields) => {
            let entries = fields.unnamed.iter().enumerate().map(|(index, field)| {
                let index = syn::Index::from(index);
                let value = wrap(field, quote!(#index));
                quote!(.field(#value))
            });
            quote!(f.debug_tuple(#label) #(#entries)* .finish())
        }
        syn::Fields::Unit => quote!(f.write_str(#label)),
    };
    syn::parse_quote! {
        impl #impl_generics ::std::fmt::Debug for #name #type_generics #where_clause {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                #body
            }
        }
    }
}

/// The `impl Client { .. }` block (inherent, not a trait's) at the top of the file.
fn client_impls(file: &mut syn::File) -> impl Iterator<Item = &mut syn::ItemImpl> {
    file.items.iter_mut().filter_map(|item| match item {
        syn::Item::Impl(block)
            if block.trait_.is_none()
                && matches!(block.self_ty.as_ref(), syn::Type::Path(t) if t.path.is_ident("Client")) =>
        {
            Some(block)
        }
        _ => None,
    })
}

/// Removes `Client::new` and makes `Client::new_with_client` crate-private; see the module docs.
/// An error when progenitor's output no longer has both (its constructors changed, and this pass
/// must be looked at again).
pub(crate) fn private_constructors(file: &mut syn::File) -> Result<(), Error> {
    let mut removed = false;
    let mut hidden = false;
    for block in client_impls(file) {
        block.items.retain(|member| {
            let is_new = matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "new");
            removed |= is_new;
            !is_new
        });
        for member in &mut block.items {
            if let syn::ImplItem::Fn(function) = member
                && function.sig.ident == "new_with_client"
            {
                function.vis = syn::parse_quote!(pub(crate));
                hidden = true;
            }
        }
    }
    if removed && hidden {
        Ok(())
    } else {
        Err(Error::Render(
            "progenitor's Client has no `new` and `new_with_client` to make private (its output \
             changed?): nectar-gen/src/rewrite.rs private_constructors"
                .to_owned(),
        ))
    }
}

/// Removes progenitor's `mod prelude` (a re-export of `Client` that nectar-api does not offer:
/// `nectar_api::Client` is the one path). True when there was one.
pub(crate) fn drop_prelude(file: &mut syn::File) -> bool {
    let before = file.items.len();
    file.items
        .retain(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "prelude"));
    file.items.len() < before
}

/// `#[non_exhaustive]` on every struct and enum of `mod types`; returns how many were marked.
pub(crate) fn non_exhaustive_types(file: &mut syn::File) -> usize {
    let mut marked = 0;
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        let Some((_, items)) = module.content.as_mut() else {
            continue;
        };
        for item in items.iter_mut() {
            let attrs = match item {
                syn::Item::Struct(structure) => &mut structure.attrs,
                syn::Item::Enum(enumeration) => &mut enumeration.attrs,
                _ => continue,
            };
            if !attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                attrs.push(syn::parse_quote!(#[non_exhaustive]));
                marked += 1;
            }
        }
    }
    marked
}

/// progenitor drops `deprecated`; put `#[deprecated]` on the client methods of deprecated
/// operations, with the first sentence of their description as the note.
pub(crate) fn mark_deprecated(file: &mut syn::File, spec: &oa::OpenAPI) {
    let deprecated: BTreeSet<String> = read::operations(spec)
        .filter(|(_, _, op)| op.deprecated)
        .filter_map(|(_, _, op)| op.operation_id.clone())
        .collect();
    for block in client_impls(file) {
        for member in &mut block.items {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            let name = function.sig.ident.to_string();
            if !deprecated.contains(&name) {
                continue;
            }
            let note = read::operations(spec)
                .find(|(_, _, op)| op.operation_id.as_deref() == Some(name.as_str()))
                .and_then(|(_, _, op)| op.description.clone())
                .and_then(|d| d.split(". ").next().map(|s| s.trim().to_owned()))
                .map(|note| note.trim_start_matches("Deprecated: ").to_owned())
                .unwrap_or_else(|| "deprecated by Nectar".to_owned());
            function
                .attrs
                .push(syn::parse_quote!(#[deprecated(note = #note)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_has_no_public_constructor_left() {
        let mut file: syn::File = syn::parse_quote! {
            pub struct Client { baseurl: String }
            impl Client {
                pub fn new(baseurl: &str, inner: Inner) -> Self { todo!() }
                pub fn new_with_client(baseurl: &str, client: reqwest::Client, inner: Inner) -> Self { todo!() }
                pub fn get_thing(&self) -> builder::GetThing<'_> { todo!() }
            }
        };
        private_constructors(&mut file).unwrap();
        let text = quote!(#file).to_string();
        assert!(!text.contains("fn new ("), "{text}");
        assert!(text.contains("pub (crate) fn new_with_client"), "{text}");
        assert!(text.contains("pub fn get_thing"), "{text}");
        // progenitor's output without them is reported, not silently accepted.
        let mut changed: syn::File = syn::parse_quote! { impl Client { pub fn other(&self) {} } };
        assert!(private_constructors(&mut changed).is_err());
    }

    #[test]
    fn every_answer_is_decoded_by_the_bounded_decoder() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::ApiError>> {
                        match response.status().as_u16() {
                            200u16 => ResponseValue::from_response(response).await,
                            400u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                            _ => Err(Error::UnexpectedResponse(response)),
                        }
                    }
                }
            }
        };
        assert_eq!(bounded_decoding(&mut file).unwrap(), 2);
        let text = quote!(#file).to_string();
        assert!(!text.contains("from_response"), "{text}");
        assert_eq!(
            text.matches("crate :: client :: decode (response)").count(),
            2,
            "{text}"
        );

        let mut unchanged: syn::File = syn::parse_quote! { pub mod builder {} };
        assert!(bounded_decoding(&mut unchanged).is_err());
    }

    #[test]
    fn the_prelude_goes() {
        let mut file: syn::File = syn::parse_quote! {
            pub struct Client;
            pub mod prelude { pub use self::super::Client; }
        };
        assert!(drop_prelude(&mut file));
        assert_eq!(file.items.len(), 1);
        assert!(!drop_prelude(&mut file));
    }

    #[test]
    fn every_data_type_is_non_exhaustive() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Thing { pub id: u32 }
                #[non_exhaustive]
                pub enum Flag { A }
                pub enum Other { B }
                pub mod builder { pub struct Thing { id: u32 } }
            }
            pub struct Client;
        };
        assert_eq!(non_exhaustive_types(&mut file), 2);
        let text = quote!(#file).to_string();
        assert_eq!(text.matches("# [non_exhaustive]").count(), 3, "{text}");
    }

    #[test]
    fn send_is_wrapped_and_keeps_its_success_type() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    /// Sends a `GET` request to `/thing`
                    pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::ApiError>> {
                        let info = OperationInfo { operation_id: "get_thing" };
                        todo!()
                    }
                }
            }
        };
        assert_eq!(one_error_type(&mut file).unwrap(), 1);
        let text = quote!(#file).to_string();
        assert!(
            text.contains(
                "pub async fn send (self) -> Result < ResponseValue < types :: Thing > , crate :: Error >"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "crate :: client :: finish (client , \"get_thing\" , self . exchange ()) . await"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "async fn exchange (self) -> Result < ResponseValue < types :: Thing > , Error < types :: ApiError > >"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_send_without_an_operation_id_is_an_error_not_a_guess() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub async fn send(self) -> Result<ResponseValue<()>, Error<()>> { todo!() }
                }
            }
        };
        assert!(one_error_type(&mut file).is_err());
    }

    #[test]
    fn raw_json_holders_get_a_redacting_debug() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                #[derive(Clone, Debug, PartialEq)]
                pub struct Changes {
                    pub status: Option<String>,
                    pub extra: ::serde_json::Map<String, ::serde_json::Value>,
                }
                #[derive(Clone, Debug)]
                pub struct Plain { pub name: String }
                #[derive(Debug)]
                pub struct Raw(pub ::serde_json::Value);
            }
        };
        assert_eq!(redacting_debug(&mut file).unwrap(), 2);
        let text = quote!(#file).to_string();
        assert!(
            text.contains("# [derive (Clone , PartialEq)] pub struct Changes"),
            "{text}"
        );
        assert!(
            text.contains("# [derive (Clone , Debug)] pub struct Plain"),
            "{text}"
        );
        assert!(
            text.contains(". field (\"extra\" , & crate :: redact :: Redacted (& self . extra))"),
            "{text}"
        );
        assert!(
            text.contains(". field (\"status\" , & self . status)"),
            "{text}"
        );
        assert!(
            text.contains(
                "f . debug_tuple (\"Raw\") . field (& crate :: redact :: Redacted (& self . 0))"
            ),
            "{text}"
        );
    }
}
