//! Two services talking by notifications: one emits events, the other consumes them
//! with a pool of two workers.
//!
//! What it shows:
//! - a `Compute` actor that knows nothing of RabbitMQ and emits
//!   `compute.instance.create.start` / `.end` by sending [`warren::Notify`] messages to
//!   the notifier actor through a `Recipient`;
//! - a `Billing` service: two `BillingWorker` actors in the pool `billing`, each behind
//!   its own supervised listener, receiving [`warren::NotificationReceived`]; members of a
//!   pool share the notifications;
//! - an `audit` pool with a single plain handler, which gets every notification too.
//!
//! Both services run in one process here for the demo; over RabbitMQ they could as well
//! be separate processes, or Python services. Like any oslo listener queue, the two pool
//! queues (`example-notifications-<pid>-billing` and `-audit`) stay on the broker after
//! the demo (`rabbitmqctl delete_queue NAME` removes them). It ends by itself once both
//! pools have every notification, or with status 1 and the host and cause when no
//! broker answers within 10 s.
//! Run it on the in-memory broker (nothing but Rust needed), or against RabbitMQ:
//!
//! ```sh
//! cargo run --example notifications
//! WARREN_URL=pika://guest:guest@127.0.0.1:5672/ cargo run --example notifications
//! ```

use std::time::Duration;

use actix::prelude::*;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use warren::{
    Context, Error, ListenerOptions, NotificationEndpoint, NotificationListener,
    NotificationReceived, NotificationResult, Notify, Priority, Target, Transport,
};

/// Instances the demo creates; each gives a start and an end notification.
const INSTANCES: usize = 5;

/// A message of the compute service itself.
#[derive(Message)]
#[rtype(result = "Result<(), Error>")]
struct CreateInstance {
    id: String,
}

/// The emitting service: sends `Notify` messages, confirmed by the broker.
struct Compute {
    topic: String,
    notifier: Recipient<Notify>,
}

impl Compute {
    fn event(&self, event_type: &str, id: &str) -> Notify {
        Notify {
            publisher_id: "compute.host1".to_owned(),
            topics: vec![self.topic.clone()],
            exchange: None,
            priority: Priority::Info,
            event_type: event_type.to_owned(),
            payload: json!({ "instance_id": id, "flavor": "m1.small" }),
            context: Context::new().with("request_id", format!("req-{id}")),
            retry: None,
        }
    }
}

impl Actor for Compute {
    type Context = actix::Context<Self>;
}

impl Handler<CreateInstance> for Compute {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: CreateInstance, _ctx: &mut Self::Context) -> Self::Result {
        let start = self.event("compute.instance.create.start", &msg.id);
        let end = self.event("compute.instance.create.end", &msg.id);
        let notifier = self.notifier.clone();
        Box::pin(async move {
            notifier.send(start).await.map_err(|_| Error::Shutdown)??;
            // ... the instance would be built here ...
            notifier.send(end).await.map_err(|_| Error::Shutdown)?
        })
    }
}

/// One worker of the billing pool.
struct BillingWorker {
    name: &'static str,
    seen: UnboundedSender<(&'static str, String)>,
}

impl Actor for BillingWorker {
    type Context = actix::Context<Self>;
}

impl Handler<NotificationReceived> for BillingWorker {
    type Result = NotificationResult;

    fn handle(&mut self, msg: NotificationReceived, _ctx: &mut Self::Context) -> Self::Result {
        let n = msg.0;
        let _ = self.seen.send((self.name, n.event_type.clone()));
        println!(
            "  billing/{:<8} {} {} ({})",
            self.name,
            n.event_type,
            n.payload["instance_id"],
            n.context.get("request_id").cloned().unwrap_or_default()
        );
        NotificationResult::Handled
    }
}

#[actix::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notifications: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("WARREN_URL").unwrap_or_else(|_| {
        println!("WARREN_URL is not set: using the in-memory broker (fake://)");
        "fake://".to_owned()
    });
    let url: warren::TransportUrl = url.parse()?;
    let config = warren::Config::builder()
        .transport_url(url.clone())
        .build()?;
    let transport = Transport::builder(config)
        .connection_name("warren-example-notifications")
        .start()?;
    // The transport would keep trying; the demo gives up and says why.
    let wait = Duration::from_secs(10);
    transport.ready(wait).await?;
    let topic = format!("example-notifications-{}", std::process::id());
    let target = [Target::new(&topic)];

    // The consuming service: a pool of two actor workers, and an audit pool.
    let (seen_tx, mut seen_rx) = unbounded_channel();
    let mut listeners = Vec::new();
    for name in ["worker-1", "worker-2"] {
        let worker = BillingWorker {
            name,
            seen: seen_tx.clone(),
        }
        .start();
        let endpoint = NotificationEndpoint::new().recipient(Priority::Info, worker.recipient());
        listeners.push(NotificationListener::start(
            &transport,
            &target,
            vec![endpoint],
            ListenerOptions::default().pool(format!("{topic}-billing")),
        )?);
    }
    let (audit_tx, mut audit_rx) = unbounded_channel();
    let audit = NotificationEndpoint::new().on_all(move |n| {
        let _ = audit_tx.send(n.event_type);
        async { NotificationResult::Handled }
    });
    listeners.push(NotificationListener::start(
        &transport,
        &target,
        vec![audit],
        ListenerOptions::default().pool(format!("{topic}-audit")),
    )?);
    let all_ready = async {
        for l in &listeners {
            l.ready().await?;
        }
        Ok::<_, Error>(())
    };
    tokio::time::timeout(wait, all_ready)
        .await
        .map_err(|_| format!("the listeners were not consuming on {url} within {wait:?}"))??;

    // The emitting service.
    let compute = Compute {
        topic: topic.clone(),
        notifier: transport.notifier_actor().recipient(),
    }
    .start();
    for i in 1..=INSTANCES {
        compute
            .send(CreateInstance {
                id: format!("i-{i}"),
            })
            .await??;
    }
    println!(
        "compute: {} notifications confirmed by the broker",
        2 * INSTANCES
    );

    // Wait for both pools to get everything.
    let mut per_worker = std::collections::BTreeMap::new();
    for _ in 0..2 * INSTANCES {
        let (worker, _) = tokio::time::timeout(wait, seen_rx.recv())
            .await
            .map_err(|_| "the billing pool did not get every notification in time")?
            .ok_or("billing workers stopped")?;
        *per_worker.entry(worker).or_insert(0) += 1;
        tokio::time::timeout(wait, audit_rx.recv())
            .await
            .map_err(|_| "the audit pool did not get every notification in time")?;
    }
    println!("billing pool shared them: {per_worker:?}");
    println!("audit pool got all {}", 2 * INSTANCES);

    for l in &listeners {
        l.stop().await;
    }
    transport.close().await;
    Ok(())
}
