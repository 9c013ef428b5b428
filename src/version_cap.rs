//! [`VersionCap`]: the highest RPC API version a client may send, oslo's `version_cap`.
//!
//! During a rolling upgrade the newer services are told the version the oldest
//! servers implement; a request above it fails before it is sent instead of reaching
//! a server that answers `UnsupportedVersion` (or worse, misreads it).

use std::fmt;

use crate::version::Version;

/// The highest RPC API version a client may send: oslo.messaging's `version_cap`.
///
/// A request version passes when a server implementing the cap could serve it: the
/// same major version, and a minor (then revision) at most the cap's — the rule of
/// [`Version::serves`].
///
/// # Examples
///
/// ```
/// use warren_core::VersionCap;
/// let cap = VersionCap::new("5.1".parse().unwrap());
/// assert!(cap.allows(Some("5.0")));
/// assert!(cap.allows(Some("5.1")));
/// assert!(!cap.allows(Some("5.2")));
/// assert!(!cap.allows(Some("4.9")));
/// // oslo refuses a request that names no version once a cap is set.
/// assert!(!cap.allows(None));
/// let err = cap.check(Some("5.2")).unwrap_err();
/// assert_eq!(err.version.as_deref(), Some("5.2"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionCap(Version);

impl VersionCap {
    /// The cap at `version`.
    pub fn new(version: Version) -> Self {
        Self(version)
    }

    /// The capping version.
    pub fn version(&self) -> Version {
        self.0
    }

    /// Whether a request for `version` may be sent under this cap.
    ///
    /// `None` (a target without a version) and a string that is not `X.Y` or `X.Y.Z`
    /// are refused: oslo compares the cap with the request's version, and a request
    /// with none or an unreadable one cannot be shown to be within it.
    pub fn allows(&self, version: Option<&str>) -> bool {
        version
            .and_then(|v| v.parse::<Version>().ok())
            .is_some_and(|wanted| self.0.serves(&wanted))
    }

    /// Checks a request for `version` against this cap, as oslo's client does before
    /// it sends anything.
    ///
    /// # Errors
    ///
    /// [`VersionCapError`] when [`allows`](Self::allows) is false.
    pub fn check(&self, version: Option<&str>) -> Result<(), VersionCapError> {
        if self.allows(version) {
            Ok(())
        } else {
            Err(VersionCapError {
                version: version.map(str::to_owned),
                version_cap: self.0,
            })
        }
    }
}

impl From<Version> for VersionCap {
    fn from(version: Version) -> Self {
        Self(version)
    }
}

impl fmt::Display for VersionCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a client with `cap` may send a request for `version`: always without a
/// cap, otherwise as [`VersionCap::allows`]. oslo's `RPCClient.can_send_version`.
///
/// # Examples
///
/// ```
/// use warren_core::{VersionCap, can_send_version};
/// assert!(can_send_version(None, Some("9.9")));
/// let cap = VersionCap::new("2.3".parse().unwrap());
/// assert!(can_send_version(Some(&cap), Some("2.3")));
/// assert!(!can_send_version(Some(&cap), Some("2.4")));
/// ```
pub fn can_send_version(cap: Option<&VersionCap>, version: Option<&str>) -> bool {
    cap.is_none_or(|cap| cap.allows(version))
}

/// A request above the client's version cap, refused before it was sent: oslo's
/// `RPCVersionCapError`, with its message.
///
/// Either send a version within the cap (ask [`can_send_version`] first and fall back
/// to an older form of the request), or raise the cap once every server is upgraded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Requested message version, {} is incompatible.  It needs to be equal in major \
     version and less than or equal in minor version as the specified version cap \
     {version_cap}.",
    version.as_deref().unwrap_or("None")
)]
pub struct VersionCapError {
    /// The version the request asked for; `None` when the target names none (shown
    /// as `None`, as Python prints it).
    pub version: Option<String>,
    /// The client's cap.
    pub version_cap: Version,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(v: &str) -> VersionCap {
        VersionCap::new(v.parse().unwrap())
    }

    #[test]
    fn same_major_and_minor_at_most_the_cap() {
        let c = cap("1.5");
        for ok in ["1.0", "1.5", "1.4.9", "1.5.0"] {
            assert!(c.allows(Some(ok)), "{ok}");
        }
        for refused in ["1.6", "2.0", "0.9", "1.5.1"] {
            assert!(!c.allows(Some(refused)), "{refused}");
        }
        assert!(cap("1.5.2").allows(Some("1.5.1")));
    }

    #[test]
    fn no_version_or_an_unreadable_one_is_refused() {
        let c = cap("1.5");
        assert!(!c.allows(None));
        assert!(!c.allows(Some("1.x")));
        assert!(!c.allows(Some("")));
    }

    #[test]
    fn without_a_cap_everything_can_be_sent() {
        assert!(can_send_version(None, None));
        assert!(can_send_version(None, Some("7.0")));
        assert!(!can_send_version(Some(&cap("1.0")), None));
        assert!(can_send_version(Some(&cap("1.1")), Some("1.0")));
    }

    #[test]
    fn the_error_reads_like_oslo() {
        let err = cap("1.5").check(Some("1.6")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Requested message version, 1.6 is incompatible.  It needs to be equal in \
             major version and less than or equal in minor version as the specified \
             version cap 1.5."
        );
        let err = cap("2.0").check(None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Requested message version, None is")
        );
        assert_eq!(cap("1.5").check(Some("1.5")), Ok(()));
    }
}
