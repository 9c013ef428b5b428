//! `warren notify`, `listen` and `bench notify` as an operator runs them, against the
//! real broker.

mod common;

use common::{URL, require_broker, unique, warren};

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// A `warren listen` process that has reported it is consuming.
fn listen(args: &[&str]) -> (Child, ChildStdout) {
    let mut child = warren()
        .args(["listen", "--transport-url", URL])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start warren listen");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("listening on topic") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(WAIT)
        .expect("warren listen did not report it was listening within 20 s");
    let stdout = child.stdout.take().expect("stdout");
    (child, stdout)
}

fn notify(args: &[&str]) -> std::process::Output {
    warren()
        .args(["notify", "--transport-url", URL])
        .args(args)
        .output()
        .expect("run warren notify")
}

/// Wait for a process to exit, killing it after `WAIT`.
fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {WAIT:?}");
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

#[test]
fn listen_prints_what_notify_sent_and_exits_after_count() {
    require_broker();
    let topic = unique("cli-notify");
    let (mut listener, stdout) = listen(&["--topic", &topic, "--count", "2"]);
    let first = notify(&[
        "--topic",
        &topic,
        "--priority",
        "error",
        "--event-type",
        "compute.instance.delete.end",
        "--payload",
        r#"{"instance_id": "i-1", "tags": ["é", null]}"#,
        "--publisher-id",
        "compute.host1",
        "--context",
        r#"{"user": "u1"}"#,
    ]);
    assert!(first.status.success(), "{first:?}");
    let second = notify(&[
        "--topic",
        &topic,
        "--priority",
        "warning",
        "--event-type",
        "volume.attach",
        "--payload",
        "42",
    ]);
    assert!(second.status.success(), "{second:?}");
    assert!(wait_exit(&mut listener).success());
    let mut lines: Vec<Value> = BufReader::new(stdout)
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    lines.sort_by_key(|l| l["event_type"].as_str().map(str::to_owned));
    for l in &lines {
        assert_eq!(l["message_id"].as_str().map(str::len), Some(36), "{l}");
        assert!(
            l["timestamp"].as_str().is_some_and(|t| t.len() >= 19),
            "{l}"
        );
    }
    let strip = |l: &Value| {
        let mut l = l.clone();
        let o = l.as_object_mut().unwrap();
        o.remove("message_id");
        o.remove("timestamp");
        l
    };
    assert_eq!(
        strip(&lines[0]),
        json!({"priority": "error", "publisher_id": "compute.host1",
               "event_type": "compute.instance.delete.end",
               "payload": {"instance_id": "i-1", "tags": ["é", null]},
               "context": {"user": "u1"}})
    );
    assert_eq!(
        strip(&lines[1]),
        json!({"priority": "warn", "publisher_id": "warren-cli", "event_type": "volume.attach",
               "payload": 42, "context": {}})
    );
}

#[test]
fn bad_notify_input_exits_with_2_and_says_why() {
    let bad_priority = notify(&["--topic", "t", "--priority", "loud", "--event-type", "e"]);
    assert_eq!(bad_priority.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad_priority.stderr);
    assert!(err.contains("--priority") && err.contains("loud"), "{err}");

    let bad_payload = notify(&["--topic", "t", "--event-type", "e", "--payload", "{bad"]);
    assert_eq!(bad_payload.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_payload.stderr).contains("--payload"));

    let bad_context = notify(&["--topic", "t", "--event-type", "e", "--context", "[1]"]);
    assert_eq!(bad_context.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_context.stderr).contains("--context"));
}

#[test]
fn bench_notify_reports_every_notification_confirmed() {
    require_broker();
    let topic = unique("cli-bench-notify");
    let out = warren()
        .args([
            "bench",
            "notify",
            "--transport-url",
            URL,
            "--topic",
            &topic,
            "--count",
            "200",
            "--concurrency",
            "10",
        ])
        .output()
        .expect("run warren bench notify");
    assert!(out.status.success(), "{out:?}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["kind"], json!("notify"));
    assert_eq!(summary["confirmed"], json!(200));
    assert_eq!(summary["errors"], json!(0));
    assert!(summary["per_second"].as_f64().is_some_and(|r| r > 0.0));
    let _ = Command::new("rabbitmqctl")
        .args(["-q", "delete_queue", &format!("{topic}.info")])
        .output();
}
