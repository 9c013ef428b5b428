//! [`ConnectFailure`]: why one connection attempt failed, read from lapin's and
//! rustls's errors, so a caller is told the cause and what to do about it.

use std::fmt;
use std::io;
use std::time::Duration;

use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};
use rustls::{AlertDescription, CertificateError};
use warren_core::AuthMechanism;

/// Why a connection attempt to one broker host failed.
///
/// [`ConnectFailure::needs_operator`] tells the failures that repeat until someone
/// changes the configuration, the certificates or the broker's users (a wrong CA, a
/// refused login); the others pass when the broker comes back. Never holds a password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// The host could not be reached: connection refused, no route, a name that does
    /// not resolve, or the connection dropped before the broker answered.
    Unreachable {
        /// The operating system's or lapin's words.
        detail: String,
    },
    /// The attempt (TCP, TLS and AMQP handshakes) did not finish in time.
    TimedOut {
        /// The time allowed: `socket_timeout` + 1 s.
        after: Duration,
    },
    /// The broker's certificate does not chain to a trusted CA.
    UntrustedCertificate {
        /// rustls's words.
        detail: String,
    },
    /// The broker's certificate has expired or is not valid yet.
    CertificateExpired {
        /// rustls's words.
        detail: String,
    },
    /// The broker's certificate does not name the host connected to.
    CertificateNameMismatch {
        /// The name checked: `server_hostname` or the URL's host.
        server_name: String,
    },
    /// The broker ended the TLS handshake with an alert: it wants a client
    /// certificate, refused the one sent, or shares no TLS version with warren.
    TlsRefused {
        /// The alert.
        alert: String,
    },
    /// `ssl = true`, but the host answered without TLS: a plain AMQP port.
    NotTls {
        /// rustls's words.
        detail: String,
    },
    /// `ssl = false`, but the host answered with something other than AMQP, or closed
    /// the connection at the first bytes: most likely a TLS port.
    NotAmqp {
        /// lapin's words.
        detail: String,
    },
    /// The broker refused the login (`ACCESS_REFUSED`).
    AccessRefused {
        /// The user name tried (`EXTERNAL`: the one in the client certificate).
        username: String,
        /// The SASL mechanism used.
        mechanism: AuthMechanism,
    },
    /// The broker refused the virtual host (`NOT_ALLOWED`): it does not exist, or the
    /// user has no permission on it.
    VirtualHostRefused {
        /// The virtual host asked for.
        vhost: String,
        /// The broker's words.
        detail: String,
    },
    /// Anything else lapin reported.
    Other {
        /// lapin's words.
        detail: String,
    },
}

impl ConnectFailure {
    /// Whether the failure repeats until an operator acts: certificates, TLS set-up,
    /// credentials or the virtual host. Calls then fail at once with
    /// [`crate::Error::ConnectFailed`] instead of waiting for a broker that will keep
    /// refusing them; the connection keeps trying, so a fix takes effect without a
    /// restart.
    pub fn needs_operator(&self) -> bool {
        !matches!(
            self,
            ConnectFailure::Unreachable { .. }
                | ConnectFailure::TimedOut { .. }
                | ConnectFailure::Other { .. }
        )
    }

    /// Read a failed attempt's lapin error. `tls`: whether TLS was asked for;
    /// `username`, `mechanism`, `vhost`, `server_name`: what was presented.
    pub(crate) fn from_lapin(error: &lapin::Error, attempt: &Attempt<'_>) -> Self {
        match error.kind() {
            lapin::ErrorKind::ProtocolError(amqp) => {
                let detail = amqp.get_message().to_string();
                match amqp.kind() {
                    AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED)
                    | AMQPErrorKind::Hard(AMQPHardError::NOTALLOWED)
                        if detail.contains("vhost") =>
                    {
                        ConnectFailure::VirtualHostRefused {
                            vhost: attempt.vhost.to_owned(),
                            detail,
                        }
                    }
                    AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED) => {
                        ConnectFailure::AccessRefused {
                            username: attempt.username.to_owned(),
                            mechanism: attempt.mechanism,
                        }
                    }
                    _ => ConnectFailure::Other { detail },
                }
            }
            lapin::ErrorKind::IOError(io) => Self::from_io(io, attempt),
            lapin::ErrorKind::ParsingError(_) | lapin::ErrorKind::InvalidProtocolVersion(_)
                if !attempt.tls =>
            {
                ConnectFailure::NotAmqp {
                    detail: error.to_string(),
                }
            }
            _ => ConnectFailure::Other {
                detail: error.to_string(),
            },
        }
    }

    /// Read an I/O error of the socket, the TLS handshake or the AMQP handshake.
    pub(crate) fn from_io(error: &io::Error, attempt: &Attempt<'_>) -> Self {
        if let Some(tls) = rustls_error(error) {
            return Self::from_rustls(tls, attempt);
        }
        // A connection dropped before the broker answered: a broker going down, a load
        // balancer whose brokers are down, or a TLS listener given a plain AMQP header.
        // Only a TLS probe tells the last apart (see `connect`); until then, transient.
        ConnectFailure::Unreachable {
            detail: error.to_string(),
        }
    }

    fn from_rustls(error: &rustls::Error, attempt: &Attempt<'_>) -> Self {
        let detail = error.to_string();
        match error {
            rustls::Error::InvalidCertificate(certificate) => match certificate {
                CertificateError::UnknownIssuer
                | CertificateError::BadSignature
                | CertificateError::InvalidPurpose
                | CertificateError::UnhandledCriticalExtension => {
                    ConnectFailure::UntrustedCertificate { detail }
                }
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => {
                    ConnectFailure::CertificateExpired { detail }
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    ConnectFailure::CertificateNameMismatch {
                        server_name: attempt.server_name.to_owned(),
                    }
                }
                _ => ConnectFailure::UntrustedCertificate { detail },
            },
            rustls::Error::AlertReceived(alert) => ConnectFailure::TlsRefused {
                alert: alert_words(*alert),
            },
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                ConnectFailure::NotTls { detail }
            }
            _ => ConnectFailure::Other { detail },
        }
    }
}

