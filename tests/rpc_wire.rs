//! What an RPC server puts on the broker and on the wire, checked from outside:
//! declared queues and bindings (via `rabbitmqctl`), reply properties and poison
//! requests (via raw lapin, playing a Python client).

mod common;

use std::time::Duration;

use common::{
    bindings_to_prefix, queues_with_prefix, raw_channel, receive, recording_server, transport,
    unique,
};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;

const WAIT: Duration = Duration::from_secs(10);

#[actix_rt::test]
async fn the_server_declares_the_six_queues_of_the_pika_driver() {
    let t = transport(&unique("wire-topology"));
    let topic = unique("wiretopic");
    let (tx, _rx) = unbounded_channel();
    let s = recording_server(&t, &topic, "host1", tx).await;

    let mut queues: Vec<String> = queues_with_prefix("no_ack.")
        .into_iter()
        .chain(queues_with_prefix("with_ack."))
        .filter(|q| q.split('\t').next().is_some_and(|n| n.contains(&topic)))
        .collect();
    queues.sort();
    assert_eq!(queues.len(), 6, "{queues:#?}");
    for (i, family) in ["no_ack", "with_ack"].iter().enumerate() {
        let rows = &queues[i * 3..i * 3 + 3];
        let names: Vec<&str> = rows.iter().map(|r| r.split('\t').next().unwrap()).collect();
        assert_eq!(names[0], format!("{family}.{topic}"));
        assert_eq!(names[1], format!("{family}.{topic}.host1"));
        let worker = names[2]
            .strip_prefix(&format!("{family}.{topic}.host1.worker."))
            .expect("worker queue");
        assert!(
            worker.len() == 32
                && worker
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{worker}"
        );
        for row in rows {
            // name, durable, auto_delete, exclusive, arguments
            let cols: Vec<&str> = row.split('\t').collect();
            assert_eq!(&cols[1..4], &["false", "false", "false"], "{row}");
            assert_eq!(cols[4], "[{\"x-expires\",60000}]", "{row}");
        }
    }
    let mut bindings: Vec<String> = bindings_to_prefix("no_ack.")
        .into_iter()
        .chain(bindings_to_prefix("with_ack."))
        .filter(|b| b.contains(&topic))
        .collect();
    bindings.sort();
    assert_eq!(bindings.len(), 6, "{bindings:#?}");
    for b in &bindings {
        let cols: Vec<&str> = b.split('\t').collect();
        assert_eq!(cols[0], "openstack_rpc");
        if cols[1].contains(".worker.") {
            let family = cols[1].split('.').next().unwrap();
            assert_eq!(cols[2], format!("{family}.{topic}.all_workers"));
        } else {
            assert_eq!(cols[2], cols[1], "routing key equals queue name");
        }
    }
    s.stop().await;
}

/// A raw AMQP client standing in for a Python one.
struct RawClient {
    _conn: Connection,
    channel: Channel,
    reply_queue: String,
    replies: lapin::Consumer,
}

