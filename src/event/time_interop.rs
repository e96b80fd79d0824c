//! Conversions between [`Timestamp`]/[`TzOffset`] and jiff, time and chrono (features `jiff`, `time`, `chrono`):
//! the pattern and its reasons are documented on the public module, [`super::time`].

use super::{Timestamp, TzOffset};
use crate::{Error, ErrorKind};

/// The error of an instant outside `Timestamp`'s range.
fn instant_out_of_range() -> Error {
    Error::msg(ErrorKind::Range, "instant is outside the range of a Timestamp (years 1677 to 2262)")
}

/// A `Timestamp` from nanoseconds since the epoch held in a wider integer.
#[cfg(any(feature = "jiff", feature = "time"))]
fn from_nanos(ns: i128) -> Result<Timestamp, Error> {
    i64::try_from(ns).map(Timestamp).map_err(|_| instant_out_of_range())
}

/// A `TzOffset` from seconds east of UTC: whole minutes within ±14:00.
fn offset_from_seconds(secs: i32) -> Result<TzOffset, Error> {
    if secs % 60 != 0 {
        return Err(Error::msg(
            ErrorKind::Range,
            format!("offset of {secs} s is not whole minutes: EPCIS offsets are +hh:mm"),
        ));
    }
    let minutes = secs / 60;
    if minutes.abs() > 14 * 60 {
        return Err(Error::msg(ErrorKind::Range, "offset is beyond ±14:00, the range of EPCIS offsets"));
    }
    i16::try_from(minutes).map(TzOffset).map_err(|_| Error::msg(ErrorKind::Range, "offset is beyond ±14:00"))
}

/// Seconds east of UTC of an offset (any `i16` of minutes fits an `i32` of seconds).
fn seconds(off: TzOffset) -> i32 {
    i32::from(off.0) * 60
}

/// The error of a `TzOffset` the target type cannot hold.
fn offset_out_of_range(off: TzOffset, target: &str) -> Error {
    Error::msg(ErrorKind::Range, format!("offset {off} is beyond the range of {target}"))
}

#[cfg(feature = "jiff")]
mod with_jiff {
    use jiff::tz::{Offset, TimeZone};
    use jiff::{SignedDuration, ZonedDateTime};

    use super::{Error, Timestamp, TzOffset, from_nanos, offset_from_seconds, offset_out_of_range, seconds};

    /// The same instant (jiff covers years −9999 to 9999 to the nanosecond: never fails).
    impl From<Timestamp> for jiff::Timestamp {
        fn from(t: Timestamp) -> Self {
            Self::UNIX_EPOCH + SignedDuration::from_nanos(t.0)
        }
    }

    /// The same instant.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) outside years 1677–2262.
    impl TryFrom<jiff::Timestamp> for Timestamp {
        type Error = Error;

        fn try_from(t: jiff::Timestamp) -> Result<Self, Error> {
            from_nanos(t.as_nanosecond())
        }
    }

    /// The same offset.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) beyond jiff's ±25:59:59.
    impl TryFrom<TzOffset> for Offset {
        type Error = Error;

        fn try_from(off: TzOffset) -> Result<Self, Error> {
            Self::from_seconds(seconds(off)).map_err(|_| offset_out_of_range(off, "a jiff Offset"))
        }
    }

    /// The same offset.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) unless whole minutes within ±14:00.
    impl TryFrom<Offset> for TzOffset {
        type Error = Error;

        fn try_from(off: Offset) -> Result<Self, Error> {
            offset_from_seconds(off.seconds())
        }
    }

    impl Timestamp {
        /// The instant in the fixed time zone `offset`: what an EPCIS `eventTime` with its `eventTimeZoneOffset`
        /// means.
        ///
        /// # Errors
        /// [`ErrorKind::Range`](crate::ErrorKind::Range) for an offset beyond jiff's ±25:59:59.
        ///
        /// ```
        /// use tracecode::event::Timestamp;
        /// let (t, off) = Timestamp::parse("2026-03-01T08:30:00+08:00")?;
        /// let z = t.to_zoned_datetime(off)?;
        /// assert_eq!(z.to_string(), "2026-03-01T08:30:00+08:00[+08:00]");
        /// assert_eq!(Timestamp::from_zoned_datetime(&z)?, (t, off));
        /// # Ok::<(), tracecode::Error>(())
        /// ```
        #[cfg_attr(docsrs, doc(cfg(feature = "jiff")))]
        pub fn to_zoned_datetime(self, offset: TzOffset) -> Result<ZonedDateTime, Error> {
            Ok(jiff::Timestamp::from(self).to_zoned_datetime(TimeZone::fixed(Offset::try_from(offset)?)))
        }

