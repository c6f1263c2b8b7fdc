//! The client against hostile and broken servers (small raw HTTP servers on loopback;
//! `127.0.0.2` plays "another host"): redirects, absurd `Retry-After`, endless, oversized and
//! slow bodies, HTML and oversized error answers, and secrets that must never print. Each test
//! keeps one finding of the security review from coming back.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use nectar_api::{Client, ClientBuilder, Error, ErrorKind, MAX_RETRY_AFTER, Paginate, RetryPolicy};
use nectar_sandbox::{Sandbox, flows::sandbox_body};
use nectar_tests::hostile::{Hostile, Reply};
use tracing::instrument::WithSubscriber;
use uuid::Uuid;

const KEY: &str = "hostile-test-api-key-0123456789";
const PASSWORD: &str = "portal-password-123";
const MAGIC: &str = "magic-secret-456";
const EMAIL: &str = "owner-secret@example.com";

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

fn builder_for(server: &Hostile) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry_policy(fast())
}

fn status(error: &Error) -> Option<u16> {
    error.status().map(|s| s.as_u16())
}

/// Everything an error shows: `Display`, `Debug`, body, detail.
fn shown(error: &Error) -> String {
    format!(
        "{error}\n{error:?}\n{}\n{}",
        error.body().unwrap_or_default(),
        error.detail().unwrap_or_default()
    )
}

fn assert_no_secret(text: &str) {
    for secret in [KEY, PASSWORD, MAGIC, EMAIL, "987654321987"] {
        assert!(!text.contains(secret), "{secret} printed in:\n{text}");
    }
}

#[tokio::test]
async fn no_redirect_is_followed_for_any_3xx_get_or_post() {
    let other = Hostile::start("127.0.0.2", |_, _| Reply::json("200 OK", "[]"))
        .await
        .unwrap();
    for code in [301, 302, 303, 307, 308] {
        let target = format!("{}/v2.2/company", other.url());
        let location = target.clone();
        let server = Hostile::start("127.0.0.1", move |_, _| {
            Reply::with(
                &format!("{code} Redirect"),
                &[&format!("location: {location}")],
                "",
            )
        })
        .await
        .unwrap();
        let client = builder_for(&server).build().unwrap();

        let error = client.list_companies().send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Redirect, "{error}");
        assert_eq!(status(&error), Some(code));
        assert_eq!(error.location(), Some(target.as_str()));
        assert_eq!(error.operation(), Some("list_companies"));
        assert!(error.to_string().contains(&target), "{error}");

        // A POST carrying a portal password: never re-sent anywhere, never reported as done.
        let body = sandbox_body(&[Uuid::new_v4()], PASSWORD).unwrap();
        let error = client
            .create_connection()
            .company_id(Uuid::new_v4())
            .body(body)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Redirect, "{error}");
        assert_eq!(status(&error), Some(code));
        assert_no_secret(&shown(&error));
        assert_eq!(server.requests().len(), 2, "a redirect is not retried");
    }
    assert!(
        other.requests().is_empty(),
        "nothing reached the other host: {:?}",
        other.requests()
    );
}

/// A user's own HTTP settings (`configure_http`) cannot undo the client's rules: a redirect
/// policy set there is overridden, and the key still reaches no other host.
#[tokio::test]
async fn configure_http_cannot_turn_redirects_back_on() {
    let other = Hostile::start("127.0.0.2", |_, _| Reply::json("200 OK", "[]"))
        .await
        .unwrap();
    let location = format!("{}/v2.2/company", other.url());
    let server = Hostile::start("127.0.0.1", move |_, _| {
        Reply::with("302 Found", &[&format!("location: {location}")], "")
    })
    .await
    .unwrap();
    let configured = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::clone(&configured);
    let client = builder_for(&server)
        .configure_http(move |http| {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
            http.redirect(nectar_api::reqwest::redirect::Policy::limited(10))
        })
        .build()
        .unwrap();
    assert!(configured.load(std::sync::atomic::Ordering::SeqCst));
    let error = client.list_companies().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Redirect, "{error}");
    assert!(
        other.requests().is_empty(),
        "the key reached the other host: {:?}",
        other.requests()
    );
}

