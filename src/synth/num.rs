//! Saturating integer conversions for indices, counts and nanosecond offsets.

pub(super) fn us(x: u64) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

pub(super) fn u(x: usize) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

pub(super) fn ns(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}
