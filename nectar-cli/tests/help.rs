//! `--help` of every command, snapshotted: an API change (a new operation, a parameter, a
//! description) shows as a diff of the command line in review (`cargo insta review`).

use std::process::Command;

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_nectar"))
        .args(args)
        .arg("--help")
        .env_remove("COLUMNS")
        .output()
        .expect("nectar runs");
    assert!(
        output.status.success(),
        "nectar {args:?} --help: {}",
        output.status
    );
    assert!(output.stderr.is_empty(), "help goes to stdout");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The command names listed under `Commands:` in a help text.
fn commands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn the_help_of_every_command() {
    let top = help(&[]);
    let mut all = format!("$ nectar --help\n{top}");
    let mut count = 0;
    for noun in commands(&top) {
        let text = help(&[&noun]);
        all.push_str(&format!("\n$ nectar {noun} --help\n{text}"));
        count += 1;
        for verb in commands(&text) {
            all.push_str(&format!(
                "\n$ nectar {noun} {verb} --help\n{}",
                help(&[&noun, &verb])
            ));
            count += 1;
        }
    }
    assert!(count > 40, "{count} commands");
    insta::assert_snapshot!("help", all);
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_nectar()"),
        ("zsh", "#compdef nectar"),
        ("fish", "complete -c nectar"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_nectar"))
            .args(["completions", shell])
            .output()
            .expect("nectar runs");
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains(marker), "{shell}: {script:.200}");
        assert!(
            script.contains("needs-user"),
            "{shell}: the workflows are completed too"
        );
    }
}
