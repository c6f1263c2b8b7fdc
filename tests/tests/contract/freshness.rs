//! The committed spec and bindings are exactly what nectar-gen produces now.

use std::fs;

use nectar_tests::workspace_root;

#[test]
fn committed_generated_files_are_fresh() {
    let root = workspace_root();
    let files = nectar_gen::generate().expect("nectar-gen builds the spec and the bindings");

    let mut report = String::new();
    for stale in nectar_gen::stale(&files, |path| fs::read_to_string(root.join(path)).ok()) {
        report.push_str(&stale.diff);
    }
    let present = fs::read_dir(root.join(nectar_gen::GENERATED_DIR))
        .expect("the generated directory exists")
        .map(|entry| {
            let name = entry.expect("readable directory entry").file_name();
            format!("{}/{}", nectar_gen::GENERATED_DIR, name.to_string_lossy())
        });
    for extra in nectar_gen::unexpected_generated(&files, present) {
        report.push_str(&format!("{extra}: not produced by nectar-gen any more\n"));
    }
    assert!(
        report.is_empty(),
        "generated files are stale; run `cargo xtask codegen` and review the diff:\n{report}"
    );
}

#[test]
fn generating_twice_gives_the_same_bytes() {
    let first = nectar_gen::generate().expect("first run");
    let second = nectar_gen::generate().expect("second run");
    assert_eq!(first, second);
}
