//! [`TlsClient`]: the rustls client set-up built once from `ssl_options`, and the TLS
//! upgrade of a connected socket.
//!
//! The certificate and key files are read when the transport is built, so a missing or
//! unreadable file is a configuration error at start, not a reconnect loop.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_compat::Compat;
use lapin::tcp::{AsyncTcpStream, RustlsConnector};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use warren_core::{CertReqs, TlsOptions, TlsVersions};

use crate::Error;

/// The TLS set-up of every connection of a transport.
#[derive(Clone)]
pub(crate) struct TlsClient {
    connector: RustlsConnector,
    /// `ssl_options` `server_hostname`: the name to verify instead of the URL's host.
    server_hostname: Option<String>,
    verifies: bool,
    client_certificate: bool,
}

impl fmt::Debug for TlsClient {
    // Never the key: only what kind of TLS this is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("verifies", &self.verifies)
            .field("client_certificate", &self.client_certificate)
            .field("server_hostname", &self.server_hostname)
            .finish()
    }
}

fn config_error(reason: String) -> Error {
    Error::Config { reason }
}

impl TlsClient {
    /// Read the certificate and key files `options` name and build the client.
    pub(crate) fn new(options: &TlsOptions) -> Result<Self, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&'static rustls::SupportedProtocolVersion] = match options.ssl_version {
            TlsVersions::Tls12OrLater => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersions::Tls12 => &[&rustls::version::TLS12],
            TlsVersions::Tls13 => &[&rustls::version::TLS13],
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| config_error(format!("TLS set-up failed: {e}")))?;
        let builder = match options.cert_reqs {
            CertReqs::Required => builder.with_root_certificates(roots(options)?),
            CertReqs::None => {
                tracing::warn!(
                    "ssl_options cert_reqs = CERT_NONE: the broker's certificate is not \
                     verified, so anyone on the network path can pose as the broker"
                );
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                        provider.signature_verification_algorithms,
                    )))
            }
        };
        let config = match &options.certfile {
            Some(certfile) => {
                let chain = certificates(certfile, "certfile")?;
                let keyfile = options.keyfile.as_deref().unwrap_or(certfile);
                let key = PrivateKeyDer::from_pem_file(keyfile).map_err(|e| {
                    config_error(format!(
                        "ssl_options keyfile {}: no unencrypted private key could be read \
                         ({e}); give a PEM file with a PKCS#8, PKCS#1 or SEC1 key (encrypted \
                         keys are not supported)",
                        keyfile.display()
                    ))
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    config_error(format!(
                        "ssl_options certfile and keyfile do not make a usable client \
                         certificate: {e}"
                    ))
                })?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Self {
            connector: RustlsConnector::from(Arc::new(config)),
            server_hostname: options.server_hostname.clone(),
            verifies: options.cert_reqs == CertReqs::Required,
            client_certificate: options.certfile.is_some(),
        })
    }

    /// A client that accepts any certificate, only to learn whether a port speaks
    /// TLS at all; never used for a connection.
    pub(crate) fn prober() -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth();
        Self {
            connector: RustlsConnector::from(Arc::new(config)),
            server_hostname: None,
            verifies: false,
            client_certificate: false,
        }
    }

    /// The name the broker's certificate must carry when connecting to `host`.
    pub(crate) fn server_name<'a>(&'a self, host: &'a str) -> &'a str {
        self.server_hostname.as_deref().unwrap_or(host)
    }

    /// Run the TLS handshake on a connected socket.
    pub(crate) async fn upgrade(
        &self,
        stream: AsyncTcpStream<Compat<tokio::net::TcpStream>>,
        host: &str,
    ) -> std::io::Result<AsyncTcpStream<Compat<tokio::net::TcpStream>>> {
        stream
            .into_rustls(&self.connector, self.server_name(host))
            .await
    }
}

/// `ca_certs`, or the system's trusted roots when it is not set.
fn roots(options: &TlsOptions) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match &options.ca_certs {
        Some(file) => {
            for certificate in certificates(file, "ca_certs")? {
                roots.add(certificate).map_err(|e| {
                    config_error(format!(
                        "ssl_options ca_certs {}: a certificate is unusable: {e}",
                        file.display()
                    ))
                })?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(config_error(
                    "TLS: no ssl_options ca_certs and no trusted CA certificates found on \
                     this system: set ca_certs to the PEM file of the CA that signed the \
                     broker's certificate"
                        .to_owned(),
                ));
            }
        }
    }
    Ok(roots)
}

/// Every certificate of the PEM file `file`, given as ssl_options `key`.
fn certificates(file: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let read = CertificateDer::pem_file_iter(file)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>());
    match read {
        Ok(certificates) if !certificates.is_empty() => Ok(certificates),
        Ok(_) => Err(config_error(format!(
            "ssl_options {key} {}: the file holds no PEM certificate",
            file.display()
        ))),
        Err(e) => Err(config_error(format!(
            "ssl_options {key} {}: cannot read PEM certificates: {e}",
            file.display()
        ))),
    }
}

/// `cert_reqs = CERT_NONE`: any certificate is accepted; the handshake's signatures
/// are still checked, so the session is at least bound to the key presented.
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_configuration_errors_naming_the_option() {
        let options = TlsOptions {
            ca_certs: Some("/nonexistent/ca.pem".into()),
            ..TlsOptions::default()
        };
        let e = TlsClient::new(&options).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
        assert!(
            e.to_string().contains("ca_certs /nonexistent/ca.pem"),
            "{e}"
        );
    }

    #[test]
    fn cert_none_builds_without_any_file_and_shows_no_key_material() {
        let options = TlsOptions {
            cert_reqs: CertReqs::None,
            server_hostname: Some("rabbit".into()),
            ..TlsOptions::default()
        };
        let tls = TlsClient::new(&options).unwrap();
        assert_eq!(tls.server_name("10.0.0.1"), "rabbit");
        assert!(format!("{tls:?}").contains("verifies: false"));
    }
}
