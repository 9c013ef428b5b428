//! `warren notify`, `listen` and `bench notify` as an operator runs them, against the
//! real broker.

mod common;

use common::{URL, require_broker, unique, warren, write_conf};

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// A running `warren listen` that has reported it is consuming. Its stdout lines, and
/// finally its exit status, arrive on channels, so a test waits on events, not clocks.
struct Listener {
    pid: u32,
    lines: Receiver<Value>,
    exit: Receiver<ExitStatus>,
}

impl Listener {
    fn start(args: &[&str]) -> Self {
        let mut child = warren()
            .args(["listen", "--transport-url", URL])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start warren listen");
        let pid = child.id();
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr.expect("stderr"))
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening on topic") {
                    let _ = ready_tx.send(());
                }
            }
        });
        let (line_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout.expect("stdout"))
                .lines()
                .map_while(Result::ok)
            {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| json!({ "not JSON": line, "error": e.to_string() }));
                let _ = line_tx.send(value);
            }
        });
        let (exit_tx, exit) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });
        let listener = Listener { pid, lines, exit };
        if ready_rx.recv_timeout(WAIT).is_err() {
            listener.signal("-KILL");
            panic!("warren listen did not report it was listening within {WAIT:?}");
        }
        listener
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, &self.pid.to_string()])
            .status();
    }

    /// The next JSON line printed.
    fn line(&self) -> Value {
        self.lines
            .recv_timeout(WAIT)
            .expect("warren listen printed no notification within 20 s")
    }

    /// Wait for the process to exit; then every line it printed.
    fn exit(self) -> (ExitStatus, Vec<Value>) {
        let status = self.exit.recv_timeout(WAIT).unwrap_or_else(|_| {
            self.signal("-KILL");
            panic!("warren listen did not exit within {WAIT:?}")
        });
        (status, self.lines.iter().collect())
    }
}

fn notify(args: &[&str]) -> Output {
    warren()
        .args(["notify", "--transport-url", URL])
        .args(args)
        .output()
        .expect("run warren notify")
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Best-effort removal of the queues a test leaves on the shared broker.
fn delete_queues(names: &[String]) {
    for name in names {
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_queue", name])
            .output();
    }
}

#[test]
fn listen_prints_what_notify_sent_and_exits_after_count() {
    require_broker();
    let topic = unique("cli-notify");
    let listener = Listener::start(&["--topic", &topic, "--count", "2"]);
    assert_success(&notify(&[
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
    ]));
    assert_success(&notify(&[
        "--topic",
        &topic,
        "--priority",
        "warning",
        "--event-type",
        "volume.attach",
        "--payload",
        "42",
    ]));
    let (status, mut lines) = listener.exit();
    assert!(status.success(), "{status:?}");
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
        let o = l.as_object_mut().expect("a JSON object per line");
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
fn listen_without_count_stops_gracefully_on_sigterm() {
    require_broker();
    let topic = unique("cli-listen-term");
    let listener = Listener::start(&["--topic", &topic, "--priority", "info"]);
    assert_success(&notify(&["--topic", &topic, "--event-type", "before.term"]));
    assert_eq!(listener.line()["event_type"], json!("before.term"));
    listener.signal("-TERM");
    let (status, rest) = listener.exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn listen_sent_sigterm_as_soon_as_it_is_ready_exits_0() {
    require_broker();
    let topic = unique("cli-listen-term-early");
    let listener = Listener::start(&["--topic", &topic, "--priority", "info"]);
    listener.signal("-TERM");
    let (status, lines) = listener.exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn pool_members_share_a_topics_notifications() {
    require_broker();
    let topic = unique("cli-listen-pool");
    let pool = format!("{topic}-pool");
    let args = ["--topic", &topic, "--pool", &pool, "--count", "1"];
    let (a, b) = (Listener::start(&args), Listener::start(&args));
    for event in ["first", "second"] {
        assert_success(&notify(&["--topic", &topic, "--event-type", event]));
    }
    // Each member prints one and exits; one taken past its count goes back to the pool.
    let (status_a, lines_a) = a.exit();
    let (status_b, lines_b) = b.exit();
    assert!(status_a.success() && status_b.success());
    assert_eq!(
        (lines_a.len(), lines_b.len()),
        (1, 1),
        "{lines_a:?} {lines_b:?}"
    );
    let mut events = vec![
        lines_a[0]["event_type"].clone(),
        lines_b[0]["event_type"].clone(),
    ];
    events.sort_by_key(Value::to_string);
    assert_eq!(events, [json!("first"), json!("second")]);
    delete_queues(&[pool]);
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

    let bad_url = warren()
        .args([
            "notify",
            "--transport-url",
            "amqp://h/",
            "--event-type",
            "e",
        ])
        .output()
        .expect("run warren notify");
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("--transport-url"));

    let listen_priority = warren()
        .args(["listen", "--transport-url", URL, "--priority", "loud"])
        .output()
        .expect("run warren listen");
    assert_eq!(listen_priority.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&listen_priority.stderr).contains("--priority"));
}

/// `warren notify` to 127.0.0.1:1, where nothing listens, giving up after 5 s (time for
/// the first refused attempt even on a loaded machine).
fn notify_to_port_1() -> Command {
    let mut command = warren();
    command.args([
        "notify",
        "--transport-url",
        "pika://guest:guest@127.0.0.1:1/",
        "--topic",
        "t",
        "--event-type",
        "e",
        "--connect-timeout",
        "5",
    ]);
    command
}

#[test]
fn notify_to_an_unreachable_broker_exits_with_1_and_the_error() {
    let out = notify_to_port_1()
        .env("WARREN_LOG", "off")
        .output()
        .expect("run warren notify");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("waiting for a connection to RabbitMQ")
            && err.contains("127.0.0.1:1")
            && err.contains("Connection refused"),
        "{err}"
    );
    assert!(!err.contains("guest:guest"), "{err}");
}

#[test]
fn log_lines_to_a_pipe_carry_no_colour_codes() {
    // Nothing listens on port 1: the connection attempts are logged at WARN.
    let out = notify_to_port_1()
        .env_remove("WARREN_LOG")
        .output()
        .expect("run warren notify");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("WARN"), "no log line to check:\n{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes written to a stderr that is not a terminal:\n{err}"
    );
}

