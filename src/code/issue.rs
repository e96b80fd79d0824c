//! Issuing codes: keys with check digits, serial number sources, and renderings in every spelling.
//!
//! # Serials
//! - [`SequentialSerials`]: `start, start+1, …` (optionally zero-padded), for lines that print in order.
//! - [`RandomSerials`]: unguessable **and unique** serials. A counter is passed through a keyed Feistel
//!   permutation (round function: keyed BLAKE3), so each counter value maps to a distinct serial and, without the
//!   32-byte key, the next serial cannot be predicted from earlier ones — the property anti-counterfeiting needs
//!   (GS1 recommends randomised serials for this). Unlike drawing random numbers, a permutation never repeats
//!   within its domain, so no "already issued?" lookup is needed. The key comes from the caller (a seed from a
//!   CSPRNG, or [`RandomSerials::from_rng`]); the counter is the only state to persist between runs.
//!   [`RandomSerials::sgtin96`] draws from `[0, 2^38)` so every serial fits SGTIN-96;
//!   [`RandomSerials::alphanumeric`] yields 13 characters from a 32-symbol alphabet without look-alikes.
//!
//! # China's 20-digit codes
//! The last 4 digits of a drug trace code are computed by the national platform with an unpublished algorithm.
//! [`national20`] therefore takes the check computation as a [`Check4`] provider; [`KeyedCheck4`] is a keyed
//! BLAKE3 MAC suitable for private or test systems and is **not** the platform's algorithm.
//!
//! # Example
//! ```
//! use tracecode::code::{gs1::gcp::FixedGcpLength, issue::{self, RandomSerials, SgtinIssuer}};
//!
//! // Complete the GTIN, then issue serialised items with unguessable, never-repeating serials.
//! let gtin = issue::gtin("950600013435")?;
//! assert_eq!(gtin, "09506000134352");
//! let mut issuer = SgtinIssuer::new(&gtin, None, RandomSerials::sgtin96([7; 32]))?;
//! let (a, b) = (issuer.issue()?, issuer.issue()?);
//! assert_ne!(a.get("21"), b.get("21"));
//!
//! // Every spelling of the first item, ready to print or to write to a tag.
//! let serial = a.get("21").unwrap();
//! let r = issue::render(&a, "https://id.gs1.org", &FixedGcpLength(7), 3)?;
//! assert_eq!(r.digital_link, format!("https://id.gs1.org/01/09506000134352/21/{serial}"));
//! assert_eq!(r.epc_uri, Some(format!("urn:epc:id:sgtin:9506000.013435.{serial}")));
//! # Ok::<(), tracecode::Error>(())
//! ```

use super::check::gs1_check_digit;
use super::gs1::{self, Gs1};
use super::{CheckStatus, Field, NationalCode, Scheme};
use crate::{Error, ErrorKind};

/// A source of serial numbers for issuing.
pub trait SerialSource {
    /// The next serial.
    ///
    /// # Errors
    /// [`ErrorKind::Range`] when the source is exhausted.
    fn next_serial(&mut self) -> Result<String, Error>;
}

impl<S: SerialSource + ?Sized> SerialSource for Box<S> {
    fn next_serial(&mut self) -> Result<String, Error> {
        (**self).next_serial()
    }
}

impl<S: SerialSource + ?Sized> SerialSource for &mut S {
    fn next_serial(&mut self) -> Result<String, Error> {
        (**self).next_serial()
    }
}

/// Sequential serials `start, start + 1, …` up to `end` (exclusive), optionally zero-padded to `width`.
///
/// ```
/// use tracecode::code::issue::{SequentialSerials, SerialSource};
/// let mut s = SequentialSerials::new(98, 100).zero_pad(4);
/// assert_eq!(s.next_serial()?, "0098");
/// assert_eq!(s.next_serial()?, "0099");
/// assert!(s.next_serial().is_err());
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequentialSerials {
    next: u64,
    end: u64,
    width: usize,
}

impl SequentialSerials {
    /// Serials from `start` (inclusive) to `end` (exclusive).
    pub const fn new(start: u64, end: u64) -> Self {
        Self { next: start, end, width: 0 }
    }

