//! [`ConfigError`]: why a configuration was refused, and where the bad value came from.

use std::fmt;
use std::path::PathBuf;

use crate::ini::IniError;
use crate::retry::InvalidRetry;
use crate::section::Section;
use crate::tls_options::SslOptionsProblem;
use crate::url_error::UrlError;

/// Where an option's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The built-in default.
    Default,
    /// A configuration file.
    File {
        /// The file's name as given to the loader.
        file: String,
        /// 1-based line number.
        line: usize,
    },
    /// Set in code through [`ConfigBuilder`](crate::ConfigBuilder).
    Code,
    /// The `?query` of a transport URL.
    UrlQuery,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("built-in default"),
            Origin::File { file, line } => write!(f, "{file}, line {line}"),
            Origin::Code => f.write_str("set in code"),
            Origin::UrlQuery => f.write_str("transport URL query"),
        }
    }
}

/// An option, its section, and where its value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionLocation {
    /// The section of the option.
    pub section: Section,
    /// The option name.
    pub option: String,
    /// Where the value came from.
    pub origin: Origin,
}

impl fmt::Display for OptionLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` in {} ({})", self.option, self.section, self.origin)
    }
}

/// What is wrong with an option's value; the message says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// Not a whole number.
    #[error("expected a whole number")]
    NotAnInteger,
    /// Not a finite number.
    #[error("expected a number, such as 0.25 or 3")]
    NotANumber,
    /// Not one of oslo's boolean words.
    #[error("expected true or false (also accepted: yes/no, on/off, 1/0, t/f, y/n)")]
    NotABoolean,
    /// A number of seconds or a count below zero.
    #[error("must not be negative: expected 0 or more")]
    Negative,
    /// A size that must be at least one.
    #[error("must be at least 1")]
    Zero,
    /// A number outside the range the option's type can hold.
    #[error("expected a number from {min} to {max}")]
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: u64,
    },
    /// Not one of the option's choices.
    #[error("expected one of: {}", choices.join(", "))]
    UnknownChoice {
        /// The accepted values.
        choices: &'static [&'static str],
    },
    /// A retry count other than -1, 0 or a positive count.
    #[error(transparent)]
    Retry(#[from] InvalidRetry),
    /// A dict option not in the `key:value,key:value` form.
    #[error(
        "expected key:value pairs separated by commas, such as certfile:/etc/c.pem,keyfile:/etc/k.pem"
    )]
    BadDict,
    /// A transport URL that does not parse.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// `ssl_options` with a key or value warren cannot use.
    #[error(transparent)]
    SslOptions(#[from] SslOptionsProblem),
}

/// An option found in a file section warren reads, but unknown to warren.
///
/// oslo.config ignores such options and so does warren; they are reported through
/// [`ConfigBuilder::unknown_options`](crate::ConfigBuilder::unknown_options) because in
/// `[oslo_messaging_pika]` they are almost always typos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOption {
    /// The section it was found in.
    pub section: Section,
    /// The option name as written.
    pub option: String,
    /// The file and line.
    pub origin: Origin,
}

impl fmt::Display for UnknownOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown option `{}` in {} ({}) is ignored; see docs/configuration.md for the options warren reads",
            self.option, self.section, self.origin
        )
    }
}

/// A configuration that could not be loaded or failed validation.
///
/// Every message names the option, its section and where the value came from (file and
/// line, code, or URL query), and never contains a password or `ssl_options` value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An option's value has the wrong type or is out of range: negative delays, zero
    /// pool sizes, unknown serializers or choices, bad numbers, booleans, dicts, retry
    /// counts or transport URLs.
    #[error("invalid value {} for {at}: {problem}", shown_value(.value))]
    InvalidValue {
        /// The option and where its value came from.
        at: OptionLocation,
        /// The value as written, or `None` when it may hold a secret.
        value: Option<String>,
        /// What is wrong and what is accepted.
        problem: ValueProblem,
    },
    /// `ssl_options` is set while `ssl` is not true.
    #[error(
        "{at} is set but `ssl` is not true: set `ssl = true` in [oslo_messaging_pika] or remove ssl_options"
    )]
    SslOptionsWithoutSsl {
        /// Where `ssl_options` was set.
        at: OptionLocation,
    },
    /// `auth_mechanism = EXTERNAL` without TLS and a client certificate to name the
    /// user.
    #[error(
        "{at} is EXTERNAL, which needs a TLS client certificate: set `ssl = true` and \
         `ssl_options = certfile:/path/cert.pem,keyfile:/path/key.pem` in \
         [oslo_messaging_pika], or use auth_mechanism = PLAIN"
    )]
    ExternalAuthWithoutCertificate {
        /// Where `auth_mechanism` was set.
        at: OptionLocation,
    },
    /// A transport URL's query names something that is not an `[oslo_messaging_pika]`
    /// option.
    #[error("the query of {url_option} sets `{key}`, which is not an option of [oslo_messaging_pika]; accepted: {}", accepted.join(", "))]
    UnknownQueryOption {
        /// The key as written.
        key: String,
        /// The option holding the URL.
        url_option: OptionLocation,
        /// The keys a query may set.
        accepted: Vec<&'static str>,
    },
    /// [`ConfigBuilder::set`](crate::ConfigBuilder::set) named an option that does not
    /// exist in that section.
    #[error("unknown option `{option}` in {section} (set in code); accepted: {}", accepted.join(", "))]
    UnknownOption {
        /// The section given.
        section: Section,
        /// The option name given.
        option: String,
        /// The options of that section.
        accepted: Vec<&'static str>,
    },
    /// A `${name}` reference names nothing in the option's section or `[DEFAULT]`.
    #[error(
        "{at} refers to `${{{name}}}`, which is not set in its section or [DEFAULT]; write `$$` for a literal `$`"
    )]
    UnresolvedReference {
        /// The option whose value holds the reference.
        at: OptionLocation,
        /// The name inside `${}`.
        name: String,
    },
    /// `${name}` references loop back on themselves.
    #[error("{at} has `${{...}}` references that loop back on themselves")]
    ReferenceCycle {
        /// The option where resolution started.
        at: OptionLocation,
    },
    /// The file is not valid INI.
    #[error("{file}, line {}: {source}", source.line)]
    Ini {
        /// The file's name as given to the loader.
        file: String,
        /// The syntax error and its line.
        source: IniError,
    },
    /// The file could not be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Io {
        /// The path given.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

fn shown_value(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "(not shown: it may hold a secret)".to_owned(),
    }
}

impl ConfigError {
    /// The option and origin the error is about, when it is about one option.
    pub fn location(&self) -> Option<&OptionLocation> {
        match self {
            ConfigError::InvalidValue { at, .. }
            | ConfigError::SslOptionsWithoutSsl { at }
            | ConfigError::ExternalAuthWithoutCertificate { at }
            | ConfigError::UnresolvedReference { at, .. }
            | ConfigError::ReferenceCycle { at } => Some(at),
            ConfigError::UnknownQueryOption { url_option, .. } => Some(url_option),
            ConfigError::UnknownOption { .. }
            | ConfigError::Ini { .. }
            | ConfigError::Io { .. } => None,
        }
    }
}
