//! Opening one AMQP connection to one host: our own TCP socket (connect timeout,
//! `TCP_USER_TIMEOUT`, no Nagle), TLS when `ssl` is on, then lapin's handshake on the
//! dedicated runtime. A failure comes back as a [`ConnectFailure`] that says why.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_compat::CompatExt;
use async_rs::{Runtime, Tokio};
use lapin::tcp::AsyncTcpStream;
use lapin::uri::{
    AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo, SASLMechanism,
};
use lapin::{Connection, ConnectionProperties};
use socket2::{Domain, Protocol, Socket, Type};
use warren_core::AuthMechanism;

use super::connect_failure::{Attempt, ConnectFailure, dropped_unanswered, is_tls_alert};
use super::host_endpoint::{ConnectionSettings, HostEndpoint};
use super::tls::TlsClient;

// `heartbeat_interval = 0` turns heartbeats off only with warren's patched lapin
// (vendor/lapin/PATCHED.md): naming its marker makes a build without the patch fail
// instead of silently taking the broker's heartbeat.
const _: () = assert!(lapin::EXPLICIT_ZERO_HEARTBEAT_DISABLES);

/// The lapin URI for `endpoint` with the tuning options of `settings`.
fn amqp_uri(endpoint: &HostEndpoint, settings: &ConnectionSettings) -> AMQPUri {
    let heartbeat = settings.heartbeat.as_secs().min(u64::from(u16::MAX)) as u16;
    AMQPUri {
        // The socket, TLS included, is ours (see `connect`); lapin only reads the rest.
        scheme: AMQPScheme::AMQP,
        authority: AMQPAuthority {
            userinfo: AMQPUserInfo {
                username: endpoint.username.clone(),
                password: endpoint.password.clone(),
            },
            host: endpoint.host.clone(),
            port: endpoint.port,
        },
        vhost: endpoint.vhost.clone(),
        query: AMQPQueryString {
            frame_max: settings.frame_max,
            channel_max: settings.channel_max,
            // Always given: an explicit 0 disables heartbeats (vendor/lapin/PATCHED.md);
            // an absent one would take the broker's.
            heartbeat: Some(heartbeat),
            auth_mechanism: Some(match settings.auth_mechanism {
                AuthMechanism::Plain => SASLMechanism::Plain,
                AuthMechanism::External => SASLMechanism::External,
            }),
            ..AMQPQueryString::default()
        },
    }
}

/// A connected TCP socket to `host:port` with our socket options.
async fn open_socket(
    host: String,
    port: u16,
    socket_timeout: Duration,
    tcp_user_timeout: Option<Duration>,
) -> io::Result<tokio::net::TcpStream> {
    let connect = async {
        let mut last_error = None;
        for addr in tokio::net::lookup_host((host.as_str(), port)).await? {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            socket.set_tcp_nodelay(true)?;
            if let Some(t) = tcp_user_timeout {
                // Unsupported kernels only lose the faster failure detection.
                if let Err(e) = socket.set_tcp_user_timeout(Some(t)) {
                    tracing::warn!(error = %e, "TCP_USER_TIMEOUT not supported; continuing without it");
                }
            }
            socket.set_nonblocking(true)?;
            match tokio::net::TcpSocket::from_std_stream(socket.into())
                .connect(addr)
                .await
            {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "the host name resolved to no address",
            )
        }))
    };
    tokio::time::timeout(socket_timeout, connect)
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("TCP connect did not finish within socket_timeout ({socket_timeout:?})"),
            )
        })?
}

