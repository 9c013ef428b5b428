//! Which endpoint of an RPC server runs a request: oslo's dispatch rules, without the
//! calling.
//!
//! A server holds an ordered list of endpoints, each described by an [`EndpointInfo`].
//! [`select_endpoint`] walks it as oslo's dispatcher does: the first endpoint whose
//! namespace and version match the request and that has the method (allowed by the
//! [`AccessPolicy`]) wins. The runtime then calls it.

use std::collections::BTreeSet;

use crate::version::{Version, VersionError};

/// Which of an endpoint's methods a request may call.
///
/// oslo's third policy, which allows only methods marked as exposed, is expressed by
/// listing only those methods in [`EndpointInfo::methods`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AccessPolicy {
    /// oslo's default: refuse methods whose name starts with `_`.
    #[default]
    RefusePrivate,
    /// oslo's legacy policy: allow every method the endpoint has.
    AllowAll,
}

impl AccessPolicy {
    /// Whether `method` may be called under this policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::AccessPolicy;
    /// assert!(AccessPolicy::default().allows("echo"));
    /// assert!(!AccessPolicy::default().allows("_secret"));
    /// assert!(AccessPolicy::AllowAll.allows("_secret"));
    /// ```
    pub fn allows(self, method: &str) -> bool {
        match self {
            AccessPolicy::RefusePrivate => !method.starts_with('_'),
            AccessPolicy::AllowAll => true,
        }
    }
}

/// What dispatch needs to know about one endpoint: its target's namespace and version,
/// and the names of its methods.
///
/// # Examples
///
/// ```
/// use warren_core::{EndpointInfo, Version};
/// let e = EndpointInfo::new(["echo", "add"])
///     .with_namespace("Name1")
///     .with_version(Version { major: 7, minor: 5, revision: 0 });
/// assert!(e.accepts_namespace(Some("Name1")));
/// assert!(!e.accepts_namespace(None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointInfo {
    /// The namespace the endpoint serves; `None` is the null namespace.
    pub namespace: Option<String>,
    /// Further namespaces accepted for compatibility with older clients.
    pub legacy_namespaces: Vec<String>,
    /// The API version the endpoint implements (`1.0` when its target sets none).
    pub version: Version,
    /// The methods a request may name.
    pub methods: BTreeSet<String>,
}

impl EndpointInfo {
    /// An endpoint in the null namespace at version `1.0` with these methods.
    pub fn new(methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            methods: methods.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The same endpoint in `namespace`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The same endpoint also accepting a legacy namespace.
    pub fn with_legacy_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.legacy_namespaces.push(namespace.into());
        self
    }

    /// The same endpoint implementing `version`.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// Whether a request in `namespace` may reach this endpoint: it is the endpoint's
    /// namespace (the null namespace only matches the null namespace) or one of its
    /// legacy namespaces.
    pub fn accepts_namespace(&self, namespace: Option<&str>) -> bool {
        namespace == self.namespace.as_deref()
            || namespace.is_some_and(|ns| self.legacy_namespaces.iter().any(|l| l == ns))
    }

    /// Whether the endpoint has `method`.
    pub fn has_method(&self, method: &str) -> bool {
        self.methods.contains(method)
    }
}

/// Why no endpoint runs a request. The messages are those a Python client sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// Some endpoint matched the namespace and version, but none has the method or
    /// the access policy refuses it (oslo's `NoSuchMethod`).
    #[error("Endpoint does not support RPC method {method}")]
    NoSuchMethod {
        /// The requested method.
        method: String,
    },
    /// No endpoint matched the namespace and version (oslo's `UnsupportedVersion`).
    #[error("Endpoint does not support RPC version {version}. Attempted method: {method}")]
    UnsupportedVersion {
        /// The requested version as sent (`1.0` when the request had none).
        version: String,
        /// The requested method.
        method: String,
    },
    /// The request's version is not `X.Y` or `X.Y.Z`.
    #[error(transparent)]
    InvalidVersion(#[from] VersionError),
}

