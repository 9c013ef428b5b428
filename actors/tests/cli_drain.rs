//! `warren serve` stopped by SIGTERM, as systemd, Kubernetes and Docker stop it: the
//! calls in progress are answered before it exits, within `--drain-timeout`.

mod common;

use common::{URL, require_broker, unique, warren};

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// A `warren serve` that has reported it is serving, logging each request it starts
/// handling (debug), with its stderr lines and exit status arriving on channels.
struct Serve {
    pid: u32,
    stderr: Receiver<String>,
    exit: Receiver<ExitStatus>,
}

impl Serve {
    fn start(topic: &str, drain_timeout: &str) -> Self {
        let mut child = warren()
            .args(["serve", "--transport-url", URL, "--topic", topic])
            .args(["--server", "s1", "--drain-timeout", drain_timeout])
            .env("WARREN_LOG", "warn,warren::rpc::server=debug")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start warren serve");
        let pid = child.id();
        let stderr = child.stderr.take().expect("stderr");
        let (line_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = line_tx.send(line);
            }
        });
        let (exit_tx, exit) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });
        let serve = Serve {
            pid,
            stderr: lines,
            exit,
        };
        serve.wait_for_lines("serving topic", 1);
        serve
    }

    /// Waits for `n` stderr lines containing `needle`; returns them.
    fn wait_for_lines(&self, needle: &str, n: usize) -> Vec<String> {
        let mut found = Vec::new();
        while found.len() < n {
            match self.stderr.recv_timeout(WAIT) {
                Ok(line) if line.contains(needle) => found.push(line),
                Ok(_) => {}
                Err(_) => {
                    self.signal("-KILL");
                    panic!(
                        "warren serve logged {} of {n} lines with {needle:?} within {WAIT:?}",
                        found.len()
                    );
                }
            }
        }
        found
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, &self.pid.to_string()])
            .status();
    }

    /// Its exit status and the stderr lines since the last wait.
    fn exit(&self) -> (ExitStatus, Vec<String>) {
        let status = self.exit.recv_timeout(2 * WAIT).unwrap_or_else(|_| {
            self.signal("-KILL");
            panic!("warren serve did not exit within {:?}", 2 * WAIT)
        });
        (status, self.stderr.try_iter().collect())
    }
}

/// A `warren call` of the demo `sleep` method, started in the background.
fn call_sleep(topic: &str, seconds: u32, timeout: &str) -> Child {
    warren()
        .args(["call", "--transport-url", URL, "--topic", topic])
        .args(["--timeout", timeout, "sleep", "--args"])
        .arg(format!(r#"{{"seconds": {seconds}}}"#))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start warren call")
}

fn finished(call: Child) -> Output {
    call.wait_with_output().expect("warren call ran")
}

#[test]
fn sigterm_answers_the_calls_in_progress_before_serve_exits() {
    require_broker();
    let topic = unique("cli-drain");
    let serve = Serve::start(&topic, "30");
    // Long enough that the first is still running when the third starts, even with
    // three processes starting on a busy machine.
    let calls: Vec<Child> = (0..3).map(|_| call_sleep(&topic, 10, "60")).collect();
    serve.wait_for_lines("handling an RPC request", 3);

    serve.signal("-TERM");
    let stopping = serve.wait_for_lines("stopping", 1);
    assert!(
        stopping[0].contains("RPC requests in progress: 3"),
        "{stopping:?}"
    );
    for call in calls {
        let out = finished(call);
        assert!(
            out.status.success(),
            "a call in progress at SIGTERM failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "null");
    }
    let (status, rest) = serve.exit();
    assert_eq!(status.code(), Some(0), "{status:?}: {rest:?}");
}

#[test]
fn a_drain_past_its_timeout_exits_with_1_saying_what_it_abandoned() {
    require_broker();
    let topic = unique("cli-drain-timeout");
    let serve = Serve::start(&topic, "0.2");
    let call = call_sleep(&topic, 30, "2");
    serve.wait_for_lines("handling an RPC request", 1);

    serve.signal("-TERM");
    let (status, rest) = serve.exit();
    assert_eq!(status.code(), Some(1), "{status:?}: {rest:?}");
    let said = rest.join("\n");
    for hint in [
        "timed out after 200ms",
        "RPC requests still in progress: 1",
        "closing the transport abandons them",
    ] {
        assert!(said.contains(hint), "{hint:?} missing from: {said}");
    }
    // Its request was acknowledged on receipt (as the Pika driver does): the caller
    // gets no reply.
    let out = finished(call);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));
}

#[test]
fn a_bad_drain_timeout_exits_with_2_before_connecting() {
    let out = warren()
        .args([
            "serve",
            "--transport-url",
            "pika://guest:guest@127.0.0.1:1/",
        ])
        .args(["--topic", "t", "--server", "s", "--drain-timeout=-1"])
        .output()
        .expect("run warren serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--drain-timeout"));
}
