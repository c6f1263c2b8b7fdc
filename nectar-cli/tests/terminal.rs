//! What a person sees, in a real terminal (tmux): the table `nectar` writes when stdout is a
//! terminal, and the progress bar of `usage export` on stderr. Skipped, saying so, where tmux is
//! not installed, unless `NECTAR_TESTS_REQUIRE_SERVICES` is set (as CI, which installs it, does):
//! then a missing tmux fails the test.

use std::{
    process::Command,
    time::{Duration, Instant},
};

/// A tmux server of its own (a socket in the temp dir), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Option<Tmux> {
        let socket = std::env::temp_dir()
            .join(format!("nectar-tmux-{name}-{}", std::process::id()))
            .to_string_lossy()
            .into_owned();
        let started = Command::new("tmux")
            .args([
                "-S",
                &socket,
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
                command,
            ])
            .status();
        let started = match started {
            Ok(started) => started,
            Err(error) if std::env::var_os("NECTAR_TESTS_REQUIRE_SERVICES").is_some() => {
                panic!("tmux cannot start ({error}) and NECTAR_TESTS_REQUIRE_SERVICES is set")
            }
            Err(_) => return None,
        };
        assert!(started.success(), "tmux new-session failed");
        Some(Tmux { socket })
    }

    /// The pane's text.
    fn capture(&self) -> String {
        let output = Command::new("tmux")
            .args(["-S", &self.socket, "capture-pane", "-p", "-J"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits (at most 60 s) until the pane shows `text`; the pane's text.
    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let pane = self.capture();
            if pane.contains(text) || started.elapsed() > Duration::from_secs(60) {
                return pane;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-S", &self.socket, "kill-server"])
            .status();
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn has_tmux() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok();
    if !found {
        eprintln!("tmux is not installed: the terminal tests are skipped");
    }
    found
}

#[test]
fn a_terminal_gets_an_aligned_table() {
    if !has_tmux() {
        return;
    }
    let nectar = env!("CARGO_BIN_EXE_nectar");
    let command = format!("{nectar} --sandbox companies list; echo EXIT=$?; sleep 60");
    let tmux = Tmux::start("table", &command).expect("tmux runs");
    let pane = tmux.wait_for("EXIT=");
    assert!(pane.contains("EXIT=0"), "{pane}");
    let lines: Vec<&str> = pane.lines().filter(|l| !l.trim().is_empty()).collect();
    let header = lines[0];
    assert!(header.starts_with("id "), "the id column first: {pane}");
    assert!(header.contains("name"), "{pane}");
    // Every row starts with an id, and the `name` column is aligned on every row.
    let column = header.find("name").unwrap();
    let rows: Vec<&str> = lines[1..]
        .iter()
        .copied()
        .take_while(|l| !l.starts_with("EXIT="))
        .collect();
    assert_eq!(rows.len(), 2, "the seeded companies: {pane}");
    for row in &rows {
        assert!(row.len() > column, "{pane}");
        assert!(row[..column].ends_with("  "), "columns are aligned: {pane}");
        assert!(
            !row.contains('{') || row.contains('…'),
            "nested values are cut: {pane}"
        );
    }
}

#[test]
fn usage_export_shows_its_progress_on_a_terminal() {
    if !has_tmux() {
        return;
    }
    let nectar = env!("CARGO_BIN_EXE_nectar");
    let csv = std::env::temp_dir().join(format!("nectar-export-{}.csv", std::process::id()));
    let csv = csv.to_string_lossy().into_owned();
    // The seeded data company is the second one listed.
    let command = format!(
        "company=$({nectar} --sandbox companies list --format ndjson | sed -n 2p | \
         grep -o '\"id\":\"[^\"]*\"' | head -1 | cut -d'\"' -f4); \
         {nectar} --sandbox usage export --company $company --output {csv}; echo EXIT=$?; sleep 60"
    );
    let tmux = Tmux::start("progress", &command).expect("tmux runs");
    let pane = tmux.wait_for("EXIT=");
    assert!(pane.contains("EXIT=0"), "{pane}");
    assert!(
        pane.contains("[##############################] 36/36 rows"),
        "{pane}"
    );
    assert!(pane.contains("36 usage rows exported"), "{pane}");
    let written = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(written.lines().count(), 37);
    let _ = std::fs::remove_file(&csv);
}
