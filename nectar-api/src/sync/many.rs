//! Syncing many companies in one process: [`Client::sync_companies`] runs their syncs
//! concurrently under the client's one limit, and hands over each company as soon as its run is
//! done, with its changes and its new checkpoint, so a crash loses no finished company's
//! progress.

use std::fmt;

use futures_util::{StreamExt, stream::BoxStream};
use uuid::Uuid;

use super::{Change, Checkpoint, SyncRun, Synced};
use crate::{Client, Error};

/// One company's finished run: every change since its checkpoint, then the checkpoint to store
/// for it (after handling the changes).
pub struct CompanySync<T: Synced> {
    /// The company.
    pub company: Uuid,
    /// Its changes, in the order its run gave them.
    pub changes: Vec<Change<T>>,
    /// Its new checkpoint.
    pub checkpoint: Checkpoint,
}

impl<T: Synced> fmt::Debug for CompanySync<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompanySync")
            .field("company", &self.company)
            .field("changes", &self.changes.len())
            .field("checkpoint", &self.checkpoint)
            .finish()
    }
}

/// A company whose run failed; the others go on, and its stored checkpoint stays as it was (run
/// it again later).
#[derive(Debug)]
pub struct CompanyFailure {
    /// The company.
    pub company: Uuid,
    /// Why its run failed.
    pub error: Error,
}

impl Client {
    /// The syncs of many companies (each from its stored checkpoint, `None` the first time),
    /// `concurrency` companies at a time (at least 1), every request under this client's limit
    /// on requests in flight. Each company comes out as soon as its run is done, in the order
    /// they finish; a failed company is a [`CompanyFailure`] and does not stop the others.
    ///
    /// Memory: the changes of the companies in progress (a company's changes are handed over
    /// whole, with its checkpoint, so they can be stored together).
    ///
    /// ```no_run
    /// # async fn run(client: &nectar_api::Client, stored: Vec<(uuid::Uuid, Option<nectar_api::sync::Checkpoint>)>) {
    /// use nectar_api::{StreamExt, types::Document};
    ///
    /// let mut companies = client.sync_companies::<Document>(stored, 8);
    /// while let Some(done) = companies.next().await {
    ///     match done {
    ///         Ok(company) => { /* store company.changes, then company.checkpoint */ }
    ///         Err(failure) => eprintln!("{}: {}", failure.company, failure.error),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn sync_companies<'a, T: Synced + 'a>(
        &'a self,
        companies: impl IntoIterator<Item = (Uuid, Option<Checkpoint>)> + Send + 'a,
        concurrency: usize,
    ) -> BoxStream<'a, Result<CompanySync<T>, CompanyFailure>>
    where
        <T as Synced>::Id: Send,
    {
        let companies: Vec<(Uuid, Option<Checkpoint>)> = companies.into_iter().collect();
        futures_util::stream::iter(companies)
            .map(move |(company, since)| async move {
                let run = async {
                    let mut run: SyncRun<'_, T> = SyncRun::new(self, company, since.as_ref())?;
                    let mut changes = Vec::new();
                    while let Some(change) = run.next().await? {
                        changes.push(change);
                    }
                    let checkpoint = run.checkpoint()?;
                    Ok::<_, Error>(CompanySync {
                        company,
                        changes,
                        checkpoint,
                    })
                };
                run.await.map_err(|error| CompanyFailure { company, error })
            })
            .buffer_unordered(concurrency.max(1))
            .boxed()
    }
}
