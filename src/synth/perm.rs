//! Keyed permutations (unique serials by construction) and the base-32 text of serials.

use super::rng::{GOLDEN, mix64};

/// Crockford base-32: serials without look-alike letters.
const B32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A keyed bijection of `0..2^bits` (bits ≤ 63): add, multiply by an odd constant and xor-shift, all invertible
/// modulo 2^bits.
pub(super) const fn perm_bits(x: u64, key: u64, bits: u32) -> u64 {
    let mask = (1u64 << bits) - 1;
    let mut v = x & mask;
    let mut round = 0;
    while round < 3 {
        v = v.wrapping_add(mix64(key.wrapping_add(round))) & mask;
        v = v.wrapping_mul(0x2545_F491_4F6C_DD1D) & mask;
        v ^= v >> (bits / 2 + 1);
        round += 1;
    }
    v
}

/// A keyed bijection of `0..10^digits` (digits ≤ 18): `x ↦ (a·x + b) mod 10^digits` with `a` coprime to 10.
pub(super) fn perm_dec(x: u64, key: u64, digits: u32) -> u64 {
    let m = 10u128.pow(digits.min(18));
    // An odd multiplier that is not a multiple of 5 is coprime to every power of ten.
    let mut a = u128::from(mix64(key) | 1) % m;
    if a.is_multiple_of(5) {
        a = (a + 2) % m;
    }
    let b = u128::from(mix64(key ^ GOLDEN)) % m;
    u64::try_from((a * (u128::from(x) % m) + b) % m).unwrap_or(0)
}

/// `x` as base-32 text of `n` characters (low bits last).
pub(super) fn b32(mut x: u64, n: usize) -> String {
    let mut out = vec![b'0'; n];
    for slot in out.iter_mut().rev() {
        *slot = B32.get(usize::try_from(x % 32).unwrap_or(0)).copied().unwrap_or(b'0');
        x /= 32;
    }
    out.into_iter().map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn permutations_are_bijections() {
        for bits in [8, 10, 13] {
            let seen: HashSet<u64> = (0..1u64 << bits).map(|x| perm_bits(x, 42, bits)).collect();
            assert_eq!(seen.len(), 1 << bits);
            assert!(seen.iter().all(|&v| v < 1 << bits));
        }
        for digits in [2, 3, 4] {
            let m = 10u64.pow(digits);
            let seen: HashSet<u64> = (0..m).map(|x| perm_dec(x, 7, digits)).collect();
            assert_eq!(seen.len(), usize::try_from(m).unwrap());
        }
        assert_eq!(b32(31, 3), "00Z");
    }
}