#[tokio::test]
async fn an_https_answer_redirecting_to_plain_http_is_not_followed() {
    let tls = nectar_tests::workspace_root().join("tests/fixtures/tls");
    let read = |name: &str| std::fs::read(tls.join(name)).unwrap();
    let plain = Hostile::start("127.0.0.2", |_, _| Reply::json("200 OK", "{}"))
        .await
        .unwrap();
    let target = format!("{}/v2.2/ping", plain.url());
    let location = target.clone();
    let secure = Hostile::start_tls(
        "127.0.0.1",
        &read("server.pem"),
        &read("server.key"),
        move |_, _| {
            Reply::with(
                "308 Permanent Redirect",
                &[&format!("location: {location}")],
                "",
            )
        },
    )
    .await
    .unwrap();
    assert!(secure.base_url().starts_with("https://127.0.0.1:"));
    let client = builder_for(&secure)
        .add_root_certificate(read("ca.pem"))
        .build()
        .unwrap();
    for _ in 0..2 {
        let error = client.ping().send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Redirect, "{error}");
        assert_eq!(error.location(), Some(target.as_str()));
    }
    let error = client
        .create_connection()
        .company_id(Uuid::new_v4())
        .body(sandbox_body(&[Uuid::new_v4()], PASSWORD).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Redirect, "{error}");
    assert_eq!(secure.requests().len(), 3, "the TLS server was reached");
    assert!(
        secure.requests()[0].header("x-api-key") == Some(KEY),
        "the key went to the configured origin"
    );
    assert!(plain.requests().is_empty(), "nothing went over plain http");

    // Without the test CA the server is not trusted: a transport error, never a downgrade.
    let untrusted = builder_for(&secure).build().unwrap();
    let error = untrusted.ping().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    let error = Client::builder()
        .api_key(KEY)
        .add_root_certificate("not a certificate")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("root certificate 1"), "{error}");
}

