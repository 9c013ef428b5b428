//! Failures injected into the actor tree, for tests (cargo feature `fault-injection`).
//!
//! [`Crash`] stops an actor as a panic-free failure would: its `Supervisor` restarts
//! it with the state it rebuilds from its owner, and every `Addr` to it stays valid.

use actix::Message;

/// Stop the actor it is sent to, so that its supervisor restarts it.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Crash;

/// An actor of a transport's tree, named for [`crate::Transport::crash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TreeActor {
    /// The host connection actor (its connection is closed and reopened).
    Connection,
    /// The pool manager.
    Pool,
    /// Every publisher channel actor of the pool.
    PublisherChannels,
    /// The reply waiter.
    ReplyWaiter,
    /// The reply waiter's channel actor.
    ReplyChannel,
    /// The RPC client actor.
    RpcClient,
    /// The notifier actor.
    Notifier,
}

/// Restart the channel actors of the actor it is sent to (a pool's publisher
/// channels, a consumer's channel), as a channel error would.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct CrashChannels;

/// `Handler<Crash>` (stop, to be restarted) for each listed actor.
macro_rules! crash_stops {
    ($($actor:ty),* $(,)?) => {$(
        impl actix::Handler<Crash> for $actor {
            type Result = ();

            fn handle(&mut self, _: Crash, ctx: &mut actix::Context<Self>) {
                actix::ActorContext::stop(ctx);
            }
        }
    )*};
}

crash_stops!(
    crate::ChannelPool,
    crate::ReplyWaiter,
    crate::RpcClientActor,
    crate::NotifierActor,
    crate::RpcServerActor,
    crate::NotificationListenerActor,
);