    /// Pads serials with leading zeros to `width` digits (GS1 serials are strings: `007` ≠ `7`).
    #[must_use]
    pub const fn zero_pad(mut self, width: usize) -> Self {
        self.width = width;
        self
    }

    /// The next value that will be issued (persist it to resume).
    pub const fn position(&self) -> u64 {
        self.next
    }
}

impl SerialSource for SequentialSerials {
    fn next_serial(&mut self) -> Result<String, Error> {
        if self.next >= self.end {
            return Err(Error::msg(ErrorKind::Range, "the serial range is used up"));
        }
        let v = self.next;
        self.next += 1;
        Ok(format!("{v:0width$}", width = self.width))
    }
}

/// Alphabet of [`RandomSerials::alphanumeric`]: digits and upper-case letters without `0 1 I O`
/// (the GS1 check-character-pair alphabet, chosen for the same reason: no look-alikes on a label).
const ALNUM32: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// Decimal, domain `[0, 2^38)`.
    Sgtin96,
    /// 13 characters of `ALNUM32`, domain `[0, 2^64)`.
    Alnum,
}

/// Unique, unguessable serials from a keyed permutation of a counter (see the module docs).
///
/// ```
/// use tracecode::code::issue::{RandomSerials, SerialSource};
/// let mut a = RandomSerials::sgtin96([7; 32]);
/// let mut b = RandomSerials::sgtin96([7; 32]);
/// let s1 = a.next_serial()?;
/// assert_eq!(s1, b.next_serial()?);          // same key and counter: same serial (reproducible)
/// assert_ne!(s1, a.next_serial()?);          // a permutation never repeats
/// assert!(s1.parse::<u64>().unwrap() < 1 << 38); // fits SGTIN-96
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone)]
pub struct RandomSerials {
    key: [u8; 32],
    counter: u64,
    form: Form,
}

impl std::fmt::Debug for RandomSerials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("RandomSerials")
            .field("counter", &self.counter)
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

impl RandomSerials {
    /// Numeric serials below 2^38 (SGTIN-96 compatible), keyed by `key`.
    pub const fn sgtin96(key: [u8; 32]) -> Self {
        Self { key, counter: 0, form: Form::Sgtin96 }
    }

    /// 13-character alphanumeric serials (2^64 distinct values; SGTIN-198 / DataMatrix).
    pub const fn alphanumeric(key: [u8; 32]) -> Self {
        Self { key, counter: 0, form: Form::Alnum }
    }

    /// A key drawn from the caller's random-number generator (`fill` must fill the buffer with random bytes).
    pub fn from_rng(numeric: bool, fill: impl FnOnce(&mut [u8; 32])) -> Self {
        let mut key = [0u8; 32];
        fill(&mut key);
        if numeric { Self::sgtin96(key) } else { Self::alphanumeric(key) }
    }

    /// A key derived from a short seed (tests, demos, reproducible data sets). Production issuers should use a
    /// 32-byte random key.
    pub fn from_seed(numeric: bool, seed: u64) -> Self {
        let key = *blake3::hash(&seed.to_le_bytes()).as_bytes();
        if numeric { Self::sgtin96(key) } else { Self::alphanumeric(key) }
    }

    /// Resumes at counter `n` (persist [`Self::position`] between runs).
    #[must_use]
    pub const fn starting_at(mut self, n: u64) -> Self {
        self.counter = n;
        self
    }

    /// How many serials have been issued from counter 0.
    pub const fn position(&self) -> u64 {
        self.counter
    }

    /// The keyed round function: `bits`-bit output from (round, half).
    fn round(&self, r: u8, half: u64, bits: u32) -> u64 {
        let h = [r];
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&h).update(&half.to_le_bytes());
        let out = hasher.finalize();
        let w = out.as_bytes().first_chunk::<8>().copied().unwrap_or_default();
        u64::from_le_bytes(w) & ((1u64 << bits) - 1)
    }

    /// Balanced Feistel permutation on `2 * half_bits` bits (8 rounds).
    fn permute(&self, x: u64, half_bits: u32) -> u64 {
        let mask = (1u64 << half_bits) - 1;
        let (mut l, mut r) = ((x >> half_bits) & mask, x & mask);
        for round in 0..8u8 {
            let f = self.round(round, r, half_bits);
            (l, r) = (r, l ^ f);
        }
        (l << half_bits) | r
    }
}

