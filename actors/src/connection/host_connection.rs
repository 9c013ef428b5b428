//! [`HostConnection`]: the supervised actor that owns one AMQP connection.
//!
//! Messages handled:
//! - [`OpenChannel`] (crate-internal): a new channel on the current connection. While
//!   not connected the request is parked and answered once a connection is up, so
//!   callers bound their wait with their own timeout.
//! - [`SubscribeState`]: receive a [`ConnectionStateChanged`] on every change.
//! - [`CloseConnection`] (crate-internal): close gracefully and stop reconnecting.
//!
//! Restart behaviour: any connection error (an `Error` event from lapin, or a failed
//! attempt) stops the actor; its `Supervisor` restarts it, and `started` then waits
//! `host_connection_reconnect_delay` before trying the next host of the URL. Every
//! `Addr` stays valid across restarts. lapin's own auto-recovery is never enabled:
//! recovery has exactly one owner.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::WeakRecipient;
use actix::prelude::*;
use async_rs::{Runtime, Tokio};
use futures_util::FutureExt;
use tokio::sync::oneshot;

use super::broker_address::{BrokerAt, BrokerMoved, WatchBroker};
use super::connect::connect;
use super::connect_failure::ConnectFailure;
use super::failure_log::{FailureLog, Report};
use super::host_endpoint::{ConnectionSettings, HostEndpoint};
use super::rotation::{HostRotation, NextHost};
use super::state::{ConnectionState, ConnectionStateChanged};
use crate::Error;
use crate::broker::{BrokerChannel, BrokerConnection};
use crate::instruments;
use crate::memory::{MemoryBroker, MemoryConnection};

/// Where the actor is in its connection's life.
enum Link {
    /// Waiting to (re)connect, or about to.
    Idle,
    /// An attempt on host `index` is under way.
    Connecting { index: usize },
    /// Connected to host `index`.
    Connected {
        connection: BrokerConnection,
        index: usize,
    },
    /// Closed on request: stays so.
    Closed,
}

/// The actor owning one broker connection; see the module docs.
pub struct HostConnection {
    hosts: Arc<[HostEndpoint]>,
    settings: ConnectionSettings,
    runtime: Runtime<Tokio>,
    rotation: HostRotation,
    link: Link,
    attempt: u32,
    subscribers: Vec<Subscriber>,
    parked: Vec<oneshot::Sender<Result<BrokerChannel, Error>>>,
    restarts: u64,
    /// Why the last attempt or connection failed; cleared once connected. Kept across
    /// restarts so callers waiting on a dead broker can be told why.
    last_failure: Option<String>,
    /// Connected at least once: the next connection after a failure is a recovery.
    connected_before: bool,
    /// The broker's reason while it blocks the connection (a resource alarm).
    blocked: Option<String>,
    /// Attempts in a row, since the last success, that failed for a reason only an
    /// operator can fix (a bad certificate, a refused login).
    refusals: usize,
    /// Set once every host refused so: channels are then refused at once with this
    /// (the host and why) instead of parked until the caller's time runs out.
    refused: Option<(String, ConnectFailure)>,
    /// Which failures are worth a warning (the first, then a summary every 30 s).
    failures: FailureLog,
    /// The state this connection counts in the `warren_connections` gauge.
    gauged: Option<&'static str>,
    /// The broker the connection is (or was last) on, and who is told of it.
    broker: Option<BrokerAt>,
    broker_watchers: Vec<WeakRecipient<BrokerMoved>>,
}

impl HostConnection {
    pub(crate) fn new(
        hosts: Vec<HostEndpoint>,
        settings: ConnectionSettings,
        runtime: Runtime<Tokio>,
    ) -> Self {
        let start = rand::random_range(0..hosts.len().max(1));
        let rotation = HostRotation::new(hosts.len(), start, settings.reconnect_delay);
        Self {
            hosts: hosts.into(),
            settings,
            runtime,
            rotation,
            link: Link::Idle,
            attempt: 0,
            subscribers: Vec::new(),
            parked: Vec::new(),
            restarts: 0,
            last_failure: None,
            connected_before: false,
            blocked: None,
            refusals: 0,
            refused: None,
            failures: FailureLog::default(),
            gauged: None,
            broker: None,
            broker_watchers: Vec::new(),
        }
    }

