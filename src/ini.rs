//! [`IniDocument`]: oslo.config-style INI text, read without interpreting the options.
//!
//! The rules, as oslo.config applies them to service configuration files:
//!
//! * `[section]` headers; every `key = value` or `key: value` line belongs to the last
//!   header above it (a key before any header is an error).
//! * The separator is the first `=` or `:` of the line, so `transport_url = pika://...`
//!   and `transport_url: pika://...` both work.
//! * Lines starting with `#` or `;` are comments; blank lines are skipped. There are no
//!   inline comments: `a = b # c` has the value `b # c`, as in oslo.config.
//! * Keys and values are trimmed; a value wrapped in matching `"` or `'` loses them.
//! * A key given twice keeps the last value.
//! * Indented continuation lines are not supported: each line is trimmed and read on
//!   its own.
//!
//! `${name}` references in values are kept as written here; the configuration builder
//! resolves them (see [`interpolate`]).

use std::fmt;

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniEntry {
    /// The section name, without brackets.
    pub section: String,
    /// The key, trimmed.
    pub key: String,
    /// The value, trimmed and unquoted, with `${}` references unresolved.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A parsed INI text: its entries in file order.
///
/// # Examples
///
/// ```
/// use warren_core::IniDocument;
/// let doc = IniDocument::parse("[DEFAULT]\n# comment\ncontrol_exchange = nova\n").unwrap();
/// let e = doc.get("DEFAULT", "control_exchange").unwrap();
/// assert_eq!((e.value.as_str(), e.line), ("nova", 3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IniDocument {
    entries: Vec<IniEntry>,
}

/// What is wrong with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IniProblem {
    /// A `key = value` line before any `[section]` header.
    KeyOutsideSection,
    /// A line that is neither a header, a comment nor `key = value`.
    MissingSeparator,
    /// `= value` with nothing before the separator.
    EmptyKey,
    /// A `[` line without a closing `]`, or an empty `[]`.
    BadSectionHeader,
}

/// A syntax error, with its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct IniError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: IniProblem,
}

impl IniError {
    fn describe(&self) -> &'static str {
        match self.problem {
            IniProblem::KeyOutsideSection => {
                "option before any [section] header: put it under [DEFAULT] or [oslo_messaging_pika]"
            }
            IniProblem::MissingSeparator => {
                "expected `key = value`, `key: value`, a [section] header, or a comment starting with # or ;"
            }
            IniProblem::EmptyKey => "missing option name before `=` or `:`",
            IniProblem::BadSectionHeader => "malformed section header: expected [name]",
        }
    }
}

impl IniDocument {
    /// Parses INI text.
    ///
    /// # Errors
    ///
    /// [`IniError`] with the line of the first malformed line.
    pub fn parse(text: &str) -> Result<Self, IniError> {
        let mut entries = Vec::new();
        let mut section: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let fail = |problem| Err(IniError { line, problem });
            let trimmed = raw.trim().trim_start_matches('\u{feff}');
            if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
                continue;
            }
            if let Some(header) = trimmed.strip_prefix('[') {
                match header.strip_suffix(']').map(str::trim) {
                    Some(name) if !name.is_empty() => section = Some(name.to_owned()),
                    _ => return fail(IniProblem::BadSectionHeader),
                }
                continue;
            }
            let Some(at) = trimmed.find(['=', ':']) else {
                return fail(IniProblem::MissingSeparator);
            };
            let key = trimmed[..at].trim();
            if key.is_empty() {
                return fail(IniProblem::EmptyKey);
            }
            let Some(section) = &section else {
                return fail(IniProblem::KeyOutsideSection);
            };
            entries.push(IniEntry {
                section: section.clone(),
                key: key.to_owned(),
                value: unquote(trimmed[at + 1..].trim()).to_owned(),
                line,
            });
        }
        Ok(Self { entries })
    }

    /// Every entry in file order, repeated keys included.
    pub fn entries(&self) -> &[IniEntry] {
        &self.entries
    }

    /// The entry that wins for `key` in `section`: the last one.
    pub fn get(&self, section: &str, key: &str) -> Option<&IniEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.section == section && e.key == key)
    }
}

fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// A `${name}` reference that [`interpolate`]'s lookup could not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved(pub(crate) String);

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}}}", self.0)
    }
}

/// Replaces each `${name}` in `value` with `lookup(name)` and each `$$` with `$`.
///
/// Only the braced form is a reference: a `$` followed by anything else is kept as
/// written, so passwords containing `$` need no escaping (oslo.config also reads the
/// unbraced `$name`; warren does not). `lookup` returns `Ok(None)` for an unknown name.
pub(crate) fn interpolate<E>(
    value: &str,
    mut lookup: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Result<String, Unresolved>, E> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('{').and_then(|b| b.split_once('}')) {
            match lookup(name)? {
                Some(v) => out.push_str(&v),
                None => return Ok(Err(Unresolved(name.to_owned()))),
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_comments_and_separators() {
        let text = "\
# leading comment
[DEFAULT]
transport_url = pika://u:p@h:5672/
  control_exchange:nova  
; another comment

[oslo_messaging_pika]
heartbeat_interval = 1
rpc_queue_expiration = 30 # not a comment
quoted = \"a b\"
single = 'c'
empty =
heartbeat_interval = 2
";
        let doc = IniDocument::parse(text).unwrap();
        let value = |s, k| doc.get(s, k).map(|e| e.value.as_str());
        assert_eq!(
            value("DEFAULT", "transport_url"),
            Some("pika://u:p@h:5672/")
        );
        assert_eq!(value("DEFAULT", "control_exchange"), Some("nova"));
        assert_eq!(
            value("oslo_messaging_pika", "rpc_queue_expiration"),
            Some("30 # not a comment")
        );
        assert_eq!(value("oslo_messaging_pika", "quoted"), Some("a b"));
        assert_eq!(value("oslo_messaging_pika", "single"), Some("c"));
        assert_eq!(value("oslo_messaging_pika", "empty"), Some(""));
        // Last value wins, and keeps its own line.
        let hb = doc
            .get("oslo_messaging_pika", "heartbeat_interval")
            .unwrap();
        assert_eq!((hb.value.as_str(), hb.line), ("2", 13));
        assert_eq!(doc.entries().len(), 8);
        assert_eq!(value("oslo_messaging_pika", "control_exchange"), None);
    }

    #[test]
    fn syntax_errors_carry_their_line() {
        let cases = [
            ("key = v\n", 1, IniProblem::KeyOutsideSection),
            ("[a]\n\njust words\n", 3, IniProblem::MissingSeparator),
            ("[a]\n = v\n", 2, IniProblem::EmptyKey),
            ("[a\n", 1, IniProblem::BadSectionHeader),
            ("[ ]\n", 1, IniProblem::BadSectionHeader),
        ];
        for (text, line, problem) in cases {
            assert_eq!(
                IniDocument::parse(text),
                Err(IniError { line, problem }),
                "{text:?}"
            );
        }
        let msg = IniDocument::parse("x\n").unwrap_err().to_string();
        assert!(msg.contains("key = value"), "{msg}");
    }

    #[test]
    fn empty_text_has_no_entries() {
        assert!(IniDocument::parse("").unwrap().entries().is_empty());
        assert!(
            IniDocument::parse("\n# c\n[s]\n")
                .unwrap()
                .entries()
                .is_empty()
        );
    }

    #[test]
    fn interpolation_of_braced_references() {
        let lookup = |name: &str| -> Result<Option<String>, ()> {
            Ok((name == "control_exchange").then(|| "nova".to_owned()))
        };
        let run = |v: &str| interpolate(v, lookup).unwrap();
        assert_eq!(run("${control_exchange}_rpc"), Ok("nova_rpc".to_owned()));
        assert_eq!(run("a$$b"), Ok("a$b".to_owned()));
        assert_eq!(run("pa$sword$"), Ok("pa$sword$".to_owned()));
        assert_eq!(run("${open"), Ok("${open".to_owned()));
        assert_eq!(run("${nope}"), Err(Unresolved("nope".to_owned())));
    }
}
