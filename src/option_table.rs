//! The table of every option warren reads: section, name, default as oslo text, and how
//! its text becomes a typed field of [`Config`].
//!
//! The table is the one list of option names: the builder, the URL-query check and the
//! error messages all read it. A unit test checks that applying every default text gives
//! `Config::default()`.

use crate::auth_mechanism::AuthMechanism;
use crate::buffer_overflow::BufferOverflow;
use crate::config::Config;
use crate::config_error::ValueProblem;
use crate::connection_factory::ConnectionFactory;
use crate::notification_driver::NotificationDriver;
use crate::option_value::{
    boolean, bounded, choice, dict, list, optional, retry, seconds, size, url, whole_seconds,
};
use crate::section::Section;

/// One option.
pub(crate) struct OptionSpec {
    pub(crate) section: Section,
    pub(crate) name: &'static str,
    /// The default as it would be written in a file; `${}` references are resolved.
    pub(crate) default: &'static str,
    /// Whether the value may hold a secret and must never be quoted in errors.
    pub(crate) secret: bool,
    pub(crate) apply: fn(&mut Config, &str) -> Result<(), ValueProblem>,
}

macro_rules! opt {
    ($section:ident $name:literal = $default:literal $(, $secret:ident)?; |$c:ident, $v:ident| $assign:expr) => {
        OptionSpec {
            section: Section::$section,
            name: $name,
            default: $default,
            secret: opt!(@secret $($secret)?),
            apply: |$c: &mut Config, $v: &str| -> Result<(), ValueProblem> {
                $assign;
                Ok(())
            },
        }
    };
    (@secret secret) => { true };
    (@secret) => { false };
}

const SERIALIZERS: &[&str] = &["json", "msgpack"];
const FACTORIES: &[&str] = &ConnectionFactory::NAMES;
const OVERFLOWS: &[&str] = &BufferOverflow::NAMES;
const AUTH_MECHANISMS: &[&str] = &AuthMechanism::NAMES;

/// A list of notification drivers, each one warren has.
fn drivers(v: &str) -> Result<Vec<NotificationDriver>, ValueProblem> {
    list(v)
        .iter()
        .map(|name| choice(name, &NotificationDriver::NAMES))
        .collect()
}

/// Zero and "None" both mean "not set" for these optional durations.
fn optional_seconds(
    v: &str,
    parse: fn(&str) -> Result<std::time::Duration, ValueProblem>,
) -> Result<Option<std::time::Duration>, ValueProblem> {
    Ok(optional(v, parse)?.filter(|d| !d.is_zero()))
}

/// A size in bytes where zero and "None" both mean "no limit".
fn byte_limit(v: &str) -> Result<Option<std::num::NonZeroUsize>, ValueProblem> {
    Ok(optional(v, |t| bounded::<usize>(t, usize::MAX as u64))?
        .and_then(std::num::NonZeroUsize::new))
}

