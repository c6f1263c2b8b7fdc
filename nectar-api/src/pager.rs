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
//! than the client's limit on requests in flight) and yielded in order. The pager stops at
//! `hasNext == false`, at an empty page, or past `totalPages`, and refuses a server that answers
//! a page other than the one asked for (a repeated page would duplicate items; a skipped one
//! would lose them).
//!
//! In order, a page that must wait (a `429` and its `Retry-After`) holds up the pages after it:
//! they are fetched, but held, and no new one is asked for. For exports where order does not
//! matter, [`Pager::unordered`] yields each page as it arrives and asks for the next at once, so
//! a throttled page costs only its own wait (BENCHMARKS.md, "Under throttling").

use std::{future::Future, pin::Pin};

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
    /// The next page number to send for (past `u32::MAX`: none is left to ask for).
    next: u64,
    /// Pages known to exist, from the latest answer (0 before the first).
    total_pages: u64,
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

    fn ordered(&self) -> bool {
        matches!(self, Queue::Ordered(_))
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
        self.next += 1;
        let request = self.request.clone().with_page(page);
        // A combinator, not an `async` block: rustc before 1.92 cannot prove an async block's
        // lifetime bound here (rust-lang/rust#100013), and the MSRV is lower.
        self.in_flight.push(Box::pin(
            request.send_page().map(move |answer| (page, answer)),
        ));
        true
    }

    async fn next_page(&mut self) -> Option<Result<R::Page, Error>> {
        loop {
            if self.done {
                return None;
            }
            if self.total_pages == 0 {
                // The first page goes alone: it tells how many there are.
                if self.in_flight.is_empty() && !self.launch_next() {
                    return self.stop(None);
                }
            } else {
                while self.in_flight.len() < self.concurrency
                    && self.next <= self.total_pages
                    && self.launch_next()
                {}
            }
            let Some((asked, result)) = self.in_flight.next().await else {
                // Unordered: every page asked for has come.
                return self.stop(None);
            };
            let page = match result {
                Ok(page) => page.into_inner(),
                Err(error) => return self.stop(Some(Err(error))),
            };
            let ordered = self.in_flight.ordered();
            let answered = page.current_page();
            if answered != u64::from(asked) {
                if page.total_pages() < u64::from(asked) {
                    // The list shrank while we read it: the server clamped to its last page,
                    // which was read already (in order) or is being read (unordered).
                    if ordered {
                        return self.stop(None);
                    }
                    continue;
                }
                return self.stop(Some(Err(Error::new(
                    ErrorKind::Pagination,
                    format!(
                        "asked for page {asked}, Nectar answered page {answered} of {}; stopping \
                         so no item is duplicated or lost",
                        page.total_pages()
                    ),
                ))));
            }
            if ordered {
                self.total_pages = page.total_pages();
                if page.items().is_empty() && asked > 1 {
                    return self.stop(None);
                }
                if !page.has_next() || u64::from(asked) >= self.total_pages {
                    self.done = true;
                    self.in_flight.clear();
                }
            } else {
                // Answers come in any order: the largest count seen is the one to read to.
                self.total_pages = self.total_pages.max(page.total_pages());
                if page.items().is_empty() && asked > 1 {
                    continue;
                }
            }
            return Some(Ok(page));
        }
    }

    fn stop(&mut self, last: Option<Result<R::Page, Error>>) -> Option<Result<R::Page, Error>> {
        self.done = true;
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
            next: u64::from(self.first_page),
            total_pages: 0,
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