#[tokio::test]
async fn absurd_retry_after_arriving_late_neither_panics_nor_waits() {
    for (answer, value) in [
        ("429 Too Many Requests", "18446744073709551615"),
        ("503 Service Unavailable", "18446744073709551615"),
        ("429 Too Many Requests", "99999999999999999999999999999"),
        ("429 Too Many Requests", "Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        let header = format!("retry-after: {value}");
        let server = Hostile::start("127.0.0.1", move |_, _| {
            Reply::After(
                Duration::from_millis(1100),
                Box::new(Reply::with(answer, &[&header], "{}")),
            )
        })
        .await
        .unwrap();
        let client = builder_for(&server)
            .total_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let started = Instant::now();
        let error = client.ping().send().await.unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(error.kind(), ErrorKind::Api, "{error}");
        assert_eq!(error.retry_after(), Some(MAX_RETRY_AFTER), "{value}");
        assert_eq!(
            server.requests().len(),
            1,
            "a wait past the budget is not waited"
        );
        assert!(elapsed < Duration::from_secs(3), "{value}: {elapsed:?}");
        println!("Retry-After {value} on {answer}: answered in {elapsed:?}, {error}");
    }
}

#[tokio::test]
async fn garbage_retry_after_falls_back_to_backoff() {
    for value in [
        &b"-1"[..],
        b"soon",
        b"1.5",
        b"0x10",
        b"",
        b"\xff\xfe",
        b"Wed, 99 Foo 2015",
    ] {
        let value = value.to_vec();
        let server = Hostile::start("127.0.0.1", move |n, _| {
            if n == 1 {
                let mut head =
                    b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\nretry-after: "
                        .to_vec();
                head.extend_from_slice(&value);
                head.extend_from_slice(b"\r\nconnection: close\r\n\r\n{}");
                Reply::Raw(head)
            } else {
                Reply::json("200 OK", "{}")
            }
        })
        .await
        .unwrap();
        let client = builder_for(&server).build().unwrap();
        let started = Instant::now();
        client.ping().send().await.expect("retried after a backoff");
        assert_eq!(server.requests().len(), 2);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn endless_and_oversized_success_bodies_stop_at_the_limit() {
    const LIMIT: u64 = 1 << 20;
    let endless = Hostile::start("127.0.0.1", |_, _| Reply::Endless {
        head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n["
            .to_vec(),
        chunk: br#"{"id": "00000000-0000-0000-0000-000000000000", "name": "x"},"#.repeat(100),
    })
    .await
    .unwrap();
    let client = builder_for(&endless)
        .max_response_size(LIMIT)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.list_companies().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
    assert_eq!(error.limit(), Some(LIMIT));
    assert_eq!(error.operation(), Some("list_companies"));
    assert_eq!(status(&error), Some(200));
    assert!(
        error.to_string().contains("1048576 bytes") && error.to_string().contains("list_companies"),
        "{error}"
    );
    assert_eq!(
        endless.requests().len(),
        1,
        "a too-large answer is not retried"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // A declared length past the limit fails before the body is read.
    let declared = Hostile::start("127.0.0.1", |_, _| {
        Reply::raw("HTTP/1.1 200 OK\r\ncontent-length: 10737418240\r\n\r\n[")
    })
    .await
    .unwrap();
    let client = builder_for(&declared)
        .max_response_size(LIMIT)
        .build()
        .unwrap();
    let error = client.list_companies().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");

    // A complete answer one byte over the limit fails; one at the limit decodes.
    for (size, fits) in [(LIMIT + 1, false), (LIMIT, true)] {
        let body = format!("\"{}\"", "a".repeat(size as usize - 2));
        let server = Hostile::start("127.0.0.1", move |_, _| Reply::json("200 OK", &body))
            .await
            .unwrap();
        let client = builder_for(&server)
            .max_response_size(LIMIT)
            .build()
            .unwrap();
        let result = client.ping().send().await;
        assert_eq!(result.is_ok(), fits, "{size} bytes: {result:?}");
    }
}

#[tokio::test]
async fn absurd_headers_are_a_transport_error_not_a_crash() {
    let huge_value = format!(
        "HTTP/1.1 200 OK\r\nx-junk: {}\r\ncontent-length: 2\r\n\r\n{{}}",
        "a".repeat(4 << 20)
    );
    let many = format!(
        "HTTP/1.1 200 OK\r\n{}content-length: 2\r\n\r\n{{}}",
        "x-junk: 1\r\n".repeat(20_000)
    );
    let endless_head = Reply::Endless {
        head: b"HTTP/1.1 200 OK\r\n".to_vec(),
        chunk: b"x-junk: 1\r\n".repeat(1000),
    };
    for (what, reply) in [
        ("a 4 MiB header value", Reply::raw(huge_value)),
        ("20,000 headers", Reply::raw(many)),
        ("headers without end", endless_head),
        (
            "a status line of garbage",
            Reply::raw("HTTP/1.1 9999 \u{0}\r\n\r\n"),
        ),
        ("no HTTP at all", Reply::raw("\u{1}\u{2}\u{3} hello")),
    ] {
        let server = Hostile::start("127.0.0.1", move |_, _| reply.clone())
            .await
            .unwrap();
        let client = builder_for(&server).build().unwrap();
        let started = Instant::now();
        let error = client.ping().send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Transport, "{what}: {error}");
        assert!(started.elapsed() < Duration::from_secs(5), "{what}");
        assert_no_secret(&shown(&error));
    }
}

#[tokio::test]
async fn a_slow_body_is_a_timeout_retried_for_get_only() {
    let slow = || Reply::Slow {
        head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n"
            .to_vec(),
        body: format!("[{}]", " ".repeat(198)).into_bytes(),
        piece: 1,
        every: Duration::from_millis(50),
    };
    let (server, client) = timing_out(slow, 300).await;
    let error = client.list_companies().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_retryable());
    assert_eq!(server.requests().len(), 3, "a GET is retried up to the cap");

    let (server, client) = timing_out(slow, 300).await;
    let error = client
        .create_company()
        .body_map(|b| b.name("Once"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(
        server.requests().len(),
        1,
        "a POST may have been applied: not resent"
    );

    let (silent, client) = timing_out(|| Reply::Silent, 200).await;
    let error = client.ping().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(silent.requests().len(), 3);
}

/// A timeout names the limit that fired and the setting it comes from.
#[tokio::test]
async fn a_timeout_names_the_limit_and_where_it_was_set() {
    let (_silent, client) = timing_out(|| Reply::Silent, 200).await;
    let once = RetryPolicy {
        max_attempts: 1,
        ..fast()
    };
    let client = client
        .with_options(nectar_api::RequestOptions::new().retry_policy(once.clone()))
        .unwrap();
    let error = client.ping().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error.to_string().contains(
            "no whole answer within the attempt timeout of 0.2 s (set by \
             ClientBuilder::attempt_timeout)"
        ),
        "{error}"
    );
    let hasty = client
        .with_options(nectar_api::RequestOptions::new().attempt_timeout(Duration::from_millis(100)))
        .unwrap();
    let error = hasty.ping().send().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("attempt timeout of 0.1 s (set by RequestOptions::attempt_timeout)"),
        "{error}"
    );
    let short_total = client
        .with_options(nectar_api::RequestOptions::new().total_timeout(Duration::from_millis(50)))
        .unwrap();
    let error = short_total.ping().send().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("total timeout of 0.05 s (set by RequestOptions::total_timeout)"),
        "{error}"
    );
    // Debug, as `main` returning the error prints it, leads with the same message.
    assert!(
        format!("{error:?}")
            .starts_with("Error { message: \"ping (GET /ping): the request timed out"),
        "{error:?}"
    );
}

/// A 404 from an operation that sends no id points at the base URL.
#[tokio::test]
async fn a_404_without_an_id_points_at_the_base_url() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    // The base URL without its `/v2.2`.
    let client = Client::builder()
        .api_key(sandbox.api_key())
        .base_url(format!("http://{}", sandbox.addr()))
        .build()
        .unwrap();
    let error = client.ping().send().await.unwrap_err();
    assert_eq!(status(&error), Some(404), "{error}");
    assert!(error.to_string().contains("check the base URL"), "{error}");
    let error = client
        .get_company()
        .company_id(Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("check the id"), "{error}");
}

/// A server that answers every request with `reply()`, and a client whose attempts time out
/// after `timeout_ms`.
async fn timing_out(
    reply: impl Fn() -> Reply + Send + Sync + 'static,
    timeout_ms: u64,
) -> (Hostile, Client) {
    let server = Hostile::start("127.0.0.1", move |_, _| reply())
        .await
        .unwrap();
    let client = builder_for(&server)
        .attempt_timeout(Duration::from_millis(timeout_ms))
        // A timed-out attempt keeps its slot while its answer is still coming (see
        // `timeouts_never_put_more_than_the_cap_in_flight`); a fixed limit of 10 leaves room
        // for these tests' retries without waiting for the slow answers to end.
        .adaptive_concurrency(false)
        .build()
        .unwrap();
    (server, client)
}

/// Timeouts and the cap: attempts that time out while the server is still working keep their
/// slots until the server has answered, so a server never sees more requests in flight from
/// one client than its limit, and timeouts lower the adaptive limit as 429s do. The emulator
/// answers 429 to any request arriving while more than 3 are in flight; a client capped at 3
/// whose attempts time out long before the emulator answers must never trip it.
#[tokio::test]
async fn timeouts_never_put_more_than_the_cap_in_flight() {
    let sandbox = Sandbox::builder()
        .faults(
            nectar_sandbox::Faults::seeded(1)
                .latency(Duration::from_millis(400))
                .throttle_above(3, 0),
        )
        .start()
        .await
        .unwrap();
    let client = |max: usize, adaptive: bool| {
        sandbox
            .client_builder()
            .max_concurrency(max)
            .adaptive_concurrency(adaptive)
            .attempt_timeout(Duration::from_millis(100))
            .total_timeout(Duration::from_secs(10))
            .retry_policy(RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
            })
            .build()
            .unwrap()
    };
    // A fixed cap of 3: six calls whose attempts all time out and are retried.
    let fixed = client(3, false);
    let calls = (0..6).map(|_| fixed.ping().send());
    let outcomes = futures_util::future::join_all(calls).await;
    let throttled = sandbox
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(
        throttled, 0,
        "the server saw more than 3 in flight: {throttled} requests throttled"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| o.as_ref().is_err_and(|e| e.kind() == ErrorKind::Timeout))
    );
    // An adaptive client (starting at half its maximum of 6): timeouts lower the limit.
    let adaptive = client(6, true);
    assert_eq!(adaptive.concurrency_limit(), 3);
    let calls = (0..6).map(|_| adaptive.ping().send());
    futures_util::future::join_all(calls).await;
    assert!(
        adaptive.concurrency_limit() < 3,
        "timeouts lowered the adaptive limit: {}",
        adaptive.concurrency_limit()
    );
}

