//! Incremental sync: what changed in a company's documents or usage since the last run.
//!
//! Platforms pull every company's bills and usage every night. A sync pulls only what was
//! created, updated or soft-deleted since its [`Checkpoint`], using the API as documented:
//! `dateType=UPDATED_DATE` with `startDate` (a UTC day: the API filters by whole days), and
//! `isDeleted=true` to see soft-deleted documents.
//!
//! ```
//! # async fn run(client: &nectar_api::Client, company: uuid::Uuid) -> Result<(), Box<dyn std::error::Error>> {
//! use nectar_api::sync::{Change, Checkpoint};
//!
//! let stored: Option<Checkpoint> = None; // read from your database; `None` the first time
//! let mut sync = client.sync_documents(company, stored.as_ref())?;
//! while let Some(change) = sync.next().await? {
//!     match change {
//!         Change::Changed(document) => { /* upsert document.id */ }
//!         Change::Deleted(document) => { /* drop document.id and its usage rows */ }
//!     }
//! }
//! // Only now, after every change is handled: store it for the next run.
//! let checkpoint: Checkpoint = sync.checkpoint()?;
//! let text = serde_json::to_string(&checkpoint)?;
//! # let _ = text; Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - **Nothing is missed.** Each run asks for everything updated on or after the day of the
//!   latest change it saw, so a change made while a run was going (even on that same day) is in
//!   the next run. Store the new checkpoint only after handling the changes: a crash in between
//!   repeats them, never skips them.
//! - **At least once.** A change may come twice (after such a crash, or a document updated again
//!   in between); handle changes idempotently (upsert by `id`). Within one day, changes already
//!   delivered are dropped: the checkpoint keeps the `id` and `updated` of each object of its
//!   last day, and an object seen again unchanged is skipped.
//! - **Deletions.** Nectar soft-deletes documents: a document listed with `isDeleted=true` but
//!   not without it comes as [`Change::Deleted`]; its usage rows are gone from the usage lists
//!   (drop them by the document's id). Usage rows themselves are only ever [`Change::Changed`].
//! - **Cost.** A run makes a few requests for its changes (about three pages for 100 changed
//!   documents of 10,000), where a full pull reads every page; see BENCHMARKS.md.
//!
//! This relies on Nectar stamping `updated` on every change, soft deletion included.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use futures_util::{StreamExt, stream::BoxStream};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Client, Error, ErrorKind, Paginate, Timestamp,
    types::{DateType, Document, UsageData},
};

/// Where a sync got to: store it (it is serializable, e.g. as JSON) after handling a run's
/// changes, and hand it to the next run. Its contents are the crate's own and may change
/// between versions; a checkpoint of another company or kind is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The format's version.
    v: u32,
    /// `documents` or `usage`.
    kind: String,
    company: Uuid,
    /// The UTC day of the latest `updated` seen; the next run starts there.
    day: Option<NaiveDate>,
    /// `id` -> `updated` of the objects updated on `day`, delivered already.
    seen: BTreeMap<String, String>,
}

const VERSION: u32 = 1;

/// One change of a sync: the two things that can happen to an object.
#[derive(Clone, Debug)]
pub enum Change<T> {
    /// Created or updated since the checkpoint (or, on a first run, existing).
    Changed(T),
    /// Soft-deleted since the checkpoint (documents only).
    Deleted(T),
}

/// What a sync needs of the objects it syncs.
pub trait Synced: Sized + Send + 'static {
    /// The checkpoint's `kind`.
    #[doc(hidden)]
    const KIND: &'static str;
    /// Whether the objects can be soft-deleted (listed only with `isDeleted=true`).
    #[doc(hidden)]
    const DELETABLE: bool;
    /// The object's id, as text.
    #[doc(hidden)]
    fn key(&self) -> String;
    /// When it last changed (when it was made, if Nectar sent no `updated`).
    #[doc(hidden)]
    fn stamp(&self) -> &Timestamp;
    /// The company's objects updated on or after `since`, deleted ones included or not.
    #[doc(hidden)]
    fn list(
        client: &Client,
        company: Uuid,
        since: Option<NaiveDate>,
        deleted: bool,
    ) -> BoxStream<'_, Result<Self, Error>>;
}

