//! W3C trace context in message headers (`traceparent`, `tracestate`), with the `otel`
//! feature: written into every request, reply and notification from the span that
//! sends it, and read on consume to parent the `process` span. A span is only part of
//! an OpenTelemetry trace when the service installed `tracing-opentelemetry`; without
//! it (or without the feature) nothing is written, and the wire stays byte for byte the
//! Pika driver's. A missing or malformed header starts a new trace, never an error.
//! Python Pika peers ignore headers they do not know.

use lapin::BasicProperties;
use tracing::Span;

#[cfg(feature = "otel")]
mod w3c {
    use lapin::BasicProperties;
    use lapin::types::{AMQPValue, FieldTable};
    use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
    use opentelemetry::trace::TraceContextExt;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tracing::Span;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    /// The header names the propagator writes.
    const KEYS: [&str; 2] = ["traceparent", "tracestate"];

    struct Headers<'a>(&'a mut FieldTable);

    impl Injector for Headers<'_> {
        fn set(&mut self, key: &str, value: String) {
            self.0
                .insert(key.into(), AMQPValue::LongString(value.into()));
        }
    }

    struct ReadHeaders<'a>(Option<&'a FieldTable>);

    impl Extractor for ReadHeaders<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            match self.0?.inner().get(key)? {
                AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok(),
                AMQPValue::ShortString(s) => Some(s.as_str()),
                _ => None,
            }
        }

        fn keys(&self) -> Vec<&str> {
            KEYS.to_vec()
        }
    }

    pub(super) fn inject(span: &Span, properties: BasicProperties) -> BasicProperties {
        let cx = span.context();
        if !cx.span().span_context().is_valid() {
            return properties;
        }
        let mut headers = properties.headers().clone().unwrap_or_default();
        TraceContextPropagator::new().inject_context(&cx, &mut Headers(&mut headers));
        properties.with_headers(headers)
    }

    pub(super) fn parent(span: &Span, properties: &BasicProperties) {
        let cx = TraceContextPropagator::new().extract(&ReadHeaders(properties.headers().as_ref()));
        if cx.span().span_context().is_valid() {
            // Fails only for a span that has already started exporting: none here.
            let _ = span.set_parent(cx);
        }
    }
}

/// `properties` with the trace context of `span`, when it has one.
pub(crate) fn inject(span: &Span, properties: BasicProperties) -> BasicProperties {
    #[cfg(feature = "otel")]
    if !span.is_disabled() {
        return w3c::inject(span, properties);
    }
    let _ = span;
    properties
}

/// Make the trace context in `properties`, if any, the parent of `span`.
pub(crate) fn parent(span: &Span, properties: &BasicProperties) {
    #[cfg(feature = "otel")]
    if !span.is_disabled() {
        w3c::parent(span, properties);
    }
    let _ = (span, properties);
}
