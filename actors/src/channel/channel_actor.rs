//! [`ChannelActor`]: the supervised actor that owns one AMQP channel.
//!
//! The pool's publisher channels and every consumer's channel are channel actors. A
//! publisher channel is in confirm mode and keeps many publishes in flight (the pool
//! bounds how many): its [`ChannelPublisher`] pairs each `basic.ack`, `basic.nack` and
//! `basic.return` with its publish, and each [`Publish`] resolves with exactly its own
//! outcome.
//!
//! Messages handled (crate-internal): [`Publish`]; [`Subscribe`] (prefetch, declare a
//! topology, start its consumers); [`CancelConsumers`]; [`CloseChannel`] (close and
//! stop for good); `ChannelBroken` (check the channel, reopen if it closed);
//! `RestartChannel` (reopen).
//!
//! Restart behaviour: the actor opens its channel on its [`HostConnection`] when it
//! starts. While it opens, its mailbox waits, so requests queue instead of failing.
//! When the channel is closed by the broker, the connection is lost, or an open
//! fails, it stops; its `Supervisor` restarts it and it opens again after
//! `host_connection_reconnect_delay`. Publishes outstanding at that moment fail with
//! [`PublishFailure::InDoubt`] (the broker may have the message); publishes that
//! never reached the channel fail with [`PublishFailure::NotSent`]. When every broker
//! host refuses the connection for a reason only an operator can fix, requests are
//! answered at once with that error while the actor keeps retrying.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use lapin::BasicProperties;
use warren_core::{AckMode, Topology};

use super::channel_publisher::ChannelPublisher;
use super::confirmed_publish::{Outgoing, PublishFailure};
use crate::Error;
use crate::broker::{BrokerChannel, Consumer};
use crate::connection::{
    ConnectionState, ConnectionStateChanged, HostConnection, OpenChannel, SubscribeWeak,
};

/// What a channel actor is for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChannelSettings {
    /// Publisher confirms (`confirm.select`) on every channel opened.
    pub(crate) confirms: bool,
    /// The pause before reopening after a failure.
    pub(crate) reconnect_delay: Duration,
    /// How long an open waits for a connection (`pool_timeout`); meanwhile requests
    /// queue, and afterwards they are answered with the reason until the next open.
    pub(crate) open_timeout: Duration,
}

/// Where the actor is in its channel's life.
enum Link {
    /// Opening (the mailbox waits meanwhile), or about to.
    Opening,
    /// Open and usable, with the task publishing on it.
    Open {
        channel: BrokerChannel,
        publisher: ChannelPublisher,
    },
    /// No channel could be opened (every broker host refuses the connection, or none
    /// came up within `open_timeout`): requests are answered with this until the next
    /// attempt.
    Down(Error),
    /// Closed on request: stays so.
    Closed,
}

/// The actor owning one channel; see the module docs.
pub struct ChannelActor {
    connection: Addr<HostConnection>,
    settings: ChannelSettings,
    link: Link,
    restarts: u64,
}

impl ChannelActor {
    pub(crate) fn new(connection: Addr<HostConnection>, settings: ChannelSettings) -> Self {
        Self {
            connection,
            settings,
            link: Link::Opening,
            restarts: 0,
        }
    }