#[test]
fn a_first_notification_to_a_new_topic_logs_no_message_body() {
    require_broker();
    let topic = unique("cli-first-notify");
    let anchor = unique("cli-first-notify-anchor");
    let marker = "body-marker-that-must-not-be-logged";
    // A queue of another topic keeps the (auto-deleted) exchange in place, so the
    // broker returns the first publish to `topic` (NO_ROUTE) rather than refuse its
    // exchange; the notifier then declares the store-and-forward queue and sends again.
    assert_success(&notify(&["--topic", &anchor, "--event-type", "cli.anchor"]));
    let out = notify(&[
        "--topic",
        &topic,
        "--event-type",
        "cli.first",
        "--payload",
        &json!({ "secret": marker }).to_string(),
    ]);
    assert_success(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains(marker) && !err.contains("returned us a message"),
        "an expected broker return was logged with the message:\n{err}"
    );
    delete_queues(&[format!("{topic}.info"), format!("{anchor}.info")]);
}

#[test]
fn bench_notify_reports_every_notification_confirmed() {
    bench_notify_stores_all(&[]);
}

#[test]
fn bench_notify_buffered_drains_every_notification_into_the_queue() {
    bench_notify_stores_all(&["--buffered"]);
}

/// `warren bench notify` (with `extra` options) of 200 notifications nobody listens
/// to: all confirmed, all stored.
fn bench_notify_stores_all(extra: &[&str]) {
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
            "--priority",
            "warn",
        ])
        .args(extra)
        .output()
        .expect("run warren bench notify");
    assert_success(&out);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["kind"], json!("notify"));
    assert_eq!(summary["sent"], json!(200));
    assert_eq!(summary["confirmed"], json!(200));
    assert_eq!(summary["errors"], json!(0));
    assert!(summary["per_second"].as_f64().is_some_and(|r| r > 0.0));
    // Nobody listened: store and forward kept all of them in the `warn` queue.
    let queue = format!("{topic}.warn");
    let listed = Command::new("rabbitmqctl")
        .args(["-q", "list_queues", "name", "messages"])
        .output()
        .expect("run rabbitmqctl");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.lines().any(|l| l == format!("{queue}\t200")),
        "no `{queue}` with 200 messages in:\n{listed}"
    );
    delete_queues(&[queue]);
}

#[test]
fn with_driver_log_notify_logs_one_line_without_the_payload_and_publishes_nothing() {
    require_broker();
    let topic = unique("cli-driver-log");
    let marker = "payload-marker-that-must-not-be-logged";
    let conf = write_conf(
        &format!("cli_notify_{topic}"),
        "[oslo_messaging_notifications]\ndriver = log\n",
    );
    let out = warren()
        .args(["notify", "--transport-url", URL, "--config-file"])
        .arg(&conf)
        .args(["--topic", &topic, "--event-type", "cli.logged", "--payload"])
        .arg(json!({ "secret": marker }).to_string())
        .env_remove("WARREN_LOG")
        .output()
        .expect("run warren notify");
    assert_success(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    let logged: Vec<&str> = err.lines().filter(|l| l.contains("cli.logged")).collect();
    assert_eq!(logged.len(), 1, "one line per notification:\n{err}");
    assert!(
        logged[0].contains("INFO") && logged[0].contains("warren-cli"),
        "{err}"
    );
    assert!(
        !err.contains(marker),
        "the payload stays out of logs:\n{err}"
    );
    // Published, it would have left a store-and-forward queue behind.
    let queues = Command::new("rabbitmqctl")
        .args(["-q", "list_queues", "name"])
        .output()
        .expect("run rabbitmqctl");
    assert!(
        !String::from_utf8_lossy(&queues.stdout).contains(&topic),
        "nothing was published to {topic}"
    );
}

#[test]
fn an_option_without_effect_is_named_once_with_the_reason() {
    require_broker();
    let conf = write_conf(
        &format!("cli_notify_{}", unique("inert")),
        "[oslo_messaging_pika]\nconnection_factory = read_write\n\
         [oslo_messaging_notifications]\ndriver = noop\n",
    );
    let out = warren()
        .args(["notify", "--transport-url", URL, "--config-file"])
        .arg(&conf)
        .args(["--topic", "t", "--event-type", "cli.inert"])
        .env_remove("WARREN_LOG")
        .output()
        .expect("run warren notify");
    assert_success(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    let named: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("connection_factory = read_write has no effect"))
        .collect();
    assert_eq!(named.len(), 1, "{err}");
    assert!(
        named[0].contains("WARN") && named[0].contains("two transports"),
        "{err}"
    );
}
