//! Snapshots that make every change to the API a reviewable diff: the API surface (operations,
//! parameters, bodies, responses) and each schema of the spec. Review changes with
//! `cargo insta review`.

#[test]
fn api_surface() {
    let spec = nectar_gen::spec().expect("the spec builds");
    insta::assert_snapshot!("api_surface", nectar_gen::surface(&spec));
}

#[test]
fn every_schema() {
    let spec = nectar_gen::spec().expect("the spec builds");
    let components = spec.components.expect("the spec has components");
    let names: Vec<&str> = components.schemas.keys().map(String::as_str).collect();
    insta::assert_snapshot!("schema_index", names.join("\n"));
    for (name, schema) in &components.schemas {
        let json = serde_json::to_string_pretty(schema).expect("a schema serializes");
        insta::assert_snapshot!(format!("schema_{name}"), json);
    }
}
