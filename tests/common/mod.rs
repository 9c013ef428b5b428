//! Helpers for tests that talk to the real RabbitMQ.
//!
//! Every broker test calls [`require_broker`] first: without a broker it fails with a
//! message saying how to start one, never skipping silently.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The broker tests use: `WARREN_TEST_URL`, or the local guest account.
pub fn broker_url() -> String {
    std::env::var("WARREN_TEST_URL")
        .unwrap_or_else(|_| "pika://guest:guest@127.0.0.1:5672/".to_owned())
}

/// Whether the tests run on the in-memory broker (`WARREN_TEST_URL=fake://`).
pub fn in_memory() -> bool {
    broker_url()
        .parse::<warren::TransportUrl>()
        .is_ok_and(|url| url.is_in_memory())
}

/// Fail the test loudly unless a broker accepts TCP connections on 127.0.0.1:5672 (or
/// the tests run on the in-memory broker, which is always there).
pub fn require_broker() {
    if in_memory() {
        return;
    }
    let addr = ("127.0.0.1", 5672)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .expect("resolve 127.0.0.1:5672");
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!(
            "this test needs RabbitMQ on 127.0.0.1:5672 (guest/guest) and none answers: \
             start it with `rabbitmq-server -detached` or run `bash scripts/ensure-broker.sh`"
        );
    }
}

/// Marks every broker object the tests name, so `scripts/sweep-test-queues.sh` can
/// remove what earlier runs left behind (notification queues never expire).
pub const TEST_MARK: &str = "wtest-";

/// A name no other test (or test run) uses: [`TEST_MARK`], `prefix`, the process id and
/// a counter.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{TEST_MARK}{prefix}-{}-{n}-{nanos:x}", std::process::id())
}

/// Run `rabbitmqctl -q ARGS` and return its standard output; panics with its stderr.
pub fn rabbitmqctl(args: &[&str]) -> String {
    let out = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .expect("run rabbitmqctl (is RabbitMQ installed?)");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Force-close every broker connection whose `connection_name` is `name`, as a
/// broker failure would; returns how many were closed.
pub fn close_connections_named(name: &str) -> usize {
    let listing = rabbitmqctl(&["list_connections", "pid", "client_properties"]);
    let mut closed = 0;
    for line in listing.lines() {
        if line.contains(&format!("\"{name}\""))
            && let Some(pid) = line.split_whitespace().next()
        {
            rabbitmqctl(&["close_connection", pid, "forced by a warren test"]);
            closed += 1;
        }
    }
    closed
}

/// `queue`'s row of `rabbitmqctl list_queues name messages_ready
/// messages_unacknowledged` (tab-separated); `None` when the queue is not listed.
pub fn ready_and_unacked(queue: &str) -> Option<String> {
    rabbitmqctl(&[
        "list_queues",
        "name",
        "messages_ready",
        "messages_unacknowledged",
    ])
    .lines()
    .find(|r| r.starts_with(&format!("{queue}\t")))
    .map(str::to_owned)
}

/// Waits (up to `wait`) until `rabbitmqctl` shows `queue` with no ready and no
/// unacknowledged message.
pub async fn wait_until_empty(queue: &str, wait: Duration) {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let row = ready_and_unacked(queue).unwrap_or_else(|| panic!("{queue} is not listed"));
        if row == format!("{queue}\t0\t0") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "messages stay queued: {row}"
        );
        tokio::task::yield_now().await;
    }
}

/// A queue as `rabbitmqctl list_queues` shows it.
#[derive(Debug)]
pub struct Queue {
    pub kind: String,
    pub durable: bool,
    pub auto_delete: bool,
    pub exclusive: bool,
    pub arguments: String,
}

/// The queues whose name contains `part`, by name.
pub fn queues_containing(part: &str) -> BTreeMap<String, Queue> {
    let listing = rabbitmqctl(&[
        "list_queues",
        "name",
        "type",
        "durable",
        "auto_delete",
        "exclusive",
        "arguments",
    ]);
    listing
        .lines()
        .filter_map(|line| {
            let c: Vec<&str> = line.split('\t').collect();
            let [name, kind, durable, auto_delete, exclusive, arguments] = c[..] else {
                return None;
            };
            name.contains(part).then(|| {
                let queue = Queue {
                    kind: kind.to_owned(),
                    durable: durable == "true",
                    auto_delete: auto_delete == "true",
                    exclusive: exclusive == "true",
                    arguments: arguments.to_owned(),
                };
                (name.to_owned(), queue)
            })
        })
        .collect()
}

