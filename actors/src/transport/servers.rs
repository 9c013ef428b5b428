//! Starting RPC servers and notification listeners on a [`Transport`]: each gets the
//! transport's settings for its kind and the addresses of the actors it talks to.

use actix::ArbiterHandle;
use warren_core::Target;

use super::Transport;
use crate::{Endpoint, Error, ListenerOptions, NotificationEndpoint, NotificationListener};
use crate::{RpcServer, rpc};

impl RpcServer {
    /// Start serving `target` (topic and server required) with `endpoints`, checked
    /// in order, in the current actix arbiter (the endpoint methods run there).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTarget`] when the topic or the server is missing or a name is
    /// too long for AMQP; [`Error::InvalidEndpoint`] for an unusable endpoint.
    pub fn start(
        transport: &Transport,
        target: Target,
        endpoints: Vec<Endpoint>,
    ) -> Result<Self, Error> {
        serve(transport, None, target, endpoints)
    }

    /// Start serving `target` with `endpoints` as [`RpcServer::start`] does, with the
    /// server actor — and so its endpoint methods — in the arbiter `site`.
    ///
    /// Pass [`Transport::arbiter`] for a service whose methods never block: requests
    /// and replies then stay on the transport's thread, which saves two thread
    /// hand-offs per request (`warren serve` does so). A method that blocks there
    /// stalls every call and notification of the transport, so give blocking work an
    /// arbiter of its own.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
    /// use warren::{Endpoint, RemoteError, RpcServer, Target};
    ///
    /// let endpoint = Endpoint::new()
    ///     .method("ping", |_ctx, _: serde_json::Value| async { Ok::<_, RemoteError>("pong") });
    /// let server = RpcServer::start_in(
    ///     &transport,
    ///     &transport.arbiter(),
    ///     Target::new("demo").with_server("host1"),
    ///     vec![endpoint],
    /// )?;
    /// server.ready().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`RpcServer::start`].
    pub fn start_in(
        transport: &Transport,
        site: &ArbiterHandle,
        target: Target,
        endpoints: Vec<Endpoint>,
    ) -> Result<Self, Error> {
        serve(transport, Some(site), target, endpoints)
    }
}

/// An RPC server on `transport`'s settings and actors, in `site` or the current arbiter.
fn serve(
    transport: &Transport,
    site: Option<&ArbiterHandle>,
    target: Target,
    endpoints: Vec<Endpoint>,
) -> Result<RpcServer, Error> {
    let tree = &transport.tree;
    rpc::launch_server(
        tree.server.clone(),
        tree.connection.clone(),
        tree.pool.clone(),
        target,
        endpoints,
        site,
    )
}

impl NotificationListener {
    /// Start listening on `targets` (their topics and exchanges) for the priorities
    /// the `endpoints` handle, in the current actix arbiter (the handlers run there).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTarget`] without a topic, or with names too long for AMQP;
    /// [`Error::InvalidEndpoint`] when no endpoint handles any priority, or for a
    /// batch size of zero.
    pub fn start(
        transport: &Transport,
        targets: &[Target],
        endpoints: Vec<NotificationEndpoint>,
        options: ListenerOptions,
    ) -> Result<Self, Error> {
        listen(transport, None, targets, endpoints, options)
    }

    /// Start listening as [`NotificationListener::start`] does, in the arbiter `site`
    /// (the handlers run there): for services that manage their own threads, or to keep
    /// slow handlers off the caller's arbiter.
    ///
    /// # Errors
    ///
    /// As [`NotificationListener::start`].
    pub fn start_in(
        transport: &Transport,
        site: &ArbiterHandle,
        targets: &[Target],
        endpoints: Vec<NotificationEndpoint>,
        options: ListenerOptions,
    ) -> Result<Self, Error> {
        listen(transport, Some(site), targets, endpoints, options)
    }
}

/// A notification listener on `transport`'s settings and notification connection, in
/// `site` or the current arbiter.
fn listen(
    transport: &Transport,
    site: Option<&ArbiterHandle>,
    targets: &[Target],
    endpoints: Vec<NotificationEndpoint>,
    options: ListenerOptions,
) -> Result<NotificationListener, Error> {
    let tree = &transport.tree;
    crate::notify::launch_listener(
        tree.listener.clone(),
        tree.notification_connection().clone(),
        targets,
        endpoints,
        options,
        site,
    )
}
