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
//!         Change::Deleted(id) => { /* drop document `id` and its usage rows */ }
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
//! A consumer that upserts every [`Change::Changed`] by id, removes every [`Change::Deleted`],
//! and stores [`SyncRun::checkpoint`] after handling a run's changes, gets these, whatever order
//! the server lists in and whatever changes while a run reads:
//!
//! 1. **Nothing live is reported deleted.** [`Change::Deleted`] comes only for a document that
//!    was soft-deleted when the run looked: listed with `isDeleted=true` and missing from a
//!    live listing that is read whole after it (same totals on every page, as many distinct ids
//!    as it claims, every one of them listed with the changes).
//! 2. **Nothing is lost.** After any sequence of runs (stored or crashed before storing), one run
//!    during which nothing changes leaves the consumer with exactly the server's live objects,
//!    each as last changed. A run that sees its lists change while it reads them (totals that
//!    move, an id listed twice, for usage a row stamped within [`CLOCK_TOLERANCE`] of the run's
//!    start) keeps its checkpoint's day, so the next run reads that span again; a document it
//!    cannot classify (listed with the deleted ones, not yet known live) is held back, not
//!    delivered, and comes in a later run.
//! 3. **Deletions come promptly.** A document deleted before a run starts is reported deleted
//!    by that run, unless the run sees its lists change (then by the first run that does not).
//!    A document deleted while a run reads may come as `Changed` in that run and as `Deleted`
//!    in the same or the next one.
//! 4. **At least once.** A change may come twice (after a crash, or a span read again); handle
//!    changes idempotently. Within one day, changes already delivered are dropped: the
//!    checkpoint keeps the id and `updated` of each object delivered on its day.
//! 5. **A stamp is data, not a clock.** The checkpoint's day never passes the run's "now" (the
//!    system clock, or [`SyncRun::now`]). An object stamped later than now plus
//!    [`CLOCK_TOLERANCE`] is delivered, logged with a `tracing` warning naming it, and comes
//!    again in later runs until its stamp is in the past; it never blinds a run to the changes
//!    after it. A checkpoint whose `day` is later than now is refused.
//! 6. **Memory.** A run holds ids and stamps (not objects) of what it listed, and at most the
//!    pager's pages in flight: (concurrency + 2) pages of objects, whatever the server lists.
//!
//! Usage rows are only ever [`Change::Changed`]: a soft-deleted document's rows leave the usage
//! lists, so drop them by the document's id when its deletion comes. All of this relies on
//! Nectar stamping `updated` on every change, soft deletion included.
//!
//! How: a document run lists the live documents (ids only), then the changes with the deleted
//! ones (each delivered at once when known live, else held as an id), then the live ones again;
//! an id listed with the changes but missing from that second live listing is a deletion, when
//! both listings read whole. Cost: three short listings, about four requests for 100 changed
//! documents of 10,000, where a full pull reads every page (BENCHMARKS.md).

mod many;

pub use many::{CompanyFailure, CompanySync};

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fmt::{self, Debug, Display},
    hash::Hash,
    str::FromStr,
    time::Duration,
};

use chrono::NaiveDate;
use futures_util::{StreamExt, stream::BoxStream};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Client, Error, ErrorKind, Paginate, Timestamp, escape,
    types::{DateType, Document, UsageData},
};

/// How far a server's clock may be ahead of the run's before a stamp counts as being in the
/// future, and how close to a run's start a usage row's stamp makes the run assume the row
/// entered the list while it read.
pub const CLOCK_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The most objects stamped in the future one run names in a warning; past that, one summary.
const FUTURE_WARNINGS: usize = 10;

/// Where a sync got to: store it (it is serializable, e.g. as JSON) after handling a run's
/// changes, and hand it to the next run. Its contents are the crate's own and may change
/// between versions; a checkpoint of another company or kind, or one whose fields contradict
/// each other, is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The format's version.
    v: u32,
    /// `documents` or `usage`.
    kind: String,
    company: Uuid,
    /// The UTC day the next run starts at; never later than the run's clock.
    day: Option<NaiveDate>,
    /// `id` -> `updated` of the objects updated on `day`, delivered already.
    seen: BTreeMap<String, String>,
}

