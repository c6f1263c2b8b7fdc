//! The handwritten layer against the emulator: retries under faults, what is (not) repeated,
//! timeouts, the pager's guarantees and guards, the waiter.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::AtomicU64},
    time::{Duration, Instant},
};

use axum::{Json, Router, extract::RawQuery, routing::get};
use futures_util::{StreamExt, TryStreamExt};
use nectar_api::{
    Client, ErrorKind, Paginate, RetryPolicy, status::ConnectionCategory, types::ConnectionStatus,
};
use nectar_sandbox::{Fault, Faults, RetryAfter, SANDBOX_PASSWORD, Sandbox, flows};
use serde_json::{Value, json};
use uuid::Uuid;

/// Fast retries for tests: many attempts, millisecond waits.
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 10,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
    }
}

#[tokio::test]
async fn listing_20000_connections_under_20_percent_faults_sees_each_id_once() {
    let faults = Faults::seeded(2026).rate(
        0.2,
        [
            Fault::TooManyRequests(Some(RetryAfter::Seconds(1))),
            Fault::TooManyRequests(None),
            Fault::BadGateway,
            Fault::ServiceUnavailable,
            Fault::Drop,
        ],
    );
    let sandbox = Sandbox::builder()
        .faults(faults)
        .seed_company("Faulty", 3, 20_000)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox
        .client_builder()
        .retry_policy(patient())
        .build()
        .unwrap();

    let ids: Vec<Uuid> = client
        .list_company_connections()
        .company_id(company)
        .limit(500_u32)
        .pager()
        .concurrency(8)
        .items()
        .map_ok(|connection| connection.id)
        .try_collect()
        .await
        .expect("every page arrives despite the faults");

    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    let requests = sandbox.requests();
    let faulted: Vec<_> = requests.iter().filter_map(|r| r.fault.as_ref()).collect();
    let count = |kind: &str| faulted.iter().filter(|f| f.kind() == kind).count();
    println!(
        "fault test: {} requests sent, {} faults injected (429: {}, 502: {}, 503: {}, drop: {}), \
         {} ids seen, {} unique, {} duplicates, {} lost",
        requests.len(),
        faulted.len(),
        count("429"),
        count("502"),
        count("503"),
        count("drop"),
        ids.len(),
        unique.len(),
        ids.len() - unique.len(),
        20_000 - unique.len(),
    );
    assert_eq!(ids.len(), 20_000, "nothing lost or duplicated");
    assert_eq!(unique.len(), 20_000);
    assert!(
        faulted.len() >= 5,
        "the rate injected faults: {}",
        faulted.len()
    );
    assert_eq!(
        requests.len(),
        40 + faulted.len(),
        "one extra request per fault, no more"
    );
}

#[tokio::test]
async fn a_post_is_repeated_only_when_it_cannot_have_been_applied() {
    let faults = Faults::seeded(1)
        .on_request(1, Fault::BadGateway)
        .on_request(2, Fault::Drop)
        .on_request(3, Fault::TooManyRequests(Some(RetryAfter::Seconds(0))))
        .on_request(6, Fault::ServiceUnavailable);
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    let client = sandbox
        .client_builder()
        .retry_policy(patient())
        .build()
        .unwrap();
    let create = || client.create_company().body_map(|b| b.name("Once"));

    let error = create().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502), "{error}");
    let error = create().send().await.unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::Transport,
        "a dropped POST is not resent: {error}"
    );
    // Request 3 is throttled (not applied), so it is sent again as request 4 and succeeds.
    create().send().await.expect("a throttled POST is retried");
    // Request 5 lists; 6 is a GET answered 503 and retried as 7.
    assert_eq!(client.list_companies().send().await.unwrap().len(), 1);
    assert_eq!(client.list_companies().send().await.unwrap().len(), 1);

    let trail: Vec<(String, Option<u16>)> = sandbox
        .requests()
        .into_iter()
        .map(|r| (r.method, r.status))
        .collect();
    let expected = [
        ("POST", Some(502)),
        ("POST", None),
        ("POST", Some(429)),
        ("POST", Some(201)),
        ("GET", Some(200)),
        ("GET", Some(503)),
        ("GET", Some(200)),
    ];
    assert_eq!(
        trail,
        expected.map(|(m, s)| (m.to_owned(), s)).to_vec(),
        "the 502 and the dropped POST were each sent once"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let faults = Faults::seeded(1)
        .on_request(1, Fault::TooManyRequests(Some(RetryAfter::Seconds(1))))
        .on_request(
            3,
            Fault::TooManyRequests(Some(RetryAfter::Date(Duration::from_secs(2)))),
        );
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    let client = sandbox
        .client_builder()
        .retry_policy(patient())
        .build()
        .unwrap();
    let started = Instant::now();
    client.ping().send().await.expect("answered after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    client.ping().send().await.expect("answered after the wait");
    // An HTTP date has whole seconds, so the wait is between 1 and 2 s.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_stop_at_the_attempt_cap_and_report_the_last_answer() {
    let faults = Faults::seeded(1).rate(1.0, [Fault::ServiceUnavailable]);
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    let policy = RetryPolicy {
        max_attempts: 3,
        ..patient()
    };
    let client = sandbox
        .client_builder()
        .retry_policy(policy)
        .build()
        .unwrap();
    let error = client.ping().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        error.detail(),
        Some("Service temporarily unavailable, try again later.")
    );
    assert!(error.is_retryable());
    assert_eq!(sandbox.requests().len(), 3);
}

