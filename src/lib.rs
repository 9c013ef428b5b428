//! # warren-core
//!
//! The pure model of warren: everything about oslo.messaging's Pika driver that can be
//! decided without a network — the transport URL, the typed configuration, RPC targets,
//! the names of exchanges, queues and routing keys, the declarations they need, and the
//! bytes of every message on the wire.
//!
//! This crate does no I/O and depends on no runtime (no actix, lapin or tokio); the
//! package `warren` (folder `actors/`) runs it on RabbitMQ.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | `url` | [`TransportUrl`], [`TransportHost`]: the `pika://` URL, parsed once |
//! | `url_error` | [`UrlError`]: why a URL was refused (never quoting the password) |
//! | `password` | [`Password`]: a secret printed as `***` |
//! | `config` | [`Config`]: every option, typed, effective and validated |
//! | `config_builder` | [`ConfigBuilder`]: file < code < URL query, `${}` references |
//! | `config_error` | [`ConfigError`]: which option, which section, which file and line |
//! | `pika_options` | [`PikaOptions`]: the `[oslo_messaging_pika]` section |
//! | `notification_options` | [`NotificationOptions`]: `[oslo_messaging_notifications]` |
//! | `inert_option` | [`InertOption`]: accepted values warren cannot act on, and why |
//! | `notification_driver` | [`NotificationDriver`]: `messaging`, `messagingv2`, `log`, `noop` |
//! | `section` | [`Section`]: the three sections warren reads |
//! | `retry` | [`Retry`]: oslo's `-1` / `0` / `N` attempt counts |
//! | `connection_factory` | [`ConnectionFactory`]: `new`, `single`, `read_write` |
//! | `buffer_overflow` | [`BufferOverflow`]: a full notification buffer drops the oldest or waits |
//! | `ssl_options` | [`SslOptions`]: TLS settings, values never printed |
//! | `tls_options` | [`TlsOptions`]: `ssl_options` typed (CA, client certificate, verification) |
//! | `auth_mechanism` | [`AuthMechanism`]: `PLAIN` or `EXTERNAL` logins |
//! | `ini` | [`IniDocument`]: oslo.config-style INI text |
//! | `option_table` | (private) the one list of option names, defaults and types |
//! | `option_value` | (private) oslo's Int/Float/Bool/Dict/List conversions |
//! | `serializer` | [`Serializer`]: JSON or msgpack bodies, by content type |
//! | `target` | [`Target`]: where an RPC or notification goes |
//! | `naming` | [`AckMode`] and the exchange, queue and routing-key names of the driver |
//! | `topology` | [`Topology`]: exchanges, queues and bindings to declare, as data |
//! | `queue_type` | [`QueueType`]: classic (the driver's) or quorum queues |
//! | `rpc_topology` | [`rpc_server_topology`], [`rpc_reply_topology`]: the RPC queues |
//! | `notification_topology` | [`notification_listener_topology`]: notification queues |
//! | `version` | [`Version`]: RPC API versions and their compatibility rule |
//! | `version_cap` | [`VersionCap`]: the highest version a client sends, [`can_send_version`] |
//! | `endpoint_selection` | [`select_endpoint`]: which endpoint runs an RPC request |
//! | `wire_error` | [`WireError`]: why a message cannot be encoded, decoded or accepted |
//! | `codec` | [`encode`] / [`decode`]: body bytes ↔ `serde_json::Value`, depth-bounded |
//! | `msgpack` | msgpack bodies read into and written from the value model (internal) |
//! | `msgpack_ext` | oslo.serialization's msgpack extension types (uuid, datetime, set, ...) |
//! | `python_json` | JSON laid out as Python's `json.dumps` writes it (internal) |
//! | `fields` | reading envelope fields with errors that name them (internal) |
//! | `properties` | [`MessageProperties`]: AMQP properties per message kind |
//! | `header_value` | [`HeaderValue`]: one value of the AMQP headers table |
//! | `incoming_checks` | [`incoming_serializer`], [`check_body_size`]: what a delivery must pass before decoding |
//! | `context` | [`Context`]: the request context as `_$_` keys |
//! | `rpc_request` | [`RpcRequest`]: `{"method", "args", "namespace", "version"}` |
//! | `rpc_reply` | [`RpcReply`]: `{"s": result}` or `{"e": failure}` |
//! | `remote_error` | [`RemoteError`]: an exception from the other end of a call |
//! | `remote_error_registry` | [`RemoteErrorRegistry`]: remote classes rebuilt as the caller's type |
//! | `entity_serializer` | [`EntitySerializer`]: oslo's `Serializer` hooks on arguments, results, contexts |
//! | `priority` | [`Priority`]: notification levels |
//! | `notification_envelope` | [`NotificationEnvelope`]: the body of a notification |
//! | `timestamp` | [`format_timestamp`] / [`parse_timestamp`]: Python's `str(datetime)` |
//!
//! Modules are private; the flat list of re-exports below is the API. The wire format
//! is described in `docs/wire-format.md`.

