//! One pager for every page/limit list endpoint.
//!
//! Nectar pages lists with `page` (from 1) and, on some endpoints, `limit`, and answers an
//! envelope `{total<Items>, perPage, totalPages, currentPage, hasNext, hasPrevious, <items>}`.
//! The generated code implements [`Page`] for every envelope and [`PagedRequest`] for every list
//! operation's builder; [`Paginate`] then gives every list builder `.pages()` and `.items()`:
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use nectar_api::{pager::Paginate, types::ConnectionStatus};
//!
//! # async fn run(client: &nectar_api::Client, company: uuid::Uuid) -> Result<(), nectar_api::Error> {
//! let broken: Vec<_> = client
//!     .list_company_connections()
//!     .company_id(company)
//!     .status(ConnectionStatus::PasswordIncorrect) // kept on every page
//!     .limit(500u32)
//!     .items()
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! The first page is fetched alone; once it tells how many pages there are, the rest are fetched
//! concurrently (at most [`DEFAULT_CONCURRENCY`] at a time unless configured, and never more
//! than the client's limit on requests in flight) and yielded in order.
//!
//! # How a list ends, and what is refused
//!
//! Both streams (in order and [`Pager::unordered`]) end the same way: at the first page that
//! says `hasNext: false`, at the first empty page after the first, or at `totalPages`, whichever
//! comes first; no page past it is asked for, so a page that claims a million pages costs at
//! most the pages that exist plus the concurrency. Offset pages read while the list changes can
//! skip or repeat items, so the pager refuses, with [`ErrorKind::Pagination`]:
//!
//! - a page other than the one asked for (a repeated page would duplicate items; a skipped one
//!   would lose them);
//! - a page whose totals (`total<Items>`, `totalPages`) differ from the first page's: the list
//!   grew or shrank while it was read, and the message names both counts;
//! - an item (by its `id`) that an earlier page gave: the list moved while it was read, so
//!   with its totals unchanged another item was skipped;
//! - a list that ends with a number of items other than its pages claimed (read from page 1
//!   only; [`Pager::starting_at`] a later page skips this check). This error comes after the
//!   items, as the stream's last element, so a `try_collect` gives the error, never a short list.
//!
//! So a list whose items only move while it is read (its totals unchanged) ends `Ok` only with
//! every item once: as many distinct ids as it claims, all of them in it. What no pager can
//! see: as many items added as removed between two page requests, which leaves every total as
//! it was and can shift an item out of view. [`crate::sync`] tells that by the items' stamps;
//! read again when you need a snapshot of a list that changes. The pager remembers 8 bytes per
//! item (a hash of its id) to do this.
//!
//! In order, a page that must wait (a `429` and its `Retry-After`) holds up the pages after it:
//! they are fetched, but held, and no new one is asked for. For exports where order does not
//! matter, [`Pager::unordered`] yields each page as it arrives and asks for the next at once, so
//! a throttled page costs only its own wait (BENCHMARKS.md, "Under throttling").

use std::{
    collections::{BTreeSet, HashSet},
    future::Future,
    pin::Pin,
};

use futures_util::{
    FutureExt, StreamExt, TryStreamExt,
    stream::{self, BoxStream, FuturesOrdered, FuturesUnordered},
};

use crate::{Error, ResponseValue, error::ErrorKind};

/// How many pages are fetched at once by default. Nectar asks for at most 10 concurrent
/// requests per integration; the client keeps to that across all pagers and calls
/// ([`ClientBuilder::max_concurrency`](crate::ClientBuilder::max_concurrency)), so a pager may
/// ask for as many.
pub const DEFAULT_CONCURRENCY: usize = 10;

/// The most pages a pager fetches at once; a larger [`Pager::concurrency`] is clamped to it.
pub const MAX_CONCURRENCY: usize = 64;

/// A page envelope. Implemented by the generated code for every envelope of the spec.
pub trait Page: Send + 'static {
    /// What the page lists.
    type Item: Send + 'static;
    /// This page's number, from 1.
    fn current_page(&self) -> u64;
    /// How many pages there are.
    fn total_pages(&self) -> u64;
    /// How many items match, over all pages.
    fn total_items(&self) -> u64;
    /// Whether a later page exists.
    fn has_next(&self) -> bool;
    /// The items of this page.
    fn items(&self) -> &[Self::Item];
    /// The items of this page, owned.
    fn into_items(self) -> Vec<Self::Item>;
    /// A hash of the item's `id`, for items that have one: the pager refuses a list that gives
    /// an id twice. `None` (the default): the item has no id.
    fn item_key(item: &Self::Item) -> Option<u64> {
        let _ = item;
        None
    }
}

/// The hash [`Page::item_key`] gives: the same for equal ids in every process (SipHash with
/// fixed keys).
#[doc(hidden)]
pub fn key_of<T: std::hash::Hash + ?Sized>(id: &T) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

