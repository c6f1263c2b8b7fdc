//! The data half of the API end to end, through the typed client against the emulator: a sandbox
//! connection with three sites connects and produces accounts, meters and monthly bills; every
//! filter of every document and usage list behaves as documented; accounts can be untracked,
//! with their meters or without; other companies' objects are 403, unknown ones 404.

use std::time::Duration;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use futures_util::TryStreamExt;
use nectar_api::{
    Client, Paginate,
    types::{DatasourceType, DateType, Document, TrackingStatus, UsageData},
};
use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, SandboxBuilder, flows};
use uuid::Uuid;

/// The sandbox data of one connected connection with three sites: account `i` (on site `i`) has
/// meters of `KINDS[i]`; one bill a month per account from the company's default start (1
/// January of last year, by the emulator's clock) to the last month whose bill is issued (three
/// days after the month ends, at 12:00 UTC); bill `n` of an account is soft-deleted when
/// `n % 12 == 11`, and updated when the connection connected when `n % 5 == 4`.
const KINDS: [&[DatasourceType]; 3] = [
    &[DatasourceType::Electricity],
    &[DatasourceType::Electricity, DatasourceType::Gas],
    &[DatasourceType::Gas, DatasourceType::Solar],
];

struct World {
    _sandbox: Sandbox,
    client: Client,
    company: Uuid,
    sites: Vec<Uuid>,
    connection: Uuid,
    /// The bill months (first days), oldest first.
    months: Vec<NaiveDate>,
    /// The UTC day the connection connected, by the emulator's clock.
    connected_on: NaiveDate,
}

/// When the sandbox provider issues the bill of a month ending on `last` (the documented rule of
/// `nectar_sandbox::issued_at`, written out again so the test checks it).
fn issued(last: NaiveDate) -> DateTime<Utc> {
    (last + Days::new(3))
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
}

impl World {
    /// A world on the emulator's default clock (the wall clock's time at start).
    async fn new() -> World {
        World::start(Sandbox::builder()).await
    }

    /// A world whose emulator clock starts at `now` (RFC 3339).
    async fn at(now: &str) -> World {
        let now = DateTime::parse_from_rfc3339(now).unwrap().to_utc();
        World::start(Sandbox::builder().now(now)).await
    }

