//! The seam between the actors and the broker they talk to: RabbitMQ through lapin,
//! or the in-memory broker of `fake://` URLs. Above it (channel actors, reply waiter,
//! servers, listeners, notifier) the code is the same for both.

mod broker_channel;
mod consumer;
mod delivery;

pub(crate) use broker_channel::{BrokerChannel, BrokerConnection};
pub(crate) use consumer::Consumer;
pub(crate) use delivery::{Acker, Delivery};
