//! Python peers for the interop tests: the real oslo.messaging Pika driver, run as
//! child processes that speak JSON lines (programs in `tests/interop/python/`).
//!
//! The virtualenv is built once per test binary by `tests/interop/setup-venv.sh`; when
//! it cannot be built (no Python, PyPI unreachable) every interop test fails with the
//! script's message, never skipping.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// How long a peer may take to start (Python imports eventlet and oslo.* first).
pub const START: Duration = Duration::from_secs(60);

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// The virtualenv's python, built on first use.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-venv");
        let out = Command::new("bash")
            .arg(interop_dir().join("setup-venv.sh"))
            .arg(&venv)
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run bash for tests/interop/setup-venv.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the Python Pika-driver peer could not be installed \
                 (tests/interop/setup-venv.sh failed):\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let python = stdout.lines().last().unwrap_or_default().trim().to_owned();
        Ok(PathBuf::from(python))
    });
    match built {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// A running Python peer; killed when dropped.
pub struct Peer {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: UnboundedReceiver<Value>,
    stderr: Arc<Mutex<String>>,
}

impl Peer {
    /// Start `program` (a file of `tests/interop/python/`) with `args` and wait for
    /// its `{"event": "ready"}` line.
    pub async fn start(program: &str, args: &[&str]) -> Peer {
        crate::common::require_broker();
        let mut child = Command::new(python())
            .arg(interop_dir().join("python").join(program))
            .arg("--url")
            .arg(crate::common::broker_url())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start python peer {program}: {e}"));
        let (tx, lines) = unbounded_channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let name = format!("{program} {}", args.join(" "));
        let who = name.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("[{who}] {line}"),
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let stdin = child.stdin.take();
        let mut peer = Peer {
            name,
            child,
            stdin,
            lines,
            stderr,
        };
        peer.expect_event("ready", START).await;
        peer
    }

    /// The next JSON line, within `timeout`; fails the test with the peer's stderr.
    pub async fn next(&mut self, timeout: Duration) -> Value {
        match tokio::time::timeout(timeout, self.lines.recv()).await {
            Ok(Some(v)) => v,
            Ok(None) => self.fail("exited"),
            Err(_) => self.fail(&format!("printed nothing within {timeout:?}")),
        }
    }

    /// Lines until one whose `event` is `event`; returns it.
    pub async fn expect_event(&mut self, event: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.next(left).await;
            if v["event"] == json!(event) {
                return v;
            }
        }
    }

    /// `n` lines whose `event` is `event`, within `timeout` in all.
    pub async fn events(&mut self, event: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.next(left).await;
            if v["event"] == json!(event) {
                out.push(v);
            }
        }
        out
    }

    /// Send one JSON command line and return the peer's answer line.
    pub async fn request(&mut self, command: Value, timeout: Duration) -> Value {
        let stdin = self.stdin.as_mut().expect("peer stdin open");
        writeln!(stdin, "{command}").expect("write to python peer");
        stdin.flush().expect("flush python peer stdin");
        self.next(timeout).await
    }

    fn fail(&self, what: &str) -> ! {
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        panic!("python peer [{}] {what}; its stderr:\n{stderr}", self.name)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing stdin asks the peer to stop; the kill makes sure it does.
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
