//! A list server whose records change on a script: the model a sync and the pager are tested
//! against.
//!
//! It serves a company's documents and usage rows (`GET /v2.2/document/company/{id}`,
//! `GET /v2.2/usage/company/{id}`) from an in-memory [`Model`]: records that are created,
//! revised and soft-deleted by [`Mutation`]s, applied between runs by the test or, from a
//! [`Model::script`], just before the server answers a given request, so a change lands between
//! two page requests of one listing. It lists in any plausible [`Order`], filters by
//! `startDate` (an `UPDATED_DATE` day) and `isDeleted` as Nectar documents them, pages by
//! `page` with a chosen page size, and can [`Lie`] about its totals.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use nectar_tests::scripted::{Mutation, Order, Scripted};
//!
//! let server = Scripted::start().await?;
//! server.with(|model| {
//!     model.reset(10, Order::UpdatedAscending, 3);
//!     // Revise record 0 just before the server answers its 2nd request from now.
//!     model.script_after(2, Mutation::Revise(0));
//! });
//! let client = server.client(4);
//! # let _ = client; Ok(())
//! # }
//! ```

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    routing::get,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The company every list belongs to (the server ignores the path's id).
pub const COMPANY: Uuid = Uuid::from_u128(0xC0);

/// One record: a document, with one usage row while it is not deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When it was made.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub updated: DateTime<Utc>,
    /// Soft-deleted: listed only with `isDeleted=true`; its usage row is gone.
    pub deleted: bool,
}

/// The order the lists are in (the docs do not state one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Creation order, oldest first.
    Created,
    /// By `updated`, oldest first: a revision moves a record to the end.
    UpdatedAscending,
    /// By `updated`, newest first: a revision moves a record to the front.
    NewestFirst,
}

/// A change to the records. Indices are taken modulo the number of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// A new record, stamped now.
    Create,
    /// A new record stamped on 2099-01-01 (a server clock gone wrong).
    CreateInTheFuture,
    /// A record's content changes; `updated` becomes now. Deleted records stay as they are.
    Revise(usize),
    /// A record is soft-deleted; `updated` becomes now.
    Delete(usize),
}

/// What the server claims besides the truth, for the pager's tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lie {
    /// Every page claims this many pages (and the items to fill them); pages past the data are
    /// empty.
    Pages(u64),
    /// Page `n` says `hasNext: false` with the totals unchanged.
    EndsAt(u64),
}

/// The server's state.
#[derive(Debug)]
pub struct Model {
    /// The records, in creation order; record `i`'s id is [`Model::id`]`(i)`.
    pub records: Vec<Record>,
    /// The order the lists are in.
    pub order: Order,
    /// Records per page.
    pub per_page: usize,
    /// The server's clock.
    pub now: DateTime<Utc>,
    /// Requests answered so far.
    pub requests: u64,
    /// Mutations applied just before answering request number `n` (counted from 1).
    pub script: BTreeMap<u64, Vec<Mutation>>,
    /// Mutations applied from the script so far.
    pub applied: usize,
    /// What the server claims besides the truth.
    pub lie: Option<Lie>,
}

impl Model {
    fn new() -> Self {
        Self {
            records: Vec::new(),
            order: Order::Created,
            per_page: 100,
            now: start(),
            requests: 0,
            script: BTreeMap::new(),
            applied: 0,
            lie: None,
        }
    }

    /// `records` records made over the last weeks (one every 31 hours, so their days differ),
    /// listed in `order`, `per_page` a page; the clock at its start, no script, no lie.
    pub fn reset(&mut self, records: usize, order: Order, per_page: usize) {
        *self = Self::new();
        self.order = order;
        self.per_page = per_page.max(1);
        let hours = i64::try_from(records)
            .unwrap_or(i64::MAX)
            .saturating_mul(31);
        for i in 0..records {
            let at = self.now - Duration::hours(hours - 31 * i as i64);
            self.records.push(Record {
                created: at,
                updated: at,
                deleted: false,
            });
        }
    }

    /// Record `i`'s id.
    pub fn id(i: usize) -> Uuid {
        Uuid::from_u128(i as u128 + 1)
    }

    /// The usage row id of record `i`.
    pub fn row_id(i: usize) -> String {
        format!("row-{}", i + 1)
    }

    /// The index of the record with this id.
    pub fn index(id: Uuid) -> usize {
        (id.as_u128() as usize).saturating_sub(1)
    }

    /// Moves the clock.
    pub fn advance(&mut self, seconds: i64) {
        self.now += Duration::seconds(seconds);
    }

    /// Applies `mutation` now (the clock moves on a second first, so every stamp is new).
    pub fn apply(&mut self, mutation: Mutation) {
        self.advance(1);
        let now = self.now;
        let n = self.records.len();
        match mutation {
            Mutation::Create => self.records.push(Record {
                created: now,
                updated: now,
                deleted: false,
            }),
            Mutation::CreateInTheFuture => {
                let future = Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap();
                self.records.push(Record {
                    created: future,
                    updated: future,
                    deleted: false,
                });
            }
            Mutation::Revise(i) if n > 0 => {
                let record = &mut self.records[i % n];
                if !record.deleted {
                    record.updated = now;
                }
            }
            Mutation::Delete(i) if n > 0 => {
                let record = &mut self.records[i % n];
                if !record.deleted {
                    record.deleted = true;
                    record.updated = now;
                }
            }
            Mutation::Revise(_) | Mutation::Delete(_) => {}
        }
    }

