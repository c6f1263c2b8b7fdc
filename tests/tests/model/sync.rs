//! The sync guarantees (`nectar_api::sync`, "Guarantees") against random schedules: runs that
//! store their checkpoint or crash, changes between runs and between the page requests of a run,
//! records stamped in the future, every list order, the client's clock a few minutes off the
//! server's.
//!
//! Checked on every schedule:
//! - a `Deleted` id is a deleted document at the moment it is handed out (nothing live is
//!   reported deleted);
//! - a stored checkpoint's day is never later than the run's today;
//! - after every run during which nothing changed, the consumer holds exactly the server's live
//!   documents at their latest `updated` (nothing lost, nothing ghosted); for usage, every live
//!   row at its latest stamp, and no row but those and rows of deleted documents;
//! - every schedule ends with such a quiet run.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use nectar_api::sync::{Change, Checkpoint, SyncRun, Synced};
use nectar_tests::scripted::{COMPANY, Model, Mutation, Order, Scripted};
use proptest::prelude::*;
use uuid::Uuid;

/// How a run ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// Drained, and its checkpoint stored.
    Stored,
    /// Drained, and the process died before storing the checkpoint.
    CrashBeforeStoring,
    /// The process died after handling this many changes.
    CrashAfter(usize),
}

#[derive(Debug, Clone)]
enum Step {
    /// The clock moves on, then these changes happen, between runs.
    Between {
        seconds: i64,
        changes: Vec<Mutation>,
    },
    /// A run; each change lands just before the server answers the run's request of that
    /// number (counted from 1; a number past the run's last request never lands).
    Run {
        during: Vec<(u64, Mutation)>,
        end: End,
    },
}

#[derive(Debug, Clone)]
struct Schedule {
    order: Order,
    records: usize,
    per_page: usize,
    /// The client's limit on requests in flight (pages of one listing come concurrently).
    concurrency: usize,
    /// The client's clock minus the server's, in seconds (within the documented tolerance).
    skew: i64,
    steps: Vec<Step>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Create),
        4 => any::<u8>().prop_map(|i| Mutation::Revise(usize::from(i))),
        4 => any::<u8>().prop_map(|i| Mutation::Delete(usize::from(i))),
        1 => Just(Mutation::CreateInTheFuture),
    ]
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![
        Just(Order::Created),
        Just(Order::UpdatedAscending),
        Just(Order::NewestFirst)
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        6 => Just(End::Stored),
        1 => Just(End::CrashBeforeStoring),
        1 => (0_usize..6).prop_map(End::CrashAfter),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        // From a second to a day and a half: runs on one UTC day and across midnight.
        (1_i64..130_000, prop::collection::vec(mutation(), 0..4))
            .prop_map(|(seconds, changes)| Step::Between { seconds, changes }),
        (prop::collection::vec((1_u64..16, mutation()), 0..4), end())
            .prop_map(|(during, end)| Step::Run { during, end }),
    ]
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        order(),
        0_usize..14,
        1_usize..5,
        prop_oneof![Just(1_usize), Just(2), Just(10)],
        -180_i64..180,
        prop::collection::vec(step(), 1..7),
    )
        .prop_map(
            |(order, records, per_page, concurrency, skew, steps)| Schedule {
                order,
                records,
                per_page,
                concurrency,
                skew,
                steps,
            },
        )
}

/// What the consumer holds, by id as text: the `updated` it last handled.
type Held = BTreeMap<String, DateTime<Utc>>;

