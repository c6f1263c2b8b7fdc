//! The client's memory against an endless body: it holds the response-size limit and a fixed
//! amount of connection buffers (under 1 MiB), however long the server goes on. Its own test binary, because it installs a counting allocator.
//!
//! The client runs on a current-thread runtime on the test thread (the only thread counted); the
//! server on a runtime of its own.

use std::time::Duration;

use nectar_api::{Client, ErrorKind, RetryPolicy};
use nectar_tests::{
    heap::peak_during,
    hostile::{Hostile, Reply},
};

#[global_allocator]
static ALLOCATOR: nectar_tests::heap::Counting = nectar_tests::heap::Counting;

#[test]
fn an_endless_body_holds_memory_near_the_limit() {
    let server_runtime = nectar_tests::bench::server_runtime();
    let server = server_runtime
        .block_on(Hostile::start("127.0.0.1", |_, _| Reply::Endless {
            head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[".to_vec(),
            chunk: br#"{"id": "00000000-0000-0000-0000-000000000000", "name": "x"},"#.repeat(1000),
        }))
        .unwrap();
    let client_runtime = nectar_tests::bench::client_runtime();

    for limit in [1_u64 << 20, 8 << 20] {
        let client = Client::builder()
            .api_key("k")
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::none())
            .attempt_timeout(Duration::from_secs(30))
            .max_response_size(limit)
            .build()
            .unwrap();
        let (error, peak) = peak_during(|| {
            client_runtime.block_on(async { client.list_companies().send().await.unwrap_err() })
        });
        assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
        let ratio = peak as f64 / limit as f64;
        println!(
            "endless 200 body, max_response_size {} MiB: peak heap growth {:.2} MiB ({ratio:.2}x the limit)",
            limit >> 20,
            peak as f64 / f64::from(1 << 20),
        );
        assert!(
            peak < limit as usize + (1 << 20),
            "peak {peak} bytes for a limit of {limit}: more than the limit and 1 MiB of buffers"
        );
    }
}
