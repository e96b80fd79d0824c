//! Value validation against the AI table (lengths, character sets, the Syntax Dictionary's linters) and the
//! pairing rules (`req=` / `ex=`) over a whole element list.
//!
//! The behaviour of every linter follows the GS1 Barcode Syntax Dictionary's reference linters
//! (repo gs1/gs1-syntax-dictionary, `src/lint_<name>.c`) as summarised in `reference/codes.md` §1.4, §2.6–§2.8;
//! the code tables (ISO 3166-1, ISO 4217, `PackageTypeCode`, AIDC media types) are listed where they are defined.
//!
//! Design: validation never allocates unless it fails (the error message is the only allocation), every table
//! lookup is a binary search over a static sorted array, and every error carries the byte position of the fault
//! relative to the value given, so a scanning station can underline it.
//!
//! # Example
//! ```
//! use tracecode::{ErrorKind, code::{parse, gs1::{lookup, lint::{LintContext, validate_value}}}};
//!
//! let ctx = LintContext { current_year: 2026 };
//! // AI 17 (expiry) is YYMMDD: month 13 is refused, and the error points at the month.
//! let expiry = lookup("17").unwrap();
//! assert!(validate_value(expiry, b"261231", &ctx).is_ok());
//! let err = validate_value(expiry, b"261331", &ctx).unwrap_err();
//! assert_eq!((err.kind(), err.offset(), err.len()), (ErrorKind::Date, Some(2), Some(2)));
//! // AI 422 (country of origin) must be an ISO 3166-1 numeric code.
//! assert!(validate_value(lookup("422").unwrap(), b"156", &ctx).is_ok());
//! assert!(validate_value(lookup("422").unwrap(), b"999", &ctx).is_err());
//!
//! // Pairing rules apply to the whole list: a serial (21) without the GTIN it qualifies is refused.
//! assert_eq!(parse("(21)XYZ789").unwrap_err().kind(), ErrorKind::Pairing);
//! # Ok::<(), tracecode::Error>(())
//! ```

use super::Gs1;
use super::ai::{AiDef, Charset, Linter, lookup, pattern_matches};
use crate::{Error, ErrorKind};

/// Context for content checks that depend on the world outside the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LintContext {
    /// Current year, for the GS1 century rule that resolves two-digit years (see [`resolve_century`]).
    pub current_year: u16,
}

/// Validates one AI value against its definition: total length, then each component left to right (its length,
/// its character set, then its linters in dictionary order).
///
/// Components consume prefixes of the value; optional components may be absent once the value is exhausted.
/// Error offsets are relative to the start of `value`: a value longer than the AI allows fails at the first
/// surplus byte, a short value at its end (length 0), a bad character or check digit at that byte.
///
/// ```
/// use tracecode::code::gs1::{lint::{LintContext, validate_value}, lookup};
/// let ctx = LintContext { current_year: 2026 };
/// let gtin = lookup("01").unwrap();
/// assert!(validate_value(gtin, b"09506000134352", &ctx).is_ok());
/// let err = validate_value(gtin, b"09506000134353", &ctx).unwrap_err();
/// assert_eq!((err.kind(), err.offset(), err.len()), (tracecode::ErrorKind::CheckDigit, Some(13), Some(1)));
/// assert_eq!(err.message(), "check digit should be 2, found 3");
/// ```
///
/// # Errors
/// [`ErrorKind::Length`] (empty, too short, too long), [`ErrorKind::Charset`] (a byte outside the component's
/// character set), [`ErrorKind::CheckDigit`] (`csum`, `csumalpha`, IBAN), [`ErrorKind::Date`] (dates and times),
/// [`ErrorKind::Value`] (every other content rule).
pub fn validate_value(def: &AiDef, value: &[u8], ctx: &LintContext) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::new(ErrorKind::Length, 0, 0, format!("AI ({}) has an empty value", def.ai)));
    }
    let max = usize::from(def.max_len);
    if value.len() > max {
        return Err(Error::new(
            ErrorKind::Length,
            max,
            value.len() - max,
            format!("AI ({}) value is too long: at most {max} characters, found {}", def.ai, value.len()),
        ));
    }
    // One component that the value fills exactly as the loop below would take it (nearly every AI of every
    // scan): the same checks in the same order, without the loop's bookkeeping.
    if let [comp] = def.components
        && value.len() <= usize::from(comp.max)
        && (comp.min != comp.max || value.len() == usize::from(comp.max))
    {
        check_charset(def, comp.charset, value)?;
        for &l in comp.linters {
            lint(l, value, *ctx)?;
        }
        return Ok(());
    }
    let mut pos = 0usize;
    for comp in def.components {
        let rest = value.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            if comp.optional {
                // The generator guarantees that only optional components follow an optional one.
                break;
            }
            return Err(too_short(def, value.len()));
        }
        let take = if comp.min == comp.max {
            let n = usize::from(comp.max);
            if rest.len() < n {
                return Err(too_short(def, value.len()));
            }
            n
        } else {
            rest.len().min(usize::from(comp.max))
        };
        let part = rest.get(..take).unwrap_or_default();
        check_charset(def, comp.charset, part).map_err(|e| e.shifted(pos))?;
        for &l in comp.linters {
            lint(l, part, *ctx).map_err(|e| e.shifted(pos))?;
        }
        pos += take;
    }
    if pos < value.len() {
        return Err(Error::new(
            ErrorKind::Length,
            pos,
            value.len() - pos,
            format!("AI ({}) value is too long: {} unexpected characters at the end", def.ai, value.len() - pos),
        ));
    }
    Ok(())
}

fn too_short(def: &AiDef, len: usize) -> Error {
    let need = if def.min_len == def.max_len {
        format!("{} characters", def.min_len)
    } else {
        format!("at least {} characters", def.min_len)
    };
    Error::new(ErrorKind::Length, len, 0, format!("AI ({}) value is too short: needs {need}, found {len}", def.ai))
}

/// A byte for a message: printable ASCII as `'c'`, anything else as its hex value (GS, control bytes, UTF-8).
fn show(b: u8) -> String {
    if b.is_ascii_graphic() { format!("'{}'", char::from(b)) } else { format!("byte 0x{b:02X}") }
}

// ---------------------------------------------------------------------------------------------------------------
// Character sets (GS1 General Specifications, AI encodable character sets 82, 39 and 64; codes.md §1.5).

/// CSET 82 in ascending byte order; a character's value for the check-character pair is its index (§1.4).
const CSET82: &[u8; 82] = b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// CSET 39 (AI 8010).
const CSET39: &[u8] = b"#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// CSET 64 (base64url) without the `=` padding, which has its own rule.
const CSET64: &[u8] = b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// The 32 characters of a check-character pair (§1.4).
const CSET32: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Membership bitmask over ASCII, built at compile time so a charset test is one shift and mask.
const fn mask(mut set: &[u8]) -> u128 {
    let mut m = 0u128;
    while let [c, rest @ ..] = set {
        m |= 1u128 << (*c & 0x7F);
        set = rest;
    }
    m
}
const DIGIT_MASK: u128 = mask(b"0123456789");
const CSET82_MASK: u128 = mask(CSET82);
const CSET39_MASK: u128 = mask(CSET39);
const CSET64_MASK: u128 = mask(CSET64);

fn in_mask(m: u128, b: u8) -> bool {
    b < 0x80 && (m >> b) & 1 == 1
}

/// Class bits per byte value: [`CLASS_X`] for CSET 82, [`CLASS_Y`] for CSET 39. A table read per byte is about
/// half the instructions of a mask shift, and this runs over every value of every scan.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut rest: &mut [u8] = &mut t;
    let mut b = 0u32;
    while let [slot, tail @ ..] = rest {
        let m = if b < 128 { 1u128 << b } else { 0 };
        *slot = if CSET82_MASK & m != 0 { CLASS_X } else { 0 } | if CSET39_MASK & m != 0 { CLASS_Y } else { 0 };
        b += 1;
        rest = tail;
    }
    t
};
const CLASS_X: u8 = 1;
const CLASS_Y: u8 = 2;

/// True if every byte of `s` has class bit `bit` (no early exit: the common case is a valid value).
fn all_in_class(s: &[u8], bit: u8) -> bool {
    s.iter().fold(bit, |acc, &b| acc & CLASS.get(usize::from(b)).copied().unwrap_or(0)) != 0
}

/// True if `s` is all ASCII digits; eight bytes per step (each byte's high nibble must be 3 and its low nibble
/// at most 9, i.e. adding 6 must not carry into the high nibble; no byte can carry into the next). A tail shorter
/// than eight is tested as the overlapping last eight bytes, and short values as two overlapping four-byte words,
/// so no value needs a loop per byte (this runs over every numeric value and key of every scan).
pub(crate) fn all_digits(s: &[u8]) -> bool {
    const HI: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    let word = |c: &[u8]| {
        // Always 8 bytes here; a failed conversion reads as 0, which is no digit.
        let x = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        x & HI == THREES && (x + SIXES) & HI == THREES
    };
    let half = |c: &[u8]| {
        let x = u32::from_le_bytes(c.try_into().unwrap_or([0; 4]));
        x & 0xF0F0_F0F0 == 0x3030_3030 && (x + 0x0606_0606) & 0xF0F0_F0F0 == 0x3030_3030
    };
    let n = s.len();
    if n >= 8 {
        s.chunks_exact(8).fold(true, |ok, c| ok & word(c)) & s.get(n - 8..).is_some_and(word)
    } else if n >= 4 {
        s.get(..4).is_some_and(half) & s.get(n - 4..).is_some_and(half)
    } else {
        s.iter().fold(true, |ok, b| ok & b.is_ascii_digit())
    }
}

/// The hot linters below share one shape: an inline test that accepts the common valid value, and an
/// out-of-line function (`…_fault`) that repeats the whole check to locate and describe a fault. The inline test
/// accepts exactly when the full check would, so errors are unchanged; only the success path got shorter.
#[inline]
fn check_charset(def: &AiDef, cs: Charset, s: &[u8]) -> Result<(), Error> {
    let ok = match cs {
        Charset::N => all_digits(s),
        Charset::X => all_in_class(s, CLASS_X),
        Charset::Y => all_in_class(s, CLASS_Y),
        Charset::Z => false,
    };
    if ok { Ok(()) } else { check_charset_fault(def, cs, s) }
}

#[inline(never)]
fn check_charset_fault(def: &AiDef, cs: Charset, s: &[u8]) -> Result<(), Error> {
    let (ok, m, what) = match cs {
        Charset::N => (all_digits(s), DIGIT_MASK, "digits only"),
        Charset::X => (
            all_in_class(s, CLASS_X),
            CSET82_MASK,
            "GS1 character set 82 (no spaces, #, $, @, [, ], \\, ^, `, {, }, |, ~)",
        ),
        Charset::Y => (all_in_class(s, CLASS_Y), CSET39_MASK, "GS1 character set 39 (# - / 0-9 A-Z)"),
        Charset::Z => return check_cset64(def, s),
    };
    if ok {
        return Ok(());
    }
    match s.iter().position(|&b| !in_mask(m, b)) {
        None => Ok(()),
        Some(i) => Err(bad_char(def, s, i, what)),
    }
}

fn bad_char(def: &AiDef, s: &[u8], i: usize, what: &str) -> Error {
    let b = s.get(i).copied().unwrap_or_default();
    Error::new(ErrorKind::Charset, i, 1, format!("{} is not allowed in AI ({}): it takes {what}", show(b), def.ai))
}

