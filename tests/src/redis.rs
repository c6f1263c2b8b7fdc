//! A real `redis-server` for the tests of the shared limit: started on a free loopback port
//! with no persistence, stopped (by its process id) when dropped. The Debian package
//! `redis-server` provides it; CI installs it.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts one on a free port; `None` (saying why on stderr) when `redis-server` is not
    /// installed, or a panic if `NECTAR_TESTS_REQUIRE_SERVICES` is set (CI sets it).
    pub fn start() -> Option<RedisServer> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        Self::start_on(port)
    }

    /// Starts one on `port` (to restart a stopped one where its clients expect it).
    pub fn start_on(port: u16) -> Option<RedisServer> {
        let child = match Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            // A service with its own clock: not under the tests' faked one (.ci/faked-dates runs
            // the tests with libfaketime preloaded, which redis-server does not start under).
            .env_remove("LD_PRELOAD")
            .env_remove("FAKETIME")
            .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(error) if std::env::var_os("NECTAR_TESTS_REQUIRE_SERVICES").is_some() => {
                panic!(
                    "redis-server cannot start ({error}) and NECTAR_TESTS_REQUIRE_SERVICES is set"
                )
            }
            Err(error) => {
                eprintln!("redis-server cannot start ({error}): the Redis tests are skipped");
                return None;
            }
        };
        let server = RedisServer { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it now (SIGKILL, by its process id), as a crash would.
    pub fn kill(mut self) {
        self.stop();
    }

    /// How many slots of the shared limit are held now, over every key.
    pub fn held_slots(&self) -> usize {
        let mut connection = redis::Client::open(self.url())
            .and_then(|client| client.get_connection())
            .expect("connects to the test's redis-server");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("nectar:limit:*:slots")
            .query(&mut connection)
            .expect("KEYS");
        keys.iter()
            .map(|key| {
                redis::cmd("ZCARD")
                    .arg(key)
                    .query::<usize>(&mut connection)
                    .expect("ZCARD")
            })
            .sum()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
