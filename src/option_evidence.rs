//! Walks the option table: every option either has a test that shows its effect, or
//! is reported as inert when set ([`Config::inert_options`]) — so that no option is
//! silently accepted and ignored, and a new option cannot be added without saying
//! which.

use crate::config::Config;
use crate::option_table::OPTIONS;
use crate::section::Section;

/// What shows that an option does something.
enum Evidence {
    /// This test (a file of the repository and a test function in it) shows the effect.
    Test(&'static str, &'static str),
    /// Setting the option to this value is reported by [`Config::inert_options`].
    Inert(&'static str),
}

use Evidence::{Inert, Test};

const EFFECTS: &str = "tests/option_effects.rs";
const BUFFER: &str = "tests/notify_buffer.rs";
const NOTIFY_CONFIG: &str = "tests/notify_config.rs";
const UNREACHABLE: &str = "tests/unreachable_broker.rs";
const POOL: &str = "tests/pool_load.rs";
const TLS: &str = "tests/tls.rs";
const RETRIES: &str = "tests/option_retries.rs";
const REPLY_RETRY: &str = "tests/option_reply_retry.rs";
const REPLY_RETRY_TEST: &str = "a_lost_reply_is_sent_again_up_to_rpc_reply_retry_attempts_unless_rpc_reply_retry_delay_passes_the_deadline";
const CONNECT: &str = "actors/src/connection/connect.rs";
const CAST_RETRY: &str = "a_cast_makes_default_rpc_retry_attempts_attempts_rpc_retry_delay_apart";
const NOTIFY_RETRY: &str = "a_notification_makes_retry_attempts_notification_retry_delay_apart";
const TUNING: &str = "heartbeat_frame_max_and_channel_max_are_negotiated_as_configured";
const PREFETCH: &str = "each_prefetch_count_applies_to_its_consumers";
const NAMES: &str = "exchange_names_and_rpc_queue_expiry_are_declared_as_configured";

#[rustfmt::skip]
const EVIDENCE: &[(Section, &str, Evidence)] = &[
    (Section::Default, "transport_url", Test(UNREACHABLE, "a_call_says_the_broker_is_unreachable_and_why")),
    (Section::Default, "control_exchange", Test(EFFECTS, NAMES)),
    (Section::Default, "rpc_response_timeout", Test("tests/rpc_cast.rs", "a_cast_to_a_topic_nobody_serves_gives_up_as_undeliverable")),
    (Section::Default, "executor_thread_pool_size", Test("tests/rpc_executor.rs", "a_server_runs_at_most_executor_thread_pool_size_invocations_at_once")),
    (Section::Pika, "channel_max", Test(EFFECTS, TUNING)),
    (Section::Pika, "frame_max", Test(EFFECTS, TUNING)),
    (Section::Pika, "heartbeat_interval", Test(EFFECTS, TUNING)),
    (Section::Pika, "ssl", Test(TLS, "a_call_and_a_notification_round_trip_over_verified_tls")),
    (Section::Pika, "ssl_options", Test(TLS, "mutual_tls_sends_the_client_certificate_where_it_is_required")),
    (Section::Pika, "auth_mechanism", Test(TLS, "external_authentication_logs_in_as_the_certificate_s_name")),
    (Section::Pika, "socket_timeout", Test(CONNECT, "a_peer_that_never_answers_ends_the_attempt_at_socket_timeout_plus_a_second")),
    (Section::Pika, "tcp_user_timeout", Test("tests/option_tcp_user_timeout.rs", "a_write_to_a_stalled_peer_ends_the_connection_after_tcp_user_timeout")),
    (Section::Pika, "host_connection_reconnect_delay", Test("tests/option_reconnect_delay.rs", "a_lost_connection_is_reopened_after_host_connection_reconnect_delay")),
    (Section::Pika, "connection_factory", Inert("read_write")),
    (Section::Pika, "pool_max_size", Test(POOL, "fifty_publishers_never_hold_more_than_the_pool_allows")),
    (Section::Pika, "pool_max_overflow", Test(POOL, "fifty_publishers_never_hold_more_than_the_pool_allows")),
    (Section::Pika, "pool_timeout", Test(UNREACHABLE, "a_bounded_notification_says_the_broker_is_unreachable_and_why")),
    (Section::Pika, "pool_recycle", Test(POOL, "recycled_channels_are_replaced")),
    (Section::Pika, "pool_stale", Test(POOL, "stale_channels_are_replaced")),
    (Section::Pika, "default_serializer_type", Test("tests/rpc_call.rs", "msgpack_and_json_both_round_trip")),
    (Section::Pika, "max_message_body_size", Test("tests/hostile_input.rs", "a_thousand_hostile_messages_are_rejected_counted_and_survived")),
    (Section::Pika, "notification_persistence", Test("tests/notify_delivery.rs", "a_listener_with_persistence_declares_durable_queues")),
    (Section::Pika, "default_notification_exchange", Test(EFFECTS, NAMES)),
    (Section::Pika, "notification_listener_prefetch_count", Test(EFFECTS, PREFETCH)),
    (Section::Pika, "notification_buffer_size", Test(BUFFER, "a_full_buffer_drops_the_oldest_queued_notifications_and_counts_them")),
    (Section::Pika, "notification_buffer_overflow", Test(BUFFER, "a_full_waiting_buffer_makes_the_caller_wait_for_room")),
    (Section::Pika, "default_notification_retry_attempts", Inert("3")),
    (Section::Pika, "notification_retry_delay", Test(RETRIES, NOTIFY_RETRY)),
    (Section::Pika, "quorum_queues", Test("tests/quorum_queues.rs", "an_rpc_server_declares_quorum_queues_and_answers_calls")),
    (Section::Pika, "durable_queues", Test("tests/durable_queues.rs", "with_durable_queues_every_queue_is_durable_and_calls_and_notifications_flow")),
    (Section::Pika, "rpc_queue_expiration", Test(EFFECTS, NAMES)),
    (Section::Pika, "default_rpc_exchange", Test(EFFECTS, NAMES)),
    (Section::Pika, "rpc_reply_exchange", Test(EFFECTS, NAMES)),
    (Section::Pika, "rpc_listener_prefetch_count", Test(EFFECTS, PREFETCH)),
    (Section::Pika, "rpc_reply_listener_prefetch_count", Test(EFFECTS, PREFETCH)),
    (Section::Pika, "rpc_reply_retry_attempts", Test(REPLY_RETRY, REPLY_RETRY_TEST)),
    (Section::Pika, "rpc_reply_retry_delay", Test(REPLY_RETRY, REPLY_RETRY_TEST)),
    (Section::Pika, "default_rpc_retry_attempts", Test(RETRIES, CAST_RETRY)),
    (Section::Pika, "rpc_retry_delay", Test(RETRIES, CAST_RETRY)),
    (Section::Notifications, "driver", Test(NOTIFY_CONFIG, "driver_noop_drops_notifications_and_log_only_logs_them")),
    (Section::Notifications, "topics", Test(NOTIFY_CONFIG, "configured_topics_are_where_a_notifier_without_topics_sends")),
    (Section::Notifications, "transport_url", Test(NOTIFY_CONFIG, "the_notification_transport_url_carries_notifications_and_their_listeners")),
    (Section::Notifications, "retry", Test(RETRIES, NOTIFY_RETRY)),
];

fn evidence_of(section: Section, name: &str) -> Vec<&'static Evidence> {
    EVIDENCE
        .iter()
        .filter(|(s, n, _)| *s == section && *n == name)
        .map(|(_, _, e)| e)
        .collect()
}