pub(crate) static OPTIONS: &[OptionSpec] = &[
    // [DEFAULT]
    opt!(Default "transport_url" = "", secret; |c, v| c.transport_url = url(v)?),
    opt!(Default "control_exchange" = "openstack"; |c, v| c.control_exchange = v.to_owned()),
    opt!(Default "rpc_response_timeout" = "60"; |c, v| c.rpc_response_timeout = whole_seconds(v)?),
    opt!(Default "executor_thread_pool_size" = "64"; |c, v| c.executor_thread_pool_size = size(v)?),
    // [oslo_messaging_pika]: connection
    opt!(Pika "channel_max" = "None"; |c, v| c.pika.channel_max = optional(v, |t| bounded(t, u16::MAX.into()))?),
    opt!(Pika "frame_max" = "None"; |c, v| c.pika.frame_max = optional(v, |t| bounded(t, u32::MAX.into()))?),
    opt!(Pika "heartbeat_interval" = "1"; |c, v| c.pika.heartbeat_interval = whole_seconds(v)?),
    opt!(Pika "ssl" = "false"; |c, v| c.pika.ssl = boolean(v)?),
    opt!(Pika "ssl_options" = "", secret; |c, v| c.pika.ssl_options = dict(v)?),
    opt!(Pika "auth_mechanism" = "PLAIN"; |c, v| c.pika.auth_mechanism = choice(v, AUTH_MECHANISMS)?),
    opt!(Pika "socket_timeout" = "0.25"; |c, v| c.pika.socket_timeout = seconds(v)?),
    opt!(Pika "tcp_user_timeout" = "0.25"; |c, v| c.pika.tcp_user_timeout = optional_seconds(v, seconds)?),
    opt!(Pika "host_connection_reconnect_delay" = "0.25"; |c, v| c.pika.host_connection_reconnect_delay = seconds(v)?),
    opt!(Pika "connection_factory" = "single"; |c, v| c.pika.connection_factory = choice(v, FACTORIES)?),
    // [oslo_messaging_pika]: pools
    opt!(Pika "pool_max_size" = "10"; |c, v| c.pika.pool_max_size = size(v)?),
    opt!(Pika "pool_max_overflow" = "0"; |c, v| c.pika.pool_max_overflow = bounded(v, usize::MAX as u64)?),
    opt!(Pika "pool_timeout" = "30"; |c, v| c.pika.pool_timeout = whole_seconds(v)?),
    opt!(Pika "pool_recycle" = "600"; |c, v| c.pika.pool_recycle = optional_seconds(v, whole_seconds)?),
    opt!(Pika "pool_stale" = "60"; |c, v| c.pika.pool_stale = optional_seconds(v, whole_seconds)?),
    // [oslo_messaging_pika]: messages
    opt!(Pika "default_serializer_type" = "json"; |c, v| c.pika.default_serializer_type = choice(v, SERIALIZERS)?),
    opt!(Pika "max_message_body_size" = "16777216"; |c, v| c.pika.max_message_body_size = byte_limit(v)?),
    // [oslo_messaging_pika]: notifications
    opt!(Pika "notification_persistence" = "false"; |c, v| c.pika.notification_persistence = boolean(v)?),
    opt!(Pika "default_notification_exchange" = "${control_exchange}_notification"; |c, v| c.pika.default_notification_exchange = v.to_owned()),
    opt!(Pika "notification_listener_prefetch_count" = "100"; |c, v| c.pika.notification_listener_prefetch_count = bounded(v, u16::MAX.into())?),
    opt!(Pika "default_notification_retry_attempts" = "-1"; |c, v| c.pika.default_notification_retry_attempts = retry(v)?),
    opt!(Pika "notification_retry_delay" = "0.25"; |c, v| c.pika.notification_retry_delay = seconds(v)?),
    opt!(Pika "notification_buffer_size" = "10000"; |c, v| c.pika.notification_buffer_size = size(v)?),
    opt!(Pika "notification_buffer_overflow" = "drop_oldest"; |c, v| c.pika.notification_buffer_overflow = choice(v, OVERFLOWS)?),
    // [oslo_messaging_pika]: queues
    opt!(Pika "quorum_queues" = "false"; |c, v| c.pika.quorum_queues = boolean(v)?),
    opt!(Pika "durable_queues" = "false"; |c, v| c.pika.durable_queues = boolean(v)?),
    // [oslo_messaging_pika]: RPC
    opt!(Pika "rpc_queue_expiration" = "60"; |c, v| c.pika.rpc_queue_expiration = whole_seconds(v)?),
    opt!(Pika "default_rpc_exchange" = "${control_exchange}_rpc"; |c, v| c.pika.default_rpc_exchange = v.to_owned()),
    opt!(Pika "rpc_reply_exchange" = "${control_exchange}_rpc_reply"; |c, v| c.pika.rpc_reply_exchange = v.to_owned()),
    opt!(Pika "rpc_listener_prefetch_count" = "100"; |c, v| c.pika.rpc_listener_prefetch_count = bounded(v, u16::MAX.into())?),
    opt!(Pika "rpc_reply_listener_prefetch_count" = "100"; |c, v| c.pika.rpc_reply_listener_prefetch_count = bounded(v, u16::MAX.into())?),
    opt!(Pika "rpc_reply_retry_attempts" = "-1"; |c, v| c.pika.rpc_reply_retry_attempts = retry(v)?),
    opt!(Pika "rpc_reply_retry_delay" = "0.25"; |c, v| c.pika.rpc_reply_retry_delay = seconds(v)?),
    opt!(Pika "default_rpc_retry_attempts" = "-1"; |c, v| c.pika.default_rpc_retry_attempts = retry(v)?),
    opt!(Pika "rpc_retry_delay" = "0.25"; |c, v| c.pika.rpc_retry_delay = seconds(v)?),
    // [oslo_messaging_notifications]
    opt!(Notifications "driver" = ""; |c, v| c.notifications.driver = drivers(v)?),
    opt!(Notifications "topics" = "notifications"; |c, v| c.notifications.topics = list(v)),
    opt!(Notifications "transport_url" = "", secret; |c, v| c.notifications.transport_url = url(v)?),
    opt!(Notifications "retry" = "-1"; |c, v| c.notifications.retry = retry(v)?),
];

