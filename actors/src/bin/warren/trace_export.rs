//! OTLP export of warren's messaging spans (feature `otlp`): on when the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
//!
//! Spans go over OTLP/HTTP with protobuf bodies, batched by the SDK on a thread of its
//! own; the SDK's other variables apply (`OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_RESOURCE_ATTRIBUTES`). The service is named
//! `warren` unless `OTEL_SERVICE_NAME` says otherwise. Only the spans of
//! [`warren::SPAN_TARGET`] are exported; what stderr shows still follows `WARREN_LOG`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::SpanExporter;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// The variables that turn export on, in the SDK's order of preference.
const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// A running OTLP export; [`TraceExport::finish`] sends what is still batched.
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// An export to the endpoint of the environment, if one is set; an error says
    /// which variable is wrong.
    pub fn from_env() -> Result<Option<Self>, String> {
        let set = |name: &&&str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        let Some(variable) = ENDPOINT_VARIABLES.iter().find(set) else {
            return Ok(None);
        };
        let endpoint = std::env::var(variable).unwrap_or_default();
        if endpoint.trim().to_ascii_lowercase().starts_with("https:") {
            return Err(format!(
                "{variable}: this build exports over plain HTTP only; send to a local \
                 collector or agent that forwards over TLS"
            ));
        }
        let exporter = SpanExporter::builder().with_http().build().map_err(|e| {
            let e = without_userinfo(&e.to_string());
            format!("{variable}: cannot export traces there: {e}")
        })?;
        let service = std::env::var("OTEL_SERVICE_NAME")
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| "warren".to_owned());
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(Reporting::new(exporter))
            .with_resource(Resource::builder().with_service_name(service).build())
            .build();
        Ok(Some(Self { provider }))
    }

    /// The layer that turns warren's spans into OpenTelemetry spans for this export
    /// (which also puts `traceparent` into the headers warren sends).
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let tracer = self.provider.tracer("warren");
        let messaging = Targets::new().with_target(warren::SPAN_TARGET, tracing::Level::INFO);
        // The layer's extras (source location, thread, target, busy and idle times,
        // an OpenTelemetry context made current on every poll) cost on each span and
        // say nothing about a message; the messaging attributes are all there is.
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_context_activation(false)
            .with_filter(messaging)
    }

    /// Send the spans still batched, waiting for the collector at most the export
    /// timeout; a failure is said once on stderr and does not change the exit status.
    pub fn finish(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("warren: could not send the last traces: {e}");
        }
    }
}

/// An exporter that says on stderr when the collector stops taking spans (once) and
/// when it takes them again: the SDK itself drops a failed batch silently.
#[derive(Debug)]
struct Reporting<E> {
    inner: E,
    failing: AtomicBool,
}

impl<E> Reporting<E> {
    fn new(inner: E) -> Self {
        Self {
            inner,
            failing: AtomicBool::new(false),
        }
    }

    fn report(&self, result: &OTelSdkResult) {
        match result {
            Err(e) if !self.failing.swap(true, Ordering::Relaxed) => tracing::warn!(
                error = %without_userinfo(&e.to_string()),
                "cannot export traces to the OTLP collector; spans are dropped until it \
                 takes them again (check OTEL_EXPORTER_OTLP_ENDPOINT)"
            ),
            Ok(()) if self.failing.swap(false, Ordering::Relaxed) => {
                tracing::info!("exporting traces to the OTLP collector again");
            }
            _ => {}
        }
    }
}

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
    for Reporting<E>
{
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = self.inner.export(batch).await;
        self.report(&result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn shutdown(&self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// `text` with the user information of any URL in it (`scheme://user:password@`)
/// replaced by `***`: an endpoint may carry credentials, and errors quote it.
fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (before, after) = rest.split_at(start + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &after[at..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn user_information_in_urls_is_hidden() {
        assert_eq!(
            without_userinfo(
                "error sending to http://user:s3cret@collector:4318/v1/traces: refused"
            ),
            "error sending to http://***@collector:4318/v1/traces: refused"
        );
        assert_eq!(
            without_userinfo("http://collector:4318 and https://a@b"),
            "http://collector:4318 and https://***@b"
        );
        assert_eq!(without_userinfo("no url here"), "no url here");
    }
}
