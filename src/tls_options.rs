//! [`TlsOptions`]: `ssl_options` read into what a TLS client needs.
//!
//! The Pika driver hands `ssl_options` to Python's `ssl.wrap_socket` as keyword
//! arguments. warren reads the same keys, with two deliberate differences: the server's
//! certificate is verified by default (`wrap_socket` verifies nothing unless told to),
//! and its host name is checked against the certificate whenever it is verified.

use std::fmt;
use std::path::PathBuf;

use crate::ssl_options::SslOptions;

/// The `ssl_options` keys warren reads.
pub const SSL_OPTION_KEYS: &[&str] = &[
    "ca_certs",
    "certfile",
    "keyfile",
    "cert_reqs",
    "ssl_version",
    "server_hostname",
];

/// `cert_reqs`: whether the broker's certificate is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertReqs {
    /// `CERT_NONE` (or `0`): any certificate is accepted. The connection is encrypted
    /// but anyone on the path can pose as the broker; warren logs a warning.
    None,
    /// `CERT_REQUIRED` (or `2`; `CERT_OPTIONAL`, `1`, means the same for a client, as
    /// in Python): the certificate must chain to `ca_certs` (or the system's roots)
    /// and name the host. The default.
    #[default]
    Required,
}

/// `ssl_version`: the TLS versions offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.2 or 1.3, whichever the broker prefers (`PROTOCOL_TLS`,
    /// `PROTOCOL_TLS_CLIENT`, `PROTOCOL_SSLv23`). The default.
    #[default]
    Tls12OrLater,
    /// TLS 1.2 only (`PROTOCOL_TLSv1_2`).
    Tls12,
    /// TLS 1.3 only (`PROTOCOL_TLSv1_3`).
    Tls13,
}

/// What is wrong with `ssl_options`; never shows a value that could be secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SslOptionsProblem {
    /// A key warren does not read.
    #[error(
        "ssl_options key `{key}` is not supported; accepted: {}",
        SSL_OPTION_KEYS.join(", ")
    )]
    UnknownKey {
        /// The key as written.
        key: String,
    },
    /// A `cert_reqs` other than the `ssl` module's three.
    #[error("ssl_options cert_reqs must be CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED (or 0, 1, 2)")]
    BadCertReqs,
    /// An `ssl_version` that names no TLS version, or one older than TLS 1.2.
    #[error(
        "ssl_options ssl_version must be PROTOCOL_TLS, PROTOCOL_TLS_CLIENT, PROTOCOL_SSLv23, \
         PROTOCOL_TLSv1_2 or PROTOCOL_TLSv1_3; SSL 3, TLS 1.0 and TLS 1.1 are not offered \
         (they are broken, and RabbitMQ 3.9+ refuses them by default)"
    )]
    BadSslVersion,
    /// `keyfile` without `certfile`.
    #[error("ssl_options sets keyfile but not certfile: a client key needs its certificate")]
    KeyWithoutCertificate,
    /// A key with an empty value.
    #[error("ssl_options key `{key}` is empty")]
    Empty {
        /// The key.
        key: String,
    },
}

/// `ssl_options`, typed. File names are kept as given; the TLS layer reads the files
/// when a transport is built.
///
/// # Examples
///
/// ```
/// use warren_core::{CertReqs, SslOptions, TlsOptions};
/// let o = SslOptions::from_pairs([("ca_certs", "/etc/ca.pem"), ("cert_reqs", "CERT_REQUIRED")]);
/// let tls = TlsOptions::from_ssl_options(Some(&o)).unwrap();
/// assert_eq!(tls.cert_reqs, CertReqs::Required);
/// assert_eq!(tls.ca_certs.unwrap().to_str(), Some("/etc/ca.pem"));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// PEM file of the CA certificates to trust; `None`: the system's roots.
    pub ca_certs: Option<PathBuf>,
    /// PEM file of the client certificate chain (mutual TLS); it may hold the key too.
    pub certfile: Option<PathBuf>,
    /// PEM file of the client's private key, when not in `certfile`.
    pub keyfile: Option<PathBuf>,
    /// Whether to verify the broker's certificate.
    pub cert_reqs: CertReqs,
    /// The TLS versions offered.
    pub ssl_version: TlsVersions,
    /// The name the broker's certificate must carry; `None`: the host of the URL.
    pub server_hostname: Option<String>,
}

impl TlsOptions {
    /// Read `ssl_options` (none: every default).
    pub fn from_ssl_options(options: Option<&SslOptions>) -> Result<Self, SslOptionsProblem> {
        let mut tls = TlsOptions::default();
        for (key, value) in options.map(SslOptions::expose).into_iter().flatten() {
            let value = value.trim();
            if value.is_empty() {
                return Err(SslOptionsProblem::Empty { key: key.clone() });
            }
            match key.as_str() {
                "ca_certs" => tls.ca_certs = Some(value.into()),
                "certfile" => tls.certfile = Some(value.into()),
                "keyfile" => tls.keyfile = Some(value.into()),
                "cert_reqs" => tls.cert_reqs = cert_reqs(value)?,
                "ssl_version" => tls.ssl_version = ssl_version(value)?,
                "server_hostname" => tls.server_hostname = Some(value.to_owned()),
                _ => return Err(SslOptionsProblem::UnknownKey { key: key.clone() }),
            }
        }
        if tls.keyfile.is_some() && tls.certfile.is_none() {
            return Err(SslOptionsProblem::KeyWithoutCertificate);
        }
        Ok(tls)
    }
}