    /// The connection is on `broker` now: tell the watchers that are still there.
    fn tell_broker(&mut self, broker: Option<BrokerAt>) {
        if self.broker == broker {
            return;
        }
        self.broker = broker;
        let moved = BrokerMoved(self.broker.clone());
        self.broker_watchers
            .retain(|watcher| match watcher.upgrade() {
                Some(watcher) => {
                    watcher.do_send(moved.clone());
                    watcher.connected()
                }
                None => false,
            });
    }

    fn publish_state(&mut self, state: ConnectionState) {
        if instruments::enabled() {
            let gauged = state.gauge_label();
            instruments::connection_state(self.gauged, gauged);
            self.gauged = gauged;
        }
        let change = ConnectionStateChanged {
            connection: self.settings.connection_name.clone(),
            state,
        };
        self.subscribers.retain(|s| s.tell(&change));
    }

    /// Pick the next host and try it; reschedule if every host is throttled.
    fn connect_next(&mut self, ctx: &mut Context<Self>) {
        if matches!(self.link, Link::Closed) {
            return;
        }
        let index = match self.rotation.next(Instant::now()) {
            NextHost::Try(index) => index,
            NextHost::WaitFor(wait) => {
                ctx.run_later(wait, |act, ctx| act.connect_next(ctx));
                return;
            }
        };
        let endpoint = self.hosts[index].clone();
        if endpoint.in_memory {
            let connection = MemoryConnection::open(MemoryBroker::of_vhost(&endpoint.vhost));
            self.on_connected(index, BrokerConnection::Memory(connection), ctx);
            return;
        }
        self.attempt += 1;
        self.link = Link::Connecting { index };
        self.publish_state(ConnectionState::Connecting {
            host: endpoint.to_string(),
            attempt: self.attempt,
        });
        let settings = self.settings.clone();
        let runtime = self.runtime.clone();
        let attempt = async move { connect(&endpoint, &settings, runtime).await };
        ctx.spawn(
            attempt
                .into_actor(self)
                .map(move |result, act, ctx| match result {
                    Ok(connection) => {
                        if matches!(act.link, Link::Closed) {
                            // Closed while the attempt was under way: do not keep it.
                            actix::spawn(async move {
                                let _ = connection
                                    .close(200, "warren transport closed".into())
                                    .await;
                            });
                            return;
                        }
                        ctx.add_stream(connection.events_listener());
                        let connection = BrokerConnection::Amqp(Arc::new(connection));
                        act.on_connected(index, connection, ctx);
                    }
                    Err(failure) => {
                        act.rotation.failed(index, Instant::now());
                        act.attempt_failed(index, failure, ctx);
                    }
                }),
        );
    }

    /// An attempt on host `index` failed. Once every host has refused for a reason
    /// only an operator can fix, callers are told so at once (see `refused`).
    fn attempt_failed(&mut self, index: usize, failure: ConnectFailure, ctx: &mut Context<Self>) {
        let host = self.hosts[index].to_string();
        let reason = format!("connecting to {host} failed: {failure}");
        if failure.needs_operator() {
            self.refusals += 1;
            if self.refusals >= self.hosts.len() {
                let error = Error::ConnectFailed {
                    host: host.clone(),
                    failure: failure.clone(),
                };
                for waiter in self.parked.drain(..) {
                    let _ = waiter.send(Err(error.clone()));
                }
                self.refused = Some((host, failure));
            }
        } else {
            self.refusals = 0;
            self.refused = None;
        }
        self.fail(reason, ctx);
    }

