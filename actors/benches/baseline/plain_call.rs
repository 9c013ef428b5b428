//! Mode `call`: request/reply in its plainest form on lapin.
//!
//! A responder connection consumes one queue with manual acks and answers each request
//! from a task of its own: the reply goes to the default exchange with the request's
//! `reply_to` as routing key and its `correlation_id`, and the request is acked. A
//! requester connection consumes its reply queue without acks and matches replies to
//! callers by correlation id. No publisher confirms, no `mandatory`, no serialization:
//! the body is echoed as it came.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::load::{self, Load, Outcome};

/// How long a caller waits for its reply before counting an error.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Callers waiting for a reply, by correlation id.
type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<Delivery>>>>;

/// Exclusive, so the broker drops the queue with its connection even if the run dies
/// before deleting it.
fn exclusive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        exclusive: true,
        ..QueueDeclareOptions::default()
    }
}

/// Start the responder on `connection`: consume `queue`, answer every request.
async fn respond(connection: &Connection, queue: &str, prefetch: u16) -> lapin::Result<Channel> {
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    channel
        .queue_declare(queue.into(), exclusive(), FieldTable::default())
        .await?;
    let requests = channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let replies = channel.clone();
    // The delegate runs each delivery as a task of its own on the connection's runtime.
    requests.set_delegate(move |delivery: lapin::message::DeliveryResult| {
        let replies = replies.clone();
        async move {
            let Ok(Some(request)) = delivery else { return };
            let Some(reply_to) = request.properties.reply_to().clone() else {
                return;
            };
            let mut properties = BasicProperties::default();
            if let Some(id) = request.properties.correlation_id() {
                properties = properties.with_correlation_id(id.clone());
            }
            // Both frames go to the I/O loop together instead of one after the other.
            let publish = replies.basic_publish(
                "".into(),
                reply_to,
                BasicPublishOptions::default(),
                &request.data,
                properties,
            );
            let ack = request.acker.ack(BasicAckOptions::default());
            let (published, acked) = tokio::join!(publish, ack);
            if let Err(e) = published.map(drop).and(acked.map(drop)) {
                eprintln!("baseline call: responder: {e}");
            }
        }
    });
    Ok(channel)
}

/// The requester: one channel that publishes requests and consumes the replies.
struct Requester {
    channel: Channel,
    queue: ShortString,
    reply_queue: ShortString,
    waiting: Waiting,
    next_id: AtomicU64,
    payload: Vec<u8>,
}

impl Requester {
    async fn start(
        connection: &Connection,
        queue: &str,
        payload_bytes: usize,
    ) -> lapin::Result<Self> {
        let channel = connection.create_channel().await?;
        let reply_queue = channel
            .queue_declare("".into(), exclusive(), FieldTable::default())
            .await?
            .name()
            .clone();
        let mut replies = channel
            .basic_consume(
                reply_queue.clone(),
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
                let id = reply
                    .properties
                    .correlation_id()
                    .as_ref()
                    .and_then(|id| id.as_str().parse::<u64>().ok());
                let caller = id.and_then(|id| route.lock().ok()?.remove(&id));
                if let Some(caller) = caller {
                    let _ = caller.send(reply);
                }
            }
        });
        Ok(Self {
            channel,
            queue: queue.into(),
            reply_queue,
            waiting,
            next_id: AtomicU64::new(0),
            payload: vec![b'x'; payload_bytes],
        })
    }

    /// One request, answered when its reply arrives.
    async fn call(&self) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .map_err(|e| e.to_string())?
            .insert(id, tx);
        let properties = BasicProperties::default()
            .with_reply_to(self.reply_queue.clone())
            .with_correlation_id(id.to_string().into());
        self.channel
            .basic_publish(
                "".into(),
                self.queue.clone(),
                BasicPublishOptions::default(),
                &self.payload,
                properties,
            )
            .await
            .map_err(|e| e.to_string())?;
        let reply = tokio::time::timeout(REPLY_TIMEOUT, rx)
            .await
            .map_err(|_| format!("no reply to request {id} within {REPLY_TIMEOUT:?}"))?
            .map_err(|e| e.to_string())?;
        if reply.data.len() == self.payload.len() {
            Ok(())
        } else {
            Err(format!("reply of {} bytes", reply.data.len()))
        }
    }
}

/// Run the mode: responder on `responder`, `load` from `requester`.
pub async fn run(
    responder: &Connection,
    requester: &Connection,
    load: Load,
    payload_bytes: usize,
) -> lapin::Result<Outcome> {
    let queue = format!("baseline-call-{}", std::process::id());
    let prefetch = u16::try_from(load.concurrency).unwrap_or(u16::MAX);
    let responder_channel = respond(responder, &queue, prefetch).await?;
    let requester = Arc::new(Requester::start(requester, &queue, payload_bytes).await?);
    let caller = requester.clone();
    let outcome = load::run(&Handle::current(), load, move || {
        let caller = caller.clone();
        async move { caller.call().await }
    })
    .await;
    for (channel, queue) in [
        (&requester.channel, requester.reply_queue.clone()),
        (&responder_channel, queue.into()),
    ] {
        channel
            .queue_delete(queue, QueueDeleteOptions::default())
            .await?;
    }
    Ok(outcome)
}
