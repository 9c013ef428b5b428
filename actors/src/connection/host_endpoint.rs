//! [`HostEndpoint`] and [`ConnectionSettings`]: what one AMQP connection attempt needs.

use std::fmt;
use std::time::Duration;

use warren_core::AuthMechanism;

use super::tls::TlsClient;

/// One broker host of the transport URL, with the credentials and vhost to use there.
#[derive(Clone)]
pub(crate) struct HostEndpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) vhost: String,
    /// The in-memory broker of this process (a `fake://` URL), not a RabbitMQ host.
    pub(crate) in_memory: bool,
}

impl fmt::Debug for HostEndpoint {
    // The password never reaches logs or error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostEndpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"***")
            .field("vhost", &self.vhost)
            .finish()
    }
}

impl fmt::Display for HostEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.in_memory {
            write!(f, "in-memory broker (virtual host {:?})", self.vhost)
        } else if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The connection options of `[oslo_messaging_pika]` that shape one AMQP connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSettings {
    /// Heartbeat to ask for; zero leaves the broker's value in force (lapin cannot
    /// disable heartbeats).
    pub(crate) heartbeat: Duration,
    pub(crate) frame_max: Option<u32>,
    pub(crate) channel_max: Option<u16>,
    /// Bound on opening the TCP socket (`socket_timeout`).
    pub(crate) socket_timeout: Duration,
    /// `TCP_USER_TIMEOUT` on the socket, when set.
    pub(crate) tcp_user_timeout: Option<Duration>,
    /// Pause before a restarted connection actor tries again.
    pub(crate) reconnect_delay: Duration,
    /// Shown by `rabbitmqctl list_connections name` / the management UI.
    pub(crate) connection_name: String,
    /// TLS set-up when `ssl` is on.
    pub(crate) tls: Option<TlsClient>,
    /// `auth_mechanism`: PLAIN or EXTERNAL.
    pub(crate) auth_mechanism: AuthMechanism,
}

impl ConnectionSettings {
    /// The whole connection attempt (TCP, AMQP handshake, authentication) is bounded
    /// by this, so an unresponsive or wrong peer never hangs a reconnect.
    pub(crate) fn attempt_timeout(&self) -> Duration {
        self.socket_timeout + Duration::from_secs(1)
    }
}
