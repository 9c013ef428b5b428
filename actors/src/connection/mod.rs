//! One supervised actor per RabbitMQ connection, and what it needs: host rotation,
//! the socket set-up, and the state it publishes.

mod connect;
mod endpoint;
mod host_connection;
mod rotation;
mod state;

pub(crate) use endpoint::{ConnectionSettings, HostEndpoint};
pub(crate) use host_connection::{CloseConnection, OpenChannel};
pub use host_connection::{HostConnection, SubscribeState};
pub use state::{ConnectionState, ConnectionStateChanged};
