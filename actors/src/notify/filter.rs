//! [`NotificationFilter`]: oslo's `NotificationFilter`, rules on publisher id, event
//! type, context and payload that a notification must match to reach an endpoint.

use regex::Regex;
use serde_json::Value;

use super::received_notification::Notification;
use crate::Error;

/// Regular expressions a notification must match, each anchored at the start as
/// Python's `re.match`; a rule on a missing key or a non-text value does not match.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    publisher_id: Option<Regex>,
    event_type: Option<Regex>,
    context: Vec<(String, Regex)>,
    payload: Vec<(String, Regex)>,
}

fn compile(what: &str, pattern: &str) -> Result<Regex, Error> {
    Regex::new(&format!("^(?:{pattern})")).map_err(|e| Error::InvalidEndpoint {
        reason: format!("bad {what} filter {pattern:?}: {e}"),
    })
}

fn matches(re: &Regex, value: Option<&Value>) -> bool {
    match value {
        Some(Value::String(s)) => re.is_match(s),
        Some(Value::Number(n)) => re.is_match(&n.to_string()),
        Some(Value::Bool(b)) => re.is_match(if *b { "True" } else { "False" }),
        _ => false,
    }
}

impl NotificationFilter {
    /// A filter that lets everything through.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only notifications whose `publisher_id` matches `pattern`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEndpoint`] for a bad regular expression.
    pub fn publisher_id(mut self, pattern: &str) -> Result<Self, Error> {
        self.publisher_id = Some(compile("publisher_id", pattern)?);
        Ok(self)
    }

    /// Only notifications whose `event_type` matches `pattern`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEndpoint`] for a bad regular expression.
    pub fn event_type(mut self, pattern: &str) -> Result<Self, Error> {
        self.event_type = Some(compile("event_type", pattern)?);
        Ok(self)
    }

    /// Only notifications whose context `key` matches `pattern`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEndpoint`] for a bad regular expression.
    pub fn context(mut self, key: &str, pattern: &str) -> Result<Self, Error> {
        self.context
            .push((key.to_owned(), compile("context", pattern)?));
        Ok(self)
    }

    /// Only notifications whose payload field `key` matches `pattern`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEndpoint`] for a bad regular expression.
    pub fn payload(mut self, key: &str, pattern: &str) -> Result<Self, Error> {
        self.payload
            .push((key.to_owned(), compile("payload", pattern)?));
        Ok(self)
    }

    /// Whether `n` passes every rule.
    pub fn accepts(&self, n: &Notification) -> bool {
        let text = |s: &str| Some(Value::String(s.to_owned()));
        self.publisher_id
            .as_ref()
            .is_none_or(|re| matches(re, text(&n.publisher_id).as_ref()))
            && self
                .event_type
                .as_ref()
                .is_none_or(|re| matches(re, text(&n.event_type).as_ref()))
            && self
                .context
                .iter()
                .all(|(k, re)| matches(re, n.context.get(k)))
            && self
                .payload
                .iter()
                .all(|(k, re)| matches(re, n.payload.get(k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use warren_core::{Context, Priority};

    fn notification() -> Notification {
        Notification {
            priority: Priority::Info,
            publisher_id: "compute.host1".into(),
            event_type: "compute.instance.create.end".into(),
            payload: json!({"state": "active", "size": 4}),
            context: Context::new().with("project_id", "p1"),
            message_id: "m".into(),
            timestamp: "t".into(),
        }
    }

    #[test]
    fn rules_match_from_the_start_like_python() {
        let n = notification();
        assert!(NotificationFilter::new().accepts(&n));
        assert!(
            NotificationFilter::new()
                .publisher_id("compute")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            !NotificationFilter::new()
                .publisher_id("host1")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            NotificationFilter::new()
                .event_type(r"compute\.instance\..*")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            NotificationFilter::new()
                .context("project_id", "p1$")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            !NotificationFilter::new()
                .context("user_id", ".*")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            NotificationFilter::new()
                .payload("state", "act")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            NotificationFilter::new()
                .payload("size", "4")
                .unwrap()
                .accepts(&n)
        );
        assert!(
            !NotificationFilter::new()
                .payload("state", "error")
                .unwrap()
                .accepts(&n)
        );
    }

    #[test]
    fn a_bad_pattern_is_an_error() {
        assert!(matches!(
            NotificationFilter::new().event_type("("),
            Err(Error::InvalidEndpoint { .. })
        ));
    }
}