#[tokio::test]
async fn html_and_oversized_error_answers_keep_their_status() {
    let html = "<html><body><h1>404 Not Found</h1>nginx</body></html>";
    let padded = format!(
        r#"{{"detail": "Invalid field.", "pad": "{}"}}"#,
        "x".repeat(100 * 1024)
    );
    for (answer, body, kind_of_body) in [
        ("404 Not Found", html.to_owned(), "html"),
        ("403 Forbidden", html.to_owned(), "html"),
        ("400 Bad Request", padded.clone(), "json over 64 KiB"),
        ("500 Internal Server Error", padded, "json over 64 KiB"),
        ("401 Unauthorized", "{}".to_owned(), "json without detail"),
    ] {
        let server = Hostile::start("127.0.0.1", move |_, _| {
            Reply::with(answer, &["content-type: text/html"], &body)
        })
        .await
        .unwrap();
        let client = builder_for(&server)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let error = client
            .get_company()
            .company_id(Uuid::new_v4())
            .send()
            .await
            .unwrap_err();
        let code: u16 = answer[..3].parse().unwrap();
        assert_eq!(error.kind(), ErrorKind::Api, "{kind_of_body}: {error}");
        assert_eq!(status(&error), Some(code), "{kind_of_body}: {error}");
        let kept = error.body().unwrap_or_default();
        assert!(
            kept.len() <= nectar_api::MAX_ERROR_BODY + 3,
            "{}",
            kept.len()
        );
        if kind_of_body == "html" {
            assert!(kept.contains("nginx"), "{kept}");
        }
        assert!(!error.advice().contains("update nectar-api"), "{error}");
    }
}

