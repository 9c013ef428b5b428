//! warren's metrics as the Prometheus exporter renders them, after real calls and
//! notifications on the broker: the client's operations and sends, the server's
//! consumption, requeues, connections by state and the pools' channels.
//!
//! One test in its own process: the recorder is global, and the connection and pool
//! gauges count every transport of the process.

mod common;

use std::time::Duration;

use common::{Echo, require_broker, transport, unique};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use warren::{Context, Target};

const CALLS: usize = 4;

/// The value of the sample of `metric` whose labels include every one of `labels`
/// (a metric without labels is matched by its name alone).
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The rendered metrics once `done` holds for them; the server records a request after
/// its reply (a cast's after the client has its confirm), so its counts can trail the
/// client's.
async fn rendered_when(metrics: &PrometheusHandle, done: impl Fn(&str) -> bool) -> String {
    let wait = Duration::from_secs(10);
    let poll = async {
        loop {
            let text = metrics.render();
            if done(&text) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    match tokio::time::timeout(wait, poll).await {
        Ok(text) => text,
        Err(_) => panic!("not recorded within {wait:?}:\n{}", metrics.render()),
    }
}

fn install() -> PrometheusHandle {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).expect("the only recorder of this process");
    warren::enable_metrics();
    handle
}

#[actix_rt::test]
async fn calls_notifications_requeues_connections_and_pool_channels_are_measured() {
    require_broker();
    let metrics = install();
    let server_side = transport(&unique("metrics-server"));
    let client_side = transport(&unique("metrics-client"));
    let topic = unique("metrics");
    let endpoint = warren::Endpoint::new().method("echo", |_ctx, args: Echo| async move {
        Ok::<_, warren::RemoteError>(args.value)
    });
    let server = common::serving(&server_side, &topic, endpoint).await;
    let client = client_side
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(30));
    for i in 0..CALLS {
        let echoed: i64 = client
            .call(&Context::new(), "echo", &Echo { value: json!(i) })
            .await
            .expect("the call is answered");
        assert_eq!(echoed, i as i64);
    }
    client
        .cast(&Context::new(), "echo", &Echo { value: json!(0) })
        .await
        .expect("the cast is confirmed");
    let requeue_topic = unique("metrics-requeue");
    let seen = common::requeued_once(&server_side, &requeue_topic).await;
    assert_eq!(seen.len(), 2, "delivered, then redelivered: {seen:?}");

    let rpc = r#"destination="openstack_rpc""#;
    let served = [r#"consumer="rpc_server""#, rpc];
    let text = rendered_when(&metrics, |text| {
        sample(text, "messaging_process_duration_seconds_count", &served)
            == Some((CALLS + 1) as f64)
    })
    .await;
    let calls = [r#"operation="call""#, rpc];
    assert_eq!(
        sample(&text, "messaging_client_sent_messages_total", &calls),
        Some(CALLS as f64),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "messaging_client_operation_duration_seconds_count",
            &calls
        ),
        Some(CALLS as f64),
        "{text}"
    );
    let casts = [r#"operation="cast""#, rpc];
    assert_eq!(
        sample(&text, "messaging_client_sent_messages_total", &casts),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "messaging_client_consumed_messages_total", &served),
        Some((CALLS + 1) as f64),
        "{text}"
    );
    assert_eq!(
        sample(&text, "messaging_process_duration_seconds_count", &served),
        Some((CALLS + 1) as f64),
        "{text}"
    );
    assert_eq!(
        sample(&text, "warren_calls_waiting", &[]),
        Some(0.0),
        "{text}"
    );
    let listener = [r#"consumer="notification_listener""#];
    assert_eq!(
        sample(&text, "warren_requeued_messages_total", &listener),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "warren_connections", &[r#"state="connected""#]),
        Some(2.0),
        "one connection per transport: {text}"
    );
    let in_use = sample(&text, "warren_pool_channels", &[r#"state="in_use""#]).unwrap_or(0.0);
    let idle = sample(&text, "warren_pool_channels", &[r#"state="idle""#]).unwrap_or(0.0);
    assert!(
        in_use + idle >= 2.0,
        "both transports' pools published on a channel: {text}"
    );

    server.stop().await;
    client_side.close().await;
    let text = metrics.render();
    assert_eq!(
        sample(&text, "warren_connections", &[r#"state="connected""#]),
        Some(1.0),
        "a closed connection leaves the gauge: {text}"
    );
    server_side.close().await;
}