    async fn start(builder: SandboxBuilder) -> World {
        let sandbox = builder
            .validation_delay(Duration::from_millis(20))
            .start()
            .await
            .unwrap();
        let client = sandbox.client();
        let (company, sites, connection) = flows::sandbox_connection(&client, 3, SANDBOX_PASSWORD)
            .await
            .unwrap();
        let connected = client
            .wait_for_connection(connection.id)
            .interval(Duration::from_millis(50))
            .timeout(Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(connected.accounts.len(), 3);
        // Expectations come from the emulator's clock: when it says the connection connected,
        // and the start date it gave the company.
        let connected_at = *connected.updated.unwrap().as_datetime();
        assert!(connected_at <= sandbox.now());
        let start = client
            .get_company()
            .company_id(company)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data_collection_start_date
            .unwrap();
        let mut months = Vec::new();
        let mut month = start;
        while let Some(next) = month.checked_add_months(Months::new(1)) {
            if issued(next.pred_opt().unwrap()) > connected_at {
                break;
            }
            months.push(month);
            month = next;
        }
        World {
            _sandbox: sandbox,
            client,
            company,
            sites,
            connection: connection.id,
            months,
            connected_on: connected_at.date_naive(),
        }
    }

    /// Bills per account that are not deleted.
    fn live(&self) -> usize {
        (0..self.months.len()).filter(|n| n % 12 != 11).count()
    }

    /// Live bills of the accounts whose kinds `keep` accepts.
    fn live_of(&self, keep: impl Fn(&[DatasourceType]) -> bool) -> usize {
        KINDS.iter().filter(|kinds| keep(kinds)).count() * self.live()
    }

    fn bill_date(&self, n: usize) -> NaiveDate {
        self.months[n]
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap()
    }
}

async fn documents(request: nectar_api::builder::ListCompanyDocuments<'_>) -> Vec<Document> {
    request.items().try_collect().await.unwrap()
}

async fn usage(request: nectar_api::builder::ListCompanyUsage<'_>) -> Vec<UsageData> {
    request.items().try_collect().await.unwrap()
}

#[tokio::test]
async fn document_lists_filter_as_documented() {
    document_filters(World::new().await).await;
}

/// The same on the dates where a clock-dependent emulator or test goes wrong: the 1st of a
/// month just after midnight (last month's bills not issued yet), the 3rd just before and after
/// noon, a leap day and New Year's Eve seconds before midnight, and 1 January (11 months of
/// bills since the default start).
#[tokio::test]
async fn document_lists_filter_as_documented_on_every_kind_of_date() {
    for now in [
        "2026-12-01T00:30:00Z",
        "2026-12-03T11:59:00Z",
        "2026-12-03T12:00:30Z",
        "2028-02-29T23:59:40Z",
        "2026-12-31T23:59:40Z",
        "2027-01-02T08:00:00Z",
    ] {
        let w = World::at(now).await;
        let last_bill = w.months.last().copied().unwrap();
        let expected_last = match now {
            "2026-12-01T00:30:00Z" | "2026-12-03T11:59:00Z" => "2026-10-01",
            "2026-12-03T12:00:30Z" | "2026-12-31T23:59:40Z" => "2026-11-01",
            "2028-02-29T23:59:40Z" => "2028-01-01",
            _ => "2026-11-01",
        };
        assert_eq!(
            last_bill.to_string(),
            expected_last,
            "last bill month at {now}"
        );
        document_filters(w).await;
    }
}

async fn document_filters(w: World) {
    let list = || w.client.list_company_documents().company_id(w.company);
    let count = |docs: Vec<Document>| docs.len();
    let live = w.live();
    // From 1 January of last year: 11 months until December's bill is issued on 3 January.
    assert!(w.months.len() >= 11, "{} months of bills", w.months.len());

    // No filter: every live bill; isDeleted=true adds the soft-deleted ones.
    let all = documents(list()).await;
    assert_eq!(all.len(), 3 * live);
    assert_eq!(
        count(documents(list().is_deleted(true)).await),
        3 * w.months.len()
    );
    let first = list().send().await.unwrap().into_inner();
    assert_eq!(first.total_documents as usize, 3 * live);
    assert_eq!(first.per_page, 100);

    // datasourceType, one and several (repeated key).
    let has = |kind: DatasourceType| move |kinds: &[DatasourceType]| kinds.contains(&kind);
    assert_eq!(
        count(documents(list().datasource_type(vec![DatasourceType::Solar])).await),
        w.live_of(has(DatasourceType::Solar))
    );
    assert_eq!(
        count(documents(list().datasource_type(vec![DatasourceType::Gas])).await),
        w.live_of(has(DatasourceType::Gas))
    );
    assert_eq!(
        count(
            documents(
                list().datasource_type(vec![DatasourceType::Electricity, DatasourceType::Solar])
            )
            .await
        ),
        3 * live
    );
    assert_eq!(
        count(documents(list().datasource_type(vec![DatasourceType::Water])).await),
        0,
        "an empty result"
    );

    // dateType: BILL_DATE (the default) is inclusive on both ends; the bill date is the last day
    // of the period.
    let march = w.bill_date(2);
    let day_before = march.pred_opt().unwrap();
    assert_eq!(
        count(documents(list().start_date(march).end_date(march)).await),
        3
    );
    assert_eq!(
        count(
            documents(
                list()
                    .date_type(DateType::BillDate)
                    .start_date(w.months[2])
                    .end_date(day_before)
            )
            .await
        ),
        0
    );
    // USAGE_PERIOD: periods overlapping the range.
    let mid_march = w.months[2].checked_add_days(Days::new(14)).unwrap();
    assert_eq!(
        count(
            documents(
                list()
                    .date_type(DateType::UsagePeriod)
                    .start_date(mid_march)
                    .end_date(mid_march)
            )
            .await
        ),
        3
    );
    assert_eq!(
        count(
            documents(
                list()
                    .date_type(DateType::UsagePeriod)
                    .start_date(march)
                    .end_date(march.succ_opt().unwrap())
            )
            .await
        ),
        6,
        "a range across two periods overlaps both"
    );
    // CREATED_DATE: the UTC day a bill was created (three days after its bill date).
    let created = march.checked_add_days(Days::new(3)).unwrap();
    assert_eq!(
        count(
            documents(
                list()
                    .date_type(DateType::CreatedDate)
                    .start_date(created)
                    .end_date(created)
            )
            .await
        ),
        3
    );
    // UPDATED_DATE: every fifth bill changed the day the connection connected, and a bill
    // issued that day was last updated then too.
    let today = w.connected_on;
    let updated_today = (0..w.months.len())
        .filter(|&n| n % 12 != 11 && (n % 5 == 4 || issued(w.bill_date(n)).date_naive() == today))
        .count();
    assert_eq!(
        count(
            documents(
                list()
                    .date_type(DateType::UpdatedDate)
                    .start_date(today)
                    .end_date(today)
            )
            .await
        ),
        3 * updated_today
    );

    // identifier: normalised (dashes, spaces, leading zeros, case).
    let meter = w
        .client
        .get_meter()
        .meter_id(
            all[0].usage_data[0]
                .meter
                .as_deref()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let account_number = meter
        .identifiers
        .iter()
        .find(|i| i.name.as_str() == "ACCOUNT")
        .unwrap()
        .value
        .clone();
    assert!(account_number.contains('-'), "{account_number}");
    let bare = account_number.replace('-', "");
    for spelling in [
        account_number.clone(),
        bare.clone(),
        bare.trim_start_matches('0').to_owned(),
        format!(" {} ", account_number.replace('-', " ")),
    ] {
        assert_eq!(
            count(documents(list().identifier(spelling.as_str())).await),
            live,
            "{spelling:?} finds the account's bills"
        );
    }
    assert_eq!(count(documents(list().identifier("NOPE-1")).await), 0);

    // A page past the end answers the last page.
    let past = list().page(99_u32).send().await.unwrap().into_inner();
    assert_eq!(past.current_page, past.total_pages);

    // By site and by connection; one document with its line items adding up.
    let by_site: Vec<Document> = w
        .client
        .list_site_documents()
        .site_id(w.sites[1])
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_site.len(), live);
    let by_connection: Vec<Document> = w
        .client
        .list_connection_documents()
        .connection_id(w.connection)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_connection.len(), 3 * live);
    let one = w
        .client
        .get_document()
        .document_id(by_site[0].id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one, by_site[0]);
    let lines: rust_decimal::Decimal = one
        .line_items
        .iter()
        .map(|l| l.total_charge.as_ref().unwrap().to_decimal().unwrap())
        .sum();
    assert_eq!(
        lines,
        one.total_charges.as_ref().unwrap().to_decimal().unwrap(),
        "exact decimals: line items add up to the total"
    );
    assert_eq!(one.usage_data.len(), 2, "site 1's account has two meters");
}

