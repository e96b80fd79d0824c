//! SHA-256, written from FIPS 180-4 (Secure Hash Standard, NIST, August 2015), §4.1.2, §4.2.2, §5.1.1, §5.3.3
//! and §6.2.
//!
//! Why our own: the GS1 canonical event hash (events.md §7) names SHA-256, the crate's only hash dependency is
//! BLAKE3, and the dependency list is closed. SHA-256 is small and its test vectors are public. This is not a
//! constant-time or SIMD implementation; it hashes pre-hash strings of a few kilobytes.

/// Initial hash value H(0): first 32 bits of the fractional parts of the square roots of the first eight primes
/// (FIPS 180-4 §5.3.3).
const H0: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// Round constants K(0..63): first 32 bits of the fractional parts of the cube roots of the first 64 primes
/// (FIPS 180-4 §4.2.2).
const K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// Block size in bytes (512 bits).
const BLOCK: usize = 64;

/// An incremental SHA-256 computation.
#[derive(Clone, Debug)]
pub(crate) struct Sha256 {
    state: [u32; 8],
    buf: [u8; BLOCK],
    buf_len: usize,
    /// Message length in bytes so far; FIPS 180-4 limits messages to 2^64 − 1 bits, so the bit count wraps.
    total: u64,
}

impl Sha256 {
    /// A fresh computation (state H(0)).
    pub(crate) const fn new() -> Self {
        Self { state: H0, buf: [0; BLOCK], buf_len: 0, total: 0 }
    }

    /// Feeds `data`.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        // Top up a partial block first.
        if self.buf_len > 0 {
            let take = (BLOCK - self.buf_len).min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.buf_len..self.buf_len + take) {
                dst.copy_from_slice(head);
            }
            self.buf_len += take;
            data = rest;
            if self.buf_len < BLOCK {
                return;
            }
            let block = self.buf;
            compress(&mut self.state, &block);
            self.buf_len = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            if let Ok(b) = <&[u8; BLOCK]>::try_from(block) {
                compress(&mut self.state, b);
            }
        }
        let rem = blocks.remainder();
        if let Some(dst) = self.buf.get_mut(..rem.len()) {
            dst.copy_from_slice(rem);
        }
        self.buf_len = rem.len();
    }

    /// Pads (FIPS 180-4 §5.1.1: a 1 bit, zeros, the 64-bit big-endian bit length) and returns the digest.
    pub(crate) fn finalize(mut self) -> [u8; 32] {
        let bits = self.total.wrapping_mul(8);
        let mut pad = [0u8; BLOCK + 8];
        pad[0] = 0x80;
        // Enough zeros that the length field ends exactly on a block boundary.
        let zeros = (BLOCK + BLOCK - 8 - 1 - self.buf_len) % BLOCK;
        let n = 1 + zeros;
        let mut tail = pad.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
        tail.extend_from_slice(&bits.to_be_bytes());
        let total = self.total;
        self.update(&tail);
        self.total = total;
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// SHA-256 of `data` in one call.
pub(crate) fn digest(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(data);
    h.finalize()
}

/// The compression function on one 512-bit block (FIPS 180-4 §6.2.2).
///
/// The message schedule W(t) is kept as a sliding window of 16 words: round t reads `w[0]` = W(t), then
/// W(t+16) = σ1(W(t+14)) + W(t+9) + σ0(W(t+1)) + W(t) is appended. Same values as the standard's 64-word array,
/// with constant indices only.
fn compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
    let mut w = [0u32; 16];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for k in K {
        let wt = w[0];
        // §4.1.2 functions: Σ0, Σ1 on the working variables, Ch and Maj.
        let big_s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h.wrapping_add(big_s1).wrapping_add(ch).wrapping_add(k).wrapping_add(wt);
        let big_s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = big_s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
        // σ0, σ1 on the schedule.
        let s0 = w[1].rotate_right(7) ^ w[1].rotate_right(18) ^ (w[1] >> 3);
        let s1 = w[14].rotate_right(17) ^ w[14].rotate_right(19) ^ (w[14] >> 10);
        let next = s1.wrapping_add(w[9]).wrapping_add(s0).wrapping_add(wt);
        w.rotate_left(1);
        w[15] = next;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(DIGITS.get(usize::from(nibble)).map_or('0', |&d| char::from(d)));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Vectors: NIST CSRC "Cryptographic Standards and Guidelines — Examples with Intermediate Values", SHA-256
    // (SHA256.pdf: "abc" and the 448-bit message), and the FIPS 180-2 Appendix B.3 one-million-'a' message;
    // the empty string from the NIST CAVP SHA256ShortMsg set (Len = 0).
    #[test]
    fn fips_vectors() {
        assert_eq!(hex(&digest(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&digest(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(
            hex(&digest(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(hex(&digest(&million)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }

    #[test]
    fn padding_boundaries() {
        // 55, 56 and 64 bytes: the length field fits, just does not fit, and a whole block of data.
        // Vectors: sha256sum of the same byte strings.
        assert_eq!(hex(&digest(&[b'a'; 55])), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
        assert_eq!(hex(&digest(&[b'a'; 56])), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
        assert_eq!(hex(&digest(&[b'a'; 64])), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    }

    proptest! {
        #[test]
        fn incremental_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
            let cut = cut.min(data.len());
            let mut h = Sha256::new();
            h.update(&data[..cut]);
            h.update(&data[cut..]);
            prop_assert_eq!(h.finalize(), digest(&data));
        }
    }
}