impl Synced for Document {
    const KIND: &'static str = "documents";
    const DELETABLE: bool = true;

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn stamp(&self) -> &Timestamp {
        self.updated.as_ref().unwrap_or(&self.created)
    }

    fn list(
        client: &Client,
        company: Uuid,
        since: Option<NaiveDate>,
        deleted: bool,
    ) -> BoxStream<'_, Result<Self, Error>> {
        let mut request = client
            .list_company_documents()
            .company_id(company)
            .date_type(DateType::UpdatedDate)
            .is_deleted(deleted);
        if let Some(day) = since {
            request = request.start_date(day);
        }
        request.items()
    }
}

impl Synced for UsageData {
    const KIND: &'static str = "usage";
    const DELETABLE: bool = false;

    fn key(&self) -> String {
        self.id.clone()
    }

    fn stamp(&self) -> &Timestamp {
        self.updated.as_ref().unwrap_or(&self.created)
    }

    fn list(
        client: &Client,
        company: Uuid,
        since: Option<NaiveDate>,
        _deleted: bool,
    ) -> BoxStream<'_, Result<Self, Error>> {
        let mut request = client
            .list_company_usage()
            .company_id(company)
            .date_type(DateType::UpdatedDate);
        if let Some(day) = since {
            request = request.start_date(day);
        }
        request.items()
    }
}

impl Client {
    /// A sync of the company's documents since `since` (`None`: everything, the first time).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`] for a checkpoint of another company or kind, or of a
    /// version this crate does not read.
    pub fn sync_documents(
        &self,
        company: Uuid,
        since: Option<&Checkpoint>,
    ) -> Result<SyncRun<'_, Document>, Error> {
        SyncRun::new(self, company, since)
    }

    /// A sync of the company's usage rows since `since` (`None`: everything, the first time).
    ///
    /// # Errors
    ///
    /// As [`Client::sync_documents`].
    pub fn sync_usage(
        &self,
        company: Uuid,
        since: Option<&Checkpoint>,
    ) -> Result<SyncRun<'_, UsageData>, Error> {
        SyncRun::new(self, company, since)
    }
}

/// One run of a sync: [`SyncRun::next`] until `None`, then [`SyncRun::checkpoint`]. (Not
/// `Sync`, which would shadow the marker trait where it is imported.)
pub struct SyncRun<'a, T: Synced> {
    client: &'a Client,
    company: Uuid,
    since: Option<NaiveDate>,
    seen: BTreeMap<String, String>,
    stage: Stage<'a, T>,
    /// The ids listed without `isDeleted` (documents only): the objects not deleted.
    live: HashSet<String>,
    /// Objects listed only with `isDeleted`, held until a last look tells deleted from new.
    maybe_deleted: Vec<T>,
    /// What the next checkpoint will hold.
    next_day: Option<NaiveDate>,
    next_seen: BTreeMap<String, String>,
}

impl<T: Synced> std::fmt::Debug for SyncRun<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRun")
            .field("kind", &T::KIND)
            .field("company", &self.company)
            .field("since", &self.since)
            .field("finished", &matches!(self.stage, Stage::Finished))
            .finish()
    }
}

enum Stage<'a, T> {
    /// Nothing asked yet.
    Start,
    /// Reading the changed objects (deleted ones included, for documents).
    Changes(BoxStream<'a, Result<T, Error>>),
    /// Handing out the objects missing from the live list, after a second look.
    Deletions(std::vec::IntoIter<(T, bool)>),
    Finished,
}

