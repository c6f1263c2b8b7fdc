//! The builders of the types only Nectar sends (responses and webhook events) go behind the
//! nectar-api feature [`FEATURE`] (on by default).
//!
//! typify writes a builder for every struct: `types::Company::builder()` and the struct
//! `types::builder::Company` with its setters and conversions. Callers need the builders of what
//! they send: a request body is built with them (`create_company().body_map(|b| b.name(..))`) and
//! every type is `#[non_exhaustive]`, so a struct literal is no way to build one. The builders of
//! what they receive serve only tests that build a `Company` by hand; they are two thirds of the
//! builder code and a quarter of a consumer's build of nectar-api (BENCHMARKS.md, "Build cost for
//! a user"). A consumer that sets `default-features = false` builds without them.
//!
//! A type keeps its builder unconditionally when a request body reaches it: the body types named
//! by the operation builders (`types::builder::X`) and every type their fields and variants name,
//! transitively.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use crate::{Error, passes::rewrite::ends_with_prefix};

/// The nectar-api feature the builders of response-only types need.
pub(crate) const FEATURE: &str = "response-builders";

/// Puts `#[cfg(feature = "response-builders")]` on the builder items of every struct no request
/// body reaches; returns the names of those structs. An error when the output does not have the
/// shape this pass knows (progenitor's output changed).
pub(crate) fn gate(file: &mut syn::File) -> Result<BTreeSet<String>, Error> {
    let roots = body_builders(file);
    if roots.is_empty() {
        return Err(shape(
            "no `types::builder::X` body in the operation builders",
        ));
    }
    let types = module_mut(&mut file.items, "types").ok_or_else(|| shape("no `mod types`"))?;
    let graph = type_graph(types);
    let mut reached = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone()) {
            todo.extend(graph.get(&name).into_iter().flatten().cloned());
        }
    }
    let gated: BTreeSet<String> = graph
        .keys()
        .filter(|name| !reached.contains(*name))
        .cloned()
        .collect();
    let feature = FEATURE;
    let cfg: syn::Attribute = syn::parse_quote!(#[cfg(feature = #feature)]);
    // On docs.rs (`--cfg docsrs`), the page says which feature the item needs.
    let doc_cfg: syn::Attribute =
        syn::parse_quote!(#[cfg_attr(docsrs, doc(cfg(feature = #feature)))]);

    let mut marked = BTreeSet::new();
    // `impl X { pub fn builder() -> builder::X }` in `mod types`.
    for item in types.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let Some(name) = self_name(&block.self_ty) else {
            continue;
        };
        if block.trait_.is_some() || !gated.contains(&name) {
            continue;
        }
        for member in &mut block.items {
            if let syn::ImplItem::Fn(function) = member
                && function.sig.ident == "builder"
            {
                function.attrs.push(cfg.clone());
                function.attrs.push(doc_cfg.clone());
                marked.insert(name.clone());
            }
        }
    }
    // The builder struct and its impls in `mod types::builder`.
    let builders = module_mut(types, "builder").ok_or_else(|| shape("no `mod types::builder`"))?;
    for item in builders.iter_mut() {
        let (name, attrs) = match item {
            syn::Item::Struct(structure) => (structure.ident.to_string(), &mut structure.attrs),
            syn::Item::Impl(block) => match self_name(&block.self_ty) {
                Some(name) => (name, &mut block.attrs),
                None => continue,
            },
            _ => continue,
        };
        if gated.contains(&name) {
            attrs.push(cfg.clone());
            attrs.push(doc_cfg.clone());
        }
    }
    if marked.is_empty() {
        return Err(shape(
            "no `builder()` of a response-only type in `mod types`",
        ));
    }
    Ok(marked)
}

/// The error for an output this pass does not know.
fn shape(what: &str) -> Error {
    Error::Render(format!(
        "{what} (progenitor's output changed?): nectar-gen/src/passes/response_builders.rs"
    ))
}

/// The items of the inline module `name` among `items`.
fn module_mut<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == name => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    })
}