/// Open an AMQP connection to `endpoint`, driven by `runtime` (never the actor's),
/// within [`ConnectionSettings::attempt_timeout`].
pub(crate) async fn connect(
    endpoint: &HostEndpoint,
    settings: &ConnectionSettings,
    runtime: Runtime<Tokio>,
) -> Result<Connection, ConnectFailure> {
    let bound = settings.attempt_timeout();
    let deadline = tokio::time::Instant::now() + bound;
    let tcp_connected = Arc::new(AtomicBool::new(false));
    let handshake = handshake(endpoint, settings, runtime, tcp_connected.clone());
    let failed = match tokio::time::timeout_at(deadline, handshake).await {
        Ok(Ok(connection)) => return Ok(connection),
        Ok(Err(e)) => e,
        Err(_) => return Err(ConnectFailure::TimedOut { after: bound }),
    };
    if settings.tls.is_none() && tcp_connected.load(Ordering::SeqCst) && dropped_unanswered(&failed)
    {
        // A TLS listener drops a plain AMQP header unanswered, and so does a load
        // balancer whose brokers are down; only the first answers a TLS handshake.
        let probe = speaks_tls(endpoint, settings.socket_timeout, settings.tcp_user_timeout);
        if let Ok(true) = tokio::time::timeout_at(deadline, probe).await {
            return Err(ConnectFailure::NotAmqp {
                detail: "the connection was dropped at the AMQP header, and the port \
                         answers a TLS handshake"
                    .to_owned(),
            });
        }
    }
    let username = match settings.auth_mechanism {
        AuthMechanism::Plain => endpoint.username.as_str(),
        AuthMechanism::External => "(the client certificate's)",
    };
    let attempt = Attempt {
        tls: settings.tls.is_some(),
        username,
        mechanism: settings.auth_mechanism,
        vhost: &endpoint.vhost,
        server_name: settings
            .tls
            .as_ref()
            .map_or(endpoint.host.as_str(), |t| t.server_name(&endpoint.host)),
    };
    Err(ConnectFailure::from_lapin(&failed, &attempt))
}

/// Whether `endpoint`'s port answers a TLS handshake (any certificate accepted, and an
/// alert counts as an answer: only a TLS server sends one).
async fn speaks_tls(
    endpoint: &HostEndpoint,
    socket_timeout: Duration,
    tcp_user_timeout: Option<Duration>,
) -> bool {
    let Ok(stream) = open_socket(
        endpoint.host.clone(),
        endpoint.port,
        socket_timeout,
        tcp_user_timeout,
    )
    .await
    else {
        return false;
    };
    let prober = TlsClient::prober();
    match prober
        .upgrade(AsyncTcpStream::Plain(stream.compat()), &endpoint.host)
        .await
    {
        Ok(_) => true,
        Err(e) => is_tls_alert(&e),
    }
}

