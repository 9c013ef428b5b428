//! `warren config`: JSON of the effective configuration, redaction, exit status 2.

mod common;

use std::process::{Command, Output};

const SECRET: &str = "Cli5ecretPassw0rd";

/// A configuration file of these tests, `cli_config_<name>.conf`.
fn write_conf(name: &str, text: &str) -> std::path::PathBuf {
    common::write_conf(&format!("cli_config_{name}"), text)
}

fn warren(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warren"))
        .args(args)
        .output()
        .expect("the warren binary runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_no_secret(output: &Output) {
    let (stdout, stderr) = text(output);
    assert!(!stdout.contains(SECRET), "password on stdout: {stdout}");
    assert!(!stderr.contains(SECRET), "password on stderr: {stderr}");
}

#[test]
fn prints_the_effective_configuration_of_a_file() {
    let path = write_conf(
        "sample",
        &format!(
            "# a service file\n[DEFAULT]\ntransport_url = pika://nova:{SECRET}@rabbit1:5672,rabbit2:5673/prod?rpc_queue_expiration=30\n\
             control_exchange = nova\ndebug = true\n\n[oslo_messaging_pika]\nheartbeat_interval = 2\npool_max_size = 4\n\
             rpc_queue_expiration = 90\nheartbeat_intervall = 5\n\n[database]\nconnection = mysql://x:{SECRET}@db/nova\n"
        ),
    );
    let output = warren(&["config", "--config-file", path.to_str().unwrap()]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_no_secret(&output);
    let (stdout, stderr) = text(&output);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");

    let url = &json["DEFAULT"]["transport_url"];
    assert_eq!(
        url["url"],
        "pika://nova:***@rabbit1:5672,nova:***@rabbit2:5673/prod?rpc_queue_expiration=30"
    );
    assert_eq!(url["virtual_host"], "prod");
    assert_eq!(
        url["hosts"],
        serde_json::json!([
            {"host": "rabbit1", "port": 5672, "username": "nova"},
            {"host": "rabbit2", "port": 5673, "username": "nova"},
        ])
    );
    assert_eq!(json["DEFAULT"]["control_exchange"], "nova");
    let pika = &json["oslo_messaging_pika"];
    assert_eq!(pika["heartbeat_interval"], 2.0);
    assert_eq!(pika["pool_max_size"], 4);
    // The URL query beats the file.
    assert_eq!(pika["rpc_queue_expiration"], 30.0);
    assert_eq!(pika["default_rpc_exchange"], "nova_rpc");
    assert_eq!(pika["socket_timeout"], 0.25);
    assert_eq!(
        json["oslo_messaging_notifications"]["topics"],
        serde_json::json!(["notifications"])
    );
    // Unknown options of our sections are warned about, not fatal.
    assert!(
        stderr.contains("heartbeat_intervall") && stderr.contains("line 11"),
        "{stderr}"
    );
}

#[test]
fn transport_url_flag_overrides_the_file() {
    let path = write_conf(
        "override",
        "[DEFAULT]\ntransport_url = pika://a:b@file-host/\n",
    );
    let url = format!("pika://u:{SECRET}@flag-host:5680/?connection_factory=new");
    let output = warren(&[
        "config",
        "--config-file",
        path.to_str().unwrap(),
        "--transport-url",
        &url,
    ]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_no_secret(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["DEFAULT"]["transport_url"]["hosts"][0]["host"],
        "flag-host"
    );
    assert_eq!(json["oslo_messaging_pika"]["connection_factory"], "new");
}

#[test]
fn defaults_without_any_input() {
    let output = warren(&["config"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["DEFAULT"]["transport_url"], serde_json::Value::Null);
    assert_eq!(json["oslo_messaging_pika"]["heartbeat_interval"], 1.0);
    assert_eq!(json["oslo_messaging_pika"]["pool_max_size"], 10);
}

#[test]
fn bad_url_exits_2_without_the_password() {
    for url in [
        format!("rabbit://u:{SECRET}@h:5672/"),
        format!("pika://u:{SECRET}@h:notaport/"),
        format!("pika://u:{SECRET}@h/?no_such_option=1"),
    ] {
        let output = warren(&["config", "--transport-url", &url]);
        assert_eq!(output.status.code(), Some(2), "{url}: {:?}", text(&output));
        assert_no_secret(&output);
        let (stdout, stderr) = text(&output);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.starts_with("warren config: "), "{stderr}");
    }
}

#[test]
fn bad_file_exits_2_naming_file_and_line() {
    let path = write_conf(
        "bad",
        &format!(
            "[DEFAULT]\ntransport_url = pika://u:{SECRET}@h/\n[oslo_messaging_pika]\nrpc_retry_delay = -1\n"
        ),
    );
    let output = warren(&["config", "--config-file", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert_no_secret(&output);
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("rpc_retry_delay") && stderr.contains("line 4"),
        "{stderr}"
    );

    let output = warren(&["config", "--config-file", "/nonexistent/warren.conf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("/nonexistent/warren.conf"));
}
