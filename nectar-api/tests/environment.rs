//! The builder reads `NECTAR_API_KEY` and `NECTAR_BASE_URL` when the code gives neither, so a
//! client built as the README says talks to the same server as the examples.
//!
//! One test in a binary of its own: it changes the process environment, which no other test may
//! read at the same time.

use nectar_api::{Client, DEFAULT_BASE_URL, ErrorKind};

#[test]
fn the_builder_reads_the_key_and_the_base_url_from_the_environment() {
    let set = |name: &str, value: &str| {
        // SAFETY: this binary has this one test, so no other thread reads the environment while
        // it is changed.
        unsafe { std::env::set_var(name, value) }
    };
    set("NECTAR_API_KEY", "key-from-env");
    set("NECTAR_BASE_URL", "http://127.0.0.1:8080/v2.2/");
    let client = Client::builder().build().unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:8080/v2.2");

    // Code wins over the environment.
    let client = Client::builder()
        .base_url("https://example.com/v2.2")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://example.com/v2.2");

    // A refused URL from the environment says where it came from.
    set("NECTAR_BASE_URL", "http://nectar.example.com/v2.2");
    let error = Client::builder().build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("NECTAR_BASE_URL"), "{error}");
    assert!(error.to_string().contains("nectar.example.com"), "{error}");

    // Empty counts as unset.
    set("NECTAR_BASE_URL", " ");
    let client = Client::builder().build().unwrap();
    assert_eq!(client.base_url(), DEFAULT_BASE_URL);
}
