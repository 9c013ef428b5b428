//! The password of the transport URL appears nowhere: not in the logs (every crate, at
//! TRACE), not in an error's message or `Debug`, not in the configuration's `Debug` or
//! JSON, through a whole session — connect, calls, a notification, a reconnect after
//! the broker drops the connection, a refused virtual host and a refused login.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use warren::{Config, Context, Error, Priority, RemoteError, RpcServer, Target};

/// The password under test; it must never be seen.
const PASSWORD: &str = "Wr3n-s3cret_pw";

/// Everything logged, by every crate, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// A broker user with [`PASSWORD`], removed when dropped.
struct User(String);

impl User {
    fn create() -> Self {
        let name = common::unique("secret-user");
        common::rabbitmqctl(&["add_user", &name, PASSWORD]);
        common::rabbitmqctl(&["set_permissions", "-p", "/", &name, ".*", ".*", ".*"]);
        User(name)
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["-q", "delete_user", &self.0])
            .output();
    }
}

fn config(url: &str) -> Config {
    Config::builder()
        .transport_url(url.parse().expect("valid URL"))
        .rpc_response_timeout(Duration::from_secs(5))
        .build()
        .expect("valid configuration")
}

#[actix_rt::test]
async fn the_url_password_is_never_logged_or_shown() {
    common::require_broker();
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let user = User::create();
    let mut shown = Vec::new();

    // A session: connect, serve, call, notify, lose the connection, call again.
    let url = format!("pika://{}:{PASSWORD}@127.0.0.1:5672/", user.0);
    let cfg = config(&url);
    shown.push(format!(
        "{cfg:?} {} {url_shown}",
        cfg.to_json(),
        url_shown = cfg.transport_url.as_ref().unwrap()
    ));
    let name = common::unique("secrets");
    let t = warren::Transport::builder(cfg)
        .connection_name(&name)
        .start()
        .expect("start");
    let endpoint = warren::Endpoint::new()
        .method("echo", |_ctx, a: serde_json::Value| async move {
            Ok::<_, RemoteError>(a)
        });
    let server =
        RpcServer::start(&t, Target::new(&name).with_server("s1"), vec![endpoint]).expect("server");
    server.ready().await.expect("server ready");
    let client = t.rpc_client(Target::new(&name));
    let echoed: serde_json::Value = client
        .call(&Context::new(), "echo", &json!({"v": 1}))
        .await
        .expect("call");
    assert_eq!(echoed, json!({"v": 1}));
    let topic = common::unique("secrets-topic");
    let (_l, mut rx) = common::payload_listener(&t, &topic, Priority::Info).await;
    t.notifier("secrets")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "secret.test", &json!("n"))
        .await
        .expect("notify");
    common::receive(&mut rx, 1, Duration::from_secs(30), "the notification").await;

    // The broker drops the connection; warren reconnects and the next call works.
    assert!(common::close_connections_named(&name) >= 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r: Result<serde_json::Value, Error> =
            client.call(&Context::new(), "echo", &json!({"v": 2})).await;
        match r {
            Ok(v) => {
                assert_eq!(v, json!({"v": 2}));
                break;
            }
            Err(e) => {
                shown.push(format!("{e} {e:?}"));
                assert!(tokio::time::Instant::now() < deadline, "no reconnect: {e}");
            }
        }
    }

    // Refusals: an unknown virtual host, then a wrong user with the same password.
    for refused_url in [
        format!(
            "pika://{}:{PASSWORD}@127.0.0.1:5672/wtest-no-such-vhost",
            user.0
        ),
        format!("pika://nobody-{}:{PASSWORD}@127.0.0.1:5672/", user.0),
    ] {
        let t = warren::Transport::builder(config(&refused_url))
            .connection_name(common::unique("secrets-refused"))
            .start()
            .expect("start");
        let r: Result<serde_json::Value, Error> = t
            .rpc_client(Target::new(&name))
            .call(&Context::new(), "echo", &json!({}))
            .await;
        let e = r.expect_err("refused");
        assert!(matches!(e, Error::ConnectFailed { .. }), "{e:?}");
        shown.push(format!("{e} {e:?}"));
        t.close().await;
    }
    server.stop().await;
    t.close().await;

    let logged = logs.text();
    assert!(
        logged.contains("connected to RabbitMQ")
            && logged.contains("reconnecting")
            && logged.contains("lapin::"),
        "the capture holds the session's logs:\n{logged}"
    );
    for (what, text) in [("logs", logged), ("errors and Debug", shown.join("\n"))] {
        assert!(
            !text.contains(PASSWORD),
            "the password appears in the {what}:\n{text}"
        );
    }
}
