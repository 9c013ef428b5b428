//! One supervised actor per RabbitMQ connection, and what it needs: host rotation,
//! the socket set-up, and the state it publishes.

mod broker_address;
mod connect;
mod connect_failure;
mod failure_log;
mod host_connection;
mod host_endpoint;
mod rotation;
mod state;
mod tls;

pub(crate) use broker_address::{BrokerAt, BrokerMoved, WatchBroker};
pub use connect_failure::ConnectFailure;
pub(crate) use host_connection::{
    CloseConnection, OpenChannel, SubscribeWeak, Unavailable, WhyUnavailable,
};
pub use host_connection::{HostConnection, SubscribeState};
pub(crate) use host_endpoint::{ConnectionSettings, HostEndpoint};
pub use state::{ConnectionState, ConnectionStateChanged};
pub(crate) use tls::TlsClient;

/// What to tell a caller that gave up waiting for something only a live connection
/// gives: [`crate::Error::ConnectionUnavailable`] with the reason when the connection
/// is down, [`crate::Error::ConnectFailed`] when every host refuses it,
/// [`crate::Error::Blocked`] when the broker blocks it, otherwise `waited` (the wait
/// itself was too long).
pub(crate) async fn unavailable_or(
    connection: &actix::Addr<HostConnection>,
    waited: crate::Error,
) -> crate::Error {
    match connection.send(WhyUnavailable).await {
        Ok(Some(Unavailable::Down(reason))) => crate::Error::ConnectionUnavailable {
            reason: format!("{waited}, because {reason}"),
        },
        Ok(Some(Unavailable::Refused(refused))) => refused,
        Ok(Some(Unavailable::Blocked(reason))) => match waited {
            crate::Error::Timeout { waiting_for, after } => crate::Error::Blocked {
                reason,
                waiting_for,
                after,
            },
            other => other,
        },
        _ => waited,
    }
}
