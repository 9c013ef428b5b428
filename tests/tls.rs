//! TLS against RabbitMQ nodes of the rig with TLS listeners, on certificates made at
//! test time: verified round trips, mutual TLS (PLAIN and EXTERNAL), and every TLS and
//! login failure giving its typed error within `socket_timeout` + 1 s.
//!
//! Nodes (not clustered): n1 has a good certificate and takes client certificates when
//! offered (EXTERNAL enabled); n2 has an expired one; n3's names only
//! `elsewhere.invalid` and it requires a client certificate.

mod common;
#[path = "rig/mod.rs"]
mod rig;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::json;
use warren::{AuthMechanism, ConnectFailure, Context, Error, Priority, Section, Target};

use rig::certs::{self, CLIENT_USER, Pair, Pki};
use rig::service::{SETUP, start_server};
use rig::{Rig, free_port};

/// The certificates and the TLS port of each node, set when the rig boots.
static TLS: OnceLock<(Pki, Vec<u16>)> = OnceLock::new();

const PASSWORD: &str = "guest";
/// Default `socket_timeout` (0.25 s) + 1 s: how long a failure may take to be told.
const FAILURE_BOUND: Duration = Duration::from_millis(1250);

fn node_conf(port: u16, pki: &Pki, server: &Pair, require_client_cert: bool) -> String {
    format!(
        "listeners.ssl.1 = 127.0.0.1:{port}\n\
         ssl_options.cacertfile = {}\n\
         ssl_options.certfile = {}\n\
         ssl_options.keyfile = {}\n\
         ssl_options.verify = verify_peer\n\
         ssl_options.fail_if_no_peer_cert = {require_client_cert}\n\
         auth_mechanisms.1 = PLAIN\n\
         auth_mechanisms.2 = AMQPLAIN\n\
         auth_mechanisms.3 = EXTERNAL\n\
         ssl_cert_login_from = common_name\n",
        pki.ca.display(),
        server.cert.display(),
        server.key.display(),
    )
}

/// The rig, its certificates and TLS ports.
fn tls_rig() -> (&'static Rig, &'static Pki, &'static [u16]) {
    let rig = Rig::shared_with(3, false, "rabbitmq_auth_mechanism_ssl", |dir: &Path| {
        let pki = certs::generate(&dir.join("certs"));
        let ports = vec![free_port(), free_port(), free_port()];
        let confs = vec![
            node_conf(ports[0], &pki, &pki.server, false),
            node_conf(ports[1], &pki, &pki.expired_server, false),
            node_conf(ports[2], &pki, &pki.wrong_host_server, true),
        ];
        TLS.set((pki, ports)).expect("set once");
        confs
    });
    let (pki, ports) = TLS.get().expect("set when the rig booted");
    (rig, pki, ports)
}

/// `ssl_options` text for the builder.
fn ssl_options(pairs: &[(&str, &Path)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}:{}", v.display()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A TLS transport to `host:port` with `ssl_options` and `configure` applied.
fn tls_transport(
    name: &str,
    url: &str,
    options: &str,
    configure: impl FnOnce(warren::ConfigBuilder) -> warren::ConfigBuilder,
) -> warren::Transport {
    let options = options.to_owned();
    common::transport_on(url, name, move |b| {
        configure(b.ssl(true).set(Section::Pika, "ssl_options", options))
    })
}

/// The connection named `name` on node `i`, as `rabbitmqctl list_connections` shows
/// it: `(ssl, user)`.
async fn broker_view(rig: &'static Rig, i: usize, name: &str) -> (String, String) {
    let rows = rig
        .ctl(i, &["list_connections", "ssl", "user", "client_properties"])
        .await;
    let row = rows
        .lines()
        .find(|r| r.contains(&format!("\"{name}\"")))
        .unwrap_or_else(|| panic!("connection {name} not listed in:\n{rows}"));
    let fields: Vec<&str> = row.split('\t').collect();
    (fields[0].to_owned(), fields[1].to_owned())
}

#[actix_rt::test]
async fn a_call_and_a_notification_round_trip_over_verified_tls() {
    let (rig, pki, ports) = tls_rig();
    let name = common::unique("tls-round-trip");
    // By name, so the certificate's DNS name is what is verified.
    let url = format!("pika://guest:{PASSWORD}@localhost:{}/", ports[0]);
    let t = tls_transport(&name, &url, &ssl_options(&[("ca_certs", &pki.ca)]), |b| b);
    let (_server, _started) = start_server(&t, &name).await;
    let client = t.rpc_client(Target::new(&name));
    let echoed: serde_json::Value = client
        .call(&Context::new(), "echo", &json!({"n": 0}))
        .await
        .expect("a call over TLS");
    assert_eq!(echoed, json!({"n": 0}));

    let topic = common::unique("tls-topic");
    let (_listener, mut payloads) = common::payload_listener(&t, &topic, Priority::Info).await;
    t.notifier("tls")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "tls.sent", &json!("over tls"))
        .await
        .expect("notification sent over TLS");
    let got = common::receive(&mut payloads, 1, SETUP, "the notification").await;
    assert_eq!(got, vec![json!("over tls")]);

    let (ssl, user) = broker_view(rig, 0, &name).await;
    assert_eq!((ssl.as_str(), user.as_str()), ("true", "guest"));
}

