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
//!
//! Modules are private; the flat list of re-exports below is the API.

mod serializer;
mod target;

pub use serializer::{Serializer, UnknownSerializer};
pub use target::Target;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
