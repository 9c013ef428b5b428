//! [`ConnectionState`]: what a host connection is doing, as published to subscribers.

use actix::Message;

/// The state of one broker connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Opening a connection to `host` (`host:port`), attempt number `attempt` since
    /// the last success.
    Connecting {
        /// The host being tried.
        host: String,
        /// Attempts since the last successful connection, from 1.
        attempt: u32,
    },
    /// Connected to `host`.
    Connected {
        /// The host in use.
        host: String,
    },
    /// The broker blocked publishing on this connection (resource alarm).
    Blocked {
        /// The broker's reason.
        reason: String,
    },
    /// The last attempt or the connection failed; the next attempt follows after
    /// `host_connection_reconnect_delay`.
    BackingOff {
        /// What failed, without credentials.
        reason: String,
    },
    /// Closed on request; no further attempts.
    Closed,
}

impl ConnectionState {
    /// The `state` label of the `warren_connections` gauge; a closed connection counts
    /// in none.
    pub(crate) fn gauge_label(&self) -> Option<&'static str> {
        match self {
            ConnectionState::Connecting { .. } => Some("connecting"),
            ConnectionState::Connected { .. } => Some("connected"),
            ConnectionState::Blocked { .. } => Some("blocked"),
            ConnectionState::BackingOff { .. } => Some("backing_off"),
            ConnectionState::Closed => None,
        }
    }
}

/// Sent to every subscriber when a connection's state changes.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ConnectionStateChanged {
    /// The connection's name (as shown by `rabbitmqctl list_connections`).
    pub connection: String,
    /// The new state.
    pub state: ConnectionState,
}
