//! Timestamps and time-zone offsets as EPCIS uses them (xsd:dateTimeStamp: an instant with a mandatory offset).
//!
//! An event time is stored as an instant (nanoseconds since the Unix epoch, UTC) plus, separately, the
//! `eventTimeZoneOffset` of the place where it happened — EPCIS keeps the local offset even though the instant
//! is absolute, and losing or flipping it is a classic interop bug (events.md §10 item 8).
//!
//! # Example
//! ```
//! use tracecode::event::{Timestamp, TzOffset};
//!
//! // Parsing keeps both: the absolute instant and the offset of the place.
//! let (t, off) = Timestamp::parse("2026-03-01T08:30:00.250+08:00")?;
//! assert_eq!(off, TzOffset(480));
//! assert_eq!(t.unix_millis(), 1_772_325_000_250);
//! assert_eq!(t.to_string(), "2026-03-01T00:30:00.250Z"); // Display is UTC
//! assert_eq!(t.to_rfc3339(off, 3), "2026-03-01T08:30:00.250+08:00"); // the local form, for EPCIS output
//! assert_eq!(t, "2026-02-28T19:30:00.25-05:00".parse()?); // same instant, another offset
//! # Ok::<(), tracecode::Error>(())
//! ```
//!
//! # Other date-time crates (features `jiff`, `time`, `chrono`)
//! Each feature (off by default; the types only, no clock, time-zone database or formatting) adds conversions in one
//! pattern:
//! - **The instant**: `From<Timestamp>` for the crate's UTC instant (`jiff::Timestamp`, `time::OffsetDateTime` in
//!   UTC, `chrono::DateTime<Utc>`): infallible, each covers years 1677–2262 to the nanosecond. Back is `TryFrom`
//!   (the instant only; an offset the value carries is dropped), [`ErrorKind::Range`] outside 1677–2262.
//! - **The offset**: `TryFrom<TzOffset>` for the crate's fixed offset (`jiff::tz::Offset`, `time::UtcOffset`,
//!   `chrono::FixedOffset`): [`ErrorKind::Range`] only for a `TzOffset` the target cannot hold (the field is
//!   public, so it may hold any `i16`). Back is `TryFrom`: [`ErrorKind::Range`] unless whole minutes within ±14:00,
//!   the EPCIS range (historic local mean times have seconds: Amsterdam's was +00:19:32).
//! - **The pair** EPCIS keeps (`eventTime` and `eventTimeZoneOffset`): methods of [`Timestamp`] to a value that
//!   carries both, and back: `to_zoned_datetime`/`from_zoned_datetime` (jiff 1.x `ZonedDateTime`),
//!   `to_offset_date_time`/`from_offset_date_time` (time), `to_chrono`/`from_chrono` (chrono `DateTime`).
//!   Methods, not `From` impls: Rust's orphan rule allows no conversion between a foreign type and a tuple.
//!
//! The errors are [`Error`]s without a position (the fault is a value, not input text), naming no dependency type.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, ErrorKind};

/// An instant: nanoseconds since 1970-01-01T00:00:00Z (covers years 1678–2262).
///
/// Serde: an RFC 3339 UTC string in human-readable formats (`"2022-02-17T02:33:31.116Z"`, the shortest lossless
/// fraction; reading accepts any offset, and an integer of nanoseconds as earlier versions wrote), the nanoseconds
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

/// A time-zone offset in minutes east of UTC, −14:00 … +14:00.
///
/// Serde: `"+08:00"` in human-readable formats (reading also accepts `Z` and, as earlier versions wrote, the
/// minutes), the minutes otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TzOffset(pub i16);

/// The binary serde forms: what the derives wrote (a newtype of the integer), so binary encodings do not change.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Timestamp")]
struct TimestampRepr(i64);

#[derive(Serialize, Deserialize)]
#[serde(rename = "TzOffset")]
struct TzOffsetRepr(i16);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_rfc3339_auto(TzOffset::UTC))
        } else {
            TimestampRepr(self.0).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp or nanoseconds since the Unix epoch")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map(|(t, _)| t).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v).map(Timestamp).map_err(E::custom)
            }
        }
        if d.is_human_readable() { d.deserialize_any(V) } else { TimestampRepr::deserialize(d).map(|r| Timestamp(r.0)) }
    }
}