#[tokio::test]
async fn secrets_never_print_in_errors_or_logs() {
    let page = r#"{"connections": [], "totalConnections": 0, "perPage": 100, "totalPages": 1,
                   "currentPage": 1, "hasNext": false, "hasPrevious": false}"#;
    let echo = format!(
        r#"{{"detail": "bad", "password": "{PASSWORD}", "companyMagicLinkSecret": "{MAGIC}", "echo": "{KEY}"}}"#
    );
    let server = Hostile::start("127.0.0.1", move |n, request| {
        let line = request.request_line().to_owned();
        match n {
            // Retried: the log line names the operation and template, not the query.
            1 => Reply::with("503 Service Unavailable", &[], "busy"),
            2 => Reply::json("200 OK", page),
            // A magic link that does not decode (no publicCompanyId) and carries secrets.
            3 => Reply::json(
                "200 OK",
                format!(r#"{{"companyMagicLinkSecret": "{MAGIC}", "magicLinkUrl": "https://x/{MAGIC}"}}"#),
            ),
            // A secret of the wrong type: serde's message would quote it.
            4 => Reply::json(
                "200 OK",
                r#"{"publicCompanyId": "p", "companyMagicLinkSecret": 987654321987}"#,
            ),
            // An error answer echoing the key and secrets.
            5 => Reply::json("400 Bad Request", &echo),
            // The same, cut at the read limit (textual masking).
            6 => Reply::json(
                "400 Bad Request",
                format!(
                    r#"{{"pad": "{}", "password": "{PASSWORD}", "detail": "{KEY}"}}"#,
                    "x".repeat(65_500)
                ),
            ),
            // A broken body (twice: the GET is retried) for a query with an e-mail address: the
            // URL stays out.
            7 | 8 => Reply::raw("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"conn"),
            9 => Reply::with("302 Found", &[&format!("location: http://127.0.0.2/{}", "x")], &echo),
            _ => Reply::json("500 Internal Server Error", format!("{{\"detail\": \"{line}\"}}")),
        }
    })
    .await
    .unwrap();
    let client = builder_for(&server)
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            ..fast()
        })
        .build()
        .unwrap();
    let (subscriber, logs) = nectar_tests::logs::capture(tracing::Level::TRACE);
    let company = Uuid::new_v4();
    let list = || {
        client
            .list_company_connections()
            .company_id(company)
            .connection_owner_email(EMAIL)
    };
    let mut errors = Vec::new();
    async {
        list().send().await.expect("retried once, then answered");
        for _ in 3..=4 {
            #[allow(deprecated)]
            let error = client
                .create_company_magic_link()
                .company_id(company)
                .send()
                .await
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
            errors.push(error);
        }
        for _ in 5..=6 {
            let error = client.list_companies().send().await.unwrap_err();
            assert_eq!(status(&error), Some(400), "{error}");
            errors.push(error);
        }
        let error = list().send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
        errors.push(error);
        let error = client
            .create_connection()
            .company_id(company)
            .body(sandbox_body(&[company], PASSWORD).unwrap())
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Redirect, "{error}");
        errors.push(error);
    }
    .with_subscriber(subscriber)
    .await;

    let decode = errors[0].to_string();
    assert!(
        decode.contains("publicCompanyId") || decode.contains("public_company_id"),
        "the decode error names the field: {decode}"
    );
    assert!(
        errors[1].to_string().contains("companyMagicLinkSecret"),
        "{}",
        errors[1]
    );
    for error in &errors {
        assert_no_secret(&shown(error));
    }
    let logs = logs.text();
    assert!(
        logs.contains("retrying")
            && logs.contains("list_company_connections")
            && logs.contains("/connection/company/{company_id}"),
        "{logs}"
    );
    assert_no_secret(&logs);
    assert!(
        !logs.contains(&company.to_string()),
        "ids stay out of logs too: {logs}"
    );
}

