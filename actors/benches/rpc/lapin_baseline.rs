//! The baseline: the Pika driver's request/reply pattern written directly on lapin.
//!
//! Same broker objects and properties as warren (direct auto-delete exchanges, a
//! server queue and a reply queue with `x-expires`, confirmed mandatory publishes,
//! manual acks, JSON bodies decoded and re-encoded), with none of warren's layers:
//! no actors, no pool, no retries. Its rate is the ceiling warren is measured against.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::oneshot;

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>>;

/// A raw-lapin RPC client and server, one connection each (as two services have).
pub struct LapinRpc {
    _server_connection: Connection,
    _client_connection: Connection,
    publisher: Channel,
    exchange: String,
    routing_key: String,
    reply_queue: String,
    pending: Pending,
}

fn expires() -> FieldTable {
    let mut t = FieldTable::default();
    t.insert("x-expires".into(), AMQPValue::LongLongInt(60_000));
    t
}

async fn declare(ch: &Channel, exchange: &str, queue: &str) -> lapin::Result<()> {
    let ex = ExchangeDeclareOptions {
        auto_delete: true,
        ..Default::default()
    };
    ch.exchange_declare(
        exchange.into(),
        ExchangeKind::Direct,
        ex,
        FieldTable::default(),
    )
    .await?;
    ch.queue_declare(queue.into(), QueueDeclareOptions::default(), expires())
        .await?;
    ch.queue_bind(
        queue.into(),
        exchange.into(),
        queue.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
}

fn props(correlation_id: Option<&str>, reply_to: Option<&str>) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("version".into(), AMQPValue::LongString("1.0".into()));
    let mut p = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_headers(headers)
        .with_delivery_mode(1)
        .with_message_id(uuid::Uuid::new_v4().simple().to_string().into());
    if let Some(c) = correlation_id {
        p = p.with_correlation_id(c.into());
    }
    if let Some(r) = reply_to {
        p = p.with_reply_to(r.into()).with_expiration("60000".into());
    }
    p
}

impl LapinRpc {
    /// Connect, start the echo server on `topic`, and declare the reply queue. The
    /// server and reply loops run as tasks on `handle`'s multi-thread runtime.
    pub async fn start(
        uri: &str,
        handle: tokio::runtime::Handle,
        topic: &str,
    ) -> lapin::Result<Self> {
        let connect = |name: &'static str| {
            Connection::connect_with_runtime(
                uri,
                ConnectionProperties::default().with_connection_name(name.into()),
                async_rs::Runtime::tokio_with_handle(handle.clone()),
            )
        };
        let server_connection = connect("warren-bench-lapin-server").await?;
        let client_connection = connect("warren-bench-lapin-client").await?;
        let exchange = format!("{topic}_rpc");
        let reply_exchange = format!("{topic}_rpc_reply");
        let server_queue = format!("with_ack.{topic}");
        let reply_queue = format!("reply.bench.lapin.{}", uuid::Uuid::new_v4().simple());

        // Server: consume requests, ack, answer {"s": <args.value>} with a confirm.
        let server = server_connection.create_channel().await?;
        server.basic_qos(100, BasicQosOptions::default()).await?;
        declare(&server, &exchange, &server_queue).await?;
        let server_pub = server_connection.create_channel().await?;
        server_pub
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let mut requests = server
            .basic_consume(
                server_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let reply_ex = reply_exchange.clone();
        let spawner = handle.clone();
        handle.spawn(async move {
            while let Some(Ok(delivery)) = requests.next().await {
                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
                let Some(reply_to) = delivery.properties.reply_to().clone() else {
                    continue;
                };
                let corr = delivery.properties.correlation_id().clone();
                let request: serde_json::Value =
                    serde_json::from_slice(&delivery.data).unwrap_or_default();
                let reply = serde_json::json!({ "s": request["args"]["value"] });
                let body = serde_json::to_vec(&reply).unwrap_or_default();
                let publisher = server_pub.clone();
                let reply_ex = reply_ex.clone();
                spawner.spawn(async move {
                    let corr = corr.map(|c| c.to_string());
                    if let Ok(confirm) = publisher
                        .basic_publish(
                            reply_ex.as_str().into(),
                            reply_to,
                            BasicPublishOptions {
                                mandatory: true,
                                immediate: false,
                            },
                            &body,
                            props(corr.as_deref(), None),
                        )
                        .await
                    {
                        let _ = confirm.await;
                    }
                });
            }
        });

        // Client: a reply queue consumed with acks, and a confirm channel to publish on.
        let replies_ch = client_connection.create_channel().await?;
        replies_ch
            .basic_qos(100, BasicQosOptions::default())
            .await?;
        declare(&replies_ch, &reply_exchange, &reply_queue).await?;
        let mut replies = replies_ch
            .basic_consume(
                reply_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let pending: Pending = Arc::default();
        let waiting = pending.clone();
        handle.spawn(async move {
            while let Some(Ok(delivery)) = replies.next().await {
                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
                let corr = delivery
                    .properties
                    .correlation_id()
                    .as_ref()
                    .map(|c| c.to_string());
                let waiter = corr.and_then(|c| waiting.lock().ok()?.remove(&c));
                if let Some(w) = waiter {
                    let _ = w.send(delivery.data);
                }
            }
        });
        let publisher = client_connection.create_channel().await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Self {
            _server_connection: server_connection,
            _client_connection: client_connection,
            publisher,
            exchange,
            routing_key: server_queue,
            reply_queue,
            pending,
        })
    }

    fn request_body(payload: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "method": "echo",
            "args": { "value": payload },
            "_$_request_id": "req-bench",
        }))
        .unwrap_or_default()
    }

    /// One call: publish (confirmed, mandatory), then wait for the matching reply.
    pub async fn call(&self, payload: &str) -> Result<serde_json::Value, String> {
        let corr = uuid::Uuid::new_v4().simple().to_string();
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|e| e.to_string())?
            .insert(corr.clone(), tx);
        let confirm = self
            .publisher
            .basic_publish(
                self.exchange.as_str().into(),
                self.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &Self::request_body(payload),
                props(Some(&corr), Some(&self.reply_queue)),
            )
            .await
            .map_err(|e| e.to_string())?;
        match confirm.await.map_err(|e| e.to_string())? {
            lapin::Confirmation::Ack(None) => {}
            other => return Err(format!("publish not accepted: {other:?}")),
        }
        let body = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .map_err(|_| "timeout".to_owned())?
            .map_err(|e| e.to_string())?;
        let reply: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok(reply["s"].clone())
    }

    /// One cast: publish (confirmed, mandatory), no reply.
    pub async fn cast(&self, payload: &str) -> Result<(), String> {
        let confirm = self
            .publisher
            .basic_publish(
                self.exchange.as_str().into(),
                self.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &Self::request_body(payload),
                props(None, None),
            )
            .await
            .map_err(|e| e.to_string())?;
        match confirm.await.map_err(|e| e.to_string())? {
            lapin::Confirmation::Ack(None) => Ok(()),
            other => Err(format!("publish not accepted: {other:?}")),
        }
    }
}
