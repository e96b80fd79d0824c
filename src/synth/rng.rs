//! The generator's pseudo-random choices: SplitMix64 from the crate's one home for it ([`crate::hash`]), and the
//! draws the generator makes from its stream ([`Rng`]).

use crate::hash::SplitMix64;
pub(super) use crate::hash::{GOLDEN, splitmix64 as mix64};

/// A SplitMix64 stream seeded through the finaliser (nearby seeds give unrelated streams), with the draws the
/// generator needs.
#[derive(Clone, Debug)]
pub(super) struct Rng(SplitMix64);

impl Rng {
    pub(super) const fn new(seed: u64) -> Self {
        Self(SplitMix64::new(mix64(seed)))
    }

    pub(super) const fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (0 when `n` is 0), by multiply-shift (Lemire).
    pub(super) const fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
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
