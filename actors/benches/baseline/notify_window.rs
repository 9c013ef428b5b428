//! Mode `notify-window`: confirmed publishes to one queue, at most `concurrency`
//! confirms outstanding on one channel (1: publish, wait for the confirm, publish).
//! Nobody consumes; the queue is deleted at the end.

use std::future::Future;
use std::sync::Arc;

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};

use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, PublisherConfirm};
use tokio::runtime::Handle;

use crate::load::{self, Load, Outcome};

/// Wait for a publish and its confirm: `Ok` only for a plain `basic.ack` (a returned
/// message comes with its ack and counts as an error).
pub async fn stored(
    publish: impl Future<Output = lapin::Result<PublisherConfirm>>,
) -> Result<(), String> {
    let confirm = publish.await.map_err(|e| e.to_string())?;
    match confirm.await.map_err(|e| e.to_string())? {
        Confirmation::Ack(None) => Ok(()),
        other => Err(format!("publish not stored: {other:?}")),
    }
}

/// A new channel on `connection`, in confirm mode.
pub async fn confirming_channel(connection: &Connection) -> lapin::Result<Channel> {
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok(channel)
}

/// Run the mode on `connection`.
pub async fn run(
    connection: &Connection,
    load: Load,
    payload_bytes: usize,
) -> lapin::Result<Outcome> {
    let channel = confirming_channel(connection).await?;
    // The default exchange routes straight to the queue named by the routing key.
    let queue: ShortString = format!("baseline-notify-{}", std::process::id()).into();
    channel
        .queue_declare(
            queue.clone(),
            QueueDeclareOptions {
                exclusive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let payload: Arc<[u8]> = vec![b'x'; payload_bytes].into();
    let (publisher, key) = (channel.clone(), queue.clone());
    let outcome = load::run(&Handle::current(), load, move || {
        let (channel, key, payload) = (publisher.clone(), key.clone(), payload.clone());
        async move {
            let publish = channel.basic_publish(
                "".into(),
                key,
                BasicPublishOptions::default(),
                &payload,
                BasicProperties::default(),
            );
            stored(publish).await
        }
    })
    .await;
    channel
        .queue_delete(queue, QueueDeleteOptions::default())
        .await?;
    Ok(outcome)
}
