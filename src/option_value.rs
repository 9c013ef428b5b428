//! Conversions from option text to typed values, with oslo.config's type rules
//! (`IntOpt`, `FloatOpt`, `BoolOpt`, `DictOpt`, `ListOpt`), and back for the builder's
//! typed setters.

use std::num::NonZeroUsize;
use std::time::Duration;

use crate::config_error::ValueProblem;
use crate::retry::Retry;
use crate::ssl_options::SslOptions;
use crate::url::TransportUrl;

/// `IntOpt`: an optional sign and digits, surrounding blanks allowed.
pub(crate) fn int(text: &str) -> Result<i64, ValueProblem> {
    text.trim().parse().map_err(|_| ValueProblem::NotAnInteger)
}

/// An `IntOpt` held in an unsigned type with a known maximum.
pub(crate) fn bounded<T: TryFrom<i64>>(text: &str, max: u64) -> Result<T, ValueProblem> {
    let n = int(text)?;
    if n < 0 {
        return Err(ValueProblem::Negative);
    }
    T::try_from(n).map_err(|_| ValueProblem::OutOfRange { min: 0, max })
}

/// An optional `IntOpt` (default None): empty or `None` gives `None`.
pub(crate) fn optional<T>(
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, ValueProblem>,
) -> Result<Option<T>, ValueProblem> {
    match text.trim() {
        "" | "None" => Ok(None),
        t => parse(t).map(Some),
    }
}

/// A size of at least one.
pub(crate) fn size(text: &str) -> Result<NonZeroUsize, ValueProblem> {
    let n: usize = bounded(text, usize::MAX as u64)?;
    NonZeroUsize::new(n).ok_or(ValueProblem::Zero)
}

/// An `IntOpt` counting whole seconds.
pub(crate) fn whole_seconds(text: &str) -> Result<Duration, ValueProblem> {
    let n: u64 = bounded(text, i64::MAX as u64)?;
    Ok(Duration::from_secs(n))
}

/// A `FloatOpt` counting seconds: decimals are read exactly, other float forms (`1e-3`)
/// through `f64`.
pub(crate) fn seconds(text: &str) -> Result<Duration, ValueProblem> {
    let t = text.trim();
    let f: f64 = t.parse().map_err(|_| ValueProblem::NotANumber)?;
    if !f.is_finite() {
        return Err(ValueProblem::NotANumber);
    }
    if f < 0.0 {
        return Err(ValueProblem::Negative);
    }
    if let Some(exact) = exact_decimal(t.strip_prefix('+').unwrap_or(t)) {
        return Ok(exact);
    }
    Duration::try_from_secs_f64(f.abs()).map_err(|_| ValueProblem::OutOfRange {
        min: 0,
        max: u64::MAX,
    })
}

fn exact_decimal(t: &str) -> Option<Duration> {
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || frac.len() > 9 || (whole.is_empty() && frac.is_empty()) {
        return None;
    }
    let secs = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let nanos = if frac.is_empty() {
        0
    } else {
        frac.parse::<u32>().ok()? * 10u32.pow(9 - frac.len() as u32)
    };
    Some(Duration::new(secs, nanos))
}

/// `BoolOpt`: oslo.config's words, case-insensitive.
pub(crate) fn boolean(text: &str) -> Result<bool, ValueProblem> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(ValueProblem::NotABoolean),
    }
}

/// A retry count: `-1`, `0` or `N > 0`.
pub(crate) fn retry(text: &str) -> Result<Retry, ValueProblem> {
    Ok(Retry::from_oslo(int(text)?)?)
}

/// One of `choices`, matched exactly.
pub(crate) fn choice<T: std::str::FromStr>(
    text: &str,
    choices: &'static [&'static str],
) -> Result<T, ValueProblem> {
    text.trim()
        .parse()
        .map_err(|_| ValueProblem::UnknownChoice { choices })
}

/// `ListOpt`: comma-separated, each item trimmed; empty text is an empty list.
pub(crate) fn list(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.is_empty() {
        return Vec::new();
    }
    t.split(',').map(|s| s.trim().to_owned()).collect()
}

