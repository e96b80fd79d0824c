//! Times on the wire: 48-bit milliseconds since the epoch and a sub-millisecond remainder.

use super::decoder::Bad;
use super::wire::Ms48;
use crate::event::Timestamp;

pub(super) const NS_PER_MS: i64 = 1_000_000;

pub(super) fn split_time(t: Timestamp) -> (Ms48, u32) {
    let ms = t.0.div_euclid(NS_PER_MS);
    let sub = u32::try_from(t.0.rem_euclid(NS_PER_MS)).unwrap_or(0);
    let [a, b, c, d, e, f, _, _] = ms.to_le_bytes();
    (Ms48([a, b, c, d, e, f]), sub)
}

pub(super) fn join_time(ms: Ms48, sub: u32) -> Result<Timestamp, Bad> {
    if i64::from(sub) >= NS_PER_MS {
        return Err("sub-millisecond part is 1 ms or more".into());
    }
    let [a, b, c, d, e, f] = ms.0;
    let sign = if f & 0x80 == 0 { 0 } else { 0xFF };
    let ms = i64::from_le_bytes([a, b, c, d, e, f, sign, sign]);
    let ns = i128::from(ms) * i128::from(NS_PER_MS) + i128::from(sub);
    i64::try_from(ns).map(Timestamp).map_err(|_| "time outside the representable range (years 1677 to 2262)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::frame::{decode, encode};
    use crate::event::{Event, EventType, TzOffset};

    #[test]
    fn times_and_offsets_at_the_edges() {
        for ns in [i64::MIN, i64::MIN + 1, -1, 0, 1, 999_999, 1_000_000, i64::MAX - 1, i64::MAX] {
            for tz in [i16::MIN, -841, -840, -360, -1, 0, 1, 345, 1905, 1920, i16::MAX] {
                let mut ev = Event::new(EventType::Object, Timestamp(ns), TzOffset(tz));
                ev.record_time = Some(Timestamp(ns.wrapping_neg()));
                let b = encode(&ev).unwrap();
                assert_eq!(decode(&b).unwrap(), ev, "{ns} {tz}");
            }
        }
    }
}
