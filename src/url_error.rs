//! [`UrlError`]: why a transport URL was refused.

/// The part of a URL whose percent-encoding was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlPart {
    /// The user name before `:` or `@`.
    Username,
    /// The password between `:` and `@`.
    Password,
    /// The virtual host after the first `/` of the path.
    VirtualHost,
    /// A key or value of the `?query`.
    Query,
}

impl std::fmt::Display for UrlPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlPart::Username => "user name",
            UrlPart::Password => "password",
            UrlPart::VirtualHost => "virtual host",
            UrlPart::Query => "query",
        })
    }
}

/// A transport URL that could not be parsed.
///
/// Messages say what is wrong and what is accepted. They never contain the password, nor
/// any other text that could be part of it (a malformed URL can put password characters
/// where a port or path is expected, so those are described, not quoted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The URL is empty or only whitespace.
    #[error(
        "the transport URL is empty: expected pika://user:pass@host:5672[,user:pass@host2:5672]/vhost"
    )]
    Empty,
    /// Nothing that looks like `scheme:` starts the URL.
    #[error(
        "the transport URL has no scheme: expected it to start with `pika://` (for example pika://user:pass@host:5672/)"
    )]
    NoScheme,
    /// The scheme names another driver.
    #[error(
        "unsupported transport scheme `{scheme}`: warren speaks the Pika driver's protocol, expected `pika://` (or `pika+<anything>://`), or `fake://` for the in-memory broker"
    )]
    WrongScheme {
        /// The scheme given, such as `rabbit`.
        scheme: String,
    },
    /// Something other than `//`, `/` or `?` follows `pika:`.
    #[error(
        "the transport URL must continue with `//` after `pika:` (pika://user:pass@host:5672/vhost)"
    )]
    MissingSlashes,
    /// The URL contains `#`, which would silently cut it (often a password with a `#`).
    #[error(
        "the transport URL contains `#`: fragments are not accepted; percent-encode a `#` inside a password or vhost as %23"
    )]
    Fragment,
    /// A port is not a number from 1 to 65535.
    #[error(
        "host #{host_index} of the transport URL has an invalid port: expected a number from 1 to 65535 after `:` (percent-encode `/`, `?`, `#`, `@` inside a password)"
    )]
    BadPort {
        /// 1-based position of the host in the comma-separated list.
        host_index: usize,
    },
    /// An IPv6 literal opened with `[` is not closed by `]`, or `]` is followed by
    /// something other than `:port`.
    #[error(
        "host #{host_index} of the transport URL is a malformed IPv6 literal: expected [address] or [address]:port, for example [::1]:5672"
    )]
    BadIpv6 {
        /// 1-based position of the host in the comma-separated list.
        host_index: usize,
    },
    /// Percent-decoding produced bytes that are not UTF-8.
    #[error(
        "the {part} of the transport URL does not percent-decode to UTF-8 text: check its %XX escapes"
    )]
    BadPercentEncoding {
        /// Which part was wrong.
        part: UrlPart,
    },
}
