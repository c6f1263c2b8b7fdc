//! What an application built on nectar-api might hold: a function that finds every connection of
//! a company that needs the end user, using only the crate's public API and its re-exports.

use std::future::ready;

use nectar_api::{Client, Error, Paginate, TryStreamExt, types::Connection, uuid::Uuid};

/// Every connection of `company` whose status asks the end user to act.
pub async fn needing_the_end_user(
    client: &Client,
    company: Uuid,
) -> Result<Vec<Connection>, Error> {
    client
        .list_company_connections()
        .company_id(company)
        .items()
        .try_filter(|c| ready(c.status.as_ref().is_some_and(|s| s.requires_user_action())))
        .try_collect()
        .await
}
