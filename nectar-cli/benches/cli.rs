//! `nectar` against the library it is built on, on the emulator over loopback:
//!
//! - `usage export 20000`: `nectar usage export` of 20,000 rows (200 pages of 100) to a file, a
//!   process started per run, against the library's own pull of the same rows (the default
//!   pager, items counted). The goal: the command within 1.2x of the library.
//! - `startup`: `nectar --version`, a process per run. The goal: under 20 ms.
//!
//! `cargo bench -p nectar-cli --bench cli`; results in BENCHMARKS.md.

use std::{hint::black_box, process::Command};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::TryStreamExt;
use nectar_api::Paginate;
use nectar_sandbox::Sandbox;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn export_20000(c: &mut Criterion) {
    let server = runtime();
    let sandbox = server
        .block_on(Sandbox::builder().seed_usage("Bench", 200, 100).start())
        .expect("the emulator starts");
    let company = sandbox.seeded_data()[0].company_id;
    let client = sandbox.client();
    let client_runtime = runtime();
    let out = std::env::temp_dir().join(format!("nectar-bench-{}.csv", std::process::id()));
    let mut group = c.benchmark_group("usage export 20000 rows (200 pages)");
    group.sample_size(10);
    group.bench_function("library: the default pager, items counted", |b| {
        b.to_async(&client_runtime).iter(|| async {
            let rows = client
                .list_company_usage()
                .company_id(company)
                .items()
                .try_fold(0_usize, |n, row| async move {
                    drop(black_box(row));
                    Ok(n + 1)
                })
                .await
                .expect("every page");
            assert_eq!(rows, 20_000);
        });
    });
    group.bench_function("nectar usage export -o FILE (a process)", |b| {
        b.iter(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_nectar"))
                .args(["usage", "export", "--company", &company.to_string(), "-o"])
                .arg(&out)
                .env("NECTAR_API_KEY", sandbox.api_key())
                .env("NECTAR_BASE_URL", sandbox.base_url())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("nectar runs");
            assert!(status.success());
        });
    });
    group.finish();
    let lines = std::fs::read_to_string(&out).map_or(0, |text| text.lines().count());
    assert_eq!(lines, 20_001, "a header and every row");
    let _ = std::fs::remove_file(&out);
}

fn startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup");
    group.bench_function("nectar --version", |b| {
        b.iter(|| {
            let output = Command::new(env!("CARGO_BIN_EXE_nectar"))
                .arg("--version")
                .output()
                .expect("nectar runs");
            assert!(output.status.success());
        });
    });
    group.finish();
}

criterion_group!(benches, export_20000, startup);
criterion_main!(benches);
