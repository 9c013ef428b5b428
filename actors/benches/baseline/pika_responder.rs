//! The `call-pika` responder: an RPC server of the Pika driver's format with one
//! endpoint, `echo(value)`, able to answer `warren bench call` as well as the
//! baseline's own requester.
//!
//! It declares what a driver server declares for its topic and server name (the RPC
//! exchange; `<ack>.<topic>`, `<ack>.<topic>.<server>` and a worker queue for each of
//! `no_ack` and `with_ack`) and consumes all six, with manual acks on the `with_ack`
//! family. Each request is its own task: ack (as the driver does, before the work) and
//! reply to `reply_to` on the reply exchange with the request's correlation id and
//! content type and the request's remaining time as expiration. No confirms and no
//! `mandatory`: the peer cannot tell, and a lost reply is the caller's timeout either way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lapin::message::{Delivery, DeliveryResult};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueDeleteOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection};
use tokio::sync::Notify;

use crate::load::Outcome;
use crate::pika_wire::{self, Request};

/// What the responder needs to know.
#[derive(Debug, Clone)]
pub struct ResponderConfig {
    /// The RPC exchange requests arrive on.
    pub exchange: String,
    /// The exchange replies go to.
    pub reply_exchange: String,
    /// The topic served.
    pub topic: String,
    /// This server's name within the topic.
    pub server: String,
    /// Unacked requests the broker may send ahead.
    pub prefetch: u16,
}

/// What the request tasks share.
struct Shared {
    channel: Channel,
    reply_exchange: ShortString,
    /// The version header, built once and cloned into each reply.
    headers: FieldTable,
    /// Requests handled so far, and when the first came.
    handled: AtomicUsize,
    first: OnceLock<Instant>,
    /// Time from delivery to reply sent, per request.
    latencies: Mutex<Vec<Duration>>,
    errors: AtomicUsize,
    /// Woken at each request, for [`Responder::finish`].
    progress: Notify,
}

/// A running responder.
pub struct Responder {
    shared: Arc<Shared>,
    queues: Vec<String>,
}

impl Responder {
    /// Declare the server's topology on `connection` and start answering.
    pub async fn start(connection: &Connection, config: &ResponderConfig) -> lapin::Result<Self> {
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(config.prefetch, BasicQosOptions::default())
            .await?;
        pika_wire::declare_exchange(&channel, &config.exchange).await?;
        let shared = Arc::new(Shared {
            channel: channel.clone(),
            reply_exchange: config.reply_exchange.as_str().into(),
            headers: pika_wire::version_headers(),
            handled: AtomicUsize::new(0),
            first: OnceLock::new(),
            latencies: Mutex::default(),
            errors: AtomicUsize::new(0),
            progress: Notify::new(),
        });
        let mut queues = Vec::new();
        for queue in pika_wire::server_queues(&config.topic, &config.server) {
            pika_wire::declare_queue(&channel, &config.exchange, &queue.name, &queue.key).await?;
            let consumer = channel
                .basic_consume(
                    queue.name.as_str().into(),
                    "".into(),
                    BasicConsumeOptions {
                        no_ack: queue.no_ack,
                        ..BasicConsumeOptions::default()
                    },
                    FieldTable::default(),
                )
                .await?;
            let (shared, manual_ack) = (shared.clone(), !queue.no_ack);
            // The delegate runs each delivery as a task of its own.
            consumer.set_delegate(move |delivery: DeliveryResult| {
                let shared = shared.clone();
                async move {
                    if let Ok(Some(request)) = delivery {
                        shared.handle(request, manual_ack).await;
                    }
                }
            });
            queues.push(queue.name);
        }
        Ok(Self { shared, queues })
    }

    /// Wait until `count` requests were handled, or Ctrl-C; the outcome times them from
    /// the first request's arrival.
    pub async fn finish(&self, count: usize) -> Outcome {
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        loop {
            let progress = self.shared.progress.notified();
            if self.shared.handled.load(Ordering::Acquire) >= count {
                break;
            }
            tokio::select! {
                _ = progress => {}
                _ = &mut interrupted => break,
            }
        }
        let mut latencies = self
            .shared
            .latencies
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        latencies.sort_unstable();
        Outcome {
            elapsed: self
                .shared
                .first
                .get()
                .map_or(Duration::ZERO, Instant::elapsed),
            latencies,
            errors: self.shared.errors.load(Ordering::Relaxed),
            first_error: None,
        }
    }

    /// Delete the six queues.
    pub async fn delete_queues(&self) -> lapin::Result<()> {
        for queue in &self.queues {
            self.shared
                .channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await?;
        }
        Ok(())
    }
}

impl Shared {
    /// Ack (when the queue wants acks) and reply to one request.
    async fn handle(&self, request: Delivery, manual_ack: bool) {
        let received = Instant::now();
        self.first.get_or_init(|| received);
        let ack = async {
            if manual_ack {
                request
                    .acker
                    .ack(BasicAckOptions::default())
                    .await
                    .map(drop)
            } else {
                Ok(())
            }
        };
        let reply = async {
            match self.reply(&request, received) {
                Some((key, body, properties)) => self
                    .channel
                    .basic_publish(
                        self.reply_exchange.clone(),
                        key,
                        BasicPublishOptions::default(),
                        &body,
                        properties,
                    )
                    .await
                    .map(drop),
                None => Ok(()),
            }
        };
        // Both frames go to the I/O loop together instead of one after the other.
        let (acked, replied) = tokio::join!(ack, reply);
        if let Err(e) = acked.and(replied) {
            eprintln!("baseline call-pika: responder: {e}");
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut latencies) = self.latencies.lock() {
            latencies.push(received.elapsed());
        }
        self.handled.fetch_add(1, Ordering::Release);
        self.progress.notify_one();
    }

    /// The reply's routing key, body and properties; `None` for a cast (no `reply_to`),
    /// a request past its expiration, or one this side cannot read (counted as an error).
    fn reply(
        &self,
        request: &Delivery,
        received: Instant,
    ) -> Option<(ShortString, Vec<u8>, lapin::BasicProperties)> {
        let props = &request.properties;
        let reply_to = props.reply_to().clone()?;
        let decoded = pika_wire::readable(props)
            .then(|| serde_json::from_slice::<Request>(&request.data).ok())
            .flatten();
        let (Some(decoded), Some(content_type)) = (decoded, props.content_type().clone()) else {
            eprintln!("baseline call-pika: responder: unreadable request dropped");
            self.errors.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        // The reply may take what is left of the request's time, and not more.
        let left = match props.expiration() {
            Some(ms) => {
                let ms: u64 = ms.as_str().parse().ok()?;
                let left = Duration::from_millis(ms).checked_sub(received.elapsed())?;
                if left.as_millis() == 0 {
                    return None;
                }
                Some(left)
            }
            None => None,
        };
        let mut properties = pika_wire::properties(content_type, self.headers.clone(), left);
        if let Some(id) = props.correlation_id() {
            properties = properties.with_correlation_id(id.clone());
        }
        Some((reply_to, pika_wire::answer(decoded), properties))
    }
}
