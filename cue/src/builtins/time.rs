//! The `time` package: the `Time` and `Format` validators on Go's reference-time layouts,
//! `Parse`, Unix conversions, durations, and the layout and duration constants.
//!
//! Layout parsing follows Go's `time.Parse` element by element (`2006`, `01`, `Jan`, `15`,
//! `.999`, `Z07:00`...), including its leniencies: one-digit hours where the layout says `15`,
//! a fractional second after the seconds even when the layout has none, runs of spaces. Zone
//! abbreviations other than `UTC` are accepted with a zero offset, as Go does when the local
//! zone (UTC for CUE) does not know them.

use super::{i64_arg, str_arg, string, Builtin, BuiltinError, Concrete};

const P: &str = "time";

pub const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
pub const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Time", [String] -> Bool, str |s| valid_time(s, RFC3339_NANO)),
    builtin!(P, "Format", [String, String] -> Bool, |a| valid_time(str_arg(a, 0)?, str_arg(a, 1)?)),
    builtin!(P, "Parse", [String, String] -> String, |a| {
        let time = parse(str_arg(a, 0)?, str_arg(a, 1)?).map_err(BuiltinError::new)?;
        Ok(string(format_utc(time.unix_seconds(), time.nanosecond)))
    }),
    builtin!(P, "Unix", [Int, Int] -> String, |a| {
        let (seconds, nanos) = (i64_arg(a, 0)?, i64_arg(a, 1)?);
        let extra = nanos.div_euclid(1_000_000_000);
        let seconds = seconds
            .checked_add(extra)
            .ok_or_else(|| BuiltinError::new("time out of range"))?;
        Ok(string(format_utc(seconds, nanos.rem_euclid(1_000_000_000))))
    }),
    builtin!(P, "ToUnix", [String] -> Int, |a| {
        let time = parse_rfc3339(str_arg(a, 0)?)?;
        Ok(Concrete::Int(time.unix_seconds() as i128))
    }),
    builtin!(P, "ToUnixNano", [String] -> Int, |a| {
        let time = parse_rfc3339(str_arg(a, 0)?)?;
        Ok(Concrete::Int(
            time.unix_seconds() as i128 * 1_000_000_000 + time.nanosecond as i128,
        ))
    }),
    builtin!(P, "Split", [String] -> Struct, |a| {
        // The wall-clock fields in the time's own zone, as Go's `Time.Date` and `Clock` give.
        let t = parse_rfc3339(str_arg(a, 0)?)?;
        let fields = [
            ("year", t.year),
            ("month", t.month),
            ("day", t.day),
            ("hour", t.hour),
            ("minute", t.minute),
            ("second", t.second),
            ("nanosecond", t.nanosecond),
        ];
        Ok(Concrete::Struct(
            fields
                .iter()
                .map(|(name, value)| (std::sync::Arc::from(*name), Concrete::Int(i128::from(*value))))
                .collect(),
        ))
    }),
    builtin!(P, "Duration", [String] -> Bool, str |s| {
        parse_duration(s).map_err(BuiltinError::new)?;
        Ok(Concrete::Bool(true))
    }),
    builtin!(P, "ParseDuration", [String] -> Int, |a| {
        let nanos = parse_duration(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        Ok(Concrete::Int(nanos as i128))
    }),
    builtin!(P, "FormatDuration", [Int] -> String, |a| Ok(string(format_duration(i64_arg(a, 0)?)))),
    builtin!(P, "FormatString", [String, String] -> String, |a| {
        // Go CUE formats a timestamp in a layout; only the RFC 3339 forms and DateOnly are
        // supported here, as they are the ones schemas use.
        let (layout, value) = (str_arg(a, 0)?, str_arg(a, 1)?);
        let time = parse_rfc3339(value)?;
        format_layout(layout, &time).map(string)
    }),
];

pub(super) fn constant(name: &str) -> Option<Concrete> {
    let layout = match name {
        "ANSIC" => "Mon Jan _2 15:04:05 2006",
        "UnixDate" => "Mon Jan _2 15:04:05 MST 2006",
        "RubyDate" => "Mon Jan 02 15:04:05 -0700 2006",
        "RFC822" => "02 Jan 06 15:04 MST",
        "RFC822Z" => "02 Jan 06 15:04 -0700",
        "RFC850" => "Monday, 02-Jan-06 15:04:05 MST",
        "RFC1123" => "Mon, 02 Jan 2006 15:04:05 MST",
        "RFC1123Z" => "Mon, 02 Jan 2006 15:04:05 -0700",
        "RFC3339" => RFC3339,
        "RFC3339Nano" => RFC3339_NANO,
        "RFC3339Date" | "DateOnly" => "2006-01-02",
        "Kitchen" => "3:04PM",
        "Kitchen24" => "15:04",
        "Stamp" => "Jan _2 15:04:05",
        "StampMilli" => "Jan _2 15:04:05.000",
        "StampMicro" => "Jan _2 15:04:05.000000",
        "StampNano" => "Jan _2 15:04:05.000000000",
        "DateTime" => "2006-01-02 15:04:05",
        "TimeOnly" => "15:04:05",
        "Layout" => "01/02 03:04:05PM '06 -0700",
        _ => {
            let number: i128 = match name {
                "Nanosecond" => 1,
                "Microsecond" => 1_000,
                "Millisecond" => 1_000_000,
                "Second" => 1_000_000_000,
                "Minute" => 60_000_000_000,
                "Hour" => 3_600_000_000_000,
                "Sunday" => 0,
                "Monday" => 1,
                "Tuesday" => 2,
                "Wednesday" => 3,
                "Thursday" => 4,
                "Friday" => 5,
                "Saturday" => 6,
                _ => {
                    let month = LONG_MONTHS.iter().position(|m| *m == name)?;
                    month as i128 + 1
                }
            };
            return Some(Concrete::Int(number));
        }
    };
    Some(string(layout))
}

