//! The baseline: the Pika driver's notification pattern written directly on lapin.
//!
//! Same broker objects and properties as warren (a direct auto-delete exchange, the
//! queue `<topic>.info` with no arguments, confirmed mandatory publishes of the JSON
//! envelope with `delivery_mode` 1 and a new `message_id` property; when persistent,
//! `delivery_mode` 2 to a durable exchange and queue; a consumer with manual acks that
//! decodes each body), with none of warren's layers: no actors, no pool, no retries.
//! One publisher channel with pipelined confirms and one consumer connection, as two
//! services would have.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Notify;

/// A raw-lapin notifier and listener on one topic.
pub struct LapinNotify {
    publisher_connection: Connection,
    consumer_connection: Connection,
    handle: tokio::runtime::Handle,
    publisher: Channel,
    exchange: String,
    queue: String,
    persistent: bool,
}

/// Counts received notifications and wakes a waiter at a target.
#[derive(Default)]
pub struct Received {
    count: AtomicUsize,
    target: AtomicUsize,
    reached: Notify,
}

impl Received {
    /// Expect `n` more notifications than counted so far.
    pub fn expect(&self, n: usize) {
        self.target
            .store(self.count.load(Ordering::SeqCst) + n, Ordering::SeqCst);
    }

    /// Count one; wake the waiter when the target is reached.
    pub fn count_one(&self) {
        let now = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if now == self.target.load(Ordering::SeqCst) {
            self.reached.notify_one();
        }
    }

    /// Resolves once the target is reached.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }
}

/// `delivery_mode` 2 when `persistent`, as with `notification_persistence`.
fn properties(persistent: bool) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("version".into(), AMQPValue::LongString("1.0".into()));
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_headers(headers)
        .with_message_id(uuid::Uuid::new_v4().simple().to_string().into())
        .with_delivery_mode(if persistent { 2 } else { 1 })
}

impl LapinNotify {
    /// Connect and declare the exchange and `<topic>.info`, bound with that key; both
    /// durable and the messages persistent when `persistent`.
    pub async fn start(
        uri: &str,
        handle: tokio::runtime::Handle,
        exchange: &str,
        topic: &str,
        persistent: bool,
    ) -> lapin::Result<Self> {
        let connect = |name: &'static str| {
            Connection::connect_with_runtime(
                uri,
                ConnectionProperties::default().with_connection_name(name.into()),
                async_rs::Runtime::tokio_with_handle(handle.clone()),
            )
        };
        let publisher_connection = connect("warren-bench-lapin-notifier").await?;
        let consumer_connection = connect("warren-bench-lapin-listener").await?;
        let queue = format!("{topic}.info");
        let publisher = publisher_connection.create_channel().await?;
        publisher
            .exchange_declare(
                exchange.into(),
                ExchangeKind::Direct,
                ExchangeDeclareOptions {
                    durable: persistent,
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        publisher
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: persistent,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        publisher
            .queue_bind(
                queue.as_str().into(),
                exchange.into(),
                queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Self {
            publisher_connection,
            consumer_connection,
            handle,
            publisher,
            exchange: exchange.to_owned(),
            queue,
            persistent,
        })
    }

    fn body(payload: &str) -> Vec<u8> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        serde_json::to_vec(&serde_json::json!({
            "message_id": uuid::Uuid::new_v4().to_string(),
            "publisher_id": "bench",
            "event_type": "bench.event",
            "priority": "INFO",
            "payload": { "value": payload },
            "timestamp": format!("{}.{:06}", now.as_secs(), now.subsec_micros()),
            "_$_request_id": "req-bench",
        }))
        .unwrap_or_default()
    }

    /// One notification: publish (confirmed, mandatory) and wait for the confirm.
    pub async fn publish(&self, payload: &str) -> Result<(), String> {
        let confirm = self
            .publisher
            .basic_publish(
                self.exchange.as_str().into(),
                self.queue.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &Self::body(payload),
                properties(self.persistent),
            )
            .await
            .map_err(|e| e.to_string())?;
        match confirm.await.map_err(|e| e.to_string())? {
            lapin::Confirmation::Ack(None) => Ok(()),
            other => Err(format!("publish not accepted: {other:?}")),
        }
    }

    /// Consume the queue with prefetch 100: decode each body, ack it, count it.
    pub async fn listen(&self, received: Arc<Received>) -> lapin::Result<()> {
        let channel = self.consumer_connection.create_channel().await?;
        channel.basic_qos(100, BasicQosOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                self.queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.handle.spawn(async move {
            let _channel = channel;
            while let Some(Ok(delivery)) = deliveries.next().await {
                let body: serde_json::Value =
                    serde_json::from_slice(&delivery.data).unwrap_or_default();
                if body["priority"] == "INFO" {
                    received.count_one();
                }
                let _ = delivery.acker.ack(BasicAckOptions::default()).await;
            }
        });
        Ok(())
    }

    /// Delete `queue` (an auto-delete exchange goes with its last binding).
    pub async fn delete(&self, queue: &str) -> lapin::Result<()> {
        self.publisher
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await
            .map(drop)
    }

    /// Close both connections.
    pub async fn close(&self) {
        for connection in [&self.publisher_connection, &self.consumer_connection] {
            let _ = connection.close(200, "bench done".into()).await;
        }
    }

    /// The queue this baseline publishes to.
    pub fn queue(&self) -> &str {
        &self.queue
    }
}
