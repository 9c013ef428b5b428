//! [`TransportUrl`]: the `pika://` transport URL, parsed once into hosts, credentials,
//! virtual host and option overrides.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::password::Password;
use crate::url_error::{UrlError, UrlPart};

/// Port used when a host gives none: RabbitMQ's AMQP port.
pub const DEFAULT_PORT: u16 = 5672;

/// Host used when the URL gives none.
pub const DEFAULT_HOST: &str = "localhost";

/// Virtual host used when the URL has no path or an empty one.
pub const DEFAULT_VIRTUAL_HOST: &str = "/";

/// Characters written as-is when printing a URL: RFC 3986's unreserved set.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query keys whose values may hold secrets and are printed as `***`.
const SECRET_QUERY_KEYS: &[&str] = &["ssl_options"];

/// One broker of a transport URL: `[user[:pass]@]host[:port]`.
///
/// Fields keep what the URL said (`None` when absent); the `*_or_default` methods give
/// what a connection uses.
///
/// # Examples
///
/// ```
/// use warren_core::TransportUrl;
/// let url: TransportUrl = "pika://u:p@[::1]:5673,other/".parse().unwrap();
/// let h = &url.hosts()[0];
/// assert_eq!(h.hostname.as_deref(), Some("::1"));
/// assert_eq!(h.port_or_default(), 5673);
/// assert_eq!(url.hosts()[1].port_or_default(), 5672);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportHost {
    /// Host name or address (IPv6 without brackets); `None` when the URL left it empty.
    pub hostname: Option<String>,
    /// Port; `None` when the URL gave none.
    pub port: Option<u16>,
    /// User name, percent-decoded; possibly inherited from an earlier host.
    pub username: Option<String>,
    /// Password, percent-decoded; possibly inherited from an earlier host.
    pub password: Option<Password>,
}

impl TransportHost {
    /// The host to connect to: the hostname, or `localhost` when none was given.
    pub fn host_or_default(&self) -> &str {
        self.hostname.as_deref().unwrap_or(DEFAULT_HOST)
    }

    /// The port to connect to: the port, or 5672 when none was given.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }

    fn write_to(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.username {
            write!(f, "{}", utf8_percent_encode(user, UNRESERVED))?;
            if self.password.is_some() {
                write!(f, ":{}", Password::REDACTED)?;
            }
            f.write_str("@")?;
        }
        match &self.hostname {
            // Brackets keep the name as parsed: an IPv6 address, a name starting with `[`,
            // or one ending in whitespace, which the parser's trim drops at the end of the
            // URL. A name holding `]` cannot be bracketed and has none of the first two.
            Some(h)
                if !h.contains(']')
                    && (h.contains(':')
                        || h.starts_with('[')
                        || h.ends_with(char::is_whitespace)) =>
            {
                write!(f, "[{h}]")?
            }
            Some(h) => f.write_str(h)?,
            None => {}
        }
        match self.port {
            Some(port) => write!(f, ":{port}")?,
            // A host with nothing at all is written `:`, since an empty piece is skipped.
            None if self.hostname.is_none() && self.username.is_none() => f.write_str(":")?,
            None => {}
        }
        Ok(())
    }
}