/// Delete the queues `names` (`rabbitmqctl delete_queue`).
pub fn delete_queues<'a>(names: impl IntoIterator<Item = &'a String>) {
    for name in names {
        rabbitmqctl(&["delete_queue", name]);
    }
}

/// Rows of `rabbitmqctl list_queues name durable auto_delete exclusive arguments`
/// whose name starts with `prefix`, as tab-separated text lines.
pub fn queues_with_prefix(prefix: &str) -> Vec<String> {
    rabbitmqctl(&[
        "list_queues",
        "name",
        "durable",
        "auto_delete",
        "exclusive",
        "arguments",
    ])
    .lines()
    .filter(|l| l.starts_with(prefix))
    .map(str::to_owned)
    .collect()
}

/// Rows of `rabbitmqctl list_bindings source_name destination_name routing_key`
/// whose destination starts with `prefix`.
pub fn bindings_to_prefix(prefix: &str) -> Vec<String> {
    rabbitmqctl(&[
        "list_bindings",
        "source_name",
        "destination_name",
        "routing_key",
    ])
    .lines()
    // The default exchange's implicit bindings have an empty source: skip them.
    .filter(|l| !l.starts_with('\t'))
    .filter(|l| l.split('\t').nth(1).is_some_and(|d| d.starts_with(prefix)))
    .map(str::to_owned)
    .collect()
}

/// A raw lapin connection and channel to the test broker, standing in for another
/// client (keep the connection alive as long as the channel is used).
pub async fn raw_channel(name: &str) -> (lapin::Connection, lapin::Channel) {
    require_broker();
    let conn = lapin::Connection::connect(
        "amqp://guest:guest@127.0.0.1:5672/%2f",
        lapin::ConnectionProperties::default().with_connection_name(name.into()),
    )
    .await
    .expect("raw lapin connection to 127.0.0.1:5672");
    let channel = conn.create_channel().await.expect("raw lapin channel");
    (conn, channel)
}

/// A started transport on the test broker, named `name` for `rabbitmqctl`.
pub fn transport(name: &str) -> warren::Transport {
    transport_with(name, |b| b)
}

/// A started transport on the test broker with extra configuration applied.
pub fn transport_with(
    name: &str,
    configure: impl FnOnce(warren::ConfigBuilder) -> warren::ConfigBuilder,
) -> warren::Transport {
    require_broker();
    transport_on(&broker_url(), name, configure)
}

/// A started transport on the broker(s) of `url`, named `name`, configured further by
/// `configure`.
pub fn transport_on(
    url: &str,
    name: &str,
    configure: impl FnOnce(warren::ConfigBuilder) -> warren::ConfigBuilder,
) -> warren::Transport {
    let builder = warren::Config::builder().transport_url(
        url.parse()
            .expect("the test broker URL is a valid pika:// URL"),
    );
    let config = configure(builder)
        .build()
        .expect("valid test configuration");
    warren::Transport::builder(config)
        .project("warren-tests")
        .prog("tests")
        .connection_name(name)
        .start()
        .expect("start the transport")
}

/// A started transport on the test broker, named `name`, whose reply queue carries
/// `prog` (so a test can find it), with `query` (such as `quorum_queues=true`) added
/// to the transport URL's query.
pub fn transport_with_query(name: &str, prog: &str, query: &str) -> warren::Transport {
    require_broker();
    let base = broker_url();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}{query}");
    let config = warren::Config::builder()
        .transport_url(url.parse().expect("a valid test URL"))
        .build()
        .expect("valid test configuration");
    warren::Transport::builder(config)
        .project("warren-tests")
        .prog(prog)
        .connection_name(name)
        .start()
        .expect("start the transport")
}

/// Arguments of the test endpoints' `echo`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Echo {
    pub value: serde_json::Value,
}

