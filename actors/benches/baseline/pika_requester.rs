//! The `call-pika` requester: an RPC client of the Pika driver's format calling
//! `echo(value)`, on `warren serve` as well as on the baseline's own responder.
//!
//! One reply queue (`reply.<project>.<prog>.<hex>` on the reply exchange, declared as
//! the driver declares it) consumed without acks, a map from correlation id to the
//! waiting caller, and requests published on the same channel to the RPC exchange with
//! `reply_to`, a fresh `correlation_id` and the time left as `expiration`. The request
//! body is the same for every call, so it is encoded once. No confirms and no
//! `mandatory`: an unroutable request shows up as the caller's timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, QueueDeleteOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection};
use tokio::sync::oneshot;

use crate::pika_wire::{self, CONTENT_TYPE, Reply};

/// Callers waiting for a reply, by correlation id (a uuid4).
type Waiting = Arc<Mutex<HashMap<u128, oneshot::Sender<Delivery>>>>;

/// What the requester needs to know.
#[derive(Debug, Clone)]
pub struct RequesterConfig {
    /// The RPC exchange of the target.
    pub exchange: String,
    /// The exchange servers reply to.
    pub reply_exchange: String,
    /// The target's topic.
    pub topic: String,
    /// One server of the topic; any server when `None`.
    pub server: Option<String>,
    /// The endpoint namespace to ask for.
    pub namespace: Option<String>,
    /// The API version to ask for.
    pub version: Option<String>,
    /// How long a call waits for its reply (`rpc_response_timeout`).
    pub timeout: Duration,
    /// Size of the echoed string.
    pub payload_bytes: usize,
}

/// A started requester.
pub struct Requester {
    channel: Channel,
    exchange: ShortString,
    routing_key: ShortString,
    reply_queue: ShortString,
    content_type: ShortString,
    headers: FieldTable,
    body: Vec<u8>,
    timeout: Duration,
    waiting: Waiting,
}

impl Requester {
    /// Declare the reply queue on `connection` and start taking replies.
    pub async fn start(connection: &Connection, config: &RequesterConfig) -> lapin::Result<Self> {
        let channel = connection.create_channel().await?;
        let reply_queue = format!("reply.None.baseline.{}", pika_wire::hex_id());
        pika_wire::declare_exchange(&channel, &config.reply_exchange).await?;
        pika_wire::declare_queue(&channel, &config.reply_exchange, &reply_queue, &reply_queue)
            .await?;
        let mut replies = channel
            .basic_consume(
                reply_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        let waiting = Waiting::default();
        let route = waiting.clone();
        tokio::spawn(async move {
            while let Some(Ok(reply)) = replies.next().await {
                // A reply with an unknown id (one that came too late) is dropped.
                let id = reply
                    .properties
                    .correlation_id()
                    .as_ref()
                    .and_then(|id| uuid::Uuid::try_parse(id.as_str()).ok());
                let caller = id.and_then(|id| route.lock().ok()?.remove(&id.as_u128()));
                if let Some(caller) = caller {
                    let _ = caller.send(reply);
                }
            }
        });
        let value = "x".repeat(config.payload_bytes);
        Ok(Self {
            channel,
            exchange: config.exchange.as_str().into(),
            routing_key: pika_wire::rpc_queue("with_ack", &config.topic, config.server.as_deref())
                .into(),
            reply_queue: reply_queue.into(),
            content_type: CONTENT_TYPE.into(),
            headers: pika_wire::version_headers(),
            body: pika_wire::request_body(
                "echo",
                &value,
                config.namespace.as_deref(),
                config.version.as_deref(),
            ),
            timeout: config.timeout,
            waiting,
        })
    }

    /// One call of `echo`: `Ok` when the server answered with a result.
    pub async fn call(&self) -> Result<(), String> {
        let deadline = Instant::now() + self.timeout;
        let id = uuid::Uuid::new_v4();
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .map_err(|e| e.to_string())?
            .insert(id.as_u128(), tx);
        let properties = pika_wire::properties(
            self.content_type.clone(),
            self.headers.clone(),
            Some(deadline.saturating_duration_since(Instant::now())),
        )
        .with_correlation_id(id.simple().to_string().into())
        .with_reply_to(self.reply_queue.clone());
        let published = self
            .channel
            .basic_publish(
                self.exchange.clone(),
                self.routing_key.clone(),
                BasicPublishOptions::default(),
                &self.body,
                properties,
            )
            .await;
        if let Err(e) = published {
            self.forget(id);
            return Err(e.to_string());
        }
        let Ok(reply) = tokio::time::timeout_at(deadline.into(), rx).await else {
            self.forget(id);
            return Err(format!("no reply within {:?}", self.timeout));
        };
        let reply = reply.map_err(|e| e.to_string())?;
        if !pika_wire::readable(&reply.properties) {
            return Err("reply with an unknown content type or driver version".to_owned());
        }
        match serde_json::from_slice::<Reply>(&reply.data) {
            Ok(Reply { e: Some(f), .. }) => Err(format!(
                "remote error {}.{}: {}",
                f.m.unwrap_or_default(),
                f.c,
                f.s
            )),
            Ok(Reply { s: true, .. }) => Ok(()),
            Ok(Reply { s: false, .. }) => Err("reply with neither s nor e".to_owned()),
            Err(e) => Err(format!("undecodable reply: {e}")),
        }
    }

    /// Stop waiting for the reply to `id`.
    fn forget(&self, id: uuid::Uuid) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.remove(&id.as_u128());
        }
    }

    /// Delete the reply queue.
    pub async fn delete_queue(&self) -> lapin::Result<()> {
        self.channel
            .queue_delete(self.reply_queue.clone(), QueueDeleteOptions::default())
            .await
            .map(drop)
    }
}
