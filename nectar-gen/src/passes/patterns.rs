//! The engine of the bindings' pattern checks. typify checks a string schema's `pattern` in the
//! generated `FromStr` with the `regress` crate (ECMAScript syntax); nectar-api checks it with
//! `regex-lite` instead, from the same project as `regex`, which costs a consumer's clean build
//! about a second where regress costs about four (BENCHMARKS.md, "Build cost for a user").
//!
//! On the spec's patterns the two engines agree but in one way, pinned by the tests below:
//! regex-lite's `\s` is ASCII whitespace, ECMAScript's also the Unicode spaces (U+00A0, U+2028,
//! ..). So the client's own check lets through a bulk document URL holding a non-ASCII space,
//! which the server's check then refuses; no value the server accepts is refused here.
//! [`problems`] refuses a pattern regex-lite cannot compile, so the generated
//! `Regex::new(pattern).unwrap()` cannot panic.

use openapiv3 as oa;
use quote::quote;

use crate::{Error, passes::rewrite::replace_path};

/// Points the generated pattern checks at `regex_lite::Regex` instead of `regress::Regex`; how
/// many it rewrote. The two have the same `new(&str) -> Result` and `find(&str) -> Option`.
pub(crate) fn lighter_engine(file: &mut syn::File) -> Result<usize, Error> {
    let tokens = quote!(#file);
    let mut replaced = 0;
    let rewritten = replace_path(
        tokens,
        &["regress", "Regex"],
        &quote!(regex_lite::Regex),
        &mut replaced,
    );
    *file = syn::parse2(rewritten).map_err(|e| Error::Render(format!("patterns: {e}")))?;
    Ok(replaced)
}

/// One line per `pattern` of the spec that regex-lite cannot compile, naming where it is.
pub(crate) fn problems(spec: &oa::OpenAPI) -> Vec<String> {
    let mut found = Vec::new();
    match serde_json::to_value(spec) {
        Ok(value) => collect(&value, "#", &mut found),
        Err(e) => return vec![format!("the spec does not serialize: {e}")],
    }
    found
        .into_iter()
        .filter_map(|(at, pattern)| {
            regex_lite::Regex::new(&pattern).err().map(|e| {
                format!("{at}: pattern {pattern:?} does not compile in regex-lite, which checks it in nectar-api: {e}")
            })
        })
        .collect()
}

/// Every `pattern` string below `value`, with its JSON pointer.
fn collect(value: &serde_json::Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (key.as_str(), child) {
                    ("pattern", serde_json::Value::String(pattern)) => {
                        out.push((here, pattern.clone()));
                    }
                    _ => collect(child, &here, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every distinct pattern of the built spec.
    fn spec_patterns() -> Vec<String> {
        let spec = crate::spec::spec().unwrap();
        let mut found = Vec::new();
        collect(&serde_json::to_value(&spec).unwrap(), "#", &mut found);
        let mut patterns: Vec<String> = found.into_iter().map(|(_, p)| p).collect();
        patterns.sort();
        patterns.dedup();
        patterns
    }

    /// Inputs near the edges of the spec's patterns (decimal fractions and percentages, webhook
    /// timestamps, bulk document URLs), good and bad.
    const INPUTS: &[&str] = &[
        "",
        "0",
        "1",
        "1.0",
        "1.00",
        "1.000",
        "1.01",
        "0.5",
        ".5",
        ".25",
        ".255",
        "0.",
        "00.5",
        "-0.5",
        "+0.5",
        "2",
        "100",
        "100.0",
        "100.0000",
        "100.00001",
        "100.1",
        "99",
        "99.9999",
        "99.99999",
        "9.5",
        "05",
        "1e2",
        " 1",
        "1 ",
        "1\n",
        "\n1",
        "٣",
        "2026-12-01T10:00:00",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00.123456789+01:00",
        "2026-12-01T10:00:00.1234567890Z",
        "2026-12-01 10:00:00Z",
        "2026-12-01T10:00:00z",
        "2026-12-01T10:00:00Z\n",
        "２026-12-01T10:00:00Z",
        "https://a.example/bill.pdf",
        "https://a.example",
        "https://a.example?x=1",
        "https://a.example#f",
        "https://-a.example/x",
        "http://a.example/x",
        "https://",
        "https:///x",
        "https://a.example/a b",
        "https://a.example/a\tb",
        "https://a.example/\n",
        "HTTPS://a.example/x",
        "https://ä.example/x",
        "https://a.example/ä",
        "https://a.example/\u{7f}",
    ];

    #[test]
    fn every_spec_pattern_compiles_in_regex_lite() {
        assert_eq!(
            problems(&crate::spec::spec().unwrap()),
            Vec::<String>::new()
        );
        assert!(
            !spec_patterns().is_empty(),
            "the spec has patterns to check"
        );
    }

    #[test]
    fn a_pattern_regex_lite_cannot_compile_is_named() {
        let mut spec = crate::spec::spec().unwrap();
        let schema = oa::Schema {
            schema_data: Default::default(),
            schema_kind: oa::SchemaKind::Type(oa::Type::String(oa::StringType {
                pattern: Some(r"^\p{Lu}+$".to_owned()),
                ..Default::default()
            })),
        };
        spec.components
            .as_mut()
            .unwrap()
            .schemas
            .insert("Shouting".to_owned(), oa::ReferenceOr::Item(schema));
        let problems = problems(&spec);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("#/components/schemas/Shouting/pattern:"),
            "{problems:?}"
        );
    }

    #[test]
    fn regex_lite_agrees_with_ecmascript_on_the_spec_patterns() {
        for pattern in spec_patterns() {
            let lite = regex_lite::Regex::new(&pattern).unwrap();
            let ecma = regress::Regex::new(&pattern).unwrap();
            for input in INPUTS {
                assert_eq!(
                    lite.find(input).is_some(),
                    ecma.find(input).is_some(),
                    "{pattern:?} on {input:?}"
                );
            }
        }
    }

    #[test]
    fn the_one_difference_non_ascii_whitespace_is_looser_here() {
        let url = spec_patterns()
            .into_iter()
            .find(|p| p.starts_with("^https://"))
            .expect("the bulk document URL pattern");
        let lite = regex_lite::Regex::new(&url).unwrap();
        let ecma = regress::Regex::new(&url).unwrap();
        for input in ["https://a.example/a\u{a0}b", "https://a.example/a\u{2028}b"] {
            assert!(lite.find(input).is_some(), "{input:?}");
            assert!(ecma.find(input).is_none(), "{input:?}");
        }
    }
}
