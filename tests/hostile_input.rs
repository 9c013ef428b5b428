//! Hostile input on a shared broker: 1,000 generated messages of every hostile kind
//! (undecodable, wrong or missing content types and version headers, bodies that are
//! no maps, nested 100,000 levels deep, over the size limit, unknown methods,
//! versions and priorities, ill-typed arguments, context keys shadowing envelope
//! fields) pushed by a raw client into a running RPC server's queue and a
//! notification listener's queue, between valid messages. Every valid message is
//! served, every hostile one is rejected (or answered with a remote error) and
//! counted exactly, no queue keeps a message, and the process's memory stays bounded.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{payload_listener, raw_channel, receive, transport_with, unique, wait_until_empty};
use futures_util::StreamExt;
use lapin::PublisherConfirm;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use serde::Deserialize;
use serde_json::{Value, json};
use warren::{Context, Endpoint, Priority, RemoteError, RpcServer, Target};

/// The body size limit the transport under test is given.
const LIMIT: usize = 256 * 1024;
/// Hostile messages per consuming path.
const HOSTILE_PER_PATH: usize = 500;
/// A valid message follows every this many hostile ones.
const VALID_EVERY: usize = 5;
const WAIT: Duration = Duration::from_secs(30);

/// What the server or listener must do with a message.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Served normally: for RPC answered with `{"s": <this>}`, for a notification
    /// delivered with this payload.
    Valid(Value),
    /// Rejected without requeue; for RPC answered with a remote `ValueError` when the
    /// properties were valid and named a reply queue.
    Rejected { answered: bool },
    /// RPC only: acked and answered with this remote error class, no endpoint run.
    Refused(&'static str),
}

struct Message {
    props: BasicProperties,
    body: Vec<u8>,
    outcome: Outcome,
}

fn headers(version: AMQPValue) -> FieldTable {
    let mut h = FieldTable::default();
    h.insert("version".into(), version);
    h
}

fn v1() -> FieldTable {
    headers(AMQPValue::LongString("1.0".into()))
}

fn props(content_type: Option<&str>, headers: FieldTable) -> BasicProperties {
    let p = BasicProperties::default()
        .with_headers(headers)
        .with_message_id(unique("msg").as_str().into());
    match content_type {
        Some(ct) => p.with_content_type(ct.into()),
        None => p,
    }
}

const JSON: Option<&str> = Some("application/json");
const MSGPACK: Option<&str> = Some("application/msgpack");

