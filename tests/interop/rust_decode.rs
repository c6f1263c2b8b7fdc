//! Copied into openapi-generator's Rust client as `examples/decode.rs` by `.ci/run`: decodes
//! the emulator's answers with unknown enum values (`unknown_enums.py dump`'s file) with the
//! generated models, writes them back, and counts the new values kept. Exit 0 when every answer
//! decodes with every value kept; 1 otherwise (the closed spec's client must fail).

use nectar_oag::models;

fn kept<T: serde::de::DeserializeOwned + serde::Serialize>(
    value: &serde_json::Value,
) -> Result<usize, serde_json::Error> {
    let decoded: T = serde_json::from_value(value.clone())?;
    Ok(serde_json::to_string(&decoded)?.matches("NECTAR_ADDED_").count())
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: decode ANSWERS.json");
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the answers")).expect("JSON");
    let mut problems = 0;
    for row in &rows {
        let component = row["component"].as_str().unwrap_or_default();
        let changed = &row["changed"];
        let replaced = row["replaced"].as_u64().unwrap_or_default() as usize;
        let outcome = match component {
            "Company" => kept::<models::Company>(changed),
            "ConnectionPage" => kept::<models::ConnectionPage>(changed),
            "Connection" => kept::<models::Connection>(changed),
            "DocumentPage" => kept::<models::DocumentPage>(changed),
            "Document" => kept::<models::Document>(changed),
            "UsagePage" => kept::<models::UsagePage>(changed),
            "UsageData" => kept::<models::UsageData>(changed),
            "Meter" => kept::<models::Meter>(changed),
            other => panic!("no model chosen for {other}"),
        };
        let verdict = match outcome {
            Ok(n) if n == replaced => format!("decoded, {n} of {replaced} new values kept"),
            Ok(n) => {
                problems += 1;
                format!("decoded, {n} of {replaced} new values kept (LOST SOME)")
            }
            Err(error) => {
                problems += 1;
                format!("FAILED: {}", error.to_string().chars().take(100).collect::<String>())
            }
        };
        println!("{component:<15} rust (openapi-generator): {verdict}");
    }
    println!("{problems} problems");
    std::process::exit(i32::from(problems > 0));
}
