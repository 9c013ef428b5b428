//! [`SslOptions`]: TLS settings whose values are never printed.

use std::collections::BTreeMap;
use std::fmt;

use crate::password::Password;

/// `[oslo_messaging_pika] ssl_options`: TLS settings such as `certfile`, `keyfile`,
/// `ca_certs`, written in oslo's dict form `key:value,key:value`.
///
/// Values can name key files or hold a key password, so `Debug` and serialization show
/// the keys with every value replaced by `***`; [`SslOptions::expose`] gives the map.
///
/// # Examples
///
/// ```
/// use warren_core::SslOptions;
/// let o = SslOptions::from_pairs([("certfile", "/etc/c.pem"), ("password", "x")]);
/// assert_eq!(o.expose()["certfile"], "/etc/c.pem");
/// assert_eq!(format!("{o:?}"), r#"SslOptions({"certfile": ***, "password": ***})"#);
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SslOptions(BTreeMap<String, String>);

impl SslOptions {
    /// Options from `(key, value)` pairs; a repeated key keeps its last value.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The settings themselves. Hand them to the TLS layer; never log them.
    pub fn expose(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The keys that are set, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Password::REDACTED)
    }
}

impl fmt::Debug for SslOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SslOptions(")?;
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, Redacted)))
            .finish()?;
        f.write_str(")")
    }
}

impl serde::Serialize for SslOptions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.keys().map(|k| (k, Password::REDACTED)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_redacted_everywhere_but_expose() {
        let o = SslOptions::from_pairs([("keyfile", "/k.pem"), ("password", "topsecret")]);
        let shown = format!("{o:?} {}", serde_json::to_string(&o).unwrap());
        assert!(
            !shown.contains("topsecret") && !shown.contains("/k.pem"),
            "{shown}"
        );
        assert!(shown.contains("keyfile") && shown.contains("password"));
        assert_eq!(o.expose()["password"], "topsecret");
        assert_eq!(o.keys().collect::<Vec<_>>(), ["keyfile", "password"]);
    }
}
