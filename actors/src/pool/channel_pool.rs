//! [`ChannelPool`]: the supervised actor that lends publisher channels.
//!
//! Messages handled (crate-internal): [`AcquireChannel`] lends a channel in publisher
//! confirm mode, waiting up to the given timeout when `pool_max_size +
//! pool_max_overflow` channels are already lent; [`ReleaseChannel`] takes it back,
//! closing it when it failed or when the pool already keeps `pool_max_size` idle.
//!
//! Channels live on the shared [`HostConnection`]. When that connection is replaced,
//! the pool's channels die with it: a dead channel is discarded when returned or when
//! met on acquire, and new ones are opened on the new connection. So the pool keeps
//! no connection state of its own, and a restart has nothing to recover.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix::prelude::*;
use lapin::options::ConfirmSelectOptions;
use tokio::sync::oneshot;

use super::book::{Acquire, PoolBook, PoolLimits};
use crate::Error;
use crate::connection::{HostConnection, OpenChannel, unavailable_or};

/// A channel lent by the pool; give it back with [`ReleaseChannel`].
#[derive(Debug)]
pub(crate) struct Lease {
    pub(crate) channel: lapin::Channel,
    created: Instant,
}

struct Waiter {
    reply: oneshot::Sender<Result<Lease, Error>>,
}

/// The pool manager actor; see the module docs.
pub struct ChannelPool {
    connection: Addr<HostConnection>,
    book: PoolBook<lapin::Channel>,
    waiters: VecDeque<Waiter>,
}

impl ChannelPool {
    pub(crate) fn new(connection: Addr<HostConnection>, limits: PoolLimits) -> Self {
        Self {
            connection,
            book: PoolBook::new(limits),
            waiters: VecDeque::new(),
        }
    }

    /// Pair waiting acquirers with idle channels or new ones, while possible.
    fn serve(&mut self, ctx: &mut Context<Self>) {
        loop {
            self.waiters.retain(|w| !w.reply.is_closed());
            if self.waiters.is_empty() {
                return;
            }
            let mut to_close = Vec::new();
            let decision =
                self.book
                    .acquire(Instant::now(), |c| c.status().connected(), &mut to_close);
            close_all(to_close);
            match decision {
                Acquire::Reuse(channel, created) => {
                    let lease = Lease { channel, created };
                    self.hand_over(lease);
                }
                Acquire::Create => {
                    let Some(waiter) = self.waiters.pop_front() else {
                        self.book.creation_failed();
                        return;
                    };
                    self.create_for(waiter, ctx);
                }
                Acquire::Wait => return,
            }
        }
    }

    /// Give `lease` to the first live waiter, or back to the idle set.
    fn hand_over(&mut self, lease: Lease) {
        let mut lease = lease;
        while let Some(waiter) = self.waiters.pop_front() {
            match waiter.reply.send(Ok(lease)) {
                Ok(()) => return,
                Err(Ok(back)) => lease = back,
                Err(Err(_)) => return,
            }
        }
        if let Some(channel) = self
            .book
            .release(lease.channel, lease.created, Instant::now(), true)
        {
            close_all(vec![channel]);
        }
    }

    fn create_for(&mut self, waiter: Waiter, ctx: &mut Context<Self>) {
        let connection = self.connection.clone();
        let open = async move {
            let channel = connection
                .send(OpenChannel)
                .await
                .map_err(|_| Error::Shutdown)??;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(|e| Error::from_lapin("confirm.select", &e))?;
            Ok::<_, Error>(channel)
        };
        ctx.spawn(
            open.into_actor(self)
                .map(move |result, act, ctx| match result {
                    Ok(channel) => {
                        let lease = Lease {
                            channel,
                            created: Instant::now(),
                        };
                        match waiter.reply.send(Ok(lease)) {
                            Ok(()) => {}
                            // The acquirer gave up meanwhile: keep the channel for the next.
                            Err(Ok(lease)) => {
                                act.hand_over(lease);
                                act.serve(ctx);
                            }
                            Err(Err(_)) => {}
                        }
                    }
                    Err(e) => {
                        act.book.creation_failed();
                        let _ = waiter.reply.send(Err(e));
                        act.serve(ctx);
                    }
                }),
        );
    }
}

fn close_all(channels: Vec<lapin::Channel>) {
    for channel in channels {
        if channel.status().connected() {
            actix::spawn(async move {
                let _ = channel
                    .close(200, "warren pool: channel retired".into())
                    .await;
            });
        }
    }
}

impl Actor for ChannelPool {
    type Context = Context<Self>;
}

impl Supervised for ChannelPool {}

/// Borrow a publisher channel, waiting at most `timeout`.
pub(crate) struct AcquireChannel {
    pub(crate) timeout: Duration,
}

impl Message for AcquireChannel {
    type Result = Result<Lease, Error>;
}

impl Handler<AcquireChannel> for ChannelPool {
    type Result = ResponseFuture<Result<Lease, Error>>;

    fn handle(&mut self, msg: AcquireChannel, ctx: &mut Context<Self>) -> Self::Result {
        let (reply, rx) = oneshot::channel();
        self.waiters.push_back(Waiter { reply });
        self.serve(ctx);
        let timeout = msg.timeout;
        let connection = self.connection.clone();
        Box::pin(async move {
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(Error::Shutdown),
                Err(_) => {
                    let waited = Error::Timeout {
                        waiting_for: "a publisher channel from the pool (pool_timeout)",
                        after: timeout,
                    };
                    Err(unavailable_or(&connection, waited).await)
                }
            }
        })
    }
}

/// Give a lent channel back; `healthy` is false when it failed while lent.
pub(crate) struct ReleaseChannel {
    pub(crate) lease: Lease,
    pub(crate) healthy: bool,
}

impl Message for ReleaseChannel {
    type Result = ();
}

impl Handler<ReleaseChannel> for ChannelPool {
    type Result = ();

    fn handle(&mut self, msg: ReleaseChannel, ctx: &mut Context<Self>) {
        let healthy = msg.healthy && msg.lease.channel.status().connected();
        if healthy && !self.waiters.is_empty() {
            self.hand_over(msg.lease);
        } else if let Some(channel) = self.book.release(
            msg.lease.channel,
            msg.lease.created,
            Instant::now(),
            healthy,
        ) {
            close_all(vec![channel]);
        }
        self.serve(ctx);
    }
}