impl SerialSource for RandomSerials {
    fn next_serial(&mut self) -> Result<String, Error> {
        let n = self.counter;
        match self.form {
            Form::Sgtin96 => {
                if n >= 1 << 38 {
                    return Err(Error::msg(ErrorKind::Range, "all 2^38 SGTIN-96 serials of this key are used"));
                }
                self.counter += 1;
                Ok(self.permute(n, 19).to_string())
            }
            Form::Alnum => {
                self.counter =
                    n.checked_add(1).ok_or_else(|| Error::msg(ErrorKind::Range, "serial counter exhausted"))?;
                let mut v = self.permute(n, 32);
                let mut out = [b'2'; 13];
                for slot in out.iter_mut().rev() {
                    *slot = ALNUM32.get((v % 32) as usize).copied().unwrap_or(b'2');
                    v /= 32;
                }
                Ok(out.iter().map(|&b| char::from(b)).collect())
            }
        }
    }
}

/// Appends the GS1 mod-10 check digit to `body`.
///
/// # Errors
/// [`ErrorKind::Charset`] at the first non-digit; [`ErrorKind::Length`] for an empty body.
///
/// ```
/// assert_eq!(tracecode::code::issue::with_check_digit("690123456789")?, "6901234567892");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn with_check_digit(body: &str) -> Result<String, Error> {
    if body.is_empty() {
        return Err(Error::msg(ErrorKind::Length, "nothing to compute a check digit for"));
    }
    if let Some(p) = body.bytes().position(|b| !b.is_ascii_digit()) {
        return Err(Error::new(ErrorKind::Charset, p, 1, "a GS1 key has only digits"));
    }
    let c = gs1_check_digit(body.as_bytes()).unwrap_or(b'0');
    let mut s = String::with_capacity(body.len() + 1);
    s.push_str(body);
    s.push(char::from(c));
    Ok(s)
}

/// A GTIN-14 from a GTIN body of 7, 11, 12 or 13 digits (GTIN-8/12/13/14 without the check digit).
///
/// ```
/// assert_eq!(tracecode::code::issue::gtin("950600013435")?, "09506000134352");
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Length`] for other lengths, [`ErrorKind::Charset`] for non-digits.
pub fn gtin(body: &str) -> Result<String, Error> {
    if !matches!(body.len(), 7 | 11 | 12 | 13) {
        return Err(Error::new(
            ErrorKind::Length,
            0,
            body.len(),
            "a GTIN body has 7, 11, 12 or 13 digits (the check digit is added)",
        ));
    }
    let full = with_check_digit(body)?;
    Ok(format!("{full:0>14}"))
}

/// Builds a validated element list from (AI, value) pairs (full validation and pairing rules).
fn build(pairs: &[(&str, &str)]) -> Result<Gs1, Error> {
    Gs1::from_pairs(pairs, &super::ParseOptions::new())
}

/// A serialised GTIN (SGTIN): (01) GTIN-14 + (21) serial, validated.
///
/// # Errors
/// Any validation failure of the GTIN (check digit) or serial (CSET 82, ≤ 20 characters).
///
/// ```
/// let g = tracecode::code::issue::sgtin("09506000134352", "XYZ789")?;
/// assert_eq!(g.get("21"), Some("XYZ789"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn sgtin(gtin14: &str, serial: &str) -> Result<Gs1, Error> {
    build(&[("01", gtin14), ("21", serial)])
}

/// A GTIN with a lot: (01) + (10), the class key of a batch.
///
/// # Errors
/// Any validation failure.
pub fn lgtin(gtin14: &str, lot: &str) -> Result<Gs1, Error> {
    build(&[("01", gtin14), ("10", lot)])
}