/// What a recording endpoint reports: (server name, method, argument value).
pub type Seen = (String, &'static str, serde_json::Value);

/// An endpoint whose `echo` returns its argument and reports which server ran it.
pub fn recording_endpoint(
    server: &str,
    seen: tokio::sync::mpsc::UnboundedSender<Seen>,
) -> warren::Endpoint {
    let server = server.to_owned();
    warren::Endpoint::new().method("echo", move |_ctx, args: Echo| {
        let _ = seen.send((server.clone(), "echo", args.value.clone()));
        async move { Ok::<_, warren::RemoteError>(args.value) }
    })
}

/// A started RPC server `s` on `topic` serving `endpoint`, consuming.
pub async fn serving(
    t: &warren::Transport,
    topic: &str,
    endpoint: warren::Endpoint,
) -> warren::RpcServer {
    let s = warren::RpcServer::start(
        t,
        warren::Target::new(topic).with_server("s"),
        vec![endpoint],
    )
    .expect("start the RPC server");
    s.ready().await.expect("the RPC server consumes");
    s
}

/// A started RPC server `server` on `topic` with [`recording_endpoint`], consuming.
pub async fn recording_server(
    t: &warren::Transport,
    topic: &str,
    server: &str,
    seen: tokio::sync::mpsc::UnboundedSender<Seen>,
) -> warren::RpcServer {
    let s = warren::RpcServer::start(
        t,
        warren::Target::new(topic).with_server(server),
        vec![recording_endpoint(server, seen)],
    )
    .expect("start the RPC server");
    s.ready().await.expect("the RPC server consumes");
    s
}

/// A listener on `topic` with `options` whose `priority` handler forwards each
/// payload; started, not yet known to consume (see [`payload_listener`]).
pub fn start_payload_listener(
    t: &warren::Transport,
    topic: &str,
    priority: warren::Priority,
    options: warren::ListenerOptions,
) -> (
    warren::NotificationListener,
    tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = warren::NotificationEndpoint::new().on(priority, move |n| {
        let _ = tx.send(n.payload);
        async { warren::NotificationResult::Handled }
    });
    let l = warren::NotificationListener::start(
        t,
        &[warren::Target::new(topic)],
        vec![endpoint],
        options,
    )
    .expect("start the listener");
    (l, rx)
}

/// A consuming listener on `topic` whose `priority` handler forwards each payload.
pub async fn payload_listener(
    t: &warren::Transport,
    topic: &str,
    priority: warren::Priority,
) -> (
    warren::NotificationListener,
    tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
) {
    let (l, rx) = start_payload_listener(t, topic, priority, warren::ListenerOptions::default());
    tokio::time::timeout(Duration::from_secs(60), l.ready())
        .await
        .expect("the listener was ready within 60 s")
        .expect("the listener consumes");
    (l, rx)
}

/// Receive `n` reports, each within `timeout`; fails the test naming `what` otherwise.
pub async fn receive<T>(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<T>,
    n: usize,
    timeout: Duration,
    what: &str,
) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        match tokio::time::timeout(timeout, rx.recv()).await {
            Ok(Some(item)) => out.push(item),
            Ok(None) => panic!("{what}: the sender closed after {i} of {n}"),
            Err(_) => panic!("{what}: only {i} of {n} arrived within {timeout:?} each"),
        }
    }
    out
}

/// Publish one info notification on `topic` to a listener that allows requeue and
/// whose endpoint asks to requeue each message the first time it sees it; returns the
/// (message id, times seen) of the first delivery and the redelivery, and stops the
/// listener.
pub async fn requeued_once(t: &warren::Transport, topic: &str) -> Vec<(String, u32)> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let attempts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let endpoint = warren::NotificationEndpoint::new().on(warren::Priority::Info, move |n| {
        let mut seen = attempts.lock().unwrap();
        let count = seen.entry(n.message_id.clone()).or_default();
        *count += 1;
        let _ = tx.send((n.message_id.clone(), *count));
        let result = if *count == 1 {
            warren::NotificationResult::Requeue
        } else {
            warren::NotificationResult::Handled
        };
        async move { result }
    });
    let l = warren::NotificationListener::start(
        t,
        &[warren::Target::new(topic)],
        vec![endpoint],
        warren::ListenerOptions::default().allow_requeue(true),
    )
    .expect("start the listener");
    l.ready().await.expect("the listener consumes");
    t.notifier("p")
        .with_topics([topic])
        .info(&warren::Context::new(), "requeue", &serde_json::json!(1))
        .await
        .expect("the notification is confirmed");
    let wait = Duration::from_secs(10);
    let got = receive(&mut rx, 2, wait, "the first delivery and the redelivery").await;
    l.stop().await;
    got
}
