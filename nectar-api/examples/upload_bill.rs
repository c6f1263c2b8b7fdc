//! Upload a bill for processing: a small PDF (`nectar-api/examples/bill.pdf`, or a path given as the
//! first argument), sent as `multipart/form-data`; wait for the job; print the documents it
//! parsed and their usage.
//!
//! ```sh
//! cargo run --example upload_bill                                   # emulator
//! NECTAR_API_KEY=... cargo run --example upload_bill -- bill.pdf <company-uuid>
//! ```
//!
//! The client refuses, before sending anything, a file over 25 MB or one that is not a PDF, PNG
//! or JPEG by its leading bytes. `NECTAR_BASE_URL` overrides the base URL.

use std::{error::Error, time::Duration};

use futures_util::TryStreamExt;
use nectar_api::{Client, FilePart, Paginate, types::JobStatus};
use nectar_sandbox::{Sandbox, flows};
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().map_or_else(
        || std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bill.pdf")),
        Into::into,
    );
    let company: Option<Uuid> = args.next().map(|c| c.parse()).transpose()?;
    let file = FilePart::from_path_async(&path).await?;
    println!(
        "1. {} is a {} of {} bytes",
        path.display(),
        file.content_type(),
        file.len()
    );

    let key = std::env::var("NECTAR_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let (client, company, _sandbox) = match key {
        Some(key) => {
            let url = std::env::var("NECTAR_BASE_URL")
                .unwrap_or_else(|_| nectar_api::DEFAULT_BASE_URL.to_owned());
            let company = company.ok_or("with NECTAR_API_KEY, give the company: <file> <uuid>")?;
            (
                Client::builder().api_key(key).base_url(url).build()?,
                company,
                None,
            )
        }
        None => {
            let sandbox = Sandbox::builder()
                .job_delay(Duration::from_millis(500))
                .start()
                .await?;
            println!(
                "   (NECTAR_API_KEY is not set: the embedded emulator at {})",
                sandbox.base_url()
            );
            let client = sandbox.client();
            let (company, _) = flows::company_with_sites(&client, "Upload Co", 1).await?;
            (client, company, Some(sandbox))
        }
    };

    let job = client
        .upload_document()
        .company_id(company)
        .document(file)
        .send()
        .await?
        .into_inner();
    println!("2. Uploaded: job {} is {}", job.id, job.status);

    let job = client
        .wait_for_job(job.id.as_str())
        .interval(Duration::from_millis(200))
        .timeout(Duration::from_secs(600))
        .await?;
    println!(
        "3. Job {}: {} document(s) parsed, {} duplicate(s)",
        job.status,
        job.parsed_document_ids.len(),
        job.duplicates.unwrap_or(0)
    );
    if job.status != JobStatus::Completed {
        return Err(format!("the job ended {}", job.status).into());
    }

    for id in &job.parsed_document_ids {
        let document = client
            .get_document()
            .document_id(id.parse::<Uuid>()?)
            .send()
            .await?
            .into_inner();
        println!(
            "4. Document {}: {} bill of {} to {}, total {} {}",
            document.id,
            document.utility_company.as_deref().unwrap_or("?"),
            document
                .start_date
                .map_or_else(|| "?".to_owned(), |d| d.to_string()),
            document
                .bill_date
                .map_or_else(|| "?".to_owned(), |d| d.to_string()),
            document.total_charges.as_ref().map_or("?", |t| t.as_str()),
            document.charges_units.as_ref().map_or("", |c| c.as_str()),
        );
        let usage: Vec<_> = client
            .list_document_usage()
            .document_id(document.id)
            .items()
            .try_collect()
            .await?;
        for row in usage {
            println!(
                "   usage {} {} {} from {} to {} (meter {})",
                row.datasource_type,
                row.usage.as_ref().map_or("?", |u| u.as_str()),
                row.usage_units.as_ref().map_or("", |u| u.as_str()),
                row.start_date,
                row.end_date,
                row.meter.as_deref().unwrap_or("?"),
            );
        }
    }
    Ok(())
}
