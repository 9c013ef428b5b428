//! Malformed replies: a raw server answers warren's calls with replies that are no
//! replies. Each call fails at once with the typed error instead of waiting for its
//! timeout; replies nobody waits for are rejected too; everything is counted, and the
//! next call with a good reply succeeds.

mod common;

use std::time::{Duration, Instant};

use common::{raw_channel, transport_with, unique};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use serde_json::{Value, json};
use warren::{AckMode, Context, Error, ReplyCounts, Target, WireError};

/// The body size limit of the calling transport.
const LIMIT: usize = 64 * 1024;
/// Far longer than any test step: a call failing before this did not time out.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(20);

fn reply_props(content_type: &str, correlation_id: Option<&str>) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("version".into(), AMQPValue::LongString("1.0".into()));
    let props = BasicProperties::default()
        .with_content_type(content_type.into())
        .with_headers(headers)
        .with_message_id(unique("reply").as_str().into());
    match correlation_id {
        Some(c) => props.with_correlation_id(c.into()),
        None => props,
    }
}

async fn send(channel: &Channel, reply_to: &str, props: BasicProperties, body: &[u8]) {
    channel
        .basic_publish(
            "openstack_rpc_reply".into(),
            reply_to.into(),
            BasicPublishOptions::default(),
            body,
            props,
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[actix_rt::test]
async fn malformed_replies_fail_their_calls_at_once_and_are_counted() {
    let t = transport_with(&unique("bad-replies"), |b| b.max_message_body_size(LIMIT));
    let topic = unique("bad-replies");
    let exchange = unique("bad-replies-x");
    let target = Target::new(&topic).with_exchange(&exchange);
    // A raw server: the queue a Python server of the topic would consume.
    let (_conn, channel) = raw_channel(&unique("raw-server")).await;
    channel
        .exchange_declare(
            exchange.as_str().into(),
            lapin::ExchangeKind::Direct,
            ExchangeDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let queue = unique("raw-server-q");
    let declare = QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    };
    channel
        .queue_declare(queue.as_str().into(), declare, FieldTable::default())
        .await
        .unwrap();
    let key = warren::rpc_routing_key(&target, AckMode::WithAck).unwrap();
    channel
        .queue_bind(
            queue.as_str().into(),
            exchange.as_str().into(),
            key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut requests = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let client = t.rpc_client(target).with_timeout(CALL_TIMEOUT);

    let mut oversized = br#"{"s": ""#.to_vec();
    oversized.resize(LIMIT + 1 - 2, b'x');
    oversized.extend(br#""}"#);
    let answers = [
        ("undecodable", "application/json", b"{\"s\": ".to_vec()),
        ("not a map", "application/json", b"[1, 2]".to_vec()),
        (
            "neither s nor e",
            "application/json",
            b"{\"x\": 1}".to_vec(),
        ),
        (
            "malformed e",
            "application/json",
            br#"{"e": {"c": 1}}"#.to_vec(),
        ),
        ("too deep", "application/msgpack", {
            let mut b = vec![0x81, 0xa1, b's'];
            // 50,000 levels: deep, yet within the size limit.
            b.extend(std::iter::repeat_n(0x91, 50_000));
            b.push(0x01);
            b
        }),
        ("over the limit", "application/json", oversized),
        ("unknown content type", "text/plain", b"{\"s\": 1}".to_vec()),
    ];
    for (what, content_type, body) in answers {
        let started = Instant::now();
        let (ctx, args) = (Context::new(), json!({"value": what}));
        let call = client.call::<_, Value>(&ctx, "echo", &args);
        let serve = async {
            let request = tokio::time::timeout(WAIT, requests.next())
                .await
                .expect("the request arrives")
                .expect("consumer open")
                .expect("delivery");
            request.acker.ack(BasicAckOptions::default()).await.unwrap();
            let corr = request
                .properties
                .correlation_id()
                .as_ref()
                .unwrap()
                .to_string();
            let reply_to = request.properties.reply_to().as_ref().unwrap().to_string();
            let props = reply_props(content_type, Some(&corr));
            send(&channel, &reply_to, props, &body).await;
        };
        let (result, ()) = tokio::join!(call, serve);
        let elapsed = started.elapsed();
        match result {
            Err(Error::Wire(e)) => {
                if what == "over the limit" {
                    assert!(matches!(e, WireError::TooLarge { .. }), "{what}: {e:?}");
                }
                if what == "too deep" {
                    assert!(matches!(e, WireError::TooDeep { .. }), "{what}: {e:?}");
                }
            }
            other => panic!("{what}: expected Error::Wire, got {other:?}"),
        }
        assert!(elapsed < WAIT, "{what}: the call waited {elapsed:?}");
    }

    // Replies that match no call: one malformed with a foreign correlation id, one
    // without any, one well-formed but late. Then a good call: served, and once its
    // reply arrived every earlier delivery of the reply queue was handled.
    let (ctx, args) = (Context::new(), json!({"value": "fine"}));
    let call = client.call::<_, Value>(&ctx, "echo", &args);
    let serve = async {
        let request = tokio::time::timeout(WAIT, requests.next())
            .await
            .expect("the request arrives")
            .expect("consumer open")
            .expect("delivery");
        request.acker.ack(BasicAckOptions::default()).await.unwrap();
        let corr = request
            .properties
            .correlation_id()
            .as_ref()
            .unwrap()
            .to_string();
        let reply_to = request.properties.reply_to().as_ref().unwrap().to_string();
        let json = "application/json";
        send(
            &channel,
            &reply_to,
            reply_props(json, Some("nobody")),
            b"{oops",
        )
        .await;
        send(&channel, &reply_to, reply_props(json, None), b"{\"s\": 1}").await;
        send(
            &channel,
            &reply_to,
            reply_props(json, Some("late")),
            b"{\"s\": 1}",
        )
        .await;
        send(
            &channel,
            &reply_to,
            reply_props(json, Some(&corr)),
            b"{\"s\": \"fine\"}",
        )
        .await;
    };
    let (result, ()) = tokio::join!(call, serve);
    assert_eq!(result.expect("a good reply is accepted"), json!("fine"));
    let counts = t.reply_counts().await;
    assert_eq!(
        counts,
        ReplyCounts {
            received: 11,
            rejected: 9,
            unmatched: 1,
            restarts: 0
        }
    );
}
