//! Jobs: bills uploaded for processing, as files (`multipart/form-data`) or as https URLs.
//! Processing is asynchronous: the job answers at once (`PENDING`) and is polled until it is
//! `COMPLETED` (with the documents parsed), `FAILED` or `TERMINATED`.
//!
//! Limits (documented): 25 MB per file, PDF up to 150 pages; PDF, PNG and JPEG only; bulk URLs
//! must be `https` (pre-signed storage URLs are fine); the company must be active. A list of a
//! company's jobs is mentioned by the upload guide without a path, so it is not modelled.

#![allow(dead_code)]

use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::ids::JobPath;
use crate::{
    api::ids::CompanyPath,
    dsl::enums::documented_enum,
    dsl::operation::{Api, Method},
    dsl::schema::{Binary, Optional},
};

const TAG: &str = "jobs";

documented_enum! {
    /// State of an upload job. The enum of the reference has three values; its description
    /// also names `TERMINATED` (with `terminationReason`), which is listed too.
    JobStatus {
        "PENDING" => "Received; being processed.",
        "COMPLETED" => "Processed: `parsedDocumentIds` lists the documents (duplicates are counted apart).",
        "FAILED" => "Processing failed; contact Nectar support (jobs rarely fail: they are retried).",
        "TERMINATED" => "Stopped before completion; `terminationReason` says why (named in prose only).",
    }
}

/// An upload job.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Identifier of the job (a plain string of at most 255 characters, not a uuid).
    #[schemars(length(max = 255))]
    id: String,
    /// Its state.
    status: JobStatus,
    /// Identifiers of the documents parsed from the upload (when completed).
    parsed_document_ids: Optional<Vec<String>>,
    /// How many uploaded files duplicated documents Nectar already had (when completed).
    duplicates: Optional<u64>,
    /// The documents the duplicates duplicated.
    duplicate_document_ids: Optional<Vec<String>>,
    /// Uploaded files that were not utility documents.
    non_utility_document_ids: Optional<Vec<String>>,
    /// Why the job was terminated (only when `TERMINATED`).
    termination_reason: Option<String>,
}

/// Body of `POST /job/company/{company_id}/bulk`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobBulkCreate {
    /// URLs of the documents (PDF, PNG or JPEG; pre-signed or public), each `https` with a
    /// host (the bulk-upload guide: "publicly accessible or pre-signed URLs").
    #[schemars(
        length(min = 1),
        inner(
            length(min = 1),
            regex(pattern = r"^https://[A-Za-z0-9][^\s/?#]*([/?#]\S*)?$")
        )
    )]
    documents: Vec<String>,
    /// The site every document belongs to; without it Nectar assigns each by its address.
    site_id: Option<Uuid>,
}

/// Body of `POST /job/company/{company_id}`: one file, as `multipart/form-data`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobUpload {
    /// The file: PDF (at most 150 pages), PNG or JPEG, at most 25 MB.
    document: Binary,
    /// The site the document belongs to; without it Nectar assigns it by its address.
    site_id: Optional<Uuid>,
}

pub(crate) fn register(api: &mut Api) {
    api.op(Method::Post, "/job/company/{company_id}", "upload_document")
        .tag(TAG)
        .summary("Upload a bill for processing")
        .description(
            "
            Submits one file (`multipart/form-data`: the file as `document`, optionally `siteId`)
            and answers the job at once; poll it with `get_job` (or `wait_for_job`).

            The client refuses, before sending, a file over 25 MB or one that is not PDF, PNG or
            JPEG by its leading bytes. The answer's status code is not documented; 200 and 201
            are accepted.
            ",
        )
        .path_params::<CompanyPath>()
        .multipart_body::<JobUpload>("The file, and optionally its site.")
        .response::<Job>(200, "The job.")
        .response::<Job>(201, "The job.")
        .errors(&[400, 401, 403, 404])
    .bad_request(
        "the file must be a PDF, PNG or JPEG by its leading bytes, at most 25 MB; `siteId` must be a site of this company.",
    )
        .add();

    api.op(
        Method::Post,
        "/job/company/{company_id}/bulk",
        "create_bulk_job",
    )
    .docs("jobs/submit-job-via-bulk-document-upload")
    .tag(TAG)
    .summary("Submit bills by URL for processing")
    .description(
        "
            Submits documents by `https` URL (pre-signed storage URLs work) and answers one job
            at once. The upload guide's sample names the answer `jobs`; the reference shows one
            Job, which is followed. The answer's status code is not documented; 200 and 201 are
            accepted.
            ",
    )
    .path_params::<CompanyPath>()
    .body::<JobBulkCreate>("The documents' URLs, and optionally their site.")
    .response::<Job>(200, "The job.")
    .response::<Job>(201, "The job.")
    .errors(&[400, 401, 403, 404])
    .bad_request("`siteId` must be a site of this company.")
    .add();

    api.op(Method::Get, "/job/{job_id}", "get_job")
        .tag(TAG)
        .summary("Get an upload job")
        .description("The job's state, and what it produced when completed.")
        .path_params::<JobPath>()
        .response::<Job>(200, "The job.")
        // The id is a plain string, so no id is malformed: no 400 is documented.
        .errors(&[401, 403, 404])
        .add();
}
