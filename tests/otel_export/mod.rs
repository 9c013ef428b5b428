//! One global subscriber per test binary that exports warren's spans to OpenTelemetry
//! (`tracing-opentelemetry` and the SDK's in-memory exporter), so that every message
//! warren sends carries a W3C `traceparent` header (warren's `otel` feature).

#![allow(dead_code)]

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;

/// Install the subscriber (once); returns its exporter.
pub fn install() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<(InMemorySpanExporter, SdkTracerProvider)> = OnceLock::new();
    &EXPORTER
        .get_or_init(|| {
            let exporter = InMemorySpanExporter::default();
            let provider = SdkTracerProvider::builder()
                .with_simple_exporter(exporter.clone())
                .build();
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("warren-tests"));
            let subscriber = tracing_subscriber::registry().with(layer);
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
            (exporter, provider)
        })
        .0
}
