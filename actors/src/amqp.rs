//! Thin, typed wrappers over the lapin calls warren makes to declare and consume,
//! each mapping lapin's error to an [`Error`] that names the operation.

use lapin::options::{
    BasicConsumeOptions, BasicQosOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Consumer, ExchangeKind};

use warren_core::{ArgumentValue, Declaration, QueueArguments};

use crate::Error;

/// `exchange.declare` of a Pika-driver exchange: `direct`, auto-delete.
pub(crate) async fn declare_exchange(
    channel: &Channel,
    name: &str,
    durable: bool,
) -> Result<(), Error> {
    let options = ExchangeDeclareOptions {
        passive: false,
        durable,
        auto_delete: true,
        internal: false,
        nowait: false,
    };
    channel
        .exchange_declare(
            name.into(),
            ExchangeKind::Direct,
            options,
            FieldTable::default(),
        )
        .await
        .map_err(|e| Error::from_lapin(&format!("exchange.declare {name:?}"), &e))
}

/// `queue.declare` of a Pika-driver queue: never exclusive nor auto-delete; the
/// `arguments` (`x-expires`, `x-queue-type`) as [`QueueArguments::to_pairs`] gives them.
pub(crate) async fn declare_queue(
    channel: &Channel,
    name: &str,
    durable: bool,
    arguments: &QueueArguments,
) -> Result<(), Error> {
    let options = QueueDeclareOptions {
        passive: false,
        durable,
        exclusive: false,
        auto_delete: false,
        nowait: false,
    };
    let mut table = FieldTable::default();
    for (key, value) in arguments.to_pairs() {
        let value = match value {
            ArgumentValue::LongInt(i) => AMQPValue::LongInt(i),
            ArgumentValue::LongLongInt(i) => AMQPValue::LongLongInt(i),
            ArgumentValue::LongString(s) => AMQPValue::LongString(s.into()),
        };
        table.insert(key.into(), value);
    }
    channel
        .queue_declare(name.into(), options, table)
        .await
        .map(|_| ())
        .map_err(|e| Error::from_queue_declare(name, arguments.queue_type, durable, &e))
}

/// `queue.bind`.
pub(crate) async fn bind_queue(
    channel: &Channel,
    queue: &str,
    exchange: &str,
    routing_key: &str,
) -> Result<(), Error> {
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            routing_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| Error::from_lapin(&format!("queue.bind {queue:?} to {exchange:?}"), &e))
}

/// `basic.qos` with a per-consumer prefetch count.
pub(crate) async fn set_prefetch(channel: &Channel, prefetch: u16) -> Result<(), Error> {
    channel
        .basic_qos(prefetch, BasicQosOptions { global: false })
        .await
        .map_err(|e| Error::from_lapin("basic.qos", &e))
}

/// `basic.consume` with a server-generated tag.
pub(crate) async fn consume(
    channel: &Channel,
    queue: &str,
    no_ack: bool,
) -> Result<Consumer, Error> {
    let options = BasicConsumeOptions {
        no_local: false,
        no_ack,
        exclusive: false,
        nowait: false,
    };
    channel
        .basic_consume(queue.into(), "".into(), options, FieldTable::default())
        .await
        .map_err(|e| Error::from_lapin(&format!("basic.consume {queue:?}"), &e))
}

/// Declare one exchange, queue or binding of a topology.
pub(crate) async fn declare(channel: &Channel, step: Declaration<'_>) -> Result<(), Error> {
    match step {
        Declaration::Exchange(e) => declare_exchange(channel, &e.name, e.durable).await,
        Declaration::Queue(q) => declare_queue(channel, &q.name, q.durable, &q.arguments).await,
        Declaration::Bind(b) => bind_queue(channel, &b.queue, &b.exchange, &b.routing_key).await,
    }
}