/// Base64url with optional padding: at most two `=`, only at the end, and a padded value's length must be a
/// multiple of 3 (the reference linter's rule, stricter than RFC 4648; codes.md §1.5).
fn check_cset64(def: &AiDef, s: &[u8]) -> Result<(), Error> {
    let pads = s.iter().rev().take_while(|&&b| b == b'=').count();
    let body = s.len() - pads;
    if pads > 2 || (pads > 0 && !s.len().is_multiple_of(3)) {
        return Err(Error::new(
            ErrorKind::Charset,
            body,
            pads,
            format!(
                "AI ({}) has invalid base64url padding: at most two '=' and only on a length divisible by 3",
                def.ai
            ),
        ));
    }
    match s.iter().take(body).position(|&b| !in_mask(CSET64_MASK, b)) {
        None => Ok(()),
        Some(i) => Err(bad_char(def, s, i, "base64url characters (A-Z a-z 0-9 - _)")),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Linters. Each sees one component's bytes; errors are relative to them (the caller shifts them).

/// The linters of keys and dates, which nearly every scan runs, inline; the rest out of line, so that their
/// code does not weigh on the common path (inlined all together they made every call set up for all of them).
#[inline]
fn lint(l: Linter, s: &[u8], ctx: LintContext) -> Result<(), Error> {
    match l {
        Linter::Csum => csum(s),
        Linter::GcpPos1 => gcp_at(s, 0),
        Linter::GcpPos2 => gcp_at(s, 1),
        Linter::Yymmd0 => yymmdd(s, ctx, true),
        Linter::Yymmdd => yymmdd(s, ctx, false),
        _ => lint_other(l, s, ctx),
    }
}

#[inline(never)]
fn lint_other(l: Linter, s: &[u8], ctx: LintContext) -> Result<(), Error> {
    match l {
        Linter::Csum => csum(s),
        Linter::CsumAlpha => csum_alpha(s),
        Linter::GcpPos1 => gcp_at(s, 0),
        Linter::GcpPos2 => gcp_at(s, 1),
        Linter::Yymmd0 => yymmdd(s, ctx, true),
        Linter::Yymmdd => yymmdd(s, ctx, false),
        Linter::Yyyymmdd => yyyymmdd(s, false),
        Linter::Yyyymmd0 => yyyymmdd(s, true),
        Linter::Yymmddhh => yymmddhh(s, ctx),
        Linter::Hh => time_field(s, 0, 23, "hour"),
        Linter::Mi => time_field(s, 0, 59, "minute"),
        Linter::Ss => time_field(s, 0, 59, "second"),
        Linter::Hhmi => hhmi(s),
        Linter::Iso3166 => iso3166(s, false),
        Linter::Iso3166999 => iso3166(s, true),
        Linter::Iso3166Alpha2 => iso3166_alpha2(s),
        Linter::Iso4217 => iso4217(s),
        Linter::Iso5218 => one_of(s, &[b"0", b"1", b"2", b"9"], "a sex code (ISO/IEC 5218: 0, 1, 2 or 9)"),
        Linter::Zero => one_of(s, &[b"0"], "0"),
        Linter::NonZero => nonzero(s),
        Linter::NoZeroPrefix => nozeroprefix(s),
        Linter::Hyphen => hyphen(s),
        Linter::YesNo => one_of(s, &[b"0", b"1"], "0 (no) or 1 (yes)"),
        Linter::Winding => one_of(s, &[b"0", b"1", b"9"], "a winding direction (0, 1 or 9)"),
        Linter::PieceOfTotal => piece_of_total(s),
        Linter::PcEnc => pcenc(s),
        Linter::PosInSeqSlash => pos_in_seq_slash(s),
        Linter::Latitude => coordinate(s, 1_800_000_000, "latitude"),
        Linter::Longitude => coordinate(s, 3_600_000_000, "longitude"),
        Linter::Iban => iban(s),
        Linter::PackageType => package_type(s),
        Linter::MediaType => media_type(s),
        Linter::ImporterIdx => importer_idx(s),
        Linter::CouponCode => coupon_code(s, ctx),
        Linter::CouponPosOffer => coupon_pos_offer(s),
        Linter::HasNonDigit => has_non_digit(s),
    }
}

fn value_err(at: usize, len: usize, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::Value, at, len, msg)
}

/// The first non-digit as a charset error (linters that need digits but may sit on an X component).
fn need_digits(s: &[u8]) -> Result<(), Error> {
    if all_digits(s) {
        return Ok(());
    }
    match s.iter().position(|b| !b.is_ascii_digit()) {
        None => Ok(()),
        Some(i) => Err(Error::new(
            ErrorKind::Charset,
            i,
            1,
            format!("{} is not allowed here: digits only", show(s.get(i).copied().unwrap_or_default())),
        )),
    }
}

/// Decimal value of an all-digit slice of at most 19 digits.
fn num(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0')))
}

/// Two digits at `at` as a number.
fn two(s: &[u8], at: usize) -> Option<u8> {
    match s.get(at..at + 2)? {
        &[a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

fn exact_len(s: &[u8], n: usize, what: &str) -> Result<(), Error> {
    if s.len() == n {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Length, 0, s.len(), format!("{what} must be {n} digits, found {}", s.len())))
    }
}

/// `csum`: GS1 mod-10 check digit in the last position (codes.md §1.2).
#[inline]
fn csum(s: &[u8]) -> Result<(), Error> {
    match s.split_last() {
        Some((&found, body)) if mod10_digit(body) == Some(found) => Ok(()),
        _ => csum_fault(s),
    }
}

#[inline(never)]
fn csum_fault(s: &[u8]) -> Result<(), Error> {
    let Some((&found, body)) = s.split_last() else {
        return Err(Error::new(ErrorKind::Length, 0, 0, "no check digit"));
    };
    // One pass on the success path: the check-digit routine rejects non-digits itself; only on failure is the
    // value scanned again to locate the bad character.
    match mod10_digit(body) {
        Some(want) if want == found => Ok(()),
        Some(want) if found.is_ascii_digit() => Err(Error::new(
            ErrorKind::CheckDigit,
            body.len(),
            1,
            format!("check digit should be {}, found {}", char::from(want), char::from(found)),
        )),
        _ => {
            need_digits(s)?;
            Err(value_err(0, s.len(), "check digit cannot be computed"))
        }
    }
}

/// The GS1 mod-10 check digit of `body`: [`crate::code::check::gs1_check_digit`] (one implementation, tuned there,
/// since `csum` runs on every GTIN and SSCC of every scan).
fn mod10_digit(body: &[u8]) -> Option<u8> {
    crate::code::check::gs1_check_digit(body)
}

/// Weights of the check-character pair: the rightmost data character has weight 2, then 3, 5, 7, ... (the
/// primes; §1.4). 32 primes cover any value the dictionary allows (`csumalpha` is on `X..25`).
const PRIMES: [u32; 32] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109,
    113, 127, 131,
];

/// The GS1 check-character pair over `data` (GS1 General Specifications §7.9.5; codes.md §1.4). `Err(i)`: `data[i]` is not in
/// CSET 82. `data` longer than [`PRIMES`] is rejected by the caller.
fn check_pair(data: &[u8]) -> Result<[u8; 2], usize> {
    let mut sum = 0u32;
    for (i, (&c, &w)) in data.iter().rev().zip(PRIMES.iter()).enumerate() {
        let v = CSET82.binary_search(&c).map_err(|_| data.len() - 1 - i)?;
        // Index < 82 fits u32.
        sum += u32::try_from(v).unwrap_or(0) * w;
    }
    let sum = sum % 1021;
    let hi = usize::try_from(sum / 32).unwrap_or(0);
    let lo = usize::try_from(sum % 32).unwrap_or(0);
    Ok([CSET32.get(hi).copied().unwrap_or(b'2'), CSET32.get(lo).copied().unwrap_or(b'2')])
}

/// `csumalpha`: the last two characters are the check-character pair of the rest.
fn csum_alpha(s: &[u8]) -> Result<(), Error> {
    if s.len() < 2 {
        return Err(Error::new(ErrorKind::Length, 0, s.len(), "too short for a check-character pair"));
    }
    let (data, found) = s.split_at(s.len() - 2);
    if data.len() > PRIMES.len() {
        return Err(value_err(0, s.len(), "too long for a check-character pair"));
    }
    let want = check_pair(data).map_err(|i| {
        Error::new(
            ErrorKind::Charset,
            i,
            1,
            format!("{} is not allowed here", show(data.get(i).copied().unwrap_or_default())),
        )
    })?;
    if found == want {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::CheckDigit,
            data.len(),
            2,
            format!(
                "check characters should be {}, found {}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(found)
            ),
        ))
    }
}

/// `gcppos1` / `gcppos2`: a GS1 Company Prefix starts at `at`, so at least its 4 shortest-GCP digits are there.
/// (A registry lookup of the prefix is out of scope: allocations change daily.)
#[inline]
fn gcp_at(s: &[u8], at: usize) -> Result<(), Error> {
    if s.get(at..at + 4).is_some_and(all_digits) { Ok(()) } else { gcp_fault(s, at) }
}

#[inline(never)]
fn gcp_fault(s: &[u8], at: usize) -> Result<(), Error> {
    let Some(gcp) = s.get(at..at + 4) else {
        return Err(value_err(at.min(s.len()), s.len().saturating_sub(at), "too short to hold a GS1 Company Prefix"));
    };
    match gcp.iter().position(|b| !b.is_ascii_digit()) {
        None => Ok(()),
        Some(i) => Err(value_err(
            at + i,
            1,
            format!(
                "a GS1 Company Prefix (at least 4 digits) must start at position {}: {} is not a digit",
                at + 1,
                show(gcp.get(i).copied().unwrap_or_default())
            ),
        )),
    }
}

/// Resolves a two-digit year with the GS1 century rule (GS1 General Specifications §7.12; codes.md §2.8): the
/// year falls in the window from 49 years before to 50 years after `current_year`. `yy` is taken modulo 100.
///
/// ```
/// use tracecode::code::gs1::lint::resolve_century;
/// assert_eq!(resolve_century(26, 2026), 2026);
/// assert_eq!(resolve_century(76, 2026), 2076);
/// assert_eq!(resolve_century(77, 2026), 1977);
/// assert_eq!(resolve_century(0, 2026), 2000);
/// assert_eq!(resolve_century(25, 2075), 2125);
/// assert_eq!(resolve_century(26, 2075), 2026);
/// ```
pub fn resolve_century(yy: u8, current_year: u16) -> u16 {
    let yy = i32::from(yy % 100);
    let cur = i32::from(current_year);
    let diff = yy - cur % 100;
    let century = cur / 100
        + match diff {
            51.. => -1,
            ..=-50 => 1,
            _ => 0,
        };
    u16::try_from((century * 100 + yy).max(0)).unwrap_or(u16::MAX)
}

const fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

const fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        2 => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Month at `at` and day at `at + 2` (both two digits, already checked to be digits) of `year`.
fn month_day(s: &[u8], at: usize, year: u16, day0: bool) -> Result<(), Error> {
    let mm = two(s, at).unwrap_or(0);
    if !(1..=12).contains(&mm) {
        return Err(Error::new(ErrorKind::Date, at, 2, format!("month {mm:02} does not exist (01 to 12)")));
    }
    let dd = two(s, at + 2).unwrap_or(0);
    if dd == 0 && day0 {
        return Ok(());
    }
    let max = days_in_month(year, mm);
    if dd == 0 || dd > max {
        let msg = if dd == 0 {
            "day 00 is not allowed in this date".to_owned()
        } else {
            format!("day {dd:02} does not exist in {year}-{mm:02} (it has {max} days)")
        };
        return Err(Error::new(ErrorKind::Date, at + 2, 2, msg));
    }
    Ok(())
}