#[actix_rt::test]
async fn mutual_tls_sends_the_client_certificate_where_it_is_required() {
    let (rig, pki, ports) = tls_rig();
    let name = common::unique("tls-mutual");
    // n3 requires a client certificate; its own names only elsewhere.invalid.
    let url = format!("pika://guest:{PASSWORD}@127.0.0.1:{}/", ports[2]);
    let options = format!(
        "{},server_hostname:elsewhere.invalid",
        ssl_options(&[
            ("ca_certs", &pki.ca),
            ("certfile", &pki.client.cert),
            ("keyfile", &pki.client.key),
        ])
    );
    let t = tls_transport(&name, &url, &options, |b| b);
    let (_server, _started) = start_server(&t, &name).await;
    let client = t.rpc_client(Target::new(&name));
    let echoed: serde_json::Value = client
        .call(&Context::new(), "echo", &json!({"v": "mutual"}))
        .await
        .expect("a call over mutual TLS");
    assert_eq!(echoed, json!({"v": "mutual"}));
    let (ssl, _user) = broker_view(rig, 2, &name).await;
    assert_eq!(ssl, "true");
}

#[actix_rt::test]
async fn external_authentication_logs_in_as_the_certificate_s_name() {
    let (rig, pki, ports) = tls_rig();
    // The user EXTERNAL names; its password is never used.
    let _ = rig.ctl(0, &["add_user", CLIENT_USER, "unused-Pw-9"]).await;
    rig.ctl(
        0,
        &["set_permissions", "-p", "/", CLIENT_USER, ".*", ".*", ".*"],
    )
    .await;
    let name = common::unique("tls-external");
    // No credentials in the URL at all.
    let url = format!("pika://127.0.0.1:{}/", ports[0]);
    let options = ssl_options(&[
        ("ca_certs", &pki.ca),
        ("certfile", &pki.client.cert),
        ("keyfile", &pki.client.key),
    ]);
    let t = tls_transport(&name, &url, &options, |b| {
        b.auth_mechanism(AuthMechanism::External)
    });
    let (_server, _started) = start_server(&t, &name).await;
    let client = t.rpc_client(Target::new(&name));
    let echoed: serde_json::Value = client
        .call(&Context::new(), "echo", &json!({"v": "mutual"}))
        .await
        .expect("a call over mutual TLS");
    assert_eq!(echoed, json!({"v": "mutual"}));
    let (ssl, user) = broker_view(rig, 0, &name).await;
    assert_eq!((ssl.as_str(), user.as_str()), ("true", CLIENT_USER));
}

