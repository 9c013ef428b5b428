//! Core [`MessageProperties`] to lapin's `BasicProperties`, for publishing.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use warren_core::{HeaderValue, MessageProperties, Serializer};

/// lapin properties carrying exactly what `props` sets.
pub(crate) fn to_amqp(props: &MessageProperties) -> BasicProperties {
    let mut out = BasicProperties::default();
    if let Some(ct) = &props.content_type {
        out = out.with_content_type(ct.as_str().into());
    }
    if let Some(headers) = &props.headers {
        let mut table = FieldTable::default();
        for (key, value) in headers {
            let value = match value {
                HeaderValue::Text(s) => AMQPValue::LongString(s.as_str().into()),
                HeaderValue::Bytes(b) => AMQPValue::LongString(b.clone().into()),
                HeaderValue::Int(i) => AMQPValue::LongLongInt(*i),
                HeaderValue::Float(x) => AMQPValue::Double(*x),
                HeaderValue::Bool(b) => AMQPValue::Boolean(*b),
                _ => continue,
            };
            table.insert(key.as_str().into(), value);
        }
        out = out.with_headers(table);
    }
    if let Some(id) = &props.message_id {
        out = out.with_message_id(id.as_str().into());
    }
    if let Some(id) = &props.correlation_id {
        out = out.with_correlation_id(id.as_str().into());
    }
    if let Some(r) = &props.reply_to {
        out = out.with_reply_to(r.as_str().into());
    }
    if let Some(e) = &props.expiration {
        out = out.with_expiration(e.as_str().into());
    }
    if let Some(m) = props.delivery_mode {
        out = out.with_delivery_mode(m);
    }
    out
}

/// Properties of an RPC call (the expiration is set per publish attempt).
pub(crate) fn call_properties(
    serializer: Serializer,
    correlation_id: &str,
    reply_to: &str,
) -> BasicProperties {
    let mut props = MessageProperties::rpc_cast(serializer);
    props.correlation_id = Some(correlation_id.to_owned());
    props.reply_to = Some(reply_to.to_owned());
    to_amqp(&props)
}

/// Properties of a cast or fanout cast.
pub(crate) fn cast_properties(serializer: Serializer) -> BasicProperties {
    to_amqp(&MessageProperties::rpc_cast(serializer))
}
