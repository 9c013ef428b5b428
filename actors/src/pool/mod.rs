//! The publisher channel pool: its arithmetic ([`book`]) and its actor.

mod book;
mod channel_pool;

pub(crate) use book::PoolLimits;
pub(crate) use channel_pool::{AcquireChannel, Lease, ReleaseChannel};
pub use channel_pool::ChannelPool;
