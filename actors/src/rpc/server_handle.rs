//! [`RpcServer`]: start an [`RpcServerActor`] for a target and stop it gracefully.

use std::time::Duration;

use actix::{Addr, Supervisor};
use warren_core::{Target, WorkerIds, rpc_exchange, rpc_server_topology};

use super::dispatcher::Dispatcher;
use super::endpoint::Endpoint;
use super::server::{RpcServerActor, ServerCounts, ServerStats, StopServer, WhenReady};
use crate::Error;
use crate::connection::{HostConnection, WatchBroker};
use crate::pool::ChannelPool;
use crate::settings::ServerSettings;

/// A running RPC server; cheap to clone.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
/// use serde::Deserialize;
/// use warren::{Endpoint, RemoteError, RpcServer, Target};
///
/// #[derive(Deserialize)]
/// struct Echo { value: serde_json::Value }
///
/// let endpoint = Endpoint::new()
///     .method("echo", |_ctx, args: Echo| async move { Ok::<_, RemoteError>(args.value) });
/// let server = RpcServer::start(&transport, Target::new("demo").with_server("host1"), vec![endpoint])?;
/// server.ready().await?;
/// // ... later:
/// server.stop().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RpcServer {
    actor: Addr<RpcServerActor>,
}

/// Start an [`RpcServerActor`] for `target` in `site`, or the current arbiter
/// ([`RpcServer::start`], [`RpcServer::start_in`]).
pub(crate) fn launch_server(
    settings: ServerSettings,
    connection: Addr<HostConnection>,
    pool: Addr<ChannelPool>,
    target: Target,
    endpoints: Vec<Endpoint>,
    site: Option<&actix::ArbiterHandle>,
) -> Result<RpcServer, Error> {
    let invalid = |reason: &str| Error::InvalidTarget {
        reason: reason.to_owned(),
    };
    if target.topic.is_empty() {
        return Err(invalid("an RPC server needs a topic"));
    }
    let server = target
        .server
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("an RPC server needs a server name (Target::with_server)"))?;
    let exchange =
        rpc_exchange(&target, &settings.default_exchange).map_err(|e| invalid(&e.to_string()))?;
    let topic = target.topic.clone();
    // Names too long for AMQP are refused here, not after the actor started.
    rpc_server_topology(
        &exchange,
        &topic,
        &server,
        settings.queue_expiration,
        WorkerIds::random(),
        settings.queue_type,
    )
    .map_err(|e| invalid(&e.to_string()))?;
    let dispatcher =
        Dispatcher::new(endpoints).map_err(|reason| Error::InvalidEndpoint { reason })?;
    let names = super::server::ServerNames {
        exchange,
        topic,
        server,
    };
    let watched = connection.clone();
    let build = move |_: &mut actix::Context<RpcServerActor>| {
        RpcServerActor::new(settings, connection, pool, names, dispatcher)
    };
    let actor = match site {
        Some(site) => Supervisor::start_in_arbiter(site, build),
        None => Supervisor::start(build),
    };
    watched.do_send(WatchBroker(actor.clone().recipient().downgrade()));
    Ok(RpcServer { actor })
}

impl RpcServer {
    /// Resolves once the server consumes its queues (calls sent earlier are retried
    /// until then, so waiting is only needed to measure or to test).
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] when the server was stopped first;
    /// [`Error::QueueMismatch`] when one of its queues exists with other properties
    /// (for example a classic queue while `quorum_queues` is on). The server keeps
    /// trying every `host_connection_reconnect_delay`, so it consumes once the queue
    /// is deleted; a later `ready()` waits for that.
    pub async fn ready(&self) -> Result<(), Error> {
        self.actor
            .send(WhenReady)
            .await
            .map_err(|_| Error::Shutdown)?
    }

    /// What the server has received, rejected and refused so far (zeros once the
    /// server is gone).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(server: warren::RpcServer) {
    /// let counts = server.counts().await;
    /// println!("{} of {} requests rejected", counts.rejected, counts.received);
    /// # }
    /// ```
    pub async fn counts(&self) -> ServerCounts {
        self.actor.send(ServerStats).await.unwrap_or_default()
    }

    /// The server actor, to send [`StopServer`] or [`WhenReady`] from other actors.
    pub fn actor(&self) -> Addr<RpcServerActor> {
        self.actor.clone()
    }

    /// Stop gracefully: stop consuming, finish the requests in progress and send their
    /// replies, then close the channel.
    pub async fn stop(&self) {
        let _ = self.actor.send(StopServer).await;
    }

    /// [`RpcServer::stop`] within `limit`: what a service does on SIGTERM (see
    /// [`crate::shutdown_signal`]) before closing its transport.
    ///
    /// # Errors
    ///
    /// [`Error::DrainTimedOut`] when requests are still being handled after `limit`.
    /// The server no longer consumes; closing the transport abandons them, and their
    /// callers get no reply (the requests were acknowledged on receipt).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport, server: warren::RpcServer) {
    /// use std::time::Duration;
    ///
    /// warren::shutdown_signal().await;
    /// if let Err(e) = server.stop_within(Duration::from_secs(30)).await {
    ///     eprintln!("{e}");
    /// }
    /// transport.close().await;
    /// # }
    /// ```
    pub async fn stop_within(&self, limit: Duration) -> Result<(), Error> {
        crate::bounded_stop::stop_within(
            limit,
            "RPC requests",
            || self.stop(),
            || async { self.counts().await.in_flight },
        )
        .await
    }
}