const VERSION: u32 = 1;

/// One change of a sync: the two things that can happen to an object.
#[derive(Clone, Debug)]
pub enum Change<T: Synced> {
    /// Created or updated since the checkpoint (or, on a first run, existing).
    Changed(T),
    /// Soft-deleted since the checkpoint (documents only): the object's id.
    Deleted(T::Id),
}

/// What a sync needs of the objects it syncs.
pub trait Synced: Sized + Send + 'static {
    /// The checkpoint's `kind`.
    #[doc(hidden)]
    const KIND: &'static str;
    /// Whether the objects can be soft-deleted (listed only with `isDeleted=true`).
    #[doc(hidden)]
    const DELETABLE: bool;
    /// The object's id (`Uuid` for documents, `String` for usage rows).
    type Id: Clone + Eq + Ord + Hash + Display + FromStr + Debug + Send + Sync + 'static;
    /// The object's id.
    fn id(&self) -> Self::Id;
    /// When it last changed (when it was made, if Nectar sent no `updated`).
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

    type Id = Uuid;

    fn id(&self) -> Uuid {
        self.id
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

    type Id = String;

    fn id(&self) -> String {
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
    /// [`ErrorKind::InvalidRequest`] for a checkpoint of another company or kind, of a version
    /// this crate does not read, or whose fields contradict each other (`seen` without a `day`,
    /// a `seen` stamp not on `day`, an id that is not one); the message names the field. A
    /// checkpoint whose `day` is later than the run's clock is refused by the run's first
    /// [`SyncRun::next`].
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
    /// The checkpoint's delivered objects of day `since`.
    seen: HashMap<T::Id, Timestamp>,
    /// The run's "now": set by [`SyncRun::now`], else read when the run starts.
    now: Option<Timestamp>,
    stage: Stage<'a, T>,
    /// The ids of the first live listing (documents only).
    live: HashSet<T::Id>,
    /// Every object the changes listing gave, by id: its stamp and what became of it.
    listed: HashMap<T::Id, Listed>,
    /// Whether the changes listing was read whole, with nothing changing under it.
    whole: bool,
    /// The earliest day of an object held back for a later run.
    floor: Option<NaiveDate>,
    /// Objects stamped later than now plus the tolerance, this run.
    future: usize,
}

/// An object the changes listing gave.
#[derive(Clone, Copy, Debug)]
struct Listed {
    stamp: Timestamp,
    fate: Fate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// In the checkpoint's `seen` with the same stamp: delivered by an earlier run.
    Known,
    /// Delivered as changed.
    Changed,
    /// Listed with the deleted ones, not in the first live listing: not delivered yet.
    Undecided,
    /// Delivered as deleted.
    Deleted,
    /// Not decided this run: the next run delivers it.
    HeldBack,
}

impl<T: Synced> Debug for SyncRun<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncRun")
            .field("kind", &T::KIND)
            .field("company", &self.company)
            .field("since", &self.since)
            .field("finished", &matches!(self.stage, Stage::Finished))
            .finish()
    }
}

enum Stage<'a, T: Synced> {
    /// Nothing asked yet.
    Start,
    /// Reading the changed objects (deleted ones included, for documents).
    Changes(BoxStream<'a, Result<T, Error>>),
    /// The changes are read: the second live listing decides the undecided (documents).
    Confirm,
    /// Handing out the deletions.
    Deletions(std::vec::IntoIter<T::Id>),
    Finished,
    /// A request failed: the run cannot go on.
    Failed,
}

impl<'a, T: Synced> SyncRun<'a, T> {
    fn new(client: &'a Client, company: Uuid, since: Option<&Checkpoint>) -> Result<Self, Error> {
        let (day, seen) = match since {
            Some(checkpoint) => (checkpoint.day, checked::<T>(checkpoint, company)?),
            None => (None, HashMap::new()),
        };
        Ok(Self {
            client,
            company,
            since: day,
            seen,
            now: None,
            stage: Stage::Start,
            live: HashSet::new(),
            listed: HashMap::new(),
            whole: true,
            floor: None,
            future: 0,
        })
    }

