//! Declarations a sender makes on its own (the Pika driver's sender-side topology):
//! the RPC exchange when a publish found it missing.

use actix::Addr;

use crate::connection::{HostConnection, OpenChannel};

/// Declare the RPC exchange `name` (direct, non-durable, auto-delete) on a short-lived
/// channel. A failure is only logged: the retry that follows reports the outcome.
pub(crate) async fn declare_rpc_exchange(connection: &Addr<HostConnection>, name: &str) {
    let result = async {
        let channel = connection
            .send(OpenChannel)
            .await
            .map_err(|_| crate::Error::Shutdown)??;
        let declared = channel.declare_rpc_exchange(name).await;
        channel.close("declared").await;
        declared
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(exchange = %name, error = %e, "could not declare the RPC exchange");
    }
}