/// The option `name` of `section`.
pub(crate) fn find(section: Section, name: &str) -> Option<&'static OptionSpec> {
    OPTIONS
        .iter()
        .find(|o| o.section == section && o.name == name)
}

/// The option names of `section`, in table order.
pub(crate) fn names(section: Section) -> Vec<&'static str> {
    OPTIONS
        .iter()
        .filter(|o| o.section == section)
        .map(|o| o.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_texts_give_the_default_config() {
        let mut config = Config::default();
        for spec in OPTIONS {
            let text = spec.default.replace("${control_exchange}", "openstack");
            (spec.apply)(&mut config, &text)
                .unwrap_or_else(|e| panic!("default of {} does not parse: {e}", spec.name));
        }
        assert_eq!(config, Config::default());
    }

    #[test]
    fn names_are_unique_per_section() {
        for spec in OPTIONS {
            let same = OPTIONS
                .iter()
                .filter(|o| o.section == spec.section && o.name == spec.name)
                .count();
            assert_eq!(same, 1, "{} listed twice", spec.name);
        }
        assert_eq!(names(Section::Default).len(), 4);
        assert_eq!(names(Section::Pika).len(), 35);
        assert_eq!(names(Section::Notifications).len(), 4);
        assert!(find(Section::Pika, "control_exchange").is_none());
    }

    #[test]
    fn only_url_and_ssl_options_are_secret() {
        let secret: Vec<_> = OPTIONS
            .iter()
            .filter(|o| o.secret)
            .map(|o| o.name)
            .collect();
        assert_eq!(secret, ["transport_url", "ssl_options", "transport_url"]);
    }

    #[test]
    fn int_and_none_forms() {
        let mut c = Config::default();
        let apply = |c: &mut Config, s, n, v| (find(s, n).unwrap().apply)(c, v);
        apply(&mut c, Section::Pika, "tcp_user_timeout", "0").unwrap();
        assert_eq!(c.pika.tcp_user_timeout, None);
        apply(&mut c, Section::Pika, "pool_recycle", "None").unwrap();
        assert_eq!(c.pika.pool_recycle, None);
        apply(&mut c, Section::Pika, "pool_stale", "0").unwrap();
        assert_eq!(c.pika.pool_stale, None);
        apply(&mut c, Section::Pika, "channel_max", "2047").unwrap();
        assert_eq!(c.pika.channel_max, Some(2047));
        apply(&mut c, Section::Pika, "max_message_body_size", "0").unwrap();
        assert_eq!(c.pika.max_message_body_size, None);
        apply(&mut c, Section::Pika, "max_message_body_size", "1048576").unwrap();
        assert_eq!(
            c.pika.max_message_body_size.map(|n| n.get()),
            Some(1_048_576)
        );
        apply(&mut c, Section::Pika, "max_message_body_size", "None").unwrap();
        assert_eq!(c.pika.max_message_body_size, None);
        assert_eq!(
            apply(&mut c, Section::Pika, "max_message_body_size", "-1"),
            Err(ValueProblem::Negative)
        );
        assert_eq!(
            apply(&mut c, Section::Pika, "max_message_body_size", "16M"),
            Err(ValueProblem::NotAnInteger)
        );
    }
}
