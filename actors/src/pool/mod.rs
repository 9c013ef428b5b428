//! The pool manager over publisher channel actors, and its arithmetic.

mod book;
mod channel_pool;

pub(crate) use book::PoolLimits;
pub use channel_pool::ChannelPool;
pub(crate) use channel_pool::PoolSettings;