impl<'a, T: Synced> SyncRun<'a, T> {
    fn new(client: &'a Client, company: Uuid, since: Option<&Checkpoint>) -> Result<Self, Error> {
        let refused =
            |why: String| Error::new(ErrorKind::InvalidRequest, format!("checkpoint: {why}"));
        if let Some(checkpoint) = since {
            if checkpoint.v != VERSION {
                return Err(refused(format!(
                    "version {} is not one this crate reads ({VERSION})",
                    checkpoint.v
                )));
            }
            if checkpoint.kind != T::KIND {
                return Err(refused(format!(
                    "it is a checkpoint of {}, not {}",
                    checkpoint.kind,
                    T::KIND
                )));
            }
            if checkpoint.company != company {
                return Err(refused(format!(
                    "it is company {}'s, not {company}'s",
                    checkpoint.company
                )));
            }
        }
        let (day, seen) = since.map(|c| (c.day, c.seen.clone())).unwrap_or_default();
        Ok(Self {
            client,
            company,
            since: day,
            next_day: day,
            next_seen: seen.clone(),
            seen,
            stage: Stage::Start,
            live: HashSet::new(),
            maybe_deleted: Vec::new(),
        })
    }

    /// The next change, or `None` when the run has delivered them all.
    ///
    /// # Errors
    ///
    /// Any error of the list requests; the run cannot go on after one (start a new one from
    /// the same checkpoint: nothing is lost, some changes come again).
    pub async fn next(&mut self) -> Result<Option<Change<T>>, Error> {
        loop {
            match &mut self.stage {
                Stage::Start => {
                    if T::DELETABLE {
                        self.live = self.live_ids().await?;
                    }
                    self.stage =
                        Stage::Changes(T::list(self.client, self.company, self.since, true));
                }
                Stage::Changes(stream) => match stream.next().await {
                    Some(item) => {
                        let item = item?;
                        if !self.record(&item) {
                            continue;
                        }
                        if T::DELETABLE && !self.live.contains(&item.key()) {
                            self.maybe_deleted.push(item);
                            continue;
                        }
                        return Ok(Some(Change::Changed(item)));
                    }
                    None => {
                        // Listed with deleted ones but not in the live list: deleted, or made
                        // after the live list was read. A second look tells which.
                        let held = std::mem::take(&mut self.maybe_deleted);
                        let decided = if held.is_empty() {
                            Vec::new()
                        } else {
                            let live = self.live_ids().await?;
                            held.into_iter()
                                .map(|item| {
                                    let alive = live.contains(&item.key());
                                    (item, alive)
                                })
                                .collect()
                        };
                        self.stage = Stage::Deletions(decided.into_iter());
                    }
                },
                Stage::Deletions(held) => match held.next() {
                    Some((item, true)) => return Ok(Some(Change::Changed(item))),
                    Some((item, false)) => return Ok(Some(Change::Deleted(item))),
                    None => self.stage = Stage::Finished,
                },
                Stage::Finished => return Ok(None),
            }
        }
    }

    /// The checkpoint to store once every change of this run is handled.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`] before [`SyncRun::next`] has returned `None`: a checkpoint of
    /// an unfinished run would skip what it has not delivered yet.
    pub fn checkpoint(&self) -> Result<Checkpoint, Error> {
        if !matches!(self.stage, Stage::Finished) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                "the sync has not finished: call next() until it returns None, then store the \
                 checkpoint",
            ));
        }
        Ok(Checkpoint {
            v: VERSION,
            kind: T::KIND.to_owned(),
            company: self.company,
            day: self.next_day,
            seen: self.next_seen.clone(),
        })
    }

    /// The ids of the objects listed without deleted ones.
    async fn live_ids(&self) -> Result<HashSet<String>, Error> {
        let mut ids = HashSet::new();
        let mut stream = T::list(self.client, self.company, self.since, false);
        while let Some(item) = stream.next().await {
            ids.insert(item?.key());
        }
        Ok(ids)
    }

    /// Notes `item` for the next checkpoint; false when it was delivered already (same id,
    /// same `updated`, on the checkpoint's day).
    fn record(&mut self, item: &T) -> bool {
        let key = item.key();
        let stamp = item.stamp().to_string();
        if self.seen.get(&key) == Some(&stamp) {
            return false;
        }
        let day = item.stamp().as_datetime().date_naive();
        match self.next_day {
            Some(latest) if day < latest => {}
            Some(latest) if day == latest => {
                self.next_seen.insert(key, stamp);
            }
            _ => {
                self.next_day = Some(day);
                self.next_seen = BTreeMap::from([(key, stamp)]);
            }
        }
        true
    }
}
