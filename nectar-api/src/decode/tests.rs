//! The decode budget: what serde_json decodes, within the allowance.

use super::*;

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Wide {
    #[serde(default)]
    a: Option<String>,
    #[serde(default)]
    b: [u64; 16],
}

#[test]
fn decodes_what_serde_json_decodes() {
    let body = br#"{"items":[{"a":"x"},{"a":null,"b":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}],"extra":{"k":[1,"two",{"three":3}]},"ignored":[1,2]}"#;
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Page {
        items: Vec<Wide>,
        extra: serde_json::Value,
    }
    let ours: Page = decode(body).unwrap();
    let theirs: Page = serde_json::from_slice(body).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn trailing_bytes_are_an_error_as_in_serde_json() {
    assert!(matches!(
        decode::<Vec<u8>>(b"[1] x"),
        Err(Failure::Invalid(_))
    ));
}

#[test]
fn an_array_of_empty_objects_stops_at_the_allowance() {
    // 3 bytes per element, 136 bytes decoded: 45x.
    let mut body = b"[".to_vec();
    body.extend(b"{},".repeat(100_000));
    body.extend(b"{}]");
    match decode::<Vec<Wide>>(&body) {
        Err(Failure::OverBudget { allowance: a, .. }) => assert_eq!(a, allowance(body.len())),
        other => panic!("{other:?}"),
    }
    // The same count of elements that are mostly bytes fits.
    let mut dense = b"[".to_vec();
    let element = format!(r#"{{"a":"{}"}},"#, "x".repeat(200));
    dense.extend(element.repeat(100_000).as_bytes());
    dense.extend(b"{}]");
    assert_eq!(decode::<Vec<Wide>>(&dense).unwrap().len(), 100_001);
}

#[test]
fn a_small_answer_always_has_the_minimum() {
    let body = b"[{}]";
    assert_eq!(decode::<Vec<Wide>>(body).unwrap().len(), 1);
}

#[test]
fn maps_and_values_are_charged() {
    let mut body = b"[".to_vec();
    body.extend(br#"{"a":1},"#.repeat(100_000));
    body.extend(b"{}]");
    assert!(matches!(
        decode::<serde_json::Value>(&body),
        Err(Failure::OverBudget { .. })
    ));
}