/// Plays `schedule`; the first broken promise, if any.
async fn play(server: &Scripted, schedule: &Schedule, usage: bool) -> Result<(), String> {
    server.with(|m| m.reset(schedule.records, schedule.order, schedule.per_page));
    let client = server.client(schedule.concurrency);
    let mut held = Held::new();
    let mut stored: Option<Checkpoint> = None;
    let quiet_end = Step::Run {
        during: Vec::new(),
        end: End::Stored,
    };
    for (n, step) in schedule.steps.iter().chain([&quiet_end]).enumerate() {
        match step {
            Step::Between { seconds, changes } => server.with(|m| {
                m.advance(*seconds);
                for change in changes {
                    m.apply(*change);
                }
            }),
            Step::Run { during, end } => {
                let now = server.with(|m| {
                    m.script.clear();
                    m.applied = 0;
                    for (nth, change) in during {
                        m.script_after(*nth, *change);
                    }
                    m.now + Duration::seconds(schedule.skew)
                });
                let since = stored.as_ref();
                let checkpoint = if usage {
                    let run = client.sync_usage(COMPANY, since);
                    play_run(run, now, *end, server, &mut held).await
                } else {
                    let run = client.sync_documents(COMPANY, since);
                    play_run(run, now, *end, server, &mut held).await
                }
                .map_err(|e| format!("step {n}: {e}"))?;
                let quiet = server.with(|m| {
                    m.script.clear();
                    m.applied == 0
                });
                if let Some(checkpoint) = checkpoint {
                    let day = serde_json::to_value(&checkpoint).unwrap()["day"].clone();
                    if let Some(day) = day.as_str() {
                        let today = now.date_naive().to_string();
                        if day > today.as_str() {
                            return Err(format!(
                                "step {n}: the checkpoint's day {day} is later than today {today}"
                            ));
                        }
                    }
                    stored = Some(checkpoint);
                }
                if quiet && matches!(end, End::Stored) {
                    compare(server, &held, usage).map_err(|e| format!("step {n}: {e}"))?;
                }
            }
        }
    }
    Ok(())
}

/// After a quiet run: what the consumer holds against what the server has.
fn compare(server: &Scripted, held: &Held, usage: bool) -> Result<(), String> {
    server.with(|m| {
        let live: Held = if usage {
            m.live_rows().into_iter().collect()
        } else {
            m.live_documents()
                .into_iter()
                .map(|(id, at)| (id.to_string(), at))
                .collect()
        };
        for (id, at) in &live {
            match held.get(id) {
                None => return Err(format!("live {id} (updated {at}) was never delivered")),
                Some(got) if got != at => {
                    return Err(format!("{id} is held at {got}, its latest is {at}"));
                }
                Some(_) => {}
            }
        }
        for id in held.keys().filter(|id| !live.contains_key(*id)) {
            // A usage row of a deleted document goes with the document's deletion.
            let of_deleted = usage
                && id
                    .strip_prefix("row-")
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| m.records[n - 1].deleted);
            if !of_deleted {
                return Err(format!("{id} is held but not live (a ghost)"));
            }
        }
        Ok(())
    })
}

/// Plays one run: hands every change to the consumer (`held`) until the run ends or `end`
/// crashes it; the checkpoint, when `end` stores it. A `Deleted` id must be a deleted document
/// at the moment it is handed out (a usage row's id never is).
async fn play_run<T: Synced>(
    run: Result<SyncRun<'_, T>, nectar_api::Error>,
    now: DateTime<Utc>,
    end: End,
    server: &Scripted,
    held: &mut Held,
) -> Result<Option<Checkpoint>, String> {
    let mut run = run.map_err(|e| e.to_string())?.now(now);
    let mut handled = 0;
    while let Some(change) = run.next().await.map_err(|e| e.to_string())? {
        if matches!(end, End::CrashAfter(n) if n == handled) {
            return Ok(None);
        }
        handled += 1;
        match change {
            Change::Changed(item) => {
                held.insert(item.id().to_string(), *item.stamp().as_datetime());
            }
            Change::Deleted(id) => {
                let id = id.to_string();
                let deleted = id.parse::<Uuid>().is_ok_and(|id| {
                    server.with(|m| m.records.get(Model::index(id)).is_some_and(|r| r.deleted))
                });
                if !deleted {
                    return Err(format!("live {} {id} was reported deleted", T::KIND));
                }
                held.remove(&id);
            }
        }
    }
    let checkpoint = run.checkpoint().map_err(|e| e.to_string())?;
    Ok(matches!(end, End::Stored).then_some(checkpoint))
}

fn check(schedule: &Schedule, usage: bool) -> Result<(), TestCaseError> {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = super::runtime();
        static SERVER: Scripted = RUNTIME.with(|rt| rt.block_on(Scripted::start()).unwrap());
    }
    let result =
        RUNTIME.with(|rt| SERVER.with(|server| rt.block_on(play(server, schedule, usage))));
    result.map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: super::cases(1500), ..ProptestConfig::default() })]

    #[test]
    fn document_sync_never_loses_ghosts_or_invents_a_record(schedule in schedule()) {
        check(&schedule, false)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: super::cases(600), ..ProptestConfig::default() })]

    #[test]
    fn usage_sync_never_loses_or_invents_a_row(schedule in schedule()) {
        check(&schedule, true)?;
    }
}
