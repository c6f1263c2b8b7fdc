//! The emulator's lists through the typed client: every connection paged once in a stable order,
//! filters on pages and totals, and 100,000 seeded connections paged to the end.

use std::collections::HashSet;

use nectar_api::types::ConnectionStatus;
use nectar_sandbox::Sandbox;

use super::sandbox::{api_error, quick_sandbox};

#[tokio::test]
async fn pages_cover_every_connection_once_in_a_stable_order() {
    let sandbox = Sandbox::builder()
        .seed_company("Big", 3, 1_234)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded()[0].company_id;
    let client = sandbox.client();

    let walk = || async {
        let mut ids = Vec::new();
        let mut page = 1_u32;
        loop {
            let body = client
                .list_company_connections()
                .company_id(company)
                .limit(100_u32)
                .page(page)
                .send()
                .await
                .expect("page")
                .into_inner();
            assert_eq!(body.total_connections, 1_234);
            assert_eq!(body.total_pages, 13);
            assert_eq!(body.per_page, 100);
            assert_eq!(body.current_page, u64::from(page));
            assert_eq!(body.has_previous, page > 1);
            ids.extend(body.connections.iter().map(|c| c.id));
            if !body.has_next {
                assert_eq!(body.connections.len(), 34);
                break;
            }
            page += 1;
        }
        ids
    };
    let first = walk().await;
    assert_eq!(first.len(), 1_234);
    assert_eq!(
        first.iter().collect::<HashSet<_>>().len(),
        1_234,
        "no duplicates"
    );
    assert_eq!(walk().await, first, "the order is stable");

    // A page past the end is answered with the last page, as Nectar does.
    let past = client
        .list_company_connections()
        .company_id(company)
        .limit(100_u32)
        .page(99_u32)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (past.current_page, past.has_next, past.connections.len()),
        (13, false, 34)
    );
    // The default page size is 100.
    let default = client
        .list_company_connections()
        .company_id(company)
        .send()
        .await
        .unwrap();
    assert_eq!((default.per_page, default.connections.len()), (100, 100));
}

#[tokio::test]
async fn filters_apply_to_pages_and_totals() {
    let sandbox = Sandbox::builder()
        .seed_company("Filtered", 3, 1_200)
        .start()
        .await
        .unwrap();
    let seeded = &sandbox.seeded()[0];
    let client = sandbox.client();
    let list = || {
        client
            .list_company_connections()
            .company_id(seeded.company_id)
            .limit(500_u32)
    };

    // Connection i has status KNOWN[i % 12], site i % 3, owner owner{i % 10}.
    let connected = list()
        .status(ConnectionStatus::Connected)
        .send()
        .await
        .unwrap();
    assert_eq!(connected.total_connections, 100);
    assert!(
        connected
            .connections
            .iter()
            .all(|c| c.status == Some(ConnectionStatus::Connected))
    );

    let two_sites = list()
        .sites(vec![seeded.site_ids[0], seeded.site_ids[2]])
        .send()
        .await
        .unwrap();
    assert_eq!(
        two_sites.total_connections, 800,
        "sites=a&sites=b matches either"
    );
    assert_eq!(two_sites.total_pages, 2);

    let owner = list()
        .connection_owner_email("owner3@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(owner.total_connections, 120);

    let combined = list()
        .status(ConnectionStatus::Pending)
        .sites(vec![seeded.site_ids[0]])
        .send()
        .await
        .unwrap();
    // i % 12 == 0 implies i % 3 == 0: every PENDING connection is on site 0.
    assert_eq!(combined.total_connections, 100);

    let none = list()
        .status(ConnectionStatus::Unknown("SUSPENDED".into()))
        .send()
        .await;
    let (status, _) = api_error(none.unwrap_err());
    assert_eq!(
        status, 400,
        "an unknown status is sent as is and refused by the server"
    );
}

#[tokio::test]
async fn one_hundred_thousand_seeded_connections_page_to_the_end() {
    let sandbox = quick_sandbox().await;
    let seeded = sandbox.seed("Huge", 3, 100_000);
    let client = sandbox.client();
    let last = client
        .list_company_connections()
        .company_id(seeded.company_id)
        .limit(500_u32)
        .page(200_u32)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (last.total_connections, last.total_pages, last.current_page),
        (100_000, 200, 200)
    );
    assert_eq!(
        (last.has_next, last.has_previous, last.connections.len()),
        (false, true, 500)
    );
}

/// An unordered pager yields every page exactly once, whatever order they come in, a throttled
/// and a failed page included.
#[tokio::test]
async fn an_unordered_pager_yields_every_item_once() {
    use futures_util::TryStreamExt;
    use nectar_api::Paginate;
    use nectar_sandbox::{Fault, Faults, RetryAfter};

    let faults = Faults::seeded(5)
        .on_request(3, Fault::TooManyRequests(Some(RetryAfter::Seconds(0))))
        .on_request(6, Fault::ServiceUnavailable);
    let sandbox = Sandbox::builder()
        .faults(faults)
        .seed_usage("Unordered", 100, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox
        .client_builder()
        .retry_policy(nectar_api::RetryPolicy {
            max_attempts: 5,
            initial_backoff: std::time::Duration::from_millis(1),
            max_backoff: std::time::Duration::from_millis(5),
        })
        .build()
        .unwrap();
    let unordered: Vec<String> = client
        .list_company_usage()
        .company_id(company)
        .pager()
        .unordered()
        .items()
        .map_ok(|row| row.id)
        .try_collect()
        .await
        .unwrap();
    let ordered: Vec<String> = client
        .list_company_usage()
        .company_id(company)
        .items()
        .map_ok(|row| row.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ordered.len(), 1000);
    let unique: std::collections::BTreeSet<&String> = unordered.iter().collect();
    assert_eq!(
        (unordered.len(), unique.len()),
        (1000, 1000),
        "every item once"
    );
    assert_eq!(
        unique,
        ordered.iter().collect(),
        "the same items as in order"
    );
}