    /// Open the channel after `delay`, holding the mailbox until it is open or failed.
    fn open(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        self.link = Link::Opening;
        let connection = self.connection.clone();
        let confirms = self.settings.confirms;
        let open_timeout = self.settings.open_timeout;
        let opening = async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let channel = tokio::time::timeout(open_timeout, connection.send(OpenChannel))
                .await
                .map_err(|_| Error::Timeout {
                    waiting_for: "a connection to open a publisher channel on (pool_timeout)",
                    after: open_timeout,
                })?
                .map_err(|_| Error::Shutdown)??;
            if confirms {
                channel.confirm_select().await?;
            }
            Ok::<_, Error>(channel)
        };
        ctx.wait(
            opening
                .into_actor(self)
                .map(|opened, act, ctx| act.opened(opened, ctx)),
        );
    }

    fn opened(&mut self, opened: Result<BrokerChannel, Error>, ctx: &mut Context<Self>) {
        if matches!(self.link, Link::Closed) {
            if let Ok(channel) = opened {
                close(channel, "warren: channel closed");
            }
            return;
        }
        match opened {
            Ok(channel) => {
                let publisher = ChannelPublisher::start(channel.clone());
                self.link = Link::Open { channel, publisher };
            }
            Err(Error::Shutdown) => {
                self.link = Link::Closed;
                ctx.stop();
            }
            Err(e @ (Error::ConnectFailed { .. } | Error::Timeout { .. })) => {
                // Answer the requests that waited, and new ones, with the reason while
                // trying again in the background.
                self.link = Link::Down(e);
                ctx.run_later(self.settings.reconnect_delay, |act, ctx| {
                    if matches!(act.link, Link::Down(_)) {
                        act.open(Duration::ZERO, ctx);
                    }
                });
            }
            Err(e) => {
                tracing::debug!(error = %e, "opening a channel failed; retrying");
                ctx.stop();
            }
        }
    }

    /// The channel is found closed: restart and reopen.
    fn broken(&mut self, ctx: &mut Context<Self>) {
        if let Link::Open { channel, .. } = &self.link
            && !channel.is_open()
        {
            ctx.stop();
        }
    }

    /// The open channel, or why a request cannot use it now.
    fn usable(&self) -> Result<BrokerChannel, Error> {
        self.in_use().map(|(channel, _)| channel.clone())
    }

    /// The open channel and the task publishing on it, or why a request cannot use
    /// them now.
    fn in_use(&self) -> Result<(&BrokerChannel, &ChannelPublisher), Error> {
        match &self.link {
            Link::Open { channel, publisher } => Ok((channel, publisher)),
            Link::Down(e) => Err(e.clone()),
            Link::Closed => Err(Error::Shutdown),
            Link::Opening => Err(Error::ConnectionUnavailable {
                reason: "the channel is reopening".to_owned(),
            }),
        }
    }
}

fn close(channel: BrokerChannel, reason: &'static str) {
    actix::spawn(async move { channel.close(reason).await });
}

impl Actor for ChannelActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if matches!(self.link, Link::Closed) {
            // Closed for good: idle until the last address is dropped.
            return;
        }
        let delay = if self.restarts == 0 {
            // Told when the connection goes, so an idle channel reopens without waiting
            // for a publish to fail on it. Weakly: the subscription must not keep this
            // actor alive once its owner has dropped it.
            self.connection
                .do_send(SubscribeWeak(ctx.address().recipient().downgrade()));
            Duration::ZERO
        } else {
            self.settings.reconnect_delay
        };
        self.open(delay, ctx);
    }
}

impl Supervised for ChannelActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        if let Link::Open { channel, .. } = std::mem::replace(&mut self.link, Link::Opening) {
            close(channel, "warren: channel restarting");
        }
    }
}

impl Handler<ConnectionStateChanged> for ChannelActor {
    type Result = ();

    fn handle(&mut self, msg: ConnectionStateChanged, ctx: &mut Context<Self>) {
        // Changes queue up while the channel opens: trust the channel's own status
        // over a change that may predate it.
        if matches!(
            msg.state,
            ConnectionState::BackingOff { .. } | ConnectionState::Closed
        ) {
            self.broken(ctx);
        }
    }
}

/// Publish one message; resolves with the broker's confirm.
pub(crate) struct Publish {
    pub(crate) message: Arc<Outgoing>,
    /// This attempt's properties, in place of `message.properties`.
    pub(crate) properties: BasicProperties,
    /// On a channel that carries no other publish meanwhile: a channel error then
    /// names this message as its cause.
    pub(crate) alone: bool,
}

impl Message for Publish {
    type Result = Result<(), PublishFailure>;
}

impl Handler<Publish> for ChannelActor {
    type Result = ResponseFuture<Result<(), PublishFailure>>;

