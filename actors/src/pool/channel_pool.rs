//! [`ChannelPool`]: the supervised pool manager over publisher [`ChannelActor`]s.
//!
//! Messages handled (crate-internal): [`Publish`]. The pool routes each publish to a
//! channel actor with room in its confirm window (see [`PoolBook`] for how the pool
//! options apply), opening channel actors up to `pool_max_size + pool_max_overflow`;
//! when every window is full, the publish waits here, at most `pool_timeout`. A
//! publish costs one message to the pool and one to a channel.
//!
//! Channel actors recover from channel and connection failures on their own, so the
//! pool keeps no connection state. Restart behaviour: a restarted pool closes its
//! channel actors and opens new ones on demand; publishes waiting in it fail as
//! [`PublishFailure::NotSent`], and those on a channel finish there.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use actix::prelude::*;
use tokio::sync::oneshot;

use super::book::{ChannelId, PoolBook, PoolLimits, Route};
use crate::Error;
use crate::channel::{ChannelActor, ChannelSettings, CloseChannel, Publish, PublishFailure};
use crate::connection::HostConnection;

/// What the pool needs when it is built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolSettings {
    pub(crate) limits: PoolLimits,
    /// How long a publish waits for room on a channel.
    pub(crate) timeout: Duration,
    pub(crate) reconnect_delay: Duration,
}

type Outcome = Result<(), PublishFailure>;

/// A publish waiting for room on a channel.
struct Waiting {
    publish: Publish,
    since: Instant,
    reply: oneshot::Sender<Outcome>,
}

/// The pool manager actor; see the module docs.
pub struct ChannelPool {
    connection: Addr<HostConnection>,
    settings: PoolSettings,
    book: PoolBook,
    channels: HashMap<ChannelId, Addr<ChannelActor>>,
    waiting: VecDeque<Waiting>,
}

impl ChannelPool {
    pub(crate) fn new(connection: Addr<HostConnection>, settings: PoolSettings) -> Self {
        Self {
            connection,
            settings,
            book: PoolBook::new(settings.limits),
            channels: HashMap::new(),
            waiting: VecDeque::new(),
        }
    }

    /// The channel for the next publish, opening one if the book says so.
    fn route(&mut self, alone: bool) -> Option<(ChannelId, Addr<ChannelActor>)> {
        let mut retire = Vec::new();
        let route = self.book.route(Instant::now(), alone, &mut retire);
        self.retire(retire);
        let id = match route {
            Route::Use(id) => id,
            Route::Create(id) => {
                let connection = self.connection.clone();
                let settings = ChannelSettings {
                    confirms: true,
                    reconnect_delay: self.settings.reconnect_delay,
                    open_timeout: self.settings.timeout,
                };
                let channel = Supervisor::start(move |_| ChannelActor::new(connection, settings));
                self.channels.insert(id, channel);
                id
            }
            Route::Wait => return None,
        };
        let channel = self.channels.get(&id)?.clone();
        Some((id, channel))
    }

    fn retire(&mut self, ids: Vec<ChannelId>) {
        for id in ids {
            if let Some(channel) = self.channels.remove(&id) {
                channel.do_send(CloseChannel("warren pool: channel retired"));
            }
        }
    }

    /// Send `publish` on channel `id`; the book learns when it is settled.
    fn forward(
        &mut self,
        id: ChannelId,
        channel: &Addr<ChannelActor>,
        publish: Publish,
    ) -> impl ActorFuture<Self, Output = Outcome> + 'static {
        let alone = publish.alone;
        channel
            .send(publish)
            .into_actor(self)
            .map(move |sent, act, ctx| {
                let mut retire = Vec::new();
                act.book.settled(id, alone, Instant::now(), &mut retire);
                act.retire(retire);
                act.serve_waiting(ctx);
                // The channel's arbiter went away with the confirm outstanding.
                sent.unwrap_or(Err(PublishFailure::InDoubt(Error::Shutdown)))
            })
    }

    /// Hand waiting publishes to channels with room, oldest first.
    fn serve_waiting(&mut self, ctx: &mut Context<Self>) {
        while let Some(first) = self.waiting.front() {
            if first.reply.is_closed() {
                self.waiting.pop_front();
                continue;
            }
            let alone = first.publish.alone;
            let Some((id, channel)) = self.route(alone) else {
                return;
            };
            let Some(waiting) = self.waiting.pop_front() else {
                return;
            };
            let sent = self.forward(id, &channel, waiting.publish);
            let reply = waiting.reply;
            ctx.spawn(sent.map(move |outcome, _, _| {
                let _ = reply.send(outcome);
            }));
        }
    }

    /// Fail the publishes that have waited `pool_timeout`.
    fn expire_waiting(&mut self) {
        let timeout = self.settings.timeout;
        let now = Instant::now();
        while let Some(first) = self.waiting.front() {
            if now.saturating_duration_since(first.since) < timeout && !first.reply.is_closed() {
                return;
            }
            if let Some(expired) = self.waiting.pop_front() {
                let _ = expired
                    .reply
                    .send(Err(PublishFailure::NotSent(Error::Timeout {
                        waiting_for: "a publisher channel from the pool (pool_timeout)",
                        after: timeout,
                    })));
            }
        }
    }
}

impl Actor for ChannelPool {
    type Context = Context<Self>;
}

impl Supervised for ChannelPool {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        let ids = self.book.clear();
        self.retire(ids);
        self.channels.clear();
        // Dropping the senders fails the waiting publishes as never sent.
        self.waiting.clear();
    }
}

impl Handler<Publish> for ChannelPool {
    type Result = ResponseActFuture<Self, Outcome>;

    fn handle(&mut self, publish: Publish, ctx: &mut Context<Self>) -> Self::Result {
        if self.waiting.is_empty()
            && let Some((id, channel)) = self.route(publish.alone)
        {
            return Box::pin(self.forward(id, &channel, publish));
        }
        let (reply, outcome) = oneshot::channel();
        self.waiting.push_back(Waiting {
            publish,
            since: Instant::now(),
            reply,
        });
        ctx.run_later(self.settings.timeout, |act, _| act.expire_waiting());
        Box::pin(
            fut::wrap_future(outcome).map(|outcome, _, _| {
                outcome.unwrap_or(Err(PublishFailure::NotSent(Error::Shutdown)))
            }),
        )
    }
}

/// A failure injected by tests: every publisher channel restarts as after a channel
/// error.
#[cfg(feature = "fault-injection")]
impl Handler<crate::fault::CrashChannels> for ChannelPool {
    type Result = ();

    fn handle(&mut self, _: crate::fault::CrashChannels, _ctx: &mut Context<Self>) {
        for channel in self.channels.values() {
            channel.do_send(crate::channel::RestartChannel);
        }
    }
}