/// `yymmdd` / `yymmd0` (DD = 00 allowed: last day of the month).
#[inline]
fn yymmdd(s: &[u8], ctx: LintContext, day0: bool) -> Result<(), Error> {
    // Fast path for the common valid date (every expiry and production date of every scan): six digits, a real
    // month and day. Anything else takes the checks below, which locate and describe the fault.
    if let &[y1, y2, m1, m2, d1, d2] = s {
        let [y1, y2, m1, m2, d1, d2] = [y1, y2, m1, m2, d1, d2].map(|b| b.wrapping_sub(b'0'));
        if y1 <= 9 && y2 <= 9 && m1 <= 9 && m2 <= 9 && d1 <= 9 && d2 <= 9 {
            let (mm, dd) = (m1 * 10 + m2, d1 * 10 + d2);
            // The century matters only for 29 February, so it is resolved only past day 28.
            let day_ok = |dd: u8| dd <= 28 || dd <= days_in_month(resolve_century(y1 * 10 + y2, ctx.current_year), mm);
            if (1..=12).contains(&mm) && ((day0 && dd == 0) || (dd >= 1 && day_ok(dd))) {
                return Ok(());
            }
        }
    }
    yymmdd_fault(s, ctx, day0)
}

#[inline(never)]
fn yymmdd_fault(s: &[u8], ctx: LintContext, day0: bool) -> Result<(), Error> {
    exact_len(s, 6, "a YYMMDD date")?;
    need_digits(s)?;
    let year = resolve_century(two(s, 0).unwrap_or(0), ctx.current_year);
    month_day(s, 2, year, day0)
}

/// `yyyymmdd` / `yyyymmd0`.
fn yyyymmdd(s: &[u8], day0: bool) -> Result<(), Error> {
    exact_len(s, 8, "a YYYYMMDD date")?;
    need_digits(s)?;
    let year = u16::from(two(s, 0).unwrap_or(0)) * 100 + u16::from(two(s, 2).unwrap_or(0));
    month_day(s, 4, year, day0)
}

/// `yymmddhh`: a date and an hour.
fn yymmddhh(s: &[u8], ctx: LintContext) -> Result<(), Error> {
    exact_len(s, 8, "a YYMMDDHH date and hour")?;
    yymmdd(s.get(..6).unwrap_or_default(), ctx, false)?;
    time_field(s.get(6..).unwrap_or_default(), 0, 23, "hour").map_err(|e| e.shifted(6))
}

/// `hh`, `mi`, `ss`: two digits in `lo..=hi`.
fn time_field(s: &[u8], lo: u8, hi: u8, what: &str) -> Result<(), Error> {
    exact_len(s, 2, what)?;
    need_digits(s)?;
    let v = two(s, 0).unwrap_or(0);
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Date, 0, 2, format!("{what} {v:02} does not exist ({lo:02} to {hi:02})")))
    }
}

/// `hhmi`: hours 00–23 then minutes 00–59.
fn hhmi(s: &[u8]) -> Result<(), Error> {
    exact_len(s, 4, "an HHMI time")?;
    time_field(s.get(..2).unwrap_or_default(), 0, 23, "hour")?;
    time_field(s.get(2..).unwrap_or_default(), 0, 59, "minute").map_err(|e| e.shifted(2))
}

fn iso3166(s: &[u8], allow_999: bool) -> Result<(), Error> {
    let ok = s.len() == 3
        && num(s).is_some_and(|n| {
            (allow_999 && n == 999) || u16::try_from(n).is_ok_and(|n| ISO3166_NUMERIC.binary_search(&n).is_ok())
        });
    if ok {
        Ok(())
    } else {
        Err(value_err(0, s.len(), format!("{} is not an ISO 3166-1 numeric country code", String::from_utf8_lossy(s))))
    }
}

fn iso3166_alpha2(s: &[u8]) -> Result<(), Error> {
    match s {
        &[a, b] if ISO3166_ALPHA2.binary_search(&[a, b]).is_ok() => Ok(()),
        _ => Err(value_err(
            0,
            s.len(),
            format!("{} is not an ISO 3166-1 alpha-2 country code", String::from_utf8_lossy(s)),
        )),
    }
}

fn iso4217(s: &[u8]) -> Result<(), Error> {
    let ok = s.len() == 3
        && num(s).is_some_and(|n| u16::try_from(n).is_ok_and(|n| ISO4217_NUMERIC.binary_search(&n).is_ok()));
    if ok {
        Ok(())
    } else {
        Err(value_err(0, s.len(), format!("{} is not an ISO 4217 numeric currency code", String::from_utf8_lossy(s))))
    }
}

/// The component must be exactly one of `allowed`.
fn one_of(s: &[u8], allowed: &[&[u8]], what: &'static str) -> Result<(), Error> {
    if allowed.contains(&s) {
        Ok(())
    } else {
        Err(value_err(0, s.len(), format!("{} is not allowed here: expected {what}", String::from_utf8_lossy(s))))
    }
}

fn nonzero(s: &[u8]) -> Result<(), Error> {
    if s.iter().all(|&b| b == b'0') { Err(value_err(0, s.len(), "must not be zero")) } else { Ok(()) }
}

/// `nozeroprefix`: no leading zero, except the single number `0`.
fn nozeroprefix(s: &[u8]) -> Result<(), Error> {
    if s.len() > 1 && s.first() == Some(&b'0') { Err(value_err(0, 1, "must not start with 0")) } else { Ok(()) }
}

fn hyphen(s: &[u8]) -> Result<(), Error> {
    match s.iter().position(|&b| b != b'-') {
        None => Ok(()),
        Some(i) => Err(value_err(i, 1, format!("expected '-', found {}", show(s.get(i).copied().unwrap_or_default())))),
    }
}

/// `pieceoftotal`: first half piece number, second half total; 1 ≤ piece ≤ total.
fn piece_of_total(s: &[u8]) -> Result<(), Error> {
    need_digits(s)?;
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return Err(value_err(0, s.len(), "piece and total must have the same number of digits"));
    }
    let h = s.len() / 2;
    let (p, t) = s.split_at(h);
    let (piece, total) = (num(p).unwrap_or(0), num(t).unwrap_or(0));
    if piece == 0 {
        return Err(value_err(0, h, "piece number must not be zero"));
    }
    if total == 0 {
        return Err(value_err(h, h, "total number of pieces must not be zero"));
    }
    if piece > total {
        return Err(value_err(0, s.len(), format!("piece {piece} is beyond the total of {total}")));
    }
    Ok(())
}

/// `pcenc`: every `%` starts a percent-encoded byte (`%` + two hex digits).
fn pcenc(s: &[u8]) -> Result<(), Error> {
    let mut i = 0;
    while let Some(off) = s.get(i..).and_then(|r| r.iter().position(|&b| b == b'%')) {
        let at = i + off;
        let ok = matches!(s.get(at + 1..at + 3), Some(&[a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit());
        if !ok {
            let len = (s.len() - at).min(3);
            return Err(value_err(at, len, "'%' must be followed by two hexadecimal digits (percent-encoding)"));
        }
        i = at + 3;
    }
    Ok(())
}

/// `posinseqslash`: `<pos>/<end>`, both without leading zeros, 1 ≤ pos ≤ end.
fn pos_in_seq_slash(s: &[u8]) -> Result<(), Error> {
    let malformed = || value_err(0, s.len(), "expected a position in a sequence such as 1/3");
    let slash = s.iter().position(|&b| b == b'/').ok_or_else(malformed)?;
    let (p, e) = (s.get(..slash).unwrap_or_default(), s.get(slash + 1..).unwrap_or_default());
    if p.is_empty() || e.is_empty() || !p.iter().chain(e).all(u8::is_ascii_digit) {
        return Err(malformed());
    }
    if p.first() == Some(&b'0') {
        return Err(value_err(0, p.len(), "position must not be zero or start with 0"));
    }
    if e.first() == Some(&b'0') {
        return Err(value_err(slash + 1, e.len(), "sequence end must not be zero or start with 0"));
    }
    // No leading zeros: a longer number is larger, equal lengths compare bytewise.
    if (p.len(), p) > (e.len(), e) {
        return Err(value_err(0, s.len(), "position is beyond the end of the sequence"));
    }
    Ok(())
}

/// `latitude` / `longitude` (AI 4309): ten digits, at most `max` (180° resp. 360° in units of 10⁻⁷ degree,
/// offset to be non-negative).
fn coordinate(s: &[u8], max: u64, what: &str) -> Result<(), Error> {
    exact_len(s, 10, what)?;
    need_digits(s)?;
    if num(s).unwrap_or(u64::MAX) > max {
        return Err(value_err(0, 10, format!("{what} out of range: at most {max:010}")));
    }
    Ok(())
}

/// `iban` (ISO 13616-1): 11 to 34 characters, an ISO 3166 alpha-2 country, `0-9 A-Z` only, and the mod-97
/// check (the first four characters moved to the end, letters as 10–35, remainder 1). Country-specific lengths
/// (the SWIFT IBAN registry) are not checked, as in the reference linter.
fn iban(s: &[u8]) -> Result<(), Error> {
    if s.len() <= 10 || s.len() > 34 {
        return Err(value_err(0, s.len(), format!("an IBAN has 11 to 34 characters, found {}", s.len())));
    }
    let cc = s.get(..2).unwrap_or_default();
    if !matches!(cc, &[a, b] if ISO3166_ALPHA2.binary_search(&[a, b]).is_ok()) {
        return Err(value_err(
            0,
            2,
            format!("IBAN country {} is not an ISO 3166-1 country", String::from_utf8_lossy(cc)),
        ));
    }
    if let Some(i) = s.iter().skip(2).position(|b| !b.is_ascii_digit() && !b.is_ascii_uppercase()) {
        let b = s.get(i + 2).copied().unwrap_or_default();
        return Err(Error::new(
            ErrorKind::Charset,
            i + 2,
            1,
            format!("{} is not allowed in an IBAN (0-9, A-Z)", show(b)),
        ));
    }
    let rotated = s.iter().skip(4).chain(s.iter().take(4));
    let rem = rotated.fold(0u32, |r, &b| {
        if b.is_ascii_digit() { (r * 10 + u32::from(b - b'0')) % 97 } else { (r * 100 + u32::from(b - b'A') + 10) % 97 }
    });
    if rem == 1 {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::CheckDigit, 2, 2, "IBAN check digits do not match the account number (mod 97)"))
    }
}

/// `packagetype`: a code of the GS1 `PackageTypeCode` list (UN/ECE Recommendation 21 codes plus GS1 additions).
fn package_type(s: &[u8]) -> Result<(), Error> {
    if PACKAGE_TYPES.binary_search_by(|p| p.as_bytes().cmp(s)).is_ok() {
        Ok(())
    } else {
        Err(value_err(
            0,
            s.len(),
            format!("{} is not a package type code (UN/ECE Rec. 21)", String::from_utf8_lossy(s)),
        ))
    }
}

/// `mediatype`: AIDC media type 01–10 (ICCBBA assignments) or 80–99 (ICCBBA local/national use), per the GS1
/// General Specifications table "AIDC media type values"; 00 and the reserved 11–79 are rejected.
fn media_type(s: &[u8]) -> Result<(), Error> {
    match (s.len(), two(s, 0)) {
        (2, Some(1..=10 | 80..=99)) => Ok(()),
        _ => Err(value_err(
            0,
            s.len(),
            format!("{} is not an AIDC media type (01-10, 80-99)", String::from_utf8_lossy(s)),
        )),
    }
}

/// `importeridx`: one character of `-0-9A-Z_a-z` (the UIC extension's importer index, AI 7040).
fn importer_idx(s: &[u8]) -> Result<(), Error> {
    match s {
        &[b] if b == b'-' || b == b'_' || b.is_ascii_alphanumeric() => Ok(()),
        _ => Err(value_err(0, s.len(), "importer index must be one of - 0-9 A-Z _ a-z")),
    }
}

