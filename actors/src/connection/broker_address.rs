//! Which broker a connection is on, told to the actors whose spans name it
//! (`server.address`, `server.port`): the connection actor owns it, each watcher keeps
//! its own copy.

use std::sync::Arc;

use actix::{Message, WeakRecipient};
use tracing::Span;

/// A broker's host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokerAt {
    pub(crate) host: Arc<str>,
    pub(crate) port: u16,
}

impl BrokerAt {
    /// Record it on `span` as `server.address` and `server.port` (the span is enabled).
    pub(crate) fn record(broker: Option<&BrokerAt>, span: &Span) {
        if let Some(at) = broker {
            span.record("server.address", &*at.host);
            span.record("server.port", at.port);
        }
    }
}

/// The connection is now on this broker (`None`: closed for good). While it
/// reconnects, the broker it was last on stands.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub(crate) struct BrokerMoved(pub(crate) Option<BrokerAt>);

/// Tell this actor where the connection is, now and after each change. Weakly: the
/// watch must not keep the actor alive.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct WatchBroker(pub(crate) WeakRecipient<BrokerMoved>);