fn valid_time(value: &str, layout: &str) -> Result<Concrete, BuiltinError> {
    match parse(layout, value) {
        Ok(_) => Ok(Concrete::Bool(true)),
        Err(_) => Err(BuiltinError::new(format!(
            "invalid time {}",
            super::quote_string(value)
        ))),
    }
}

fn parse_rfc3339(value: &str) -> Result<ParsedTime, BuiltinError> {
    parse(RFC3339_NANO, value).map_err(BuiltinError::new)
}

/// A parsed wall-clock time with its zone offset (seconds east of UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParsedTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub nanosecond: i64,
    pub offset: i64,
}

impl ParsedTime {
    pub fn unix_seconds(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + self.hour * 3600
            + self.minute * 60
            + self.second
            - self.offset
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Formats a Unix time as Go's `RFC3339Nano` in UTC (trailing fraction zeros dropped).
pub fn format_utc(seconds: i64, nanos: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    );
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Formats a parsed time in the layouts schemas use for output.
fn format_layout(layout: &str, time: &ParsedTime) -> Result<String, BuiltinError> {
    let seconds = time.unix_seconds();
    match layout {
        RFC3339 => Ok(format_utc(seconds, 0)),
        RFC3339_NANO => Ok(format_utc(seconds, time.nanosecond)),
        "2006-01-02" => Ok(format_utc(seconds, 0)[..10].to_string()),
        _ => Err(BuiltinError::new(format!(
            "unsupported layout {}",
            super::quote_string(layout)
        ))),
    }
}

const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One element of a Go layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// `.000`: exactly this many digits.
    FracSecond0(usize),
    /// `.999`: optional, any number of digits.
    FracSecond9,
}

fn starts_with_lower(rest: &[u8]) -> bool {
    rest.first().is_some_and(u8::is_ascii_lowercase)
}

/// Go's `nextStdChunk`: the literal text before the first layout element, the element, and
/// the text after it.
fn next_std_chunk(layout: &[u8]) -> (&[u8], Option<Std>, &[u8]) {
    let has = |i: usize, s: &str| layout[i..].starts_with(s.as_bytes());
    for i in 0..layout.len() {
        let found = match layout[i] {
            b'J' if has(i, "January") => Some((Std::LongMonth, 7)),
            b'J' if has(i, "Jan") && !starts_with_lower(&layout[i + 3..]) => Some((Std::Month, 3)),
            b'M' if has(i, "Monday") => Some((Std::LongWeekDay, 6)),
            b'M' if has(i, "Mon") && !starts_with_lower(&layout[i + 3..]) => {
                Some((Std::WeekDay, 3))
            }
            b'M' if has(i, "MST") => Some((Std::Tz, 3)),
            b'0' if layout.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => {
                let std = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][usize::from(layout[i + 1] - b'1')];
                Some((std, 2))
            }
            b'0' if has(i, "002") => Some((Std::ZeroYearDay, 3)),
            b'1' if has(i, "15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if has(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if has(i, "_2006") => {
                // A literal `_` followed by the year.
                return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
            }
            b'_' if has(i, "_2") => Some((Std::UnderDay, 2)),
            b'_' if has(i, "__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if has(i, "PM") => Some((Std::PM, 2)),
            b'p' if has(i, "pm") => Some((Std::Pm, 2)),
            b'-' if has(i, "-070000") => Some((Std::NumSecondsTz, 7)),
            b'-' if has(i, "-07:00:00") => Some((Std::NumColonSecondsTz, 9)),
            b'-' if has(i, "-0700") => Some((Std::NumTz, 5)),
            b'-' if has(i, "-07:00") => Some((Std::NumColonTz, 6)),
            b'-' if has(i, "-07") => Some((Std::NumShortTz, 3)),
            b'Z' if has(i, "Z070000") => Some((Std::Iso8601SecondsTz, 7)),
            b'Z' if has(i, "Z07:00:00") => Some((Std::Iso8601ColonSecondsTz, 9)),
            b'Z' if has(i, "Z0700") => Some((Std::Iso8601Tz, 5)),
            b'Z' if has(i, "Z07:00") => Some((Std::Iso8601ColonTz, 6)),
            b'Z' if has(i, "Z07") => Some((Std::Iso8601ShortTz, 3)),
            b'.' | b',' if matches!(layout.get(i + 1), Some(b'0' | b'9')) => {
                let digit = layout[i + 1];
                let mut j = i + 1;
                while layout.get(j) == Some(&digit) {
                    j += 1;
                }
                // Only a run of digits that ends here is a fractional second.
                if layout.get(j).is_some_and(u8::is_ascii_digit) {
                    None
                } else if digit == b'0' {
                    Some((Std::FracSecond0(j - i - 1), j - i))
                } else {
                    Some((Std::FracSecond9, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (&layout[..i], Some(std), &layout[i + len..]);
        }
    }
    (layout, None, &[])
}

/// Go's `quote` for parse errors: non-ASCII and control bytes as `\xNN`.
fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        if !(b' '..0x80).contains(&b) {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            if b == b'"' || b == b'\\' {
                out.push('\\');
            }
            out.push(b as char);
        }
    }
    out.push('"');
    out
}

fn getnum(value: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let digit = |i: usize| {
        value
            .get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i64::from(c - b'0'))
    };
    let first = digit(0)?;
    match digit(1) {
        Some(second) => Some((first * 10 + second, &value[2..])),
        None if fixed => None,
        None => Some((first, &value[1..])),
    }
}

fn getnum3(value: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 && value.get(i).is_some_and(u8::is_ascii_digit) {
        n = n * 10 + i64::from(value[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &value[i..]))
}

fn all_digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    bytes.iter().try_fold(0i64, |acc, &c| {
        acc.checked_mul(10)?.checked_add(i64::from(c - b'0'))
    })
}

/// Go's `skip`: matches literal layout text, where a run of spaces matches a run of spaces.
fn skip<'v>(mut value: &'v [u8], mut prefix: &[u8]) -> Option<&'v [u8]> {
    let cut_space = |s: &'v [u8]| {
        let n = s.iter().take_while(|&&c| c == b' ').count();
        &s[n..]
    };
    while let Some(&first) = prefix.first() {
        if first == b' ' {
            if value.first().is_some_and(|&c| c != b' ') {
                return None;
            }
            let n = prefix.iter().take_while(|&&c| c == b' ').count();
            prefix = &prefix[n..];
            value = cut_space(value);
            continue;
        }
        if value.first() != Some(&first) {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

/// Case-insensitive prefix lookup in a name table, as Go's `lookup`.
fn lookup_name<'v>(table: &[&str], value: &'v [u8]) -> Option<(usize, &'v [u8])> {
    table.iter().enumerate().find_map(|(i, name)| {
        let name = name.as_bytes();
        (value.len() >= name.len() && value[..name.len()].eq_ignore_ascii_case(name))
            .then(|| (i, &value[name.len()..]))
    })
}

/// Go's `parseNanoseconds`: `value` starts with the separator; `len` includes it.
fn parse_nanoseconds(value: &[u8], len: usize) -> Option<i64> {
    if !matches!(value.first(), Some(b'.' | b',')) {
        return None;
    }
    let len = len.min(10);
    let mut nanos = all_digits(&value[1..len])?;
    for _ in len..10 {
        nanos *= 10;
    }
    Some(nanos)
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn time_zone_length(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with(b"ChST") || value.starts_with(b"MeST") {
        return Some(4);
    }
    if value.starts_with(b"GMT") {
        return Some(3 + signed_offset_length(&value[3..]));
    }
    if matches!(value[0], b'+' | b'-') {
        let n = signed_offset_length(value);
        return (n > 0).then_some(n);
    }
    let upper = value
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        3 => Some(3),
        4 if value[3] == b'T' || value.starts_with(b"WITA") => Some(4),
        5 if value[4] == b'T' => Some(5),
        _ => None,
    }
}

fn signed_offset_length(value: &[u8]) -> usize {
    if !matches!(value.first(), Some(b'+' | b'-')) {
        return 0;
    }
    let digits = value[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    match all_digits(&value[1..1 + digits]) {
        Some(hours) if hours <= 23 => 1 + digits,
        _ => 0,
    }
}

/// Go's `time.Parse(layout, value)` with the local zone being UTC; the error is Go's text.
///
/// The RFC 3339 layouts (`time.Time`'s, and what most schemas name) take a dedicated reader;
/// every other layout, and the explanation of a value that reader refuses, take Go's
/// element-by-element walk ([`parse_layout`]).
pub fn parse(layout: &str, value: &str) -> Result<ParsedTime, String> {
    if layout == RFC3339_NANO || layout == RFC3339 {
        if let Some(time) = parse_rfc3339_exact(value.as_bytes()) {
            return Ok(time);
        }
    }
    parse_layout(layout, value)
}

/// The two digits at `at`, if both are digits.
fn two_digits(value: &[u8], at: usize) -> Option<i64> {
    match value.get(at..at + 2)? {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some(i64::from(a - b'0') * 10 + i64::from(b - b'0')),
        _ => None,
    }
}

/// What [`parse_layout`] accepts for `RFC3339` and `RFC3339Nano` (the two accept the same
/// values: Go reads a fraction after the seconds in either), read in one pass: `None` exactly
/// when it refuses the value.
///
/// `yyyy-mm-ddThh:mm:ss[.f…]Z` or `…±hh:mm`, where Go also allows a one-digit hour, a comma
/// for the point, any number of fraction digits (the first nine count), an offset of up to 24
/// hours and 60 minutes; and refuses a lowercase `t` or `z`, a month, hour, minute or second out
/// of range, and a day past the month's end (February 29 only in leap years).
fn parse_rfc3339_exact(value: &[u8]) -> Option<ParsedTime> {
    let mut time = ParsedTime {
        year: two_digits(value, 0)? * 100 + two_digits(value, 2)?,
        ..ParsedTime::default()
    };
    if value.get(4) != Some(&b'-') || value.get(7) != Some(&b'-') || value.get(10) != Some(&b'T') {
        return None;
    }
    time.month = two_digits(value, 5).filter(|m| (1..=12).contains(m))?;
    time.day = two_digits(value, 8)?;
    // Go's `15` takes one or two digits.
    let mut at = match two_digits(value, 11) {
        Some(hour) => {
            time.hour = hour;
            13
        }
        None => {
            time.hour = i64::from(value.get(11).filter(|c| c.is_ascii_digit())? - b'0');
            12
        }
    };
    if time.hour >= 24 || value.get(at) != Some(&b':') || value.get(at + 3) != Some(&b':') {
        return None;
    }
    time.minute = two_digits(value, at + 1).filter(|&m| m < 60)?;
    time.second = two_digits(value, at + 4).filter(|&s| s < 60)?;
    at += 6;
    if matches!(value.get(at), Some(b'.' | b','))
        && value.get(at + 1).is_some_and(u8::is_ascii_digit)
    {
        at += 1;
        let digits = value[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        for (i, &c) in value[at..at + digits].iter().take(9).enumerate() {
            time.nanosecond += i64::from(c - b'0') * 10i64.pow(8 - i as u32);
        }
        at += digits;
    }
    time.offset = match value.get(at..)? {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = two_digits(value, at + 1).filter(|&h| h <= 24)?;
            let minutes = two_digits(value, at + 4).filter(|&m| m <= 60)?;
            let seconds = (hours * 60 + minutes) * 60;
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    (time.day >= 1 && time.day <= days_in(time.month, time.year)).then_some(time)
}

/// Go's `time.Parse(layout, value)` element by element, for any layout.
fn parse_layout(layout: &str, value: &str) -> Result<ParsedTime, String> {
    let (full_layout, full_value) = (layout.as_bytes(), value.as_bytes());
    let bad = |layout_elem: &[u8], value_elem: &[u8]| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            go_quote(full_value),
            go_quote(full_layout),
            go_quote(value_elem),
            go_quote(layout_elem)
        )
    };
    let range_error = |what: &str| format!("parsing time {}: {what}", go_quote(full_value));

    let mut layout = full_layout;
    let mut value = full_value;
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0i64);
    let mut offset: Option<i64> = None;
    let (mut am, mut pm) = (false, false);

    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        let std_text = &layout[prefix.len()..layout.len() - suffix.len()];
        value = skip(value, prefix).ok_or_else(|| bad(prefix, value))?;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(range_error(&format!("extra text: {}", go_quote(value))));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut out_of_range: Option<&str> = None;
        let step: Option<&[u8]> = (|| match std {
            Std::Year => {
                let n = all_digits(value.get(..2)?)?;
                year = if n >= 69 { n + 1900 } else { n + 2000 };
                Some(&value[2..])
            }
            Std::LongYear => {
                year = all_digits(value.get(..4)?)?;
                Some(&value[4..])
            }
            Std::Month | Std::LongMonth => {
                let table: &[&str] = if std == Std::Month {
                    &SHORT_MONTHS
                } else {
                    &LONG_MONTHS
                };
                let (index, rest) = lookup_name(table, value)?;
                month = index as i64 + 1;
                Some(rest)
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (n, rest) = getnum(value, std == Std::ZeroMonth)?;
                month = n;
                if !(1..=12).contains(&n) {
                    out_of_range = Some("month");
                }
                Some(rest)
            }
            Std::WeekDay => lookup_name(&SHORT_DAYS, value).map(|(_, rest)| rest),
            Std::LongWeekDay => lookup_name(&LONG_DAYS, value).map(|(_, rest)| rest),
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                let mut v = value;
                if std == Std::UnderDay && v.first() == Some(&b' ') {
                    v = &v[1..];
                }
                let (n, rest) = getnum(v, std == Std::ZeroDay)?;
                day = n;
                Some(rest)
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                let mut v = value;
                for _ in 0..2 {
                    if std == Std::UnderYearDay && v.first() == Some(&b' ') {
                        v = &v[1..];
                    }
                }
                let (n, rest) = getnum3(v, std == Std::ZeroYearDay)?;
                yday = n;
                Some(rest)
            }
            Std::Hour => {
                let (n, rest) = getnum(value, false)?;
                hour = n;
                if n >= 24 {
                    out_of_range = Some("hour");
                }
                Some(rest)
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (n, rest) = getnum(value, std == Std::ZeroHour12)?;
                hour = n;
                if n > 12 {
                    out_of_range = Some("hour");
                }
                Some(rest)
            }
            Std::Minute | Std::ZeroMinute => {
                let (n, rest) = getnum(value, std == Std::ZeroMinute)?;
                minute = n;
                if n >= 60 {
                    out_of_range = Some("minute");
                }
                Some(rest)
            }
            Std::Second | Std::ZeroSecond => {
                let (n, mut rest) = getnum(value, std == Std::ZeroSecond)?;
                second = n;
                if n >= 60 {
                    out_of_range = Some("second");
                    return Some(rest);
                }
                // A fraction in the value but not in the layout is accepted.
                if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
                    let next = next_std_chunk(layout).1;
                    if !matches!(next, Some(Std::FracSecond0(_) | Std::FracSecond9)) {
                        let n = 2 + rest[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                        nanos = parse_nanoseconds(rest, n)?;
                        rest = &rest[n..];
                    }
                }
                Some(rest)
            }
            Std::PM | Std::Pm => {
                let marker = value.get(..2)?;
                let (upper_pm, upper_am): (&[u8], &[u8]) = if std == Std::PM {
                    (b"PM", b"AM")
                } else {
                    (b"pm", b"am")
                };
                if marker == upper_pm {
                    pm = true;
                } else if marker == upper_am {
                    am = true;
                } else {
                    return None;
                }
                Some(&value[2..])
            }
            Std::Iso8601Tz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ColonSecondsTz
                if value.first() == Some(&b'Z') =>
            {
                offset = Some(0);
                Some(&value[1..])
            }
            Std::Iso8601Tz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumSecondsTz
            | Std::NumColonSecondsTz => {
                let (sign, h, m, s, rest): (u8, &[u8], &[u8], &[u8], &[u8]) = match std {
                    Std::Iso8601ColonTz | Std::NumColonTz => {
                        let v = value.get(..6)?;
                        if v[3] != b':' {
                            return None;
                        }
                        (v[0], &v[1..3], &v[4..6], b"00", &value[6..])
                    }
                    Std::Iso8601ShortTz | Std::NumShortTz => {
                        let v = value.get(..3)?;
                        (v[0], &v[1..3], b"00", b"00", &value[3..])
                    }
                    Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => {
                        let v = value.get(..9)?;
                        if v[3] != b':' || v[6] != b':' {
                            return None;
                        }
                        (v[0], &v[1..3], &v[4..6], &v[7..9], &value[9..])
                    }
                    Std::Iso8601SecondsTz | Std::NumSecondsTz => {
                        let v = value.get(..7)?;
                        (v[0], &v[1..3], &v[3..5], &v[5..7], &value[7..])
                    }
                    _ => {
                        let v = value.get(..5)?;
                        (v[0], &v[1..3], &v[3..5], b"00", &value[5..])
                    }
                };
                let (hh, _) = getnum(h, true)?;
                let (mm, _) = getnum(m, true)?;
                let (ss, _) = getnum(s, true)?;
                if hh > 24 {
                    out_of_range = Some("time zone offset hour");
                }
                if mm > 60 {
                    out_of_range = Some("time zone offset minute");
                }
                if ss > 60 {
                    out_of_range = Some("time zone offset second");
                }
                let seconds = (hh * 60 + mm) * 60 + ss;
                offset = Some(match sign {
                    b'+' => seconds,
                    b'-' => -seconds,
                    _ => return None,
                });
                Some(rest)
            }
            Std::Tz => {
                if value.starts_with(b"UTC") {
                    offset = Some(0);
                    return Some(&value[3..]);
                }
                let n = time_zone_length(value)?;
                let name = &value[..n];
                // Unknown abbreviations get a zero offset; `GMT+3` carries its hours.
                if offset.is_none() {
                    let hours = if name.len() > 3 && name.starts_with(b"GMT") {
                        let sign = if name[3] == b'-' { -1 } else { 1 };
                        sign * all_digits(&name[4..]).unwrap_or(0)
                    } else {
                        0
                    };
                    offset = Some(hours * 3600);
                }
                Some(&value[n..])
            }
            Std::FracSecond0(digits) => {
                let n = 1 + digits;
                if value.len() < n {
                    return None;
                }
                nanos = parse_nanoseconds(value, n)?;
                Some(&value[n..])
            }
            Std::FracSecond9 => {
                if value.len() < 2 || !matches!(value[0], b'.' | b',') || !value[1].is_ascii_digit()
                {
                    return Some(value);
                }
                let n = 1 + value[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                nanos = parse_nanoseconds(value, n)?;
                Some(&value[n..])
            }
        })();
        if let Some(what) = out_of_range {
            return Err(range_error(&format!("{what} out of range")));
        }
        value = step.ok_or_else(|| bad(std_text, hold))?;
    }

    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let mut d = 0;
        let mut m = 0;
        let mut yd = yday;
        if is_leap(year) {
            if yd == 31 + 29 {
                m = 2;
                d = 29;
            } else if yd > 31 + 29 {
                yd -= 1;
            }
        }
        if !(1..=365).contains(&yd) {
            return Err(range_error("day-of-year out of range"));
        }
        if m == 0 {
            // Walk the months of a common year.
            let mut before = 0;
            m = 1;
            while before + days_in(m, 1) < yd {
                before += days_in(m, 1);
                m += 1;
            }
            d = yd - before;
        }
        if month >= 0 && month != m {
            return Err(range_error("day-of-year does not match month"));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(range_error("day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return Err(range_error("day out of range"));
    }
    Ok(ParsedTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanosecond: nanos,
        offset: offset.unwrap_or(0),
    })
}

/// Go's `time.ParseDuration`, in nanoseconds; the error is Go's text.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(text.as_bytes()));
    let bytes = text.as_bytes();
    let mut s = bytes;
    let negative = s.first() == Some(&b'-');
    if matches!(s.first(), Some(b'-' | b'+')) {
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let whole: u64 = if int_len == 0 {
            0
        } else {
            std::str::from_utf8(&s[..int_len])
                .ok()
                .and_then(|d| d.parse().ok())
                .ok_or_else(invalid)?
        };
        s = &s[int_len..];
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut frac_len = 0;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            frac_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
            for &c in &s[..frac_len] {
                // Digits beyond u64 precision only lose precision, as in Go.
                if fraction < (1 << 60) / 10 {
                    fraction = fraction * 10 + u64::from(c - b'0');
                    scale *= 10.0;
                }
            }
            s = &s[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = s
            .iter()
            .take_while(|&&c| c != b'.' && !c.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_quote(bytes)
            ));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let per_unit: u64 = match unit {
            b"ns" => 1,
            // "µs" (micro sign) and "μs" (Greek mu), as UTF-8.
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit),
                    go_quote(bytes)
                ))
            }
        };
        let mut value = whole.checked_mul(per_unit).ok_or_else(invalid)?;
        if fraction > 0 {
            value = value
                .checked_add((fraction as f64 * per_unit as f64 / scale) as u64)
                .ok_or_else(invalid)?;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if negative {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > i64::MAX as u64 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// Go's `Duration.String`: `3h2m0s`, `5s`, `600ms`, `1.5µs`, `0s`.
pub fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let negative = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, divisor) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&fraction(u, divisor));
        out.push_str(unit);
    } else {
        let seconds = u / 1_000_000_000;
        let (hours, minutes) = (seconds / 3600, seconds / 60 % 60);
        if hours > 0 {
            out.push_str(&format!("{hours}h"));
        }
        if hours > 0 || minutes > 0 {
            out.push_str(&format!("{minutes}m"));
        }
        out.push_str(&fraction(u % 60_000_000_000, 1_000_000_000));
        out.push('s');
    }
    if negative {
        out.insert(0, '-');
    }
    out
}

