//! The TLS and authentication options: `ssl_options` keys and `auth_mechanism`.

use super::*;
use crate::config_error::ValueProblem;
use crate::tls_options::{CertReqs, SslOptionsProblem, TlsOptions, TlsVersions};

const SECRET: &str = "Sup3rSecretPw";

fn build_file(text: &str) -> Result<Config, ConfigError> {
    ConfigBuilder::from_ini_str(text, "test.conf")
        .unwrap()
        .build()
}

fn error_of(text: &str) -> ConfigError {
    let err = build_file(text).expect_err("this configuration is invalid");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET), "secret leaked: {shown}");
    err
}

#[test]
fn ssl_options_are_typed_from_the_file_and_the_url_query() {
    let c = build_file(
        "[oslo_messaging_pika]\nssl = true\n\
         ssl_options = ca_certs:/ca.pem,cert_reqs:CERT_REQUIRED,ssl_version:PROTOCOL_TLSv1_2\n",
    )
    .unwrap();
    let tls = TlsOptions::from_ssl_options(c.pika.ssl_options.as_ref()).unwrap();
    assert_eq!(tls.ca_certs, Some("/ca.pem".into()));
    assert_eq!(tls.ssl_version, TlsVersions::Tls12);

    let c = ConfigBuilder::new()
        .transport_url(
            "pika://h/?ssl=true&ssl_options=cert_reqs:CERT_NONE"
                .parse()
                .unwrap(),
        )
        .build()
        .unwrap();
    let tls = TlsOptions::from_ssl_options(c.pika.ssl_options.as_ref()).unwrap();
    assert_eq!(tls.cert_reqs, CertReqs::None);
}

#[test]
fn an_unknown_ssl_options_key_names_the_key_and_the_line_not_the_value() {
    let err = error_of(&format!(
        "[oslo_messaging_pika]\nssl = true\nssl_options = certfile:/c.pem,password:{SECRET}\n"
    ));
    match &err {
        ConfigError::InvalidValue {
            at,
            value: None,
            problem: ValueProblem::SslOptions(SslOptionsProblem::UnknownKey { key }),
        } => {
            assert_eq!(key, "password");
            assert_eq!(at.option, "ssl_options");
            assert_eq!(
                at.origin,
                Origin::File {
                    file: "test.conf".into(),
                    line: 3
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("accepted: ca_certs"), "{err}");
}

#[test]
fn auth_mechanism_defaults_to_plain_and_external_needs_a_client_certificate() {
    let c = build_file("").unwrap();
    assert_eq!(c.pika.auth_mechanism, AuthMechanism::Plain);

    for text in [
        "[oslo_messaging_pika]\nauth_mechanism = EXTERNAL\n",
        "[oslo_messaging_pika]\nauth_mechanism = EXTERNAL\nssl = true\nssl_options = ca_certs:/ca.pem\n",
    ] {
        let err = error_of(text);
        assert!(
            matches!(&err, ConfigError::ExternalAuthWithoutCertificate { at } if at.option == "auth_mechanism"),
            "{err:?}"
        );
        assert!(err.to_string().contains("certfile"), "{err}");
    }
    let c = ConfigBuilder::new()
        .ssl(true)
        .set(
            Section::Pika,
            "ssl_options",
            "certfile:/c.pem,keyfile:/k.pem",
        )
        .auth_mechanism(AuthMechanism::External)
        .build()
        .unwrap();
    assert_eq!(c.pika.auth_mechanism, AuthMechanism::External);

    let err = error_of("[oslo_messaging_pika]\nauth_mechanism = KERBEROS\n");
    assert!(err.to_string().contains("PLAIN, EXTERNAL"), "{err}");
}