#[tokio::test]
async fn absurd_caller_settings_are_clamped() {
    // A retry policy and timeouts of Duration::MAX: no overflow, no endless wait.
    let server = Hostile::start("127.0.0.1", |n, _| {
        if n == 1 {
            Reply::with("503 Service Unavailable", &[], "")
        } else {
            Reply::json("200 OK", "{}")
        }
    })
    .await
    .unwrap();
    let client = builder_for(&server)
        .retry_policy(RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
        })
        .connect_timeout(Duration::MAX)
        .attempt_timeout(Duration::MAX)
        .total_timeout(Duration::MAX)
        .build()
        .unwrap();
    let started = Instant::now();
    let outcome = client.ping().send().await;
    // Full jitter over an unbounded backoff: either a short wait and the retry succeeds, or a
    // wait past the (clamped) total budget and the 503 comes back at once.
    assert!(started.elapsed() < Duration::from_secs(5), "{outcome:?}");

    // The pager past u32::MAX pages, and waiters with absurd intervals, against the emulator.
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_secs(60))
        .seed_company("Clamp", 1, 3)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox.client_builder().build().unwrap();
    let items: Vec<_> = client
        .list_company_connections()
        .company_id(company)
        .pager()
        .starting_at(u32::MAX)
        .concurrency(usize::MAX)
        .items()
        .try_collect()
        .await
        .expect("past the end: nothing, no overflow");
    assert!(items.is_empty());

    let connection = nectar_sandbox::flows::sandbox_connection(&client, 1, "wrong")
        .await
        .unwrap()
        .2
        .id;
    let before = sandbox.requests().len();
    let started = Instant::now();
    let error = client
        .wait_for_connection(connection)
        .interval(Duration::ZERO)
        .max_interval(Duration::ZERO)
        .timeout(Duration::from_secs(1))
        .await
        .unwrap_err();
    let polls = sandbox.requests().len() - before;
    assert_eq!(error.kind(), ErrorKind::Timeout);
    println!(
        "interval(ZERO) for 1 s: {polls} GETs in {:?}",
        started.elapsed()
    );
    assert!(polls <= 22, "no busy loop: {polls} GETs in 1 s");

    let started = Instant::now();
    let error = client
        .wait_for_connection(connection)
        .interval(Duration::MAX)
        .max_interval(Duration::MAX)
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Log injection: a server's `detail` and `Location` with CR/LF, ANSI and OSC 8 escapes, NUL, C1
/// and bidi controls. `tracing::warn!(%error)` writes one line per error, with no raw control
/// character; the accessors still give the raw values.
#[tokio::test]
async fn server_text_cannot_forge_log_lines_or_terminal_escapes() {
    const FORGED: &str = "bad\r\n2026-12-01T00:00:00Z ERROR forged: admin logged in\u{1b}[2J\
                          \u{1b}]8;;http://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\\0\u{85}\u{202e}txet";
    let detail = serde_json::json!({ "detail": FORGED }).to_string();
    let server = Hostile::start("127.0.0.1", move |n, _| {
        if n % 2 == 1 {
            Reply::json("400 Bad Request", &detail)
        } else {
            // A header value cannot carry CR/LF; what it can carry (bidi in UTF-8, %-escapes)
            // must print escaped too.
            Reply::with(
                "302 Found",
                &["location: https://evil.example/\u{202e}gpj.exe%0d%0a"],
                "",
            )
        }
    })
    .await
    .unwrap();
    let client = builder_for(&server).build().unwrap();
    let (subscriber, logs) = nectar_tests::logs::capture(tracing::Level::WARN);
    let mut errors = Vec::new();
    async {
        for _ in 0..8 {
            let error = client.list_companies().send().await.unwrap_err();
            tracing::warn!(%error, "call failed");
            errors.push(error);
        }
    }
    .with_subscriber(subscriber)
    .await;

    let text = logs.text();
    assert_eq!(text.lines().count(), 8, "one line per event:\n{text}");
    for c in ['\r', '\u{1b}', '\0', '\u{85}', '\u{202e}'] {
        assert!(!text.contains(c), "{c:?} reached the log:\n{text}");
    }
    let api = errors.iter().find(|e| e.kind() == ErrorKind::Api).unwrap();
    assert_eq!(api.detail(), Some(FORGED), "the raw detail stays available");
    assert!(api.to_string().contains("bad\\r\\n2026-12-01"), "{api}");
    let redirect = errors
        .iter()
        .find(|e| e.kind() == ErrorKind::Redirect)
        .unwrap();
    assert!(redirect.location().unwrap().contains('\u{202e}'));
    assert!(!redirect.to_string().contains('\u{202e}'), "{redirect}");
}