        /// The instant and the offset in effect at it (for a named zone such as `Europe/Paris`, its offset at that
        /// instant).
        ///
        /// # Errors
        /// [`ErrorKind::Range`](crate::ErrorKind::Range) outside years 1677–2262, or for an offset that is not whole
        /// minutes within ±14:00.
        #[cfg_attr(docsrs, doc(cfg(feature = "jiff")))]
        pub fn from_zoned_datetime(z: &ZonedDateTime) -> Result<(Self, TzOffset), Error> {
            Ok((Self::try_from(z.timestamp())?, TzOffset::try_from(z.offset())?))
        }
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        use super::*;
        use crate::ErrorKind;

        proptest! {
            #[test]
            fn instants_and_offsets_round_trip(ns in any::<i64>(), off in -840i16..=840) {
                let (t, o) = (Timestamp(ns), TzOffset(off));
                let j = jiff::Timestamp::from(t);
                prop_assert_eq!(j.as_nanosecond(), i128::from(ns));
                prop_assert_eq!(Timestamp::try_from(j).unwrap(), t);
                prop_assert_eq!(Offset::try_from(o).unwrap().seconds(), i32::from(off) * 60);
                let z = t.to_zoned_datetime(o).unwrap();
                prop_assert_eq!(Timestamp::from_zoned_datetime(&z).unwrap(), (t, o));
                // The local clock reading is the one the RFC 3339 text of the pair shows.
                let local = t.to_rfc3339(o, 9);
                prop_assert_eq!(z.strftime("%Y-%m-%dT%H:%M:%S").to_string(), local.get(..19).unwrap());
                prop_assert_eq!(i64::from(z.subsec_nanosecond()), ns.rem_euclid(1_000_000_000));
            }
        }

        #[test]
        fn out_of_range_values_are_range_errors() {
            let far = jiff::Timestamp::from_second(i64::MAX / 1_000_000_000 + 1).unwrap();
            assert_eq!(Timestamp::try_from(far).unwrap_err().kind(), ErrorKind::Range);
            let lmt = Offset::from_seconds(19 * 60 + 32).unwrap(); // Amsterdam's local mean time
            assert_eq!(TzOffset::try_from(lmt).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(TzOffset::try_from(Offset::from_hours(15).unwrap()).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(TzOffset::try_from(Offset::from_hours(-14).unwrap()).unwrap(), TzOffset(-840));
            let err = Offset::try_from(TzOffset(26 * 60)).unwrap_err();
            assert_eq!((err.kind(), err.offset()), (ErrorKind::Range, None));
            assert_eq!(Timestamp(0).to_zoned_datetime(TzOffset(i16::MIN)).unwrap_err().kind(), ErrorKind::Range);
        }
    }
}

#[cfg(feature = "time")]
mod with_time {
    use ::time::{Duration, OffsetDateTime, UtcOffset};

    use super::{Error, Timestamp, TzOffset, from_nanos, offset_from_seconds, offset_out_of_range, seconds};

    /// The same instant, in UTC (time covers years −9999 to 9999 to the nanosecond: never fails).
    impl From<Timestamp> for OffsetDateTime {
        fn from(t: Timestamp) -> Self {
            Self::UNIX_EPOCH + Duration::nanoseconds(t.0)
        }
    }

    /// The same instant (the offset is dropped: see [`Timestamp::from_offset_date_time`] to keep it).
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) outside years 1677–2262.
    impl TryFrom<OffsetDateTime> for Timestamp {
        type Error = Error;

        fn try_from(dt: OffsetDateTime) -> Result<Self, Error> {
            from_nanos(dt.unix_timestamp_nanos())
        }
    }

    /// The same offset.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) beyond time's ±25:59:59.
    impl TryFrom<TzOffset> for UtcOffset {
        type Error = Error;

        fn try_from(off: TzOffset) -> Result<Self, Error> {
            Self::from_whole_seconds(seconds(off)).map_err(|_| offset_out_of_range(off, "a time UtcOffset"))
        }
    }

    /// The same offset.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) unless whole minutes within ±14:00.
    impl TryFrom<UtcOffset> for TzOffset {
        type Error = Error;

        fn try_from(off: UtcOffset) -> Result<Self, Error> {
            offset_from_seconds(off.whole_seconds())
        }
    }

