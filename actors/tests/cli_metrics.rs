//! `warren serve --metrics-addr`: Prometheus metrics scraped over HTTP after real
//! calls, their counts matching the calls made.

mod common;

use common::{Server, echo_call, free_port, require_broker, unique, warren};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const CALLS: usize = 5;

/// The Prometheus text at `http://127.0.0.1:<port>/metrics`.
fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the exporter");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// The value of the sample of `metric` whose labels include every one of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn served_calls_are_counted_in_the_scraped_metrics() {
    require_broker();
    let topic = unique("cli-metrics");
    let port = free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let _serve = Server::start_with(&topic, &["--metrics-addr", &metrics_addr]);
    for i in 0..CALLS as i64 {
        let out = echo_call(&topic, i).output().expect("run warren call");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = scrape(port);
    let server = [r#"consumer="rpc_server""#, r#"destination="openstack_rpc""#];
    assert_eq!(
        sample(&text, "messaging_client_consumed_messages_total", &server),
        Some(CALLS as f64),
        "{text}"
    );
    assert_eq!(
        sample(&text, "messaging_process_duration_seconds_count", &server),
        Some(CALLS as f64),
        "{text}"
    );
    assert!(
        text.contains("# HELP messaging_process_duration_seconds"),
        "{text}"
    );
    assert!(
        text.contains("messaging_process_duration_seconds_bucket{"),
        "a histogram: {text}"
    );
}

#[test]
fn a_metrics_address_in_use_exits_with_2_before_connecting() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("its address").port();
    let out = warren()
        .args([
            "serve",
            "--transport-url",
            "pika://guest:guest@127.0.0.1:1/",
        ])
        .args(["--topic", "t", "--server", "s"])
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .output()
        .expect("run warren serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics-addr"));
}
