//! The in-memory broker behind `fake://` and `memory://` transport URLs: the same
//! actors as on RabbitMQ run on it, within one process, without a network.

mod broker;
mod channel;
mod queue;

pub(crate) use broker::{MemoryBroker, Settlement};
pub(crate) use channel::{MemoryChannel, MemoryConnection};
