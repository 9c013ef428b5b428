//! The publisher channel pool: its arithmetic ([`book`]) and its actor.

mod book;
mod channel_pool;

pub(crate) use book::PoolLimits;
pub use channel_pool::ChannelPool;
pub(crate) use channel_pool::{AcquireChannel, ReleaseChannel};
