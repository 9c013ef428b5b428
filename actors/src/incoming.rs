//! lapin's `BasicProperties` of a delivery to core [`MessageProperties`], validated.

use std::time::Duration;

use lapin::BasicProperties;
use lapin::types::AMQPValue;
use warren_core::{HeaderValue, MessageProperties, Serializer, incoming_serializer};

use crate::Error;

/// What the consumers need from a delivery's properties, once validated.
#[derive(Debug, Clone)]
pub(crate) struct IncomingProperties {
    pub(crate) serializer: Serializer,
    pub(crate) correlation_id: Option<String>,
    pub(crate) reply_to: Option<String>,
    pub(crate) expiration: Option<Duration>,
}

fn header_value(value: &AMQPValue) -> HeaderValue {
    match value {
        AMQPValue::LongString(s) => match std::str::from_utf8(s.as_bytes()) {
            Ok(text) => HeaderValue::Text(text.to_owned()),
            Err(_) => HeaderValue::Bytes(s.as_bytes().to_vec()),
        },
        AMQPValue::ShortString(s) => HeaderValue::Text(s.as_str().to_owned()),
        AMQPValue::Boolean(b) => HeaderValue::Bool(*b),
        AMQPValue::ShortShortInt(i) => HeaderValue::Int(i64::from(*i)),
        AMQPValue::ShortShortUInt(i) => HeaderValue::Int(i64::from(*i)),
        AMQPValue::ShortInt(i) => HeaderValue::Int(i64::from(*i)),
        AMQPValue::ShortUInt(i) => HeaderValue::Int(i64::from(*i)),
        AMQPValue::LongInt(i) => HeaderValue::Int(i64::from(*i)),
        AMQPValue::LongUInt(i) => HeaderValue::Int(i64::from(*i)),
        AMQPValue::LongLongInt(i) => HeaderValue::Int(*i),
        AMQPValue::Float(x) => HeaderValue::Float(f64::from(*x)),
        AMQPValue::Double(x) => HeaderValue::Float(*x),
        _ => HeaderValue::Other,
    }
}

/// Core properties of a delivery.
pub(crate) fn to_core(props: &BasicProperties) -> MessageProperties {
    MessageProperties {
        content_type: props.content_type().as_ref().map(|s| s.as_str().to_owned()),
        headers: props.headers().as_ref().map(|table| {
            table
                .inner()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), header_value(v)))
                .collect()
        }),
        message_id: props.message_id().as_ref().map(|s| s.as_str().to_owned()),
        correlation_id: props
            .correlation_id()
            .as_ref()
            .map(|s| s.as_str().to_owned()),
        reply_to: props.reply_to().as_ref().map(|s| s.as_str().to_owned()),
        expiration: props.expiration().as_ref().map(|s| s.as_str().to_owned()),
        delivery_mode: *props.delivery_mode(),
    }
}

/// Validate a delivery's properties (driver version header, content type).
pub(crate) fn decode_properties(props: &BasicProperties) -> Result<IncomingProperties, Error> {
    let core = to_core(props);
    core.check_driver_version()?;
    let serializer = incoming_serializer(&core)?;
    let expiration = core.expiration_duration()?;
    Ok(IncomingProperties {
        serializer,
        correlation_id: core.correlation_id,
        reply_to: core.reply_to,
        expiration,
    })
}