impl DispatchError {
    /// The name of the oslo.messaging exception class this error stands for, for the
    /// `c` field of a failure reply.
    pub fn exception_class(&self) -> &'static str {
        match self {
            DispatchError::NoSuchMethod { .. } => "NoSuchMethod",
            DispatchError::UnsupportedVersion { .. } => "UnsupportedVersion",
            DispatchError::InvalidVersion(_) => "ValueError",
        }
    }
}

/// The index of the endpoint that runs `method`, for a request in `namespace` needing
/// `version` (`None`: `1.0`).
///
/// Endpoints are tried in order; an endpoint is *compatible* when it accepts the
/// namespace and its version [serves](Version::serves) the requested one. The first
/// compatible endpoint that has the method, allowed by `policy`, is chosen.
///
/// # Errors
///
/// * [`DispatchError::NoSuchMethod`] when an endpoint was compatible but none could run
///   the method;
/// * [`DispatchError::UnsupportedVersion`] when no endpoint was compatible;
/// * [`DispatchError::InvalidVersion`] when `version` is malformed and some endpoint
///   accepts the namespace (it is only read then).
///
/// # Examples
///
/// ```
/// use warren_core::{select_endpoint, AccessPolicy, DispatchError, EndpointInfo};
/// let endpoints = [EndpointInfo::new(["echo"])];
/// let policy = AccessPolicy::default();
/// assert_eq!(select_endpoint(&endpoints, policy, "echo", None, None), Ok(0));
/// assert!(matches!(
///     select_endpoint(&endpoints, policy, "add", None, None),
///     Err(DispatchError::NoSuchMethod { .. })
/// ));
/// assert!(matches!(
///     select_endpoint(&endpoints, policy, "echo", None, Some("2.0")),
///     Err(DispatchError::UnsupportedVersion { .. })
/// ));
/// ```
pub fn select_endpoint(
    endpoints: &[EndpointInfo],
    policy: AccessPolicy,
    method: &str,
    namespace: Option<&str>,
    version: Option<&str>,
) -> Result<usize, DispatchError> {
    let version_text = version.unwrap_or("1.0");
    let mut wanted: Option<Version> = None;
    let mut found_compatible = false;
    for (index, endpoint) in endpoints.iter().enumerate() {
        if !endpoint.accepts_namespace(namespace) {
            continue;
        }
        let wanted = match wanted {
            Some(v) => v,
            None => *wanted.insert(version_text.parse()?),
        };
        if !endpoint.version.serves(&wanted) {
            continue;
        }
        found_compatible = true;
        if endpoint.has_method(method) && policy.allows(method) {
            return Ok(index);
        }
    }
    Err(if found_compatible {
        DispatchError::NoSuchMethod {
            method: method.to_owned(),
        }
    } else {
        DispatchError::UnsupportedVersion {
            version: version_text.to_owned(),
            method: method.to_owned(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    const POLICY: AccessPolicy = AccessPolicy::RefusePrivate;

    #[test]
    fn null_namespace_matches_only_null() {
        let e = EndpointInfo::new(["m"]);
        assert!(e.accepts_namespace(None));
        assert!(!e.accepts_namespace(Some("x")));
        let e = e.with_namespace("x").with_legacy_namespace("old");
        assert!(!e.accepts_namespace(None));
        assert!(e.accepts_namespace(Some("x")));
        assert!(e.accepts_namespace(Some("old")));
        assert!(!e.accepts_namespace(Some("other")));
    }

    #[test]
    fn test_endpoint_version_namespace() {
        let endpoints = [EndpointInfo::new(["echo"])
            .with_namespace("Name1")
            .with_version(v("7.5"))];
        let select = |ns, version| select_endpoint(&endpoints, POLICY, "echo", ns, version);
        assert_eq!(select(Some("Name1"), Some("7.5")), Ok(0));
        assert_eq!(
            select(Some("Name1"), Some("7.6")),
            Err(DispatchError::UnsupportedVersion {
                version: "7.6".into(),
                method: "echo".into()
            })
        );
        assert_eq!(
            select(Some("Name2"), Some("7.5")),
            Err(DispatchError::UnsupportedVersion {
                version: "7.5".into(),
                method: "echo".into()
            })
        );
    }

    #[test]
    fn missing_version_means_1_0() {
        let endpoints = [EndpointInfo::new(["echo"]).with_version(v("1.3"))];
        assert_eq!(
            select_endpoint(&endpoints, POLICY, "echo", None, None),
            Ok(0)
        );
        let endpoints = [EndpointInfo::new(["echo"]).with_version(v("2.0"))];
        assert_eq!(
            select_endpoint(&endpoints, POLICY, "echo", None, None),
            Err(DispatchError::UnsupportedVersion {
                version: "1.0".into(),
                method: "echo".into()
            })
        );
    }

    #[test]
    fn private_method_is_no_such_method() {
        let endpoints = [EndpointInfo::new(["_private", "public"])];
        assert_eq!(
            select_endpoint(&endpoints, POLICY, "_private", None, None),
            Err(DispatchError::NoSuchMethod {
                method: "_private".into()
            })
        );
        assert_eq!(
            select_endpoint(&endpoints, AccessPolicy::AllowAll, "_private", None, None),
            Ok(0)
        );
    }

    #[test]
    fn first_compatible_endpoint_with_the_method_wins() {
        let endpoints = [
            EndpointInfo::new(["a"]).with_namespace("other"),
            EndpointInfo::new(["a"]).with_version(v("1.0")),
            EndpointInfo::new(["a", "b"]).with_version(v("1.5")),
            EndpointInfo::new(["b"]).with_version(v("1.5")),
        ];
        let sel = |m, ver| select_endpoint(&endpoints, POLICY, m, None, ver);
        assert_eq!(sel("a", None), Ok(1));
        assert_eq!(sel("a", Some("1.2")), Ok(2));
        assert_eq!(sel("b", None), Ok(2));
        assert_eq!(
            sel("c", Some("1.5")),
            Err(DispatchError::NoSuchMethod { method: "c".into() })
        );
        assert!(matches!(
            sel("a", Some("1.6")),
            Err(DispatchError::UnsupportedVersion { .. })
        ));
    }

    #[test]
    fn no_endpoints_is_unsupported_version() {
        assert!(matches!(
            select_endpoint(&[], POLICY, "a", None, None),
            Err(DispatchError::UnsupportedVersion { .. })
        ));
    }

    #[test]
    fn malformed_version_is_an_error_only_when_read() {
        let endpoints = [EndpointInfo::new(["a"])];
        assert!(matches!(
            select_endpoint(&endpoints, POLICY, "a", None, Some("one")),
            Err(DispatchError::InvalidVersion(_))
        ));
        // No endpoint accepts the namespace: the version is never read.
        assert!(matches!(
            select_endpoint(&endpoints, POLICY, "a", Some("ns"), Some("one")),
            Err(DispatchError::UnsupportedVersion { .. })
        ));
    }

    #[test]
    fn errors_name_oslo_classes_and_messages() {
        let e = DispatchError::NoSuchMethod { method: "m".into() };
        assert_eq!(e.exception_class(), "NoSuchMethod");
        assert_eq!(e.to_string(), "Endpoint does not support RPC method m");
        let e = DispatchError::UnsupportedVersion {
            version: "7.6".into(),
            method: "m".into(),
        };
        assert_eq!(e.exception_class(), "UnsupportedVersion");
        assert_eq!(
            e.to_string(),
            "Endpoint does not support RPC version 7.6. Attempted method: m"
        );
    }
}
