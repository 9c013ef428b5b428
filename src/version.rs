//! [`Version`]: an RPC API version `X.Y` or `X.Y.Z`, and oslo's compatibility rule.

use std::fmt;
use std::str::FromStr;

/// An RPC API version: `major.minor` with an optional `.revision` (0 when absent).
///
/// This is the version of an endpoint's API (`Target.version`), not the driver's
/// wire-protocol version carried in the `version` header.
///
/// # Examples
///
/// ```
/// use warren_core::Version;
/// let v: Version = "1.2".parse().unwrap();
/// assert_eq!(v, Version { major: 1, minor: 2, revision: 0 });
/// assert!(v.serves(&"1.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Incompatible API changes.
    pub major: u64,
    /// Backwards-compatible additions.
    pub minor: u64,
    /// Backwards-compatible additions within a minor version.
    pub revision: u64,
}

impl Default for Version {
    /// `1.0`, the version assumed when a request or endpoint gives none.
    fn default() -> Self {
        Self {
            major: 1,
            minor: 0,
            revision: 0,
        }
    }
}

impl Version {
    /// Whether an implementation of version `self` can serve a request that needs
    /// `wanted`: same major, `wanted.minor <= self.minor`, and when the minors are equal,
    /// `wanted.revision <= self.revision`.
    pub fn serves(&self, wanted: &Version) -> bool {
        self.major == wanted.major && (wanted.minor, wanted.revision) <= (self.minor, self.revision)
    }
}

/// A string that is not a version `X.Y` or `X.Y.Z` of decimal numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RPC API version {given:?}: expected `X.Y` or `X.Y.Z` with decimal numbers")]
pub struct VersionError {
    /// The string that was given.
    pub given: String,
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError {
            given: s.to_owned(),
        };
        let number = |part: &str| -> Result<u64, VersionError> {
            // u64's parser also takes a leading `+`; a version does not.
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let mut parts = s.split('.');
        let major = number(parts.next().ok_or_else(bad)?)?;
        let minor = number(parts.next().ok_or_else(bad)?)?;
        let revision = parts.next().map(number).transpose()?.unwrap_or(0);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self {
            major,
            minor,
            revision,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.revision != 0 {
            write!(f, ".{}", self.revision)?;
        }
        Ok(())
    }
}

/// Whether an endpoint implementing version `imp` can serve a request for `wanted`.
///
/// # Errors
///
/// [`VersionError`] when either string is not `X.Y` or `X.Y.Z`.
///
/// # Examples
///
/// ```
/// use warren_core::version_is_compatible;
/// assert_eq!(version_is_compatible("7.5", "7.5"), Ok(true));
/// assert_eq!(version_is_compatible("7.5", "7.6"), Ok(false));
/// assert_eq!(version_is_compatible("2.0", "1.0"), Ok(false));
/// assert!(version_is_compatible("1.x", "1.0").is_err());
/// ```
pub fn version_is_compatible(imp: &str, wanted: &str) -> Result<bool, VersionError> {
    let imp: Version = imp.parse()?;
    let wanted: Version = wanted.parse()?;
    Ok(imp.serves(&wanted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_two_and_three_parts() {
        assert_eq!("1.0".parse(), Ok(Version::default()));
        assert_eq!(
            "3.14.15".parse(),
            Ok(Version {
                major: 3,
                minor: 14,
                revision: 15
            })
        );
        for bad in [
            "", "1", "1.", ".1", "1.2.3.4", "a.b", "+1.0", "1.-0", " 1.0", "1.0 ",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
        assert!("99999999999999999999999.0".parse::<Version>().is_err());
    }

    #[test]
    fn displays_like_it_was_written() {
        assert_eq!(Version::default().to_string(), "1.0");
        assert_eq!("2.3.4".parse::<Version>().unwrap().to_string(), "2.3.4");
    }

    #[test]
    fn compatibility_rules() {
        let ok = |imp, wanted| version_is_compatible(imp, wanted).unwrap();
        // Same major required.
        assert!(!ok("2.0", "1.0"));
        assert!(!ok("1.0", "2.0"));
        // Requested minor at most the implemented one.
        assert!(ok("1.5", "1.0"));
        assert!(ok("1.5", "1.5"));
        assert!(!ok("1.5", "1.6"));
        // Revisions only matter when minors are equal.
        assert!(ok("1.5.2", "1.5.1"));
        assert!(!ok("1.5.1", "1.5.2"));
        assert!(ok("1.6", "1.5.9"));
        assert!(!ok("1.5", "1.5.1"));
        assert!(ok("1.5.0", "1.5"));
    }

    proptest! {
        #[test]
        fn never_panics(imp in ".*", wanted in ".*") {
            let _ = version_is_compatible(&imp, &wanted);
        }

        #[test]
        fn never_panics_on_version_like_strings(
            imp in "[0-9+.-]{0,12}", wanted in "[0-9+.a]{0,12}",
        ) {
            let _ = version_is_compatible(&imp, &wanted);
        }

        #[test]
        fn every_version_serves_itself(major: u64, minor: u64, revision: u64) {
            let v = format!("{major}.{minor}.{revision}");
            prop_assert_eq!(version_is_compatible(&v, &v), Ok(true));
        }
    }
}