#[tokio::test]
async fn the_attempt_timeout_cuts_a_slow_answer() {
    let faults = Faults::seeded(1).on_request(1, Fault::Delay(Duration::from_secs(3)));
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    let client = sandbox
        .client_builder()
        .attempt_timeout(Duration::from_millis(200))
        .retry_policy(patient())
        .build()
        .unwrap();
    let started = Instant::now();
    // The slow first attempt times out; the GET is retried and the second attempt is fast.
    client.ping().send().await.expect("the retry succeeds");
    assert!(started.elapsed() < Duration::from_secs(3));

    let faults = Faults::seeded(1).on_request(1, Fault::Delay(Duration::from_secs(3)));
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    let client = sandbox
        .client_builder()
        .attempt_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.ping().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert_eq!(error.operation(), Some("ping"));
    assert!(
        error
            .to_string()
            .starts_with("ping (GET /ping): the request timed out"),
        "{error}"
    );
}

#[tokio::test]
async fn a_trailing_slash_in_the_base_url_gives_no_double_slash() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox
        .client_builder()
        .base_url(format!("{}/", sandbox.base_url()))
        .build()
        .unwrap();
    client.list_companies().send().await.expect("listed");
    let paths: Vec<String> = sandbox.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v2.2/company"]);
}

#[tokio::test]
async fn errors_tell_what_to_do_and_never_show_the_key() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client_with_key("not-the-real-key");
    let error = client.list_companies().send().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("401") && text.contains("check the API key"),
        "{text}"
    );
    assert!(
        !text.contains("not-the-real-key") && !format!("{error:?}").contains("not-the-real-key")
    );
    assert!(!format!("{client:?}").contains("not-the-real-key"));
    println!("Debug of a client built with a key: {client:?}");
}