    /// Applies `mutation` just before answering the `nth` request from now (1: the next).
    pub fn script_after(&mut self, nth: u64, mutation: Mutation) {
        self.script
            .entry(self.requests + nth)
            .or_default()
            .push(mutation);
    }

    /// The live documents: id -> `updated`.
    pub fn live_documents(&self) -> BTreeMap<Uuid, DateTime<Utc>> {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.deleted)
            .map(|(i, r)| (Self::id(i), r.updated))
            .collect()
    }

    /// The live usage rows: id -> `updated`.
    pub fn live_rows(&self) -> BTreeMap<String, DateTime<Utc>> {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.deleted)
            .map(|(i, r)| (Self::row_id(i), r.updated))
            .collect()
    }

    /// The indices a list holds, in the list's order.
    fn listed(&self, since: Option<NaiveDate>, deleted: bool) -> Vec<usize> {
        let mut listed: Vec<usize> = (0..self.records.len())
            .filter(|i| {
                let r = &self.records[*i];
                (deleted || !r.deleted) && since.is_none_or(|day| r.updated.date_naive() >= day)
            })
            .collect();
        let updated = |i: &usize| (self.records[*i].updated, *i);
        match self.order {
            Order::Created => {}
            Order::UpdatedAscending => listed.sort_by_key(updated),
            Order::NewestFirst => listed.sort_by_key(|i| std::cmp::Reverse(updated(i))),
        }
        listed
    }

    /// One page of a list, as Nectar's envelope.
    fn page(&self, documents: bool, query: &HashMap<String, String>) -> Value {
        let since = query
            .get("startDate")
            .and_then(|d| d.parse::<NaiveDate>().ok());
        let deleted = documents && query.get("isDeleted").is_some_and(|d| d == "true");
        let page: u64 = query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1);
        let listed = self.listed(since, deleted);
        let per_page = self.per_page as u64;
        let mut total_items = listed.len() as u64;
        let mut total_pages = total_items.div_ceil(per_page).max(1);
        let mut has_next = page < total_pages;
        match self.lie {
            Some(Lie::Pages(pages)) => {
                total_pages = pages;
                total_items = pages.saturating_mul(per_page);
                has_next = page < pages;
            }
            Some(Lie::EndsAt(at)) if page >= at => has_next = false,
            Some(Lie::EndsAt(_)) | None => {}
        }
        let from = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let items: Vec<Value> = listed
            .iter()
            .skip(from)
            .take(self.per_page)
            .map(|i| self.item(*i, documents))
            .collect();
        let (total_key, items_key) = if documents {
            ("totalDocuments", "documents")
        } else {
            ("totalUsageData", "usageData")
        };
        json!({
            total_key: total_items,
            "perPage": per_page,
            "totalPages": total_pages,
            "currentPage": page,
            "hasNext": has_next,
            "hasPrevious": page > 1,
            items_key: items,
        })
    }

    fn item(&self, i: usize, documents: bool) -> Value {
        let r = &self.records[i];
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if documents {
            json!({"id": Self::id(i), "created": stamp(r.created), "updated": stamp(r.updated)})
        } else {
            json!({
                "id": Self::row_id(i),
                "created": stamp(r.created),
                "updated": stamp(r.updated),
                "datasourceType": "ELECTRICITY",
                "startDate": "2026-01-01",
                "endDate": "2026-01-31",
                "document": null,
                "site": null,
            })
        }
    }
}

/// The clock's start: 06:00 UTC on a fixed day.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

type Shared = Arc<Mutex<Model>>;

/// The running server.
#[derive(Debug)]
pub struct Scripted {
    addr: SocketAddr,
    model: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    /// Starts a server on a free loopback port, with no records.
    pub async fn start() -> std::io::Result<Self> {
        let model: Shared = Arc::new(Mutex::new(Model::new()));
        let app = Router::new()
            .route("/v2.2/document/company/{id}", get(documents))
            .route("/v2.2/usage/company/{id}", get(usage))
            .with_state(model.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, model, task })
    }

    /// The base URL a client takes.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2.2", self.addr)
    }

    /// A client of this server with at most `concurrency` requests in flight and fast retries.
    pub fn client(&self, concurrency: usize) -> nectar_api::Client {
        nectar_api::Client::builder()
            .api_key("scripted")
            .base_url(self.base_url())
            .max_concurrency(concurrency)
            .adaptive_concurrency(false)
            .build()
            .expect("a loopback client builds")
    }

    /// Runs `f` on the model.
    pub fn with<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        f(&mut lock(&self.model))
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(model: &Shared) -> MutexGuard<'_, Model> {
    model.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts the request, applies what the script holds for it, answers a page.
fn answer(model: &Shared, documents: bool, query: &HashMap<String, String>) -> Value {
    let mut model = lock(model);
    model.requests += 1;
    let n = model.requests;
    for mutation in model.script.remove(&n).unwrap_or_default() {
        model.apply(mutation);
        model.applied += 1;
    }
    model.page(documents, query)
}

/// The query's pairs (the last of a repeated name wins).
fn parse(query: Option<String>) -> HashMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

async fn documents(State(model): State<Shared>, RawQuery(query): RawQuery) -> Json<Value> {
    Json(answer(&model, true, &parse(query)))
}

async fn usage(State(model): State<Shared>, RawQuery(query): RawQuery) -> Json<Value> {
    Json(answer(&model, false, &parse(query)))
}