/// A parsed transport URL:
/// `pika://[user[:pass]@]host[:port][,[user[:pass]@]host[:port]]*[/vhost][?query]`.
///
/// Parsing follows oslo.messaging's generic URL rules, with these choices:
///
/// * The scheme is `pika` or `pika+<anything>` (case-insensitive), or `fake` or `memory`
///   for the in-memory broker of this process ([`TransportUrl::is_in_memory`]); any
///   other scheme is refused.
/// * User name, password and virtual host are percent-decoded. Write a `/`, `?`, `#` or
///   `@` inside a password as `%2F`, `%3F`, `%23`, `%40`.
/// * Virtual host: `pika://h` gives `None`, `pika://h/` gives `""`, `pika://h/foo` gives
///   `"foo"`, `pika://h//` and `pika://h/%2F` give `"/"`. A connection uses
///   [`TransportUrl::effective_virtual_host`], which turns `None` and `""` into `/`.
/// * A host without a hostname connects to `localhost`, a host without a port to 5672,
///   and a URL without any host (`pika://`) to `localhost:5672`
///   ([`TransportUrl::effective_hosts`]).
/// * **Credentials are inherited**: a host written without `user[:pass]@` takes the
///   credentials of the first host that has them, so `pika://u:p@h1,h2` authenticates
///   as `u` on both. Python's driver leaves such a host without credentials and it then
///   fails to authenticate; warren does what the operator evidently meant. When no host
///   has credentials they stay `None` and the connection layer uses RabbitMQ's default
///   `guest`/`guest`.
/// * The query follows Python's `parse_qs`: blank values are dropped and repeated keys
///   are joined with `,`. Pairs are kept in order of first appearance. Each key is an
///   `[oslo_messaging_pika]` option whose value overrides the configured one; the
///   configuration builder checks and applies them.
///
/// `Display` and `Debug` print the URL with every password (and `ssl_options` query
/// value) replaced by `***`.
///
/// # Examples
///
/// ```
/// use warren_core::TransportUrl;
/// let url: TransportUrl = "pika://nova:s3cret@rabbit1:5672,rabbit2/prod?rpc_queue_expiration=30"
///     .parse()
///     .unwrap();
/// assert_eq!(url.hosts().len(), 2);
/// assert_eq!(url.hosts()[1].username.as_deref(), Some("nova"));
/// assert_eq!(url.effective_virtual_host(), "prod");
/// assert_eq!(url.query_value("rpc_queue_expiration"), Some("30"));
/// assert_eq!(
///     url.to_string(),
///     "pika://nova:***@rabbit1:5672,nova:***@rabbit2/prod?rpc_queue_expiration=30"
/// );
/// ```
///
/// # Errors
///
/// Parsing returns a [`UrlError`] naming what is wrong; it never quotes the password.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportUrl {
    scheme: String,
    hosts: Vec<TransportHost>,
    virtual_host: Option<String>,
    query: Vec<(String, String)>,
}

impl TransportUrl {
    /// The scheme as written, such as `pika` or `pika+ssl`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The hosts in the order written, with inherited credentials filled in.
    pub fn hosts(&self) -> &[TransportHost] {
        &self.hosts
    }

    /// The hosts a connection tries: [`TransportUrl::hosts`], or a single
    /// `localhost:5672` without credentials when the URL names none.
    pub fn effective_hosts(&self) -> Vec<TransportHost> {
        if self.hosts.is_empty() {
            vec![TransportHost::default()]
        } else {
            self.hosts.clone()
        }
    }

    /// Whether the URL names the in-memory broker of this process (`fake://`, as
    /// oslo.messaging's test driver, or `memory://`) rather than RabbitMQ. Its hosts
    /// are ignored; its virtual host names one broker, shared by every transport of
    /// the process with the same virtual host.
    pub fn is_in_memory(&self) -> bool {
        let family = self.scheme.split('+').next().unwrap_or_default();
        family.eq_ignore_ascii_case("fake") || family.eq_ignore_ascii_case("memory")
    }

    /// The virtual host as the URL gives it (see the type docs for `None` versus `""`).
    pub fn virtual_host(&self) -> Option<&str> {
        self.virtual_host.as_deref()
    }

    /// The virtual host a connection opens: `/` when the URL gives none or an empty one.
    pub fn effective_virtual_host(&self) -> &str {
        match self.virtual_host.as_deref() {
            None | Some("") => DEFAULT_VIRTUAL_HOST,
            Some(v) => v,
        }
    }

    /// The decoded `?query` pairs, in order of first appearance, repeated keys joined
    /// with `,`, blank values dropped.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The value of one query key, if present.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl FromStr for TransportUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(UrlError::Empty);
        }
        if s.contains('#') {
            return Err(UrlError::Fragment);
        }
        let (scheme, rest) = split_scheme(s)?;
        let family = scheme.split('+').next().unwrap_or_default();
        if !["pika", "fake", "memory"]
            .iter()
            .any(|known| family.eq_ignore_ascii_case(known))
        {
            return Err(UrlError::WrongScheme {
                scheme: scheme.to_owned(),
            });
        }

        let (netloc, path_and_query) = if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            after.split_at(end)
        } else if rest.is_empty() || rest.starts_with(['/', '?']) {
            ("", rest)
        } else {
            return Err(UrlError::MissingSlashes);
        };
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_and_query, ""),
        };
        let virtual_host = match path.strip_prefix('/') {
            Some(v) => Some(decode(v, UrlPart::VirtualHost)?),
            None => None,
        };

        let mut hosts = netloc
            .split(',')
            .filter(|piece| !piece.is_empty())
            .enumerate()
            .map(|(i, piece)| parse_host(piece, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        inherit_credentials(&mut hosts);

        Ok(Self {
            scheme: scheme.to_owned(),
            hosts,
            virtual_host,
            query: parse_query(query)?,
        })
    }
}