    fn on_connected(
        &mut self,
        index: usize,
        connection: BrokerConnection,
        _ctx: &mut Context<Self>,
    ) {
        if matches!(self.link, Link::Closed) {
            return;
        }
        self.rotation.succeeded(index);
        self.attempt = 0;
        self.refusals = 0;
        self.refused = None;
        self.link = Link::Connected {
            connection: connection.clone(),
            index,
        };
        let host = self.hosts[index].to_string();
        let at = BrokerAt {
            host: self.hosts[index].host.as_str().into(),
            port: self.hosts[index].port,
        };
        self.tell_broker(Some(at));
        // A failure before the first success is not a recovery.
        if self.last_failure.take().is_some() && self.connected_before {
            instruments::connection_recovered();
        }
        self.connected_before = true;
        self.blocked = None;
        self.failures.connected();
        if self.hosts[index].in_memory {
            tracing::info!(connection = %self.settings.connection_name, broker = %host, "connected to the in-memory broker");
        } else {
            tracing::info!(connection = %self.settings.connection_name, %host, "connected to RabbitMQ");
        }
        self.publish_state(ConnectionState::Connected { host });
        for waiter in std::mem::take(&mut self.parked) {
            if waiter.is_closed() {
                // Its caller gave up waiting: open nothing for it.
                continue;
            }
            let connection = connection.clone();
            actix::spawn(async move {
                if let Err(Ok(unwanted)) = waiter.send(connection.create_channel().await) {
                    // The caller gave up while the channel opened: do not leak it.
                    unwanted.close("warren: channel not needed").await;
                }
            });
        }
    }

    /// The connection or the attempt failed: tell subscribers and restart.
    fn fail(&mut self, reason: String, ctx: &mut Context<Self>) {
        let connection = &self.settings.connection_name;
        if matches!(self.link, Link::Closed) {
            // Closed on request: what the closing connection reports (a frame for a
            // channel already gone, an attempt ending late) is no failure, and there
            // is nothing to reconnect.
            tracing::debug!(%connection, %reason, "closed connection reported an error");
            return;
        }
        match self.failures.failed(Instant::now()) {
            Report::First => {
                tracing::warn!(%connection, %reason, "RabbitMQ connection failed; reconnecting");
            }
            Report::Summary { attempts } => {
                tracing::warn!(%connection, attempts, last_failure = %reason, "RabbitMQ still unreachable; reconnecting");
            }
            Report::Quiet => {
                tracing::debug!(%connection, %reason, "RabbitMQ connection failed again; reconnecting");
            }
        }
        self.last_failure = Some(reason.clone());
        self.publish_state(ConnectionState::BackingOff { reason });
        ctx.stop();
    }
}

impl Actor for HostConnection {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.restarts == 0 {
            self.connect_next(ctx);
        } else {
            ctx.run_later(self.settings.reconnect_delay, |act, ctx| {
                act.connect_next(ctx)
            });
        }
    }
}

impl Supervised for HostConnection {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        if let Link::Connecting { index } | Link::Connected { index, .. } = self.link {
            // An attempt cut short by the restart counts as a failure of that host.
            if matches!(self.link, Link::Connecting { .. }) {
                self.rotation.failed(index, Instant::now());
            }
        }
        if !matches!(self.link, Link::Closed) {
            self.link = Link::Idle;
        }
    }
}

impl StreamHandler<lapin::Event> for HostConnection {
    fn handle(&mut self, event: lapin::Event, ctx: &mut Context<Self>) {
        match event {
            // lapin also reports channel-level errors (a 404 or 406 closing one
            // channel) here; only connection-level ones end the connection.
            lapin::Event::Error(e) if e.is_amqp_soft_error() => {
                tracing::debug!(connection = %self.settings.connection_name, error = %e, "a channel was closed by the broker");
            }
            lapin::Event::Error(e) => self.fail(format!("connection lost: {e}"), ctx),
            lapin::Event::ConnectionBlocked(reason) => {
                tracing::warn!(connection = %self.settings.connection_name, %reason, "broker blocked the connection");
                self.blocked = Some(reason.clone());
                self.publish_state(ConnectionState::Blocked { reason });
            }
            lapin::Event::ConnectionUnblocked => {
                tracing::info!(connection = %self.settings.connection_name, "broker unblocked the connection");
                self.blocked = None;
                if let Link::Connected { index, .. } = self.link {
                    let host = self.hosts[index].to_string();
                    self.publish_state(ConnectionState::Connected { host });
                }
            }
            _ => {}
        }
    }