#[cfg(test)]
mod arbitrary;
mod auth_mechanism;
mod buffer_overflow;
mod codec;
mod config;
mod config_builder;
mod config_error;
mod connection_factory;
mod context;
mod endpoint_selection;
mod entity_serializer;
mod fields;
mod header_value;
mod incoming_checks;
mod inert_option;
mod ini;
mod msgpack;
mod msgpack_ext;
mod naming;
mod notification_driver;
mod notification_envelope;
mod notification_options;
mod notification_topology;
#[cfg(test)]
mod option_evidence;
mod option_table;
mod option_value;
mod password;
mod pika_options;
mod priority;
mod properties;
mod python_json;
mod queue_type;
mod remote_error;
mod remote_error_registry;
mod retry;
mod rpc_reply;
mod rpc_request;
mod rpc_topology;
mod section;
mod serializer;
mod ssl_options;
mod target;
mod timestamp;
mod tls_options;
mod topology;
mod url;
mod url_error;
mod version;
mod version_cap;
mod wire_error;

pub use auth_mechanism::{AuthMechanism, UnknownAuthMechanism};
pub use buffer_overflow::{BufferOverflow, UnknownBufferOverflow};
pub use codec::{DEFAULT_MAX_DEPTH, decode, decode_with_max_depth, encode};
pub use config::Config;
pub use config_builder::ConfigBuilder;
pub use config_error::{ConfigError, OptionLocation, Origin, UnknownOption, ValueProblem};
pub use connection_factory::{ConnectionFactory, UnknownConnectionFactory};
pub use context::{CONTEXT_PREFIX, Context};
pub use endpoint_selection::{AccessPolicy, DispatchError, EndpointInfo, select_endpoint};
pub use entity_serializer::{EntityError, EntitySerializer, NoOpSerializer};
pub use header_value::{HEADER_NESTING_LIMIT, HeaderValue};
pub use incoming_checks::{DEFAULT_MAX_MESSAGE_BODY_SIZE, check_body_size, incoming_serializer};
pub use inert_option::InertOption;
pub use ini::{IniDocument, IniEntry, IniError, IniProblem};
pub use naming::{
    ALL_WORKERS, AckMode, MAX_NAME_BYTES, NameError, check_name, new_reply_queue_name,
    notification_exchange, notification_queue_name, notification_routing_key, reply_queue_name,
    rpc_exchange, rpc_fanout_routing_key, rpc_queue_name, rpc_routing_key,
};
pub use notification_driver::{NotificationDriver, NotificationSinks, UnknownNotificationDriver};
pub use notification_envelope::NotificationEnvelope;
pub use notification_options::NotificationOptions;
pub use notification_topology::{
    notification_listener_topology, notification_sender_fallback_topology,
};
pub use password::Password;
pub use pika_options::PikaOptions;
pub use priority::Priority;
pub use properties::{
    DELIVERY_MODE_PERSISTENT, DELIVERY_MODE_TRANSIENT, DRIVER_VERSION, DRIVER_VERSION_HEADER,
    MessageProperties, expiration_from_remaining,
};
pub use queue_type::QueueType;
pub use remote_error::{BUILTINS_MODULE, DISPATCHER_MODULE, PY2_BUILTINS_MODULE, RemoteError};
pub use remote_error_registry::{RemoteErrorConstructor, RemoteErrorRegistry};
pub use retry::{InvalidRetry, Retry};
pub use rpc_reply::RpcReply;
pub use rpc_request::RpcRequest;
pub use rpc_topology::{
    WorkerIds, rpc_reply_topology, rpc_sender_fallback_topology, rpc_server_topology,
};
pub use section::Section;
pub use serializer::{Serializer, UnknownSerializer};
pub use ssl_options::SslOptions;
pub use target::Target;
pub use timestamp::{format_timestamp, parse_timestamp};
pub use tls_options::{CertReqs, SSL_OPTION_KEYS, SslOptionsProblem, TlsOptions, TlsVersions};
pub use topology::{
    ArgumentValue, Binding, Declaration, ExchangeDeclaration, ExchangeKind, QueueArguments,
    QueueDeclaration, Topology,
};
pub use url::{DEFAULT_HOST, DEFAULT_PORT, DEFAULT_VIRTUAL_HOST, TransportHost, TransportUrl};
pub use url_error::{UrlError, UrlPart};
pub use version::{Version, VersionError, version_is_compatible};
pub use version_cap::{VersionCap, VersionCapError, can_send_version};
pub use wire_error::WireError;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/testing.md")]
struct TestingDoctests;