impl Serialize for TzOffset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.collect_str(self) } else { TzOffsetRepr(self.0).serialize(s) }
    }
}

impl<'de> Deserialize<'de> for TzOffset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TzOffset;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time-zone offset (`+08:00`) or minutes east of UTC")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TzOffset, E> {
                TzOffset::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TzOffset, E> {
                i16::try_from(v).map(TzOffset).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TzOffset, E> {
                i16::try_from(v).map(TzOffset).map_err(E::custom)
            }
        }
        if d.is_human_readable() { d.deserialize_any(V) } else { TzOffsetRepr::deserialize(d).map(|r| TzOffset(r.0)) }
    }
}

const NANOS_PER_SEC: i64 = 1_000_000_000;

use crate::civil::{civil_from_days, days_from_civil};

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn bad(at: usize, len: usize, msg: &'static str) -> Error {
    Error::new(ErrorKind::Date, at, len, msg)
}

fn digits(s: &[u8], at: usize, n: usize) -> Result<u32, Error> {
    let part = s.get(at..at + n).ok_or_else(|| bad(at, 0, "timestamp is too short"))?;
    part.iter().try_fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            Ok(acc * 10 + u32::from(b - b'0'))
        } else {
            Err(bad(at, n, "expected digits in timestamp"))
        }
    })
}

fn expect(s: &[u8], at: usize, c: u8, msg: &'static str) -> Result<(), Error> {
    if s.get(at) == Some(&c) { Ok(()) } else { Err(bad(at, 1, msg)) }
}

impl TzOffset {
    /// UTC.
    pub const UTC: Self = Self(0);

    /// Parses `+hh:mm`, `-hh:mm` or `Z` (EPCIS `eventTimeZoneOffset` pattern: −14:00 … +14:00).
    ///
    /// # Errors
    /// [`ErrorKind::Date`] with the position of the fault.
    ///
    /// ```
    /// use tracecode::event::TzOffset;
    /// assert_eq!(TzOffset::parse("-06:00")?, TzOffset(-360));
    /// assert_eq!(TzOffset::parse("+05:45")?.to_string(), "+05:45");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        let b = s.as_bytes();
        if b == b"Z" {
            return Ok(Self::UTC);
        }
        let sign = match b.first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(bad(0, 1, "time-zone offset must start with + or -")),
        };
        if b.len() != 6 {
            return Err(bad(0, b.len(), "time-zone offset must look like +hh:mm"));
        }
        let h = digits(b, 1, 2)?;
        expect(b, 3, b':', "time-zone offset must look like +hh:mm")?;
        let m = digits(b, 4, 2)?;
        if m > 59 || h > 14 || (h == 14 && m > 0) {
            return Err(bad(1, 5, "time-zone offset must be between -14:00 and +14:00"));
        }
        Ok(Self(sign * i16::try_from(h * 60 + m).unwrap_or(0)))
    }
}

impl fmt::Display for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", a / 60, a % 60)
    }
}

/// RFC 3339 in UTC, with as many fraction digits as the instant needs (`2022-02-17T02:33:31.116Z`).
///
/// ```
/// use tracecode::event::Timestamp;
/// let t: Timestamp = "2022-02-16T20:33:31.116-06:00".parse()?;
/// assert_eq!(t.to_string(), "2022-02-17T02:33:31.116Z");
/// # Ok::<(), tracecode::Error>(())
/// ```
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_auto(TzOffset::UTC))
    }
}

/// [`Timestamp::parse`], keeping the instant (the offset it was written with is dropped; use `parse` to keep it).
impl std::str::FromStr for Timestamp {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s).map(|(t, _)| t)
    }
}

/// The instant of a `SystemTime`, saturating at the `i64` nanosecond range (years 1677 to 2262).
impl From<std::time::SystemTime> for Timestamp {
    fn from(t: std::time::SystemTime) -> Self {
        let ns = |d: std::time::Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Self(ns(d)),
            Err(e) => Self(ns(e.duration()).saturating_neg()),
        }
    }
}

