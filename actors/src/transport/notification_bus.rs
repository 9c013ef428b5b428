//! [`NotificationBus`]: the notification transport's own connection and publisher
//! pool, started when `[oslo_messaging_notifications] transport_url` is set.

use actix::prelude::*;
use warren_core::Config;

use crate::Error;
use crate::connection::HostConnection;
use crate::pool::ChannelPool;
use crate::runtime::lapin_runtime;
use crate::settings::{connection_settings, endpoints, pool_settings};

/// A connection of its own for notifications and their listeners, and its pool.
pub(super) struct NotificationBus {
    pub(super) connection: Addr<HostConnection>,
    pub(super) pool: Addr<ChannelPool>,
}

impl NotificationBus {
    /// Start both, supervised, in `site`, for `config` (the notification
    /// configuration, [`Config::for_notifications`]); `name` is the connection's name
    /// towards the broker.
    pub(super) fn start(
        config: &Config,
        name: String,
        site: &ArbiterHandle,
    ) -> Result<Self, Error> {
        let hosts = endpoints(config)?;
        let settings = connection_settings(config, name)?;
        let runtime = lapin_runtime()?;
        let connection = Supervisor::start_in_arbiter(site, move |_| {
            HostConnection::new(hosts, settings, runtime)
        });
        let pool = {
            let (connection, settings) = (connection.clone(), pool_settings(config));
            Supervisor::start_in_arbiter(site, move |_| ChannelPool::new(connection, settings))
        };
        Ok(Self { connection, pool })
    }
}