/// Python's names with or without the `ssl.` prefix, or their numbers.
fn cert_reqs(value: &str) -> Result<CertReqs, SslOptionsProblem> {
    match value.trim_start_matches("ssl.") {
        "CERT_NONE" | "0" => Ok(CertReqs::None),
        "CERT_OPTIONAL" | "1" | "CERT_REQUIRED" | "2" => Ok(CertReqs::Required),
        _ => Err(SslOptionsProblem::BadCertReqs),
    }
}

fn ssl_version(value: &str) -> Result<TlsVersions, SslOptionsProblem> {
    match value.trim_start_matches("ssl.") {
        "PROTOCOL_TLS" | "PROTOCOL_TLS_CLIENT" | "PROTOCOL_SSLv23" => Ok(TlsVersions::Tls12OrLater),
        "PROTOCOL_TLSv1_2" => Ok(TlsVersions::Tls12),
        "PROTOCOL_TLSv1_3" => Ok(TlsVersions::Tls13),
        _ => Err(SslOptionsProblem::BadSslVersion),
    }
}

impl fmt::Debug for TlsOptions {
    // File names can say more than an operator wants logged; show only what is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("ca_certs", &self.ca_certs.as_ref().map(|_| "***"))
            .field("certfile", &self.certfile.as_ref().map(|_| "***"))
            .field("keyfile", &self.keyfile.as_ref().map(|_| "***"))
            .field("cert_reqs", &self.cert_reqs)
            .field("ssl_version", &self.ssl_version)
            .field("server_hostname", &self.server_hostname)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<TlsOptions, SslOptionsProblem> {
        TlsOptions::from_ssl_options(Some(&SslOptions::from_pairs(pairs.iter().copied())))
    }

    #[test]
    fn no_options_verify_against_the_system_roots() {
        let tls = TlsOptions::from_ssl_options(None).unwrap();
        assert_eq!(tls, TlsOptions::default());
        assert_eq!(tls.cert_reqs, CertReqs::Required);
        assert_eq!(tls.ssl_version, TlsVersions::Tls12OrLater);
        assert!(tls.ca_certs.is_none() && tls.server_hostname.is_none());
    }

    #[test]
    fn every_key_is_read() {
        let tls = parse(&[
            ("ca_certs", "/ca.pem"),
            ("certfile", "/c.pem"),
            ("keyfile", "/k.pem"),
            ("cert_reqs", "ssl.CERT_NONE"),
            ("ssl_version", "PROTOCOL_TLSv1_3"),
            ("server_hostname", "rabbit.example"),
        ])
        .unwrap();
        assert_eq!(tls.ca_certs, Some("/ca.pem".into()));
        assert_eq!(tls.certfile, Some("/c.pem".into()));
        assert_eq!(tls.keyfile, Some("/k.pem".into()));
        assert_eq!(tls.cert_reqs, CertReqs::None);
        assert_eq!(tls.ssl_version, TlsVersions::Tls13);
        assert_eq!(tls.server_hostname.as_deref(), Some("rabbit.example"));
    }

    #[test]
    fn cert_reqs_take_python_names_and_numbers_and_optional_means_required() {
        for (written, read) in [
            ("CERT_NONE", CertReqs::None),
            ("0", CertReqs::None),
            ("CERT_OPTIONAL", CertReqs::Required),
            ("1", CertReqs::Required),
            ("ssl.CERT_REQUIRED", CertReqs::Required),
            ("2", CertReqs::Required),
        ] {
            assert_eq!(parse(&[("cert_reqs", written)]).unwrap().cert_reqs, read);
        }
        assert_eq!(
            parse(&[("cert_reqs", "maybe")]),
            Err(SslOptionsProblem::BadCertReqs)
        );
    }

    #[test]
    fn versions_before_tls_1_2_are_refused() {
        for old in ["PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "PROTOCOL_SSLv3", "2"] {
            assert_eq!(
                parse(&[("ssl_version", old)]),
                Err(SslOptionsProblem::BadSslVersion),
                "{old}"
            );
        }
        for (written, read) in [
            ("PROTOCOL_TLS", TlsVersions::Tls12OrLater),
            ("PROTOCOL_SSLv23", TlsVersions::Tls12OrLater),
            ("ssl.PROTOCOL_TLSv1_2", TlsVersions::Tls12),
        ] {
            assert_eq!(
                parse(&[("ssl_version", written)]).unwrap().ssl_version,
                read
            );
        }
    }

    #[test]
    fn unknown_and_empty_keys_and_a_lone_key_are_refused_without_showing_values() {
        let e = parse(&[("password", "topsecret")]).unwrap_err();
        assert_eq!(
            e,
            SslOptionsProblem::UnknownKey {
                key: "password".into()
            }
        );
        assert!(!e.to_string().contains("topsecret"));
        assert!(e.to_string().contains("ca_certs, certfile, keyfile"));
        assert_eq!(
            parse(&[("certfile", " ")]),
            Err(SslOptionsProblem::Empty {
                key: "certfile".into()
            })
        );
        assert_eq!(
            parse(&[("keyfile", "/k.pem")]),
            Err(SslOptionsProblem::KeyWithoutCertificate)
        );
    }

    #[test]
    fn debug_shows_no_file_names() {
        let tls = parse(&[("keyfile", "/secret/k.pem"), ("certfile", "/c.pem")]).unwrap();
        let shown = format!("{tls:?}");
        assert!(
            !shown.contains("/secret") && !shown.contains("/c.pem"),
            "{shown}"
        );
    }
}
