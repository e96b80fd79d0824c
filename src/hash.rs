//! Hashing and pseudo-random primitives, one home for the crate.
//!
//! - [`splitmix64`]: SplitMix64's finaliser, a bijection of `u64` in which every input bit affects every output
//!   bit. Deterministic: persisted structures (the known-nodes filter) and generated data (`synth`) rely on it.
//! - [`SplitMix64`]: the SplitMix64 stream (Steele, Lea, Flood 2014), for deterministic workloads and sampling.
//! - Keyed hashers for in-memory maps whose keys come from outside (scanned codes): keyed with seeds drawn from
//!   std's `RandomState`, so collision floods need the seed. Which one each map uses, and why it is not a crate,
//!   is measured in `benches/hashing.rs` (see `docs/HASHING.md`).

/// The golden-ratio increment of SplitMix64 (2^64 / φ, odd).
#[cfg(any(test, feature = "rocksdb", feature = "synth"))]
pub(crate) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finaliser (Stafford's "Mix13" variant): each step is invertible, so distinct inputs give
/// distinct outputs.
#[cfg(any(test, feature = "rocksdb", feature = "synth"))]
pub(crate) const fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The SplitMix64 generator: tiny, fast, and ample for synthetic data, sampling and shuffles (not for secrets).
///
/// ```
/// use tracecode::synth::SplitMix64;
/// let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// assert!((0.0..1.0).contains(&a.unit()));
/// ```
#[cfg(any(test, feature = "synth"))]
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

#[cfg(any(test, feature = "synth"))]
impl SplitMix64 {
    /// A stream whose state starts at `seed`.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        splitmix64(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-shift (Lemire): no division, bias below 2^-32 for the
    /// ranges used here.
    #[allow(clippy::cast_possible_truncation, reason = "the high half of a 128-bit product of two u64 fits")]
    pub const fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A uniform double in `[0, 1)` from the top 53 bits.
    #[allow(clippy::cast_precision_loss, reason = "53 random bits make a uniform double exactly")]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The keyed hasher of a walk's node table and maps (node keys hashed with `Hasher::write`, once each).
/// foldhash's fast variant: in `benches/hashing.rs` it hashed node keys 2.0x as fast as the multiply-fold hash
/// written here before it, and 3.9x as fast as SipHash (numbers in `docs/HASHING.md`).
pub(crate) type FastState = foldhash::fast::RandomState;

/// The keyed hasher of the hot tier, whose hash also picks the shard and the doorkeeper's bits, so all 64 bits
/// must be well mixed: foldhash's quality variant (one more folded multiply than the fast one), the fastest keyed
/// map lookup in `benches/hashing.rs`.
#[cfg(feature = "rocksdb")]
pub(crate) type Keyed = foldhash::quality::RandomState;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // First outputs of SplitMix64 seeded with 0 (the reference C implementation by Vigna, a published fact).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(42);
        assert!((0..10_000).all(|_| r.below(7) < 7));
        assert_eq!(r.below(0), 0);
    }
}
