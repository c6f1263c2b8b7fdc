//! Incremental sync against the emulator with its clock pinned: bills created, revised and
//! soft-deleted between runs come once, nothing else does; a crash before storing the
//! checkpoint repeats changes but skips none; two runs on one UTC day and across midnight.

use std::{collections::BTreeMap, time::Duration};

use chrono::{TimeZone, Utc};
use nectar_api::{
    Client, ErrorKind, FilePart,
    sync::{Change, Checkpoint, SyncRun, Synced},
    types::{Document, UsageData},
};
use nectar_sandbox::{Faults, Sandbox};
use uuid::Uuid;

/// 10:00 UTC on a pinned day.
fn ten_o_clock() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

async fn setup() -> (Sandbox, Client, Uuid) {
    let sandbox = Sandbox::builder()
        .now(ten_o_clock())
        .job_delay(Duration::from_millis(20))
        .seed_usage("Sync Co", 30, 2)
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let company = sandbox.seeded_data()[0].company_id;
    (sandbox, client, company)
}

/// Every change of one run, by id ("changed" or "deleted"), and its checkpoint.
async fn run<T: Synced>(mut sync: SyncRun<'_, T>) -> (BTreeMap<String, &'static str>, Checkpoint) {
    let mut changes = BTreeMap::new();
    while let Some(change) = sync.next().await.unwrap() {
        let (id, what) = match change {
            Change::Changed(item) => (item.id().to_string(), "changed"),
            Change::Deleted(id) => (id.to_string(), "deleted"),
        };
        assert!(
            changes.insert(id.clone(), what).is_none(),
            "{id} came twice in one run"
        );
    }
    (changes, sync.checkpoint().unwrap())
}

/// A document run on the emulator's clock.
async fn documents(
    sandbox: &Sandbox,
    client: &Client,
    company: Uuid,
    since: Option<&Checkpoint>,
) -> (BTreeMap<String, &'static str>, Checkpoint) {
    let sync = client.sync_documents(company, since).unwrap();
    run::<Document>(sync.now(sandbox.now())).await
}

/// Uploads a bill and waits for its document; its id.
async fn upload(client: &Client, company: Uuid, name: &str) -> String {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend(name.as_bytes());
    pdf.extend(b"\n%%EOF\n");
    let job = client
        .upload_document()
        .company_id(company)
        .document(FilePart::from_bytes(name, pdf).unwrap())
        .send()
        .await
        .unwrap();
    let done = super::jobs::finished(client, &job).await;
    done.parsed_document_ids[0].clone()
}