/// TCP, TLS when asked for, and the AMQP handshake; `tcp_connected` is set once the
/// socket is up, so a connection dropped after it can be probed for TLS.
async fn handshake(
    endpoint: &HostEndpoint,
    settings: &ConnectionSettings,
    runtime: Runtime<Tokio>,
    tcp_connected: Arc<AtomicBool>,
) -> lapin::Result<Connection> {
    let uri = amqp_uri(endpoint, settings);
    let socket_timeout = settings.socket_timeout;
    let tcp_user_timeout = settings.tcp_user_timeout;
    let tls = settings.tls.clone();
    let properties = ConnectionProperties::default()
        .with_connection_name(settings.connection_name.clone().into())
        .with_client_property("product".into(), "warren".into())
        .with_client_property("version".into(), env!("CARGO_PKG_VERSION").into());
    Connection::connector(
        uri,
        runtime,
        async move |uri: AMQPUri, _rt: Runtime<Tokio>| {
            let host = uri.authority.host.clone();
            let stream = open_socket(
                host.clone(),
                uri.authority.port,
                socket_timeout,
                tcp_user_timeout,
            )
            .await?;
            tcp_connected.store(true, Ordering::SeqCst);
            let stream = AsyncTcpStream::Plain(stream.compat());
            match &tls {
                Some(tls) => Ok(tls.upgrade(stream, &host).await?),
                None => Ok(stream),
            }
        },
        properties,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(heartbeat: u64) -> ConnectionSettings {
        ConnectionSettings {
            heartbeat: Duration::from_secs(heartbeat),
            frame_max: Some(131_072),
            channel_max: None,
            socket_timeout: Duration::from_millis(250),
            tcp_user_timeout: Some(Duration::from_millis(250)),
            reconnect_delay: Duration::from_millis(250),
            connection_name: "test".into(),
            tls: None,
            auth_mechanism: AuthMechanism::Plain,
        }
    }

    fn endpoint() -> HostEndpoint {
        HostEndpoint {
            host: "::1".into(),
            port: 5673,
            username: "u".into(),
            password: "secret".into(),
            vhost: "/".into(),
            in_memory: false,
        }
    }

    #[test]
    fn uri_carries_host_credentials_vhost_and_tuning() {
        let uri = amqp_uri(&endpoint(), &settings(1));
        assert_eq!(uri.authority.host, "::1");
        assert_eq!(uri.authority.port, 5673);
        assert_eq!(uri.authority.userinfo.username, "u");
        assert_eq!(uri.vhost, "/");
        assert_eq!(uri.query.heartbeat, Some(1));
        assert_eq!(uri.query.frame_max, Some(131_072));
        assert_eq!(uri.query.auth_mechanism, Some(SASLMechanism::Plain));
    }

    #[test]
    fn zero_heartbeat_is_asked_for_explicitly_to_turn_heartbeats_off() {
        // Absent would take the broker's (vendor/lapin/PATCHED.md).
        assert_eq!(amqp_uri(&endpoint(), &settings(0)).query.heartbeat, Some(0));
    }

    /// A local port that completes TCP handshakes (the kernel's backlog) and never
    /// says a word: what a hung broker or a wrong service looks like.
    async fn silent_port() -> (tokio::net::TcpListener, u16) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let port = listener.local_addr().expect("its address").port();
        (listener, port)
    }

    /// The connection settings of a configuration with `option` = `value` in
    /// `[oslo_messaging_pika]`.
    fn configured(option: &str, value: &str) -> ConnectionSettings {
        let config = warren_core::Config::builder()
            .set(warren_core::Section::Pika, option, value)
            .build()
            .expect("a valid option");
        crate::settings::connection_settings(&config, "test".to_owned()).expect("settings")
    }

    #[tokio::test]
    async fn tcp_user_timeout_is_set_on_the_socket_when_configured() {
        let (_listener, port) = silent_port().await;
        let host = || "127.0.0.1".to_owned();
        let timeout = Duration::from_secs(5);
        let seven = configured("tcp_user_timeout", "7").tcp_user_timeout;
        let set = open_socket(host(), port, timeout, seven)
            .await
            .expect("connect");
        let default = configured("tcp_user_timeout", "0").tcp_user_timeout;
        let unset = open_socket(host(), port, timeout, default)
            .await
            .expect("connect");
        let user_timeout = |s: &tokio::net::TcpStream| {
            socket2::SockRef::from(s)
                .tcp_user_timeout()
                .expect("read TCP_USER_TIMEOUT")
        };
        assert_eq!(user_timeout(&set), Some(Duration::from_secs(7)));
        assert_eq!(user_timeout(&unset), None, "the kernel's default is kept");
    }

    #[tokio::test]
    async fn a_peer_that_never_answers_ends_the_attempt_at_socket_timeout_plus_a_second() {
        let (_listener, port) = silent_port().await;
        let endpoint = HostEndpoint {
            host: "127.0.0.1".into(),
            port,
            ..endpoint()
        };
        let settings = configured("socket_timeout", "0.3");
        let runtime = crate::runtime::lapin_runtime().expect("the I/O runtime");
        let failure = connect(&endpoint, &settings, runtime)
            .await
            .expect_err("nothing answers the AMQP header");
        assert!(
            matches!(failure, ConnectFailure::TimedOut { after } if after == Duration::from_millis(1300)),
            "{failure:?}"
        );
    }

    #[test]
    fn endpoint_debug_and_display_hide_the_password() {
        let e = endpoint();
        assert!(!format!("{e:?}").contains("secret"));
        assert_eq!(e.to_string(), "[::1]:5673");
    }
}
