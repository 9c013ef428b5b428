//! Options whose effect is only visible on the broker, read back with `rabbitmqctl`:
//! connection tuning (heartbeats off included), prefetch counts, exchange names and
//! queue expiry.

mod common;

use common::{rabbitmqctl, recording_server, unique};
use serde_json::{Value, json};
use tokio::sync::mpsc::unbounded_channel;
use warren::{Config, ConfigBuilder, Context, Priority, Section, Target, Transport};

/// A transport on the test broker with `options` set, named `name` towards the broker
/// and in its reply queue's name (`reply.<name>.tests.<id>`).
fn transport(name: &str, options: &[(Section, &str, &str)]) -> Transport {
    common::require_broker();
    let mut builder: ConfigBuilder =
        Config::builder().transport_url(common::broker_url().parse().expect("valid URL"));
    for (section, option, value) in options {
        builder = builder.set(*section, option, *value);
    }
    Transport::builder(builder.build().expect("valid configuration"))
        .project(name)
        .prog("tests")
        .connection_name(name)
        .start()
        .expect("start the transport")
}

/// The tab-separated fields of the one line of `listing` that contains `needle`.
fn line_with(listing: &str, needle: &str) -> Vec<String> {
    let lines: Vec<&str> = listing.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "one line with {needle} in:\n{listing}");
    lines[0].split('\t').map(str::to_owned).collect()
}

/// One call to `topic`'s `echo`, answered.
async fn call(t: &Transport, topic: &str) {
    let reply: Value = t
        .rpc_client(Target::new(topic))
        .call(&Context::new(), "echo", &json!({ "value": 1 }))
        .await
        .expect("the call is answered");
    assert_eq!(reply, json!(1));
}

#[actix_rt::test]
async fn heartbeat_frame_max_and_channel_max_are_negotiated_as_configured() {
    let name = unique("tuning");
    let t = transport(
        &name,
        &[
            (Section::Pika, "heartbeat_interval", "7"),
            (Section::Pika, "frame_max", "65536"),
            (Section::Pika, "channel_max", "50"),
        ],
    );
    t.ready(std::time::Duration::from_secs(20))
        .await
        .expect("connected");
    let listing = rabbitmqctl(&[
        "list_connections",
        "client_properties",
        "timeout",
        "frame_max",
        "channel_max",
    ]);
    let fields = line_with(&listing, &name);
    assert_eq!(fields[1..], ["7", "65536", "50"], "{listing}");
    t.close().await;
}

#[actix_rt::test]
async fn heartbeat_interval_0_turns_heartbeats_off() {
    // RabbitMQ proposes 60 s; asking for 0 must turn them off, not take the broker's.
    let name = unique("no-heartbeat");
    let t = transport(&name, &[(Section::Pika, "heartbeat_interval", "0")]);
    t.ready(std::time::Duration::from_secs(20))
        .await
        .expect("connected");
    let listing = rabbitmqctl(&["list_connections", "client_properties", "timeout"]);
    let fields = line_with(&listing, &name);
    assert_eq!(fields[1..], ["0"], "{listing}");
    // The connection works without them.
    let topic = unique("no-heartbeat-rpc");
    let (seen, _seen) = unbounded_channel();
    let server = recording_server(&t, &topic, "s1", seen).await;
    call(&t, &topic).await;
    server.stop().await;
    t.close().await;
}

#[actix_rt::test]
async fn each_prefetch_count_applies_to_its_consumers() {
    let name = unique("prefetch");
    let (topic, events) = (unique("prefetch-rpc"), unique("prefetch-events"));
    let t = transport(
        &name,
        &[
            (Section::Pika, "rpc_listener_prefetch_count", "7"),
            (Section::Pika, "rpc_reply_listener_prefetch_count", "9"),
            (Section::Pika, "notification_listener_prefetch_count", "11"),
        ],
    );
    let (seen, _seen) = unbounded_channel();
    let server = recording_server(&t, &topic, "s1", seen).await;
    call(&t, &topic).await;
    let (listener, _rx) = common::payload_listener(&t, &events, Priority::Info).await;
    let listing = rabbitmqctl(&["list_consumers", "queue_name", "prefetch_count"]);
    let prefetch_of = |queue_part: &str| -> Vec<String> {
        listing
            .lines()
            .filter(|l| l.contains(queue_part))
            .map(|l| l.rsplit('\t').next().unwrap_or_default().to_owned())
            .collect()
    };
    let server_queues = prefetch_of(&topic);
    assert_eq!(server_queues.len(), 6, "{listing}");
    assert!(server_queues.iter().all(|p| p == "7"), "{listing}");
    assert_eq!(
        prefetch_of(&format!("reply.{name}.tests.")),
        ["9"],
        "{listing}"
    );
    assert_eq!(prefetch_of(&format!("{events}.info")), ["11"], "{listing}");
    listener.stop().await;
    server.stop().await;
    t.close().await;
    rabbitmqctl(&["delete_queue", &format!("{events}.info")]);
}

#[actix_rt::test]
async fn exchange_names_and_rpc_queue_expiry_are_declared_as_configured() {
    let control = unique("ctl");
    let derived = transport(
        &unique("names-derived"),
        &[
            (Section::Default, "control_exchange", &control),
            (Section::Pika, "rpc_queue_expiration", "5"),
        ],
    );
    let own = unique("own");
    let (rpc, reply, notification) = (
        format!("{own}-rpc"),
        format!("{own}-reply"),
        format!("{own}-notification"),
    );
    let explicit = transport(
        &unique("names-explicit"),
        &[
            (Section::Pika, "default_rpc_exchange", &rpc),
            (Section::Pika, "rpc_reply_exchange", &reply),
            (
                Section::Pika,
                "default_notification_exchange",
                &notification,
            ),
        ],
    );
    let (seen, _seen) = unbounded_channel();
    let mut running = Vec::new();
    let mut topics = Vec::new();
    for t in [&derived, &explicit] {
        let (topic, events) = (unique("names-rpc"), unique("names-events"));
        let server = recording_server(t, &topic, "s1", seen.clone()).await;
        call(t, &topic).await;
        let (listener, _rx) = common::payload_listener(t, &events, Priority::Info).await;
        running.push((server, listener));
        topics.push((topic, events));
    }
    let exchanges = rabbitmqctl(&["list_exchanges", "name"]);
    for name in [
        format!("{control}_rpc"),
        format!("{control}_rpc_reply"),
        format!("{control}_notification"),
        rpc,
        reply,
        notification,
    ] {
        assert!(
            exchanges.lines().any(|l| l == name),
            "exchange {name} declared:\n{exchanges}"
        );
    }
    let queues = rabbitmqctl(&["list_queues", "name", "arguments"]);
    let expiry_of = |topic: &str| -> String {
        let prefix = format!("with_ack.{topic}\t");
        let line = queues.lines().find(|l| l.starts_with(&prefix));
        line.unwrap_or_else(|| panic!("queue with_ack.{topic} in:\n{queues}"))
            .to_owned()
    };
    let (five_seconds, default) = (expiry_of(&topics[0].0), expiry_of(&topics[1].0));
    assert!(
        five_seconds.contains("x-expires") && five_seconds.contains("5000"),
        "rpc_queue_expiration = 5 as x-expires 5000 ms: {five_seconds}"
    );
    assert!(default.contains("60000"), "the default, 60 s: {default}");
    for (server, listener) in running {
        listener.stop().await;
        server.stop().await;
    }
    derived.close().await;
    explicit.close().await;
    for (_, events) in topics {
        rabbitmqctl(&["delete_queue", &format!("{events}.info")]);
    }
}
