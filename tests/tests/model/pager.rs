//! The pager against lists that change or lie while read: it either ends `Ok` with every item
//! that was in the list from the first request to the last, once (and nothing that never was),
//! or fails with `ErrorKind::Pagination`; it never asks for more pages than exist plus its
//! concurrency (and the first). In order and unordered alike. The one case a pager cannot see
//! (as many items added as removed between two requests: every total unchanged) is exempt from
//! the completeness check, as the pager's documentation says; the sync's model test covers it.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use nectar_api::{ErrorKind, Paginate, pager::DEFAULT_CONCURRENCY};
use nectar_tests::scripted::{COMPANY, Lie, Model, Mutation, Order, Scripted};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    order: Order,
    records: usize,
    per_page: usize,
    concurrency: usize,
    unordered: bool,
    /// Changes landing just before the server answers that request (from 1).
    during: Vec<(u64, Mutation)>,
    lie: Option<Lie>,
}

fn case() -> impl Strategy<Value = Case> {
    let mutation = prop_oneof![
        Just(Mutation::Create),
        any::<u8>().prop_map(|i| Mutation::Revise(usize::from(i))),
        any::<u8>().prop_map(|i| Mutation::Delete(usize::from(i))),
    ];
    let lie = prop_oneof![
        4 => Just(None),
        1 => prop_oneof![Just(50_u64), Just(1_000_000)].prop_map(|p| Some(Lie::Pages(p))),
        1 => (1_u64..5).prop_map(|at| Some(Lie::EndsAt(at))),
    ];
    (
        prop_oneof![
            Just(Order::Created),
            Just(Order::UpdatedAscending),
            Just(Order::NewestFirst)
        ],
        0_usize..30,
        1_usize..7,
        prop_oneof![Just(1_usize), Just(2), Just(10)],
        any::<bool>(),
        prop::collection::vec((1_u64..12, mutation), 0..4),
        lie,
    )
        .prop_map(
            |(order, records, per_page, concurrency, unordered, during, lie)| Case {
                order,
                records,
                per_page,
                concurrency,
                unordered,
                during,
                lie,
            },
        )
}

async fn play(server: &Scripted, case: &Case) -> Result<(), String> {
    let before = server.with(|m| {
        m.reset(case.records, case.order, case.per_page);
        m.lie = case.lie;
        for (nth, change) in &case.during {
            m.script_after(*nth, *change);
        }
        m.live_documents()
    });
    let client = server.client(case.concurrency);
    let mut pager = client.list_company_documents().company_id(COMPANY).pager();
    if case.unordered {
        pager = pager.unordered();
    }
    let result: Result<Vec<_>, _> = pager.items().try_collect().await;
    let (after, requests, applied, most) = server.with(|m| {
        let most = before.len().max(m.live_documents().len());
        (m.live_documents(), m.requests, m.applied, most)
    });
    let pages = most.div_ceil(case.per_page).max(1) as u64;
    let bound = pages + 1 + DEFAULT_CONCURRENCY as u64;
    if requests > bound {
        return Err(format!(
            "{requests} requests for a list of at most {pages} pages (bound {bound})"
        ));
    }
    match result {
        Err(error) if error.kind() == ErrorKind::Pagination => {
            if applied == 0 && case.lie.is_none() {
                return Err(format!("an unchanged, honest list was refused: {error}"));
            }
            Ok(())
        }
        Err(error) => Err(format!("failed otherwise: {error}")),
        Ok(items) => {
            let ids: Vec<_> = items.iter().map(|d| d.id).collect();
            let distinct: BTreeSet<_> = ids.iter().copied().collect();
            if distinct.len() != ids.len() {
                return Err(format!("an item came twice: {ids:?}"));
            }
            let landed: Vec<Mutation> = case
                .during
                .iter()
                .filter(|(nth, _)| *nth <= requests)
                .map(|(_, m)| *m)
                .collect();
            let balanced = landed.contains(&Mutation::Create)
                && landed.iter().any(|m| matches!(m, Mutation::Delete(_)));
            for id in before
                .keys()
                .filter(|id| after.contains_key(*id) && !balanced)
            {
                if !distinct.contains(id) {
                    return Err(format!(
                        "Ok without {id}, which was in the list throughout ({} of {} items)",
                        ids.len(),
                        after.len()
                    ));
                }
            }
            for id in &distinct {
                if Model::index(*id) >= server.with(|m| m.records.len()) {
                    return Err(format!("{id} never existed"));
                }
            }
            if applied == 0 && case.lie.is_none() && !case.unordered {
                let want: Vec<_> = server.with(|m| {
                    let mut live: Vec<_> = m.live_documents().into_iter().collect();
                    match case.order {
                        Order::Created => {}
                        Order::UpdatedAscending => live.sort_by_key(|(id, at)| (*at, *id)),
                        Order::NewestFirst => {
                            live.sort_by_key(|(id, at)| std::cmp::Reverse((*at, *id)));
                        }
                    }
                    live.into_iter().map(|(id, _)| id).collect()
                });
                if ids != want {
                    return Err(format!("in order: {ids:?}, the list: {want:?}"));
                }
            }
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: super::cases(1500), ..ProptestConfig::default() })]

    #[test]
    fn the_pager_ends_ok_only_with_every_record_and_stays_within_the_pages(case in case()) {
        thread_local! {
            static RUNTIME: tokio::runtime::Runtime = super::runtime();
            static SERVER: Scripted = RUNTIME.with(|rt| rt.block_on(Scripted::start()).unwrap());
        }
        let result = RUNTIME.with(|rt| SERVER.with(|server| rt.block_on(play(server, &case))));
        result.map_err(TestCaseError::fail)?;
    }
}
