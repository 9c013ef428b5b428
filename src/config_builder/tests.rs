//! Precedence, interpolation and every validation error of the builder.

use std::num::NonZeroUsize;
use std::time::Duration;

use super::*;
use crate::NotificationDriver;
use crate::config_error::ValueProblem;

const SECRET: &str = "Sup3rSecretPw";

fn from_file(text: &str) -> ConfigBuilder {
    ConfigBuilder::from_ini_str(text, "test.conf").unwrap()
}

fn build_file(text: &str) -> Result<Config, ConfigError> {
    from_file(text).build()
}

fn url(s: &str) -> TransportUrl {
    s.parse().unwrap()
}

/// The error of building, with a check that neither its message nor its Debug form
/// shows the test password.
fn error_of(result: Result<Config, ConfigError>) -> ConfigError {
    let err = result.expect_err("this configuration is invalid");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET), "password leaked: {shown}");
    err
}

fn problem(err: &ConfigError) -> (&str, &ValueProblem) {
    match err {
        ConfigError::InvalidValue { at, problem, .. } => (at.option.as_str(), problem),
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}

#[test]
fn nothing_set_gives_the_defaults() {
    assert_eq!(ConfigBuilder::new().build().unwrap(), Config::default());
    assert_eq!(build_file("").unwrap(), Config::default());
}

#[test]
fn guide_defaults() {
    let c = Config::default();
    assert_eq!(c.control_exchange, "openstack");
    assert_eq!(c.rpc_response_timeout, Duration::from_secs(60));
    assert_eq!(c.executor_thread_pool_size.get(), 64);
    let p = &c.pika;
    assert_eq!(p.heartbeat_interval, Duration::from_secs(1));
    assert_eq!(p.pool_max_size.get(), 10);
    assert!(!p.ssl);
    assert_eq!(p.tcp_user_timeout, Some(Duration::from_millis(250)));
    assert_eq!(p.pool_recycle, Some(Duration::from_secs(600)));
    assert_eq!(p.pool_stale, Some(Duration::from_secs(60)));
    assert_eq!(p.connection_factory, ConnectionFactory::Single);
    assert_eq!(p.default_serializer_type, Serializer::Json);
    assert_eq!(p.default_notification_exchange, "openstack_notification");
    assert_eq!(p.default_rpc_exchange, "openstack_rpc");
    assert_eq!(p.rpc_reply_exchange, "openstack_rpc_reply");
    assert_eq!(p.rpc_reply_listener_prefetch_count, 100);
    assert_eq!(p.default_rpc_retry_attempts, Retry::Forever);
    assert!(!p.quorum_queues, "Python peers declare classic queues");
    assert_eq!(
        p.max_message_body_size.map(NonZeroUsize::get),
        Some(16 * 1024 * 1024)
    );
    assert_eq!(c.notifications.topics, ["notifications"]);
}

#[test]
fn file_values_are_typed() {
    let c = build_file(&format!(
        "[DEFAULT]
transport_url = pika://nova:{SECRET}@r1:5672,r2:5672/prod
control_exchange = nova
rpc_response_timeout = 120
executor_thread_pool_size = 8
[oslo_messaging_pika]
channel_max = 100
frame_max = 65536
heartbeat_interval = 0
ssl = yes
ssl_options = certfile:/c.pem,keyfile:/k.pem
socket_timeout = 1.5
tcp_user_timeout = 0
host_connection_reconnect_delay = 2
connection_factory = read_write
pool_max_size = 3
pool_max_overflow = 2
pool_timeout = 5
pool_recycle = None
pool_stale = 10
default_serializer_type = msgpack
max_message_body_size = 1048576
notification_persistence = true
notification_listener_prefetch_count = 7
default_notification_retry_attempts = 0
notification_retry_delay = 0.5
quorum_queues = yes
rpc_queue_expiration = 30
rpc_listener_prefetch_count = 9
rpc_reply_listener_prefetch_count = 11
rpc_reply_retry_attempts = 3
rpc_reply_retry_delay = 0.1
default_rpc_retry_attempts = 2
rpc_retry_delay = 0
[oslo_messaging_notifications]
driver = messagingv2, log
topics = notifications,audit
retry = 5
"
    ))
    .unwrap();
    let hosts = c.transport_url.as_ref().unwrap().hosts();
    assert_eq!(hosts[1].password.as_ref().unwrap().expose(), SECRET);
    assert_eq!(c.control_exchange, "nova");
    assert_eq!(c.rpc_response_timeout, Duration::from_secs(120));
    assert_eq!(c.executor_thread_pool_size.get(), 8);
    let p = &c.pika;
    assert_eq!((p.channel_max, p.frame_max), (Some(100), Some(65536)));
    assert_eq!(p.heartbeat_interval, Duration::ZERO);
    assert!(p.ssl);
    assert_eq!(
        p.ssl_options.as_ref().unwrap().expose()["keyfile"],
        "/k.pem"
    );
    assert_eq!(p.socket_timeout, Duration::from_millis(1500));
    assert_eq!(p.tcp_user_timeout, None);
    assert_eq!(p.host_connection_reconnect_delay, Duration::from_secs(2));
    assert_eq!(p.connection_factory, ConnectionFactory::ReadWrite);
    assert_eq!((p.pool_max_size.get(), p.pool_max_overflow), (3, 2));
    assert_eq!(p.pool_timeout, Duration::from_secs(5));
    assert_eq!(p.pool_recycle, None);
    assert_eq!(p.pool_stale, Some(Duration::from_secs(10)));
    assert_eq!(p.default_serializer_type, Serializer::Msgpack);
    assert_eq!(
        p.max_message_body_size.map(NonZeroUsize::get),
        Some(1 << 20)
    );
    assert!(p.notification_persistence);
    assert_eq!(p.default_notification_exchange, "nova_notification");
    assert_eq!(p.notification_listener_prefetch_count, 7);
    assert_eq!(p.default_notification_retry_attempts, Retry::NoRetrier);
    assert_eq!(p.notification_retry_delay, Duration::from_millis(500));
    assert!(p.quorum_queues);
    assert_eq!(p.rpc_queue_expiration, Duration::from_secs(30));
    assert_eq!(p.default_rpc_exchange, "nova_rpc");
    assert_eq!(p.rpc_reply_exchange, "nova_rpc_reply");
    assert_eq!(p.rpc_listener_prefetch_count, 9);
    assert_eq!(p.rpc_reply_listener_prefetch_count, 11);
    assert_eq!(p.rpc_reply_retry_attempts.max_attempts(), Some(3));
    assert_eq!(p.rpc_reply_retry_delay, Duration::from_millis(100));
    assert_eq!(p.default_rpc_retry_attempts.to_oslo(), 2);
    assert_eq!(p.rpc_retry_delay, Duration::ZERO);
    assert_eq!(
        c.notifications.driver,
        [NotificationDriver::MessagingV2, NotificationDriver::Log]
    );
    assert_eq!(c.notifications.topics, ["notifications", "audit"]);
    assert_eq!(c.notifications.retry.to_oslo(), 5);
}

#[test]
fn precedence_is_file_then_code_then_url_query() {
    let file = "[DEFAULT]\ntransport_url = pika://h/?rpc_queue_expiration=40\n\
                [oslo_messaging_pika]\nrpc_queue_expiration = 20\npool_max_size = 2\nrpc_retry_delay = 1\n";
    let c = from_file(file)
        .set(Section::Pika, "rpc_queue_expiration", "30")
        .set(Section::Pika, "pool_max_size", "5")
        .build()
        .unwrap();
    // Query beats code and file; code beats file; file beats the default.
    assert_eq!(c.pika.rpc_queue_expiration, Duration::from_secs(40));
    assert_eq!(c.pika.pool_max_size.get(), 5);
    assert_eq!(c.pika.rpc_retry_delay, Duration::from_secs(1));
    assert_eq!(c.pika.socket_timeout, Duration::from_millis(250));
}

#[test]
fn the_query_of_the_final_url_is_applied() {
    let file = "[DEFAULT]\ntransport_url = pika://h/?heartbeat_interval=7\n";
    let c = from_file(file)
        .transport_url(url(
            "pika://other/?heartbeat_interval=9&connection_factory=new",
        ))
        .build()
        .unwrap();
    assert_eq!(c.pika.heartbeat_interval, Duration::from_secs(9));
    assert_eq!(c.pika.connection_factory, ConnectionFactory::New);
    assert_eq!(
        c.transport_url.unwrap().hosts()[0].hostname.as_deref(),
        Some("other")
    );
}

#[test]
fn typed_setters_override_the_file() {
    let file = "[DEFAULT]\ncontrol_exchange = a\n[oslo_messaging_pika]\nheartbeat_interval = 3\n";
    let c = from_file(file)
        .control_exchange("b")
        .heartbeat_interval(Duration::from_millis(5900))
        .pool_max_size(NonZeroUsize::new(4).unwrap())
        .ssl(true)
        .connection_factory(ConnectionFactory::New)
        .default_serializer_type(Serializer::Msgpack)
        .notification_persistence(true)
        .quorum_queues(true)
        .rpc_queue_expiration(Duration::from_secs(15))
        .rpc_response_timeout(Duration::from_secs(5))
        .executor_thread_pool_size(NonZeroUsize::new(2).unwrap())
        .default_rpc_retry_attempts(Retry::NoRetrier)
        .rpc_retry_delay(Duration::from_millis(125))
        .notification_driver(&["messaging"])
        .notification_topics(&["a", "b"])
        .build()
        .unwrap();
    assert_eq!(c.control_exchange, "b");
    assert_eq!(c.pika.heartbeat_interval, Duration::from_secs(5));
    assert_eq!(c.pika.pool_max_size.get(), 4);
    assert!(c.pika.ssl && c.pika.notification_persistence && c.pika.quorum_queues);
    assert_eq!(c.pika.connection_factory, ConnectionFactory::New);
    assert_eq!(c.pika.default_serializer_type, Serializer::Msgpack);
    assert_eq!(c.pika.rpc_queue_expiration, Duration::from_secs(15));
    assert_eq!(c.rpc_response_timeout, Duration::from_secs(5));
    assert_eq!(c.executor_thread_pool_size.get(), 2);
    assert_eq!(c.pika.default_rpc_retry_attempts, Retry::NoRetrier);
    assert_eq!(c.pika.rpc_retry_delay, Duration::from_millis(125));
    assert_eq!(c.notifications.driver, [NotificationDriver::Messaging]);
    assert_eq!(c.notifications.topics, ["a", "b"]);
    assert_eq!(c.pika.default_rpc_exchange, "b_rpc");
}

#[test]
fn exchange_defaults_follow_the_final_control_exchange() {
    let c = ConfigBuilder::new()
        .control_exchange("glance")
        .build()
        .unwrap();
    assert_eq!(c.pika.default_rpc_exchange, "glance_rpc");
    assert_eq!(c.pika.rpc_reply_exchange, "glance_rpc_reply");
    assert_eq!(c.pika.default_notification_exchange, "glance_notification");

    // A file value referencing control_exchange follows a later override in code.
    let file = "[DEFAULT]\ncontrol_exchange = a\n[oslo_messaging_pika]\ndefault_rpc_exchange = ${control_exchange}-x\n";
    let c = from_file(file).control_exchange("b").build().unwrap();
    assert_eq!(c.pika.default_rpc_exchange, "b-x");
}

#[test]
fn explicit_exchanges_are_not_substituted() {
    let c = ConfigBuilder::new()
        .control_exchange("nova")
        .default_rpc_exchange("mine_${control_exchange}")
        .rpc_reply_exchange("replies")
        .default_notification_exchange("notes")
        .build()
        .unwrap();
    assert_eq!(c.pika.default_rpc_exchange, "mine_${control_exchange}");
    assert_eq!(c.pika.rpc_reply_exchange, "replies");
    assert_eq!(c.pika.default_notification_exchange, "notes");
}

#[test]
fn quorum_queues_can_be_set_from_the_url_query() {
    let c = from_file("[oslo_messaging_pika]\nquorum_queues = false\n")
        .transport_url(url("pika://h/?quorum_queues=true"))
        .build()
        .unwrap();
    assert!(c.pika.quorum_queues, "the query beats the file");
    let err = error_of(
        ConfigBuilder::new()
            .transport_url(url("pika://h/?quorum_queues=maybe"))
            .build(),
    );
    assert_eq!(problem(&err).0, "quorum_queues");
}

#[test]
fn max_message_body_size_from_file_code_and_query() {
    let limit = |c: &Config| c.pika.max_message_body_size.map(NonZeroUsize::get);
    let c = build_file("[oslo_messaging_pika]\nmax_message_body_size = 0\n").unwrap();
    assert_eq!(limit(&c), None, "0 lifts the limit");
    let c = build_file("[oslo_messaging_pika]\nmax_message_body_size = None\n").unwrap();
    assert_eq!(limit(&c), None, "None lifts the limit");
    let c = from_file("[oslo_messaging_pika]\nmax_message_body_size = 1024\n")
        .max_message_body_size(2048)
        .build()
        .unwrap();
    assert_eq!(limit(&c), Some(2048), "code beats the file");
    let c = from_file("[oslo_messaging_pika]\nmax_message_body_size = 1024\n")
        .max_message_body_size(2048)
        .transport_url(url("pika://h/?max_message_body_size=4096"))
        .build()
        .unwrap();
    assert_eq!(limit(&c), Some(4096), "the query beats code and file");
    let c = ConfigBuilder::new()
        .transport_url(url("pika://h/?max_message_body_size=0"))
        .build()
        .unwrap();
    assert_eq!(limit(&c), None);
    for bad in ["-1", "lots", "1.5", "16MiB"] {
        let err = error_of(build_file(&format!(
            "[oslo_messaging_pika]\nmax_message_body_size = {bad}\n"
        )));
        assert_eq!(problem(&err).0, "max_message_body_size", "{bad}");
        let err = error_of(
            ConfigBuilder::new()
                .transport_url(url(&format!("pika://h/?max_message_body_size={bad}")))
                .build(),
        );
        assert_eq!(problem(&err).0, "max_message_body_size", "{bad}");
    }
}

#[test]
fn query_values_are_literal() {
    let c = ConfigBuilder::new()
        .transport_url(url(
            "pika://h/?default_rpc_exchange=%24%7Bcontrol_exchange%7D_q",
        ))
        .build()
        .unwrap();
    assert_eq!(c.pika.default_rpc_exchange, "${control_exchange}_q");
}

#[test]
fn references_resolve_in_the_section_then_default() {
    let file = "[DEFAULT]\nbase = shared\n[oslo_messaging_pika]\nprefix = own\n\
                default_rpc_exchange = ${prefix}_${base}\nrpc_reply_exchange = $${literal}\n";
    let c = build_file(file).unwrap();
    assert_eq!(c.pika.default_rpc_exchange, "own_shared");
    assert_eq!(c.pika.rpc_reply_exchange, "${literal}");
    // Passwords with a bare `$` need no escaping.
    let c = build_file("[DEFAULT]\ntransport_url = pika://u:pa$s@h/\n").unwrap();
    let url = c.transport_url.unwrap();
    let host = &url.hosts()[0];
    assert_eq!(host.password.as_ref().unwrap().expose(), "pa$s");
}

#[test]
fn unresolved_reference_and_cycle_are_errors() {
    let err = error_of(build_file(
        "[oslo_messaging_pika]\n\ndefault_rpc_exchange = ${nope}\n",
    ));
    assert!(matches!(&err, ConfigError::UnresolvedReference { name, .. } if name == "nope"));
    assert!(err.to_string().contains("test.conf, line 3"), "{err}");

    let err = error_of(build_file(
        "[DEFAULT]\na = ${b}\nb = ${a}\ncontrol_exchange = ${a}\n",
    ));
    assert!(matches!(&err, ConfigError::ReferenceCycle { at } if at.option == "control_exchange"));
}

#[test]
fn negative_delays_are_errors_naming_file_and_line() {
    for option in [
        "rpc_retry_delay",
        "rpc_reply_retry_delay",
        "notification_retry_delay",
        "socket_timeout",
        "host_connection_reconnect_delay",
        "heartbeat_interval",
        "rpc_queue_expiration",
    ] {
        let err = error_of(build_file(&format!(
            "[oslo_messaging_pika]\n{option} = -1\n"
        )));
        assert_eq!(problem(&err), (option, &ValueProblem::Negative));
        let msg = err.to_string();
        assert!(
            msg.contains(option)
                && msg.contains("[oslo_messaging_pika]")
                && msg.contains("test.conf, line 2")
                && msg.contains("\"-1\""),
            "{msg}"
        );
    }
}

#[test]
fn zero_sizes_are_errors() {
    let err = error_of(build_file("[oslo_messaging_pika]\npool_max_size = 0\n"));
    assert_eq!(problem(&err), ("pool_max_size", &ValueProblem::Zero));
    let err = error_of(
        ConfigBuilder::new()
            .set(Section::Default, "executor_thread_pool_size", "0")
            .build(),
    );
    assert_eq!(
        problem(&err),
        ("executor_thread_pool_size", &ValueProblem::Zero)
    );
    assert!(err.to_string().contains("set in code"), "{err}");
}

#[test]
fn unknown_choices_are_errors() {
    let err = error_of(build_file(
        "[oslo_messaging_pika]\ndefault_serializer_type = yaml\n",
    ));
    let (option, p) = problem(&err);
    assert_eq!(option, "default_serializer_type");
    assert!(
        matches!(p, ValueProblem::UnknownChoice { choices } if choices == &["json", "msgpack"])
    );
    assert!(err.to_string().contains("json, msgpack"), "{err}");

    let err = error_of(build_file(
        "[oslo_messaging_pika]\nconnection_factory = pooled\n",
    ));
    assert!(err.to_string().contains("new, single, read_write"), "{err}");
}

#[test]
fn notification_drivers_warren_lacks_are_refused_at_build() {
    // `routing` needs oslo's routing notifier file, `test` is oslo's in-process list.
    for driver in ["routing", "test", "messagingv3"] {
        let err = error_of(build_file(&format!(
            "[oslo_messaging_notifications]\ndriver = messagingv2, {driver}\n"
        )));
        let (option, p) = problem(&err);
        assert_eq!(option, "driver");
        assert!(matches!(p, ValueProblem::UnknownChoice { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("messaging, messagingv2, log, noop"),
            "{err}"
        );
    }
}

#[test]
fn bad_numbers_and_booleans_are_errors() {
    let cases = [
        (
            "pool_timeout = 1.5",
            "pool_timeout",
            ValueProblem::NotAnInteger,
        ),
        (
            "channel_max = lots",
            "channel_max",
            ValueProblem::NotAnInteger,
        ),
        (
            "socket_timeout = fast",
            "socket_timeout",
            ValueProblem::NotANumber,
        ),
        ("ssl = maybe", "ssl", ValueProblem::NotABoolean),
        (
            "notification_persistence = 2",
            "notification_persistence",
            ValueProblem::NotABoolean,
        ),
        (
            "rpc_listener_prefetch_count = 70000",
            "rpc_listener_prefetch_count",
            ValueProblem::OutOfRange { min: 0, max: 65535 },
        ),
        (
            "ssl_options = nocolon",
            "ssl_options",
            ValueProblem::BadDict,
        ),
    ];
    for (line, option, expected) in cases {
        let err = error_of(build_file(&format!(
            "[oslo_messaging_pika]\nssl = true\n{line}\n"
        )));
        assert_eq!(problem(&err), (option, &expected), "{line}");
    }
    let err = error_of(build_file("[DEFAULT]\nrpc_response_timeout = soon\n"));
    assert_eq!(
        problem(&err),
        ("rpc_response_timeout", &ValueProblem::NotAnInteger)
    );
}

#[test]
fn bad_retry_counts_are_errors() {
    let err = error_of(build_file(
        "[oslo_messaging_pika]\ndefault_rpc_retry_attempts = -2\n",
    ));
    assert!(matches!(
        problem(&err),
        ("default_rpc_retry_attempts", ValueProblem::Retry(_))
    ));
    let err = error_of(build_file("[oslo_messaging_notifications]\nretry = -5\n"));
    assert!(
        err.to_string().contains("[oslo_messaging_notifications]"),
        "{err}"
    );
}

#[test]
fn ssl_options_need_ssl() {
    let file =
        format!("[oslo_messaging_pika]\nssl_options = certfile:/c.pem,keyfile:/{SECRET}.pem\n");
    let err = error_of(build_file(&file));
    assert!(
        matches!(&err, ConfigError::SslOptionsWithoutSsl { at } if at.origin == Origin::File { file: "test.conf".into(), line: 2 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("ssl = true"), "{err}");
    // Enabling ssl anywhere, even in the URL query, makes it valid.
    let c = from_file(&file)
        .transport_url(url("pika://h/?ssl=true"))
        .build()
        .unwrap();
    assert!(c.pika.ssl);
    assert!(!format!("{c:?}").contains(SECRET));
}

#[test]
fn bad_dict_values_are_not_quoted() {
    let err = error_of(build_file(&format!(
        "[oslo_messaging_pika]\nssl = true\nssl_options = {SECRET}\n"
    )));
    assert!(matches!(
        &err,
        ConfigError::InvalidValue { value: None, .. }
    ));
}

#[test]
fn bad_transport_url_in_file_names_line_without_password() {
    let err = error_of(build_file(&format!(
        "[DEFAULT]\n\ntransport_url = pika://u:{SECRET}@h:99999/\n"
    )));
    let (option, p) = problem(&err);
    assert_eq!(option, "transport_url");
    assert!(matches!(
        p,
        ValueProblem::Url(crate::UrlError::BadPort { host_index: 1 })
    ));
    assert!(err.to_string().contains("test.conf, line 3"), "{err}");

    let err = error_of(build_file(&format!(
        "[DEFAULT]\ntransport_url = rabbit://u:{SECRET}@h/\n"
    )));
    assert!(err.to_string().contains("pika://"), "{err}");
}

#[test]
fn unknown_query_option_is_an_error_listing_accepted_options() {
    let err = error_of(
        ConfigBuilder::new()
            .transport_url(url(&format!("pika://u:{SECRET}@h/?heartbeat=5")))
            .build(),
    );
    match &err {
        ConfigError::UnknownQueryOption {
            key,
            accepted,
            url_option,
        } => {
            assert_eq!(key, "heartbeat");
            assert!(accepted.contains(&"heartbeat_interval"));
            assert_eq!(url_option.origin, Origin::Code);
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("`heartbeat`") && msg.contains("heartbeat_interval"),
        "{msg}"
    );

    // [DEFAULT] options cannot be set through the query.
    let err = error_of(build_file(
        "[DEFAULT]\ntransport_url = pika://h/?control_exchange=x\n",
    ));
    assert!(matches!(err, ConfigError::UnknownQueryOption { .. }));
}

#[test]
fn bad_query_values_name_the_query() {
    let err = error_of(build_file(&format!(
        "[DEFAULT]\ntransport_url = pika://u:{SECRET}@h/?pool_max_size=0\n"
    )));
    assert_eq!(problem(&err), ("pool_max_size", &ValueProblem::Zero));
    assert_eq!(err.location().unwrap().origin, Origin::UrlQuery);
    assert!(err.to_string().contains("transport URL query"), "{err}");
}

#[test]
fn unknown_option_set_in_code_is_an_error() {
    let err = error_of(
        ConfigBuilder::new()
            .set(Section::Pika, "heartbeat", "1")
            .build(),
    );
    assert!(
        matches!(&err, ConfigError::UnknownOption { section: Section::Pika, option, .. } if option == "heartbeat")
    );
    assert!(err.to_string().contains("heartbeat_interval"), "{err}");
}

#[test]
fn unknown_file_options_are_listed_not_errors() {
    let file = "[DEFAULT]\ndebug = true\n[oslo_messaging_pika]\nheartbeat_intervall = 5\nheartbeat_intervall = 6\n\
                [keystone_authtoken]\npassword = x\n";
    let b = from_file(file);
    let unknown: Vec<_> = b
        .unknown_options()
        .iter()
        .map(|u| (u.section, u.option.as_str(), u.origin.clone()))
        .collect();
    assert_eq!(
        unknown,
        [
            (
                Section::Default,
                "debug",
                Origin::File {
                    file: "test.conf".into(),
                    line: 2
                }
            ),
            (
                Section::Pika,
                "heartbeat_intervall",
                Origin::File {
                    file: "test.conf".into(),
                    line: 5
                }
            ),
        ]
    );
    assert!(b.unknown_options()[1].to_string().contains("ignored"));
    assert_eq!(b.build().unwrap(), Config::default());
}

#[test]
fn ini_and_io_errors() {
    let err = ConfigBuilder::from_ini_str("[DEFAULT]\nnot an option line\n", "x.conf").unwrap_err();
    assert!(matches!(&err, ConfigError::Ini { source, .. } if source.line == 2));
    assert!(err.to_string().starts_with("x.conf, line 2:"), "{err}");

    let err = ConfigBuilder::from_ini_file("/nonexistent/warren.conf").unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }));
    assert!(
        err.to_string().contains("/nonexistent/warren.conf"),
        "{err}"
    );
}

#[test]
fn notification_url_query_applies_to_notifications_only() {
    let file =
        "[oslo_messaging_notifications]\ntransport_url = pika://n/?notification_persistence=true\n";
    let c = build_file(file).unwrap();
    assert!(!c.pika.notification_persistence);
    assert!(c.notification_pika().notification_persistence);
    assert_eq!(
        c.notification_transport_url().unwrap().hosts()[0]
            .hostname
            .as_deref(),
        Some("n")
    );

    let c = ConfigBuilder::new()
        .transport_url(url("pika://main/"))
        .build()
        .unwrap();
    assert_eq!(c.notification_pika(), &c.pika);
    assert_eq!(
        c.notification_transport_url().unwrap().hosts()[0]
            .hostname
            .as_deref(),
        Some("main")
    );

    let err = error_of(
        ConfigBuilder::new()
            .notification_transport_url(url("pika://n/?nope=1"))
            .build(),
    );
    assert!(
        matches!(&err, ConfigError::UnknownQueryOption { url_option, .. } if url_option.section == Section::Notifications)
    );
}

#[test]
fn json_lists_every_option_with_redaction() {
    let file = format!(
        "[DEFAULT]\ntransport_url = pika://nova:{SECRET}@r1:5672,r2/prod\n\
         [oslo_messaging_pika]\nssl = true\nssl_options = certfile:/{SECRET}.pem\npool_recycle = None\n"
    );
    let c = build_file(&file).unwrap();
    let json = c.to_json();
    let text = c.to_json_pretty();
    assert!(!text.contains(SECRET), "{text}");
    assert!(!format!("{c:?}").contains(SECRET));
    let url = &json["DEFAULT"]["transport_url"];
    assert_eq!(url["url"], "pika://nova:***@r1:5672,nova:***@r2/prod");
    assert_eq!(url["virtual_host"], "prod");
    assert_eq!(
        url["hosts"][1],
        serde_json::json!({"host": "r2", "port": 5672, "username": "nova"})
    );
    let pika = &json["oslo_messaging_pika"];
    assert_eq!(pika["ssl_options"], serde_json::json!({"certfile": "***"}));
    assert_eq!(pika["socket_timeout"], 0.25);
    assert_eq!(pika["heartbeat_interval"], 1.0);
    assert_eq!(pika["pool_recycle"], serde_json::Value::Null);
    assert_eq!(pika["channel_max"], serde_json::Value::Null);
    assert_eq!(pika["default_serializer_type"], "json");
    assert_eq!(pika["connection_factory"], "single");
    assert_eq!(pika["default_rpc_retry_attempts"], -1);
    assert_eq!(json["DEFAULT"]["executor_thread_pool_size"], 64);
    assert_eq!(
        json["oslo_messaging_notifications"]["topics"],
        serde_json::json!(["notifications"])
    );
    for spec in option_table::OPTIONS {
        assert!(
            json[spec.section.name()].get(spec.name).is_some(),
            "{} missing from JSON",
            spec.name
        );
    }
}

#[test]
fn builder_debug_shows_no_values() {
    let b = from_file(&format!(
        "[DEFAULT]\ntransport_url = pika://u:{SECRET}@h/\n"
    ))
    .transport_url(url(&format!("pika://u:{SECRET}@h/")));
    let shown = format!("{b:?}");
    assert!(
        !shown.contains(SECRET) && shown.contains("DEFAULT.transport_url"),
        "{shown}"
    );
}

#[test]
fn the_example_sample_conf_is_valid() {
    let b = ConfigBuilder::from_ini_str(include_str!("../../examples/sample.conf"), "sample.conf")
        .unwrap();
    assert!(b.unknown_options().is_empty(), "{:?}", b.unknown_options());
    let c = b.build().unwrap();
    assert_eq!(c.pika.default_rpc_exchange, "nova_rpc");
    assert_eq!(c.transport_url.as_ref().unwrap().hosts().len(), 2);
    assert!(!c.to_json_pretty().contains("s3cret"));
}