/// An SSCC from extension digit, GS1 company prefix and serial reference (the check digit is computed).
///
/// # Errors
/// [`ErrorKind::Value`] if the extension digit is above 9, the prefix is not 6–12 digits, or the serial reference
/// does not fit the 16 − prefix-length digits left.
///
/// ```
/// let g = tracecode::code::issue::sscc(1, "0614141", 234_567_890)?;
/// assert_eq!(g.get("00"), Some("106141412345678908"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn sscc(extension: u8, gcp: &str, serial_ref: u64) -> Result<Gs1, Error> {
    if extension > 9 || !(6..=12).contains(&gcp.len()) || !gcp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(
            ErrorKind::Value,
            0,
            gcp.len(),
            "SSCC needs an extension digit 0-9 and a 6-12 digit company prefix",
        ));
    }
    let width = 16 - gcp.len();
    let sr = format!("{serial_ref:0width$}");
    if sr.len() != width {
        return Err(Error::msg(
            ErrorKind::Range,
            format!("serial reference {serial_ref} needs more than {width} digits"),
        ));
    }
    let value = with_check_digit(&format!("{extension}{gcp}{sr}"))?;
    build(&[("00", &value)])
}

/// A GLN (location) with an optional extension: (414) [+ (254)].
///
/// # Errors
/// Any validation failure.
pub fn gln(gln13: &str, extension: Option<&str>) -> Result<Gs1, Error> {
    match extension {
        Some(e) => build(&[("414", gln13), ("254", e)]),
        None => build(&[("414", gln13)]),
    }
}

/// Issues serialised GTINs from a serial source.
///
/// ```
/// use tracecode::code::issue::{SgtinIssuer, SequentialSerials};
/// let mut issuer = SgtinIssuer::new("09506000134352", None, SequentialSerials::new(1, 1000))?;
/// let first = issuer.issue()?;
/// assert_eq!(first.get("21"), Some("1"));
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Debug)]
pub struct SgtinIssuer<S> {
    gtin: String,
    lot: Option<String>,
    source: S,
}

impl<S: SerialSource> SgtinIssuer<S> {
    /// An issuer for one GTIN (and optionally one lot, carried in the element list).
    ///
    /// # Errors
    /// If the GTIN or lot is invalid.
    pub fn new(gtin14: &str, lot: Option<&str>, source: S) -> Result<Self, Error> {
        match lot {
            Some(l) => lgtin(gtin14, l)?,
            None => build(&[("01", gtin14)])?,
        };
        Ok(Self { gtin: gtin14.to_owned(), lot: lot.map(str::to_owned), source })
    }

    /// The next code.
    ///
    /// # Errors
    /// When the serial source is exhausted.
    pub fn issue(&mut self) -> Result<Gs1, Error> {
        let serial = self.source.next_serial()?;
        match &self.lot {
            Some(l) => build(&[("01", &self.gtin), ("10", l), ("21", &serial)]),
            None => sgtin(&self.gtin, &serial),
        }
    }

    /// The serial source (to persist its position).
    pub const fn source(&self) -> &S {
        &self.source
    }
}

/// Computes the 4 check digits of a 20-digit national code from its first 16 digits.
pub trait Check4 {
    /// Four ASCII digits for `first16`.
    fn check4(&self, first16: &[u8; 16]) -> [u8; 4];
}

/// A keyed BLAKE3 MAC reduced to 4 digits: verifiable only by holders of the key, like the platform's own
/// check digits — but **not** the NMPA platform's algorithm, which is unpublished.
#[derive(Clone)]
pub struct KeyedCheck4(pub [u8; 32]);

impl std::fmt::Debug for KeyedCheck4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedCheck4(..)")
    }
}

impl Check4 for KeyedCheck4 {
    fn check4(&self, first16: &[u8; 16]) -> [u8; 4] {
        let h = blake3::keyed_hash(&self.0, first16);
        let w = h.as_bytes().first_chunk::<8>().copied().unwrap_or_default();
        let mut v = u64::from_le_bytes(w) % 10_000;
        let mut out = [b'0'; 4];
        for d in out.iter_mut().rev() {
            #[allow(clippy::cast_possible_truncation, reason = "v % 10 < 10")]
            let digit = (v % 10) as u8;
            *d = b'0' + digit;
            v /= 10;
        }
        out
    }
}

