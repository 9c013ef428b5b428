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
//! | `section` | [`Section`]: the three sections warren reads |
//! | `retry` | [`Retry`]: oslo's `-1` / `0` / `N` attempt counts |
//! | `connection_factory` | [`ConnectionFactory`]: `new`, `single`, `read_write` |
//! | `ssl_options` | [`SslOptions`]: TLS settings, values never printed |
//! | `ini` | [`IniDocument`]: oslo.config-style INI text |
//! | `option_table` | (private) the one list of option names, defaults and types |
//! | `option_value` | (private) oslo's Int/Float/Bool/Dict/List conversions |
//! | `serializer` | [`Serializer`]: JSON or msgpack bodies, by content type |
//! | `target` | [`Target`]: where an RPC or notification goes |
//!
//! Modules are private; the flat list of re-exports below is the API.

mod config;
mod config_builder;
mod config_error;
mod connection_factory;
mod ini;
mod notification_options;
mod option_table;
mod option_value;
mod password;
mod pika_options;
mod retry;
mod section;
mod serializer;
mod ssl_options;
mod target;
mod url;
mod url_error;

pub use config::Config;
pub use config_builder::ConfigBuilder;
pub use config_error::{ConfigError, OptionLocation, Origin, UnknownOption, ValueProblem};
pub use connection_factory::{ConnectionFactory, UnknownConnectionFactory};
pub use ini::{IniDocument, IniEntry, IniError, IniProblem};
pub use notification_options::NotificationOptions;
pub use password::Password;
pub use pika_options::PikaOptions;
pub use retry::{InvalidRetry, Retry};
pub use section::Section;
pub use serializer::{Serializer, UnknownSerializer};
pub use ssl_options::SslOptions;
pub use target::Target;
pub use url::{DEFAULT_HOST, DEFAULT_PORT, DEFAULT_VIRTUAL_HOST, TransportHost, TransportUrl};
pub use url_error::{UrlError, UrlPart};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
