//! The consumer's own test, against nectar-sandbox as a dev-dependency.

use std::time::Duration;

use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, flows};

#[tokio::test]
async fn a_wrong_password_is_found_and_a_right_one_is_not() {
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(10))
        .now("2027-03-01T00:30:00Z".parse().unwrap())
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let (company, sites, wrong) = flows::sandbox_connection(&client, 2, "not the password")
        .await
        .unwrap();
    let right = client
        .create_connection()
        .company_id(company)
        .body(flows::sandbox_body(&sites, SANDBOX_PASSWORD).unwrap())
        .send()
        .await
        .unwrap();
    for id in [wrong.id, right.id] {
        client
            .wait_for_connection(id)
            .interval(Duration::from_millis(10))
            .await
            .unwrap();
    }
    let found = nectar_consumer::needing_the_end_user(&client, company)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![wrong.id]
    );

    // The pinned clock: bills up to January 2027 (February's is issued on 3 March).
    let documents = client
        .list_company_documents()
        .company_id(company)
        .send()
        .await
        .unwrap();
    assert!(documents.total_documents > 0);
    assert_eq!(sandbox.today().to_string(), "2027-03-01");
}