/// `value / divisor` with the fraction's trailing zeros dropped.
fn fraction(value: u64, divisor: u64) -> String {
    let whole = value / divisor;
    let rest = value % divisor;
    if rest == 0 {
        return whole.to_string();
    }
    let width = divisor.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn time_validator_accepts_rfc3339() {
        check(
            P,
            "Time",
            &[
                (vec![s("1937-01-01T12:00:27.87+00:20")], Ok(b(true))),
                (vec![s("2021-02-19T00:00:00Z")], Ok(b(true))),
                (vec![s("2021-02-19T00:00:00.123456789Z")], Ok(b(true))),
                (vec![s("2021-02-19T00:00:00,5Z")], Ok(b(true))),
                (vec![s("2021-02-19T0:00:00Z")], Ok(b(true))), // Go accepts a one-digit hour
                (vec![s("no time")], Err(r#"invalid time "no time""#)),
                (vec![s("2021-02-19")], Err(r#"invalid time "2021-02-19""#)),
                (
                    vec![s("2021-02-30T00:00:00Z")],
                    Err(r#"invalid time "2021-02-30T00:00:00Z""#),
                ),
                (
                    vec![s("2021-02-19T24:00:00Z")],
                    Err(r#"invalid time "2021-02-19T24:00:00Z""#),
                ),
                (
                    vec![s("2021-2-19T00:00:00Z")],
                    Err(r#"invalid time "2021-2-19T00:00:00Z""#),
                ),
                (
                    vec![s("2021-02-19T00:00:00")],
                    Err(r#"invalid time "2021-02-19T00:00:00""#),
                ),
                (
                    vec![s("2021-02-19t00:00:00Z")],
                    Err(r#"invalid time "2021-02-19t00:00:00Z""#),
                ),
                (vec![s("2020-02-29T00:00:00Z")], Ok(b(true))),
                (
                    vec![s("2021-02-19T00:00:00Zjunk")],
                    Err(r#"invalid time "2021-02-19T00:00:00Zjunk""#),
                ),
            ],
        );
    }

    #[test]
    fn format_validator_uses_go_layouts() {
        check(
            P,
            "Format",
            &[
                (vec![s("2021-02-19"), s("2006-01-02")], Ok(b(true))),
                (
                    vec![s("2021-13-19"), s("2006-01-02")],
                    Err(r#"invalid time "2021-13-19""#),
                ),
                (vec![s("3:04PM"), s("3:04PM")], Ok(b(true))),
                (vec![s("11:30AM"), s("3:04PM")], Ok(b(true))),
                (
                    vec![s("11:30XM"), s("3:04PM")],
                    Err(r#"invalid time "11:30XM""#),
                ),
                (
                    vec![s("Mon Jan  2 15:04:05 2006"), s("Mon Jan _2 15:04:05 2006")],
                    Ok(b(true)),
                ),
                (
                    vec![s("01 Jul 21 17:54 CEST"), s("02 Jan 06 15:04 MST")],
                    Ok(b(true)),
                ),
                (
                    vec![
                        s("Tue, 10 Nov 2009 23:00:00 -0700"),
                        s("Mon, 02 Jan 2006 15:04:05 -0700"),
                    ],
                    Ok(b(true)),
                ),
                (vec![s("15:04:05.000"), s("15:04:05.000")], Ok(b(true))),
                (
                    vec![s("15:04:05.00"), s("15:04:05.000")],
                    Err(r#"invalid time "15:04:05.00""#),
                ),
                (vec![s("2021-060"), s("2006-002")], Ok(b(true))),
            ],
        );
    }

    #[test]
    fn parse_reports_go_errors() {
        let rows = [
            (
                "2019-01-02T15:04:05",
                r#"parsing time "2019-01-02T15:04:05" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "Z07:00""#,
            ),
            (
                "2019-01-02T15:04:61Z",
                r#"parsing time "2019-01-02T15:04:61Z": second out of range"#,
            ),
            (
                "not a time",
                r#"parsing time "not a time" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "not a time" as "2006""#,
            ),
        ];
        for (value, want) in rows {
            assert_eq!(parse(RFC3339_NANO, value), Err(want.to_string()));
        }
    }

    #[test]
    fn parse_and_unix() {
        check(
            P,
            "Parse",
            &[
                (
                    vec![s("02 Jan 06 15:04 MST"), s("01 Jul 21 17:54 CEST")],
                    Ok(s("2021-07-01T17:54:00Z")),
                ),
                (
                    vec![s("2006-01-02"), s("2021-02-19")],
                    Ok(s("2021-02-19T00:00:00Z")),
                ),
                (
                    vec![
                        s("01/02 03:04:05PM '06 -0700"),
                        s("01/02 03:04:05PM '06 -0700"),
                    ],
                    Ok(s("2006-01-02T22:04:05Z")),
                ),
            ],
        );
        check(
            P,
            "Unix",
            &[
                (
                    vec![i(1500000000), i(123456)],
                    Ok(s("2017-07-14T02:40:00.000123456Z")),
                ),
                (vec![i(0), i(0)], Ok(s("1970-01-01T00:00:00Z"))),
                (vec![i(-1), i(0)], Ok(s("1969-12-31T23:59:59Z"))),
            ],
        );
        check(
            P,
            "ToUnix",
            &[
                (vec![s("1970-01-01T00:00:00Z")], Ok(i(0))),
                (vec![s("2017-07-14T02:40:00.000123456Z")], Ok(i(1500000000))),
                (vec![s("2019-01-02T15:04:05-08:00")], Ok(i(1546470245))),
                (
                    vec![s("2019-01-02T15:04:61Z")],
                    Err(r#"parsing time "2019-01-02T15:04:61Z": second out of range"#),
                ),
            ],
        );
        check(
            P,
            "Split",
            &[(
                vec![s("2017-07-14T02:40:00.000123456Z")],
                Ok(st(vec![
                    ("year", i(2017)),
                    ("month", i(7)),
                    ("day", i(14)),
                    ("hour", i(2)),
                    ("minute", i(40)),
                    ("second", i(0)),
                    ("nanosecond", i(123456)),
                ])),
            )],
        );
        check(
            P,
            "ToUnixNano",
            &[(
                vec![s("2017-07-14T02:40:00.000123456Z")],
                Ok(i(1500000000000123456)),
            )],
        );
        check(
            P,
            "FormatString",
            &[
                (
                    vec![s("2006-01-02"), s("2019-01-02T15:04:05Z")],
                    Ok(s("2019-01-02")),
                ),
                (
                    vec![s("Mon"), s("2019-01-02T15:04:05Z")],
                    Err(r#"unsupported layout "Mon""#),
                ),
            ],
        );
    }

    #[test]
    fn durations() {
        check(
            P,
            "Duration",
            &[
                (vec![s("1h30m")], Ok(b(true))),
                (vec![s("-1.5s")], Ok(b(true))),
                (vec![s("0")], Ok(b(true))),
                (vec![s("300µs")], Ok(b(true))),
                (vec![s("")], Err(r#"time: invalid duration """#)),
                (vec![s("1")], Err(r#"time: missing unit in duration "1""#)),
                (
                    vec![s("1x")],
                    Err(r#"time: unknown unit "x" in duration "1x""#),
                ),
                (vec![s("h")], Err(r#"time: invalid duration "h""#)),
                (
                    vec![s("99999999999h")],
                    Err(r#"time: invalid duration "99999999999h""#),
                ),
            ],
        );
        check(
            P,
            "ParseDuration",
            &[
                (vec![s("1h30m")], Ok(i(5_400_000_000_000))),
                (vec![s("1.5s")], Ok(i(1_500_000_000))),
                (vec![s("-2ms")], Ok(i(-2_000_000))),
                (vec![s(".5us")], Ok(i(500))),
            ],
        );
        check(
            P,
            "FormatDuration",
            &[
                (vec![i(10920000000000)], Ok(s("3h2m0s"))),
                (vec![i(5000000000)], Ok(s("5s"))),
                (vec![i(600000000)], Ok(s("600ms"))),
                (vec![i(0)], Ok(s("0s"))),
                (vec![i(1500)], Ok(s("1.5µs"))),
                (vec![i(-90_000_000_000)], Ok(s("-1m30s"))),
                (vec![i(1_500_000_000)], Ok(s("1.5s"))),
            ],
        );
    }

    #[test]
    fn constants() {
        assert_eq!(constant("RFC3339"), Some(s(RFC3339)));
        assert_eq!(constant("Kitchen"), Some(s("3:04PM")));
        assert_eq!(constant("DateOnly"), Some(s("2006-01-02")));
        assert_eq!(constant("Hour"), Some(i(3_600_000_000_000)));
        assert_eq!(constant("March"), Some(i(3)));
        assert_eq!(constant("Nope"), None);
    }

    /// Verdicts of `time.Time` / `time.Format` from the reference `cue` (tools/cue-oracle), except
    /// where a newer Go changed `time.Parse` (marked).
    #[test]
    fn layouts_agree_with_the_go_oracle() {
        let table = [
            (
                "2021-02-19T00:00:00Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                true,
            ),
            (
                "2021-02-19T0:00:00Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                true,
            ),
            (
                "2021-02-19T00:00:00,5Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                true,
            ), // Go 1.17+ accepts a comma; the oracle's Go did not.
            (
                "2021-02-19T00:00:00+24:00",
                "2006-01-02T15:04:05.999999999Z07:00",
                true,
            ),
            (
                "2021-02-19T00:00:00+25:00",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ), // Go 1.20+ checks the offset hour; the oracle's Go did not.
            (
                "2021-02-19 00:00:00Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ),
            (
                "2021-02-29T00:00:00Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ),
            (
                "0000-01-01T00:00:00Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                true,
            ),
            (
                "2021-02-19T00:00:00.Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ),
            (
                "2021-02-19T00:00:60Z",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ),
            (
                "2021-02-19T00:00:00z",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ),
            (
                "2021-02-19T00:00:00+0100",
                "2006-01-02T15:04:05.999999999Z07:00",
                false,
            ),
            ("2021-02-19", "2006-01-02", true),
            ("2021-2-19", "2006-01-02", false),
            ("2021-02-19", "2006-1-2", true),
            ("3:04PM", "3:04PM", true),
            ("13:04PM", "3:04PM", false),
            ("12:00am", "3:04pm", true),
            ("Mon Jan  2 15:04:05 2006", "Mon Jan _2 15:04:05 2006", true),
            (
                "Monday, 02-Jan-06 15:04:05 MST",
                "Monday, 02-Jan-06 15:04:05 MST",
                true,
            ),
            (
                "Tue, 02 Jan 2006 15:04:05 MST",
                "Mon, 02 Jan 2006 15:04:05 MST",
                true,
            ),
            (
                "FOO, 02 Jan 2006 15:04:05 MST",
                "Mon, 02 Jan 2006 15:04:05 MST",
                false,
            ),
            (
                "2006-01-02T15:04:05.000Z",
                "2006-01-02T15:04:05.000Z07:00",
                true,
            ),
            (
                "2006-01-02T15:04:05.00Z",
                "2006-01-02T15:04:05.000Z07:00",
                false,
            ),
            ("15:04:05", "15:04:05", true),
            ("24:00:00", "15:04:05", false),
            ("2021-060", "2006-002", true),
            ("2021-366", "2006-002", false),
            ("jan 5", "Jan 2", true),
            ("January 5", "January 2", true),
            ("2021", "2006", true),
            ("21", "06", true),
            ("x2021", "x2006", true),
            ("2021  02", "2006 01", true),
            ("02 Jan 06 15:04 +0100", "02 Jan 06 15:04 -0700", true),
            ("02 Jan 06 15:04 GMT+3", "02 Jan 06 15:04 MST", true),
            ("02 Jan 06 15:04 ABCDE", "02 Jan 06 15:04 MST", false),
        ];
        for (value, layout, want) in table {
            assert_eq!(
                parse(layout, value).is_ok(),
                want,
                "{value:?} as {layout:?}"
            );
        }
    }

    /// Checks the dedicated RFC 3339 reader against Go's layout walk on `value`, for both
    /// layouts: the same time or the same refusal, and through [`parse`] the same error text.
    /// Returns whether the value was accepted.
    fn agrees_with_the_layout_walk(value: &str) -> bool {
        let exact = parse_rfc3339_exact(value.as_bytes());
        for layout in [RFC3339_NANO, RFC3339] {
            let walked = parse_layout(layout, value);
            assert_eq!(exact, walked.clone().ok(), "{value:?} as {layout:?}");
            assert_eq!(parse(layout, value), walked, "{value:?} as {layout:?}");
        }
        exact.is_some()
    }

    /// Valid and nearly valid RFC 3339 values: boundaries of every field.
    fn rfc3339_seeds() -> Vec<String> {
        let mut seeds = Vec::new();
        for year in ["0000", "1900", "2000", "2021", "2024", "9999"] {
            for month in ["00", "01", "02", "04", "12", "13"] {
                for day in ["00", "01", "28", "29", "30", "31", "32"] {
                    seeds.push(format!("{year}-{month}-{day}T12:00:00Z"));
                }
            }
        }
        for hour in ["0", "9", "00", "09", "23", "24", "99"] {
            for minute in ["00", "59", "60", "99"] {
                for second in ["00", "59", "60", "61"] {
                    seeds.push(format!("2024-05-01T{hour}:{minute}:{second}Z"));
                }
            }
        }
        for len in 0..=12 {
            let digits: String = "123456789012".chars().take(len).collect();
            for point in [".", ","] {
                for zone in ["Z", "+01:00", "z"] {
                    seeds.push(format!("2024-05-01T14:30:00{point}{digits}{zone}"));
                }
            }
        }
        for sign in ["+", "-"] {
            for hours in ["00", "01", "23", "24", "25", "99"] {
                for minutes in ["00", "30", "59", "60", "61", "99"] {
                    seeds.push(format!("2024-05-01T14:30:00.5{sign}{hours}:{minutes}"));
                }
            }
        }
        seeds.extend(
            [
                "2024-05-01T14:30:00",
                "2024-05-01t14:30:00Z",
                "2024-05-01 14:30:00Z",
                "2024-05-01T14:30:00+0100",
                "2024-05-01T14:30:00+01",
                "2024-05-01T14:30:00+01:00:00",
                "2024-05-01T14:30:00UTC",
                "2024-05-01T14:30:00.Z",
                "2024-05-01T14:30:00.5.5Z",
                "2024-05-01T14:30Z",
                "2024-5-01T14:30:00Z",
                "24-05-01T14:30:00Z",
                "+2024-05-01T14:30:00Z",
                "2024-05-01T14:30:00Zjunk",
                "2024-05-01T14:30:00Z ",
                " 2024-05-01T14:30:00Z",
                "2024-05-01T14:30:00\u{e9}Z",
                "",
            ]
            .map(String::from),
        );
        seeds
    }

    #[test]
    fn rfc3339_reader_agrees_with_the_layout_walk() {
        let (mut tried, mut accepted) = (0, 0);
        let mut try_one = |value: &str| {
            tried += 1;
            accepted += usize::from(agrees_with_the_layout_walk(value));
        };
        // Each seed, and each position of it replaced, deleted or doubled, and each prefix.
        let replacements = [
            "0", "1", "2", "3", "5", "6", "9", "-", ":", "T", "t", "Z", "z", ".", ",", "+", " ",
            "a", "\u{e9}", "",
        ];
        for seed in rfc3339_seeds() {
            try_one(&seed);
            let chars: Vec<char> = seed.chars().collect();
            for i in 0..chars.len() {
                let (before, after): (String, String) =
                    (chars[..i].iter().collect(), chars[i + 1..].iter().collect());
                for r in replacements {
                    try_one(&format!("{before}{r}{after}"));
                }
                try_one(&format!("{before}{}{}{after}", chars[i], chars[i]));
                try_one(&before);
            }
        }
        // Random strings over the characters RFC 3339 uses, shaped like a timestamp.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789-:TZ.,+";
        let shape = b"dddd-dd-ddTdd:dd:dd.ddd+dd:dd";
        for _ in 0..20_000 {
            let value: String = shape
                .iter()
                .take(18 + (next() % 12) as usize)
                .map(|&c| {
                    let pick = next();
                    if c != b'd' && pick % 8 != 0 {
                        c as char
                    } else if pick % 5 != 0 {
                        (b'0' + (pick >> 8) as u8 % 10) as char
                    } else {
                        alphabet[(pick >> 8) as usize % alphabet.len()] as char
                    }
                })
                .collect();
            try_one(&value);
            try_one(&format!("{value}Z"));
        }
        // Enough of both verdicts that the comparison means something.
        assert!(tried > 50_000, "{tried} values");
        assert!(
            accepted > 2_000 && tried - accepted > 20_000,
            "{accepted} of {tried} accepted"
        );
    }

    #[test]
    fn rfc3339_reader_reads_every_field() {
        let t = parse(RFC3339_NANO, "2024-02-29T7:05:09.1234567891-03:30").expect("valid");
        let want = ParsedTime {
            year: 2024,
            month: 2,
            day: 29,
            hour: 7,
            minute: 5,
            second: 9,
            nanosecond: 123_456_789,
            offset: -(3 * 3600 + 30 * 60),
        };
        assert_eq!(t, want);
        assert_eq!(
            parse_rfc3339_exact(b"2024-02-29T7:05:09.1234567891-03:30"),
            Some(want)
        );
        assert_eq!(parse_rfc3339_exact(b"2023-02-29T07:05:09Z"), None);
        assert_eq!(
            parse(RFC3339, "2023-02-29T07:05:09Z"),
            Err(r#"parsing time "2023-02-29T07:05:09Z": day out of range"#.to_string())
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
