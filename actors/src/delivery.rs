//! A delivery as the consumers see it: lapin's `BasicProperties` to core
//! [`MessageProperties`], validated; the body size checked before decoding; and how a
//! delivery that fails is named in the log and rejected.

use std::num::NonZeroUsize;
use std::time::Duration;

use lapin::BasicProperties;
use lapin::types::AMQPValue;
use lapin::types::parsing::value_exceeds_nesting_limit;
use warren_core::{
    HeaderValue, MessageProperties, Serializer, WireError, check_body_size, incoming_serializer,
};

use crate::Error;
use crate::broker::Delivery;

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
        // lapin parses header tables with warren's patched amq-protocol-types, which
        // stops at its nesting limit and leaves a marker where it stopped.
        AMQPValue::FieldTable(_) | AMQPValue::FieldArray(_)
            if value_exceeds_nesting_limit(value) =>
        {
            HeaderValue::BeyondNestingLimit
        }
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
    let serializer = incoming_serializer(&core)?;
    let expiration = core.expiration_duration()?;
    Ok(IncomingProperties {
        serializer,
        correlation_id: core.correlation_id,
        reply_to: core.reply_to,
        expiration,
    })
}

/// The longest error text a rejection log line quotes: the errors quote what they
/// received, and one hostile message must not flood the log.
const LOGGED_ERROR_LIMIT: usize = 300;

/// `error`'s text, cut at [`LOGGED_ERROR_LIMIT`] bytes (on a character boundary).
pub(crate) fn loggable(error: &impl std::fmt::Display) -> String {
    let mut text = error.to_string();
    if text.len() > LOGGED_ERROR_LIMIT {
        let mut cut = LOGGED_ERROR_LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// How a rejected delivery is named in the log: its `message_id` and
/// `correlation_id` properties (either may be absent on a hostile message), where it
/// was published, and its body size.
#[derive(Debug)]
pub(crate) struct DeliveryId {
    /// The exchange and routing key it was published to: which publisher sent it is
    /// not on the wire, but this says which path it came by.
    pub(crate) origin: String,
    pub(crate) message_id: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) size: usize,
}

impl DeliveryId {
    pub(crate) fn of(delivery: &Delivery) -> Self {
        let text = |s: &Option<lapin::types::ShortString>| s.as_ref().map(|s| s.to_string());
        let exchange = match delivery.exchange.as_str() {
            "" => "the default exchange".to_owned(),
            name => format!("exchange {name:?}"),
        };
        Self {
            origin: format!(
                "{exchange}, routing key {:?}",
                delivery.routing_key.as_str()
            ),
            message_id: text(delivery.properties.message_id()),
            correlation_id: text(delivery.properties.correlation_id()),
            size: delivery.data.len(),
        }
    }
}

/// Rejects a delivery without requeue, in the background: a poison message would fail
/// the same way on every redelivery. A failed reject needs no handling, since the
/// channel it belonged to is gone and its messages with it are back with the broker.
pub(crate) fn reject_without_requeue(delivery: &Delivery) {
    let acker = delivery.acker.clone();
    actix::spawn(async move {
        let _ = acker.reject(false).await;
    });
}

/// Why a delivery could not be decoded, with its properties when they were valid
/// (boxed where returned: it is the rare path, and large).
pub(crate) struct Undecodable {
    pub(crate) error: Error,
    /// Present when only the body failed: the caller may still be answered.
    pub(crate) props: Option<IncomingProperties>,
}

/// Checks a delivery's properties and body size, then decodes its body with `decode`.
///
/// The properties are checked first so that the caller learns the serializer (to
/// answer in) even when the body is then refused.
pub(crate) fn decode_delivery<T>(
    delivery: &Delivery,
    max_body_size: Option<NonZeroUsize>,
    decode: impl FnOnce(Serializer, &[u8]) -> Result<T, WireError>,
) -> Result<(IncomingProperties, T), Box<Undecodable>> {
    let props = decode_properties(&delivery.properties)
        .map_err(|error| Undecodable { error, props: None })
        .map_err(Box::new)?;
    match check_body_size(delivery.data.len(), max_body_size)
        .and_then(|()| decode(props.serializer, &delivery.data))
    {
        Ok(value) => Ok((props, value)),
        Err(e) => Err(Box::new(Undecodable {
            error: e.into(),
            props: Some(props),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_knows_the_nesting_limit_lapin_parses_to() {
        assert_eq!(
            warren_core::HEADER_NESTING_LIMIT,
            lapin::types::parsing::MAX_NESTING_DEPTH
        );
    }

    /// `{"h": {"a": {"a": ... {}}}}` with `levels` tables in all, parsed as lapin does.
    fn headers_nesting(levels: usize) -> BasicProperties {
        let mut bytes = Vec::new();
        for level in 1..levels {
            let inner = 7 * (levels - level - 1) + 4;
            let entry = 3 + u32::try_from(inner).expect("small");
            bytes.extend_from_slice(&entry.to_be_bytes());
            bytes.extend_from_slice(&[1, if level == 1 { b'h' } else { b'a' }, b'F']);
        }
        bytes.extend_from_slice(&0u32.to_be_bytes());
        let (_, table) = lapin::types::parsing::parse_field_table(&bytes[..]).expect("parses");
        BasicProperties::default()
            .with_content_type("application/json".into())
            .with_headers(table)
    }

    #[test]
    fn headers_beyond_the_nesting_limit_are_refused_and_within_it_read() {
        let limit = warren_core::HEADER_NESTING_LIMIT;
        assert!(decode_properties(&headers_nesting(limit)).is_ok());
        for levels in [limit + 1, 3_000, 18_000] {
            let refused = decode_properties(&headers_nesting(levels)).map(drop);
            assert!(
                matches!(
                    refused,
                    Err(Error::Wire(WireError::HeadersTooDeep { ref header, .. })) if header == "h"
                ),
                "{levels} levels: {refused:?}"
            );
        }
    }

    #[test]
    fn logged_errors_are_bounded() {
        assert_eq!(loggable(&"short"), "short");
        let long = "é".repeat(1000);
        let shown = loggable(&long);
        assert!(shown.len() <= LOGGED_ERROR_LIMIT + '…'.len_utf8());
        assert!(shown.ends_with('…'));
    }
}