/// A list operation's request builder, with its filters set. Implemented by the generated code
/// for every operation that answers a [`Page`].
pub trait PagedRequest<'a>: Clone + Send + Sized + 'a {
    /// The envelope it answers.
    type Page: Page;
    /// The same request for page `page`.
    fn with_page(self, page: u32) -> Self;
    /// Sends it.
    fn send_page(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Page>, Error>> + Send + 'a;
}

/// `.pages()`, `.items()` and `.pager()` on every list builder.
pub trait Paginate<'a>: PagedRequest<'a> {
    /// A configurable pager for this request.
    fn pager(self) -> Pager<Self> {
        Pager {
            request: self,
            concurrency: DEFAULT_CONCURRENCY,
            first_page: 1,
            ordered: true,
        }
    }

    /// Every page, in order, with the default concurrency.
    fn pages(self) -> BoxStream<'a, Result<Self::Page, Error>> {
        self.pager().pages()
    }

    /// Every item of every page, in order, with the default concurrency.
    fn items(self) -> BoxStream<'a, Result<<Self::Page as Page>::Item, Error>> {
        self.pager().items()
    }
}

impl<'a, R: PagedRequest<'a>> Paginate<'a> for R {}

/// A pager over one list request; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Pager<R> {
    request: R,
    concurrency: usize,
    first_page: u32,
    ordered: bool,
}

type PageFuture<'a, P> =
    Pin<Box<dyn Future<Output = (u32, Result<ResponseValue<P>, Error>)> + Send + 'a>>;

struct State<'a, R: PagedRequest<'a>> {
    request: R,
    concurrency: usize,
    /// The page the pager started at.
    first: u64,
    /// The next page number to send for (past `u32::MAX`: none is left to ask for).
    next: u64,
    /// The last page to read: `totalPages` of the first answer, lowered by a page that says it
    /// is the last (`hasNext: false`) or comes back empty. `None` before the first answer.
    last: Option<u64>,
    /// `(total items, total pages)` of the first answer; every later page must repeat them.
    totals: Option<(u64, u64)>,
    /// The pages asked for and not answered yet.
    pending: BTreeSet<u64>,
    /// Items yielded so far.
    count: u64,
    /// The keys of the items yielded so far (items with ids only): 8 bytes an item.
    keys: HashSet<u64>,
    in_flight: Queue<'a, R::Page>,
    done: bool,
}

