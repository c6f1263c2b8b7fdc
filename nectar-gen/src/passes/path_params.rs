//! Every path parameter is exactly one segment under its template.
//!
//! progenitor puts a path parameter into the URL with `progenitor_client::encode_path`, which
//! leaves `.` and `\` as they are; the `url` crate then reads `\` as `/` and removes dot
//! segments, so an id such as `..\company\<uuid>` (from a webhook payload, a CSV file, a form)
//! moves `PATCH /account/{account_id}` to `PATCH /company/<uuid>`. This pass replaces every such
//! call with [`SEGMENT`], the handwritten function that percent-encodes every byte but the
//! unreserved ones and refuses, before sending, a value that cannot be one segment (empty, `.`,
//! `..`), naming the parameter. The multipart pass generates its uploads' paths with the same
//! function, so every operation, a new one too, gets it.

use proc_macro2::{Delimiter, Group, Literal, TokenStream, TokenTree};
use quote::quote;

use crate::Error;

/// The handwritten function every path parameter goes through:
/// `fn(name: &'static str, value: &str) -> Result<String, String>`.
pub(crate) const SEGMENT: &str = "crate::client::path_segment";

/// The function of progenitor's that this pass replaces.
const ENCODE_PATH: &str = "encode_path";

/// Replaces every `encode_path(&<param>.to_string())` of progenitor's output with
/// `crate::client::path_segment("<param>", &<param>.to_string()).map_err(Error::InvalidRequest)?`
/// (progenitor's error, which `send()` turns into `ErrorKind::InvalidRequest`), and drops
/// `encode_path` from the `use` lists. Fails if a call's argument is not of that shape, or if
/// there is none at all (progenitor's output changed).
pub(crate) fn apply(file: &mut syn::File) -> Result<usize, Error> {
    let segment: TokenStream = SEGMENT
        .parse()
        .map_err(|e| Error::Render(format!("{SEGMENT}: {e}")))?;
    let tokens = quote!(#file);
    let mut count = 0;
    let rewritten = rewrite(tokens, &segment, &mut count)?;
    if count == 0 {
        return Err(Error::Render(format!(
            "no `{ENCODE_PATH}(..)` in progenitor's output (its output changed?): \
             nectar-gen/src/passes/path_params.rs"
        )));
    }
    *file = syn::parse2(rewritten).map_err(|e| Error::Render(format!("path params: {e}")))?;
    Ok(count)
}

fn rewrite(
    tokens: TokenStream,
    segment: &TokenStream,
    count: &mut usize,
) -> Result<TokenStream, Error> {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Ident(name) if name == ENCODE_PATH => match tokens.peek() {
                // A call: `encode_path(&param.to_string())`.
                Some(TokenTree::Group(args)) if args.delimiter() == Delimiter::Parenthesis => {
                    let args = args.stream();
                    tokens.next();
                    let param = parameter_of(&args).ok_or_else(|| {
                        Error::Render(format!(
                            "`{ENCODE_PATH}({args})`: not of the shape \
                             `&param.to_string()` (progenitor's output changed?)"
                        ))
                    })?;
                    let name = Literal::string(&param);
                    let call = quote! {
                        #segment(#name, #args)
                            .map_err(::progenitor_client::Error::InvalidRequest)?
                    };
                    out.extend(call);
                    *count += 1;
                }
                // In a `use` list: dropped with its comma (the function is no longer called).
                Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => {
                    tokens.next();
                }
                _ => out.push(TokenTree::Ident(name)),
            },
            TokenTree::Group(group) => {
                let mut rebuilt =
                    Group::new(group.delimiter(), rewrite(group.stream(), segment, count)?);
                rebuilt.set_span(group.span());
                out.push(TokenTree::Group(rebuilt));
            }
            other => out.push(other),
        }
    }
    Ok(out.into_iter().collect())
}

/// `param` of `& param . to_string ()`.
fn parameter_of(args: &TokenStream) -> Option<String> {
    let tokens: Vec<TokenTree> = args.clone().into_iter().collect();
    match tokens.as_slice() {
        [
            TokenTree::Punct(and),
            TokenTree::Ident(param),
            TokenTree::Punct(dot),
            TokenTree::Ident(method),
            TokenTree::Group(call),
        ] if and.as_char() == '&'
            && dot.as_char() == '.'
            && method == "to_string"
            && call.stream().is_empty() =>
        {
            Some(param.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_parameter_goes_through_the_one_segment_function() {
        let mut file: syn::File = syn::parse_quote! {
            use progenitor_client::{encode_path, ClientHooks, OperationInfo};
            pub mod builder {
                use super::{encode_path, ByteStream};
                impl<'a> GetThing<'a> {
                    async fn exchange(self) -> Result<(), Error<types::ApiError>> {
                        let url = format!("{}/thing/{}/part/{}", client.baseurl,
                            encode_path(&thing_id.to_string()), encode_path(&part.to_string()));
                        Ok(())
                    }
                }
            }
        };
        assert_eq!(apply(&mut file).unwrap(), 2);
        let text = quote!(#file).to_string();
        assert!(!text.contains("encode_path"), "{text}");
        for param in ["thing_id", "part"] {
            let call = format!(
                "crate :: client :: path_segment (\"{param}\" , & {param} . to_string ()) \
                 . map_err (:: progenitor_client :: Error :: InvalidRequest) ?"
            );
            assert!(text.contains(&call), "{call} not in {text}");
        }
        assert!(
            text.contains("use progenitor_client :: { ClientHooks , OperationInfo }"),
            "{text}"
        );

        // progenitor's output without any, or with another shape, is reported.
        let mut none: syn::File = syn::parse_quote! { pub mod builder {} };
        assert!(apply(&mut none).is_err());
        let mut odd: syn::File = syn::parse_quote! { fn f() { encode_path(&a.b.to_string()); } };
        assert!(apply(&mut odd).is_err());
    }
}