    /// Takes `now` as the run's present instead of the system clock: the latest day its
    /// checkpoint may hold, what counts as stamped in the future, and how fresh a stamp is. For
    /// tests with a pinned clock, and for processes that keep their own.
    pub fn now(mut self, now: impl Into<Timestamp>) -> Self {
        self.now = Some(now.into());
        self
    }

    /// The next change, or `None` when the run has delivered them all.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`] for a checkpoint whose `day` is later than the run's now;
    /// any error of the list requests but [`ErrorKind::Pagination`] (a list that changed while
    /// read, which the run handles as the guarantees say). The run cannot go on after an error
    /// (start a new one from the same checkpoint: nothing is lost, some changes come again).
    pub async fn next(&mut self) -> Result<Option<Change<T>>, Error> {
        let result = self.step().await;
        if result.is_err() {
            self.stage = Stage::Failed;
        }
        result
    }

    async fn step(&mut self) -> Result<Option<Change<T>>, Error> {
        loop {
            match &mut self.stage {
                Stage::Start => {
                    let now = *self.now.get_or_insert_with(Timestamp::now);
                    let today = now.as_datetime().date_naive();
                    if let Some(day) = self.since.filter(|day| *day > today) {
                        return Err(refused(format!(
                            "`day` {day} is later than today ({today}, by this run's clock); a \
                             run never stores a day ahead of its clock"
                        )));
                    }
                    if T::DELETABLE {
                        self.live = self.live_ids().await?.0;
                    }
                    self.stage =
                        Stage::Changes(T::list(self.client, self.company, self.since, true));
                }
                Stage::Changes(stream) => match stream.next().await {
                    Some(Ok(item)) => {
                        if let Some(change) = self.listed(item) {
                            return Ok(Some(change));
                        }
                    }
                    Some(Err(error)) if error.kind() == ErrorKind::Pagination => {
                        self.moved(&error);
                        self.whole = false;
                        self.stage = Stage::Confirm;
                    }
                    Some(Err(error)) => return Err(error),
                    None => self.stage = Stage::Confirm,
                },
                Stage::Confirm => {
                    let deletions = if T::DELETABLE {
                        self.confirm().await?
                    } else {
                        Vec::new()
                    };
                    self.stage = Stage::Deletions(deletions.into_iter());
                }
                Stage::Deletions(ids) => match ids.next() {
                    Some(id) => return Ok(Some(Change::Deleted(id))),
                    None => self.stage = Stage::Finished,
                },
                Stage::Finished => return Ok(None),
                Stage::Failed => {
                    return Err(Error::new(
                        ErrorKind::InvalidRequest,
                        "this sync run failed; start a new one from the same checkpoint",
                    ));
                }
            }
        }
    }

    /// Notes an object of the changes listing; the change to hand out now, if any.
    fn listed(&mut self, item: T) -> Option<Change<T>> {
        let id = item.id();
        let stamp = *item.stamp();
        self.warn_if_future(&id, stamp);
        if let Some(before) = self.listed.get(&id) {
            // Listed twice in one listing: the list moved while it was read.
            self.whole = false;
            if before.stamp == stamp {
                return None;
            }
        }
        let fate = if self.seen.get(&id) == Some(&stamp) {
            Fate::Known
        } else if !T::DELETABLE {
            if self.fresh(stamp) {
                // It may have entered the list while it was read, shifting another out of view.
                self.whole = false;
            }
            Fate::Changed
        } else if self.live.contains(&id) {
            Fate::Changed
        } else {
            Fate::Undecided
        };
        self.listed.insert(id, Listed { stamp, fate });
        (fate == Fate::Changed).then_some(Change::Changed(item))
    }