/// `hasnondigit`: at least one non-digit, so a MUDI (AI 8014) cannot be mistaken for a GTIN.
fn has_non_digit(s: &[u8]) -> Result<(), Error> {
    if s.iter().all(u8::is_ascii_digit) {
        Err(value_err(0, s.len(), "must contain at least one character that is not a digit"))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// North American coupon structures. Sources: "North American Coupon Application Guideline Using GS1 DataBar
// Expanded Symbols" (AI 8110) and "GS1 AI (8112) Coupon Data Specification", as checked by the reference
// linters `lint_couponcode.c` / `lint_couponposoffer.c`.

/// A read position in a coupon value; every field error names the field and points at it.
struct Cursor<'a> {
    s: &'a [u8],
    p: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.p).copied()
    }

    /// The error for a field that is missing or shorter than required: from here to the end (length 0 at the end).
    fn truncated(&self, field: &str) -> Error {
        value_err(
            self.p.min(self.s.len()),
            self.s.len().saturating_sub(self.p),
            format!("coupon {field} is missing or truncated"),
        )
    }

    /// One digit that must be in `ok`.
    fn digit(&mut self, field: &str, ok: impl Fn(u8) -> bool) -> Result<u8, Error> {
        self.digit_of(field, "", ok)
    }

    /// One digit of the field named `field` + `suffix` (joined only for an error message, so the success path
    /// does not allocate).
    fn digit_of(&mut self, field: &str, suffix: &str, ok: impl Fn(u8) -> bool) -> Result<u8, Error> {
        let Some(d) = self.peek() else {
            return Err(self.truncated(&format!("{field}{suffix}")));
        };
        if !ok(d) {
            return Err(value_err(self.p, 1, format!("coupon {field}{suffix} {} is not allowed", show(d))));
        }
        self.p += 1;
        Ok(d - b'0')
    }

    /// `n` more digits.
    fn skip(&mut self, n: usize, field: &str) -> Result<usize, Error> {
        if self.s.len().saturating_sub(self.p) < n {
            return Err(self.truncated(field));
        }
        let at = self.p;
        self.p += n;
        Ok(at)
    }

    /// A variable-length field: its length indicator (`vli_ok`), then `base + vli` digits (or 0 for `zero_vli`).
    fn vli_field(
        &mut self,
        field: &str,
        vli_ok: impl Fn(u8) -> bool,
        base: usize,
        zero_vli: Option<u8>,
    ) -> Result<(), Error> {
        let v = self.digit_of(field, " length indicator", vli_ok)?;
        let n = if Some(v) == zero_vli { 0 } else { base + usize::from(v) };
        self.skip(n, field).map(|_| ())
    }

    fn date(&mut self, field: &str, ctx: LintContext) -> Result<(u16, u16), Error> {
        let at = self.skip(6, field)?;
        let d = self.s.get(at..at + 6).unwrap_or_default();
        yymmdd(d, ctx, false).map_err(|_| value_err(at, 6, format!("coupon {field} is not a valid YYMMDD date")))?;
        let year = resolve_century(two(d, 0).unwrap_or(0), ctx.current_year);
        Ok((year, u16::from(two(d, 2).unwrap_or(0)) * 100 + u16::from(two(d, 4).unwrap_or(0))))
    }

    fn end(&self) -> Result<(), Error> {
        if self.p < self.s.len() {
            Err(value_err(self.p, self.s.len() - self.p, "unexpected data at the end of the coupon"))
        } else {
            Ok(())
        }
    }
}

const fn d(lo: u8, hi: u8) -> impl Fn(u8) -> bool {
    move |b| b >= b'0' + lo && b <= b'0' + hi
}

fn purchase_req_code(b: u8) -> bool {
    matches!(b, b'0'..=b'4' | b'9')
}

/// `couponcode` (AI 8110). Checked: all digits; primary GCP (VLI 0–6 → 6–12 digits); 6-digit offer code; save
/// value (VLI 1–5); first purchase requirement (VLI 1–5), its code (0–4, 9) and 3-digit family code; then the
/// optional fields in order — 1: additional rules code (0–3), second purchase requirement, code, family code
/// and GCP (VLI 0–6, or 9 = none); 2: third purchase requirement, code, family code and GCP; 3: expiration date;
/// 4: start date (not after the expiration date); 5: serial number (VLI 0–9 → 6–15 digits); 6: retailer GCP/GLN
/// (VLI 1–7 → 7–13 digits); 9: save value code (0, 1, 2, 5, 6), applies-to-item (0–2), store coupon flag, don't
/// multiply flag (0, 1) — and nothing after them. Field meanings (amounts, family codes) are not interpreted.
fn coupon_code(s: &[u8], ctx: LintContext) -> Result<(), Error> {
    need_digits(s)?;
    let mut c = Cursor { s, p: 0 };
    c.vli_field("company prefix", d(0, 6), 6, None)?;
    c.skip(6, "offer code")?;
    c.vli_field("save value", d(1, 5), 0, None)?;
    c.vli_field("first purchase requirement", d(1, 5), 0, None)?;
    c.digit("first purchase requirement code", purchase_req_code)?;
    c.skip(3, "first purchase family code")?;
    if c.peek() == Some(b'1') {
        c.p += 1;
        c.digit("additional purchase rules code", d(0, 3))?;
        c.vli_field("second purchase requirement", d(1, 5), 0, None)?;
        c.digit("second purchase requirement code", purchase_req_code)?;
        c.skip(3, "second purchase family code")?;
        c.vli_field("second purchase company prefix", |b| matches!(b, b'0'..=b'6' | b'9'), 6, Some(9))?;
    }
    if c.peek() == Some(b'2') {
        c.p += 1;
        c.vli_field("third purchase requirement", d(1, 5), 0, None)?;
        c.digit("third purchase requirement code", purchase_req_code)?;
        c.skip(3, "third purchase family code")?;
        c.vli_field("third purchase company prefix", |b| matches!(b, b'0'..=b'6' | b'9'), 6, Some(9))?;
    }
    let mut expiry = None;
    if c.peek() == Some(b'3') {
        c.p += 1;
        expiry = Some((c.p, c.date("expiration date", ctx)?));
    }
    if c.peek() == Some(b'4') {
        c.p += 1;
        let at = c.p;
        let start = c.date("start date", ctx)?;
        if let Some((eat, exp)) = expiry
            && start > exp
        {
            return Err(value_err(eat, at + 6 - eat, "coupon expiration date is before its start date"));
        }
    }
    if c.peek() == Some(b'5') {
        c.p += 1;
        c.vli_field("serial number", d(0, 9), 6, None)?;
    }
    if c.peek() == Some(b'6') {
        c.p += 1;
        c.vli_field("retailer company prefix or GLN", d(1, 7), 6, None)?;
    }
    if c.peek() == Some(b'9') {
        c.p += 1;
        c.digit("save value code", |b| matches!(b, b'0' | b'1' | b'2' | b'5' | b'6'))?;
        c.digit("save value applies-to-item", d(0, 2))?;
        c.digit("store coupon flag", d(0, 9))?;
        c.digit("don't-multiply flag", d(0, 1))?;
    }
    c.end()
}

/// `couponposoffer` (AI 8112). Checked: all digits; format code (0, 1); funder ID (VLI 0–6 → 6–12 digits);
/// 6-digit offer code; serial number (VLI 0–9 → 6–15 digits); nothing after it.
fn coupon_pos_offer(s: &[u8]) -> Result<(), Error> {
    need_digits(s)?;
    let mut c = Cursor { s, p: 0 };
    c.digit("format code", d(0, 1))?;
    c.vli_field("funder ID", d(0, 6), 6, None)?;
    c.skip(6, "offer code")?;
    c.vli_field("serial number", d(0, 9), 6, None)?;
    c.end()
}

// ---------------------------------------------------------------------------------------------------------------
// Pairing rules.

/// Checks the `req=` and `ex=` rules of every element against the whole list (codes.md §2.6): each `req` rule
/// needs one alternative whose every member pattern matches some present AI; no `ex` pattern may match another
/// present AI (an AI is never exclusive of itself). Pairings are meant over all carriers of one physical item:
/// callers combining several scans pass the combined list.
///
/// ```
/// use tracecode::code::{ParseOptions, gs1::{element::parse_bracketed, lint::check_pairings}};
/// let opts = ParseOptions::new().check_pairings(false);
/// let (ok, _) = parse_bracketed(b"(01)09506000134352(21)XYZ789", &opts)?;
/// assert!(check_pairings(&ok).is_ok());
/// let (lone, _) = parse_bracketed(b"(21)XYZ789", &opts)?;
/// let err = check_pairings(&lone).unwrap_err();
/// assert_eq!((err.kind(), err.offset(), err.len()), (tracecode::ErrorKind::Pairing, Some(0), Some(2)));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Pairing`] at the source offset ([`Gs1::source_offset`]) of the element whose rule fails, length
/// of its AI: for `req`, the element needing a partner; for `ex`, the later of the two conflicting elements.
pub fn check_pairings(gs1: &Gs1) -> Result<(), Error> {
    // The definitions only: reading the spans directly skips slicing every value out of the buffer, which
    // matters because this runs for every scan.
    check_pairings_of(|| gs1.spans.iter().map(|s| s.def), |i| gs1.source_offset(i))
}

/// [`check_pairings`] over the definitions `defs` yields (afresh on each call), in scan order; `src(i)` is the
/// source offset of element `i`. The one implementation, shared with the scan path, which holds its elements as
/// borrowed spans rather than a [`Gs1`].
pub(crate) fn check_pairings_of<I>(defs: impl Fn() -> I, src: impl Fn(usize) -> usize) -> Result<(), Error>
where
    I: Iterator<Item = &'static AiDef>,
{
    // The precompiled rules (see `Pairing`): exact for `req`, a conservative hint for `ex`. Elements whose
    // rules pass here skip the pattern matching below, which then only runs to find and describe a failure.
    let (req_present, ex_present) =
        defs().fold((0u128, 0u64), |(r, x), d| (r | d.pairing.req_matches, x | d.pairing.ex_hint));
    let present = |pat: &str| defs().any(|d| pattern_matches(pat, d.ai));
    for (i, e) in defs().enumerate() {
        let p = &e.pairing;
        let req_ok = p.req.iter().all(|rule| rule.iter().any(|&m| m & !req_present == 0));
        if req_ok && p.ex_mask & ex_present == 0 {
            continue;
        }
        for rule in e.req {
            if !rule.iter().any(|alt| alt.iter().all(|p| present(p))) {
                return Err(Error::new(
                    ErrorKind::Pairing,
                    src(i),
                    e.ai.len(),
                    format!("AI {} needs {} in the same scan", describe_ai(e), describe_rule(rule)),
                ));
            }
        }
        for pat in e.ex {
            if let Some((j, o)) = defs().enumerate().find(|(_, o)| o.ai != e.ai && pattern_matches(pat, o.ai)) {
                let (k, first, second) = if j > i { (j, e, o) } else { (i, o, e) };
                return Err(Error::new(
                    ErrorKind::Pairing,
                    src(k),
                    second.ai.len(),
                    format!("AI {} cannot appear together with AI {}", describe_ai(second), describe_ai(first)),
                ));
            }
        }
    }
    Ok(())
}

fn describe_ai(def: &AiDef) -> String {
    if def.title.is_empty() { format!("({})", def.ai) } else { format!("({}) {}", def.ai, def.title) }
}

fn describe_pattern(pat: &str) -> String {
    match lookup(pat) {
        Some(def) if !pat.contains('n') => describe_ai(def),
        _ => format!("({pat})"),
    }
}

