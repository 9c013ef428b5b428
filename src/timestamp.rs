//! Notification timestamps in Python's `str(datetime)` form.

use std::fmt::Write;

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::wire_error::WireError;

/// `time` as Python's `str(datetime)` writes a naive UTC time:
/// `YYYY-MM-DD HH:MM:SS.ffffff`, the fraction left out when the microseconds are 0.
///
/// Precision below a microsecond is dropped, as Python has none.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use warren_core::format_timestamp;
/// let t = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_micro_opt(18, 20, 47, 596_592).unwrap();
/// assert_eq!(format_timestamp(t), "2026-11-24 18:20:47.596592");
/// let t = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(18, 20, 47).unwrap();
/// assert_eq!(format_timestamp(t), "2026-11-24 18:20:47");
/// ```
pub fn format_timestamp(time: NaiveDateTime) -> String {
    // Every notification is stamped: write the fields directly for the years Python
    // knows and outside leap seconds, instead of interpreting a format string each time.
    let nanos = time.and_utc().timestamp_subsec_nanos();
    if (1..=9999).contains(&time.year()) && nanos < 1_000_000_000 {
        let mut out = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            time.year(),
            time.month(),
            time.day(),
            time.hour(),
            time.minute(),
            time.second()
        );
        if nanos >= 1000 {
            let _ = write!(out, ".{:06}", nanos / 1000);
        }
        return out;
    }
    let seconds = time.format("%Y-%m-%d %H:%M:%S");
    // A leap second carries 1e9 extra nanoseconds; Python would show 59.999999.
    let micros = (time.and_utc().timestamp_subsec_nanos() / 1000).min(999_999);
    if micros == 0 {
        seconds.to_string()
    } else {
        format!("{seconds}.{micros:06}")
    }
}

/// Reads a timestamp written by [`format_timestamp`] or by Python: a space or `T`
/// between date and time, a fraction of 1 to 9 digits or none.
///
/// # Examples
///
/// ```
/// use warren_core::{format_timestamp, parse_timestamp};
/// let t = parse_timestamp("2026-11-24 18:20:48.595553").unwrap();
/// assert_eq!(format_timestamp(t), "2026-11-24 18:20:48.595553");
/// assert!(parse_timestamp("yesterday").is_err());
/// ```
///
/// # Errors
///
/// [`WireError::BadTimestamp`] for any other text.
pub fn parse_timestamp(text: &str) -> Result<NaiveDateTime, WireError> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| WireError::BadTimestamp {
            given: crate::wire_error::excerpt(text),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(micro: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_micro_opt(3, 4, 5, micro)
            .unwrap()
    }

    #[test]
    fn fraction_only_when_nonzero() {
        assert_eq!(format_timestamp(at(0)), "2026-01-02 03:04:05");
        assert_eq!(format_timestamp(at(1)), "2026-01-02 03:04:05.000001");
        assert_eq!(format_timestamp(at(500_000)), "2026-01-02 03:04:05.500000");
        let nanos = chrono::Timelike::with_nanosecond(&at(0), 999).unwrap();
        assert_eq!(format_timestamp(nanos), "2026-01-02 03:04:05");
    }

    #[test]
    fn direct_fields_match_chrono_formatting() {
        let chrono_way = |t: NaiveDateTime| {
            let micros = (t.and_utc().timestamp_subsec_nanos() / 1000).min(999_999);
            let seconds = t.format("%Y-%m-%d %H:%M:%S");
            if micros == 0 {
                seconds.to_string()
            } else {
                format!("{seconds}.{micros:06}")
            }
        };
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let times = [
            day(1, 1, 1).and_hms_nano_opt(0, 0, 0, 0),
            day(9999, 12, 31).and_hms_nano_opt(23, 59, 59, 999_999_999),
            day(2026, 11, 24).and_hms_nano_opt(18, 20, 47, 596_592_001),
            day(2026, 6, 30).and_hms_nano_opt(23, 59, 59, 1_500_000_000),
            day(10_000, 1, 1).and_hms_nano_opt(0, 0, 0, 1000),
            day(0, 1, 1).and_hms_nano_opt(0, 0, 0, 0),
            day(-5, 1, 1).and_hms_nano_opt(1, 2, 3, 4000),
        ];
        for t in times.into_iter().map(Option::unwrap) {
            assert_eq!(format_timestamp(t), chrono_way(t), "{t:?}");
        }
    }

    #[test]
    fn parse_round_trips() {
        for micro in [0, 1, 596_592, 999_999] {
            let t = at(micro);
            assert_eq!(parse_timestamp(&format_timestamp(t)), Ok(t));
        }
        assert_eq!(parse_timestamp("2026-01-02T03:04:05.5"), Ok(at(500_000)));
        for bad in [
            "",
            "2026-01-02",
            "2026-13-02 03:04:05",
            "2026-01-02 03:04:05 UTC",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }
}
