//! # warren
//!
//! oslo.messaging Pika-driver compatible RPC and notifications over RabbitMQ, as a tree
//! of supervised actix actors on top of lapin. The pure model lives in `warren-core`
//! and is re-exported here, so users depend on this crate alone.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | `transport` | [`Transport`]: one configured connection and the actors on it |
//! | `connection` | [`HostConnection`]: one supervised actor per broker connection; TLS; [`ConnectFailure`] |
//! | `pool` | [`ChannelPool`]: lends publisher channels per the pool options |
//! | `publish` | confirmed publishing and the retry loop |
//! | `rpc` | [`RpcClient`], [`RpcServer`], [`Endpoint`], the reply waiter |
//! | `notify` | [`Notifier`], [`NotificationListener`], [`NotificationEndpoint`] |
//! | `amqp`, `delivery`, `outgoing`, `declare` | lapin glue: declarations, properties |
//! | `settings` | the options each actor needs, resolved from [`Config`] |
//! | `error` | [`Error`]: what callers are told |
//! | `runtime` | the tokio runtime lapin's I/O runs on |
//! | `shutdown` | [`shutdown_signal`]: SIGINT and SIGTERM, for graceful stops |
//! | `instruments` | metrics (OpenTelemetry messaging names) and [`enable_metrics`] |
//! | `telemetry` | the `send` and `process` spans (OpenTelemetry messaging conventions), target [`SPAN_TARGET`] |
//!
//! # Actor tree
//!
//! A [`Transport`] starts, in the caller's arbiter and each under an
//! `actix::Supervisor`: a [`HostConnection`], a [`ChannelPool`] on it, an
//! [`RpcClientActor`], and on the first call a [`ReplyWaiter`]. Each
//! [`RpcServer`] is an [`RpcServerActor`]. Any of them restarts after
//! `host_connection_reconnect_delay` when its connection or channel fails, and every
//! `Addr` to it stays valid.

mod amqp;
mod bounded_stop;
mod broker;
mod channel;
mod connection;
mod declare;
mod delivery;
mod error;
#[cfg(feature = "fault-injection")]
mod fault;
mod instruments;
mod lifecycle;
mod memory;
mod notify;
mod outgoing;
mod pool;
mod publish;
mod rpc;
mod runtime;
mod settings;
mod shutdown;
mod telemetry;
mod trace_context;
mod transport;

pub use channel::ChannelActor;
pub use connection::{
    ConnectFailure, ConnectionState, ConnectionStateChanged, HostConnection, SubscribeState,
};
pub use error::Error;
#[cfg(feature = "fault-injection")]
pub use fault::{Crash, CrashChannels, TreeActor};
pub use instruments::enable_metrics;
pub use notify::{
    BufferNotification, FlushNotifications, ListenerCounts, ListenerOptions, ListenerReady,
    ListenerStats, Notification, NotificationBatchReceived, NotificationBufferActor,
    NotificationBufferCounts, NotificationBufferStats, NotificationEndpoint, NotificationFilter,
    NotificationListener, NotificationListenerActor, NotificationReceived, NotificationResult,
    Notifier, NotifierActor, Notify, StopListener,
};
pub use pool::ChannelPool;
pub use rpc::{
    Call, Cast, Endpoint, MethodResult, ReplyCounts, ReplyStats, ReplyWaiter, RpcClient,
    RpcClientActor, RpcServer, RpcServerActor, ServerCounts, ServerStats, StopServer, WhenReady,
};
pub use settings::PUBLISH_WINDOW;
pub use shutdown::shutdown_signal;
pub use telemetry::SPAN_TARGET;
pub use transport::{Transport, TransportBuilder};
pub use warren_core::{
    AckMode, AuthMechanism, BufferOverflow, CertReqs, Config, ConfigBuilder, ConfigError,
    ConnectionFactory, Context, EntityError, EntitySerializer, InertOption, IniError, IniProblem,
    InvalidRetry, NameError, NoOpSerializer, NotificationDriver, NotificationOptions,
    OptionLocation, Origin, Password, PikaOptions, Priority, QueueType, RemoteError,
    RemoteErrorConstructor, RemoteErrorRegistry, Retry, Section, Serializer, SslOptions,
    SslOptionsProblem, Target, TlsOptions, TlsVersions, TransportHost, TransportUrl,
    UnknownAuthMechanism, UnknownBufferOverflow, UnknownConnectionFactory,
    UnknownNotificationDriver, UnknownOption, UnknownSerializer, UrlError, UrlPart, ValueProblem,
    Version, VersionCap, VersionCapError, VersionError, WireError, can_send_version, decode,
    encode, parse_timestamp, rpc_routing_key,
};