/// The pages asked for: answered in order, or as they come.
enum Queue<'a, P> {
    Ordered(FuturesOrdered<PageFuture<'a, P>>),
    Unordered(FuturesUnordered<PageFuture<'a, P>>),
}

impl<'a, P> Queue<'a, P> {
    fn len(&self) -> usize {
        match self {
            Queue::Ordered(queue) => queue.len(),
            Queue::Unordered(queue) => queue.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, page: PageFuture<'a, P>) {
        match self {
            Queue::Ordered(queue) => queue.push_back(page),
            Queue::Unordered(queue) => queue.push(page),
        }
    }

    async fn next(&mut self) -> Option<(u32, Result<ResponseValue<P>, Error>)> {
        match self {
            Queue::Ordered(queue) => queue.next().await,
            Queue::Unordered(queue) => queue.next().await,
        }
    }

    /// Drops what is in flight.
    fn clear(&mut self) {
        *self = match self {
            Queue::Ordered(_) => Queue::Ordered(FuturesOrdered::new()),
            Queue::Unordered(_) => Queue::Unordered(FuturesUnordered::new()),
        };
    }
}

impl<'a, R: PagedRequest<'a>> State<'a, R> {
    /// Sends for page `next` and moves on; false when no page number is left.
    fn launch_next(&mut self) -> bool {
        let Ok(page) = u32::try_from(self.next) else {
            return false;
        };
        self.pending.insert(self.next);
        self.next += 1;
        let request = self.request.clone().with_page(page);
        // A combinator, not an `async` block: rustc before 1.92 cannot prove an async block's
        // lifetime bound here (rust-lang/rust#100013), and the MSRV is lower.
        self.in_flight.push(Box::pin(
            request.send_page().map(move |answer| (page, answer)),
        ));
        true
    }

    /// Whether every page up to the last has come (true only once the first has).
    fn complete(&self) -> bool {
        self.last.is_some_and(|last| {
            (self.next > last || self.next > u64::from(u32::MAX))
                && self.pending.range(..=last).next().is_none()
        })
    }

    async fn next_page(&mut self) -> Option<Result<R::Page, Error>> {
        loop {
            if self.done {
                return None;
            }
            if self.complete() {
                return self.finish();
            }
            match self.last {
                // The first page goes alone: it tells how many there are.
                None => {
                    if self.in_flight.is_empty() && !self.launch_next() {
                        return self.stop(None);
                    }
                }
                Some(last) => {
                    while self.in_flight.len() < self.concurrency
                        && self.next <= last
                        && self.launch_next()
                    {}
                }
            }
            let Some((asked, result)) = self.in_flight.next().await else {
                return self.finish();
            };
            let asked = u64::from(asked);
            self.pending.remove(&asked);
            if self.last.is_some_and(|last| asked > last) {
                // Past the end found meanwhile (unordered): not part of the list.
                continue;
            }
            let page = match result {
                Ok(page) => page.into_inner(),
                Err(error) => return self.stop(Some(Err(error))),
            };
            if self.totals.is_none() && page.current_page() != asked && page.total_pages() < asked {
                // Started past the end: the server answered its last page instead of the one
                // asked for, which does not exist. Nothing from here.
                return self.stop(None);
            }
            if let Err(error) = self.check(asked, &page) {
                return self.stop(Some(Err(error)));
            }
            let last = self.last.get_or_insert(page.total_pages().max(asked));
            if page.items().is_empty() && asked > self.first {
                *last = (*last).min(asked - 1);
                continue;
            }
            if !page.has_next() {
                *last = (*last).min(asked);
            }
            if let Err(error) = self.distinct(asked, &page) {
                return self.stop(Some(Err(error)));
            }
            self.count = self.count.saturating_add(page.items().len() as u64);
            return Some(Ok(page));
        }
    }

    /// Refuses a page other than the one asked for, or totals other than the first page's.
    fn check(&mut self, asked: u64, page: &R::Page) -> Result<(), Error> {
        let answered = page.current_page();
        let totals = (page.total_items(), page.total_pages());
        if answered != asked {
            return Err(Error::new(
                ErrorKind::Pagination,
                format!(
                    "asked for page {asked}, Nectar answered page {answered} of {}; stopping so \
                     no item is duplicated or lost",
                    totals.1
                ),
            ));
        }
        match self.totals {
            None => self.totals = Some(totals),
            Some(first) if first != totals => {
                let change = match totals.0.cmp(&first.0) {
                    std::cmp::Ordering::Less => "shrank",
                    std::cmp::Ordering::Equal => "changed",
                    std::cmp::Ordering::Greater => "grew",
                };
                return Err(Error::new(
                    ErrorKind::Pagination,
                    format!(
                        "the list {change} while it was read: page {} said {} items in {} pages, \
                         page {asked} says {} items in {} pages; items may have been skipped or \
                         repeated, read it again",
                        self.first, first.0, first.1, totals.0, totals.1
                    ),
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Refuses an item given before: the list moved while it was read (an item revised in a
    /// list ordered by `updated`, say), so with its totals unchanged another was skipped.
    fn distinct(&mut self, asked: u64, page: &R::Page) -> Result<(), Error> {
        for item in page.items() {
            if let Some(key) = <R::Page as Page>::item_key(item)
                && !self.keys.insert(key)
            {
                return Err(Error::new(
                    ErrorKind::Pagination,
                    format!(
                        "page {asked} repeats an item of an earlier page: the list moved while \
                         it was read, so another item may have been skipped; read it again"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Ends the list: an error when, read from page 1, it held fewer or more items than its
    /// pages claimed.
    fn finish(&mut self) -> Option<Result<R::Page, Error>> {
        let claimed = self.totals.map(|(items, _)| items);
        let wrong = claimed.filter(|claimed| self.first == 1 && *claimed != self.count);
        self.stop(wrong.map(|claimed| {
            Err(Error::new(
                ErrorKind::Pagination,
                format!(
                    "the list ended after {} items, its pages claimed {claimed}; items were \
                     skipped or the totals are wrong, read it again",
                    self.count
                ),
            ))
        }))
    }

    fn stop(&mut self, last: Option<Result<R::Page, Error>>) -> Option<Result<R::Page, Error>> {
        self.done = true;
        self.pending.clear();
        self.in_flight.clear();
        last
    }
}

impl<'a, R: PagedRequest<'a>> Pager<R> {
    /// How many pages may be in flight at once (1 reads page after page; clamped to 1 ..=
    /// [`MAX_CONCURRENCY`]).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// Start at this page instead of 1 (0 counts as 1).
    pub fn starting_at(mut self, page: u32) -> Self {
        self.first_page = page.max(1);
        self
    }

    /// Yield pages (and their items) as they arrive, not in page order: a page that must wait
    /// (a `429` and its `Retry-After`) holds up no other, and the pager asks for the next page as
    /// soon as one arrives, at most its concurrency in flight. Every page still comes exactly
    /// once. For exports where order does not matter.
    pub fn unordered(mut self) -> Self {
        self.ordered = false;
        self
    }

    /// Every page, in order (unless [`unordered`](Self::unordered)). After an error the stream
    /// ends.
    pub fn pages(self) -> BoxStream<'a, Result<R::Page, Error>> {
        let state = State {
            request: self.request,
            concurrency: self.concurrency,
            first: u64::from(self.first_page),
            next: u64::from(self.first_page),
            last: None,
            totals: None,
            pending: BTreeSet::new(),
            count: 0,
            keys: HashSet::new(),
            in_flight: if self.ordered {
                Queue::Ordered(FuturesOrdered::new())
            } else {
                Queue::Unordered(FuturesUnordered::new())
            },
            done: false,
        };
        stream::unfold(state, |mut state| async move {
            let page = state.next_page().await?;
            Some((page, state))
        })
        .boxed()
    }

    /// Every item of every page, in order (unless [`unordered`](Self::unordered): then page by
    /// page as they arrive, each page's items in order). After an error the stream ends.
    pub fn items(self) -> BoxStream<'a, Result<<R::Page as Page>::Item, Error>> {
        self.pages()
            .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}