fn to_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// `{"k": <100,000 nested lists>}` as JSON text.
fn deep_json(key: &str) -> Vec<u8> {
    format!(
        "{{\"{key}\": {}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    )
    .into_bytes()
}

/// `{"k": <100,000 nested arrays>}` as msgpack.
fn deep_msgpack(key: &str) -> Vec<u8> {
    let mut body = vec![0x81, 0xa0 | key.len() as u8];
    body.extend(key.as_bytes());
    body.extend(std::iter::repeat_n(0x91, 100_000));
    body.push(0x01);
    body
}

/// `{"k": set(set(set(...)))}`: 10,000 oslo `set` extensions, each the whole payload
/// of the one around it (written outside in: level k holds 6(k-1)+1 bytes).
fn nested_extensions(key: &str) -> Vec<u8> {
    let mut body = vec![0x81, 0xa0 | key.len() as u8];
    body.extend(key.as_bytes());
    for k in (1..=10_000u32).rev() {
        let len = (6 * (k - 1) + 1).to_be_bytes();
        body.extend([0xc9, len[0], len[1], len[2], len[3], 4]);
    }
    body.push(0x01);
    body
}

/// A JSON body of `size` bytes: a map whose one string fills it.
fn huge(size: usize) -> Vec<u8> {
    let mut body = br#"{"method": "echo", "args": {"value": ""#.to_vec();
    body.resize(size - 3, b'x');
    body.extend(br#""}}"#);
    body
}

/// Sizes of the few bodies over the limit (the last one over the default limit too),
/// and the hostile indexes that carry them.
const HUGE: [usize; 4] = [LIMIT + 1, 1 << 20, 4 << 20, 17 << 20];
const HUGE_AT: [usize; 4] = [9, 134, 259, 384];

fn huge_at(h: usize) -> Option<usize> {
    HUGE_AT.iter().position(|&at| at == h).map(|k| HUGE[k])
}

/// The `i`-th hostile RPC request.
fn hostile_request(i: usize) -> Message {
    use Outcome::{Refused, Rejected};
    let answered = Rejected { answered: true };
    let silent = Rejected { answered: false };
    let msg = |content_type, headers, body: Vec<u8>, outcome| Message {
        props: props(content_type, headers),
        body,
        outcome,
    };
    if let Some(size) = huge_at(i) {
        return msg(JSON, v1(), huge(size), answered);
    }
    match i % 22 {
        0 => msg(JSON, v1(), b"{not json".to_vec(), answered),
        1 => msg(MSGPACK, v1(), vec![0x82, 0xa6, b'm'], answered),
        2 => msg(Some("text/plain"), v1(), b"{}".to_vec(), silent),
        3 => msg(None, v1(), to_json(&json!({"method": "echo"})), silent),
        4 => msg(
            JSON,
            headers(AMQPValue::LongString("2.0".into())),
            b"{}".to_vec(),
            silent,
        ),
        5 => msg(
            JSON,
            headers(AMQPValue::LongString("one".into())),
            b"{}".to_vec(),
            silent,
        ),
        6 => msg(JSON, headers(AMQPValue::LongInt(1)), b"{}".to_vec(), silent),
        7 => msg(JSON, v1(), b"[1, 2, 3]".to_vec(), answered),
        8 => msg(MSGPACK, v1(), vec![0xa3, b'a', b'b', b'c'], answered),
        9 => msg(JSON, v1(), deep_json("args"), answered),
        10 => msg(MSGPACK, v1(), deep_msgpack("args"), answered),
        11 => msg(MSGPACK, v1(), nested_extensions("args"), answered),
        12 => msg(JSON, v1(), to_json(&json!({"args": {}})), answered),
        13 => msg(JSON, v1(), to_json(&json!({"method": 5})), answered),
        14 => msg(
            JSON,
            v1(),
            to_json(&json!({"method": "echo", "args": [1]})),
            answered,
        ),
        15 => msg(
            JSON,
            v1(),
            to_json(&json!({"method": "nope", "args": {}})),
            Refused("NoSuchMethod"),
        ),
        16 => msg(
            JSON,
            v1(),
            to_json(&json!({"method": "echo", "version": "9.0", "args": {"value": 1}})),
            Refused("UnsupportedVersion"),
        ),
        17 => msg(
            JSON,
            v1(),
            to_json(&json!({"method": "add", "args": {"a": "one", "b": 2}})),
            Refused("TypeError"),
        ),
        18 => msg(
            JSON,
            v1(),
            to_json(&json!({"method": "add", "args": {"a": 1}})),
            Refused("TypeError"),
        ),
        19 => msg(
            JSON,
            v1(),
            to_json(&json!({"method": "_private", "args": {}})),
            Refused("NoSuchMethod"),
        ),
        // (A bad `expiration` never arrives: RabbitMQ refuses to route it.)
        20 => msg(
            JSON,
            headers(AMQPValue::FieldTable(v1())),
            to_json(&json!({"method": "echo", "args": {"value": 1}})),
            silent,
        ),
        // Context keys named like the envelope's fields: they are context, and the
        // envelope's own fields decide what runs.
        _ => msg(
            JSON,
            v1(),
            to_json(
                &json!({"method": "context", "args": {}, "_$_method": "nope",
                            "_$_args": [1], "_$_version": "9.0"}),
            ),
            Outcome::Valid(json!({"method": "nope", "args": [1], "version": "9.0"})),
        ),
    }
}

fn envelope(priority: &str, payload: Value) -> Value {
    json!({
        "message_id": "3f1c5b1e-0c55-4bb5-9f43-6c5f0e1b9f10",
        "publisher_id": "raw",
        "event_type": "raw.event",
        "priority": priority,
        "payload": payload,
        "timestamp": "2026-11-25 07:18:00.123456",
    })
}

/// The `i`-th hostile notification; a valid one carries `i` as its payload.
fn hostile_notification(i: usize) -> Message {
    let rejected = Outcome::Rejected { answered: false };
    let msg = |content_type, headers, body: Vec<u8>| Message {
        props: props(content_type, headers),
        body,
        outcome: rejected,
    };
    if let Some(size) = huge_at(i) {
        return msg(JSON, v1(), huge(size));
    }
    let mut missing_payload = envelope("INFO", json!(0));
    missing_payload.as_object_mut().unwrap().remove("payload");
    let mut wrong_type = envelope("INFO", json!(0));
    wrong_type["publisher_id"] = json!(5);
    match i % 16 {
        0 => msg(JSON, v1(), b"{not json".to_vec()),
        1 => msg(MSGPACK, v1(), vec![0x86, 0xa1]),
        2 => msg(
            Some("text/plain"),
            v1(),
            to_json(&envelope("INFO", json!(0))),
        ),
        3 => msg(None, v1(), to_json(&envelope("INFO", json!(0)))),
        4 => msg(
            JSON,
            headers(AMQPValue::LongString("2.0".into())),
            b"{}".to_vec(),
        ),
        5 => msg(
            JSON,
            headers(AMQPValue::LongString("1.x".into())),
            b"{}".to_vec(),
        ),
        6 => msg(JSON, headers(AMQPValue::Boolean(true)), b"{}".to_vec()),
        7 => msg(JSON, v1(), b"\"a string\"".to_vec()),
        8 => msg(JSON, v1(), to_json(&envelope("LOUD", json!(0)))),
        9 => msg(JSON, v1(), to_json(&missing_payload)),
        10 => msg(JSON, v1(), to_json(&wrong_type)),
        11 => msg(JSON, v1(), deep_json("payload")),
        12 => msg(MSGPACK, v1(), deep_msgpack("payload")),
        13 => msg(MSGPACK, v1(), nested_extensions("payload")),
        14 => msg(
            JSON,
            v1(),
            to_json(&envelope(&"LOUD".repeat(100_000), json!(0))),
        ),
        // Context keys named like the envelope's fields: they are context, and the
        // envelope's own payload is delivered.
        _ => {
            let mut body = envelope("INFO", json!(format!("shadowed-{i}")));
            body["_$_payload"] = json!("not the payload");
            body["_$_priority"] = json!("LOUD");
            Message {
                props: props(JSON, v1()),
                body: to_json(&body),
                outcome: Outcome::Valid(json!(format!("shadowed-{i}"))),
            }
        }
    }
}

/// The resident set size of this process, in KiB.
fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[derive(Deserialize)]
struct Add {
    a: i64,
    b: i64,
}

fn endpoint() -> Endpoint {
    Endpoint::new()
        .method("echo", |_ctx, args: common::Echo| async move {
            Ok::<_, RemoteError>(args.value)
        })
        .method("add", |_ctx, args: Add| async move {
            Ok::<_, RemoteError>(args.a + args.b)
        })
        .method("context", |ctx: Context, _: Value| async move {
            Ok::<_, RemoteError>(Value::Object(ctx.into_map()))
        })
}

/// A queue of the raw client's own, bound to the reply exchange, consumed.
async fn raw_reply_queue(channel: &Channel, exchange: &str) -> (String, lapin::Consumer) {
    let queue = unique("reply.raw");
    let declare = QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    };
    channel
        .queue_declare(queue.as_str().into(), declare, FieldTable::default())
        .await
        .unwrap();
    channel
        .queue_bind(
            queue.as_str().into(),
            exchange.into(),
            queue.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    (queue, consumer)
}

async fn publish(
    channel: &Channel,
    exchange: &str,
    key: &str,
    m: &Message,
    props: BasicProperties,
) -> PublisherConfirm {
    channel
        .basic_publish(
            exchange.into(),
            key.into(),
            BasicPublishOptions::default(),
            &m.body,
            props,
        )
        .await
        .expect("publish")
}

#[actix_rt::test]
async fn a_thousand_hostile_messages_are_rejected_counted_and_survived() {
    let started = Instant::now();
    let t = transport_with(&unique("hostile"), |b| b.max_message_body_size(LIMIT));
    let topic = unique("hostile");
    let server = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint()])
        .expect("start the RPC server");
    server.ready().await.expect("the server consumes");
    let (listener, mut payloads) = payload_listener(&t, &topic, Priority::Info).await;
    let (_conn, channel) = raw_channel(&unique("hostile-raw")).await;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    // The server declared the reply exchange's name for itself only when replying:
    // declare it as a Python client would, so the raw reply queue can be bound.
    channel
        .exchange_declare(
            "openstack_rpc_reply".into(),
            lapin::ExchangeKind::Direct,
            lapin::options::ExchangeDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let (reply_queue, mut replies) = raw_reply_queue(&channel, "openstack_rpc_reply").await;
    let rpc_key = format!("with_ack.{topic}");
    let note_queue = format!("{topic}.info");
    let rss_before = vm_rss_kib();

    // Every RPC message names the raw reply queue, and its sequence number as its
    // correlation id. A valid pair follows every VALID_EVERY hostile ones, and the
    // last messages of both queues are valid: once they are served, every message
    // before them was handled (each queue is consumed in order).
    let mut sequence: Vec<(Message, Message)> = Vec::new();
    let valid = |n: usize| {
        let request = Message {
            props: props(JSON, v1()),
            body: to_json(&json!({"method": "echo", "args": {"value": n}})),
            outcome: Outcome::Valid(json!(n)),
        };
        let body = warren::encode(warren::Serializer::Msgpack, &envelope("INFO", json!(n)));
        let note = Message {
            props: props(MSGPACK, v1()),
            body: body.unwrap(),
            outcome: Outcome::Valid(json!(n)),
        };
        (request, note)
    };
    for h in 0..HOSTILE_PER_PATH {
        sequence.push((hostile_request(h), hostile_notification(h)));
        if h % VALID_EVERY == VALID_EVERY - 1 {
            sequence.push(valid(h));
        }
    }
    sequence.push(valid(HOSTILE_PER_PATH));
    // The generated messages: all but the valid pairs. The ones whose context keys
    // shadow envelope fields are among them, and must be served as valid.
    let hostile = 2 * HOSTILE_PER_PATH;
    let valid_pairs = sequence.len() - HOSTILE_PER_PATH;

    let mut rpc_expected: BTreeMap<String, Outcome> = BTreeMap::new();
    let mut notes_valid = Vec::new();
    let mut confirms = Vec::new();
    for (seq, (request, note)) in sequence.iter().enumerate() {
        let corr = format!("{seq:04}");
        rpc_expected.insert(corr.clone(), request.outcome.clone());
        let rpc_props = request
            .props
            .clone()
            .with_correlation_id(corr.as_str().into())
            .with_reply_to(reply_queue.as_str().into());
        confirms.push(publish(&channel, "openstack_rpc", &rpc_key, request, rpc_props).await);
        if let Outcome::Valid(payload) = &note.outcome {
            notes_valid.push(payload.clone());
        }
        confirms.push(publish(&channel, "", &note_queue, note, note.props.clone()).await);
    }
    let total = sequence.len() as u64;
    drop(sequence);
    for confirm in confirms {
        assert!(confirm.await.expect("confirmed").is_ack());
    }

    // RPC: every caller whose request named a serializer is answered, each as its
    // kind requires.
    let answered = rpc_expected
        .values()
        .filter(|o| !matches!(o, Outcome::Rejected { answered: false }))
        .count();
    let mut got: BTreeMap<String, Value> = BTreeMap::new();
    while got.len() < answered {
        let delivery = tokio::time::timeout(WAIT, replies.next())
            .await
            .unwrap_or_else(|_| panic!("{} of {answered} answers arrived", got.len()))
            .expect("reply stream open")
            .expect("reply delivery");
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .unwrap();
        let corr = delivery
            .properties
            .correlation_id()
            .as_ref()
            .unwrap()
            .to_string();
        let content_type = delivery
            .properties
            .content_type()
            .as_ref()
            .unwrap()
            .to_string();
        let serializer = warren::Serializer::from_content_type(&content_type).unwrap();
        let body = warren::decode(serializer, &delivery.data).expect("a reply body");
        assert!(
            got.insert(corr.clone(), body).is_none(),
            "{corr} answered twice"
        );
    }
    for (corr, outcome) in &rpc_expected {
        let reply = got.get(corr);
        // Some replies echo a huge body: show only their start.
        let shown: String = format!("{reply:?}").chars().take(300).collect();
        let ok = match outcome {
            Outcome::Valid(result) => reply == Some(&json!({"s": result})),
            Outcome::Rejected { answered: true } => {
                reply.is_some_and(|r| r["e"]["c"] == "ValueError")
            }
            Outcome::Rejected { answered: false } => reply.is_none(),
            Outcome::Refused(class) => reply.is_some_and(|r| r["e"]["c"] == *class),
        };
        assert!(ok, "request {corr} expected {outcome:?}, answered {shown}");
    }
    let count = |f: fn(&Outcome) -> bool| rpc_expected.values().filter(|o| f(o)).count() as u64;
    let counts = server.counts().await;
    assert_eq!(counts.received, total, "{counts:?}");
    assert_eq!(
        counts.rejected,
        count(|o| matches!(o, Outcome::Rejected { .. })),
        "{counts:?}"
    );
    assert_eq!(
        counts.refused,
        count(|o| matches!(o, Outcome::Refused(_))),
        "{counts:?}"
    );
    assert_eq!(counts.restarts, 0);

    // Notifications: the valid ones arrive in order, the others are rejected.
    let received = receive(
        &mut payloads,
        notes_valid.len(),
        WAIT,
        "valid notifications",
    )
    .await;
    assert_eq!(received, notes_valid);
    let counts = listener.counts().await;
    assert_eq!(counts.received, total, "{counts:?}");
    assert_eq!(
        counts.rejected,
        total - notes_valid.len() as u64,
        "{counts:?}"
    );
    assert_eq!(counts.restarts, 0);

    // Nothing is left queued or unacknowledged, while both still consume.
    wait_until_empty(&rpc_key, WAIT).await;
    wait_until_empty(&note_queue, WAIT).await;
    let rss_after = vm_rss_kib();
    let growth_mib = (rss_after.saturating_sub(rss_before)) as f64 / 1024.0;
    let rpc_counts = server.counts().await;
    let note_counts = listener.counts().await;
    println!(
        "FIGURE hostile_input: {hostile} hostile + {} valid messages, {:.1} s; RPC server \
         received {} rejected {} refused {}; listener received {} rejected {}",
        2 * valid_pairs,
        started.elapsed().as_secs_f64(),
        rpc_counts.received,
        rpc_counts.rejected,
        rpc_counts.refused,
        note_counts.received,
        note_counts.rejected,
    );
    println!(
        "FIGURE hostile_input: VmRSS {} KiB before, {} KiB after, growth {growth_mib:.1} MiB",
        rss_before, rss_after
    );
    // The raw client itself held a 17 MiB body per path while publishing; the bound
    // is generous, what it catches is growth per message (leaks, decoded bombs kept).
    assert!(growth_mib < 256.0, "VmRSS grew by {growth_mib:.1} MiB");
    server.stop().await;
    listener.stop().await;
}
