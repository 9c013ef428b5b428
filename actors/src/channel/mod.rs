//! One supervised actor per AMQP channel, and what one publish on it can end in.

mod channel_actor;
mod channel_publisher;
mod confirmed_publish;
mod return_ledger;

pub use channel_actor::ChannelActor;
pub(crate) use channel_actor::{
    CancelConsumers, ChannelBroken, ChannelSettings, CloseChannel, Consuming, Publish,
    RestartChannel, Subscribe,
};
pub(crate) use confirmed_publish::{Outgoing, PublishFailure};
