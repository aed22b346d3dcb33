//! Text to values: the few formats the reader infers and decodes, without regex or chrono.

use arrow_schema::TimeUnit;

/// `true` / `false`, any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn unsigned(s: &str) -> &str {
    s.strip_prefix(['+', '-']).unwrap_or(s)
}

/// An optionally signed run of digits (it may still overflow an `i64`).
pub(crate) fn is_integer(s: &str) -> bool {
    all_digits(unsigned(s))
}

/// A decimal number with a point and/or an exponent: `1.5`, `.5`, `1.`, `1e5`, `-2.5E-3`.
pub(crate) fn is_decimal(s: &str) -> bool {
    let s = unsigned(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() || all_digits(int))
                && (frac.is_empty() || all_digits(frac))
                && !(int.is_empty() && frac.is_empty())
        }
        None => exponent.is_some() && all_digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| all_digits(unsigned(e)))
}

fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if all_digits(s) { s.parse().ok() } else { None }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `YYYY-MM-DD` as days since the epoch.
fn parse_days(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-');
    let year: i64 = number(parts.next()?)?;
    let month: u32 = number(parts.next()?)?;
    let day: u32 = number(parts.next()?)?;
    days_from_civil(year, month, day)
}

/// `YYYY-MM-DD` as a Date32 value.
pub(crate) fn parse_date32(s: &str) -> Option<i32> {
    parse_days(s)?.try_into().ok()
}

/// What inference sees in a date or timestamp: `YYYY-MM-DD` exactly.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && shape(b, b"dddd-dd-dd")
}

fn shape(text: &[u8], pattern: &[u8]) -> bool {
    text.len() >= pattern.len()
        && pattern.iter().zip(text).all(|(p, t)| match p {
            b'd' => t.is_ascii_digit(),
            b'T' => *t == b'T' || *t == b' ',
            p => p == t,
        })
}

/// The unit inference gives a timestamp (`YYYY-MM-DD[T ]HH:MM:SS` then an optional
/// fraction of 1 to 9 digits, then anything but a digit), or `None` if it is not one.
pub(crate) fn timestamp_unit(s: &str) -> Option<TimeUnit> {
    let b = s.as_bytes();
    if !shape(b, b"dddd-dd-ddTdd:dd:dd") {
        return None;
    }
    let rest = &b[19..];
    let Some(fraction) = rest.strip_prefix(b".") else {
        return Some(TimeUnit::Second);
    };
    let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
    match digits {
        1..=3 => Some(TimeUnit::Millisecond),
        4..=6 => Some(TimeUnit::Microsecond),
        7..=9 => Some(TimeUnit::Nanosecond),
        _ => None,
    }
}

/// An ISO-8601 date or date-time as ticks of `unit` since the epoch, UTC.
///
/// Accepts `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM[:SS[.fraction]]` and an
/// offset: `Z`, `+HH:MM`, `+HHMM` or `+HH` (none means UTC). Digits of the fraction
/// finer than `unit` are dropped.
pub(crate) fn parse_timestamp(s: &str, unit: TimeUnit) -> Option<i64> {
    let days = parse_days(s.get(..10)?)?;
    let rest = &s[10..];
    let (mut seconds, mut nanos) = (days * 86_400, 0i64);
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', ' '])?;
        let clock_end =
            rest.find(|c: char| !(c.is_ascii_digit() || c == ':')).unwrap_or(rest.len());
        let mut fields = rest[..clock_end].split(':');
        let hour: i64 = number(fields.next()?)?;
        let minute: i64 = number(fields.next()?)?;
        let second: i64 = fields.next().map_or(Some(0), number)?;
        if fields.next().is_some() || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        seconds += hour * 3600 + minute * 60 + second;
        let mut tail = &rest[clock_end..];
        if let Some(fraction) = tail.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            let value: i64 = fraction[..digits].parse().ok()?;
            nanos = value * 10i64.pow(9 - digits as u32);
            tail = &fraction[digits..];
        }
        seconds -= offset_seconds(tail)?;
    }
    let (per_second, nanos_per_tick) = match unit {
        TimeUnit::Second => (1, 1_000_000_000),
        TimeUnit::Millisecond => (1_000, 1_000_000),
        TimeUnit::Microsecond => (1_000_000, 1_000),
        TimeUnit::Nanosecond => (1_000_000_000, 1),
    };
    seconds.checked_mul(per_second)?.checked_add(nanos / nanos_per_tick)
}

/// `""` or `Z`: 0; `+HH:MM`, `+HHMM`, `+HH` (or `-`): the offset east of UTC in seconds.
fn offset_seconds(tail: &str) -> Option<i64> {
    if tail.is_empty() || tail.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match tail.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = tail[1..].replacen(':', "", 1);
    let (hours, minutes) = match digits.len() {
        2 => (number::<i64>(&digits)?, 0),
        4 => (number::<i64>(&digits[..2])?, number::<i64>(&digits[2..])?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert!(is_integer("-12") && is_integer("+3") && !is_integer("1.0") && !is_integer("-"));
        for ok in ["1.5", ".5", "1.", "1e5", "-2.5E-3", "+1.0e+2"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in [".", "e5", "1e", "1.2.3", "12", "1,5", ""] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(parse_date32("1970-01-01"), Some(0));
        assert_eq!(parse_date32("2024-01-02"), Some(19_724));
        assert_eq!(parse_date32("1969-12-31"), Some(-1));
        assert_eq!(parse_date32("2023-02-29"), None);
        assert!(is_date("2024-01-02") && !is_date("2024-01-02T00:00:00Z"));
        let s = TimeUnit::Second;
        assert_eq!(parse_timestamp("2024-01-02T03:04:05Z", s), Some(1_704_164_645));
        assert_eq!(parse_timestamp("2024-01-02 03:04:05", s), Some(1_704_164_645));
        assert_eq!(parse_timestamp("2024-01-02T04:04:05+01:00", s), Some(1_704_164_645));
        assert_eq!(parse_timestamp("2024-01-02T02:04:05-0100", s), Some(1_704_164_645));
        assert_eq!(parse_timestamp("2024-01-02", s), Some(1_704_153_600));
        assert_eq!(
            parse_timestamp("2024-01-02T03:04:05.123456Z", TimeUnit::Microsecond),
            Some(1_704_164_645_123_456)
        );
        assert_eq!(parse_timestamp("2024-01-02T03:04:05.9Z", s), Some(1_704_164_645));
        assert_eq!(parse_timestamp("2024-01-02T3:04", s), Some(1_704_164_640));
        assert_eq!(parse_timestamp("2024-01-02T03:04:05 UTC", s), None);
        assert_eq!(timestamp_unit("2024-01-02T03:04:05Z"), Some(TimeUnit::Second));
        assert_eq!(timestamp_unit("2024-01-02 03:04:05.12Z"), Some(TimeUnit::Millisecond));
        assert_eq!(timestamp_unit("2024-01-02T03:04:05.1234567"), Some(TimeUnit::Nanosecond));
        assert_eq!(timestamp_unit("2024-01-02T03:04:05."), None);
    }
}