/// Splits `scheme:rest`, checking the scheme has RFC 3986's shape.
fn split_scheme(s: &str) -> Result<(&str, &str), UrlError> {
    let (scheme, rest) = s.split_once(':').ok_or(UrlError::NoScheme)?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return Err(UrlError::NoScheme);
    }
    Ok((scheme, rest))
}

fn parse_host(piece: &str, host_index: usize) -> Result<TransportHost, UrlError> {
    let mut host = TransportHost::default();
    // The last `@` separates credentials: a password may contain an unencoded `@`.
    let hostport = match piece.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            let (user, pass) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            host.username = Some(decode(user, UrlPart::Username)?);
            host.password = pass
                .map(|p| decode(p, UrlPart::Password).map(Password::new))
                .transpose()?;
            hostport
        }
        None => piece,
    };
    let (name, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (addr, after) = bracketed
            .split_once(']')
            .ok_or(UrlError::BadIpv6 { host_index })?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(UrlError::BadIpv6 { host_index })?,
            ),
        };
        (addr, port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    host.hostname = (!name.is_empty()).then(|| name.to_owned());
    host.port = match port {
        None | Some("") => None,
        Some(p) => Some(parse_port(p).ok_or(UrlError::BadPort { host_index })?),
    };
    Ok(host)
}

fn parse_port(p: &str) -> Option<u16> {
    if !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().filter(|&port| port != 0)
}

/// Gives hosts written without credentials those of the first host that has some.
fn inherit_credentials(hosts: &mut [TransportHost]) {
    let Some(donor) = hosts.iter().find(|h| h.username.is_some()).cloned() else {
        return;
    };
    for host in hosts.iter_mut().filter(|h| h.username.is_none()) {
        host.username.clone_from(&donor.username);
        host.password.clone_from(&donor.password);
    }
}

fn decode(s: &str, part: UrlPart) -> Result<String, UrlError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| UrlError::BadPercentEncoding { part })
}

/// Python `parse_qs`: `+` is a space, blank values are dropped, repeated keys joined.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, UrlError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for field in query.split('&').filter(|f| !f.is_empty()) {
        let Some((k, v)) = field.split_once('=') else {
            continue;
        };
        let key = decode(&k.replace('+', " "), UrlPart::Query)?;
        let value = decode(&v.replace('+', " "), UrlPart::Query)?;
        if value.is_empty() {
            continue;
        }
        match pairs.iter_mut().find(|(existing, _)| *existing == key) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            None => pairs.push((key, value)),
        }
    }
    Ok(pairs)
}

impl fmt::Display for TransportUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        for (i, host) in self.hosts.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            host.write_to(f)?;
        }
        if let Some(vhost) = &self.virtual_host {
            write!(f, "/{}", utf8_percent_encode(vhost, UNRESERVED))?;
        }
        for (i, (key, value)) in self.query.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write!(f, "{}=", utf8_percent_encode(key, UNRESERVED))?;
            if SECRET_QUERY_KEYS.contains(&key.as_str()) {
                f.write_str(Password::REDACTED)?;
            } else {
                write!(f, "{}", utf8_percent_encode(value, UNRESERVED))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TransportUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransportUrl({self})")
    }
}

/// The printed form: the redacted URL, then each effective host, the effective vhost and
/// the query (secret values redacted).
impl serde::Serialize for TransportUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeStruct};

        struct Hosts<'a>(&'a [TransportHost]);
        impl serde::Serialize for Hosts<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|h| {
                    serde_json::json!({
                        "host": h.host_or_default(),
                        "port": h.port_or_default(),
                        "username": h.username,
                    })
                }))
            }
        }
        struct Query<'a>(&'a [(String, String)]);
        impl serde::Serialize for Query<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    let shown = if SECRET_QUERY_KEYS.contains(&k.as_str()) {
                        Password::REDACTED
                    } else {
                        v.as_str()
                    };
                    map.serialize_entry(k, shown)?;
                }
                map.end()
            }
        }

        let mut st = serializer.serialize_struct("TransportUrl", 4)?;
        st.serialize_field("url", &self.to_string())?;
        st.serialize_field("hosts", &Hosts(&self.effective_hosts()))?;
        st.serialize_field("virtual_host", self.effective_virtual_host())?;
        st.serialize_field("query", &Query(&self.query))?;
        st.end()
    }
}

#[cfg(test)]
mod tests;