/// Echoed secrets: whatever secret the client sent on a request (the key, a portal password)
/// comes back masked, in whatever encoding the server echoes it: in a redirect's `Location`
/// (URL-encoded), as free text in `detail`, inside a JSON string in the body (a gateway quoting
/// the request), in `Display`, `Debug`, `location()`, `body()` and `detail()`.
#[tokio::test]
async fn secrets_the_client_sent_are_masked_in_every_echo() {
    const ODD_PASSWORD: &str = "p@ss w/rd\"&1";
    fn url(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    let location = format!(
        "location: https://evil.example/?api_key={KEY}&pw={}",
        url(ODD_PASSWORD)
    );
    let echoed_request = serde_json::json!({ "password": ODD_PASSWORD }).to_string();
    let body = serde_json::json!({
        "detail": format!("wrong password {ODD_PASSWORD} for key {KEY}"),
        "request": echoed_request,
    })
    .to_string();
    let server = Hostile::start("127.0.0.1", move |n, _| {
        if n % 2 == 1 {
            Reply::with("302 Found", &[&location], "")
        } else {
            Reply::json("400 Bad Request", &body)
        }
    })
    .await
    .unwrap();
    let client = builder_for(&server).build().unwrap();
    for _ in 0..2 {
        let error = client
            .create_connection()
            .company_id(Uuid::new_v4())
            .body(sandbox_body(&[Uuid::new_v4()], ODD_PASSWORD).unwrap())
            .send()
            .await
            .unwrap_err();
        let shown = format!(
            "{error}\n{error:?}\n{}\n{}\n{}",
            error.body().unwrap_or_default(),
            error.detail().unwrap_or_default(),
            error.location().unwrap_or_default()
        );
        for secret in [KEY, ODD_PASSWORD, &url(ODD_PASSWORD), r#"p@ss w/rd\"&1"#] {
            assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
        }
        assert!(shown.contains("***"), "{shown}");
    }
}

/// An error body in whatever format a server or a proxy in front of it writes, with the value of a
/// field the spec marks sensitive in it, or an echo of the portal password the client sent:
/// neither shows in `body()`, `detail()`, `Display` or `Debug`.
#[tokio::test]
async fn no_sensitive_value_shows_whatever_the_error_body_format() {
    const VALUE: &str = "server-side-secret-0042";
    const SENT: &str = "p'a\"ss&<w>rd\\9";
    let pad = "a".repeat(70 * 1024);
    let forms: Vec<(&str, String)> = vec![
        (
            "python repr",
            format!("{{'detail': 'bad', 'token': '{VALUE}'}}"),
        ),
        (
            "html table",
            format!(
                "<html><body><table><tr><td>password</td><td>{VALUE}</td></tr></table></body></html>"
            ),
        ),
        (
            "html form",
            format!(r#"<form><input name="magicLinkUrl" value="{VALUE}"></form>"#),
        ),
        ("form encoding", format!("detail=bad&token={VALUE}")),
        (
            "form encoding, escaped name",
            format!("detail=bad&t%6Fken={VALUE}"),
        ),
        ("yaml", format!("detail: bad\ninvitation_url: {VALUE}\n")),
        (
            "json cut at the read limit",
            format!(r#"{{"token": "{VALUE}", "pad": "{pad}"}}"#),
        ),
        (
            "json cut, escaped key",
            format!(r#"{{"detail": "bad", "t\u006fken": "{VALUE}", "pad": "{pad}"}}"#),
        ),
        (
            "json, escaped key",
            format!(r#"{{"detail": "bad", "t\u006fken": "{VALUE}"}}"#),
        ),
        (
            "json, other case",
            format!(r#"{{"detail": "bad", "Token": "{VALUE}"}}"#),
        ),
        (
            "json inside the detail",
            serde_json::json!({ "detail": format!(r#"{{"token": "{VALUE}"}}"#) }).to_string(),
        ),
        (
            "python repr inside the detail",
            serde_json::json!({ "detail": format!("{{'password': '{VALUE}'}}") }).to_string(),
        ),
        (
            "the sent password, html-escaped",
            "<p>wrong password p&#39;a&quot;ss&amp;&lt;w&gt;rd\\9</p>".to_owned(),
        ),
        (
            "the sent password, python repr",
            r#"{'password': 'p\'a"ss&<w>rd\\9'} is wrong"#.to_owned(),
        ),
    ];
    let bodies: Vec<String> = forms.iter().map(|(_, body)| body.clone()).collect();
    let server = Hostile::start("127.0.0.1", move |n, _| {
        let body = &bodies[(n - 1) % bodies.len()];
        let kind = if body.starts_with('{') && !body.starts_with("{'") {
            "application/json"
        } else {
            "text/html"
        };
        Reply::with(
            "400 Bad Request",
            &[&format!("content-type: {kind}")],
            body.as_bytes(),
        )
    })
    .await
    .unwrap();
    let client = builder_for(&server).build().unwrap();
    let mut shown_in = Vec::new();
    for (form, _) in &forms {
        let error = client
            .create_connection()
            .company_id(Uuid::new_v4())
            .body(sandbox_body(&[Uuid::new_v4()], SENT).unwrap())
            .send()
            .await
            .unwrap_err();
        assert_eq!(status(&error), Some(400), "{form}: {error}");
        let text = shown(&error);
        let echoes = [
            VALUE,
            SENT,
            "p&#39;a&quot;ss&amp;&lt;w&gt;rd",
            r#"p\'a"ss&<w>rd\\9"#,
        ];
        if echoes.iter().any(|secret| text.contains(secret)) {
            shown_in.push(format!("{form}:\n{text}"));
        }
    }
    assert!(
        shown_in.is_empty(),
        "a secret showed in {} of {} forms:\n{}",
        shown_in.len(),
        forms.len(),
        shown_in.join("\n\n")
    );
}

/// A request id is kept only when it looks like one: a server echoing the key, a password or
/// terminal escapes in `x-request-id` gets none of it into an error, its message, or a log line
/// (the attempt's span); an id of plain characters is kept.
#[tokio::test]
async fn a_request_id_is_kept_only_when_it_looks_like_one() {
    // The escape sequence last: refused by the HTTP parser, it is a transport failure, retried.
    let ids = [
        KEY.to_owned(),
        format!("password={PASSWORD}"),
        "x".repeat(129),
        "req_7f3a-11".to_owned(),
        "req\u{1b}[2J".to_owned(),
    ];
    let served = ids.clone();
    let server = Hostile::start("127.0.0.1", move |n, _| {
        let id = served[(n - 1).min(served.len() - 1)].clone();
        let bytes = id.into_bytes();
        // Raw, so a control character reaches the client as sent.
        let mut answer =
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nx-request-id: ".to_vec();
        answer.extend(bytes);
        answer.extend(
            b"\r\ncontent-length: 22\r\nconnection: close\r\n\r\n{\"detail\": \"Not found\"}",
        );
        Reply::raw(answer)
    })
    .await
    .unwrap();
    let client = builder_for(&server).build().unwrap();
    let (subscriber, logs) = nectar_tests::logs::capture(tracing::Level::TRACE);
    let errors = async {
        let mut errors = Vec::new();
        for _ in &ids {
            errors.push(
                client
                    .get_company()
                    .company_id(Uuid::new_v4())
                    .send()
                    .await
                    .unwrap_err(),
            );
        }
        errors
    }
    .with_subscriber(subscriber)
    .await;
    let kept: Vec<Option<&str>> = errors.iter().map(Error::request_id).collect();
    assert_eq!(kept, [None, None, None, Some("req_7f3a-11"), None]);
    let text = logs.text();
    for error in &errors {
        assert_no_secret(&shown(error));
    }
    assert_no_secret(&text);
    assert!(!text.contains('\u{1b}'));
    // The kept id on the attempt's span is checked in tests/tests/otel.rs.
}
