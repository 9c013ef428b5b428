//! `warren serve`, `call` and `cast` as an operator runs them, against the real broker.

mod common;

use common::{Server, URL, require_broker, unique, warren};

use std::time::Duration;

#[test]
fn call_prints_the_result_and_remote_errors_exit_with_1() {
    require_broker();
    let topic = unique("cli-rpc");
    let server = Server::start(&topic);
    assert!(server.1, "a long-running serve says when it is connected");

    let out = warren()
        .args([
            "call",
            "--transport-url",
            URL,
            "--topic",
            &topic,
            "add",
            "--args",
            r#"{"a": 2, "b": 40}"#,
        ])
        .output()
        .expect("run warren call");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
    assert!(
        out.stderr.is_empty(),
        "a one-shot call that succeeds logs nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = warren()
        .args([
            "call",
            "--transport-url",
            URL,
            "--topic",
            &topic,
            "--serializer",
            "msgpack",
            "echo",
            "--args",
            r#"{"value": {"k": [1, "two"]}}"#,
        ])
        .output()
        .expect("run warren call");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"k":[1,"two"]}"#
    );

    let out = warren()
        .args([
            "call",
            "--transport-url",
            URL,
            "--topic",
            &topic,
            "fail",
            "--args",
            r#"{"message": "boom"}"#,
        ])
        .output()
        .expect("run warren call");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ValueError") && stderr.contains("boom"),
        "{stderr}"
    );

    let out = warren()
        .args([
            "call",
            "--transport-url",
            URL,
            "--topic",
            &topic,
            "--timeout",
            "1",
            "sleep",
            "--args",
            r#"{"seconds": 3}"#,
        ])
        .output()
        .expect("run warren call");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));

    let out = warren()
        .args([
            "cast",
            "--transport-url",
            URL,
            "--topic",
            &topic,
            "--fanout",
            "echo",
            "--args",
            r#"{"value": 1}"#,
        ])
        .output()
        .expect("run warren cast");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_arguments_exit_with_2_without_the_password() {
    let out = warren()
        .args([
            "call",
            "--transport-url",
            "pika://u:hunter2@127.0.0.1:5672/",
            "--topic",
            "t",
            "echo",
            "--args",
            "[1]",
        ])
        .output()
        .expect("run warren call");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--args must be a JSON object"), "{stderr}");
    assert!(!stderr.contains("hunter2"));

    let out = warren()
        .args([
            "call",
            "--transport-url",
            "pika://u:hunter2@host:notaport/",
            "--topic",
            "t",
            "echo",
        ])
        .output()
        .expect("run warren call");
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
}

#[test]
fn call_and_cast_to_an_unreachable_broker_fail_within_connect_timeout_saying_why() {
    // Nothing listens on port 1; rpc_response_timeout (60 s) must not be what ends it.
    // The bound leaves a loaded machine time for the first refused attempt, whose cause
    // the error names.
    for command in ["call", "cast"] {
        let started = std::time::Instant::now();
        let out = warren()
            .args([
                command,
                "--transport-url",
                "pika://guest:s3cret@127.0.0.1:1/",
                "--topic",
                "t",
                "--connect-timeout",
                "5",
                "echo",
            ])
            .env_remove("WARREN_LOG")
            .output()
            .expect("run warren");
        assert_eq!(out.status.code(), Some(1), "{command}: {out:?}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{command} waited {:?}, not its connect timeout",
            started.elapsed()
        );
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("warren {command}: "))
                && last.contains("127.0.0.1:1")
                && last.contains("Connection refused"),
            "one line naming the host and the cause: {err}"
        );
        assert!(!err.contains("s3cret"), "never the password: {err}");
        // Attempts every 250 ms: only the first failure is a warning.
        assert_eq!(
            err.lines().filter(|l| l.contains("WARN")).count(),
            1,
            "{err}"
        );
    }
}