#[test]
fn every_option_has_exactly_one_kind_of_evidence() {
    for option in OPTIONS {
        let found = evidence_of(option.section, option.name);
        assert_eq!(
            found.len(),
            1,
            "[{}] {}: say which test shows its effect, or that it is inert",
            option.section.name(),
            option.name
        );
    }
    for (section, name, _) in EVIDENCE {
        assert!(
            OPTIONS
                .iter()
                .any(|o| o.section == *section && o.name == *name),
            "[{}] {name} is not an option",
            section.name()
        );
    }
}

#[test]
fn each_named_test_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (section, name, evidence) in EVIDENCE {
        if let Test(file, test) = evidence {
            let text = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|e| panic!("[{}] {name}: {file}: {e}", section.name()));
            assert!(
                text.contains(&format!("fn {test}(")),
                "[{}] {name}: no test {test} in {file}",
                section.name()
            );
        }
    }
}

#[test]
fn each_inert_option_is_reported_when_set() {
    for (section, name, evidence) in EVIDENCE {
        if let Inert(value) = evidence {
            let config = Config::builder()
                .set(*section, name, *value)
                .build()
                .unwrap();
            assert!(
                config.inert_options().iter().any(|i| i.name == *name),
                "[{}] {name} = {value} is not reported",
                section.name()
            );
        }
    }
}