    /// Reads the live documents again and decides: the deletions to hand out; what cannot be
    /// decided is held back.
    async fn confirm(&mut self) -> Result<Vec<T::Id>, Error> {
        if self.listed.is_empty() {
            return Ok(Vec::new());
        }
        let (live, whole) = self.live_ids().await?;
        // Read whole, and nothing in it that the changes listing did not have (which would mean
        // an object entered the lists after the changes were read): then whatever it lacks of
        // the changes listing was deleted.
        let trusted = self.whole && whole && live.iter().all(|id| self.listed.contains_key(id));
        let mut deletions = Vec::new();
        let mut floor = self.floor;
        for (id, listed) in &mut self.listed {
            let alive = live.contains(id);
            match listed.fate {
                Fate::Changed if alive => {}
                Fate::Changed | Fate::Undecided if !alive && trusted => {
                    listed.fate = Fate::Deleted;
                    deletions.push(id.clone());
                }
                Fate::Changed | Fate::Undecided => {
                    listed.fate = Fate::HeldBack;
                    let day = day_of(listed.stamp);
                    floor = Some(floor.map_or(day, |floor| floor.min(day)));
                }
                Fate::Known | Fate::Deleted | Fate::HeldBack => {}
            }
        }
        self.floor = floor;
        deletions.sort();
        Ok(deletions)
    }

    /// The checkpoint to store once every change of this run is handled.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`] before [`SyncRun::next`] has returned `None`: a checkpoint of
    /// an unfinished run would skip what it has not delivered yet.
    pub fn checkpoint(&self) -> Result<Checkpoint, Error> {
        let (Stage::Finished, Some(now)) = (&self.stage, self.now) else {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                "the sync has not finished: call next() until it returns None, then store the \
                 checkpoint",
            ));
        };
        let today = day_of(now);
        let delivered = |fate: Fate| matches!(fate, Fate::Known | Fate::Changed | Fate::Deleted);
        let latest = self
            .listed
            .values()
            .filter(|listed| delivered(listed.fate))
            .map(|listed| day_of(listed.stamp).min(today))
            .max();
        let mut day = match (self.since, latest) {
            (Some(since), Some(latest)) => Some(since.max(latest)),
            (since, latest) => since.or(latest),
        };
        if !self.whole {
            // The changes listing may have skipped an object of any day since the last one.
            day = self.since;
        }
        if let (Some(floor), Some(current)) = (self.floor, day) {
            day = Some(current.min(floor));
        }
        let mut seen = BTreeMap::new();
        if let Some(day) = day {
            let old = self
                .seen
                .iter()
                .filter(|(id, _)| !self.listed.contains_key(*id))
                .map(|(id, stamp)| (id, *stamp));
            let new = self
                .listed
                .iter()
                .filter(|(_, listed)| delivered(listed.fate))
                .map(|(id, listed)| (id, listed.stamp));
            for (id, stamp) in old.chain(new) {
                if day_of(stamp) == day {
                    seen.insert(id.to_string(), stamp.to_string());
                }
            }
        }
        Ok(Checkpoint {
            v: VERSION,
            kind: T::KIND.to_owned(),
            company: self.company,
            day,
            seen,
        })
    }

    /// The ids of the objects listed without deleted ones, and whether the listing was read
    /// whole (same totals on every page, as many distinct ids as claimed).
    async fn live_ids(&mut self) -> Result<(HashSet<T::Id>, bool), Error> {
        let mut ids = HashSet::new();
        let mut whole = true;
        let mut stream = T::list(self.client, self.company, self.since, false);
        while let Some(item) = stream.next().await {
            match item {
                Ok(item) => whole &= ids.insert(item.id()),
                Err(error) if error.kind() == ErrorKind::Pagination => {
                    self.moved(&error);
                    whole = false;
                    break;
                }
                Err(error) => return Err(error),
            }
        }
        Ok((ids, whole))
    }

    /// Notes a listing that changed while it was read.
    fn moved(&self, error: &Error) {
        tracing::warn!(
            kind = T::KIND,
            company = %self.company,
            error = %error,
            "a list changed while this sync read it; the run delivers what it read and the next \
             one reads the span again"
        );
    }

    /// Whether `stamp` is so recent (by the run's clock) that the object may have changed while
    /// the run read.
    fn fresh(&self, stamp: Timestamp) -> bool {
        let Some(now) = self.now else { return true };
        now.as_datetime()
            .checked_sub_signed(tolerance())
            .is_none_or(|edge| *stamp.as_datetime() >= edge)
    }

    /// Warns about an object stamped later than now plus the tolerance.
    fn warn_if_future(&mut self, id: &T::Id, stamp: Timestamp) {
        let Some(now) = self.now else { return };
        let edge = now.as_datetime().checked_add_signed(tolerance());
        if edge.is_none_or(|edge| *stamp.as_datetime() <= edge) {
            return;
        }
        self.future = self.future.saturating_add(1);
        if self.future <= FUTURE_WARNINGS {
            tracing::warn!(
                kind = T::KIND,
                id = %printable(&id.to_string()),
                updated = %stamp,
                now = %now,
                "an object is stamped later than now: delivered, but it does not move the \
                 checkpoint (a server clock or data error)"
            );
        } else if self.future == FUTURE_WARNINGS + 1 {
            tracing::warn!(
                kind = T::KIND,
                "more objects are stamped later than now; no more are named in this run"
            );
        }
    }
}

