//! [`Password`]: a secret that never shows up in logs, errors or printed configuration.

use std::fmt;

/// A broker password taken from a transport URL.
///
/// `Debug`, `Display` and JSON serialization all print `***`; the only way to read the
/// secret is the explicit [`Password::expose`], which the connection layer calls when it
/// authenticates.
///
/// # Examples
///
/// ```
/// use warren_core::Password;
/// let p = Password::new("s3cret");
/// assert_eq!(p.to_string(), "***");
/// assert_eq!(format!("{p:?}"), "***");
/// assert_eq!(p.expose(), "s3cret");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(String);

impl Password {
    /// What `Debug`, `Display` and serialization print instead of the secret.
    pub const REDACTED: &'static str = "***";

    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Call it only to authenticate; never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::REDACTED)
    }
}

impl serde::Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Self::REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_form_is_redacted() {
        let p = Password::new("hunter2");
        assert_eq!(format!("{p}"), "***");
        assert_eq!(format!("{p:?}"), "***");
        assert_eq!(format!("{:?}", Some(&p)), "Some(***)");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"***\"");
        assert_eq!(p.expose(), "hunter2");
    }
}
