//! [`ChannelPool`]: the supervised pool manager over publisher [`ChannelActor`]s.
//!
//! Messages handled (crate-internal): [`Publish`]. The pool routes each publish to a
//! channel actor with room in its confirm window (see [`PoolBook`] for how the pool
//! options apply), opening channel actors up to `pool_max_size + pool_max_overflow`;
//! when every window is full, the publish waits here, at most `pool_timeout`. A
//! publish costs one message to the pool and one to a channel.
//!
//! A forwarded publish waits for its channel's answer in a task of its own on the
//! pool's arbiter and settles in the pool's books from there, rather than as a future
//! of the actor's context: actix polls every future of a context each time the
//! context wakes, so with hundreds of publishes in flight each publish would cost a
//! poll of all the others.
//!
//! Channel actors recover from channel and connection failures on their own, so the
//! pool keeps no connection state. Restart behaviour: a restarted pool closes its
//! channel actors and opens new ones on demand; publishes waiting in it fail as
//! [`PublishFailure::NotSent`], and those on a channel finish there.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use tokio::sync::oneshot;

use super::book::{ChannelId, Occupancy, PoolBook, PoolLimits, Route};
use crate::channel::{ChannelActor, ChannelSettings, CloseChannel, Publish, PublishFailure};
use crate::connection::HostConnection;
use crate::{Error, instruments};

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

/// The pool's books: which channels exist, how full their windows are, and the
/// publishes waiting for room. Shared by the actor and the publishes it forwarded,
/// which all run on the pool's arbiter; no borrow is held across an `await`.
struct Books {
    connection: Addr<HostConnection>,
    settings: PoolSettings,
    book: PoolBook,
    channels: HashMap<ChannelId, Addr<ChannelActor>>,
    waiting: VecDeque<Waiting>,
    /// What this pool counts in the `warren_pool_channels` gauge.
    gauged: Occupancy,
}

type SharedBooks = Rc<RefCell<Books>>;

impl Books {
    fn new(connection: Addr<HostConnection>, settings: PoolSettings) -> SharedBooks {
        Rc::new(RefCell::new(Self {
            connection,
            settings,
            book: PoolBook::new(settings.limits),
            channels: HashMap::new(),
            waiting: VecDeque::new(),
            gauged: Occupancy::default(),
        }))
    }

    /// Bring the `warren_pool_channels` gauge up to date with the book.
    fn gauge(&mut self) {
        if instruments::enabled() {
            self.regauge(self.book.occupancy());
        }
    }

    fn regauge(&mut self, now: Occupancy) {
        let change = |now: usize, was: usize| now as i64 - was as i64;
        let in_use = change(now.in_use, self.gauged.in_use);
        let idle = change(now.idle, self.gauged.idle);
        instruments::pool_channels(in_use, idle);
        self.gauged = now;
    }

    /// The channel for the next publish, opening one if the book says so.
    fn route(&mut self, alone: bool) -> Option<(ChannelId, Addr<ChannelActor>)> {
        let mut retire = Vec::new();
        let route = self.book.route(Instant::now(), alone, &mut retire);
        self.retire(retire);
        self.gauge();
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

    /// Close every channel and fail the waiting publishes as never sent (by dropping
    /// their senders).
    fn clear(&mut self) {
        let ids = self.book.clear();
        self.retire(ids);
        self.gauge();
        self.channels.clear();
        self.waiting.clear();
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

impl Drop for Books {
    /// A pool that goes away (its transport closed) leaves the gauge.
    fn drop(&mut self) {
        self.regauge(Occupancy::default());
    }
}

/// Send `publish` on channel `id`; the books learn when it is settled, and hand the
/// room it leaves to the publishes waiting.
fn forward(
    books: SharedBooks,
    id: ChannelId,
    channel: Addr<ChannelActor>,
    publish: Publish,
) -> impl Future<Output = Outcome> + 'static {
    let alone = publish.alone;
    async move {
        let sent = channel.send(publish).await;
        {
            let mut books = books.borrow_mut();
            let mut retire = Vec::new();
            books.book.settled(id, alone, Instant::now(), &mut retire);
            books.retire(retire);
            books.gauge();
        }
        serve_waiting(&books);
        // The channel's arbiter went away with the confirm outstanding.
        sent.unwrap_or(Err(PublishFailure::InDoubt(Error::Shutdown)))
    }
}

/// Hand waiting publishes to channels with room, oldest first.
fn serve_waiting(books: &SharedBooks) {
    loop {
        let (id, channel, waiting) = {
            let mut shared = books.borrow_mut();
            let Some(first) = shared.waiting.front() else {
                return;
            };
            if first.reply.is_closed() {
                shared.waiting.pop_front();
                continue;
            }
            let alone = first.publish.alone;
            let Some((id, channel)) = shared.route(alone) else {
                return;
            };
            let Some(waiting) = shared.waiting.pop_front() else {
                return;
            };
            (id, channel, waiting)
        };
        let sent = forward(books.clone(), id, channel, waiting.publish);
        let reply = waiting.reply;
        actix::spawn(async move {
            let _ = reply.send(sent.await);
        });
    }
}

/// The pool manager actor; see the module docs.
pub struct ChannelPool {
    books: SharedBooks,
}

impl ChannelPool {
    pub(crate) fn new(connection: Addr<HostConnection>, settings: PoolSettings) -> Self {
        Self {
            books: Books::new(connection, settings),
        }
    }
}

impl Actor for ChannelPool {
    type Context = Context<Self>;
}

impl Supervised for ChannelPool {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        // Publishes still on a channel settle into the old books, which nobody reads.
        let (connection, settings) = {
            let mut old = self.books.borrow_mut();
            old.clear();
            (old.connection.clone(), old.settings)
        };
        self.books = Books::new(connection, settings);
    }
}

impl Handler<Publish> for ChannelPool {
    type Result = ResponseFuture<Outcome>;

    fn handle(&mut self, publish: Publish, ctx: &mut Context<Self>) -> Self::Result {
        let mut books = self.books.borrow_mut();
        if books.waiting.is_empty()
            && let Some((id, channel)) = books.route(publish.alone)
        {
            drop(books);
            return Box::pin(forward(self.books.clone(), id, channel, publish));
        }
        let (reply, outcome) = oneshot::channel();
        books.waiting.push_back(Waiting {
            publish,
            since: Instant::now(),
            reply,
        });
        let timeout = books.settings.timeout;
        ctx.run_later(timeout, |act, _| act.books.borrow_mut().expire_waiting());
        Box::pin(async move {
            outcome
                .await
                .unwrap_or(Err(PublishFailure::NotSent(Error::Shutdown)))
        })
    }
}

/// A failure injected by tests: every publisher channel restarts as after a channel
/// error.
#[cfg(feature = "fault-injection")]
impl Handler<crate::fault::CrashChannels> for ChannelPool {
    type Result = ();

    fn handle(&mut self, _: crate::fault::CrashChannels, _ctx: &mut Context<Self>) {
        for channel in self.books.borrow().channels.values() {
            channel.do_send(crate::channel::RestartChannel);
        }
    }
}
