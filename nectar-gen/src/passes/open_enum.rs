//! Enums: declared once in nectar-gen as data (value and meaning), emitted into the spec as string
//! enum components, and generated from the spec as *open* Rust enums.
//!
//! progenitor's enums are closed: a status Nectar adds tomorrow would fail the whole response.
//! The generated enums keep every documented value as a variant and add `Unknown(String)`, so a
//! new value decodes, is shown, and serializes back unchanged. progenitor is told to use them in
//! place of its own (`with_replacement`). No variant list is kept by hand anywhere: the spec's
//! `enum` list is the only source.

use std::collections::BTreeMap;

use openapiv3 as oa;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::{Error, dsl::enums::DESCRIPTIONS_EXTENSION};

/// A string enum component found in the spec.
pub(crate) struct EnumComponent {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) values: Vec<(String, Option<String>)>,
}

/// Every component schema that is a string enum, in component order.
pub(crate) fn enum_components(spec: &oa::OpenAPI) -> Vec<EnumComponent> {
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let schema = schema.as_item()?;
            let oa::SchemaKind::Type(oa::Type::String(string)) = &schema.schema_kind else {
                return None;
            };
            if string.enumeration.is_empty() {
                return None;
            }
            let meanings = schema.schema_data.extensions.get(DESCRIPTIONS_EXTENSION);
            // A list in the order of `enum`; `""` is no meaning.
            let values = string
                .enumeration
                .iter()
                .enumerate()
                .filter_map(|(at, value)| {
                    let value = value.as_ref()?;
                    let meaning = meanings
                        .and_then(|m| m.get(at))
                        .and_then(|m| m.as_str())
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned);
                    Some((value.clone(), meaning))
                })
                .collect();
            Some(EnumComponent {
                name: name.clone(),
                description: schema.schema_data.description.clone(),
                values,
            })
        })
        .collect()
}

/// `MFA_TOKEN_EXPIRED` -> `MfaTokenExpired`, `AF` -> `Af`.
pub(crate) fn variant_name(value: &str) -> String {
    value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

/// The Rust source (tokens) of every open enum in the spec.
pub(crate) fn generate(spec: &oa::OpenAPI) -> Result<TokenStream, Error> {
    let mut items = Vec::new();
    for component in enum_components(spec) {
        items.push(generate_one(&component)?);
    }
    Ok(quote! {
        //! Open enums generated from the string enums of `spec/openapi.json`.
        //!
        //! Every documented value is a variant; any other value decodes as `Unknown(String)` and
        //! serializes back unchanged, so a value Nectar adds later never breaks decoding.
        #(#items)*
    })
}

fn generate_one(component: &EnumComponent) -> Result<TokenStream, Error> {
    let name = ident(&component.name)?;
    let name_text = component.name.as_str();
    let mut seen = BTreeMap::new();
    for (value, _) in &component.values {
        let variant = variant_name(value);
        if variant.is_empty() || variant.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Error::Spec(format!(
                "enum {}: value {value:?} gives no usable Rust variant name",
                component.name
            )));
        }
        if variant == "Unknown" {
            return Err(Error::Spec(format!(
                "enum {}: value {value:?} collides with the `Unknown` fallback variant",
                component.name
            )));
        }
        if let Some(other) = seen.insert(variant.clone(), value.clone()) {
            return Err(Error::Spec(format!(
                "enum {}: values {other:?} and {value:?} both become variant {variant}",
                component.name
            )));
        }
    }

    let doc = component
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` enum of the Nectar API.", component.name));
    let doc_lines = doc_attrs(&doc);
    let variants: Vec<Ident> = component
        .values
        .iter()
        .map(|(value, _)| ident(&variant_name(value)))
        .collect::<Result<_, _>>()?;
    let values: Vec<&str> = component.values.iter().map(|(v, _)| v.as_str()).collect();
    let variant_docs: Vec<TokenStream> = component
        .values
        .iter()
        .map(|(value, meaning)| {
            let text = match meaning {
                Some(meaning) => format!("`{value}`: {meaning}"),
                None => format!("`{value}`"),
            };
            doc_attrs(&text)
        })
        .collect();
    let meanings: Vec<TokenStream> = component
        .values
        .iter()
        .map(|(_, meaning)| match meaning {
            Some(meaning) => quote!(::std::option::Option::Some(#meaning)),
            None => quote!(::std::option::Option::None),
        })
        .collect();
    let count = values.len();
    let unknown_doc = "A value this version of the bindings does not know (Nectar added it \
         after `spec/openapi.json` was written). It is kept as sent and serializes back unchanged.";
    let known_doc = format!(
        "Every documented value of `{}`, in spec order.",
        component.name
    );

    Ok(quote! {
        #doc_lines
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #variant_docs
                #variants,
            )*
            #[doc = #unknown_doc]
            Unknown(::std::string::String),
        }

        impl #name {
            #[doc = #known_doc]
            pub const KNOWN: [#name; #count] = [#(#name::#variants),*];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#name::#variants => #values,)*
                    #name::Unknown(value) => value.as_str(),
                }
            }

            /// What the value means, as documented; `None` for `Unknown` and for values the
            /// documentation does not explain.
            pub fn description(&self) -> ::std::option::Option<&'static str> {
                match self {
                    #(#name::#variants => #meanings,)*
                    #name::Unknown(_) => ::std::option::Option::None,
                }
            }

            /// Whether this is a value the bindings do not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, #name::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#values => #name::#variants,)*
                    other => #name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match #name::from(value.as_str()) {
                    #name::Unknown(_) => #name::Unknown(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(#name::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                        let decoded = #name::from(value);
                        if decoded.is_unknown() {
                            crate::drift::unknown_value(#name_text, value);
                        }
                        Ok(decoded)
                    }
                    fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<#name, E> {
                        if #name::from(value.as_str()).is_unknown() {
                            crate::drift::unknown_value(#name_text, &value);
                        }
                        Ok(#name::from(value))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    })
}

/// `name` as an identifier, or an error naming it.
pub(crate) fn ident(name: &str) -> Result<Ident, Error> {
    syn::parse_str::<Ident>(name)
        .map(|_| Ident::new(name, Span::call_site()))
        .map_err(|_| Error::Spec(format!("{name:?} is not a valid Rust identifier")))
}

/// One `#[doc = " line"]` attribute per line, so prettyplease renders `/// line`.
fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    });
    quote! { #(#[doc = #lines])* }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names() {
        assert_eq!(variant_name("MFA_TOKEN_EXPIRED"), "MfaTokenExpired");
        assert_eq!(variant_name("PENDING"), "Pending");
        assert_eq!(variant_name("AF"), "Af");
        assert_eq!(variant_name("x-ray"), "XRay");
    }

    #[test]
    fn colliding_values_are_refused() {
        let component = EnumComponent {
            name: "Status".into(),
            description: None,
            values: vec![("NEW_ONE".into(), None), ("new-one".into(), None)],
        };
        let error = generate_one(&component).unwrap_err().to_string();
        assert!(error.contains("both become variant NewOne"), "{error}");

        let component = EnumComponent {
            name: "Status".into(),
            description: None,
            values: vec![("UNKNOWN".into(), None)],
        };
        let error = generate_one(&component).unwrap_err().to_string();
        assert!(error.contains("collides with the `Unknown`"), "{error}");
    }
}
