//! Turns the layered raw values of a [`ConfigBuilder`](super::ConfigBuilder) into a
//! typed [`Config`]: `${}` references, the URL-query layer, type conversion and the
//! cross-option checks.

use std::collections::BTreeMap;

use crate::auth_mechanism::AuthMechanism;
use crate::config::Config;
use crate::config_error::{ConfigError, OptionLocation, Origin};
use crate::ini::{Unresolved, interpolate};
use crate::option_table::{self, OptionSpec};
use crate::pika_options::PikaOptions;
use crate::section::Section;
use crate::tls_options::TlsOptions;
use crate::url::TransportUrl;

/// How deep `${}` references may nest before they are taken for a loop.
const MAX_REFERENCE_DEPTH: usize = 16;

pub(super) type Values = BTreeMap<(Section, String), Raw>;

#[derive(Clone)]
pub(super) struct Raw {
    pub(super) value: RawValue,
    pub(super) origin: Origin,
}

#[derive(Clone)]
pub(super) enum RawValue {
    /// Text to convert with the option's type; interpolated unless it came from a query.
    Text(String),
    /// A URL set through a typed setter, kept parsed so its password never becomes text.
    Url(TransportUrl),
}

pub(super) fn url_spec(section: Section) -> &'static OptionSpec {
    option_table::find(section, "transport_url").expect("transport_url is in the table")
}

pub(super) fn location(values: &Values, spec: &OptionSpec) -> OptionLocation {
    OptionLocation {
        section: spec.section,
        option: spec.name.to_owned(),
        origin: values
            .get(&(spec.section, spec.name.to_owned()))
            .map_or(Origin::Default, |raw| raw.origin.clone()),
    }
}

/// Every option of the table, converted from its final value, then cross-checked.
pub(super) fn convert(values: &Values) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    for spec in option_table::OPTIONS {
        apply(values, &mut config, spec)?;
    }
    check_ssl(values, &config.pika)?;
    Ok(config)
}

pub(super) fn apply(
    values: &Values,
    config: &mut Config,
    spec: &OptionSpec,
) -> Result<(), ConfigError> {
    let at = location(values, spec);
    if let Some(Raw {
        value: RawValue::Url(url),
        ..
    }) = values.get(&(spec.section, spec.name.to_owned()))
    {
        let slot = match spec.section {
            Section::Notifications => &mut config.notifications.transport_url,
            _ => &mut config.transport_url,
        };
        *slot = Some(url.clone());
        return Ok(());
    }
    let text = Resolver { values, at: &at }
        .text_of(spec.section, spec.name, 0)?
        .expect("every table option has a default text");
    (spec.apply)(config, &text).map_err(|problem| ConfigError::InvalidValue {
        value: (!spec.secret).then_some(text),
        at,
        problem,
    })
}

pub(super) fn apply_query(
    values: &mut Values,
    url: &TransportUrl,
    url_option: OptionLocation,
) -> Result<(), ConfigError> {
    for (key, value) in url.query() {
        if option_table::find(Section::Pika, key).is_none() {
            return Err(ConfigError::UnknownQueryOption {
                key: key.clone(),
                url_option,
                accepted: option_table::names(Section::Pika),
            });
        }
        values.insert(
            (Section::Pika, key.clone()),
            Raw {
                value: RawValue::Text(value.clone()),
                origin: Origin::UrlQuery,
            },
        );
    }
    Ok(())
}

fn check_ssl(values: &Values, pika: &PikaOptions) -> Result<(), ConfigError> {
    let ssl_options = option_table::find(Section::Pika, "ssl_options").expect("in the table");
    if pika.ssl_options.is_some() && !pika.ssl {
        return Err(ConfigError::SslOptionsWithoutSsl {
            at: location(values, ssl_options),
        });
    }
    let tls = TlsOptions::from_ssl_options(pika.ssl_options.as_ref()).map_err(|problem| {
        ConfigError::InvalidValue {
            at: location(values, ssl_options),
            // The values may name key files or hold a key password.
            value: None,
            problem: problem.into(),
        }
    })?;
    if pika.auth_mechanism == AuthMechanism::External && (!pika.ssl || tls.certfile.is_none()) {
        let spec = option_table::find(Section::Pika, "auth_mechanism").expect("in the table");
        return Err(ConfigError::ExternalAuthWithoutCertificate {
            at: location(values, spec),
        });
    }
    Ok(())
}

/// Resolves `${}` references of one option's value; errors are reported at `at`.
struct Resolver<'a> {
    values: &'a Values,
    at: &'a OptionLocation,
}

impl Resolver<'_> {
    /// The final text of `name` in `section`: its set value or its default, with
    /// references resolved unless it came from a URL query. `None` when `name` is neither
    /// set nor an option, or holds a parsed URL.
    fn text_of(
        &self,
        section: Section,
        name: &str,
        depth: usize,
    ) -> Result<Option<String>, ConfigError> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err(ConfigError::ReferenceCycle {
                at: self.at.clone(),
            });
        }
        let text = match self.values.get(&(section, name.to_owned())) {
            Some(Raw {
                value: RawValue::Text(t),
                origin: Origin::UrlQuery,
            }) => return Ok(Some(t.clone())),
            Some(Raw {
                value: RawValue::Text(t),
                ..
            }) => t.as_str(),
            Some(Raw {
                value: RawValue::Url(_),
                ..
            }) => return Ok(None),
            None => match option_table::find(section, name) {
                Some(spec) => spec.default,
                None => return Ok(None),
            },
        };
        let resolved = interpolate(text, |reference| {
            match self.text_of(section, reference, depth + 1)? {
                Some(v) => Ok(Some(v)),
                None if section != Section::Default => {
                    self.text_of(Section::Default, reference, depth + 1)
                }
                None => Ok(None),
            }
        })?;
        match resolved {
            Ok(text) => Ok(Some(text)),
            Err(Unresolved(reference)) => Err(ConfigError::UnresolvedReference {
                at: self.at.clone(),
                name: reference,
            }),
        }
    }
}