    fn finished(&mut self, _ctx: &mut Context<Self>) {
        // The events stream only ends with the connection itself; the `Error` event
        // that precedes it has already restarted us. Do not stop a second time.
    }
}

/// Ask for a new channel on the connection (parked until connected).
pub(crate) struct OpenChannel;

impl Message for OpenChannel {
    type Result = Result<BrokerChannel, Error>;
}

impl Handler<OpenChannel> for HostConnection {
    type Result = ResponseFuture<Result<BrokerChannel, Error>>;

    fn handle(&mut self, _: OpenChannel, ctx: &mut Context<Self>) -> Self::Result {
        match &self.link {
            Link::Connected { connection, .. } => {
                let connection = connection.clone();
                let me = ctx.address();
                Box::pin(async move {
                    let opened = connection.create_channel().await;
                    if opened.is_err() && !connection.is_open() {
                        // The connection died without an event reaching us: restart.
                        me.do_send(ConnectionLost);
                    }
                    opened
                })
            }
            Link::Closed => Box::pin(async { Err(Error::Shutdown) }),
            Link::Idle | Link::Connecting { .. } if self.refused.is_some() => {
                let error = self.refused_error();
                Box::pin(async move { Err(error) })
            }
            Link::Idle | Link::Connecting { .. } => {
                let (tx, rx) = oneshot::channel();
                self.parked.push(tx);
                Box::pin(rx.map(|r| r.unwrap_or(Err(Error::Shutdown))))
            }
        }
    }
}

/// Subscribe to the connection's state changes.
#[derive(Message)]
#[rtype(result = "ConnectionState")]
pub struct SubscribeState(pub Recipient<ConnectionStateChanged>);

impl Handler<SubscribeState> for HostConnection {
    type Result = MessageResult<SubscribeState>;

    fn handle(&mut self, msg: SubscribeState, _ctx: &mut Context<Self>) -> Self::Result {
        self.subscribers.push(Subscriber::Strong(msg.0));
        MessageResult(self.current_state())
    }
}

/// Subscribe without keeping the subscriber alive (the crate's own actors, such as
/// channels, which must stop once their owner drops them).
pub(crate) struct SubscribeWeak(pub(crate) WeakRecipient<ConnectionStateChanged>);

impl Message for SubscribeWeak {
    type Result = ();
}

impl Handler<SubscribeWeak> for HostConnection {
    type Result = ();

    fn handle(&mut self, msg: SubscribeWeak, _ctx: &mut Context<Self>) {
        self.subscribers.push(Subscriber::Weak(msg.0));
    }
}

impl Handler<WatchBroker> for HostConnection {
    type Result = ();

    fn handle(&mut self, msg: WatchBroker, _ctx: &mut Context<Self>) {
        if let Some(watcher) = msg.0.upgrade() {
            // Told at once where the connection is, if it has been up.
            if self.broker.is_some() {
                watcher.do_send(BrokerMoved(self.broker.clone()));
            }
            self.broker_watchers.push(msg.0);
        }
    }
}

/// Who is told of state changes.
enum Subscriber {
    Strong(Recipient<ConnectionStateChanged>),
    Weak(WeakRecipient<ConnectionStateChanged>),
}

impl Subscriber {
    /// Tell `change`; false once the subscriber is gone for good.
    fn tell(&self, change: &ConnectionStateChanged) -> bool {
        match self {
            Subscriber::Strong(s) => s.try_send(change.clone()).is_ok() || s.connected(),
            Subscriber::Weak(w) => match w.upgrade() {
                Some(s) => s.try_send(change.clone()).is_ok() || s.connected(),
                None => false,
            },
        }
    }
}

impl HostConnection {
    /// [`Error::ConnectFailed`] for the refusal in `refused`.
    fn refused_error(&self) -> Error {
        match &self.refused {
            Some((host, failure)) => Error::ConnectFailed {
                host: host.clone(),
                failure: failure.clone(),
            },
            None => Error::ConnectionUnavailable {
                reason: "not connected".to_owned(),
            },
        }
    }