#[tokio::test]
async fn usage_lists_filter_as_documented() {
    let w = World::new().await;
    let list = || w.client.list_company_usage().company_id(w.company);
    let live = w.live();
    let meters: usize = KINDS.iter().map(|k| k.len()).sum();

    let all = usage(list()).await;
    assert_eq!(all.len(), meters * live, "a row per meter per live bill");
    let ids: std::collections::HashSet<&str> = all.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no row listed twice");
    assert_eq!(
        usage(list().datasource_type(vec![DatasourceType::Gas]))
            .await
            .len(),
        2 * live
    );
    assert_eq!(
        usage(list().datasource_type(vec![DatasourceType::Gas, DatasourceType::Solar]))
            .await
            .len(),
        3 * live
    );
    // The default dateType is BILL_DATE (the choice recorded in the spec).
    let march = w.bill_date(2);
    let rows = usage(list().start_date(march).end_date(march)).await;
    assert_eq!(rows.len(), meters);
    assert!(rows.iter().all(|r| r.end_date == march));
    // USAGE_PERIOD overlaps; decimals are exact text.
    let rows = usage(
        list()
            .date_type(DateType::UsagePeriod)
            .start_date(w.months[2])
            .end_date(w.months[2]),
    )
    .await;
    assert_eq!(rows.len(), meters);
    for row in &rows {
        let value = row.usage.as_ref().unwrap();
        assert!(value.to_decimal().unwrap() > rust_decimal::Decimal::ZERO);
        assert_eq!(value.as_str().split('.').nth(1).map(str::len), Some(3));
        let units = row.usage_units.as_ref().unwrap().as_str();
        let expected = if row.datasource_type == DatasourceType::Gas {
            "J"
        } else {
            "Wh"
        };
        assert_eq!(units, expected);
        assert!(!row.usage_units.as_ref().unwrap().is_unknown());
    }

    // By site, connection and document; one row by id.
    let by_site: Vec<UsageData> = w
        .client
        .list_site_usage()
        .site_id(w.sites[2])
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_site.len(), 2 * live);
    let by_connection: Vec<UsageData> = w
        .client
        .list_connection_usage()
        .connection_id(w.connection)
        .datasource_type(vec![DatasourceType::Electricity])
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_connection.len(), 2 * live);
    let document = by_site[0].document.as_ref().unwrap().id;
    let of_document: Vec<UsageData> = w
        .client
        .list_document_usage()
        .document_id(document)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(of_document.len(), 2);
    let one = w
        .client
        .get_usage_data()
        .usage_data_id(of_document[0].id.as_str())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one, of_document[0]);
    assert_eq!(one.site.as_ref().map(|s| s.id), Some(w.sites[2]));

    // identifier on usage: the meter's serial, written without its dashes and zeros.
    let serial = one
        .identifiers
        .as_ref()
        .unwrap()
        .iter()
        .find(|i| i.name.as_str() == "METER")
        .unwrap()
        .value
        .clone();
    let rows = usage(list().identifier(serial.replace('-', "").trim_start_matches('0'))).await;
    assert_eq!(rows.len(), live, "one meter's rows");
}