/// The `SystemTime` of an instant.
impl From<Timestamp> for std::time::SystemTime {
    fn from(t: Timestamp) -> Self {
        let d = std::time::Duration::from_nanos(t.0.unsigned_abs());
        if t.0 >= 0 { Self::UNIX_EPOCH + d } else { Self::UNIX_EPOCH - d }
    }
}

impl Timestamp {
    /// The current time, from the system clock.
    ///
    /// ```
    /// use tracecode::event::Timestamp;
    /// assert!(Timestamp::now() > "2026-01-01T00:00:00Z".parse()?);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn now() -> Self {
        std::time::SystemTime::now().into()
    }

    /// Parses an xsd:dateTimeStamp (`2022-02-16T20:33:31.116-06:00`, `…Z`), returning the instant and the
    /// offset it was written with. Fractions beyond nanoseconds are truncated.
    ///
    /// # Errors
    /// [`ErrorKind::Date`] with the byte position of the fault (invalid month or day, missing offset, ...).
    ///
    /// ```
    /// use tracecode::event::{Timestamp, TzOffset};
    /// let (t, off) = Timestamp::parse("2022-02-16T20:33:31.116-06:00")?;
    /// assert_eq!(off, TzOffset(-360));
    /// assert_eq!(t.to_rfc3339(TzOffset::UTC, 3), "2022-02-17T02:33:31.116Z");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<(Self, TzOffset), Error> {
        let b = s.as_bytes();
        let mut year_len = 4;
        let neg = b.first() == Some(&b'-');
        let start = usize::from(neg);
        while b.get(start + year_len).is_some_and(u8::is_ascii_digit) && year_len < 9 {
            year_len += 1;
        }
        let y = i64::from(digits(b, start, year_len)?) * if neg { -1 } else { 1 };
        let p = start + year_len;
        expect(b, p, b'-', "expected '-' after the year")?;
        let mo = digits(b, p + 1, 2)?;
        expect(b, p + 3, b'-', "expected '-' after the month")?;
        let d = digits(b, p + 4, 2)?;
        expect(b, p + 6, b'T', "expected 'T' between date and time")?;
        let h = digits(b, p + 7, 2)?;
        expect(b, p + 9, b':', "expected ':' after the hour")?;
        let mi = digits(b, p + 10, 2)?;
        expect(b, p + 12, b':', "expected ':' after the minutes")?;
        let sec = digits(b, p + 13, 2)?;
        if !(1..=12).contains(&mo) {
            return Err(bad(p + 1, 2, "month must be 01 to 12"));
        }
        if d == 0 || d > days_in_month(y, mo) {
            return Err(bad(p + 4, 2, "day does not exist in that month"));
        }
        if h > 23 || mi > 59 || sec > 59 {
            return Err(bad(p + 7, 8, "time must be 00:00:00 to 23:59:59"));
        }
        let mut q = p + 15;
        let mut nanos: i64 = 0;
        if b.get(q) == Some(&b'.') {
            q += 1;
            let fs = q;
            let mut scale = 100_000_000i64;
            while let Some(&c) = b.get(q).filter(|c| c.is_ascii_digit()) {
                nanos += i64::from(c - b'0') * scale;
                scale /= 10;
                q += 1;
            }
            if q == fs {
                return Err(bad(q, 1, "expected digits after the decimal point"));
            }
        }
        let off_text = s.get(q..).ok_or_else(|| bad(q, 0, "timestamp needs a time-zone offset"))?;
        if off_text.is_empty() {
            return Err(bad(q, 0, "timestamp needs a time-zone offset (Z or ±hh:mm)"));
        }
        let off = TzOffset::parse(off_text).map_err(|e| e.shifted(q))?;
        let days = days_from_civil(y, mo, d);
        let secs = days
            .checked_mul(86_400)
            .and_then(|v| v.checked_add(i64::from(h * 3600 + mi * 60 + sec)))
            .and_then(|v| v.checked_sub(i64::from(off.0) * 60))
            .ok_or_else(|| bad(0, b.len(), "timestamp out of range"))?;
        let total = secs
            .checked_mul(NANOS_PER_SEC)
            .and_then(|v| v.checked_add(nanos))
            .ok_or_else(|| bad(0, b.len(), "timestamp out of range (years 1678 to 2262)"))?;
        Ok((Self(total), off))
    }

    /// Milliseconds since the epoch (floor).
    pub const fn unix_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// Formats as RFC 3339 in the given offset with `frac` fraction digits (0–9; trailing digits truncated).
    pub fn to_rfc3339(self, off: TzOffset, frac: u8) -> String {
        let local = self.0.saturating_add(i64::from(off.0) * 60 * NANOS_PER_SEC);
        let secs = local.div_euclid(NANOS_PER_SEC);
        let nanos = local.rem_euclid(NANOS_PER_SEC);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        let mut s = String::with_capacity(35);
        let _ = write!(s, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60);
        let frac = u32::from(frac.min(9));
        if frac > 0 {
            let _ = write!(s, ".{:0width$}", nanos / 10i64.pow(9 - frac), width = frac as usize);
        }
        if off.0 == 0 {
            s.push('Z');
        } else {
            let _ = write!(s, "{off}");
        }
        s
    }

    /// The shortest lossless RFC 3339 form in `off`: no fraction, or 3, 6 or 9 digits as needed.
    pub fn to_rfc3339_auto(self, off: TzOffset) -> String {
        let n = self.0.rem_euclid(NANOS_PER_SEC);
        let frac = if n == 0 {
            0
        } else if n % 1_000_000 == 0 {
            3
        } else if n % 1000 == 0 {
            6
        } else {
            9
        };
        self.to_rfc3339(off, frac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_format() {
        let (t, o) = Timestamp::parse("2022-02-16T20:33:31.116-06:00").unwrap();
        assert_eq!(o, TzOffset(-360));
        assert_eq!(t.to_rfc3339(o, 3), "2022-02-16T20:33:31.116-06:00");
        assert_eq!(t.to_rfc3339_auto(TzOffset::UTC), "2022-02-17T02:33:31.116Z");
        let (t2, _) = Timestamp::parse("2022-02-17T02:33:31.116Z").unwrap();
        assert_eq!(t, t2);
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z").unwrap().0, Timestamp(0));
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(Timestamp::parse("2022-13-01T00:00:00Z").unwrap_err().offset(), Some(5));
        assert_eq!(Timestamp::parse("2023-02-29T00:00:00Z").unwrap_err().offset(), Some(8));
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_ok());
        assert_eq!(Timestamp::parse("2022-01-01T00:00:00").unwrap_err().offset(), Some(19));
        assert_eq!(Timestamp::parse("2022-01-01T00:00:00+15:00").unwrap_err().kind(), ErrorKind::Date);
        assert_eq!(TzOffset::parse("0600").unwrap_err().offset(), Some(0));
    }

    proptest! {
        #[test]
        fn round_trip(ns in -6_000_000_000_000_000_000i64..6_000_000_000_000_000_000i64, off in -840i16..=840) {
            let t = Timestamp(ns);
            let o = TzOffset(off);
            let s = t.to_rfc3339(o, 9);
            let (back, o2) = Timestamp::parse(&s).unwrap();
            prop_assert_eq!(back, t);
            prop_assert_eq!(o2, o);
            prop_assert_eq!(Timestamp::parse(&t.to_rfc3339_auto(o)).unwrap().0, t);
            // Serde: RFC 3339 text in JSON, the integers in bincode (unchanged binary form).
            let json = serde_json::to_string(&(t, o)).unwrap();
            prop_assert_eq!(&json, &format!("[\"{}\",\"{o}\"]", t.to_rfc3339_auto(TzOffset::UTC)));
            prop_assert_eq!(serde_json::from_str::<(Timestamp, TzOffset)>(&json).unwrap(), (t, o));
            let bin = bincode::serialize(&(t, o)).unwrap();
            prop_assert_eq!(&bin, &bincode::serialize(&(ns, off)).unwrap());
            prop_assert_eq!(bincode::deserialize::<(Timestamp, TzOffset)>(&bin).unwrap(), (t, o));
            // What earlier versions wrote to JSON still reads.
            prop_assert_eq!(serde_json::from_str::<(Timestamp, TzOffset)>(&format!("[{ns},{off}]")).unwrap(), (t, o));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse(&s);
            let _ = TzOffset::parse(&s);
        }
    }
}