/// "(01) GTIN, (03) MTO GTIN or (8006) ITIP"; conjunctions as "(01) GTIN + (21) SERIAL".
fn describe_rule(rule: &[&[&str]]) -> String {
    let alts: Vec<String> =
        rule.iter().map(|alt| alt.iter().map(|p| describe_pattern(p)).collect::<Vec<_>>().join(" + ")).collect();
    match alts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Code tables (sorted; binary search).

/// ISO 3166-1 numeric country codes ("num-3"), as listed by the ISO 3166 Maintenance Agency and used by the
/// reference linter `lint_iso3166.c` (249 codes).
static ISO3166_NUMERIC: [u16; 249] = [
    4, 8, 10, 12, 16, 20, 24, 28, 31, 32, 36, 40, 44, 48, 50, 51, 52, 56, 60, 64, 68, 70, 72, 74, 76, 84, 86, 90, 92,
    96, 100, 104, 108, 112, 116, 120, 124, 132, 136, 140, 144, 148, 152, 156, 158, 162, 166, 170, 174, 175, 178, 180,
    184, 188, 191, 192, 196, 203, 204, 208, 212, 214, 218, 222, 226, 231, 232, 233, 234, 238, 239, 242, 246, 248, 250,
    254, 258, 260, 262, 266, 268, 270, 275, 276, 288, 292, 296, 300, 304, 308, 312, 316, 320, 324, 328, 332, 334, 336,
    340, 344, 348, 352, 356, 360, 364, 368, 372, 376, 380, 384, 388, 392, 398, 400, 404, 408, 410, 414, 417, 418, 422,
    426, 428, 430, 434, 438, 440, 442, 446, 450, 454, 458, 462, 466, 470, 474, 478, 480, 484, 492, 496, 498, 499, 500,
    504, 508, 512, 516, 520, 524, 528, 531, 533, 534, 535, 540, 548, 554, 558, 562, 566, 570, 574, 578, 580, 581, 583,
    584, 585, 586, 591, 598, 600, 604, 608, 612, 616, 620, 624, 626, 630, 634, 638, 642, 643, 646, 652, 654, 659, 660,
    662, 663, 666, 670, 674, 678, 682, 686, 688, 690, 694, 702, 703, 704, 705, 706, 710, 716, 724, 728, 729, 732, 740,
    744, 748, 752, 756, 760, 762, 764, 768, 772, 776, 780, 784, 788, 792, 795, 796, 798, 800, 804, 807, 818, 826, 831,
    832, 833, 834, 840, 850, 854, 858, 860, 862, 876, 882, 887, 894,
];

/// ISO 3166-1 alpha-2 country codes (ISO 3166 Maintenance Agency; reference linter `lint_iso3166alpha2.c`;
/// 249 codes).
static ISO3166_ALPHA2: [[u8; 2]; 249] = [
    *b"AD", *b"AE", *b"AF", *b"AG", *b"AI", *b"AL", *b"AM", *b"AO", *b"AQ", *b"AR", *b"AS", *b"AT", *b"AU", *b"AW",
    *b"AX", *b"AZ", *b"BA", *b"BB", *b"BD", *b"BE", *b"BF", *b"BG", *b"BH", *b"BI", *b"BJ", *b"BL", *b"BM", *b"BN",
    *b"BO", *b"BQ", *b"BR", *b"BS", *b"BT", *b"BV", *b"BW", *b"BY", *b"BZ", *b"CA", *b"CC", *b"CD", *b"CF", *b"CG",
    *b"CH", *b"CI", *b"CK", *b"CL", *b"CM", *b"CN", *b"CO", *b"CR", *b"CU", *b"CV", *b"CW", *b"CX", *b"CY", *b"CZ",
    *b"DE", *b"DJ", *b"DK", *b"DM", *b"DO", *b"DZ", *b"EC", *b"EE", *b"EG", *b"EH", *b"ER", *b"ES", *b"ET", *b"FI",
    *b"FJ", *b"FK", *b"FM", *b"FO", *b"FR", *b"GA", *b"GB", *b"GD", *b"GE", *b"GF", *b"GG", *b"GH", *b"GI", *b"GL",
    *b"GM", *b"GN", *b"GP", *b"GQ", *b"GR", *b"GS", *b"GT", *b"GU", *b"GW", *b"GY", *b"HK", *b"HM", *b"HN", *b"HR",
    *b"HT", *b"HU", *b"ID", *b"IE", *b"IL", *b"IM", *b"IN", *b"IO", *b"IQ", *b"IR", *b"IS", *b"IT", *b"JE", *b"JM",
    *b"JO", *b"JP", *b"KE", *b"KG", *b"KH", *b"KI", *b"KM", *b"KN", *b"KP", *b"KR", *b"KW", *b"KY", *b"KZ", *b"LA",
    *b"LB", *b"LC", *b"LI", *b"LK", *b"LR", *b"LS", *b"LT", *b"LU", *b"LV", *b"LY", *b"MA", *b"MC", *b"MD", *b"ME",
    *b"MF", *b"MG", *b"MH", *b"MK", *b"ML", *b"MM", *b"MN", *b"MO", *b"MP", *b"MQ", *b"MR", *b"MS", *b"MT", *b"MU",
    *b"MV", *b"MW", *b"MX", *b"MY", *b"MZ", *b"NA", *b"NC", *b"NE", *b"NF", *b"NG", *b"NI", *b"NL", *b"NO", *b"NP",
    *b"NR", *b"NU", *b"NZ", *b"OM", *b"PA", *b"PE", *b"PF", *b"PG", *b"PH", *b"PK", *b"PL", *b"PM", *b"PN", *b"PR",
    *b"PS", *b"PT", *b"PW", *b"PY", *b"QA", *b"RE", *b"RO", *b"RS", *b"RU", *b"RW", *b"SA", *b"SB", *b"SC", *b"SD",
    *b"SE", *b"SG", *b"SH", *b"SI", *b"SJ", *b"SK", *b"SL", *b"SM", *b"SN", *b"SO", *b"SR", *b"SS", *b"ST", *b"SV",
    *b"SX", *b"SY", *b"SZ", *b"TC", *b"TD", *b"TF", *b"TG", *b"TH", *b"TJ", *b"TK", *b"TL", *b"TM", *b"TN", *b"TO",
    *b"TR", *b"TT", *b"TV", *b"TW", *b"TZ", *b"UA", *b"UG", *b"UM", *b"US", *b"UY", *b"UZ", *b"VA", *b"VC", *b"VE",
    *b"VG", *b"VI", *b"VN", *b"VU", *b"WF", *b"WS", *b"YE", *b"YT", *b"ZA", *b"ZM", *b"ZW",
];

/// ISO 4217 numeric currency and fund codes (SIX Financial Information, ISO 4217 maintenance agency list, as
/// used by the reference linter `lint_iso4217.c`; includes the X-codes 9xx for precious metals and funds).
static ISO4217_NUMERIC: [u16; 181] = [
    8, 12, 32, 36, 44, 48, 50, 51, 52, 60, 64, 68, 72, 84, 90, 96, 104, 108, 116, 124, 132, 136, 144, 152, 156, 170,
    174, 188, 191, 192, 203, 208, 214, 222, 230, 232, 238, 242, 262, 270, 292, 320, 324, 328, 332, 340, 344, 348, 352,
    356, 360, 364, 368, 376, 388, 392, 398, 400, 404, 408, 410, 414, 417, 418, 422, 426, 430, 434, 446, 454, 458, 462,
    480, 484, 496, 498, 504, 512, 516, 524, 532, 533, 548, 554, 558, 566, 578, 586, 590, 598, 600, 604, 608, 634, 643,
    646, 654, 682, 690, 694, 702, 704, 706, 710, 728, 748, 752, 756, 760, 764, 776, 780, 784, 788, 800, 807, 818, 826,
    834, 840, 858, 860, 882, 886, 901, 924, 925, 927, 928, 929, 930, 931, 932, 933, 934, 936, 938, 940, 941, 943, 944,
    946, 947, 948, 949, 950, 951, 952, 953, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965, 967, 968, 969, 970,
    971, 972, 973, 975, 976, 977, 978, 979, 980, 981, 984, 985, 986, 990, 994, 997, 999,
];

/// GS1 `PackageTypeCode` list: UN/ECE Recommendation 21 package type codes plus GS1 additions
/// (<https://navigator.gs1.org/edi/codelist-details?name=PackageTypeCode>; reference linter `lint_packagetype.c`),
/// sorted by bytes.
static PACKAGE_TYPES: [&str; 431] = [
    "1A", "1B", "1D", "1F", "1G", "1W", "200", "201", "202", "203", "204", "205", "206", "210", "211", "212", "2C",
    "3A", "3H", "43", "44", "4A", "4B", "4C", "4D", "4F", "4G", "4H", "5H", "5L", "5M", "6H", "6P", "7A", "7B", "8",
    "8A", "8B", "8C", "9", "AA", "AB", "AC", "AD", "AF", "AG", "AH", "AI", "AJ", "AL", "AM", "AP", "APE", "AT", "AV",
    "B4", "BB", "BC", "BD", "BE", "BF", "BG", "BGE", "BH", "BI", "BJ", "BK", "BL", "BM", "BME", "BN", "BO", "BP", "BQ",
    "BR", "BRI", "BS", "BT", "BU", "BV", "BW", "BX", "BY", "BZ", "CA", "CB", "CBL", "CC", "CCE", "CD", "CE", "CF",
    "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT", "CU", "CV", "CW", "CX", "CY",
    "CZ", "DA", "DB", "DC", "DG", "DH", "DI", "DJ", "DK", "DL", "DM", "DN", "DP", "DPE", "DR", "DS", "DT", "DU", "DV",
    "DW", "DX", "DY", "E1", "E2", "E3", "EC", "ED", "EE", "EF", "EG", "EH", "EI", "EN", "FB", "FC", "FD", "FE", "FI",
    "FL", "FO", "FOB", "FP", "FPE", "FR", "FT", "FW", "FX", "GB", "GI", "GL", "GR", "GU", "GY", "GZ", "HA", "HB", "HC",
    "HG", "HN", "HR", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IK", "IL", "IN", "IZ", "JB", "JC", "JG", "JR",
    "JT", "JY", "KG", "KI", "LAB", "LE", "LG", "LT", "LU", "LV", "LZ", "MA", "MB", "MC", "ME", "MPE", "MR", "MS", "MT",
    "MW", "MX", "NA", "NE", "NF", "NG", "NS", "NT", "NU", "NV", "OA", "OB", "OC", "OD", "OE", "OF", "OK", "OPE", "OT",
    "OU", "P2", "PA", "PAE", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PLP", "PN", "PO",
    "POP", "PP", "PPE", "PR", "PT", "PU", "PUE", "PV", "PX", "PY", "PZ", "QA", "QB", "QC", "QD", "QF", "QG", "QH",
    "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QS", "RB1", "RB2", "RB3", "RCB", "RD", "RG", "RJ", "RK", "RL",
    "RO", "RT", "RZ", "S1", "SA", "SB", "SC", "SD", "SE", "SEC", "SH", "SI", "SK", "SL", "SM", "SO", "SP", "SS", "ST",
    "STL", "SU", "SV", "SW", "SX", "SY", "SZ", "T1", "TB", "TC", "TD", "TE", "TEV", "TG", "THE", "TI", "TK", "TL",
    "TN", "TO", "TR", "TRE", "TS", "TT", "TTE", "TU", "TV", "TW", "TWE", "TY", "TZ", "UC", "UN", "UUE", "VA", "VG",
    "VI", "VK", "VL", "VN", "VO", "VP", "VQ", "VR", "VS", "VY", "WA", "WB", "WC", "WD", "WF", "WG", "WH", "WJ", "WK",
    "WL", "WM", "WN", "WP", "WQ", "WR", "WRP", "WS", "WT", "WU", "WV", "WW", "WX", "WY", "WZ", "X11", "X12", "X15",
    "X16", "X17", "X18", "X19", "X20", "X3", "XA", "XB", "XC", "XD", "XF", "XG", "XH", "XJ", "XK", "YA", "YB", "YC",
    "YD", "YF", "YG", "YH", "YJ", "YK", "YL", "YM", "YN", "YP", "YQ", "YR", "YS", "YT", "YV", "YW", "YX", "YY", "YZ",
    "ZA", "ZB", "ZC", "ZD", "ZF", "ZG", "ZH", "ZJ", "ZK", "ZL", "ZM", "ZN", "ZP", "ZQ", "ZR", "ZS", "ZT", "ZU", "ZV",
    "ZW", "ZX", "ZY", "ZZ",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::check::gs1_check_digit;
    use crate::code::gs1::ai::all;
    use proptest::prelude::*;

    const CTX: LintContext = LintContext { current_year: 2026 };

    fn v(ai: &str, value: &str) -> Result<(), Error> {
        validate_value(lookup(ai).unwrap(), value.as_bytes(), &CTX)
    }

    /// Kind, offset and length of the error.
    fn err(ai: &str, value: &str) -> (ErrorKind, usize, usize) {
        let e = v(ai, value).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    fn lerr(r: Result<(), Error>) -> (ErrorKind, usize, usize) {
        let e = r.unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    fn gs1(ais: &[(&str, &str)]) -> Gs1 {
        let mut g = Gs1::with_capacity(ais.len(), 64);
        let mut src = 0;
        for (ai, val) in ais {
            g.push_unchecked(lookup(ai).unwrap(), val, src);
            src += ai.len() + val.len();
        }
        g
    }

    // ----- the table -----

    #[test]
    fn table_has_541_sorted_ais_and_lookup_finds_each() {
        let t = all();
        assert_eq!(t.len(), 541);
        assert!(t.windows(2).all(|w| w[0].ai.as_bytes() < w[1].ai.as_bytes()));
        for d in t {
            assert!(std::ptr::eq(lookup(d.ai).unwrap(), d), "{}", d.ai);
            assert_eq!(super::super::ai::ai_len_for_prefix(d.ai.as_bytes()), Some(d.ai.len()));
        }
        assert!(lookup("04").is_none() && lookup("3106").is_none() && lookup("9").is_none());
        assert!(!super::super::ai_table::DICTIONARY_RELEASE.is_empty());
        assert!(super::super::ai_table::DICTIONARY_HASH.starts_with("fnv1a64:"));
    }

    #[test]
    fn gtin_is_predefined_with_dl_qualifiers() {
        let d = lookup("01").unwrap();
        assert!(d.predefined && d.dl_attr && d.title == "GTIN");
        assert_eq!((d.min_len, d.max_len), (14, 14));
        let q: Vec<Vec<&str>> = d.dlpkey.unwrap().iter().map(|s| s.to_vec()).collect();
        assert_eq!(q, vec![vec!["22", "10", "21"], vec!["235"]]);
        assert_eq!(d.ex, &["255", "37"]);
        assert_eq!(d.components.len(), 1);
        assert_eq!(d.components[0].linters, &[Linter::Csum, Linter::GcpPos2]);
        assert_eq!(lookup("00").unwrap().dlpkey.map(<[_]>::len), Some(0));
        assert!(lookup("10").unwrap().dlpkey.is_none());
        let r: Vec<Vec<&str>> = lookup("250").unwrap().req[0].iter().map(|a| a.to_vec()).collect();
        assert_eq!(r, vec![vec!["01", "21"], vec!["03", "21"], vec!["8006", "21"]]);
    }

    #[test]
    fn predefined_flags_match_genspecs_table() {
        // codes.md §2.4: prefix → value length.
        let table: &[(&str, u8)] = &[
            ("00", 18),
            ("01", 14),
            ("02", 14),
            ("03", 14),
            ("04", 16),
            ("11", 6),
            ("12", 6),
            ("13", 6),
            ("14", 6),
            ("15", 6),
            ("16", 6),
            ("17", 6),
            ("18", 6),
            ("19", 6),
            ("20", 2),
            ("31", 6),
            ("32", 6),
            ("33", 6),
            ("34", 6),
            ("35", 6),
            ("36", 6),
            ("41", 13),
        ];
        for d in all() {
            match table.iter().find(|(p, _)| d.ai.starts_with(p)) {
                Some(&(_, len)) => assert!(d.predefined && d.min_len == len && d.max_len == len, "{}", d.ai),
                None => assert!(!d.predefined, "{}", d.ai),
            }
        }
        assert!(lookup("3103").unwrap().predefined && lookup("414").unwrap().predefined);
        assert!(!lookup("235").unwrap().predefined && !lookup("8005").unwrap().predefined);
    }

    #[test]
    fn code_tables_are_sorted_and_complete() {
        assert!(ISO3166_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO3166_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO4217_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(PACKAGE_TYPES.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
        assert!(CSET82.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(CSET82_MASK.count_ones(), 82);
        assert_eq!(CSET39_MASK.count_ones(), 39);
        assert_eq!(CSET64_MASK.count_ones(), 64);
    }

    // ----- lengths and character sets -----

    #[test]
    fn lengths() {
        assert_eq!(err("01", ""), (ErrorKind::Length, 0, 0));
        assert_eq!(err("01", "0950600013435"), (ErrorKind::Length, 13, 0));
        assert_eq!(err("01", "095060001343520"), (ErrorKind::Length, 14, 1));
        assert!(v("10", "ABCDEFGHIJKLMNOPQRST").is_ok());
        assert_eq!(err("10", "ABCDEFGHIJKLMNOPQRSTUV"), (ErrorKind::Length, 20, 2));
        // Optional components: 253 is N13 [X..17].
        assert!(v("253", "9520123456788").is_ok());
        assert!(v("253", "9520123456788ABC-1").is_ok());
        assert_eq!(err("253", "952012345678"), (ErrorKind::Length, 12, 0));
        // 7007 is N6 [N6]: a partial second date is too short.
        assert!(v("7007", "260101").is_ok());
        assert!(v("7007", "260101260131").is_ok());
        assert_eq!(err("7007", "26010126013"), (ErrorKind::Length, 11, 0));
    }

    #[test]
    fn fast_charset_paths_agree_with_masks() {
        for b in 0..=255u8 {
            assert_eq!(all_in_class(&[b], CLASS_X), in_mask(CSET82_MASK, b), "{b}");
            assert_eq!(all_in_class(&[b], CLASS_Y), in_mask(CSET39_MASK, b), "{b}");
            // Every position of runs of every length up to 20 (bytes, half words, whole and overlapping words)
            // sees the bad byte.
            for len in 1..=20 {
                for at in 0..len {
                    let mut s = b"01234567890123456789".to_vec();
                    s.truncate(len);
                    s[at] = b;
                    assert_eq!(all_digits(&s), b.is_ascii_digit(), "{b} at {at} of {len}");
                }
            }
        }
        assert!(all_digits(b"") && all_in_class(b"", CLASS_X));
    }

    #[test]
    fn charsets() {
        assert_eq!(err("01", "0950600013435A"), (ErrorKind::Charset, 13, 1));
        assert!(v("91", "!\"%&'()*+,-./09:;<=>?AZ_az").is_ok());
        for bad in ["AB C", "AB#C", "AB$C", "AB@C", "AB^C", "AB~C", "AB\u{1d}C", "ABéC"] {
            assert_eq!(err("10", bad), (ErrorKind::Charset, 2, 1), "{bad:?}");
        }
        // Y = CSET 39 (8010 also needs 4 GCP digits first).
        assert!(v("8010", "9520#-/AZ").is_ok());
        assert_eq!(err("8010", "9520a"), (ErrorKind::Charset, 4, 1));
        // Z = base64url with the padding rule.
        for ok in ["1", "12", "123", "12=", "1==", "-_Az09"] {
            assert!(v("8030", ok).is_ok(), "{ok}");
        }
        assert_eq!(err("8030", "123="), (ErrorKind::Charset, 3, 1));
        assert_eq!(err("8030", "12=="), (ErrorKind::Charset, 2, 2));
        assert_eq!(err("8030", "1==="), (ErrorKind::Charset, 1, 3));
        assert_eq!(err("8030", "==="), (ErrorKind::Charset, 0, 3));
        assert_eq!(err("8030", "AB+C"), (ErrorKind::Charset, 2, 1));
        assert_eq!(err("8030", "A=BC"), (ErrorKind::Charset, 1, 1));
    }

    // ----- linters -----

    #[test]
    fn csum_examples() {
        // codes.md §1.2 worked examples.
        for ok in
            ["09506000134352", "00000095010939", "00614141123452", "80614141123458", "70614141123451", "10614141073464"]
        {
            assert!(v("01", ok).is_ok(), "{ok}");
        }
        assert!(v("414", "0614141123452").is_ok() && v("414", "0614141073467").is_ok());
        assert!(v("00", "106141412345678908").is_ok());
        assert!(v("8018", "061414112345678902").is_ok());
        let e = v("01", "06901234567893").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::CheckDigit, Some(13), Some(1)));
        assert_eq!(e.message(), "check digit should be 2, found 3");
        // The check digit of the 13-digit base of GRAI (8003 = N1,zero N13,csum [X..16]) sits at offset 13.
        assert!(v("8003", "09520123456788ABC").is_ok());
        assert_eq!(err("8003", "09520123456789ABC"), (ErrorKind::CheckDigit, 13, 1));
        assert_eq!(lerr(csum(b"")), (ErrorKind::Length, 0, 0));
        assert_eq!(lerr(csum(b"12A4")), (ErrorKind::Charset, 2, 1));
        assert_eq!(lerr(csum(b"123X")), (ErrorKind::Charset, 3, 1));
    }

    #[test]
    fn csumalpha_gmn() {
        // codes.md §1.4: GenSpecs GMN example.
        assert_eq!(check_pair(b"1987654Ad4X4bL5ttr2310c"), Ok(*b"2K"));
        assert!(v("8013", "1987654Ad4X4bL5ttr2310c2K").is_ok());
        let e = v("8013", "1987654Ad4X4bL5ttr2310c2L").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::CheckDigit, Some(23), Some(2)));
        assert_eq!(e.message(), "check characters should be 2K, found 2L");
        // A value of length 2 has no data: the pair is "22".
        assert!(csum_alpha(b"22").is_ok());
        assert_eq!(lerr(csum_alpha(b"23")), (ErrorKind::CheckDigit, 0, 2));
        assert_eq!(lerr(csum_alpha(b"2")), (ErrorKind::Length, 0, 1));
        assert_eq!(lerr(csum_alpha(b"1 3XY")), (ErrorKind::Charset, 1, 1));
        assert_eq!(lerr(csum_alpha(&[b'1'; 40])), (ErrorKind::Value, 0, 40));
        // 8014 MUDI: the same pair, plus a non-digit somewhere.
        assert!(v("8014", "1987654Ad4X4bL5ttr2310c2K").is_ok());
        assert!(has_non_digit(b"12A").is_ok());
        assert_eq!(lerr(has_non_digit(b"123")), (ErrorKind::Value, 0, 3));
    }

    #[test]
    fn gcppos() {
        assert!(gcp_at(b"1234", 0).is_ok() && gcp_at(b"01234A", 1).is_ok());
        assert_eq!(lerr(gcp_at(b"123", 0)), (ErrorKind::Value, 0, 3));
        assert_eq!(lerr(gcp_at(b"0123", 1)), (ErrorKind::Value, 1, 3));
        assert_eq!(lerr(gcp_at(b"12A4", 0)), (ErrorKind::Value, 2, 1));
        assert_eq!(lerr(gcp_at(b"X12A4", 1)), (ErrorKind::Value, 3, 1));
        // On X components (8004 GIAI, 401 GINC): the first 4 characters must be digits.
        assert!(v("8004", "9520ABC").is_ok());
        assert_eq!(err("8004", "95A0BC"), (ErrorKind::Value, 2, 1));
        assert_eq!(err("401", "952"), (ErrorKind::Value, 0, 3));
    }

    #[test]
    fn century_rule() {
        // codes.md §2.8 worked values.
        assert_eq!(resolve_century(26, 2026), 2026);
        assert_eq!(resolve_century(76, 2026), 2076);
        assert_eq!(resolve_century(77, 2026), 1977);
        assert_eq!(resolve_century(0, 2026), 2000);
        assert_eq!(resolve_century(25, 2075), 2125);
        assert_eq!(resolve_century(26, 2075), 2026);
        assert_eq!(resolve_century(99, 2000), 1999);
        assert_eq!(resolve_century(50, 2000), 2050);
        assert_eq!(resolve_century(51, 2000), 1951);
        assert_eq!(resolve_century(99, 0), 0);
        assert_eq!(resolve_century(0, u16::MAX), 65500);
        assert_eq!(resolve_century(226, 2026), 2026); // taken modulo 100
    }

    #[test]
    fn dates() {
        // yymmd0 (AI 17): DD = 00 is the last day of the month.
        assert!(v("17", "261231").is_ok());
        assert!(v("17", "260200").is_ok());
        assert!(v("17", "240229").is_ok());
        assert_eq!(err("17", "250229"), (ErrorKind::Date, 4, 2));
        assert_eq!(err("17", "261301"), (ErrorKind::Date, 2, 2));
        assert_eq!(err("17", "260001"), (ErrorKind::Date, 2, 2));
        assert_eq!(err("17", "260431"), (ErrorKind::Date, 4, 2));
        assert_eq!(err("17", "260132"), (ErrorKind::Date, 4, 2));
        // yymmdd (AI 7006): DD = 00 is an error.
        assert!(v("7006", "260131").is_ok());
        assert_eq!(err("7006", "260100"), (ErrorKind::Date, 4, 2));
        // Feb 29 is checked against the resolved year: 00 is 2000 (leap) in 2026 but 2100 (not leap) in 2075.
        assert!(v("17", "000229").is_ok());
        let late = LintContext { current_year: 2075 };
        assert_eq!(lerr(validate_value(lookup("17").unwrap(), b"000229", &late)), (ErrorKind::Date, 4, 2));
        // yyyymmdd (7250) and yyyymmd0.
        assert!(v("7250", "20240229").is_ok());
        assert_eq!(err("7250", "19000229"), (ErrorKind::Date, 6, 2));
        assert_eq!(err("7250", "20241301"), (ErrorKind::Date, 4, 2));
        assert!(yyyymmdd(b"20250200", true).is_ok());
        assert_eq!(lerr(yyyymmdd(b"20250200", false)), (ErrorKind::Date, 6, 2));
        // Offsets inside a second component: 7251 = N8,yyyymmdd N4,hhmi.
        assert!(v("7251", "202602282359").is_ok());
        assert_eq!(err("7251", "202602282460"), (ErrorKind::Date, 8, 2));
        assert_eq!(err("7251", "202602282360"), (ErrorKind::Date, 10, 2));
        // Wrong lengths and non-digits when called directly.
        assert_eq!(lerr(yymmdd(b"2601", CTX, false)), (ErrorKind::Length, 0, 4));
        assert_eq!(lerr(yymmdd(b"26a101", CTX, false)), (ErrorKind::Charset, 2, 1));
        assert!(yymmddhh(b"26013123", CTX).is_ok());
        assert_eq!(lerr(yymmddhh(b"26013124", CTX)), (ErrorKind::Date, 6, 2));
        assert_eq!(lerr(yymmddhh(b"26023023", CTX)), (ErrorKind::Date, 4, 2));
    }

    #[test]
    fn times() {
        // 8008 = N6,yymmdd N2,hh [N2],mi [N2],ss.
        assert!(v("8008", "26013123").is_ok());
        assert!(v("8008", "2601312359").is_ok());
        assert!(v("8008", "260131235959").is_ok());
        assert_eq!(err("8008", "26013124"), (ErrorKind::Date, 6, 2));
        assert_eq!(err("8008", "2601312360"), (ErrorKind::Date, 8, 2));
        assert_eq!(err("8008", "260131235960"), (ErrorKind::Date, 10, 2));
        assert_eq!(err("8008", "260131235"), (ErrorKind::Length, 9, 0));
        // 7003 = N6,yymmdd N4,hhmi.
        assert!(v("7003", "2612310000").is_ok());
        assert_eq!(err("7003", "2612312400"), (ErrorKind::Date, 6, 2));
        assert_eq!(err("7003", "2612312299"), (ErrorKind::Date, 8, 2));
    }

    #[test]
    fn countries_and_currencies() {
        assert!(v("422", "156").is_ok() && v("422", "840").is_ok() && v("422", "004").is_ok());
        assert_eq!(err("422", "999"), (ErrorKind::Value, 0, 3));
        assert_eq!(err("422", "000"), (ErrorKind::Value, 0, 3));
        // 423: up to five countries; the error points at the bad one.
        assert!(v("423", "156840276").is_ok());
        assert_eq!(err("423", "156841"), (ErrorKind::Value, 3, 3));
        // iso3166999 (7030): a country or 999.
        assert!(v("7030", "999ABC").is_ok() && v("7030", "276DE-BY-123").is_ok());
        assert_eq!(err("7030", "998ABC"), (ErrorKind::Value, 0, 3));
        // iso3166alpha2 (4307).
        assert!(v("4307", "CN").is_ok() && v("4307", "GB").is_ok());
        assert_eq!(err("4307", "UK"), (ErrorKind::Value, 0, 2));
        assert_eq!(err("4307", "cn"), (ErrorKind::Value, 0, 2));
        // iso4217 (3910 = N3,iso4217 N..15).
        assert!(v("3912", "978123456").is_ok() && v("3912", "1561").is_ok());
        assert!(v("3912", "9991").is_ok()); // 999: "no currency" is a valid ISO 4217 code
        assert_eq!(err("3912", "0001"), (ErrorKind::Value, 0, 3));
        assert!(iso4217(b"999").is_ok());
        // iso5218 (7252).
        for ok in ["0", "1", "2", "9"] {
            assert!(v("7252", ok).is_ok());
        }
        assert_eq!(err("7252", "3"), (ErrorKind::Value, 0, 1));
    }

    #[test]
    fn small_value_linters() {
        // zero (8003 first digit), nonzero / winding (8001), yesno (4321), hyphen (4330), nozeroprefix (8011).
        assert_eq!(err("8003", "19520123456788"), (ErrorKind::Value, 0, 1));
        assert!(v("8001", "12340123401201").is_ok());
        assert_eq!(err("8001", "00000123401201"), (ErrorKind::Value, 0, 4));
        assert_eq!(err("8001", "12340000001201"), (ErrorKind::Value, 4, 5));
        assert_eq!(err("8001", "12340123400001"), (ErrorKind::Value, 9, 3));
        assert!(v("8001", "12340123401291").is_ok());
        assert_eq!(err("8001", "12340123401221"), (ErrorKind::Value, 12, 1));
        assert!(v("4321", "0").is_ok() && v("4321", "1").is_ok());
        assert_eq!(err("4321", "2"), (ErrorKind::Value, 0, 1));
        assert!(v("4330", "001234").is_ok() && v("4330", "001234-").is_ok());
        assert_eq!(err("4330", "001234+"), (ErrorKind::Value, 6, 1));
        assert!(v("8011", "0").is_ok() && v("8011", "10").is_ok());
        assert_eq!(err("8011", "01"), (ErrorKind::Value, 0, 1));
        // importeridx (7040 = N1 X1 X1 X1,importeridx).
        assert!(v("7040", "1ABz").is_ok() && v("7040", "1AB-").is_ok() && v("7040", "1AB_").is_ok());
        assert_eq!(err("7040", "1AB."), (ErrorKind::Value, 3, 1));
        // mediatype (7241).
        for ok in ["01", "10", "80", "99"] {
            assert!(v("7241", ok).is_ok(), "{ok}");
        }
        for bad in ["00", "11", "79"] {
            assert_eq!(err("7241", bad), (ErrorKind::Value, 0, 2), "{bad}");
        }
        // packagetype (7041).
        for ok in ["1A", "200", "8", "CT", "PX", "X11", "ZZ"] {
            assert!(v("7041", ok).is_ok(), "{ok}");
        }
        for bad in ["0", "1C", "XYZ", "ct"] {
            assert_eq!(err("7041", bad).0, ErrorKind::Value, "{bad}");
        }
    }

    #[test]
    fn piece_of_total_8006() {
        assert!(v("8006", "095060001343520102").is_ok());
        assert!(v("8006", "095060001343520202").is_ok());
        assert_eq!(err("8006", "095060001343520002"), (ErrorKind::Value, 14, 2));
        assert_eq!(err("8006", "095060001343520100"), (ErrorKind::Value, 16, 2));
        assert_eq!(err("8006", "095060001343520302"), (ErrorKind::Value, 14, 4));
        assert_eq!(lerr(piece_of_total(b"123")), (ErrorKind::Value, 0, 3));
    }

    #[test]
    fn pcenc_and_sequences() {
        assert!(v("4300", "ACME%20Corp").is_ok() && v("4300", "100%25").is_ok() && v("4300", "%2a").is_ok());
        assert_eq!(err("4300", "100%"), (ErrorKind::Value, 3, 1));
        assert_eq!(err("4300", "A%2G"), (ErrorKind::Value, 1, 3));
        assert_eq!(err("4300", "A%25%"), (ErrorKind::Value, 4, 1));
        // posinseqslash (7258 = X3).
        for ok in ["1/1", "1/3", "3/3", "9/9"] {
            assert!(v("7258", ok).is_ok(), "{ok}");
        }
        assert_eq!(err("7258", "4/3"), (ErrorKind::Value, 0, 3));
        assert_eq!(err("7258", "0/3"), (ErrorKind::Value, 0, 1));
        assert_eq!(err("7258", "1/0"), (ErrorKind::Value, 2, 1));
        assert_eq!(err("7258", "1//"), (ErrorKind::Value, 0, 3));
        assert_eq!(err("7258", "123"), (ErrorKind::Value, 0, 3));
        assert!(pos_in_seq_slash(b"9/10").is_ok() && pos_in_seq_slash(b"100/100").is_ok());
        assert_eq!(lerr(pos_in_seq_slash(b"101/100")), (ErrorKind::Value, 0, 7));
        assert_eq!(lerr(pos_in_seq_slash(b"1/02")), (ErrorKind::Value, 2, 2));
    }

    #[test]
    fn coordinates() {
        assert!(v("4309", "18000000000000000000").is_ok());
        assert!(v("4309", "02790858483015297971").is_ok());
        assert!(v("4309", "00000000003600000000").is_ok());
        assert_eq!(err("4309", "18000000010000000000"), (ErrorKind::Value, 0, 10));
        assert_eq!(err("4309", "00000000003600000001"), (ErrorKind::Value, 10, 10));
    }

    #[test]
    fn ibans() {
        // Examples from the IBAN registry / the reference linter's tests.
        for ok in [
            "FR7630006000011234567890189",
            "DE91100000000123456789",
            "GB98MIDL07009312345678",
            "BE71096123456769",
            "CH5604835012345678009",
            "MU43BOMM0101123456789101000MUR",
            "LC14BOSL123456789012345678901234",
        ] {
            assert!(v("8007", ok).is_ok(), "{ok}");
        }
        assert_eq!(err("8007", "BE71096123456760"), (ErrorKind::CheckDigit, 2, 2));
        assert_eq!(err("8007", "BE71"), (ErrorKind::Value, 0, 4));
        assert_eq!(err("8007", "XX361234567890"), (ErrorKind::Value, 0, 2));
        assert_eq!(err("8007", "LC14BOSLxx3456789012345678901230"), (ErrorKind::Charset, 8, 1));
    }

    #[test]
    fn coupons() {
        // AI 8110 (examples from the reference linter's tests, rebuilt field by field).
        assert!(v("8110", "012345612345611110123").is_ok());
        assert_eq!(err("8110", "a12345612345611110123"), (ErrorKind::Charset, 0, 1));
        assert_eq!(err("8110", "71234567890123"), (ErrorKind::Value, 0, 1));
        assert_eq!(err("8110", "01234561"), (ErrorKind::Value, 7, 1));
        assert_eq!(err("8110", "0123456123456"), (ErrorKind::Value, 13, 0));
        assert_eq!(err("8110", "01234561234560"), (ErrorKind::Value, 13, 1));
        assert_eq!(err("8110", "012345612345611115123"), (ErrorKind::Value, 17, 1));
        // Optional field 3 (expiry) and 4 (start): the start may not be after the expiry.
        assert!(v("8110", "0123456123456111101233261231").is_ok());
        assert_eq!(err("8110", "0123456123456111101233261301"), (ErrorKind::Value, 22, 6));
        assert!(v("8110", "01234561234561111012332612314260101").is_ok());
        assert_eq!(err("8110", "01234561234561111012332601014261231"), (ErrorKind::Value, 22, 13));
        // Optional field 1 with a "9" (no) second GCP, field 5 (serial) and field 9.
        let base = "012345612345611110123";
        assert!(v("8110", &format!("{base}111012349{}90000", "50123456")).is_ok());
        assert_eq!(err("8110", &format!("{base}141012349")), (ErrorKind::Value, 22, 1));
        assert_eq!(err("8110", &format!("{base}111012347")), (ErrorKind::Value, 29, 1));
        assert!(v("8110", "012345612345611110123501234569").is_err());
        assert!(v("8110", "0123456123456111101235012345690001").is_ok());
        assert_eq!(err("8110", "0123456123456111101235012345690003"), (ErrorKind::Value, 33, 1));
        assert_eq!(err("8110", "0123456123456111101237"), (ErrorKind::Value, 21, 1));
        // AI 8112.
        assert!(v("8112", "001234561234560123456").is_ok());
        assert!(v("8112", "061234567890121234569123456789012345").is_ok());
        assert_eq!(err("8112", "201234561234560123456"), (ErrorKind::Value, 0, 1));
        assert_eq!(err("8112", "07"), (ErrorKind::Value, 1, 1));
        assert_eq!(err("8112", "0012345612345601234567"), (ErrorKind::Value, 21, 1));
        assert_eq!(err("8112", "001234561234561123456"), (ErrorKind::Value, 15, 6));
    }

    // ----- pairing rules -----

    #[test]
    fn pairings() {
        let e = check_pairings(&gs1(&[("10", "ABC"), ("21", "XYZ789")])).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Pairing, Some(0), Some(2)));
        assert_eq!(
            e.message(),
            "AI (10) BATCH/LOT needs (01) GTIN, (02) CONTENT, (03) MTO GTIN, (8006) ITIP or (8026) ITIP CONTENT in the same scan"
        );
        let e = check_pairings(&gs1(&[("21", "XYZ789")])).unwrap_err();
        assert_eq!(e.message(), "AI (21) SERIAL needs (01) GTIN, (03) MTO GTIN or (8006) ITIP in the same scan");
        assert!(check_pairings(&gs1(&[("01", "09506000134352"), ("21", "XYZ789")])).is_ok());
        assert!(check_pairings(&gs1(&[("21", "XYZ789"), ("01", "09506000134352")])).is_ok());
        // 3103 alone with 01 is fine; 3102 beside it conflicts (the later element is flagged).
        assert!(check_pairings(&gs1(&[("01", "09506000134352"), ("3103", "000195")])).is_ok());
        let g = gs1(&[("01", "09506000134352"), ("3103", "000195"), ("3102", "001950")]);
        let e = check_pairings(&g).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Pairing, Some(26), Some(4)));
        assert_eq!(e.message(), "AI (3102) NET WEIGHT (kg) cannot appear together with AI (3103) NET WEIGHT (kg)");
        // An AI is never exclusive of itself, even repeated.
        assert!(check_pairings(&gs1(&[("01", "09506000134352"), ("3103", "000195"), ("3103", "000195")])).is_ok());
        // Different-kind measures don't conflict.
        assert!(check_pairings(&gs1(&[("01", "09506000134352"), ("3103", "000195"), ("3113", "000100")])).is_ok());
        // 02 needs 37; 37 needs 00 + 02.
        let e = check_pairings(&gs1(&[("00", "106141412345678908"), ("02", "09506000134352")])).unwrap_err();
        assert_eq!((e.offset(), e.len()), (Some(20), Some(2)));
        assert_eq!(e.message(), "AI (02) CONTENT needs (37) COUNT in the same scan");
        assert!(check_pairings(&gs1(&[("00", "106141412345678908"), ("02", "09506000134352"), ("37", "10")])).is_ok());
        let e = check_pairings(&gs1(&[("02", "09506000134352"), ("37", "10")])).unwrap_err();
        assert_eq!(
            e.message(),
            "AI (37) COUNT needs (00) SSCC + (02) CONTENT or (00) SSCC + (8026) ITIP CONTENT in the same scan"
        );
        // 01 excludes 255; 3920 needs 01 + a 31nn-style measure pattern.
        let e = check_pairings(&gs1(&[("01", "09506000134352"), ("255", "9520123456788")])).unwrap_err();
        assert_eq!((e.offset(), e.len()), (Some(16), Some(3)));
        let e = check_pairings(&gs1(&[("01", "09506000134352"), ("3920", "100")])).unwrap_err();
        assert!(e.message().contains("(01) GTIN + (31nn)"), "{}", e.message());
        assert!(check_pairings(&gs1(&[("01", "09506000134352"), ("3103", "000195"), ("3920", "100")])).is_ok());
        assert!(check_pairings(&Gs1::default()).is_ok());
    }

    #[test]
    fn datamatrix_scan_elements_validate() {
        for (ai, val) in
            [("01", "09506000134352"), ("17", "261231"), ("3103", "000195"), ("10", "ABC123"), ("21", "XYZ789")]
        {
            assert!(v(ai, val).is_ok(), "{ai}");
        }
        let g = gs1(&[("01", "09506000134352"), ("17", "261231"), ("10", "ABC123"), ("21", "XYZ789")]);
        assert!(check_pairings(&g).is_ok());
    }

    /// The pairing rules applied literally (pattern matching only): what the precompiled check must agree with.
    fn pairings_reference(g: &Gs1) -> Result<(), (usize, usize)> {
        let defs: Vec<&AiDef> = g.iter().map(|e| e.def).collect();
        let present = |pat: &str| defs.iter().any(|d| pattern_matches(pat, d.ai));
        for (i, e) in defs.iter().enumerate() {
            if !e.req.iter().all(|rule| rule.iter().any(|alt| alt.iter().all(|p| present(p)))) {
                return Err((g.source_offset(i), e.ai.len()));
            }
            for pat in e.ex {
                if let Some((j, o)) = defs.iter().enumerate().find(|(_, o)| o.ai != e.ai && pattern_matches(pat, o.ai))
                {
                    let (k, second) = if j > i { (j, o) } else { (i, e) };
                    return Err((g.source_offset(k), second.ai.len()));
                }
            }
        }
        Ok(())
    }

    /// AIs that take part in many rules, so that random lists often pass and often fail.
    const PAIRING_AIS: &[&str] = &[
        "00", "01", "02", "03", "10", "11", "17", "21", "22", "235", "250", "253", "255", "30", "3100", "3101", "3103",
        "3200", "37", "392n", "393n", "414", "415", "8006", "8020", "8026", "7259", "4330", "4331", "8111",
    ];

    proptest! {
        #[test]
        fn precompiled_pairings_agree_with_the_rules(
            picks in proptest::collection::vec((0usize..PAIRING_AIS.len(), 0usize..541, any::<bool>()), 0..7),
        ) {
            let mut g = Gs1::with_capacity(picks.len(), 64);
            for (n, &(i, j, common)) in picks.iter().enumerate() {
                let def = if common {
                    let pat = PAIRING_AIS[i];
                    all().iter().find(|d| pattern_matches(pat, d.ai)).unwrap()
                } else {
                    &all()[j]
                };
                g.push_unchecked(def, "1", n * 10);
            }
            let got = check_pairings(&g).map_err(|e| {
                assert_eq!(e.kind(), ErrorKind::Pairing);
                (e.offset().unwrap(), e.len().unwrap())
            });
            prop_assert_eq!(got, pairings_reference(&g));
        }

        #[test]
        fn fast_mod10_agrees_with_the_toolkit(body in "[0-9]{0,20}", noise in proptest::collection::vec(any::<u8>(), 0..20)) {
            prop_assert_eq!(mod10_digit(body.as_bytes()), gs1_check_digit(body.as_bytes()));
            prop_assert_eq!(mod10_digit(&noise), gs1_check_digit(&noise));
        }

        #[test]
        fn fast_dates_agree_with_the_full_check(s in "[0-9]{6}", day0 in any::<bool>(), year in 1900u16..2200) {
            let ctx = LintContext { current_year: year };
            let slow = exact_len(s.as_bytes(), 6, "d").and_then(|()| {
                month_day(s.as_bytes(), 2, resolve_century(two(s.as_bytes(), 0).unwrap(), year), day0)
            });
            prop_assert_eq!(yymmdd(s.as_bytes(), ctx, day0).is_ok(), slow.is_ok());
        }

        #[test]
        fn validate_never_panics_on_bytes(idx in 0usize..541, bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let def = &all()[idx % all().len()];
            let r = validate_value(def, &bytes, &CTX);
            if let Err(e) = r {
                prop_assert!(e.offset().unwrap() + e.len().unwrap() <= bytes.len());
            }
        }

        #[test]
        fn validate_never_panics_on_digits(idx in 0usize..541, s in "[0-9]{0,95}", year in any::<u16>()) {
            let def = &all()[idx % all().len()];
            let ctx = LintContext { current_year: year };
            if let Err(e) = validate_value(def, s.as_bytes(), &ctx) {
                prop_assert!(e.offset().unwrap() <= s.len());
                prop_assert!(!e.message().is_empty());
            }
        }

        #[test]
        fn validate_never_panics_on_cset82(idx in 0usize..541, s in "[!-/0-9:-?A-Z_a-z%=]{0,95}") {
            let def = &all()[idx % all().len()];
            let _ = validate_value(def, s.as_bytes(), &CTX);
        }

        #[test]
        fn every_linter_is_total(s in proptest::collection::vec(any::<u8>(), 0..40), year in any::<u16>()) {
            let ctx = LintContext { current_year: year };
            let linters = all().iter().flat_map(|d| d.components).flat_map(|c| c.linters);
            for &l in linters.chain([Linter::Yymmddhh, Linter::Yyyymmd0].iter()) {
                if let Err(e) = lint(l, &s, ctx) {
                    prop_assert!(e.offset().unwrap() <= s.len());
                }
            }
        }

        #[test]
        fn valid_gtins_pass_and_one_digit_changes_fail(body in "[0-9]{13}", pos in 0usize..14, delta in 1u8..10) {
            let cd = gs1_check_digit(body.as_bytes()).unwrap();
            let mut g = body.clone().into_bytes();
            g.push(cd);
            let def = lookup("01").unwrap();
            prop_assert!(validate_value(def, &g, &CTX).is_ok());
            g[pos] = b'0' + (g[pos] - b'0' + delta) % 10;
            let e = validate_value(def, &g, &CTX).unwrap_err();
            prop_assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::CheckDigit, Some(13), Some(1)));
        }

        #[test]
        fn century_window(yy in 0u8..100, year in 100u16..60000) {
            let y = resolve_century(yy, year);
            prop_assert_eq!(y % 100, u16::from(yy));
            prop_assert!(y + 49 >= year && y <= year + 50);
        }
    }
}
