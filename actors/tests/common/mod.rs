//! Helpers for the CLI tests: the `warren` binary, the broker check, unique names.

#![allow(dead_code)]

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// `warren call` of `echo` with `value` on `topic` (more options or environment may
/// be added before it runs).
pub fn echo_call(topic: &str, value: i64) -> Command {
    let mut call = warren();
    call.args(["call", "--transport-url", URL, "--topic", topic, "echo"])
        .args(["--args", &format!(r#"{{"value": {value}}}"#)]);
    call
}

/// A port of 127.0.0.1 that was free a moment ago (released again for the process
/// under test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The broker the CLI tests use.
pub const URL: &str = "pika://guest:guest@127.0.0.1:5672/";

/// Write `text` to `<stem>.conf` in the tests' scratch directory; returns its path.
pub fn write_conf(stem: &str, text: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{stem}.conf"));
    std::fs::write(&path, text).expect("the target tmp dir is writable");
    path
}

/// The `warren` binary built for these tests.
pub fn warren() -> Command {
    Command::new(env!("CARGO_BIN_EXE_warren"))
}

/// Fail the test loudly unless a broker accepts TCP connections on 127.0.0.1:5672.
pub fn require_broker() {
    let addr = "127.0.0.1:5672".parse().expect("address");
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok(),
        "this test needs RabbitMQ on 127.0.0.1:5672 (guest/guest): run `bash scripts/ensure-broker.sh`"
    );
}

/// A name no other test run uses: the test mark (see `scripts/sweep-test-queues.sh`),
/// `prefix`, the process id and the clock's nanoseconds.
pub fn unique(prefix: &str) -> String {
    format!(
        "wtest-{prefix}-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// A `warren serve` process (server `s1` on `topic`, with `extra` options), started
/// and reported serving; interrupted (graceful stop) when dropped. The flag says
/// whether it logged its connection before it reported serving.
pub struct Server(pub std::process::Child, pub bool);

impl Server {
    pub fn start(topic: &str) -> Self {
        Self::start_with(topic, &[])
    }

    pub fn start_with(topic: &str, extra: &[&str]) -> Self {
        Self::start_with_env(topic, extra, &[])
    }

    /// [`Server::start_with`], with `env` added to the process's environment.
    pub fn start_with_env(topic: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = warren()
            .args(["serve", "--transport-url", URL, "--topic", topic])
            .args(["--server", "s1"])
            .args(extra)
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start warren serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut connected = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                connected |= line.contains("connected to RabbitMQ");
                if line.contains("serving topic") {
                    let _ = tx.send(connected);
                }
            }
        });
        let connected = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("warren serve did not report it was serving within 20 s");
        Server(child, connected)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}
