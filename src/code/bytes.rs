//! Byte searches, eight bytes per step: the scan path's separator searches and the URL splitting run on every
//! scan, and a byte-at-a-time loop costs four to five instructions a byte there.

/// The position of the first `a` or `b` in `hay` (its length if neither occurs), eight bytes per step: a byte
/// equal to the needle is a zero byte of the word XOR the needle, and the lowest flagged zero byte of the
/// classic test is always a true one (a false flag needs a true zero below it).
pub(crate) fn find(hay: &[u8], a: u8, b: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        let m = zero(x ^ (ONES * u64::from(a))) | zero(x ^ (ONES * u64::from(b)));
        if m != 0 {
            return at + (m.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + words.remainder().iter().position(|&c| c == a || c == b).unwrap_or(words.remainder().len())
}
