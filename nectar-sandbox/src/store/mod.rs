//! The emulator's state and the documented behaviour of each operation, without HTTP.
//!
//! Request bodies arrive here already validated against `spec/openapi.json`, so field types are
//! as documented; what is checked here is what a schema cannot say (ownership, existence, the
//! sandbox's rules).

mod account;
mod company;
mod connection;
mod document;
mod filter;
mod invitation;
mod job;
mod meter;
pub(crate) mod query;
mod sandbox_provider;
mod site;
mod usage;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use connection::{ConnectionFilter, Validation};
pub use filter::{DataFilter, normalize_identifier};
pub use invitation::InvitationUse;
pub use job::MAX_UPLOAD;
pub use sandbox_provider::{SeededData, issued_at};

use self::{
    company::Company, connection::Connection, document::Document, invitation::Invitation, job::Job,
    meter::Meter, site::Site, usage::Usage,
};
use super::clock::Clock;

/// The documented sandbox provider: these credentials connect, any others do not.
pub const SANDBOX_URL: &str = "https://nectarclimate.com";
/// Sandbox username.
pub const SANDBOX_USERNAME: &str = "nectar-sandbox-username";
/// Sandbox password.
pub const SANDBOX_PASSWORD: &str = "nectar-sandbox-password";
/// The sandbox accepts 1 to this many sites.
pub const SANDBOX_MAX_SITES: usize = 3;

/// An error answer: status and the `detail` of the `ApiError` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub detail: String,
}

impl Failure {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            detail: detail.into(),
        }
    }

    fn forbidden(what: &str) -> Self {
        Self {
            status: 403,
            detail: format!("You do not have permission to access this {what}."),
        }
    }

    fn not_found(what: &str) -> Self {
        Self {
            status: 404,
            detail: format!("{what} not found."),
        }
    }
}

/// Deterministic ids (splitmix64), so a seeded emulator gives the same ids every run.
#[derive(Debug, Clone)]
pub struct Ids(u64);

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    pub fn uuid(&mut self) -> Uuid {
        let bytes = (u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())).to_be_bytes();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    fn token(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// splitmix64's finaliser: a well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A company made by [`Sandbox::seed`](crate::Sandbox::seed) or [`SandboxBuilder::seed_company`](crate::SandboxBuilder::seed_company).
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The company.
    pub company_id: Uuid,
    /// Its sites.
    pub site_ids: Vec<Uuid>,
    /// Number of connections created.
    pub connections: usize,
}

/// The whole state of the emulator.
pub struct Store {
    /// API key -> the e-mail of its user.
    users: HashMap<String, String>,
    companies: HashMap<Uuid, Company>,
    company_order: Vec<Uuid>,
    sites: HashMap<Uuid, Site>,
    connections: HashMap<Uuid, Connection>,
    /// Account id -> the connection that holds the account.
    accounts: HashMap<Uuid, Uuid>,
    meters: HashMap<Uuid, Meter>,
    documents: HashMap<Uuid, Document>,
    usage: HashMap<String, Usage>,
    invitations: HashMap<Uuid, Invitation>,
    /// Invitations in creation order.
    invitation_order: Vec<Uuid>,
    jobs: HashMap<String, Job>,
    /// (company, hash of an uploaded file or URL) -> the document it became (duplicates).
    uploaded: HashMap<(Uuid, u64), Uuid>,
    /// The meter of a site's uploaded bills.
    upload_meters: HashMap<Uuid, Uuid>,
    /// The emulator's one clock: every "now" and "today" of the store.
    clock: Clock,
    /// `http://127.0.0.1:<port>`: invitation links point here.
    public_origin: String,
    ids: Ids,
}

impl Store {
    pub fn new(users: HashMap<String, String>, seed: u64, clock: Clock) -> Self {
        Self {
            users,
            companies: HashMap::new(),
            company_order: Vec::new(),
            sites: HashMap::new(),
            connections: HashMap::new(),
            accounts: HashMap::new(),
            meters: HashMap::new(),
            documents: HashMap::new(),
            usage: HashMap::new(),
            invitations: HashMap::new(),
            invitation_order: Vec::new(),
            jobs: HashMap::new(),
            uploaded: HashMap::new(),
            upload_meters: HashMap::new(),
            clock,
            public_origin: String::new(),
            ids: Ids::new(seed),
        }
    }