impl RawClient {
    async fn connect(name: &str) -> Self {
        let (conn, channel) = raw_channel(name).await;
        let reply_queue = unique("reply.raw");
        channel
            .queue_declare(
                reply_queue.as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        // Declare the reply exchange as a Python client does (direct, auto-delete): it
        // exists only while some reply queue is bound to it.
        channel
            .exchange_declare(
                "openstack_rpc_reply".into(),
                lapin::ExchangeKind::Direct,
                ExchangeDeclareOptions {
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                reply_queue.as_str().into(),
                "openstack_rpc_reply".into(),
                reply_queue.as_str().into(),
                Default::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let replies = channel
            .basic_consume(
                reply_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        Self {
            _conn: conn,
            channel,
            reply_queue,
            replies,
        }
    }

    async fn publish(&self, routing_key: &str, props: BasicProperties, body: &[u8]) {
        self.channel
            .basic_publish(
                "openstack_rpc".into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                props,
            )
            .await
            .unwrap();
    }

    async fn next_reply(&mut self) -> lapin::message::Delivery {
        let d = tokio::time::timeout(WAIT, self.replies.next())
            .await
            .expect("a reply in time")
            .expect("stream open")
            .expect("delivery");
        d.acker.ack(BasicAckOptions::default()).await.unwrap();
        d
    }
}

fn version_headers(version: &str) -> FieldTable {
    let mut h = FieldTable::default();
    h.insert("version".into(), AMQPValue::LongString(version.into()));
    h
}

fn request_props(content_type: &str, correlation_id: &str, reply_to: &str) -> BasicProperties {
    BasicProperties::default()
        .with_content_type(content_type.into())
        .with_headers(version_headers("1.0"))
        .with_correlation_id(correlation_id.into())
        .with_reply_to(reply_to.into())
        .with_expiration("30000".into())
}

#[actix_rt::test]
async fn the_reply_carries_the_request_correlation_id_and_content_type() {
    let t = transport(&unique("wire-reply"));
    let topic = unique("wiretopic");
    let (tx, _rx) = unbounded_channel();
    let _s = recording_server(&t, &topic, "s", tx).await;
    let mut raw = RawClient::connect(&unique("raw-client")).await;
    for (content_type, body) in [
        (
            "application/json",
            serde_json::to_vec(&json!({"method": "echo", "args": {"value": 42}, "_$_user": "u1"}))
                .unwrap(),
        ),
        (
            "application/msgpack",
            vec![
                0x82, 0xa6, b'm', b'e', b't', b'h', b'o', b'd', 0xa4, b'e', b'c', b'h', b'o', 0xa4,
                b'a', b'r', b'g', b's', 0x81, 0xa5, b'v', b'a', b'l', b'u', b'e', 0x2a,
            ],
        ),
    ] {
        let corr = uuid_hex();
        raw.publish(
            &format!("with_ack.{topic}"),
            request_props(content_type, &corr, &raw.reply_queue),
            &body,
        )
        .await;
        let reply = raw.next_reply().await;
        assert_eq!(
            reply
                .properties
                .correlation_id()
                .as_ref()
                .map(|c| c.to_string()),
            Some(corr)
        );
        assert_eq!(
            reply
                .properties
                .content_type()
                .as_ref()
                .map(|c| c.to_string())
                .as_deref(),
            Some(content_type)
        );
        let headers = reply.properties.headers().clone().expect("headers");
        assert_eq!(
            headers.inner().get("version"),
            Some(&AMQPValue::LongString("1.0".into()))
        );
        assert_eq!(*reply.properties.delivery_mode(), Some(1));
        let value = warren::decode(
            warren::Serializer::from_content_type(content_type).unwrap(),
            &reply.data,
        )
        .unwrap();
        assert_eq!(value, json!({"s": 42}));
    }
}

fn uuid_hex() -> String {
    format!(
        "{:032x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[actix_rt::test]
async fn poison_requests_are_dropped_and_the_next_request_is_answered() {
    let t = transport(&unique("wire-poison"));
    let topic = unique("wiretopic");
    let (tx, mut rx) = unbounded_channel();
    let s = recording_server(&t, &topic, "s", tx).await;
    let mut raw = RawClient::connect(&unique("raw-poison")).await;
    let key = format!("with_ack.{topic}");
    let good = serde_json::to_vec(&json!({"method": "echo", "args": {"value": "ok"}})).unwrap();
    // Undecodable body, unknown content type, unsupported driver version, not a map.
    raw.publish(
        &key,
        request_props("application/json", "c1", &raw.reply_queue),
        b"{not json",
    )
    .await;
    raw.publish(
        &key,
        request_props("text/plain", "c2", &raw.reply_queue),
        &good,
    )
    .await;
    raw.publish(
        &key,
        request_props("application/json", "c3", &raw.reply_queue)
            .with_headers(version_headers("2.0")),
        &good,
    )
    .await;
    raw.publish(
        &key,
        request_props("application/json", "c4", &raw.reply_queue),
        b"[1, 2]",
    )
    .await;
    raw.publish(
        &key,
        request_props("application/json", "c5", &raw.reply_queue),
        &good,
    )
    .await;
    // The callers of the two requests whose properties were valid (c1, c4) are
    // answered with a remote ValueError instead of waiting for their timeout; c2 and
    // c3 name no serializer this driver speaks, so nobody could read an answer.
    let mut answers = Vec::new();
    for _ in 0..3 {
        let reply = raw.next_reply().await;
        let corr = reply
            .properties
            .correlation_id()
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&reply.data).unwrap();
        answers.push((corr, body));
    }
    // Replies are published concurrently: their order is not the requests'.
    answers.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        answers.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["c1", "c4", "c5"]
    );
    for (corr, body) in &answers[..2] {
        assert_eq!(body["e"]["c"], "ValueError", "{corr}: {body}");
        assert_eq!(body["e"]["m"], "builtins", "{corr}: {body}");
    }
    assert_eq!(answers[2].1, json!({"s": "ok"}));
    let counts = s.counts().await;
    assert_eq!(
        (counts.received, counts.rejected, counts.refused),
        (5, 4, 0),
        "{counts:?}"
    );
    let seen = receive(&mut rx, 1, WAIT, "the good request").await;
    assert_eq!(seen[0].2, json!("ok"));
    // Nothing poison stays unacked in the queue.
    s.stop().await;
    let rows = queues_with_prefix(&key);
    assert!(
        rows.iter().any(|r| r.starts_with(&format!("{key}\t"))),
        "{rows:?}"
    );
    let counts = common::rabbitmqctl(&["list_queues", "name", "messages"]);
    let line = counts
        .lines()
        .find(|l| l.starts_with(&format!("{key}\t")))
        .expect("queue listed");
    assert!(
        line.ends_with("\t0"),
        "poison messages left in the queue: {line}"
    );
}
