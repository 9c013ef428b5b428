//! The demos run anywhere: without `WARREN_URL` on the in-memory broker, saying so;
//! pointed at a broker that is not there, they end on their own with status 1 and one
//! line naming the host and the cause, instead of waiting for ever.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The demos give up after 10 s; the rest is margin for a loaded machine.
const BOUND: Duration = Duration::from_secs(30);

/// The built example `name`: cargo builds a package's examples into `examples/` beside
/// the `deps/` folder this test runs from (`cargo test` builds them; a test run
/// filtered with `--test` does not, hence the check that the binary is current).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from <target>/<profile>/deps");
    let binary = profile.join("examples").join(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    assert!(
        modified(&binary) >= modified(&source),
        "{} is missing or older than {}: run `cargo build --examples` (plain `cargo test` \
         builds them)",
        binary.display(),
        source.display()
    );
    binary
}

/// Run `command` to its end, killing it if it outlives `BOUND`.
fn run_bounded(mut command: Command, what: &str) -> (Output, Duration) {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(BOUND) {
        Ok(output) => (output.expect("collect the output"), started.elapsed()),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("{what} was still running after {BOUND:?}");
        }
    }
}

#[test]
fn the_demos_say_the_broker_is_unreachable_and_why_within_their_bound() {
    for name in ["rpc_service", "notifications"] {
        let mut command = Command::new(example(name));
        command
            .env("WARREN_URL", "pika://guest:guest@127.0.0.1:1/")
            .env("RUST_LOG", "off");
        let (out, took) = run_bounded(command, name);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name} after {took:?}: {err}");
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("{name}: "))
                && last.contains("127.0.0.1:1")
                && last.contains("Connection refused"),
            "{name}: one line naming the host and the cause:\n{err}"
        );
    }
}

#[test]
fn without_warren_url_the_demos_run_on_the_in_memory_broker_and_say_so() {
    let expected = [
        ("rpc_service", "add(40, 2) = 42"),
        ("notifications", "audit pool got all 10"),
    ];
    for (name, shown) in expected {
        let mut command = Command::new(example(name));
        command.env_remove("WARREN_URL").env("RUST_LOG", "off");
        let (out, took) = run_bounded(command, name);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} after {took:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("WARREN_URL"))
            .collect();
        assert_eq!(
            said,
            ["WARREN_URL is not set: using the in-memory broker (fake://)"],
            "{name} says once which broker it uses:\n{stdout}"
        );
        assert!(stdout.contains(shown), "{name} shows its calls:\n{stdout}");
    }
}
