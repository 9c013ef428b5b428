//! Starting RPC servers and notification listeners on a [`Transport`]: each gets the
//! transport's settings for its kind and the addresses of the actors it talks to.

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
        let tree = &transport.tree;
        rpc::launch_server(
            tree.server.clone(),
            tree.connection.clone(),
            tree.pool.clone(),
            target,
            endpoints,
        )
    }
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
        let tree = &transport.tree;
        crate::notify::launch_listener(
            tree.listener.clone(),
            tree.connection.clone(),
            targets,
            endpoints,
            options,
        )
    }
}