/// A 20-digit national trace code in the drug-code layout: 7-digit product code + 9-digit serial + 4 check
/// digits from `check`.
///
/// # Errors
/// [`ErrorKind::Value`] if the product code is not 7 digits or the serial does not fit 9 digits.
///
/// ```
/// use tracecode::code::issue::{national20, KeyedCheck4};
/// let code = national20("8123456", 42, &KeyedCheck4([1; 32]))?;
/// assert_eq!(code.text.len(), 20);
/// assert_eq!(&code.text[..16], "8123456000000042");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn national20(product7: &str, serial: u64, check: &dyn Check4) -> Result<NationalCode, Error> {
    if product7.len() != 7 || !product7.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(ErrorKind::Value, 0, product7.len(), "the product code has 7 digits"));
    }
    if serial >= 1_000_000_000 {
        return Err(Error::msg(ErrorKind::Range, "the serial has at most 9 digits"));
    }
    let mut first16 = [b'0'; 16];
    let head = format!("{product7}{serial:09}");
    first16.copy_from_slice(head.as_bytes().get(..16).unwrap_or(&[b'0'; 16]));
    let c = check.check4(&first16);
    let mut text = head;
    text.extend(c.iter().map(|&b| char::from(b)));
    Ok(NationalCode {
        scheme: Scheme::CnDrug20,
        text,
        fields: vec![
            Field { name: "product", start: 0, end: 7 },
            Field { name: "serial", start: 7, end: 16 },
            Field { name: "check", start: 16, end: 20 },
        ],
        check: CheckStatus::NotVerifiableOffline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_serials_are_unique_over_a_prefix_and_key_dependent() {
        let mut a = RandomSerials::sgtin96([3; 32]);
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            assert!(seen.insert(a.next_serial().unwrap()));
        }
        let mut b = RandomSerials::sgtin96([4; 32]);
        let mut a2 = RandomSerials::sgtin96([3; 32]);
        assert_ne!(a2.next_serial().unwrap(), b.next_serial().unwrap());
    }

    #[test]
    fn alphanumeric_serials_use_the_alphabet() {
        let mut s = RandomSerials::alphanumeric([9; 32]);
        for _ in 0..100 {
            let v = s.next_serial().unwrap();
            assert_eq!(v.len(), 13);
            assert!(v.bytes().all(|b| ALNUM32.contains(&b)));
        }
    }

    #[test]
    fn resumes_at_position() {
        let mut a = RandomSerials::from_seed(true, 5);
        let _ = a.next_serial().unwrap();
        let second = a.next_serial().unwrap();
        let mut b = RandomSerials::from_seed(true, 5).starting_at(1);
        assert_eq!(b.next_serial().unwrap(), second);
    }

    #[test]
    fn sgtin96_domain_end() {
        let mut a = RandomSerials::sgtin96([0; 32]).starting_at((1 << 38) - 1);
        assert!(a.next_serial().is_ok());
        assert_eq!(a.next_serial().unwrap_err().kind(), ErrorKind::Range);
    }

    #[test]
    fn check_digit_and_gtin() {
        assert_eq!(with_check_digit("061414112345").unwrap(), "0614141123452");
        assert_eq!(gtin("9501093").unwrap(), "00000095010939");
        assert_eq!(with_check_digit("12a").unwrap_err().offset(), Some(2));
        assert_eq!(gtin("12").unwrap_err().kind(), ErrorKind::Length);
    }

    #[test]
    fn national20_layout() {
        let c = national20("8123456", 123_456_789, &KeyedCheck4([2; 32])).unwrap();
        assert_eq!(&c.text[7..16], "123456789");
        assert!(c.text.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(national20("812345", 1, &KeyedCheck4([2; 32])).unwrap_err().kind(), ErrorKind::Value);
        assert_eq!(national20("8123456", 1_000_000_000, &KeyedCheck4([2; 32])).unwrap_err().kind(), ErrorKind::Range);
    }

    proptest::proptest! {
        #[test]
        fn feistel_is_a_permutation_on_small_samples(key in proptest::prelude::any::<[u8; 32]>(), start in 0u64..(1 << 30)) {
            let mut s = RandomSerials::sgtin96(key).starting_at(start);
            let mut seen = HashSet::new();
            for _ in 0..64 {
                let v = s.next_serial().unwrap();
                proptest::prop_assert!(v.parse::<u64>().unwrap() < 1 << 38);
                proptest::prop_assert!(seen.insert(v));
            }
        }
    }
}

/// A code in every spelling, as [`render`] produces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renderings {
    /// Transmitted element string (FNC1 as GS, no symbology identifier).
    pub element_string: String,
    /// Bracketed human-readable text.
    pub bracketed: String,
    /// Digital Link URI on the given stem.
    pub digital_link: String,
    /// EPC pure-identity URI, when the company-prefix length is known and the key has an EPC form.
    pub epc_uri: Option<String>,
    /// EPC binary (upper-case hex) in the most compact scheme that holds the code (e.g. SGTIN-96, else
    /// SGTIN-198).
    pub epc_hex: Option<String>,
    /// Why there is no EPC rendering, when there is none.
    pub epc_note: Option<String>,
}

