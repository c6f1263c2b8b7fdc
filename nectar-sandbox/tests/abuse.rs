//! The emulator as a server users run in CI, held against abuse: slow-header connections are
//! closed, the request log stays bounded whatever is sent to it, and the accept loop does not
//! spin when file descriptors run out.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use nectar_sandbox::{MAX_LOGGED_PATH, MAX_LOGGED_REQUESTS, Sandbox};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

#[tokio::test]
async fn slow_header_connections_are_closed_after_the_header_timeout() {
    let sandbox = Sandbox::builder()
        .header_timeout(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
        // Half a request's headers, then nothing (slowloris).
        stream
            .write_all(b"GET /v2.2/ping HTTP/1.1\r\nHost: x\r\nX-API-KEY: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // Each connection must be closed by the emulator (EOF or reset) within 10 s, all waited
    // for at once; one still open then counts as open.
    let waits = slow.into_iter().map(|mut stream| {
        tokio::spawn(async move {
            let mut buffer = [0_u8; 512];
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        // An answer (408) before closing is fine too.
                        Ok(_) => {}
                    }
                }
            })
            .await
            .is_ok()
        })
    });
    let mut open = 0;
    for wait in waits.collect::<Vec<_>>() {
        if !wait.await.unwrap() {
            open += 1;
        }
    }
    assert_eq!(open, 0, "{open} of 200 slow-header connections still open");
    // And the emulator still answers.
    let answer = reqwest::get(format!("{}/ping", sandbox.base_url()))
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401, "no key: refused, but served");
}

#[tokio::test]
async fn the_request_log_is_bounded_per_request_and_in_total() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let long = "a".repeat(60 * 1024);
    for _ in 0..1_000 {
        // No API key, a 60 KB path.
        let answer = http
            .get(format!("{}/company/{long}", sandbox.base_url()))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error());
    }
    let log = sandbox.requests();
    assert_eq!(log.len(), 1_000);
    let kept: usize = log.iter().map(|r| r.path.len() + r.method.len()).sum();
    assert!(
        log.iter().all(|r| r.path.len() <= MAX_LOGGED_PATH + 3),
        "a path longer than {MAX_LOGGED_PATH} bytes was kept"
    );
    assert!(log[0].path.starts_with("/v2.2/company/aaa") && log[0].path.ends_with("..."));
    println!(
        "the log keeps {kept} bytes of paths and methods after 1,000 requests with 60 KB paths"
    );
    assert!(kept <= 1_000 * (MAX_LOGGED_PATH + 3 + 16));

    // Past MAX_LOGGED_REQUESTS, the oldest go; numbering goes on.
    let mut sent = 1_000;
    while sent < MAX_LOGGED_REQUESTS + 50 {
        http.get(format!("{}/ping", sandbox.base_url()))
            .send()
            .await
            .unwrap();
        sent += 1;
    }
    let log = sandbox.requests();
    assert_eq!(log.len(), MAX_LOGGED_REQUESTS);
    assert_eq!(log.last().map(|r| r.n), Some(sent as u64));
    assert_eq!(log[0].n, (sent - MAX_LOGGED_REQUESTS + 1) as u64);
}

/// The emulator binary, started with `ulimit -n 64`, stopped (by its process id) when dropped.
struct Limited {
    child: Child,
    port: u16,
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Limited {
    fn start() -> Limited {
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(r#"ulimit -n 64 && exec "$0" --port 0"#)
            .arg(env!("CARGO_BIN_EXE_nectar-sandbox"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bash starts the emulator");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the emulator prints its address")
                .unwrap();
            if let Some(rest) = line.strip_prefix("Nectar emulator serving http://127.0.0.1:") {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Limited { child, port }
    }

    /// User plus system CPU time so far, in clock ticks (`/proc/<pid>/stat`).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which is in parentheses): utime is the 12th, stime the
        // 13th.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split(' ').collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

#[tokio::test]
async fn the_accept_loop_backs_off_when_file_descriptors_run_out() {
    let server = Limited::start();
    let mut idle = Vec::new();
    for _ in 0..120 {
        // The kernel completes the handshake for the backlog; the emulator cannot accept them all.
        idle.push(
            TcpStream::connect(("127.0.0.1", server.port))
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.cpu_ticks();
    // Well within the emulator's 10 s header timeout, which would free descriptors.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = server.cpu_ticks() - before;
    // Clock ticks are 1/100 s on Linux: a spinning loop uses about 200 in 2 s.
    println!("CPU while descriptors are exhausted: {used} ticks in 2 s");
    assert!(
        used < 40,
        "the emulator used {used} clock ticks of CPU in 2 s while out of file descriptors"
    );
    drop(idle);
}