/// Call through a transport that cannot connect: the call must fail with
/// `ConnectFailed` within [`FAILURE_BOUND`], though its own timeout is 30 s, naming
/// the host and never the password. Returns the failure.
async fn refused_call(
    url: &str,
    port: u16,
    ssl: Option<&str>,
    configure: impl FnOnce(warren::ConfigBuilder) -> warren::ConfigBuilder,
) -> ConnectFailure {
    let name = common::unique("tls-refused");
    let ssl = ssl.map(str::to_owned);
    let t = common::transport_on(url, &name, move |b| {
        let b = b.rpc_response_timeout(Duration::from_secs(30));
        let b = match ssl {
            Some(options) => b.ssl(true).set(Section::Pika, "ssl_options", options),
            None => b,
        };
        configure(b)
    });
    let client = t.rpc_client(Target::new(&name));
    let started = Instant::now();
    let result: Result<serde_json::Value, Error> =
        client.call(&Context::new(), "echo", &json!({})).await;
    let took = started.elapsed();
    let e = result.expect_err("the connection is refused");
    let shown = format!("{e} {e:?}");
    assert!(
        took <= FAILURE_BOUND,
        "told after {took:?} (bound {FAILURE_BOUND:?}): {e}"
    );
    assert!(!shown.contains("s3cret"), "the password leaked: {shown}");
    match e {
        Error::ConnectFailed { host, failure } => {
            assert!(
                host.ends_with(&format!(":{port}")),
                "names the host: {host} for {url}"
            );
            println!("FIGURE {failure:?} told after {took:?}: {shown}");
            failure
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

/// [`refused_call`] over TLS to `host:port` as guest, with `options`.
async fn refused_tls_call(host: &str, port: u16, options: &str) -> ConnectFailure {
    let url = format!("pika://guest:{PASSWORD}@{host}:{port}/");
    refused_call(&url, port, Some(options), |b| b).await
}

#[actix_rt::test]
async fn an_untrusted_ca_is_told_at_once() {
    let (_rig, pki, ports) = tls_rig();
    let f = refused_tls_call(
        "localhost",
        ports[0],
        &ssl_options(&[("ca_certs", &pki.other_ca)]),
    )
    .await;
    assert!(
        matches!(f, ConnectFailure::UntrustedCertificate { .. }),
        "{f:?}"
    );
}

#[actix_rt::test]
async fn an_expired_certificate_is_told_at_once() {
    let (_rig, pki, ports) = tls_rig();
    let f = refused_tls_call(
        "localhost",
        ports[1],
        &ssl_options(&[("ca_certs", &pki.ca)]),
    )
    .await;
    assert!(
        matches!(f, ConnectFailure::CertificateExpired { .. }),
        "{f:?}"
    );
}

#[actix_rt::test]
async fn a_certificate_for_another_host_is_told_at_once() {
    let (_rig, pki, ports) = tls_rig();
    let options = ssl_options(&[
        ("ca_certs", &pki.ca),
        ("certfile", &pki.client.cert),
        ("keyfile", &pki.client.key),
    ]);
    let f = refused_tls_call("localhost", ports[2], &options).await;
    assert!(
        matches!(&f, ConnectFailure::CertificateNameMismatch { server_name } if server_name == "localhost"),
        "{f:?}"
    );
}

#[actix_rt::test]
async fn a_missing_client_certificate_is_told_at_once() {
    let (_rig, pki, ports) = tls_rig();
    let options = format!(
        "{},server_hostname:elsewhere.invalid",
        ssl_options(&[("ca_certs", &pki.ca)])
    );
    let f = refused_tls_call("127.0.0.1", ports[2], &options).await;
    assert!(matches!(f, ConnectFailure::TlsRefused { .. }), "{f:?}");
}

#[actix_rt::test]
async fn tls_to_a_plain_port_is_told_at_once() {
    let (rig, pki, _ports) = tls_rig();
    let f = refused_tls_call(
        "localhost",
        rig.nodes[0].port,
        &ssl_options(&[("ca_certs", &pki.ca)]),
    )
    .await;
    assert!(matches!(f, ConnectFailure::NotTls { .. }), "{f:?}");
}

#[actix_rt::test]
async fn plain_to_a_tls_port_is_told_at_once() {
    let (_rig, _pki, ports) = tls_rig();
    let url = format!("pika://guest:{PASSWORD}@127.0.0.1:{}/", ports[0]);
    let f = refused_call(&url, ports[0], None, |b| b).await;
    assert!(matches!(f, ConnectFailure::NotAmqp { .. }), "{f:?}");
}

#[actix_rt::test]
async fn a_wrong_password_over_tls_is_told_at_once() {
    let (_rig, pki, ports) = tls_rig();
    let url = format!("pika://guest:s3cret-wrong@localhost:{}/", ports[0]);
    let f = refused_call(
        &url,
        ports[0],
        Some(&ssl_options(&[("ca_certs", &pki.ca)])),
        |b| b,
    )
    .await;
    assert!(
        matches!(&f, ConnectFailure::AccessRefused { username, .. } if username == "guest"),
        "{f:?}"
    );
}

#[actix_rt::test]
async fn an_unknown_virtual_host_over_tls_is_told_at_once() {
    let (_rig, pki, ports) = tls_rig();
    let url = format!(
        "pika://guest:{PASSWORD}@localhost:{}/no-such-vhost",
        ports[0]
    );
    let f = refused_call(
        &url,
        ports[0],
        Some(&ssl_options(&[("ca_certs", &pki.ca)])),
        |b| b,
    )
    .await;
    assert!(
        matches!(&f, ConnectFailure::VirtualHostRefused { vhost, .. } if vhost == "no-such-vhost"),
        "{f:?}"
    );
}

#[actix_rt::test]
async fn a_notification_is_told_of_an_untrusted_ca_at_once_too() {
    let (_rig, pki, ports) = tls_rig();
    let url = format!("pika://guest:{PASSWORD}@localhost:{}/", ports[0]);
    let t = tls_transport(
        &common::unique("tls-notify-refused"),
        &url,
        &ssl_options(&[("ca_certs", &pki.other_ca)]),
        |b| b,
    );
    let started = Instant::now();
    // Retried forever by default, yet told at once: retrying cannot fix a CA.
    let sent = t
        .notifier("tls")
        .with_topics(["wtest-tls-refused"])
        .info(&Context::new(), "tls.refused", &json!(1))
        .await;
    let took = started.elapsed();
    assert!(took <= FAILURE_BOUND, "told after {took:?}");
    match sent {
        Err(Error::ConnectFailed {
            failure: ConnectFailure::UntrustedCertificate { .. },
            ..
        }) => {}
        other => panic!("expected ConnectFailed(UntrustedCertificate), got {other:?}"),
    }
}