#[tokio::test]
async fn concurrent_pages_arrive_in_order_with_filters_kept() {
    let sandbox = Sandbox::builder()
        .seed_company("Ordered", 3, 5_000)
        .start()
        .await
        .unwrap();
    let seeded = &sandbox.seeded()[0];
    let client = sandbox.client();
    let request = || {
        client
            .list_company_connections()
            .company_id(seeded.company_id)
            .sites(vec![seeded.site_ids[1]])
            .limit(100_u32)
    };
    let sequential: Vec<Uuid> = request()
        .pager()
        .concurrency(1)
        .items()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    let concurrent: Vec<Uuid> = request()
        .pager()
        .concurrency(8)
        .items()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        sequential.len(),
        1_667,
        "every third connection is on site 1"
    );
    assert_eq!(concurrent, sequential, "same items, same order");
    // Every page request carried the filter.
    let pages = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v2.2/connection/company/"))
        .count();
    assert_eq!(pages, 2 * 17);
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_with_its_error() {
    // Pages are requests 1, 2, 3...; the third fails and is not retried.
    let faults = Faults::seeded(1).on_request(3, Fault::ServiceUnavailable);
    let sandbox = Sandbox::builder()
        .faults(faults)
        .seed_company("Broken", 1, 1_000)
        .start()
        .await
        .unwrap();
    let client = sandbox
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let pages: Vec<Result<u64, nectar_api::Error>> = client
        .list_company_connections()
        .company_id(sandbox.seeded()[0].company_id)
        .limit(100_u32)
        .pager()
        .concurrency(1)
        .pages()
        .map_ok(|page| page.current_page)
        .collect()
        .await;
    assert_eq!(pages.len(), 3, "two pages, then the error, then nothing");
    assert_eq!(pages[0].as_ref().ok(), Some(&1));
    assert_eq!(pages[1].as_ref().ok(), Some(&2));
    let error = pages[2].as_ref().unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

/// A fake list endpoint whose pages are built by `answer(requested_page)`.
async fn fake_server(
    answer: fn(u64) -> Value,
) -> (String, Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    let router = Router::new().route(
        "/v2.2/connection/company/{company_id}",
        get(move |RawQuery(query): RawQuery| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
            let page = pairs
                .iter()
                .find(|(k, _)| k == "page")
                .and_then(|(_, p)| p.parse().ok())
                .unwrap_or(1);
            async move { Json(answer(page)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2.2", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url, hits, task)
}

fn page_json(current: u64, total_pages: u64, has_next: bool, items: usize) -> Value {
    let connection = |n: usize| {
        json!({"id": Uuid::from_u128(n as u128), "created": "2024-01-01T00:00:00Z",
               "publicCompanyId": "p", "statusLastUpdateTime": null, "statusFirstSeenTime": null,
               "statusErrorDetail": null})
    };
    json!({"totalConnections": total_pages * 2, "perPage": 2, "totalPages": total_pages,
           "currentPage": current, "hasNext": has_next, "hasPrevious": current > 1,
           "connections": (0..items).map(|i| connection(current as usize * 10 + i)).collect::<Vec<_>>()})
}

async fn pages_from(url: &str, concurrency: usize) -> Vec<Result<u64, ErrorKind>> {
    let client = Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .unwrap();
    client
        .list_company_connections()
        .company_id(Uuid::nil())
        .pager()
        .concurrency(concurrency)
        .pages()
        .map(|page| page.map(|p| p.current_page).map_err(|e| e.kind()))
        .collect()
        .await
}

#[tokio::test]
async fn the_pager_refuses_a_server_that_repeats_a_page() {
    // Ignores `page`: always answers page 1 of 3.
    let (url, _, _task) = fake_server(|_| page_json(1, 3, true, 2)).await;
    for concurrency in [1, 4] {
        let pages = pages_from(&url, concurrency).await;
        assert_eq!(
            pages,
            [Ok(1), Err(ErrorKind::Pagination)],
            "concurrency {concurrency}"
        );
    }
}

#[tokio::test]
async fn the_pager_stops_at_an_empty_page_and_at_total_pages() {
    // Claims 5 pages (10 items), but page 2 is empty: the list ends there, and the items it
    // claimed and did not give are reported after the pages, in order and unordered alike.
    let (url, hits, _task) =
        fake_server(|page| page_json(page, 5, true, if page == 1 { 2 } else { 0 })).await;
    assert_eq!(
        pages_from(&url, 1).await,
        [Ok(1), Err(ErrorKind::Pagination)]
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    let client = Client::builder()
        .api_key("k")
        .base_url(&url)
        .build()
        .unwrap();
    let unordered: Vec<_> = client
        .list_company_connections()
        .company_id(Uuid::nil())
        .pager()
        .unordered()
        .pages()
        .map(|page| page.map(|p| p.current_page).map_err(|e| e.kind()))
        .collect()
        .await;
    assert_eq!(unordered, [Ok(1), Err(ErrorKind::Pagination)]);

    // Page 2 says it is the last, with the totals of page 1: the same.
    let (url, _, _task) = fake_server(|page| page_json(page, 5, page < 2, 2)).await;
    assert_eq!(
        pages_from(&url, 4).await,
        [Ok(1), Ok(2), Err(ErrorKind::Pagination)]
    );

    // Says hasNext forever, but totalPages is 2.
    let (url, hits, _task) = fake_server(|page| page_json(page, 2, true, 2)).await;
    assert_eq!(pages_from(&url, 4).await, [Ok(1), Ok(2)]);
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "no request past totalPages"
    );
}

#[tokio::test]
async fn the_waiter_returns_once_the_connection_leaves_pending() {
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let (_, _, created) = flows::sandbox_connection(&client, 1, SANDBOX_PASSWORD)
        .await
        .expect("a sandbox connection");

    let settled = client
        .wait_for_connection(created.id)
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .await
        .expect("settles");
    let status = settled.status.expect("a status");
    assert_eq!(status, ConnectionStatus::Connected);
    assert_eq!(status.category(), ConnectionCategory::Healthy);

    // Waiting for a category it never reaches ends at the deadline, saying where it stands.
    let error = client
        .wait_for_connection(created.id)
        .until_category(ConnectionCategory::CredentialError)
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_millis(150))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.to_string().contains("still CONNECTED"), "{error}");
    assert!(
        error
            .to_string()
            .contains("the waiter's timeout of 0.15 s (set by Waiter::timeout)"),
        "{error}"
    );
}

#[tokio::test]
async fn one_client_and_its_clones_keep_to_one_limit_on_requests_in_flight() {
    // The emulator throttles whatever arrives above 3 concurrent requests; two pagers asking
    // for 10 pages at a time on clones of a client limited to 3 are never throttled.
    let sandbox = Sandbox::builder()
        .faults(
            Faults::seeded(1)
                .latency(Duration::from_millis(20))
                .throttle_above(3, 1),
        )
        .seed_usage("Polite", 300, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox
        .client_builder()
        .max_concurrency(3)
        .adaptive_concurrency(false)
        .build()
        .unwrap();
    let other = client.clone();
    let pull = |client: Client| async move {
        client
            .list_company_usage()
            .company_id(company)
            .pager()
            .concurrency(10)
            .items()
            .try_fold(0_usize, |n, _| async move { Ok(n + 1) })
            .await
            .unwrap()
    };
    let (a, b) = tokio::join!(pull(client), pull(other));
    assert_eq!((a, b), (3000, 3000));
    let throttled = sandbox
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(throttled, 0, "never more than 3 in flight");
}

#[tokio::test]
async fn under_throttling_the_adaptive_limit_backs_off_and_nothing_is_lost() {
    // The same throttling server twice: the adaptive client (the default) against a fixed
    // limit of 10. Both get every row once; the adaptive one draws fewer 429s.
    let mut throttled = Vec::new();
    for adaptive in [true, false] {
        let sandbox = Sandbox::builder()
            .faults(
                Faults::seeded(1)
                    .latency(Duration::from_millis(10))
                    .throttle_above(5, 1),
            )
            .seed_usage("Throttled", 300, 10)
            .start()
            .await
            .unwrap();
        let company = sandbox.seeded_data()[0].company_id;
        let client = sandbox
            .client_builder()
            .adaptive_concurrency(adaptive)
            .retry_policy(RetryPolicy {
                max_attempts: 20,
                ..patient()
            })
            .build()
            .unwrap();
        assert_eq!(
            client.concurrency_limit(),
            if adaptive { 5 } else { 10 },
            "adaptive starts at half the maximum"
        );
        let ids: Vec<String> = client
            .list_company_usage()
            .company_id(company)
            .items()
            .map_ok(|row| row.id)
            .try_collect()
            .await
            .expect("every page arrives");
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), 3000);
        assert_eq!(unique.len(), 3000, "nothing duplicated");
        let count = sandbox
            .requests()
            .iter()
            .filter(|r| r.status == Some(429))
            .count();
        println!(
            "adaptive {adaptive}: {} requests, {count} answered 429, limit now {}",
            sandbox.requests().len(),
            client.concurrency_limit()
        );
        throttled.push(count);
    }
    assert!(
        throttled[1] > 0,
        "the emulator did throttle the fixed limit"
    );
    assert!(
        throttled[0] < throttled[1],
        "the adaptive limit draws fewer 429s than a fixed one: {throttled:?}"
    );
}

/// The README's headline does what its comment says: "every connection that needs the end user"
/// is every connection in one of the four credential errors of Nectar's status guide, found over
/// all pages, not the connections of one status.
#[tokio::test]
async fn every_connection_that_needs_the_end_user_is_found_as_the_readme_shows() {
    let sandbox = Sandbox::builder()
        .seed_company("Big Co", 3, 400)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox.client();
    let needs_user: Vec<nectar_api::types::Connection> = client
        .list_company_connections()
        .company_id(company)
        .limit(50u32)
        .items()
        .try_filter(|c| {
            std::future::ready(
                c.status
                    .as_ref()
                    .is_some_and(ConnectionStatus::requires_user_action),
            )
        })
        .try_collect()
        .await
        .unwrap();
    let found: HashSet<String> = needs_user
        .iter()
        .filter_map(|c| c.status.as_ref().map(ToString::to_string))
        .collect();
    let credential_errors: HashSet<String> = [
        "PASSWORD_INCORRECT",
        "NEW_PASSWORD_NEEDED",
        "MFA_TOKEN_EXPIRED",
        "ADDITIONAL_CREDENTIALS_NEEDED",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(found, credential_errors);
    // Seeded connection i has status KNOWN[i % 12], so the credential errors are spread evenly.
    let expected = (0..400)
        .filter(|i| {
            ConnectionStatus::KNOWN[i % ConnectionStatus::KNOWN.len()].requires_user_action()
        })
        .count();
    assert_eq!(needs_user.len(), expected);
    assert!(expected > 130, "{expected} of 400");

    // Filtering one status finds only a quarter of them.
    let one_status = client
        .list_company_connections()
        .company_id(company)
        .status(ConnectionStatus::PasswordIncorrect)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert!(
        one_status.len() < needs_user.len() / 3,
        "{}",
        one_status.len()
    );
}

/// `Client::with_options` overrides the retry policy, the timeouts and the size limit for the
/// calls made through it, its pagers included, and leaves the original client as it was.
#[tokio::test]
async fn per_request_options_apply_to_their_calls_only() {
    use nectar_api::RequestOptions;

    let faults = Faults::seeded(3).on_request(1, Fault::ServiceUnavailable);
    let sandbox = Sandbox::builder()
        .faults(faults)
        .seed_company("Options", 1, 60)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox
        .client_builder()
        .retry_policy(patient())
        .build()
        .unwrap();

    // Retry policy: the first request is answered 503; without retries that is the answer.
    let once = client
        .with_options(RequestOptions::new().retry_policy(RetryPolicy::none()))
        .unwrap();
    let error = once.list_companies().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error}");
    assert_eq!(client.list_companies().send().await.unwrap().len(), 1);

    // Size limit, through a pager: 60 connections in pages of 20 (about 17 KiB each).
    let small = client
        .with_options(RequestOptions::new().max_response_size(4 * 1024))
        .unwrap();
    let error = small
        .list_company_connections()
        .company_id(company)
        .limit(20)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
    assert_eq!(error.limit(), Some(4 * 1024));
    let all: Vec<_> = client
        .list_company_connections()
        .company_id(company)
        .limit(20)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 60, "the original client keeps its own limit");

    // Zero is refused, naming the setting.
    let error = client
        .with_options(RequestOptions::new().total_timeout(Duration::ZERO))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("total timeout"), "{error}");
}

/// An attempt timeout set for some calls times them out; the client's own calls still wait.
#[tokio::test]
async fn a_per_request_attempt_timeout_applies_to_its_calls_only() {
    use nectar_api::RequestOptions;

    let sandbox = Sandbox::builder()
        .faults(Faults::seeded(4).latency(Duration::from_millis(300)))
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let hasty = client
        .with_options(
            RequestOptions::new()
                .attempt_timeout(Duration::from_millis(50))
                .retry_policy(RetryPolicy::none()),
        )
        .unwrap();
    let error = hasty.list_companies().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    client
        .list_companies()
        .send()
        .await
        .expect("300 ms is within the client's own attempt timeout");
}
