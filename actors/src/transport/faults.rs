//! Failures injected into a transport's tree, for the tests of its supervision
//! (cargo feature `fault-injection`).

use super::Transport;
use crate::fault::{Crash, CrashChannels, TreeActor};
use crate::{NotificationListener, RpcServer};

impl Transport {
    /// Stop `actor` of the tree as a failure would; its supervisor restarts it after
    /// `host_connection_reconnect_delay`. Resolves once the actor was told.
    pub async fn crash(&self, actor: TreeActor) {
        let tree = &self.tree;
        let _ = match actor {
            TreeActor::Connection => tree.connection.send(Crash).await,
            TreeActor::Pool => tree.pool.send(Crash).await,
            TreeActor::PublisherChannels => tree.pool.send(CrashChannels).await,
            TreeActor::ReplyWaiter => tree.reply_waiter.send(Crash).await,
            TreeActor::ReplyChannel => tree.reply_waiter.send(CrashChannels).await,
            TreeActor::RpcClient => tree.client.send(Crash).await,
            TreeActor::Notifier => tree.notifier.send(Crash).await,
        };
    }
}

/// Send `Crash` (or `CrashChannels`, when `channel`) to a consumer actor.
async fn crash_consumer<A>(actor: actix::Addr<A>, channel: bool)
where
    A: actix::Actor<Context = actix::Context<A>>
        + actix::Handler<Crash>
        + actix::Handler<CrashChannels>,
{
    let _ = if channel {
        actor.send(CrashChannels).await
    } else {
        actor.send(Crash).await
    };
}

impl RpcServer {
    /// Stop the server actor (`channel`: its channel actor instead) as a failure
    /// would; it restarts after `host_connection_reconnect_delay`.
    pub async fn crash(&self, channel: bool) {
        crash_consumer(self.actor(), channel).await;
    }
}

impl NotificationListener {
    /// Stop the listener actor (`channel`: its channel actor instead) as a failure
    /// would; it restarts after `host_connection_reconnect_delay`.
    pub async fn crash(&self, channel: bool) {
        crash_consumer(self.actor(), channel).await;
    }
}