fn ids(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn a_second_run_brings_only_what_was_created_revised_or_deleted() {
    let (sandbox, client, company) = setup().await;
    let (first, checkpoint) = documents(&sandbox, &client, company, None).await;
    assert_eq!(first.len(), 30, "the first run is a full pull");
    assert!(first.values().all(|w| *w == "changed"));

    let (again, _) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert!(again.is_empty(), "nothing changed: {again:?}");

    sandbox.advance_clock(Duration::from_secs(3600));
    let mut existing: Vec<String> = first.keys().cloned().collect();
    existing.sort();
    let (revised, deleted) = (existing[3].clone(), existing[7].clone());
    assert!(sandbox.revise_document(revised.parse().unwrap()));
    assert!(sandbox.delete_document(deleted.parse().unwrap()));
    let created = upload(&client, company, "new-bill.pdf").await;

    let (second, checkpoint) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    let expected: BTreeMap<String, &str> = [
        (revised, "changed"),
        (deleted, "deleted"),
        (created, "changed"),
    ]
    .into();
    assert_eq!(second, expected);
    let (third, _) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert!(third.is_empty(), "delivered already: {third:?}");
}

#[tokio::test]
async fn a_crash_before_storing_the_checkpoint_repeats_changes_and_skips_none() {
    let (sandbox, client, company) = setup().await;
    let (first, stored) = documents(&sandbox, &client, company, None).await;
    let existing: Vec<String> = first.keys().cloned().collect();

    sandbox.advance_clock(Duration::from_secs(600));
    assert!(sandbox.revise_document(existing[0].parse().unwrap()));
    // A run that handles its changes and crashes before storing its checkpoint.
    let (lost, _never_stored) = documents(&sandbox, &client, company, Some(&stored)).await;
    assert_eq!(
        lost.keys().cloned().collect::<Vec<_>>(),
        ids(&[&existing[0]])
    );

    sandbox.advance_clock(Duration::from_secs(600));
    assert!(sandbox.revise_document(existing[1].parse().unwrap()));
    let (retried, _) = documents(&sandbox, &client, company, Some(&stored)).await;
    let mut want = ids(&[&existing[0], &existing[1]]);
    want.sort();
    assert_eq!(
        retried.keys().cloned().collect::<Vec<_>>(),
        want,
        "the crashed run's change comes again, with the new one"
    );
}

#[tokio::test]
async fn two_runs_on_one_utc_day_and_one_after_midnight() {
    let (sandbox, client, company) = setup().await;
    let (first, checkpoint) = documents(&sandbox, &client, company, None).await;
    let existing: Vec<String> = first.keys().cloned().collect();

    // 10:30 and 15:00 on the same UTC day: the API filters by whole days, so the second run
    // asks for the whole day again and drops what the first delivered.
    sandbox.advance_clock(Duration::from_secs(30 * 60));
    assert!(sandbox.revise_document(existing[2].parse().unwrap()));
    let (morning, checkpoint) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert_eq!(
        morning.keys().cloned().collect::<Vec<_>>(),
        ids(&[&existing[2]])
    );
    sandbox.advance_clock(Duration::from_secs(4 * 3600 + 30 * 60));
    assert!(sandbox.revise_document(existing[4].parse().unwrap()));
    let (afternoon, checkpoint) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert_eq!(
        afternoon.keys().cloned().collect::<Vec<_>>(),
        ids(&[&existing[4]])
    );
    // The same document revised again the same day: its new `updated` brings it back.
    sandbox.advance_clock(Duration::from_secs(3600));
    assert!(sandbox.revise_document(existing[2].parse().unwrap()));
    let (evening, checkpoint) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert_eq!(
        evening.keys().cloned().collect::<Vec<_>>(),
        ids(&[&existing[2]])
    );

    // After midnight UTC.
    sandbox.advance_clock(Duration::from_secs(8 * 3600));
    assert_eq!(
        sandbox.today(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    );
    assert!(sandbox.revise_document(existing[5].parse().unwrap()));
    let (tomorrow, checkpoint) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert_eq!(
        tomorrow.keys().cloned().collect::<Vec<_>>(),
        ids(&[&existing[5]])
    );
    let (nothing, _) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert!(nothing.is_empty(), "{nothing:?}");
}

#[tokio::test]
async fn usage_rows_of_new_bills_come_in_the_next_usage_run() {
    let (sandbox, client, company) = setup().await;
    let (first, checkpoint) =
        run::<UsageData>(client.sync_usage(company, None).unwrap().now(sandbox.now())).await;
    assert_eq!(first.len(), 60, "30 bills of 2 rows");
    sandbox.advance_clock(Duration::from_secs(3600));
    let created = upload(&client, company, "usage.pdf").await;
    let (second, _) = run::<UsageData>(
        client
            .sync_usage(company, Some(&checkpoint))
            .unwrap()
            .now(sandbox.now()),
    )
    .await;
    let rows: Vec<UsageData> = nectar_api::TryStreamExt::try_collect(nectar_api::Paginate::items(
        client
            .list_document_usage()
            .document_id(created.parse::<Uuid>().unwrap()),
    ))
    .await
    .unwrap();
    assert!(!rows.is_empty());
    let want: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    assert_eq!(second.keys().cloned().collect::<Vec<_>>(), {
        let mut w = want;
        w.sort();
        w
    });
}

#[tokio::test]
async fn checkpoints_are_checked_and_given_only_at_the_end() {
    let (sandbox, client, company) = setup().await;
    let mut sync = client.sync_documents(company, None).unwrap();
    assert!(sync.next().await.unwrap().is_some());
    let error = sync.checkpoint().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
    let (_, checkpoint) = documents(&sandbox, &client, company, None).await;
    let error = client.sync_usage(company, Some(&checkpoint)).unwrap_err();
    assert!(error.to_string().contains("documents"), "{error}");
    let error = client
        .sync_documents(Uuid::nil(), Some(&checkpoint))
        .unwrap_err();
    assert!(error.to_string().contains("company"), "{error}");
    // It survives a round trip through JSON, as it would through a database.
    let text = serde_json::to_string(&checkpoint).unwrap();
    let back: Checkpoint = serde_json::from_str(&text).unwrap();
    assert_eq!(back, checkpoint);
}

/// A stored checkpoint with one field rewritten, as a user or a bug might.
fn rewritten(checkpoint: &Checkpoint, edit: impl FnOnce(&mut serde_json::Value)) -> Checkpoint {
    let mut json = serde_json::to_value(checkpoint).unwrap();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn checkpoints_that_cannot_be_honest_are_refused_naming_the_field() {
    let (sandbox, client, company) = setup().await;
    let (first, checkpoint) = documents(&sandbox, &client, company, None).await;
    let json = serde_json::to_value(&checkpoint).unwrap();
    let (id, stamp) = json["seen"].as_object().unwrap().iter().next().unwrap();
    let (id, stamp) = (id.clone(), stamp.clone());
    assert_eq!(first.len(), 30);
    let today = sandbox.today();
    let tomorrow = today.succ_opt().unwrap().to_string();

    // A day ahead of the run's clock: refused by the run's first step.
    for day in [tomorrow.as_str(), "9999-12-31"] {
        let ahead = rewritten(&checkpoint, |j| {
            j["day"] = day.into();
            j["seen"] = serde_json::json!({});
        });
        let mut sync = client
            .sync_documents(company, Some(&ahead))
            .unwrap()
            .now(sandbox.now());
        let error = sync.next().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert!(error.to_string().contains("`day`"), "{error}");
        assert!(
            sync.checkpoint().is_err(),
            "a failed run gives no checkpoint"
        );
    }
    // Fields that contradict each other: refused at once, naming the field.
    type Edit<'a> = Box<dyn Fn(&mut serde_json::Value) + 'a>;
    let cases: [(&str, Edit); 4] = [
        (
            "`seen` lists",
            Box::new(|j| {
                j["day"] = serde_json::Value::Null;
                j["seen"] = serde_json::json!({ id.clone(): stamp.clone() });
            }),
        ),
        (
            "not on the checkpoint's `day`",
            Box::new(|j| j["seen"] = serde_json::json!({ id.clone(): "2020-01-01T00:00:01Z" })),
        ),
        (
            "is not an id of documents",
            Box::new(|j| j["seen"] = serde_json::json!({ "../x": stamp.clone() })),
        ),
        (
            "is not a timestamp",
            Box::new(|j| j["seen"] = serde_json::json!({ id.clone(): "yesterday" })),
        ),
    ];
    for (says, edit) in cases {
        let bad = rewritten(&checkpoint, |j| edit(j));
        let error = client.sync_documents(company, Some(&bad)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert!(error.to_string().contains(says), "{says}: {error}");
    }
}

#[tokio::test]
async fn a_deletion_racing_a_run_is_reported_deleted_in_that_run() {
    // 300 ms a request: the bill is deleted after the run's first listing is answered and
    // before its changes listing is.
    let sandbox = Sandbox::builder()
        .now(ten_o_clock())
        .faults(Faults::seeded(7).latency(Duration::from_millis(300)))
        .seed_usage("Race Co", 12, 1)
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let company = sandbox.seeded_data()[0].company_id;
    let victim = {
        let bills: Vec<Document> = nectar_api::TryStreamExt::try_collect(
            nectar_api::Paginate::items(client.list_company_documents().company_id(company)),
        )
        .await
        .unwrap();
        bills[5].id
    };
    let before = sandbox.requests().len();
    let watcher = async {
        while !sandbox.requests()[before..]
            .iter()
            .any(|r| r.status.is_some())
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(sandbox.delete_document(victim));
    };
    let mut sync = client
        .sync_documents(company, None)
        .unwrap()
        .now(sandbox.now());
    let reader = async {
        let mut last = BTreeMap::new();
        while let Some(change) = sync.next().await.unwrap() {
            match change {
                Change::Changed(document) => last.insert(document.id, "changed"),
                Change::Deleted(id) => last.insert(id, "deleted"),
            };
        }
        last
    };
    let ((), last) = tokio::join!(watcher, reader);
    assert_eq!(
        last.get(&victim),
        Some(&"deleted"),
        "the deletion came last"
    );
    assert_eq!(last.values().filter(|w| **w == "changed").count(), 11);
    let checkpoint = sync.checkpoint().unwrap();
    let (next, _) = documents(&sandbox, &client, company, Some(&checkpoint)).await;
    assert!(next.is_empty(), "nothing left to tell: {next:?}");
}

/// Many companies in one process: each comes out with its changes and its checkpoint as soon as
/// its run is done; the next runs bring only what changed, in the company it changed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_companies_sync_concurrently_each_with_its_checkpoint() {
    use nectar_api::StreamExt;
    let mut builder = Sandbox::builder().now(ten_o_clock());
    for n in 0..6 {
        builder = builder.seed_usage(format!("Company {n}"), 5, 1);
    }
    let sandbox = builder.start().await.unwrap();
    let client = sandbox.client();
    let companies: Vec<Uuid> = sandbox.seeded_data().iter().map(|d| d.company_id).collect();
    let mut stored: BTreeMap<Uuid, Option<Checkpoint>> =
        companies.iter().map(|c| (*c, None)).collect();

    let runs = |stored: &BTreeMap<Uuid, Option<Checkpoint>>| {
        let input: Vec<(Uuid, Option<Checkpoint>)> =
            stored.iter().map(|(c, p)| (*c, p.clone())).collect();
        client.sync_companies::<Document>(input, 3)
    };
    let mut first = BTreeMap::new();
    let mut stream = runs(&stored);
    while let Some(done) = stream.next().await {
        let done = done.unwrap();
        let stamped = serde_json::to_value(&done.checkpoint).unwrap();
        assert_eq!(stamped["company"], done.company.to_string());
        first.insert(done.company, done.changes.len());
        stored.insert(done.company, Some(done.checkpoint));
    }
    drop(stream);
    assert_eq!(first.len(), 6);
    assert!(first.values().all(|n| *n == 5), "{first:?}");

    // One bill withdrawn in one company: the next run brings that, and nothing else anywhere.
    let listed = client
        .list_company_documents()
        .company_id(companies[2])
        .send()
        .await
        .unwrap();
    let withdrawn = listed.documents[0].id;
    assert!(sandbox.delete_document(withdrawn));
    let mut second = BTreeMap::new();
    let mut stream = runs(&stored);
    while let Some(done) = stream.next().await {
        let done = done.unwrap();
        let changes: Vec<String> = done
            .changes
            .iter()
            .map(|c| match c {
                Change::Changed(d) => format!("changed {}", d.id),
                Change::Deleted(id) => format!("deleted {id}"),
            })
            .collect();
        second.insert(done.company, changes);
    }
    for (company, changes) in &second {
        if *company == companies[2] {
            assert_eq!(changes, &vec![format!("deleted {withdrawn}")]);
        } else {
            assert!(changes.is_empty(), "{company}: {changes:?}");
        }
    }
}