/// The last segment of a path type (`X` of `X` and of `super::X`).
fn self_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The `X` of every `types :: builder :: X` in the top-level `mod builder` (the operation
/// builders): the request bodies.
fn body_builders(file: &syn::File) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for item in &file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "builder"
        {
            collect_after(quote!(#module), &["types", "builder"], &mut found);
        }
    }
    found
}

/// The ident after each occurrence of the path `prefix ::` in `tokens`, in groups too.
fn collect_after(tokens: TokenStream, prefix: &[&str], out: &mut BTreeSet<String>) {
    let flat: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, token) in flat.iter().enumerate() {
        if let TokenTree::Group(group) = token {
            collect_after(group.stream(), prefix, out);
        }
        let TokenTree::Ident(name) = token else {
            continue;
        };
        let matches = ends_with_prefix(&flat[..at], prefix);
        if matches {
            out.insert(name.to_string());
        }
    }
}

/// For each struct and enum of `mod types`: the other types of `mod types` its fields or
/// variants name.
fn type_graph(types: &[syn::Item]) -> BTreeMap<String, BTreeSet<String>> {
    let mut bodies: BTreeMap<String, TokenStream> = BTreeMap::new();
    for item in types {
        match item {
            syn::Item::Struct(structure) => {
                let fields = &structure.fields;
                bodies.insert(structure.ident.to_string(), quote!(#fields));
            }
            syn::Item::Enum(enumeration) => {
                let variants = &enumeration.variants;
                bodies.insert(enumeration.ident.to_string(), quote!(#variants));
            }
            _ => {}
        }
    }
    let names: BTreeSet<String> = bodies.keys().cloned().collect();
    bodies
        .into_iter()
        .map(|(name, body)| {
            let mut idents = BTreeSet::new();
            idents_in(body, &mut idents);
            let named = idents.intersection(&names).cloned().collect();
            (name, named)
        })
        .collect()
}

/// Every ident in `tokens`, in groups too.
fn idents_in(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            TokenTree::Group(group) => idents_in(group.stream(), out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> syn::File {
        syn::parse_quote! {
            pub mod types {
                pub struct Company { pub name: String, pub address: Address }
                impl Company { pub fn builder() -> builder::Company { Default::default() } }
                pub struct CompanyCreate { pub name: String, pub address: Address }
                impl CompanyCreate { pub fn builder() -> builder::CompanyCreate { Default::default() } }
                pub struct Address { pub line: String }
                impl Address { pub fn builder() -> builder::Address { Default::default() } }
                pub mod builder {
                    pub struct Company { name: Result<String, String> }
                    impl Default for Company { fn default() -> Self { todo!() } }
                    impl ::std::convert::TryFrom<Company> for super::Company { }
                    pub struct CompanyCreate { name: Result<String, String> }
                    pub struct Address { line: Result<String, String> }
                }
            }
            pub mod builder {
                pub struct CreateCompany { body: Result<types::builder::CompanyCreate, String> }
                impl CreateCompany {
                    pub async fn send(self) -> Result<ResponseValue<types::Company>, Error> { todo!() }
                }
            }
        }
    }

    #[test]
    fn only_the_builders_of_response_only_types_are_gated() {
        let mut file = file();
        let gated = gate(&mut file).unwrap();
        assert_eq!(gated, BTreeSet::from(["Company".to_owned()]));
        let out = quote!(#file).to_string();
        let cfg = "# [cfg (feature = \"response-builders\")] \
                   # [cfg_attr (docsrs , doc (cfg (feature = \"response-builders\")))]";
        // Company's builder(), struct, Default and TryFrom; nothing of CompanyCreate or of
        // Address, which a request body reaches. On docs.rs the page names the feature.
        assert_eq!(out.matches(cfg).count(), 4, "{out}");
        assert!(out.contains(&format!("{cfg} pub fn builder () -> builder :: Company")));
        assert!(out.contains(&format!("{cfg} pub struct Company")));
        assert!(!out.contains(&format!("{cfg} pub struct Address")));
        assert!(!out.contains(&format!("{cfg} pub fn builder () -> builder :: Address")));
    }

    #[test]
    fn an_output_without_body_builders_is_an_error() {
        let mut file: syn::File = syn::parse_quote! { pub mod types { pub struct A; } };
        let error = gate(&mut file).unwrap_err().to_string();
        assert!(error.contains("response_builders.rs"), "{error}");
    }
}
