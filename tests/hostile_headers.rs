//! AMQP header tables no client would send, published by a raw client into a running
//! RPC server's queue and a notification listener's queue: tables and arrays nested
//! 100, 3,000, 10,000 and 18,000 levels deep (18,000 tables fill a default frame), and
//! tables of thousands of entries. The deep ones are rejected without requeue and
//! counted; the wide ones are served; the process keeps answering and no queue keeps a
//! message. Before the header parser was bounded, one deep table aborted the process
//! (lapin's I/O thread overflowed its stack).

mod common;
mod raw_amqp;

use std::time::Duration;

use common::{Echo, payload_listener, transport, unique, wait_until_empty};
use raw_amqp::{RawPublisher, long, nested_arrays, nested_tables, table};
use serde_json::{Value, json};
use warren::{Context, Endpoint, Priority, RemoteError, RpcServer, Target};

const WAIT: Duration = Duration::from_secs(30);
const JSON: &str = "application/json";
/// The nestings published, in levels (the headers table counts as the first).
const DEPTHS: [usize; 4] = [100, 3_000, 10_000, 18_000];

/// `{"version": "1.0", "x-deep": <value>}`, with `value` encoded after its type byte.
fn headers_with(kind: u8, value: Vec<u8>) -> Vec<u8> {
    table(&[("version", b'S', long(b"1.0")), ("x-deep", kind, value)])
}

/// Headers nesting `levels` levels in all, through tables or arrays.
fn deep_headers(levels: usize, arrays: bool) -> Vec<u8> {
    if arrays {
        headers_with(b'A', nested_arrays(levels - 1))
    } else {
        headers_with(b'F', nested_tables(levels - 1))
    }
}

/// Headers of `entries` integer entries beside `version`: up to 12 bytes each.
fn wide_headers(entries: usize) -> Vec<u8> {
    let mut all: Vec<(String, u8, Vec<u8>)> = vec![("version".into(), b'S', long(b"1.0"))];
    for n in 0..entries {
        all.push((format!("k{n}"), b'I', (n as u32).to_be_bytes().to_vec()));
    }
    let borrowed: Vec<(&str, u8, Vec<u8>)> = all
        .iter()
        .map(|(k, t, v)| (k.as_str(), *t, v.clone()))
        .collect();
    table(&borrowed)
}

fn request(value: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({"method": "echo", "args": {"value": value}})).expect("json")
}

fn notification(payload: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "message_id": "3f1c5b1e-0c55-4bb5-9f43-6c5f0e1b9f10",
        "publisher_id": "raw",
        "event_type": "hostile.headers",
        "priority": "INFO",
        "payload": payload,
        "timestamp": "2026-12-05 12:00:00.000000",
    }))
    .expect("json")
}

#[actix_rt::test]
async fn headers_nested_thousands_deep_are_rejected_and_wide_ones_served_while_both_consumers_go_on()
 {
    let t = transport(&unique("hostile-headers"));
    let topic = unique("hostile-headers");
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = Endpoint::new().method("echo", move |_ctx, args: Echo| {
        let _ = seen_tx.send(args.value.clone());
        async move { Ok::<_, RemoteError>(args.value) }
    });
    let server = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint])
        .expect("start the RPC server");
    server.ready().await.expect("the server consumes");
    let (listener, mut payloads) = payload_listener(&t, &topic, Priority::Info).await;
    let rpc_queue = format!("with_ack.{topic}");
    let note_queue = format!("{topic}.info");

    // Every deep kind, then a wide table (as wide as a default frame allows) on a valid
    // message, to both queues; each publish confirmed by the broker.
    let (rpc_key, note_key) = (rpc_queue.clone(), note_queue.clone());
    let published = tokio::task::spawn_blocking(move || {
        let mut raw = RawPublisher::connect();
        let mut deep = 0;
        for levels in DEPTHS {
            for arrays in [false, true] {
                let headers = deep_headers(levels, arrays);
                let id = format!("deep-{levels}-{}", if arrays { "arrays" } else { "tables" });
                raw.publish("openstack_rpc", &rpc_key, JSON, &headers, &id, &request(0));
                raw.publish("", &note_key, JSON, &headers, &id, &notification(json!(0)));
                deep += 1;
            }
        }
        // An entry `k12345` → long int takes 12 bytes.
        let entries = (raw.frame_max() as usize - 200) / 12;
        let headers = wide_headers(entries);
        raw.publish(
            "openstack_rpc",
            &rpc_key,
            JSON,
            &headers,
            "wide",
            &request(1),
        );
        raw.publish(
            "",
            &note_key,
            JSON,
            &headers,
            "wide",
            &notification(json!(1)),
        );
        (deep, entries)
    })
    .await
    .expect("the raw publisher");
    let (deep, entries) = published;
    assert!(entries > 10_000, "{entries} entries");

    // The wide messages are served; the deep ones never reach an endpoint.
    let served = tokio::time::timeout(WAIT, seen.recv()).await;
    assert_eq!(served.expect("served in time"), Some(json!(1)));
    let delivered = tokio::time::timeout(WAIT, payloads.recv()).await;
    assert_eq!(delivered.expect("delivered in time"), Some(json!(1)));

    // Both still answer through warren, and nothing stays queued or unacknowledged.
    let client = t.rpc_client(Target::new(&topic));
    let answer: Value = client
        .call(&Context::new(), "echo", &Echo { value: json!(2) })
        .await
        .expect("the server still answers");
    assert_eq!(answer, json!(2));
    assert_eq!(seen.try_recv(), Ok(json!(2)));
    t.notifier("p")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "still.there", &json!(3))
        .await
        .expect("notify");
    let delivered = tokio::time::timeout(WAIT, payloads.recv()).await;
    assert_eq!(delivered.expect("delivered in time"), Some(json!(3)));
    wait_until_empty(&rpc_queue, WAIT).await;
    wait_until_empty(&note_queue, WAIT).await;

    let rpc = server.counts().await;
    assert_eq!(rpc.rejected, deep, "{rpc:?}");
    assert_eq!(rpc.restarts, 0, "{rpc:?}");
    let notes = listener.counts().await;
    assert_eq!(notes.rejected, deep, "{notes:?}");
    assert_eq!(notes.restarts, 0, "{notes:?}");
    assert!(
        seen.try_recv().is_err(),
        "a deep request reached the endpoint"
    );
    server.stop().await;
    listener.stop().await;
}
