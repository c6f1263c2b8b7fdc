//! Workspace automation.
//!
//! - `cargo xtask codegen`: writes `spec/openapi.json` and `nectar-api/src/generated/` from
//!   nectar-gen, and removes generated files nectar-gen no longer produces.
//! - `cargo xtask codegen --check`: writes nothing; exits 1 with a unified diff when a committed
//!   file differs from what nectar-gen produces now.
//! - `cargo xtask drift --live [--json]`: walks every read-only operation against Nectar
//!   (`NECTAR_API_KEY`, `NECTAR_BASE_URL`), discovering ids as it goes, and reports where the
//!   answers differ from `spec/openapi.json`; never a write. Exits 1 when it finds drift.
//! - `cargo xtask drift --files DIR [--json]`: the same for recorded answers and webhook bodies,
//!   one per file, each named for its operation (`get_company.json`, `get_company__404.json`) or
//!   event (`webhook.connection.updated.v2....json`, or any file whose body has `eventType`).

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

const USAGE: &str = "\
usage: cargo xtask codegen [--check]
       cargo xtask drift (--live | --files DIR) [--json]

  codegen          write spec/openapi.json, its copy in nectar-sandbox and nectar-api/src/generated/
  codegen --check  write nothing; exit 1 with a diff when a committed file is stale
  drift --live     walk Nectar's read-only operations (NECTAR_API_KEY, NECTAR_BASE_URL) and report
                   where the answers differ from the spec; exit 1 on drift
  drift --files D  the same for recorded answers and webhook bodies in folder D
  --json           the drift report as JSON";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--help` anywhere (`cargo xtask --help`, `cargo xtask drift --help`) prints the usage.
    if args
        .iter()
        .any(|a| matches!(a.as_str(), "help" | "--help" | "-h"))
    {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        ["drift", rest @ ..] => drift(rest),
        _ => Err(format!("{USAGE}\n(got: {})", args.join(" "))),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn codegen(check: bool) -> Result<ExitCode, String> {
    let root = root();
    let started = Instant::now();
    let files = nectar_gen::generate().map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();

    let mut stale = nectar_gen::stale(&files, |path| fs::read_to_string(root.join(path)).ok());
    let extra = extra_files(&root, &files)?;

    if check {
        for file in &extra {
            stale.push(nectar_gen::Stale {
                diff: format!(
                    "{file} is in {} but nectar-gen no longer generates it\n",
                    nectar_gen::GENERATED_DIR
                ),
                path: file.clone(),
            });
        }
        if stale.is_empty() {
            println!(
                "codegen --check: {} files up to date (generated in {} ms)",
                files.len(),
                elapsed.as_millis()
            );
            return Ok(ExitCode::SUCCESS);
        }
        for file in &stale {
            print!("{}", file.diff);
        }
        eprintln!(
            "codegen --check: {} file(s) out of date: {}\nrun `cargo xtask codegen` and review the diff",
            stale.len(),
            stale
                .iter()
                .map(|s| s.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::from(1));
    }

    for file in &stale {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        let contents = files
            .iter()
            .find(|f| f.path == file.path)
            .map(|f| f.contents.as_str())
            .unwrap_or_default();
        fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("wrote {}", file.path);
    }
    for file in &extra {
        let path = root.join(file);
        fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
        println!("removed {file}");
    }
    let lines: usize = files.iter().map(|f| f.contents.lines().count()).sum();
    println!(
        "codegen: {} files, {} changed, {lines} lines (generated in {} ms)",
        files.len(),
        stale.len() + extra.len(),
        elapsed.as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

/// Files in the generated directory that nectar-gen does not produce.
fn extra_files(root: &Path, files: &[nectar_gen::GeneratedFile]) -> Result<Vec<String>, String> {
    let dir = root.join(nectar_gen::GENERATED_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", dir.display())),
    };
    let mut present = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        present.push(format!(
            "{}/{}",
            nectar_gen::GENERATED_DIR,
            entry.file_name().to_string_lossy()
        ));
    }
    Ok(nectar_gen::unexpected_generated(files, present))
}

fn drift(args: &[&str]) -> Result<ExitCode, String> {
    let json = args.contains(&"--json");
    let spec = nectar_gen::spec().map_err(|e| e.to_string())?;
    let (findings, skipped) = match args
        .iter()
        .filter(|a| **a != "--json")
        .copied()
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--live"] => live(&spec)?,
        ["--files", dir] => nectar_gen::drift::check_dir(&spec, Path::new(dir))?,
        _ => return Err(format!("{USAGE}\n(got: drift {})", args.join(" "))),
    };
    if json {
        let out = serde_json::json!({ "findings": findings, "skipped": skipped });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", nectar_gen::drift::report(&findings));
        for line in &skipped {
            println!("skipped: {line}");
        }
        println!(
            "drift: {} finding(s){}",
            findings.len(),
            if skipped.is_empty() {
                String::new()
            } else {
                format!(", {} skipped", skipped.len())
            }
        );
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

type Checked = (Vec<nectar_gen::drift::Finding>, Vec<String>);

/// Every read-only operation against Nectar, with the key from `NECTAR_API_KEY`.
fn live(spec: &nectar_gen::oa::OpenAPI) -> Result<Checked, String> {
    let key = std::env::var("NECTAR_API_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or("drift --live needs NECTAR_API_KEY (and NECTAR_BASE_URL for another server)")?;
    let base = std::env::var("NECTAR_BASE_URL")
        .unwrap_or_else(|_| nectar_gen::BASE_URL.to_owned())
        .trim_end_matches('/')
        .to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("a runtime: {e}"))?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| format!("an HTTP client: {e}"))?;
    eprintln!("drift --live against {base}");
    // A wrong base URL or key would make every read look like drift: say so instead.
    let ping = runtime.block_on(async {
        http.get(format!("{base}/ping"))
            .header("X-API-Key", &key)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| format!("{base}/ping: {}", e.without_url()))
    })?;
    match ping {
        401 | 403 => return Err(format!("{base}/ping answered {ping}: the key was refused")),
        404 => {
            return Err(format!(
                "{base}/ping answered 404: NECTAR_BASE_URL must include the API version, like {}",
                nectar_gen::BASE_URL
            ));
        }
        _ => {}
    }
    Ok(nectar_gen::drift::walk(spec, |path| {
        runtime.block_on(async {
            let response = http
                .get(format!("{base}{path}"))
                .header("X-API-Key", &key)
                .header("Accept", "application/json")
                .send()
                .await
                .map_err(|e| e.without_url().to_string())?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| e.without_url().to_string())?;
            Ok((
                status,
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            ))
        })
    }))
}
