//! Upload jobs: bills sent as files or https URLs, processed in the background. A job is
//! `PENDING`, then `COMPLETED` with the documents it parsed (made as the sandbox provider makes
//! bills, one usage row each), with the files it had seen before counted as duplicates; or
//! `FAILED` when the company is inactive or a file cannot be read (a PDF without its `%%EOF`
//! trailer, a URL that does not end in `.pdf`, `.png`, `.jpg` or `.jpeg`).

use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{Datelike, Months, NaiveDate};
use nectar_api::types::DatasourceType;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Failure, Store,
    document::Origin,
    sandbox_provider::{Owner, Reading},
};

/// The largest file accepted: 25 MB, taken as 25 MiB, as the client takes it.
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;

/// One file of a job, as received.
#[derive(Debug, Clone)]
enum Upload {
    File {
        name: String,
        bytes_hash: u64,
        readable: bool,
    },
    Url(String),
}

impl Upload {
    /// The file's name: as sent in the form, or the last segment of the URL's path.
    fn file_name(&self) -> String {
        match self {
            Upload::File { name, .. } => name.clone(),
            Upload::Url(url) => reqwest::Url::parse(url)
                .ok()
                .and_then(|u| {
                    u.path_segments()
                        .and_then(|mut segments| segments.next_back().map(str::to_owned))
                })
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "document".to_owned()),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Job {
    id: String,
    company_id: Uuid,
    site_id: Option<Uuid>,
    status: &'static str,
    uploads: Vec<Upload>,
    parsed: Vec<String>,
    duplicates: Vec<String>,
    termination_reason: Option<String>,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

impl Store {
    fn job_view(job: &Job) -> Value {
        json!({
            "id": job.id,
            "status": job.status,
            "parsedDocumentIds": job.parsed,
            "duplicates": job.duplicates.len(),
            "duplicateDocumentIds": job.duplicates,
            "nonUtilityDocumentIds": [],
            "terminationReason": job.termination_reason,
        })
    }

    fn new_job(
        &mut self,
        company_id: Uuid,
        site_id: Option<Uuid>,
        uploads: Vec<Upload>,
    ) -> (String, Value) {
        let job = Job {
            id: format!("job_{}", self.ids.token()),
            company_id,
            site_id,
            status: "PENDING",
            uploads,
            parsed: Vec::new(),
            duplicates: Vec::new(),
            termination_reason: None,
        };
        let view = Self::job_view(&job);
        let id = job.id.clone();
        self.jobs.insert(id.clone(), job);
        (id, view)
    }

    fn check_site(&self, company_id: Uuid, site: Option<Uuid>) -> Result<(), Failure> {
        match site {
            Some(site)
                if self
                    .sites
                    .get(&site)
                    .is_none_or(|s| s.company_id != company_id) =>
            {
                Err(Failure::bad_request(format!(
                    "siteId: site {site} does not belong to this company"
                )))
            }
            _ => Ok(()),
        }
    }

    /// `POST /job/company/{company_id}/bulk` (the body is already checked against the spec:
    /// `https` URLs).
    pub fn create_bulk_job(
        &mut self,
        user: &str,
        company_id: Uuid,
        body: &Value,
    ) -> Result<(String, Value), Failure> {
        self.company(user, company_id)?;
        let site = body
            .get("siteId")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        self.check_site(company_id, site)?;
        let uploads = body
            .get("documents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(|u| Upload::Url(u.to_owned())))
            .collect();
        Ok(self.new_job(company_id, site, uploads))
    }

    /// `POST /job/company/{company_id}` with one file: at most 25 MB, PDF, PNG or JPEG by its
    /// leading bytes (400 otherwise, as documented).
    pub fn upload_document(
        &mut self,
        user: &str,
        company_id: Uuid,
        file_name: &str,
        file: &[u8],
        site: Option<Uuid>,
    ) -> Result<(String, Value), Failure> {
        self.company(user, company_id)?;
        self.check_site(company_id, site)?;
        if file.len() > MAX_UPLOAD {
            return Err(Failure::bad_request(format!(
                "document: the file is {} bytes; the limit is 25 MB ({MAX_UPLOAD} bytes).",
                file.len()
            )));
        }
        // Nectar judges the type by the leading bytes, as the client does.
        let Some(kind) = nectar_api::FilePart::media_type_of(file) else {
            return Err(Failure::bad_request(
                "document: unsupported file type; upload a PDF, PNG or JPEG.",
            ));
        };
        let readable = kind != "application/pdf" || file.windows(5).any(|w| w == b"%%EOF");
        Ok(self.new_job(
            company_id,
            site,
            vec![Upload::File {
                name: file_name.to_owned(),
                bytes_hash: hash(file),
                readable,
            }],
        ))
    }

    pub fn get_job(&self, user: &str, id: &str) -> Result<Value, Failure> {
        let job = self.jobs.get(id).ok_or_else(|| Failure::not_found("Job"))?;
        self.company_for(user, job.company_id, "job")?;
        Ok(Self::job_view(job))
    }

    /// Processes a pending job; returns the documents it created (each announced with
    /// `document.created.v2`).
    pub fn process_job(&mut self, id: &str) -> Vec<Uuid> {
        let Some(job) = self.jobs.get(id).cloned() else {
            return Vec::new();
        };
        if job.status != "PENDING" {
            return Vec::new();
        }
        let active = self
            .companies
            .get(&job.company_id)
            .is_some_and(|c| c.active);
        let unreadable = job.uploads.iter().any(|u| match u {
            Upload::File { readable, .. } => !readable,
            Upload::Url(url) => {
                let path = url
                    .split(['?', '#'])
                    .next()
                    .unwrap_or(url)
                    .to_ascii_lowercase();
                ![".pdf", ".png", ".jpg", ".jpeg"]
                    .iter()
                    .any(|e| path.ends_with(e))
            }
        });
        let site = job.site_id.or_else(|| {
            self.companies
                .get(&job.company_id)
                .and_then(|c| c.site_ids.first().copied())
        });
        let (status, reason) = match (active, unreadable, site) {
            (false, _, _) => ("FAILED", None),
            (_, true, _) => ("FAILED", None),
            (_, _, None) => (
                "TERMINATED",
                Some("The company has no site to assign the documents to."),
            ),
            _ => ("COMPLETED", None),
        };
        let mut parsed = Vec::new();
        let mut duplicates = Vec::new();
        let mut created = Vec::new();
        if let ("COMPLETED", Some(site)) = (status, site) {
            for upload in &job.uploads {
                let key = match upload {
                    Upload::File { bytes_hash, .. } => *bytes_hash,
                    Upload::Url(url) => hash(url.as_bytes()),
                };
                if let Some(original) = self.uploaded.get(&(job.company_id, key)) {
                    duplicates.push(original.to_string());
                    continue;
                }
                let origin = Origin {
                    job_id: job.id.clone(),
                    file_name: upload.file_name(),
                };
                let document = self.uploaded_bill(job.company_id, site, origin);
                self.uploaded.insert((job.company_id, key), document);
                parsed.push(document.to_string());
                created.push(document);
            }
        }
        if let Some(job) = self.jobs.get_mut(id) {
            job.status = status;
            job.termination_reason = reason.map(str::to_owned);
            job.parsed = parsed;
            job.duplicates = duplicates;
        }
        created
    }

    /// A bill for an uploaded file: the last full month, on the site's upload meter. It keeps
    /// its origin: the job's id and the file's name (`jobId`, `fileName`).
    fn uploaded_bill(&mut self, company_id: Uuid, site_id: Uuid, origin: Origin) -> Uuid {
        let meter = match self.upload_meters.get(&site_id) {
            Some(meter) => *meter,
            None => {
                let number = format!("{:010}", self.ids.next_u64() % 10_000_000_000);
                let meter = self.new_meter(
                    company_id,
                    site_id,
                    None,
                    &DatasourceType::Electricity,
                    &number,
                );
                self.upload_meters.insert(site_id, meter);
                meter
            }
        };
        let today = self.today();
        let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        let first = this_month
            .checked_sub_months(Months::new(1))
            .unwrap_or(this_month);
        let last = this_month.pred_opt().unwrap_or(this_month);
        let owner = Owner {
            company_id,
            site_id,
            connection_id: None,
            account_id: None,
        };
        let mut readings = Reading::from_zero(&[meter]);
        // An upload is created when it is processed, whatever period it covers.
        let created = self.now();
        let id = self.bill(owner, (first, last), &mut readings, 0, (created, created));
        if let Some(document) = self.documents.get_mut(&id) {
            document.origin = Some(origin);
        }
        id
    }
}
