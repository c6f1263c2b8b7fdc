//! Upload jobs end to end: a PDF uploaded as `multipart/form-data` (the operation nectar-gen
//! generates itself) and bills by https URL, processed in the background into documents and
//! usage; duplicates; failures; and the refusals the client makes before sending a byte.

use std::time::Duration;

use futures_util::TryStreamExt;
use nectar_api::{
    Client, ErrorKind, FilePart, Paginate,
    types::{Job, JobBulkCreate, JobStatus, UsageData},
};
use nectar_sandbox::{Sandbox, flows};
use nectar_tests::workspace_root;
use uuid::Uuid;

fn bill() -> FilePart {
    FilePart::from_path(workspace_root().join("nectar-api/examples/bill.pdf")).unwrap()
}

async fn setup() -> (Sandbox, Client, Uuid, Uuid) {
    let sandbox = Sandbox::builder()
        .job_delay(Duration::from_millis(30))
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    let (company, sites) = flows::company_with_sites(&client, "Uploads Co", 2)
        .await
        .unwrap();
    (sandbox, client, company, sites[1])
}

/// Waits until the job has finished (bounded); the job as it ended.
pub(super) async fn finished(client: &Client, job: &Job) -> Job {
    client
        .wait_for_job(job.id.as_str())
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_uploaded_pdf_becomes_a_document_with_usage() {
    let (_sandbox, client, company, site) = setup().await;
    let job = client
        .upload_document()
        .company_id(company)
        .document(bill())
        .site_id(site)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(job.status, JobStatus::Pending);
    let done = finished(&client, &job).await;
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.parsed_document_ids.len(), 1);
    assert_eq!(done.duplicates, Some(0));
    let document: Uuid = done.parsed_document_ids[0].parse().unwrap();
    let usage: Vec<UsageData> = client
        .list_document_usage()
        .document_id(document)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].site.as_ref().map(|s| s.id), Some(site));
    // The document keeps its origin: the job and the uploaded file's name.
    let read = client
        .get_document()
        .document_id(document)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.job_id.as_deref(), Some(job.id.as_str()));
    assert_eq!(read.file_name.as_deref(), Some("bill.pdf"));

    // The same file again: counted as a duplicate of the first document.
    let again = client
        .upload_document()
        .company_id(company)
        .document(bill())
        .send()
        .await
        .unwrap()
        .into_inner();
    let again = finished(&client, &again).await;
    assert_eq!(again.status, JobStatus::Completed);
    assert!(again.parsed_document_ids.is_empty());
    assert_eq!(again.duplicates, Some(1));
    assert_eq!(again.duplicate_document_ids, [document.to_string()]);
}

#[tokio::test]
async fn bulk_jobs_complete_or_fail_as_documented() {
    let (sandbox, client, company, site) = setup().await;
    let bulk = |urls: &[&str]| {
        client
            .create_bulk_job()
            .company_id(company)
            .body(
                JobBulkCreate::builder()
                    .documents(urls.iter().map(|u| u.parse().unwrap()).collect::<Vec<_>>())
                    .site_id(Some(site)),
            )
            .send()
    };
    let job = bulk(&[
        "https://storage.example/bills/jan.pdf?signature=abc",
        "https://storage.example/bills/feb.PNG",
    ])
    .await
    .unwrap()
    .into_inner();
    let done = finished(&client, &job).await;
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.parsed_document_ids.len(), 2);
    for (id, name) in done.parsed_document_ids.iter().zip(["jan.pdf", "feb.PNG"]) {
        let read = client
            .get_document()
            .document_id(id.parse::<Uuid>().unwrap())
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.job_id.as_deref(), Some(job.id.as_str()));
        assert_eq!(
            read.file_name.as_deref(),
            Some(name),
            "named by its URL's path"
        );
    }

    // A file the processor cannot read fails the job.
    let unreadable = bulk(&["https://storage.example/bills/notes.txt"])
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        finished(&client, &unreadable).await.status,
        JobStatus::Failed
    );
    let mut broken = b"%PDF-1.4 truncated".to_vec();
    broken.extend_from_slice(b" no trailer");
    let broken = client
        .upload_document()
        .company_id(company)
        .document(FilePart::from_bytes("broken.pdf", broken).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(finished(&client, &broken).await.status, JobStatus::Failed);

    // An inactive company's jobs fail.
    assert!(sandbox.set_company_active(company, false));
    let job = client
        .upload_document()
        .company_id(company)
        .document(FilePart::from_bytes("other.png", b"\x89PNG\r\n\x1a\nimage".to_vec()).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(finished(&client, &job).await.status, JobStatus::Failed);
}

#[tokio::test]
async fn the_client_refuses_before_sending_a_byte() {
    let (sandbox, client, company, _) = setup().await;
    let before = sandbox.requests().len();

    let mut big = b"%PDF-".to_vec();
    big.resize(FilePart::MAX_SIZE as usize + 1, b'0');
    let error = FilePart::from_bytes("big.pdf", big).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(error.to_string().contains("25 MB"), "{error}");
    let error = FilePart::from_bytes("bill.docx", b"PK\x03\x04word".to_vec()).unwrap_err();
    assert!(
        error.to_string().contains("not a PDF, PNG or JPEG"),
        "{error}"
    );

    // A missing file, and a bulk URL that is not https: refused at send, nothing sent.
    let error = client
        .upload_document()
        .company_id(company)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(error.to_string().contains("document"), "{error}");
    for url in [
        "http://storage.example/bill.pdf",
        "https://",
        "https:///bill.pdf",
        "https://storage.example/my bill.pdf",
    ] {
        let refused: Result<nectar_api::types::JobBulkCreateDocumentsItem, _> = url.parse();
        assert!(
            refused.is_err(),
            "{url}: the https-with-a-host rule is checked when the URL is made"
        );
    }
    let accepted: Result<nectar_api::types::JobBulkCreateDocumentsItem, _> =
        "https://storage.example/bills/jan.pdf?X-Amz-Signature=abc".parse();
    assert!(accepted.is_ok(), "{accepted:?}");
    assert_eq!(
        sandbox.requests().len(),
        before,
        "no request reached Nectar"
    );

    // An empty list is Nectar's to refuse (typify does not check array sizes): 400, named.
    let error = client
        .create_bulk_job()
        .company_id(company)
        .body(JobBulkCreate::builder().documents(Vec::new()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");
    assert!(error.to_string().contains("documents"), "{error}");
}

#[tokio::test]
async fn the_emulator_answers_400_to_what_the_client_would_refuse() {
    // What a client without these checks would send: Nectar answers 400 (size, type).
    let (sandbox, _client, company, _) = setup().await;
    let url = format!("{}/job/company/{company}", sandbox.base_url());
    let post = |bytes: Vec<u8>| {
        let boundary = "xyzzy";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"f\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        reqwest::Client::new()
            .post(&url)
            .header("X-API-Key", sandbox.api_key())
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
    };
    let response = post(b"GIF89a".to_vec()).await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unsupported file type")
    );
    let mut big = b"%PDF-".to_vec();
    big.resize(nectar_sandbox::MAX_UPLOAD + 1, b'0');
    let response = post(big).await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("25 MB"));
}
