//! [`NotificationListener`]: start a [`NotificationListenerActor`] and stop it.

use std::collections::BTreeMap;
use std::time::Duration;

use actix::{Addr, Supervisor};
use warren_core::{Target, Topology, notification_exchange, notification_listener_topology};

use super::listener::{
    BatchSpec, ListenerCounts, ListenerReady, ListenerStats, NotificationListenerActor,
    StopListener,
};
use super::notification_endpoint::NotificationEndpoint;
use crate::Error;
use crate::connection::{HostConnection, WatchBroker};
use crate::settings::ListenerSettings;

/// How a listener consumes: pool, requeue, batching.
#[derive(Debug, Clone, Default)]
pub struct ListenerOptions {
    pool: Option<String>,
    allow_requeue: bool,
    batch_size: Option<usize>,
    batch_timeout: Option<Duration>,
}

impl ListenerOptions {
    /// Consume the shared queue `pool` (every pool gets each notification; members
    /// of one pool share them) instead of the per-priority queues.
    pub fn pool(mut self, pool: impl Into<String>) -> Self {
        self.pool = Some(pool.into());
        self
    }

    /// Requeue notifications whose handler returns `Requeue` (or panics); otherwise
    /// they are acknowledged, as in oslo (default: false).
    pub fn allow_requeue(mut self, allow: bool) -> Self {
        self.allow_requeue = allow;
        self
    }

    /// Hand notifications over in batches of up to `size` (capped at
    /// `notification_listener_prefetch_count`).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = Some(size);
        self
    }

    /// Hand a partial batch over this long after its first notification.
    pub fn batch_timeout(mut self, timeout: Duration) -> Self {
        self.batch_timeout = Some(timeout);
        self
    }
}

/// A running notification listener; cheap to clone.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
/// use warren::{ListenerOptions, NotificationEndpoint, NotificationListener, NotificationResult, Priority, Target};
///
/// let endpoint = NotificationEndpoint::new().on(Priority::Error, |n| async move {
///     eprintln!("{}: {}", n.publisher_id, n.payload);
///     NotificationResult::Handled
/// });
/// let listener = NotificationListener::start(
///     &transport,
///     &[Target::new("notifications")],
///     vec![endpoint],
///     ListenerOptions::default().pool("alerting"),
/// )?;
/// listener.ready().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NotificationListener {
    actor: Addr<NotificationListenerActor>,
}

/// Start a [`NotificationListenerActor`] in `site`, or the current arbiter
/// ([`NotificationListener::start`], [`NotificationListener::start_in`]).
pub(crate) fn launch_listener(
    settings: ListenerSettings,
    connection: Addr<HostConnection>,
    targets: &[Target],
    endpoints: Vec<NotificationEndpoint>,
    options: ListenerOptions,
    site: Option<&actix::ArbiterHandle>,
) -> Result<NotificationListener, Error> {
    let invalid = |reason: String| Error::InvalidTarget { reason };
    if targets.is_empty() || targets.iter().any(|t| t.topic.is_empty()) {
        return Err(invalid(
            "a notification listener needs at least one target with a topic".to_owned(),
        ));
    }
    let mut priorities: Vec<&'static str> = endpoints
        .iter()
        .flat_map(|e| e.priorities())
        .map(|p| p.name())
        .collect();
    priorities.sort_unstable();
    priorities.dedup();
    if priorities.is_empty() {
        return Err(Error::InvalidEndpoint {
            reason: "no endpoint handles any priority".to_owned(),
        });
    }
    // One topology per exchange, merged.
    let mut by_exchange: BTreeMap<String, Vec<(String, &'static str)>> = BTreeMap::new();
    for target in targets {
        let exchange = notification_exchange(target, &settings.default_exchange)
            .map_err(|e| invalid(e.to_string()))?;
        let pairs = by_exchange.entry(exchange).or_default();
        for p in &priorities {
            pairs.push((target.topic.clone(), p));
        }
    }
    let mut topology = Topology::default();
    for (exchange, pairs) in &by_exchange {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(t, p)| (t.as_str(), *p)).collect();
        let t = notification_listener_topology(
            exchange,
            &pairs,
            options.pool.as_deref(),
            settings.persistent,
            settings.queue_type,
        )
        .map_err(|e| invalid(e.to_string()))?;
        topology.merge(t);
    }
    let batch = match options.batch_size {
        Some(0) => {
            return Err(Error::InvalidEndpoint {
                reason: "a batch size must be at least 1".to_owned(),
            });
        }
        Some(size) => Some(BatchSpec {
            size: size.min(usize::from(settings.prefetch.max(1))),
            timeout: options.batch_timeout,
        }),
        None => None,
    };
    let allow_requeue = options.allow_requeue;
    let watched = connection.clone();
    let build = move |_: &mut actix::Context<NotificationListenerActor>| {
        NotificationListenerActor::new(
            settings,
            connection,
            topology,
            endpoints,
            allow_requeue,
            batch,
        )
    };
    let actor = match site {
        Some(site) => Supervisor::start_in_arbiter(site, build),
        None => Supervisor::start(build),
    };
    watched.do_send(WatchBroker(actor.clone().recipient().downgrade()));
    Ok(NotificationListener { actor })
}

impl NotificationListener {
    /// Resolves once the listener consumes its queues (notifications sent earlier
    /// wait in the queues, so waiting is only needed to measure or to test).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] when the listener was stopped first;
    /// [`Error::QueueMismatch`] when one of its queues exists with other properties
    /// (for example a classic queue while `quorum_queues` is on). The listener keeps
    /// trying every `host_connection_reconnect_delay`, so it consumes once the queue
    /// is deleted; a later `ready()` waits for that.
    pub async fn ready(&self) -> Result<(), Error> {
        self.actor
            .send(ListenerReady)
            .await
            .map_err(|_| Error::Shutdown)?
    }

    /// What the listener has received and rejected so far.
    pub async fn counts(&self) -> ListenerCounts {
        self.actor.send(ListenerStats).await.unwrap_or_default()
    }

    /// The listener actor, to send [`StopListener`] and friends from other actors.
    pub fn actor(&self) -> Addr<NotificationListenerActor> {
        self.actor.clone()
    }

    /// Stop gracefully: stop consuming, finish and settle what is buffered or being
    /// handled, then close the channel.
    pub async fn stop(&self) {
        let _ = self.actor.send(StopListener).await;
    }

    /// [`NotificationListener::stop`] within `limit`: what a service does on SIGTERM
    /// (see [`crate::shutdown_signal`]) before closing its transport.
    ///
    /// # Errors
    ///
    /// [`Error::DrainTimedOut`] when handlers still run after `limit`. The listener no
    /// longer consumes; close the transport to abandon them, and the broker delivers
    /// their notifications again (they were not acknowledged).
    pub async fn stop_within(&self, limit: Duration) -> Result<(), Error> {
        crate::bounded_stop::stop_within(
            limit,
            "notification handlers",
            || self.stop(),
            || async { self.counts().await.in_flight },
        )
        .await
    }
}