/// The error for a checkpoint that cannot be honest.
fn refused(why: String) -> Error {
    Error::new(ErrorKind::InvalidRequest, format!("checkpoint: {why}"))
}

/// The checkpoint's `seen`, after checking that its fields agree with each other and with the
/// run asked for.
fn checked<T: Synced>(
    checkpoint: &Checkpoint,
    company: Uuid,
) -> Result<HashMap<T::Id, Timestamp>, Error> {
    if checkpoint.v != VERSION {
        return Err(refused(format!(
            "`v` {} is not a version this crate reads ({VERSION})",
            checkpoint.v
        )));
    }
    if checkpoint.kind != T::KIND {
        return Err(refused(format!(
            "`kind`: it is a checkpoint of {}, not {}",
            printable(&checkpoint.kind),
            T::KIND
        )));
    }
    if checkpoint.company != company {
        return Err(refused(format!(
            "`company`: it is company {}'s, not {company}'s",
            checkpoint.company
        )));
    }
    let Some(day) = checkpoint.day else {
        if checkpoint.seen.is_empty() {
            return Ok(HashMap::new());
        }
        return Err(refused(format!(
            "`seen` lists {} objects but `day` is null; a checkpoint without a day has seen \
             nothing",
            checkpoint.seen.len()
        )));
    };
    let mut seen = HashMap::with_capacity(checkpoint.seen.len());
    for (key, stamp) in &checkpoint.seen {
        let Ok(id) = key.parse::<T::Id>() else {
            return Err(refused(format!(
                "`seen` key {} is not an id of {}",
                printable(key),
                T::KIND
            )));
        };
        let Ok(parsed) = stamp.parse::<Timestamp>() else {
            return Err(refused(format!(
                "`seen[{}]` {} is not a timestamp",
                printable(key),
                printable(stamp)
            )));
        };
        if day_of(parsed) != day {
            return Err(refused(format!(
                "`seen[{}]` is stamped {parsed}, not on the checkpoint's `day` {day}",
                printable(key)
            )));
        }
        seen.insert(id, parsed);
    }
    Ok(seen)
}

/// The UTC day of a stamp.
fn day_of(stamp: Timestamp) -> NaiveDate {
    stamp.as_datetime().date_naive()
}

/// Text from a checkpoint or a server, with control and invisible characters escaped, at most
/// 100 characters.
fn printable(text: &str) -> String {
    escape::escaped(&text.chars().take(100).collect::<String>())
}

/// [`CLOCK_TOLERANCE`] as chrono counts time.
fn tolerance() -> chrono::Duration {
    chrono::Duration::from_std(CLOCK_TOLERANCE).unwrap_or_default()
}