    fn current_state(&self) -> ConnectionState {
        match &self.link {
            Link::Connected { index, .. } => ConnectionState::Connected {
                host: self.hosts[*index].to_string(),
            },
            Link::Connecting { index } => ConnectionState::Connecting {
                host: self.hosts[*index].to_string(),
                attempt: self.attempt,
            },
            Link::Idle => ConnectionState::BackingOff {
                reason: self
                    .last_failure
                    .clone()
                    .unwrap_or_else(|| "waiting to reconnect".into()),
            },
            Link::Closed => ConnectionState::Closed,
        }
    }
}

/// Close the connection gracefully and stop reconnecting.
pub(crate) struct CloseConnection;

impl Message for CloseConnection {
    type Result = ();
}

impl Handler<CloseConnection> for HostConnection {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: CloseConnection, _ctx: &mut Context<Self>) -> Self::Result {
        let previous = std::mem::replace(&mut self.link, Link::Closed);
        for waiter in self.parked.drain(..) {
            let _ = waiter.send(Err(Error::Shutdown));
        }
        self.publish_state(ConnectionState::Closed);
        self.tell_broker(None);
        match previous {
            Link::Connected { connection, .. } => Box::pin(async move {
                let close = connection.close(200, "warren transport closed");
                let _ = tokio::time::timeout(Duration::from_secs(5), close).await;
            }),
            _ => Box::pin(async {}),
        }
    }
}

impl Drop for HostConnection {
    /// A connection dropped without `CloseConnection` (its transport went away)
    /// leaves the gauge too.
    fn drop(&mut self) {
        instruments::connection_state(self.gauged.take(), None);
    }
}

/// The current connection was found dead while opening a channel.
struct ConnectionLost;

impl Message for ConnectionLost {
    type Result = ();
}

impl Handler<ConnectionLost> for HostConnection {
    type Result = ();

    fn handle(&mut self, _: ConnectionLost, ctx: &mut Context<Self>) {
        if let Link::Connected { connection, .. } = &self.link
            && !connection.is_open()
        {
            self.fail("connection lost: opening a channel failed".to_owned(), ctx);
        }
    }
}

/// Why the connection cannot serve publishers now.
pub(crate) enum Unavailable {
    /// No connection is up: the host being tried and the last failure.
    Down(String),
    /// Connected, but the broker blocks publishing: its reason.
    Blocked(String),
    /// Every host refused for a reason only an operator can fix.
    Refused(Error),
}

/// Why publishers are stalled, for callers that gave up waiting: `None` when
/// connected and not blocked.
pub(crate) struct WhyUnavailable;

impl Message for WhyUnavailable {
    type Result = Option<Unavailable>;
}

impl Handler<WhyUnavailable> for HostConnection {
    type Result = Option<Unavailable>;

    fn handle(&mut self, _: WhyUnavailable, _ctx: &mut Context<Self>) -> Option<Unavailable> {
        let last = self
            .last_failure
            .as_deref()
            .map(|f| format!("; last failure: {f}"))
            .unwrap_or_default();
        let down = match &self.link {
            Link::Connected { .. } => return self.blocked.clone().map(Unavailable::Blocked),
            Link::Idle | Link::Connecting { .. } if self.refused.is_some() => {
                return Some(Unavailable::Refused(self.refused_error()));
            }
            Link::Closed => "the transport is closed".to_owned(),
            Link::Connecting { index } => format!(
                "still connecting to {} (attempt {}){last}",
                self.hosts[*index], self.attempt
            ),
            Link::Idle => format!("no broker host reachable{last}"),
        };
        Some(Unavailable::Down(down))
    }
}

/// A failure injected by tests: the connection is closed and the actor restarts, as
/// after a lost connection.
#[cfg(feature = "fault-injection")]
impl Handler<crate::fault::Crash> for HostConnection {
    type Result = ();

    fn handle(&mut self, _: crate::fault::Crash, ctx: &mut Context<Self>) {
        if let Link::Connected { connection, .. } = &self.link {
            let connection = connection.clone();
            actix::spawn(async move {
                connection.close(320, "warren: crash injected").await;
            });
            self.fail("connection lost: crash injected by a test".to_owned(), ctx);
        }
    }
}