#[tokio::test]
async fn untracking_an_account_moves_its_meters_unless_told_not_to() {
    let w = World::new().await;
    let connection = w
        .client
        .get_connection()
        .connection_id(w.connection)
        .send()
        .await
        .unwrap()
        .into_inner();
    let meter_tracked = |id: Uuid| {
        let client = &w.client;
        async move {
            client
                .get_meter()
                .meter_id(id)
                .send()
                .await
                .unwrap()
                .into_inner()
                .is_tracked
        }
    };
    let first = &connection.accounts[0];
    let account = w
        .client
        .update_account()
        .account_id(first.id.to_string())
        .body_map(|b| b.is_tracked(false))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!account.is_tracked);
    assert_eq!(account.tracking_status, Some(TrackingStatus::Disabled));
    assert_eq!(
        account.status.as_ref().map(|s| s.as_str()),
        Some("CUSTOMER_NOT_TRACKED")
    );
    assert_eq!(meter_tracked(first.meters[0]).await, Some(false));

    let second = &connection.accounts[1];
    w.client
        .update_account()
        .account_id(second.id.to_string())
        .body_map(|b| b.is_tracked(false).update_meters(Some(false)))
        .send()
        .await
        .unwrap();
    for meter in &second.meters {
        assert_eq!(
            meter_tracked(*meter).await,
            Some(true),
            "updateMeters=false"
        );
    }

    let again = w
        .client
        .update_account()
        .account_id(first.id.to_string())
        .body_map(|b| b.is_tracked(true))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.tracking_status, Some(TrackingStatus::Enabled));
    assert_eq!(meter_tracked(first.meters[0]).await, Some(true));

    let error = w
        .client
        .update_account()
        .account_id("no-such-account")
        .body_map(|b| b.is_tracked(true))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error}");
}

#[tokio::test]
async fn other_companies_data_is_forbidden_and_unknown_ids_are_not_found() {
    // Two users; the second has no access to the first one's company.
    let sandbox = Sandbox::builder()
        .user("owner-key", "owner@example.com")
        .user("stranger-key", "stranger@example.com")
        .validation_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let owner = sandbox
        .client_builder()
        .api_key("owner-key")
        .build()
        .unwrap();
    let (company, _, connection) = flows::sandbox_connection(&owner, 1, SANDBOX_PASSWORD)
        .await
        .unwrap();
    owner
        .wait_for_connection(connection.id)
        .interval(Duration::from_millis(50))
        .await
        .unwrap();
    let theirs = documents(owner.list_company_documents().company_id(company)).await;
    let outsider = sandbox
        .client_builder()
        .api_key("stranger-key")
        .build()
        .unwrap();
    let status = |e: nectar_api::Error| e.status().map(|s| s.as_u16());
    assert_eq!(
        status(
            outsider
                .list_company_documents()
                .company_id(company)
                .send()
                .await
                .unwrap_err()
        ),
        Some(403)
    );
    assert_eq!(
        status(
            outsider
                .get_document()
                .document_id(theirs[0].id)
                .send()
                .await
                .unwrap_err()
        ),
        Some(403)
    );
    assert_eq!(
        status(
            outsider
                .list_company_usage()
                .company_id(company)
                .send()
                .await
                .unwrap_err()
        ),
        Some(403)
    );
    assert_eq!(
        status(
            owner
                .get_document()
                .document_id(Uuid::nil())
                .send()
                .await
                .unwrap_err()
        ),
        Some(404)
    );
    assert_eq!(
        status(
            owner
                .get_usage_data()
                .usage_data_id("nope")
                .send()
                .await
                .unwrap_err()
        ),
        Some(404)
    );
    assert!(
        owner
            .get_document()
            .document_id(theirs[0].id)
            .send()
            .await
            .is_ok()
    );
}
