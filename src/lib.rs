//! # warren-core
//!
//! The pure model of warren: everything about oslo.messaging's Pika driver that can be
//! decided without a network — the transport URL, the typed configuration, RPC targets,
//! the names of exchanges, queues and routing keys, the declarations they need, and the
//! bytes of every message on the wire.
//!
//! This crate does no I/O and depends on no runtime (no actix, lapin or tokio); the
//! package `warren` (folder `actors/`) runs it on RabbitMQ.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | `serializer` | [`Serializer`]: JSON or msgpack bodies, by content type |
//! | `target` | [`Target`]: where an RPC or notification goes |
//! | `naming` | [`AckMode`] and the exchange, queue and routing-key names of the driver |
//! | `topology` | [`Topology`]: exchanges, queues and bindings to declare, as data |
//! | `rpc_topology` | [`rpc_server_topology`], [`rpc_reply_topology`]: the RPC queues |
//! | `notification_topology` | [`notification_listener_topology`]: notification queues |
//! | `version` | [`Version`]: RPC API versions and their compatibility rule |
//! | `dispatch` | [`select_endpoint`]: which endpoint runs an RPC request |
//!
//! Modules are private; the flat list of re-exports below is the API.

mod dispatch;
mod naming;
mod notification_topology;
mod rpc_topology;
mod serializer;
mod target;
mod topology;
mod version;

pub use serializer::{Serializer, UnknownSerializer};
pub use target::Target;

pub use dispatch::{AccessPolicy, DispatchError, EndpointInfo, select_endpoint};
pub use naming::{
    ALL_WORKERS, AckMode, MAX_NAME_BYTES, NameError, check_name, new_reply_queue_name,
    notification_exchange, notification_queue_name, notification_routing_key, reply_queue_name,
    rpc_exchange, rpc_fanout_routing_key, rpc_queue_name, rpc_routing_key,
};
pub use notification_topology::{
    notification_listener_topology, notification_sender_fallback_topology,
};
pub use rpc_topology::{
    WorkerIds, rpc_reply_topology, rpc_sender_fallback_topology, rpc_server_topology,
};
pub use topology::{
    ArgumentValue, Binding, Declaration, ExchangeDeclaration, ExchangeKind, QueueArguments,
    QueueDeclaration, Topology,
};
pub use version::{Version, VersionError, version_is_compatible};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