    impl Timestamp {
        /// The instant at `offset`: what an EPCIS `eventTime` with its `eventTimeZoneOffset` means.
        ///
        /// # Errors
        /// [`ErrorKind::Range`](crate::ErrorKind::Range) for an offset beyond time's ±25:59:59.
        ///
        /// ```
        /// use tracecode::event::Timestamp;
        /// let (t, off) = Timestamp::parse("2026-03-01T08:30:00-05:00")?;
        /// let dt = t.to_offset_date_time(off)?;
        /// assert_eq!((dt.hour(), dt.offset().whole_hours()), (8, -5));
        /// assert_eq!(Timestamp::from_offset_date_time(dt)?, (t, off));
        /// # Ok::<(), tracecode::Error>(())
        /// ```
        #[cfg_attr(docsrs, doc(cfg(feature = "time")))]
        pub fn to_offset_date_time(self, offset: TzOffset) -> Result<OffsetDateTime, Error> {
            Ok(OffsetDateTime::from(self).to_offset(UtcOffset::try_from(offset)?))
        }

        /// The instant and its offset.
        ///
        /// # Errors
        /// [`ErrorKind::Range`](crate::ErrorKind::Range) outside years 1677–2262, or for an offset that is not whole
        /// minutes within ±14:00.
        #[cfg_attr(docsrs, doc(cfg(feature = "time")))]
        pub fn from_offset_date_time(dt: OffsetDateTime) -> Result<(Self, TzOffset), Error> {
            Ok((Self::try_from(dt)?, TzOffset::try_from(dt.offset())?))
        }
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        use super::*;
        use crate::ErrorKind;

        proptest! {
            #[test]
            fn instants_and_offsets_round_trip(ns in any::<i64>(), off in -840i16..=840) {
                let (t, o) = (Timestamp(ns), TzOffset(off));
                let dt = OffsetDateTime::from(t);
                prop_assert_eq!((dt.unix_timestamp_nanos(), dt.offset()), (i128::from(ns), UtcOffset::UTC));
                prop_assert_eq!(Timestamp::try_from(dt).unwrap(), t);
                let local = t.to_offset_date_time(o).unwrap();
                prop_assert_eq!(local.offset().whole_minutes(), off);
                prop_assert_eq!(Timestamp::from_offset_date_time(local).unwrap(), (t, o));
            }
        }

        #[test]
        fn out_of_range_values_are_range_errors() {
            let far = OffsetDateTime::from_unix_timestamp(i64::MAX / 1_000_000_000 + 1).unwrap();
            assert_eq!(Timestamp::try_from(far).unwrap_err().kind(), ErrorKind::Range);
            let lmt = UtcOffset::from_hms(0, 19, 32).unwrap();
            assert_eq!(TzOffset::try_from(lmt).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(
                TzOffset::try_from(UtcOffset::from_hms(-15, 0, 0).unwrap()).unwrap_err().kind(),
                ErrorKind::Range
            );
            assert_eq!(TzOffset::try_from(UtcOffset::from_hms(5, 45, 0).unwrap()).unwrap(), TzOffset(345));
            assert_eq!(UtcOffset::try_from(TzOffset(26 * 60)).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(Timestamp(0).to_offset_date_time(TzOffset(i16::MAX)).unwrap_err().kind(), ErrorKind::Range);
        }
    }
}

#[cfg(feature = "chrono")]
mod with_chrono {
    use chrono::{DateTime, FixedOffset, Offset as _, TimeZone, Utc};

    use super::{Error, Timestamp, TzOffset, instant_out_of_range, offset_from_seconds, offset_out_of_range, seconds};

    /// The same instant (chrono covers ±262 000 years to the nanosecond: never fails).
    impl From<Timestamp> for DateTime<Utc> {
        fn from(t: Timestamp) -> Self {
            Self::from_timestamp_nanos(t.0)
        }
    }

    /// The same instant, in any chrono time zone (the zone is dropped: see [`Timestamp::from_chrono`] to keep
    /// its offset).
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) outside years 1677–2262.
    impl<Tz: TimeZone> TryFrom<DateTime<Tz>> for Timestamp {
        type Error = Error;

        fn try_from(dt: DateTime<Tz>) -> Result<Self, Error> {
            dt.timestamp_nanos_opt().map(Timestamp).ok_or_else(instant_out_of_range)
        }
    }

    /// The same offset.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) at or beyond chrono's ±24:00.
    impl TryFrom<TzOffset> for FixedOffset {
        type Error = Error;

