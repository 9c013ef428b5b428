//! # warren
//!
//! oslo.messaging Pika-driver compatible RPC and notifications over RabbitMQ, as a tree
//! of supervised actix actors on top of lapin. The pure model lives in `warren-core`
//! and is re-exported here, so users depend on this crate alone.

pub use warren_core::*;
