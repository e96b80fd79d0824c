//! SplitMix64: the mixer behind every pseudo-random choice of the generator, and its sequential form [`Rng`].

/// The SplitMix64 increment: 2^64 divided by the golden ratio, odd.
pub(super) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser. Each step (xor-shift, multiplication by an odd constant) is invertible, so this is
/// a bijection of `u64`: distinct inputs give distinct outputs, which makes serials unique by construction.
pub(super) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for synthetic data.
#[derive(Clone, Debug)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) const fn new(seed: u64) -> Self {
        Self(mix64(seed))
    }

    pub(super) const fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by multiply-shift (Lemire).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        let m = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(m >> 64).unwrap_or(0)
    }

    /// Uniform in `lo..hi` (nanoseconds), `lo` when the range is empty.
    pub(super) fn span(&mut self, lo: i64, hi: i64) -> i64 {
        let width = u64::try_from(hi.saturating_sub(lo)).unwrap_or(0);
        lo.saturating_add(i64::try_from(self.below(width)).unwrap_or(0))
    }

    /// True with probability `p`/1000.
    pub(super) fn per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }
}
