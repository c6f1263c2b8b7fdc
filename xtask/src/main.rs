//! Workspace automation.
//!
//! - `cargo xtask codegen`: writes `spec/openapi.json` and `nectar-api/src/generated/` from
//!   nectar-gen, and removes generated files nectar-gen no longer produces.
//! - `cargo xtask codegen --check`: writes nothing; exits 1 with a unified diff when a committed
//!   file differs from what nectar-gen produces now.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

const USAGE: &str = "usage: cargo xtask codegen [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
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
