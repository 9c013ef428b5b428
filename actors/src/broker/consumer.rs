//! [`Consumer`]: the deliveries of one `basic.consume`, from either broker, as a
//! stream that ends (or fails) when the consumer is cancelled or its channel closes.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;

use super::Delivery;
use crate::Error;

/// One consumer's deliveries.
pub(crate) struct Consumer {
    tag: String,
    source: Source,
}

enum Source {
    Amqp(lapin::Consumer),
    Memory(mpsc::UnboundedReceiver<Delivery>),
}

impl Consumer {
    pub(crate) fn amqp(consumer: lapin::Consumer) -> Self {
        Self {
            tag: consumer.tag().to_string(),
            source: Source::Amqp(consumer),
        }
    }

    pub(crate) fn memory(tag: String, deliveries: mpsc::UnboundedReceiver<Delivery>) -> Self {
        Self {
            tag,
            source: Source::Memory(deliveries),
        }
    }

    /// The consumer tag the broker gave.
    pub(crate) fn tag(&self) -> &str {
        &self.tag
    }
}

impl Stream for Consumer {
    type Item = Result<Delivery, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.source {
            Source::Amqp(consumer) => Pin::new(consumer).poll_next(cx).map(|item| {
                item.map(|d| {
                    d.map(Delivery::from)
                        .map_err(|e| Error::from_lapin("basic.consume", &e))
                })
            }),
            Source::Memory(deliveries) => deliveries.poll_recv(cx).map(|d| d.map(Ok)),
        }
    }
}
