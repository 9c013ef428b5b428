//! Where the CLI's logs and spans go: stderr, filtered by `WARREN_LOG`, and, in a
//! build with the `otlp` feature, warren's spans to an OTLP collector when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see `trace_export`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The installed logging; [`Logging::finish`] sends what an export still holds.
pub struct Logging {
    #[cfg(feature = "otlp")]
    export: Option<crate::trace_export::TraceExport>,
}

impl Logging {
    /// Flush and stop the trace export, if any.
    pub fn finish(self) {
        #[cfg(feature = "otlp")]
        if let Some(export) = self.export {
            export.finish();
        }
    }
}

/// The filter when `WARREN_LOG` is not set; `long_running` commands (`serve`,
/// `listen`) also say when their connection comes up (again).
fn default_filter(long_running: bool) -> String {
    // lapin logs each broker-closed channel at ERROR, including the expected 404 of a
    // first publish to a missing exchange (warren then declares it and retries), and
    // each returned message at WARN with its whole body, including the expected
    // return of a first notification to a topic without a queue (store and forward).
    // warren reports real failures itself, without bodies.
    let quiet_lapin = "lapin::channel=off,lapin::returned_messages=off";
    // `[oslo_messaging_notifications] driver = log` writes its lines here: shown, as
    // they are what that driver is for.
    // The OTLP export says when its collector takes spans again (`trace_export`).
    let defaults =
        format!("warn,warren::notification=info,warren::trace_export=info,{quiet_lapin}");
    if long_running {
        format!("{defaults},warren::connection=info")
    } else {
        defaults
    }
}

/// Log lines on stderr.
fn stderr<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a log file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
}

/// Install the subscriber; fails only when the trace export is misconfigured.
pub fn install(long_running: bool) -> Result<Logging, String> {
    let filter = EnvFilter::try_from_env("WARREN_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_filter(long_running)));
    #[cfg(feature = "otlp")]
    {
        let export = crate::trace_export::TraceExport::from_env()?;
        if let Some(export) = export {
            // The filter applies to stderr alone, so that the spans are exported
            // whatever `WARREN_LOG` shows.
            tracing_subscriber::registry()
                .with(stderr().with_filter(filter))
                .with(export.layer())
                .init();
            return Ok(Logging {
                export: Some(export),
            });
        }
        tracing_subscriber::registry()
            .with(filter)
            .with(stderr())
            .init();
        Ok(Logging { export: None })
    }
    #[cfg(not(feature = "otlp"))]
    {
        if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
            eprintln!(
                "warren: OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no OTLP \
                 export (build with --features otlp); no traces are sent"
            );
        }
        tracing_subscriber::registry()
            .with(filter)
            .with(stderr())
            .init();
        Ok(Logging {})
    }
}