/// Whether `error` is the peer dropping the connection before answering (a reset or
/// an early end of stream), as RabbitMQ's TLS listener does to a plain AMQP header.
pub(crate) fn dropped_unanswered(error: &lapin::Error) -> bool {
    match error.kind() {
        lapin::ErrorKind::IOError(io) => {
            rustls_error(io).is_none()
                && matches!(
                    io.kind(),
                    io::ErrorKind::UnexpectedEof
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                )
        }
        _ => false,
    }
}

/// Whether `error` is a TLS alert from the peer: only a TLS server sends one.
pub(crate) fn is_tls_alert(error: &io::Error) -> bool {
    matches!(rustls_error(error), Some(rustls::Error::AlertReceived(_)))
}

/// What a connection attempt presented, for reading its failure.
pub(crate) struct Attempt<'a> {
    pub(crate) tls: bool,
    pub(crate) username: &'a str,
    pub(crate) mechanism: AuthMechanism,
    pub(crate) vhost: &'a str,
    pub(crate) server_name: &'a str,
}

/// The rustls error somewhere in `error`'s chain.
fn rustls_error(error: &io::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
        {
            source = Some(inner as _);
            continue;
        }
        source = e.source();
    }
    None
}

fn alert_words(alert: AlertDescription) -> String {
    let hint = match alert {
        AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure => {
            " (the broker may require a client certificate: set certfile and keyfile in \
             ssl_options)"
        }
        AlertDescription::UnknownCA | AlertDescription::BadCertificate => {
            " (the broker does not trust the client certificate: have it signed by a CA in \
             the broker's cacertfile)"
        }
        AlertDescription::CertificateExpired => " (the client certificate has expired)",
        AlertDescription::ProtocolVersion => {
            " (no TLS version in common: check ssl_version and the broker's ssl_options.versions)"
        }
        _ => "",
    };
    format!("{alert:?}{hint}")
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectFailure::Unreachable { detail } => write!(
                f,
                "the host is unreachable ({detail}); warren keeps trying the URL's hosts"
            ),
            ConnectFailure::TimedOut { after } => write!(
                f,
                "the TCP, TLS and AMQP handshakes did not finish within {after:?} \
                 (socket_timeout + 1 s); the host may be overloaded or not a RabbitMQ port"
            ),
            ConnectFailure::UntrustedCertificate { detail } => write!(
                f,
                "TLS: the broker's certificate is not trusted ({detail}): set ssl_options \
                 ca_certs to the PEM file of the CA that signed it"
            ),
            ConnectFailure::CertificateExpired { detail } => write!(
                f,
                "TLS: the broker's certificate is outside its validity period ({detail}): \
                 renew the broker's certificate (or check this machine's clock)"
            ),
            ConnectFailure::CertificateNameMismatch { server_name } => write!(
                f,
                "TLS: the broker's certificate is not valid for {server_name:?}: connect by a \
                 name the certificate carries, or set ssl_options server_hostname to one"
            ),
            ConnectFailure::TlsRefused { alert } => {
                write!(
                    f,
                    "TLS: the broker refused the handshake with alert {alert}"
                )
            }
            ConnectFailure::NotTls { detail } => write!(
                f,
                "TLS: the host did not answer with TLS ({detail}): it is a plain AMQP port; \
                 use the broker's TLS port (usually 5671) or set ssl = false"
            ),
            ConnectFailure::NotAmqp { detail } => write!(
                f,
                "the host did not answer as an AMQP broker ({detail}): if it is a TLS port \
                 (usually 5671), set ssl = true in [oslo_messaging_pika] or ?ssl=true in the URL"
            ),
            ConnectFailure::AccessRefused {
                username,
                mechanism,
            } => write!(
                f,
                "the broker refused the login of user {username:?} ({mechanism}): check the \
                 user name and password of the transport URL (for EXTERNAL, the client \
                 certificate's name) against `rabbitmqctl list_users`"
            ),
            ConnectFailure::VirtualHostRefused { vhost, detail } => write!(
                f,
                "the broker refused virtual host {vhost:?} ({detail}): check the URL's path \
                 against `rabbitmqctl list_vhosts` and the user's permissions \
                 (`rabbitmqctl list_user_permissions`)"
            ),
            ConnectFailure::Other { detail } => f.write_str(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use lapin::protocol::AMQPError;

    use super::*;

    fn attempt(tls: bool) -> Attempt<'static> {
        Attempt {
            tls,
            username: "nova",
            mechanism: AuthMechanism::Plain,
            vhost: "prod",
            server_name: "rabbit.example",
        }
    }

    fn refused(kind: AMQPErrorKind, text: &str) -> lapin::Error {
        lapin::ErrorKind::ProtocolError(AMQPError::new(kind, text.into())).into()
    }

    #[test]
    fn a_refused_login_names_the_user_not_the_password() {
        // What RabbitMQ 3.10 answers a wrong password.
        let e = refused(
            AMQPSoftError::ACCESSREFUSED.into(),
            "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.",
        );
        let f = ConnectFailure::from_lapin(&e, &attempt(false));
        assert_eq!(
            f,
            ConnectFailure::AccessRefused {
                username: "nova".into(),
                mechanism: AuthMechanism::Plain
            }
        );
        assert!(f.needs_operator());
        assert!(f.to_string().contains("\"nova\" (PLAIN)"), "{f}");
    }

    #[test]
    fn an_unknown_vhost_names_it() {
        let e = refused(
            AMQPHardError::NOTALLOWED.into(),
            "NOT_ALLOWED - vhost prod not found",
        );
        let f = ConnectFailure::from_lapin(&e, &attempt(false));
        assert!(
            matches!(&f, ConnectFailure::VirtualHostRefused { vhost, .. } if vhost == "prod"),
            "{f:?}"
        );
        assert!(f.to_string().contains("vhost prod not found"));
    }

    #[test]
    fn certificate_errors_are_told_apart() {
        let cases = [
            (CertificateError::UnknownIssuer, "not trusted"),
            (CertificateError::Expired, "validity period"),
            (
                CertificateError::NotValidForName,
                "not valid for \"rabbit.example\"",
            ),
        ];
        for (certificate, words) in cases {
            let io = io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(certificate),
            );
            let f = ConnectFailure::from_io(&io, &attempt(true));
            assert!(f.needs_operator(), "{f:?}");
            assert!(f.to_string().contains(words), "{words}: {f}");
        }
    }

    #[test]
    fn rustls_errors_are_found_inside_lapin_io_errors() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
        );
        let e: lapin::Error = lapin::ErrorKind::IOError(io.into()).into();
        let f = ConnectFailure::from_lapin(&e, &attempt(true));
        assert!(matches!(f, ConnectFailure::TlsRefused { .. }), "{f:?}");
        assert!(f.to_string().contains("client certificate"), "{f}");
    }

    #[test]
    fn dropped_and_refused_connections_do_not_need_an_operator() {
        // A load balancer whose brokers are down drops the connection the same way a
        // TLS listener drops a plain header: transient until a TLS probe says more.
        for kind in [io::ErrorKind::UnexpectedEof, io::ErrorKind::ConnectionReset] {
            let dropped = io::Error::new(kind, "dropped");
            let f = ConnectFailure::from_io(&dropped, &attempt(false));
            assert!(matches!(f, ConnectFailure::Unreachable { .. }), "{f:?}");
            assert!(!f.needs_operator());
            let e: lapin::Error = lapin::ErrorKind::IOError(dropped.into()).into();
            assert!(dropped_unanswered(&e));
        }
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        let f = ConnectFailure::from_io(&refused, &attempt(false));
        assert!(matches!(f, ConnectFailure::Unreachable { .. }) && !f.needs_operator());
        let e: lapin::Error = lapin::ErrorKind::IOError(refused.into()).into();
        assert!(!dropped_unanswered(&e));
    }

    #[test]
    fn a_tls_port_named_for_plain_amqp_says_to_turn_ssl_on() {
        let f = ConnectFailure::NotAmqp {
            detail: "the port answered a TLS handshake".into(),
        };
        assert!(f.needs_operator());
        assert!(f.to_string().contains("set ssl = true"), "{f}");
    }
}
