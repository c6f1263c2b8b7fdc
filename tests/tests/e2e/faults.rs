//! Fault injection as configured: the emulator's faults land on the requests named, a rate hits
//! the same requests on every run, and a bad fault plan is refused naming the setting.

use std::time::Duration;

use nectar_api::RetryPolicy;
use nectar_sandbox::{Fault, Faults, RetryAfter, Sandbox};

#[tokio::test]
async fn faults_are_injected_as_configured_and_deterministically() {
    let faults = Faults::seeded(3)
        .on_request(1, Fault::TooManyRequests(Some(RetryAfter::Seconds(7))))
        .on_request(
            2,
            Fault::TooManyRequests(Some(RetryAfter::Date(Duration::from_secs(30)))),
        )
        .on_request(3, Fault::BadGateway)
        .on_request(4, Fault::ServiceUnavailable)
        .on_request(5, Fault::Drop)
        .on_request(6, Fault::Delay(Duration::from_millis(100)));
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    // Without retries, every injected fault reaches the caller.
    let client = sandbox
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    let response = |result: Result<_, nectar_api::Error>| match result {
        Err(error) if error.kind() == nectar_api::ErrorKind::Api => error,
        other => panic!("expected an undocumented status, got {other:?}"),
    };
    let status = |error: &nectar_api::Error| error.status().map(|s| s.as_u16());
    let first = response(client.ping().send().await);
    assert_eq!(status(&first), Some(429));
    assert_eq!(first.retry_after(), Some(Duration::from_secs(7)));
    let second = response(client.ping().send().await);
    assert_eq!(status(&second), Some(429));
    // An HTTP date 30 s ahead, in whole seconds.
    let wait = second.retry_after().expect("the date is read");
    assert!(
        wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    let third = response(client.ping().send().await);
    assert_eq!(status(&third), Some(502));
    assert!(
        third.body().is_some_and(|b| b.contains("<html>")),
        "{third:?}"
    );
    assert_eq!(status(&response(client.ping().send().await)), Some(503));
    match client.ping().send().await {
        Err(error) => assert_eq!(error.kind(), nectar_api::ErrorKind::Transport, "{error}"),
        other => panic!("a dropped connection is a transport error, got {other:?}"),
    }
    let started = std::time::Instant::now();
    client
        .ping()
        .send()
        .await
        .expect("a delayed answer is still an answer");
    assert!(started.elapsed() >= Duration::from_millis(100));
    client.ping().send().await.expect("request 7 has no fault");

    let log = sandbox.requests();
    let kinds: Vec<_> = log
        .iter()
        .map(|r| (r.n, r.fault.as_ref().map(Fault::kind), r.status))
        .collect();
    assert_eq!(
        kinds,
        [
            (1, Some("429"), Some(429)),
            (2, Some("429"), Some(429)),
            (3, Some("502"), Some(502)),
            (4, Some("503"), Some(503)),
            (5, Some("drop"), None),
            (6, Some("delay"), Some(200)),
            (7, None, Some(200)),
        ]
    );
}

#[tokio::test]
async fn a_fault_rate_hits_the_same_requests_on_every_run() {
    let run = || async {
        let faults = Faults::seeded(11).rate(0.3, [Fault::ServiceUnavailable, Fault::BadGateway]);
        let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
        let client = sandbox
            .client_builder()
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        for _ in 0..50 {
            let _ = client.ping().send().await;
        }
        sandbox
            .requests()
            .into_iter()
            .map(|r| r.status)
            .collect::<Vec<_>>()
    };
    let first = run().await;
    let failed = first.iter().filter(|s| *s != &Some(200)).count();
    assert!(
        (5..=25).contains(&failed),
        "{failed} of 50 failed at rate 0.3"
    );
    assert_eq!(run().await, first);
}

#[tokio::test]
async fn bad_configuration_is_refused_with_the_setting_named() {
    let error = Sandbox::builder()
        .faults(Faults::seeded(1).rate(2.0, [Fault::Drop]))
        .start()
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("rate 2"), "{error}");
}

#[tokio::test]
async fn a_request_the_client_gave_up_on_is_logged_too() {
    // The first ping is held longer than the client waits for an attempt; it retries.
    let faults = Faults::seeded(1).on_request(1, Fault::Delay(Duration::from_secs(3)));
    let sandbox = Sandbox::builder().faults(faults).start().await.unwrap();
    let client = sandbox
        .client_builder()
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.ping().send().await.expect("the retry is answered");
    let requests = sandbox.requests();
    let pings: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/ping"))
        .collect();
    assert_eq!(pings.len(), 2, "{requests:?}");
    assert_eq!(pings[0].status, None, "given up on, never answered");
    assert_eq!(pings[1].status, Some(200));
}
