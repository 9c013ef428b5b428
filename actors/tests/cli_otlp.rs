//! OTLP export from the CLI (feature `otlp`): with `OTEL_EXPORTER_OTLP_ENDPOINT` set,
//! `warren call` and `warren serve` send their spans to the collector, and a call is
//! one trace across the two processes, the server's `process` span a child of the
//! client's `send` span.
//!
//! The collector is the test's own: it accepts OTLP/HTTP posts and decodes them with
//! the OpenTelemetry protobuf definitions. The tests need the `otlp` feature, which
//! the workspace's test run enables (the root crate's dev-dependency); without it they
//! fail and say so.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use common::{Server, URL, echo_call, free_port, require_broker, unique, warren};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;

/// Fail, saying why, when the `warren` under test cannot export.
fn require_otlp() {
    #[cfg(not(feature = "otlp"))]
    panic!(
        "these tests need the `otlp` feature: run `cargo test --workspace` (which turns it \
         on) or `cargo test -p warren --features otlp`"
    );
}

/// What the collector received: a span, or why a request could not be read.
type Received = Result<Exported, String>;

/// One exported span, as the collector received it.
#[derive(Debug, Clone)]
struct Exported {
    service: String,
    name: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
}

/// The spans of one OTLP export request.
fn spans_of(body: &[u8]) -> Result<Vec<Exported>, String> {
    let request = ExportTraceServiceRequest::decode(body)
        .map_err(|e| format!("not an OTLP trace export: {e}"))?;
    let mut out = Vec::new();
    for resource in request.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|a| a.key == "service.name")
            .and_then(|a| a.value.as_ref()?.value.as_ref())
            .map(|v| match v {
                Value::StringValue(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        for span in resource.scope_spans.into_iter().flat_map(|s| s.spans) {
            out.push(Exported {
                service: service.clone(),
                name: span.name,
                trace_id: span.trace_id,
                span_id: span.span_id,
                parent_span_id: span.parent_span_id,
            });
        }
    }
    Ok(out)
}

/// Serve the OTLP/HTTP requests of one connection, answering each with an empty
/// (valid) export response; a request it cannot read is reported as an error.
fn serve_connection(stream: TcpStream, spans: Sender<Received>) {
    if let Err(e) = serve_requests(stream, &spans) {
        let _ = spans.send(Err(e));
    }
}

fn serve_requests(stream: TcpStream, spans: &Sender<Received>) -> Result<(), String> {
    let io = |e: std::io::Error| format!("reading a request: {e}");
    let mut reader = BufReader::new(stream.try_clone().map_err(io)?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).map_err(io)? == 0 {
            return Ok(());
        }
        if !request_line.starts_with("POST /v1/traces ") {
            return Err(format!("not an OTLP trace export: {request_line}"));
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).map_err(io)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|e| format!("{header}: {e}"))?;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(io)?;
        for span in spans_of(&body)? {
            let _ = spans.send(Ok(span));
        }
        let answer =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return Ok(());
        }
    }
}

/// A collector on a free port of 127.0.0.1: its endpoint, and the spans it receives.
fn collector() -> (String, Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the collector");
    let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let spans = tx.clone();
            std::thread::spawn(move || serve_connection(stream, spans));
        }
    });
    (endpoint, rx)
}

/// Spans received until `done` holds for them, within `wait`.
fn receive_until(
    spans: &Receiver<Received>,
    wait: Duration,
    done: impl Fn(&[Exported]) -> bool,
) -> Vec<Exported> {
    let deadline = Instant::now() + wait;
    let mut seen = Vec::new();
    while !done(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        match spans.recv_timeout(left) {
            Ok(Ok(span)) => seen.push(span),
            Ok(Err(e)) => panic!("the collector could not read an export: {e}"),
            Err(_) => panic!("the collector did not get the spans within {wait:?}: {seen:#?}"),
        }
    }
    seen
}

#[test]
fn a_cli_call_and_its_handling_by_warren_serve_are_one_exported_trace() {
    require_otlp();
    require_broker();
    let (endpoint, spans) = collector();
    let topic = unique("cli-otlp");
    let env = |service: &'static str| {
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
            ("OTEL_SERVICE_NAME", service.to_owned()),
            // Batches leave every 100 ms rather than every 5 s.
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ]
    };
    let serve_env = env("otlp-test-server");
    let serve_env: Vec<(&str, &str)> = serve_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _serve = Server::start_with_env(&topic, &[], &serve_env);
    let out = echo_call(&topic, 7)
        .envs(env("otlp-test-client"))
        .output()
        .expect("run warren call");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let find = |seen: &[Exported], service: &str, name: &str| {
        seen.iter()
            .find(|s| s.service == service && s.name == name)
            .cloned()
    };
    let seen = receive_until(&spans, Duration::from_secs(30), |seen| {
        find(seen, "otlp-test-client", "send openstack_rpc").is_some()
            && find(seen, "otlp-test-server", "process openstack_rpc").is_some()
    });
    let send = find(&seen, "otlp-test-client", "send openstack_rpc").expect("the send span");
    let process =
        find(&seen, "otlp-test-server", "process openstack_rpc").expect("the process span");
    assert_eq!(send.trace_id.len(), 16, "{send:?}");
    assert_eq!(process.trace_id, send.trace_id, "one trace: {seen:#?}");
    assert_eq!(
        process.parent_span_id, send.span_id,
        "the server's span is a child of the client's: {seen:#?}"
    );
}

#[test]
fn malformed_and_https_otlp_endpoints_are_refused_with_exit_2() {
    require_otlp();
    for endpoint in ["not a url", "https://collector.example:4318"] {
        let out = warren()
            .args(["config", "--transport-url", URL])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .output()
            .expect("run warren config");
        assert_eq!(out.status.code(), Some(2), "{endpoint}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
            "{endpoint}: says which variable: {stderr}"
        );
    }
}

#[test]
fn an_unreachable_collector_is_reported_once_and_the_call_still_succeeds() {
    require_otlp();
    require_broker();
    let topic = unique("cli-otlp-down");
    let _serve = Server::start(&topic);
    // A port that was free a moment ago: nothing listens there.
    let closed = free_port();
    let out = echo_call(&topic, 7)
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{closed}"),
        )
        .output()
        .expect("run warren call");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "7");
    assert_eq!(
        stderr.matches("cannot export traces").count(),
        1,
        "said once: {stderr}"
    );
}