    fn handle(&mut self, msg: Publish, ctx: &mut Context<Self>) -> Self::Result {
        let publisher = match self.in_use() {
            Ok((_, publisher)) => publisher.clone(),
            Err(e) => return Box::pin(async move { Err(PublishFailure::NotSent(e)) }),
        };
        let me = ctx.address();
        // Not tied to the actor's context: an outstanding confirm resolves (with an
        // error, if the channel dies) even while the actor restarts.
        Box::pin(async move {
            let result = publisher.publish(msg.message, msg.properties).await;
            if let Err(failure) = &result
                && !failure.channel_survives()
            {
                me.do_send(ChannelBroken);
            }
            result
        })
    }
}

/// Set the channel up for consuming: prefetch, declare `topology`, consume its queues.
pub(crate) struct Subscribe {
    pub(crate) prefetch: u16,
    pub(crate) topology: Arc<Topology>,
}

/// One started consumer, whether it consumes without acks, and the channel it
/// consumes on (deliveries are acked there).
pub(crate) struct Consuming {
    pub(crate) no_ack: bool,
    pub(crate) consumer: Consumer,
    pub(crate) channel: BrokerChannel,
}

impl Message for Subscribe {
    type Result = Result<Vec<Consuming>, Error>;
}

impl Handler<Subscribe> for ChannelActor {
    type Result = ResponseFuture<Result<Vec<Consuming>, Error>>;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Context<Self>) -> Self::Result {
        let channel = match self.usable() {
            Ok(channel) => channel,
            Err(e) => return Box::pin(async move { Err(e) }),
        };
        let me = ctx.address();
        Box::pin(async move {
            let subscribed = async {
                channel.set_prefetch(msg.prefetch).await?;
                channel.declare_topology(&msg.topology).await?;
                let mut consumers = Vec::new();
                for (queue, ack) in msg.topology.consumers() {
                    let no_ack = matches!(ack, AckMode::NoAck);
                    let consumer = channel.consume(queue, no_ack).await?;
                    consumers.push(Consuming {
                        no_ack,
                        consumer,
                        channel: channel.clone(),
                    });
                }
                Ok(consumers)
            }
            .await;
            if subscribed.is_err() {
                // A refused declaration closes the channel: reopen it.
                me.do_send(ChannelBroken);
            }
            subscribed
        })
    }
}

/// Cancel these consumers (`basic.cancel`); deliveries already sent still arrive.
pub(crate) struct CancelConsumers(pub(crate) Vec<String>);

impl Message for CancelConsumers {
    type Result = ();
}

impl Handler<CancelConsumers> for ChannelActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: CancelConsumers, _ctx: &mut Context<Self>) -> Self::Result {
        let Link::Open { channel, .. } = &self.link else {
            return Box::pin(async {});
        };
        let channel = channel.clone();
        Box::pin(async move {
            for tag in msg.0 {
                channel.cancel(&tag).await;
            }
        })
    }
}

/// Close the channel and stop for good.
pub(crate) struct CloseChannel(pub(crate) &'static str);

impl Message for CloseChannel {
    type Result = ();
}

impl Handler<CloseChannel> for ChannelActor {
    type Result = ();

    fn handle(&mut self, msg: CloseChannel, ctx: &mut Context<Self>) {
        if let Link::Open { channel, .. } = std::mem::replace(&mut self.link, Link::Closed) {
            close(channel, msg.0);
        }
        ctx.stop();
    }
}

/// Close the channel and open a new one after `host_connection_reconnect_delay`, as
/// after a channel error: unacked deliveries go back to their queues. Sent by a
/// consumer that restarts while its consumers still run, and by fault injection.
pub(crate) struct RestartChannel;

impl Message for RestartChannel {
    type Result = ();
}

impl Handler<RestartChannel> for ChannelActor {
    type Result = ();

    fn handle(&mut self, _: RestartChannel, ctx: &mut Context<Self>) {
        if !matches!(self.link, Link::Closed) {
            ctx.stop();
        }
    }
}

/// An operation or a consumer found the channel failing: check it and reopen if it
/// is closed.
pub(crate) struct ChannelBroken;

impl Message for ChannelBroken {
    type Result = ();
}

impl Handler<ChannelBroken> for ChannelActor {
    type Result = ();

    fn handle(&mut self, _: ChannelBroken, ctx: &mut Context<Self>) {
        self.broken(ctx);
    }
}