/// `DictOpt`: `key:value,key:value`, split at each pair's first `:`; empty is `None`.
pub(crate) fn dict(text: &str) -> Result<Option<SslOptions>, ValueProblem> {
    let t = text.trim();
    if t.is_empty() || t == "None" {
        return Ok(None);
    }
    let pairs = t
        .split(',')
        .map(|pair| {
            let (k, v) = pair.split_once(':').ok_or(ValueProblem::BadDict)?;
            let k = k.trim();
            if k.is_empty() {
                return Err(ValueProblem::BadDict);
            }
            Ok((k.to_owned(), v.trim().to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(SslOptions::from_pairs(pairs)))
}

/// A transport URL; empty is `None`.
pub(crate) fn url(text: &str) -> Result<Option<TransportUrl>, ValueProblem> {
    match text.trim() {
        "" => Ok(None),
        t => Ok(Some(t.parse()?)),
    }
}

/// The `FloatOpt` text of a duration, exact to the nanosecond.
pub(crate) fn format_seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        return d.as_secs().to_string();
    }
    let frac = format!("{:09}", d.subsec_nanos());
    format!("{}.{}", d.as_secs(), frac.trim_end_matches('0'))
}

/// Serializes a duration as float seconds.
pub(crate) fn ser_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Serializes an optional duration as float seconds or `null`.
pub(crate) fn ser_opt_seconds<S: serde::Serializer>(
    d: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// Serializes a value through its `Display`.
pub(crate) fn ser_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(int(" 42 "), Ok(42));
        assert_eq!(int("+3"), Ok(3));
        assert_eq!(int("-1"), Ok(-1));
        for bad in ["", "1.5", "ten", "0x10"] {
            assert_eq!(int(bad), Err(ValueProblem::NotAnInteger), "{bad}");
        }
        assert_eq!(bounded::<u16>("65535", 65535), Ok(65535));
        assert_eq!(
            bounded::<u16>("65536", 65535),
            Err(ValueProblem::OutOfRange { min: 0, max: 65535 })
        );
        assert_eq!(bounded::<u16>("-1", 65535), Err(ValueProblem::Negative));
        assert_eq!(size("0"), Err(ValueProblem::Zero));
        assert_eq!(size("3").map(NonZeroUsize::get), Ok(3));
        assert_eq!(optional("None", int), Ok(None));
        assert_eq!(optional("", int), Ok(None));
        assert_eq!(optional("7", int), Ok(Some(7)));
    }

    #[test]
    fn seconds_are_exact_and_non_negative() {
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(seconds("3"), Ok(Duration::from_secs(3)));
        assert_eq!(seconds(".5"), Ok(Duration::from_millis(500)));
        assert_eq!(seconds("1e-3"), Ok(Duration::from_millis(1)));
        assert_eq!(seconds("0.000000001"), Ok(Duration::from_nanos(1)));
        assert_eq!(seconds("-0"), Ok(Duration::ZERO));
        assert_eq!(seconds("-0.1"), Err(ValueProblem::Negative));
        for bad in ["", "abc", "nan", "inf", "1,5"] {
            assert_eq!(seconds(bad), Err(ValueProblem::NotANumber), "{bad}");
        }
        assert_eq!(whole_seconds("60"), Ok(Duration::from_secs(60)));
        assert_eq!(whole_seconds("0.5"), Err(ValueProblem::NotAnInteger));
        assert_eq!(whole_seconds("-5"), Err(ValueProblem::Negative));
    }

    #[test]
    fn seconds_format_round_trips() {
        for d in [
            Duration::ZERO,
            Duration::from_millis(250),
            Duration::from_secs(60),
            Duration::new(1, 1),
            Duration::new(12345, 678_900_000),
        ] {
            assert_eq!(seconds(&format_seconds(d)), Ok(d), "{d:?}");
        }
        assert_eq!(format_seconds(Duration::from_millis(250)), "0.25");
    }

    #[test]
    fn booleans() {
        for t in ["true", "True", "1", "yes", "on", "t", "Y"] {
            assert_eq!(boolean(t), Ok(true), "{t}");
        }
        for f in ["false", "FALSE", "0", "no", "off", "f", "n"] {
            assert_eq!(boolean(f), Ok(false), "{f}");
        }
        for bad in ["", "2", "maybe", "None"] {
            assert_eq!(boolean(bad), Err(ValueProblem::NotABoolean), "{bad}");
        }
    }

    #[test]
    fn lists_and_dicts() {
        assert_eq!(list(""), Vec::<String>::new());
        assert_eq!(list("a, b ,c"), ["a", "b", "c"]);
        let d = dict("certfile:/c.pem, keyfile : /k.pem,x:a:b")
            .unwrap()
            .unwrap();
        assert_eq!(d.expose()["certfile"], "/c.pem");
        assert_eq!(d.expose()["keyfile"], "/k.pem");
        assert_eq!(d.expose()["x"], "a:b");
        assert_eq!(dict(""), Ok(None));
        assert_eq!(dict("novalue"), Err(ValueProblem::BadDict));
        assert_eq!(dict(":v"), Err(ValueProblem::BadDict));
    }

    #[test]
    fn retries() {
        assert_eq!(retry("-1"), Ok(Retry::Forever));
        assert_eq!(retry("0"), Ok(Retry::NoRetrier));
        assert!(matches!(retry("-2"), Err(ValueProblem::Retry(_))));
        assert_eq!(retry("x"), Err(ValueProblem::NotAnInteger));
    }
}