        fn try_from(off: TzOffset) -> Result<Self, Error> {
            Self::east_opt(seconds(off)).ok_or_else(|| offset_out_of_range(off, "a chrono FixedOffset"))
        }
    }

    /// The same offset.
    ///
    /// # Errors
    /// [`ErrorKind::Range`](crate::ErrorKind::Range) unless whole minutes within ±14:00.
    impl TryFrom<FixedOffset> for TzOffset {
        type Error = Error;

        fn try_from(off: FixedOffset) -> Result<Self, Error> {
            offset_from_seconds(off.local_minus_utc())
        }
    }

    impl Timestamp {
        /// The instant at `offset`: what an EPCIS `eventTime` with its `eventTimeZoneOffset` means.
        ///
        /// # Errors
        /// [`ErrorKind::Range`](crate::ErrorKind::Range) for an offset at or beyond chrono's ±24:00.
        ///
        /// ```
        /// use tracecode::event::Timestamp;
        /// let (t, off) = Timestamp::parse("2026-03-01T08:30:00.250+05:30")?;
        /// use chrono::Timelike;
        /// let dt = t.to_chrono(off)?;
        /// assert_eq!((dt.hour(), dt.minute(), dt.offset().local_minus_utc()), (8, 30, 5 * 3600 + 30 * 60));
        /// assert_eq!(Timestamp::from_chrono(&dt)?, (t, off));
        /// // The instant alone is a DateTime<Utc>.
        /// let utc: chrono::DateTime<chrono::Utc> = t.into();
        /// assert_eq!((utc.hour(), utc.minute(), utc.nanosecond()), (3, 0, 250_000_000));
        /// # Ok::<(), tracecode::Error>(())
        /// ```
        #[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
        pub fn to_chrono(self, offset: TzOffset) -> Result<DateTime<FixedOffset>, Error> {
            Ok(DateTime::<Utc>::from(self).with_timezone(&FixedOffset::try_from(offset)?))
        }

        /// The instant and the offset in effect at it, from a `DateTime` in any chrono time zone.
        ///
        /// # Errors
        /// [`ErrorKind::Range`](crate::ErrorKind::Range) outside years 1677–2262, or for an offset that is not whole
        /// minutes within ±14:00.
        #[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
        pub fn from_chrono<Tz: TimeZone>(dt: &DateTime<Tz>) -> Result<(Self, TzOffset), Error> {
            let offset = TzOffset::try_from(dt.offset().fix())?;
            Ok((Self::try_from(dt.clone())?, offset))
        }
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        use super::*;
        use crate::ErrorKind;

        proptest! {
            #[test]
            fn instants_and_offsets_round_trip(ns in any::<i64>(), off in -840i16..=840) {
                let (t, o) = (Timestamp(ns), TzOffset(off));
                let utc = DateTime::<Utc>::from(t);
                prop_assert_eq!(utc.timestamp_nanos_opt(), Some(ns));
                prop_assert_eq!(Timestamp::try_from(utc).unwrap(), t);
                let local = t.to_chrono(o).unwrap();
                prop_assert_eq!(local.offset().local_minus_utc(), i32::from(off) * 60);
                prop_assert_eq!(Timestamp::from_chrono(&local).unwrap(), (t, o));
                prop_assert_eq!(Timestamp::try_from(local).unwrap(), t);
            }
        }

        #[test]
        fn out_of_range_values_are_range_errors() {
            let far = DateTime::<Utc>::from_timestamp(i64::MAX / 1_000_000_000 + 1, 0).unwrap();
            assert_eq!(Timestamp::try_from(far).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(Timestamp::from_chrono(&far).unwrap_err().kind(), ErrorKind::Range);
            let lmt = FixedOffset::east_opt(19 * 60 + 32).unwrap();
            assert_eq!(TzOffset::try_from(lmt).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(
                TzOffset::try_from(FixedOffset::west_opt(15 * 3600).unwrap()).unwrap_err().kind(),
                ErrorKind::Range
            );
            assert_eq!(TzOffset::try_from(FixedOffset::east_opt(14 * 3600).unwrap()).unwrap(), TzOffset(840));
            assert_eq!(FixedOffset::try_from(TzOffset(24 * 60)).unwrap_err().kind(), ErrorKind::Range);
            assert_eq!(Timestamp(0).to_chrono(TzOffset(-24 * 60)).unwrap_err().kind(), ErrorKind::Range);
        }
    }
}
