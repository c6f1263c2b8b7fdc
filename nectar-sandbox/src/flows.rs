//! The documented sandbox flow as reusable steps, through the public client: a company, its
//! sites, a connection with the sandbox credentials.

use nectar_api::{
    Client, Error,
    types::{Connection, ConnectionCreate, Country},
};
use uuid::Uuid;

use crate::{SANDBOX_URL, SANDBOX_USERNAME};

/// Creates a company named `name` with `sites` sites ("Plant 0", "Plant 1", ...).
pub async fn company_with_sites(
    client: &Client,
    name: &str,
    sites: usize,
) -> Result<(Uuid, Vec<Uuid>), Error> {
    let company = client
        .create_company()
        .body_map(|b| b.name(name).external_id(Some(format!("{name}-ext"))))
        .send()
        .await?
        .into_inner();
    let mut site_ids = Vec::with_capacity(sites);
    for index in 0..sites {
        let address = format!("{index} Main St");
        let site = client
            .create_site()
            .company_id(company.id)
            .body_map(|b| {
                b.name(format!("Plant {index}"))
                    .address(address.as_str().try_into().ok())
            })
            .send()
            .await?;
        site_ids.push(site.into_inner().id);
    }
    Ok((company.id, site_ids))
}

/// A connection body for the sandbox provider with `password` (the sandbox's password connects;
/// any other ends in `PASSWORD_INCORRECT`).
pub fn sandbox_body(sites: &[Uuid], password: &str) -> Result<ConnectionCreate, Error> {
    ConnectionCreate::builder()
        .url(SANDBOX_URL)
        .username(SANDBOX_USERNAME)
        .password(password)
        .initial_sites(sites.to_vec())
        .country(Country::Us)
        .workflow_owner_email(Some("owner@example.com".to_owned()))
        .try_into()
        .map_err(Error::from)
}

/// A company with `sites` sites and a connection to the sandbox provider with `password`.
pub async fn sandbox_connection(
    client: &Client,
    sites: usize,
    password: &str,
) -> Result<(Uuid, Vec<Uuid>, Connection), Error> {
    let (company_id, site_ids) = company_with_sites(client, "Sandbox Co", sites).await?;
    let connection = client
        .create_connection()
        .company_id(company_id)
        .body(sandbox_body(&site_ids, password)?)
        .send()
        .await?
        .into_inner();
    Ok((company_id, site_ids, connection))
}
