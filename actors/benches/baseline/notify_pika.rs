//! Mode `notify-pika`: `notify-window` on the Pika driver's notification wire format,
//! so that what the format itself costs (a direct exchange and a binding instead of the
//! default exchange, `mandatory`, the properties, the JSON envelope with a fresh
//! message id and timestamp per message) is measured apart from what warren adds.
//!
//! Each notification goes to the exchange `baseline_notification_<pid>` (direct,
//! transient, auto-delete) with routing key `<queue>` = `baseline-notify-pika-<pid>.info`,
//! mandatory, confirmed, at most `concurrency` confirms outstanding on one channel. A
//! returned message counts as an error. Nobody consumes; the queue is deleted at the
//! end, and the exchange with it.

use std::sync::Arc;

use lapin::options::{
    BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{Connection, ExchangeKind};
use tokio::runtime::Handle;

use crate::load::{self, Load, Outcome};
use crate::notify_window::{confirming_channel, stored};
use crate::pika_wire::{CONTENT_TYPE, properties, version_headers};

/// Run the mode on `connection`.
pub async fn run(
    connection: &Connection,
    load: Load,
    payload_bytes: usize,
) -> lapin::Result<Outcome> {
    let channel = confirming_channel(connection).await?;
    let pid = std::process::id();
    let exchange: ShortString = format!("baseline_notification_{pid}").into();
    let key: ShortString = format!("baseline-notify-pika-{pid}.info").into();
    channel
        .exchange_declare(
            exchange.clone(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                auto_delete: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    // As the driver's sender declares a notification queue: named after the routing
    // key, transient, no expiry.
    channel
        .queue_declare(
            key.clone(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            key.clone(),
            exchange.clone(),
            key.clone(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    // The payload is serialized once; what changes per message is spliced in.
    // Python's json.dumps separators (", " and ": "), as the driver writes them.
    let payload: Arc<str> = format!(r#"{{"value": "{}"}}"#, "x".repeat(payload_bytes)).into();
    let (publisher, target) = (channel.clone(), (exchange.clone(), key.clone()));
    let outcome = load::run(&Handle::current(), load, move || {
        let (channel, (exchange, key)) = (publisher.clone(), target.clone());
        let body = envelope(&payload);
        async move {
            let publish = channel.basic_publish(
                exchange,
                key,
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &body,
                properties(CONTENT_TYPE.into(), version_headers(), None),
            );
            stored(publish).await
        }
    })
    .await;
    channel
        .queue_delete(key, QueueDeleteOptions::default())
        .await?;
    Ok(outcome)
}

/// The notification envelope of `Notifier.info(ctx, "warren.bench", payload)` with an
/// empty context: a dashed uuid4 message id and Python's `str(datetime.utcnow())`.
fn envelope(payload: &str) -> Vec<u8> {
    let now = chrono::Utc::now().naive_utc();
    // `str(datetime)` leaves the fraction out when the microseconds are 0.
    let timestamp = if now.and_utc().timestamp_subsec_micros() == 0 {
        now.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        now.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    };
    format!(
        r#"{{"message_id": "{}", "publisher_id": "warren-bench", "event_type": "warren.bench", "priority": "INFO", "payload": {payload}, "timestamp": "{timestamp}"}}"#,
        uuid::Uuid::new_v4().hyphenated()
    )
    .into_bytes()
}
