//! oslo-style RPC: the client actor and its handle, the reply waiter, the server actor
//! and its endpoints.

mod client;
mod client_handle;
mod dispatcher;
mod endpoint;
mod reply_waiter;
mod server;
mod server_handle;

pub use client::{Call, Cast, RpcClientActor};
pub use client_handle::RpcClient;
pub use endpoint::{Endpoint, MethodResult};
pub(crate) use reply_waiter::CloseReplyWaiter;
pub use reply_waiter::{ReplyCounts, ReplyStats, ReplyWaiter};
pub use server::{RpcServerActor, ServerCounts, ServerStats, StopServer, WhenReady};
pub use server_handle::RpcServer;
pub(crate) use server_handle::launch_server;