/// Binary EPC schemes to try for a key AI, most compact first.
fn binary_schemes(ai: &str) -> &'static [gs1::epc_binary::EpcBinaryScheme] {
    use gs1::epc_binary::EpcBinaryScheme as B;
    match ai {
        "01" => &[B::Sgtin96, B::Sgtin198],
        "00" => &[B::Sscc96],
        "414" => &[B::Sgln96, B::Sgln195],
        "8003" => &[B::Grai96, B::Grai170],
        "8004" => &[B::Giai96, B::Giai202],
        "8018" => &[B::Gsrn96],
        "8017" => &[B::Gsrnp96],
        "253" => &[B::Gdti96, B::Gdti174],
        "8010" => &[B::Cpi96, B::CpiVar],
        "255" => &[B::Sgcn96],
        "8006" => &[B::Itip110, B::Itip212],
        _ => &[],
    }
}

/// Renders an element list in every spelling: element string, bracketed text, Digital Link on `stem`, and —
/// when `gcp` knows the company-prefix length — EPC URI and binary with `filter`.
///
/// # Errors
/// When the list cannot be a Digital Link (no primary key, or an element that is not a DL attribute).
/// EPC problems (unknown prefix length, restricted GTIN range, serial too long) are not errors: they are
/// reported in [`Renderings::epc_note`], because the other spellings are still valid.
///
/// ```
/// use tracecode::code::{gs1::gcp::FixedGcpLength, issue};
/// let g = issue::sgtin("80614141123458", "6789")?;
/// let r = issue::render(&g, "https://id.gs1.org", &FixedGcpLength(7), 3)?;
/// assert_eq!(r.epc_uri.as_deref(), Some("urn:epc:id:sgtin:0614141.812345.6789"));
/// assert_eq!(r.epc_hex.as_deref(), Some("3074257BF7194E4000001A85"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn render(g: &Gs1, stem: &str, gcp: &dyn gs1::gcp::CompanyPrefixLengths, filter: u8) -> Result<Renderings, Error> {
    let digital_link = g.to_digital_link(stem)?;
    let mut r = Renderings {
        element_string: g.to_element_string(),
        bracketed: g.to_bracketed(),
        digital_link,
        epc_uri: None,
        epc_hex: None,
        epc_note: None,
    };
    match gs1::epc_uri::to_epc_uri(g, gcp) {
        Ok(u) => r.epc_uri = Some(u),
        Err(e) => r.epc_note = Some(e.message().to_owned()),
    }
    let key_ai = g.iter().find(|e| !binary_schemes(e.def.ai).is_empty()).map(|e| e.def.ai);
    if r.epc_uri.is_some() {
        let mut last_err = None;
        for &scheme in key_ai.map(binary_schemes).unwrap_or_default() {
            match gs1::epc_binary::encode_epc(g, scheme, filter, gcp) {
                Ok(bytes) => {
                    r.epc_hex = Some(bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
                        use std::fmt::Write as _;
                        let _ = write!(s, "{b:02X}");
                        s
                    }));
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        if r.epc_hex.is_none() {
            r.epc_note = Some(
                last_err.map_or_else(|| "no binary EPC scheme for this key".to_owned(), |e| e.message().to_owned()),
            );
        }
    }
    Ok(r)
}