    /// The emulator's clock now.
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The UTC day of the emulator's clock.
    fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// The user (e-mail) of an API key.
    pub fn user(&self, api_key: &str) -> Option<&str> {
        self.users.get(api_key).map(String::as_str)
    }

    /// Whether the user may see company `id` (404 if there is none, 403 if not theirs).
    pub fn check_company(&self, user: &str, id: Uuid) -> Result<(), Failure> {
        self.company(user, id).map(|_| ())
    }

    fn company(&self, user: &str, id: Uuid) -> Result<&Company, Failure> {
        self.company_for(user, id, "company")
    }

    /// The company, if it exists (else 404) and the user is one of its users (else 403, naming
    /// `what` was asked for: the company itself, or one of its sites or connections).
    fn company_for(&self, user: &str, id: Uuid, what: &str) -> Result<&Company, Failure> {
        let company = self
            .companies
            .get(&id)
            .ok_or_else(|| Failure::not_found("Company"))?;
        if company.users.iter().any(|u| u == user) {
            Ok(company)
        } else {
            Err(Failure::forbidden(what))
        }
    }

    fn company_mut(&mut self, user: &str, id: Uuid) -> Result<&mut Company, Failure> {
        self.company(user, id)?;
        self.companies
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Company"))
    }

    fn site_company(&self, user: &str, site_id: Uuid) -> Result<Uuid, Failure> {
        let site = self
            .sites
            .get(&site_id)
            .ok_or_else(|| Failure::not_found("Site"))?;
        self.company_for(user, site.company_id, "site")?;
        Ok(site.company_id)
    }

    fn connection(&self, user: &str, id: Uuid) -> Result<&Connection, Failure> {
        let connection = self
            .connections
            .get(&id)
            .ok_or_else(|| Failure::not_found("Connection"))?;
        self.company_for(user, connection.company_id, "connection")?;
        Ok(connection)
    }

    /// Where the emulator is served (`http://127.0.0.1:<port>`), for invitation links.
    pub fn set_public_origin(&mut self, origin: String) {
        self.public_origin = origin;
    }

    /// A new webhook message id.
    pub fn message_id(&mut self) -> String {
        format!("msg_{}", self.ids.token())
    }
}

/// Where page `page` of `total` objects, `per_page` a page, is: Nectar answers a page past the
/// end (or below 1) with the last page. Returns the page answered, the number of pages, and the
/// range of indices it holds.
fn paging(total: usize, page: i64, per_page: usize) -> (usize, usize, std::ops::Range<usize>) {
    let per_page = per_page.max(1);
    let total_pages = total.div_ceil(per_page).max(1);
    let current = usize::try_from(page)
        .ok()
        .filter(|p| (1..=total_pages).contains(p))
        .unwrap_or(total_pages);
    let start = (current - 1) * per_page;
    (current, total_pages, start..(start + per_page).min(total))
}

/// A page answer as JSON bytes: the envelope Nectar's lists share (`total<Items>`, `perPage`,
/// `totalPages`, `currentPage`, `hasNext`, `hasPrevious`, `<items>`), serialized straight from
/// borrowed views. `items(range)` gives the views of the objects in the page's range.
fn page_body<T: serde::Serialize>(
    (total_key, items_key): (&str, &str),
    total: usize,
    page: i64,
    per_page: usize,
    items: impl FnOnce(std::ops::Range<usize>) -> Vec<T>,
) -> Vec<u8> {
    use serde::ser::{SerializeMap, Serializer};
    let (current, total_pages, range) = paging(total, page, per_page);
    let items = items(range);
    let mut out = Vec::with_capacity(256 + items.len() * 512);
    let mut serializer = serde_json::Serializer::new(&mut out);
    let written = (|| {
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry(total_key, &total)?;
        map.serialize_entry("perPage", &per_page)?;
        map.serialize_entry("totalPages", &total_pages)?;
        map.serialize_entry("currentPage", &current)?;
        map.serialize_entry("hasNext", &(current < total_pages))?;
        map.serialize_entry("hasPrevious", &(current > 1))?;
        map.serialize_entry(items_key, &items)?;
        map.end()
    })();
    // Serializing borrowed views of plain data into a Vec cannot fail.
    debug_assert!(written.is_ok());
    out
}
