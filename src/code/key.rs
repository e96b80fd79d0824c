//! [`TraceKey`]: the canonical identity of a code, with an order-preserving binary form.
//!
//! # Why a key separate from the code
//! A [`Code`] is what was read; a [`TraceKey`] is what it identifies. A GS1-128 scan, a DataMatrix, a Digital
//! Link QR code and an RFID EPC of one item are four codes and one key. The key is what the store indexes.
//!
//! # Identity rules
//! - GS1: the primary key is the first element whose AI is an identification key (the Digital Link
//!   "first-seen key" rule). For a GTIN, a serial (21) or third-party serial (235) makes an **instance** key; the
//!   lot (10) and CPV (22) are *not* part of an instance's identity (GTIN + serial is unique on its own, and an
//!   RFID SGTIN carries no lot), so a DataMatrix with lot and an EPC without one give the same key. Without a
//!   serial, GTIN + CPV + lot, GTIN + lot, GTIN + CPV or the GTIN alone is a **class** key.
//! - Data attributes (dates, measures, prices) never enter a key.
//! - National codes: the normalised text of the whole code is the identity, under a scheme tag.
//!
//! # Binary layout (format version 1, byte by byte)
//! Byte 0 is a namespace tag; the rest is a payload that sorts like the identity. Digit strings of fixed length
//! are packed as BCD (two digits per byte, high nibble first, a final odd digit padded with nibble `0`), which
//! preserves numeric order at half the size. Variable text (CSET 82/39 values, national codes) is written as its
//! bytes followed by `0x00`; no valid text contains `0x00`, so the terminator sorts before every character and a
//! shorter value sorts before its extensions, exactly like string comparison. Qualifiers follow as
//! `marker byte ‖ value ‖ 0x00`. No length prefixes anywhere (they would break lexical order).
//!
//! | Tag | Identity | Payload after the tag | Kind |
//! |---|---|---|---|
//! | `0x01` | GTIN (01) | 7 B BCD GTIN-14, then one of: nothing (class); `0x16` CPV `00` [`0x0A` lot `00`]; `0x0A` lot `00` (class); `0x15` serial `00` or `0x35` TPX `00` (instance) | class / instance |
//! | `0x02` | ITIP (8006) | 9 B BCD (18 digits) [`0x15` serial `00`] | class / instance |
//! | `0x03` | SSCC (00) | 9 B BCD (18 digits) | instance |
//! | `0x04` | GRAI (8003) | 7 B BCD of the 13-digit asset type (leading `0` of the AI value dropped) [`0x15` serial `00`] | class / instance |
//! | `0x05` | GIAI (8004) | text `00` | instance |
//! | `0x06` / `0x07` | GSRN provider (8017) / recipient (8018) | 9 B BCD | instance |
//! | `0x08` | GDTI (253) | 7 B BCD (13 digits) [`0x15` serial `00`] | class / instance |
//! | `0x09` | GCN (255) | 7 B BCD (13 digits) [`0x15` serial `00`] | class / instance |
//! | `0x0A` | CPID (8010) | text `00` [`0x15` 8011 serial `00`] | class / instance |
//! | `0x0B` | GINC (401) | text `00` | instance |
//! | `0x0C` | GSIN (402) | 9 B BCD (17 digits) | instance |
//! | `0x0D` | GMN (8013) | text `00` | class |
//! | `0x10` | location GLN (414) | 7 B BCD (13 digits) [`0x54` extension (254) `00` or `0x70` 7040 `00`] | location |
//! | `0x11` | party GLN (417) | 7 B BCD [`0x70` 7040 `00`] | party |
//! | `0x12` | pay-to GLN (415) | 7 B BCD [`0x20` 8020 `00`] | party |
//! | `0x20` | EPC GID-96 | manager 4 B BE, class 4 B BE, serial 8 B BE | instance |
//! | `0x30` | China 20-digit drug code | 10 B BCD | instance |
//! | `0x31` | MA code | text `00` | class (DI only) / instance |
//! | `0x32` | Handle / IDIS | lower-cased prefix `00` suffix `00` | instance |
//! | `0x33` | Ecode | text `00` | instance |
//! | `0x34` | special-equipment code (18) | text `00` | instance |
//! | `0x35` | equipment registration code (20 characters; pipe codes may end in a letter sequence) | text `00` | instance |
//! | `0x36` | gas-cylinder registration code | text `00` | instance |
//! | `0x37` | GA 441 detonator shell code | text `00` | instance |
//! | `0x38` | veterinary-drug trace code (24 digits) | 12 B BCD | instance |
//! | `0x39` | pesticide unit code (32 digits) | 16 B BCD | instance |
//! | `0x3A` | unified social credit code | text `00` | party |
//!
//! Consequences: the GTIN class key is a byte prefix of every key of that GTIN; all instances of a GTIN are the
//! range under `GTIN key ‖ 0x15`; all lots under `GTIN key ‖ 0x0A`. Because a lot is not part of an instance's
//! identity, "all instances of a lot" is served by a membership index whose keys are
//! [`TraceKey::lot_member_key`]`(lot, instance)` = `lot key ‖ serial ‖ 0x00`, one range under the lot key.
//!
//! # Canonical text
//! GS1 keys print in Digital Link path form, `01/09506000134352/21/XYZ789` (values percent-encoded as in a
//! Digital Link); GID as its EPC URI; national codes as `{scheme}:{text}` (`cn-drug20:8…`, `ma:MA.156.…`,
//! `idis:88.1000.2/abc`). [`TraceKey`] implements `FromStr` for this text, and [`TraceKey::from_bytes`] for the
//! binary form; both are inverse to printing.
//!
//! # Example
//! ```
//! use tracecode::code::{parse, KeyKind, TraceKey};
//!
//! // A DataMatrix with a lot and the RFID tag of the same item: the lot is not part of the identity.
//! let printed = parse("(01)80614141123458(10)L42(21)6789")?.trace_key()?;
//! let tag = parse("urn:epc:tag:sgtin-96:3.0614141.812345.6789")?.trace_key()?;
//! assert_eq!(printed, tag);
//! assert_eq!((printed.kind(), printed.to_string()), (KeyKind::Instance, "01/80614141123458/21/6789".to_owned()));
//!
//! // Every instance key of a GTIN sorts under the GTIN's class key: one range scan finds them all.
//! let class = parse("80614141123458")?.trace_key()?;
//! assert_eq!(class.kind(), KeyKind::Class);
//! assert!(printed.as_bytes().starts_with(&class.instances_prefix().unwrap()));
//! assert_eq!(TraceKey::from_bytes(printed.as_bytes())?, printed);
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::fmt::{self, Write as _};
use std::str::FromStr;

use smallvec::SmallVec;

use super::gs1::{Gs1, epc_uri::Gid};
use super::{Code, CodeData, NationalCode, Scheme};
use crate::{Error, ErrorKind};

/// The kind of thing a key identifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// One physical thing (a serialised item, a logistic unit, an asset, a cylinder, ...).
    Instance,
    /// A product or a product lot / batch.
    Class,
    /// A location (GLN with optional extension).
    Location,
    /// A party (GLN of a party, unified social credit code).
    Party,
}

impl KeyKind {
    /// Stable name for the CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Instance => "instance",
            Self::Class => "class",
            Self::Location => "location",
            Self::Party => "party",
        }
    }
}

/// Namespace tags of the binary layout (see the module docs).
mod tag {
    pub const GTIN: u8 = 0x01;
    pub const ITIP: u8 = 0x02;
    pub const SSCC: u8 = 0x03;
    pub const GRAI: u8 = 0x04;
    pub const GIAI: u8 = 0x05;
    pub const GSRNP: u8 = 0x06;
    pub const GSRN: u8 = 0x07;
    pub const GDTI: u8 = 0x08;
    pub const GCN: u8 = 0x09;
    pub const CPID: u8 = 0x0A;
    pub const GINC: u8 = 0x0B;
    pub const GSIN: u8 = 0x0C;
    pub const GMN: u8 = 0x0D;
    pub const GLN_LOC: u8 = 0x10;
    pub const GLN_PARTY: u8 = 0x11;
    pub const GLN_PAYTO: u8 = 0x12;
    pub const GID: u8 = 0x20;
    pub const CN_DRUG20: u8 = 0x30;
    pub const MA: u8 = 0x31;
    pub const HANDLE: u8 = 0x32;
    pub const ECODE: u8 = 0x33;
    pub const EQUIPMENT: u8 = 0x34;
    pub const EQUIPMENT_REG: u8 = 0x35;
    pub const GAS_CYLINDER: u8 = 0x36;
    pub const DETONATOR: u8 = 0x37;
    pub const VET_DRUG: u8 = 0x38;
    pub const PESTICIDE: u8 = 0x39;
    pub const USCC: u8 = 0x3A;
}

/// Qualifier markers inside GS1 keys.
mod mark {
    pub const LOT: u8 = 0x0A;
    pub const SERIAL: u8 = 0x15;
    pub const CPV: u8 = 0x16;
    pub const PAYTO_REF: u8 = 0x20;
    pub const TPX: u8 = 0x35;
    pub const GLN_EXT: u8 = 0x54;
    pub const AI7040: u8 = 0x70;
}

/// How the payload of a GS1 key tag is laid out: the AI, its numeric length (BCD) or text, and which qualifier
/// markers may follow (marker, AI).
struct Gs1Layout {
    tag: u8,
    ai: &'static str,
    /// Digits packed as BCD; 0 = text terminated by 0x00.
    digits: u8,
    /// Digits of the AI value to skip before packing (GRAI's leading '0').
    skip: u8,
    quals: &'static [(u8, &'static str)],
    /// Kind with no qualifier / with an instance qualifier.
    base_kind: KeyKind,
}

const GS1_LAYOUTS: &[Gs1Layout] = &[
    Gs1Layout {
        tag: tag::GTIN,
        ai: "01",
        digits: 14,
        skip: 0,
        quals: &[(mark::CPV, "22"), (mark::LOT, "10"), (mark::SERIAL, "21"), (mark::TPX, "235")],
        base_kind: KeyKind::Class,
    },
    Gs1Layout {
        tag: tag::ITIP,
        ai: "8006",
        digits: 18,
        skip: 0,
        quals: &[(mark::SERIAL, "21")],
        base_kind: KeyKind::Class,
    },
    Gs1Layout { tag: tag::SSCC, ai: "00", digits: 18, skip: 0, quals: &[], base_kind: KeyKind::Instance },
    Gs1Layout { tag: tag::GRAI, ai: "8003", digits: 13, skip: 1, quals: &[], base_kind: KeyKind::Class },
    Gs1Layout { tag: tag::GIAI, ai: "8004", digits: 0, skip: 0, quals: &[], base_kind: KeyKind::Instance },
    Gs1Layout { tag: tag::GSRNP, ai: "8017", digits: 18, skip: 0, quals: &[], base_kind: KeyKind::Instance },
    Gs1Layout { tag: tag::GSRN, ai: "8018", digits: 18, skip: 0, quals: &[], base_kind: KeyKind::Instance },
    Gs1Layout { tag: tag::GDTI, ai: "253", digits: 13, skip: 0, quals: &[], base_kind: KeyKind::Class },
    Gs1Layout { tag: tag::GCN, ai: "255", digits: 13, skip: 0, quals: &[], base_kind: KeyKind::Class },
    Gs1Layout {
        tag: tag::CPID,
        ai: "8010",
        digits: 0,
        skip: 0,
        quals: &[(mark::SERIAL, "8011")],
        base_kind: KeyKind::Class,
    },
    Gs1Layout { tag: tag::GINC, ai: "401", digits: 0, skip: 0, quals: &[], base_kind: KeyKind::Instance },
    Gs1Layout { tag: tag::GSIN, ai: "402", digits: 17, skip: 0, quals: &[], base_kind: KeyKind::Instance },
    Gs1Layout { tag: tag::GMN, ai: "8013", digits: 0, skip: 0, quals: &[], base_kind: KeyKind::Class },
    Gs1Layout {
        tag: tag::GLN_LOC,
        ai: "414",
        digits: 13,
        skip: 0,
        quals: &[(mark::GLN_EXT, "254"), (mark::AI7040, "7040")],
        base_kind: KeyKind::Location,
    },
    Gs1Layout {
        tag: tag::GLN_PARTY,
        ai: "417",
        digits: 13,
        skip: 0,
        quals: &[(mark::AI7040, "7040")],
        base_kind: KeyKind::Party,
    },
    Gs1Layout {
        tag: tag::GLN_PAYTO,
        ai: "415",
        digits: 13,
        skip: 0,
        quals: &[(mark::PAYTO_REF, "8020")],
        base_kind: KeyKind::Party,
    },
];

/// National schemes with a key layout: scheme (its name is the key text's prefix), tag, BCD digit count (0 =
/// text). The one list of national key schemes: detection (`cn::is_key_text`) reads it too.
pub(crate) const NATIONAL_LAYOUTS: &[(Scheme, u8, u8)] = &[
    (Scheme::CnDrug20, tag::CN_DRUG20, 20),
    (Scheme::Ma, tag::MA, 0),
    (Scheme::Handle, tag::HANDLE, 0),
    (Scheme::Ecode, tag::ECODE, 0),
    (Scheme::EquipmentCode, tag::EQUIPMENT, 0),
    (Scheme::EquipmentRegistration, tag::EQUIPMENT_REG, 0),
    (Scheme::GasCylinder, tag::GAS_CYLINDER, 0),
    (Scheme::Detonator, tag::DETONATOR, 0),
    (Scheme::VetDrug, tag::VET_DRUG, 24),
    (Scheme::Pesticide, tag::PESTICIDE, 32),
    (Scheme::CreditCode, tag::USCC, 0),
];

/// The canonical identity of a code: an order-preserving binary key with one canonical text form.
///
/// Equality, ordering and hashing are those of the binary key. See the [module docs](self) for the layout.
///
/// ```
/// use tracecode::code::{parse, KeyKind, TraceKey};
/// let key = parse("(01)09506000134352(10)ABC123(21)XYZ789")?.trace_key()?;
/// assert_eq!(key.kind(), KeyKind::Instance);
/// assert_eq!(key.to_string(), "01/09506000134352/21/XYZ789");
/// assert_eq!(TraceKey::from_bytes(key.as_bytes())?, key);
/// assert_eq!("01/09506000134352/21/XYZ789".parse::<TraceKey>()?, key);
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceKey {
    bytes: Bytes,
}

/// Key bytes: inline up to [`INLINE`] bytes (compared, ordered and hashed as the byte slice).
type Bytes = SmallVec<[u8; INLINE]>;

/// Key bytes held without allocating: a GTIN with a 20-character serial or lot takes 30.
const INLINE: usize = 32;

/// A key being written: into a stack buffer while it fits (every GS1 and national key of a scan), then moved
/// into its [`Bytes`] with one copy; a longer key continues in a `Vec`. Appending to the `SmallVec` directly costs
/// a capacity check and two `memmove` calls per append, more than the BCD packing itself.
#[derive(Clone)]
struct Writer {
    stack: [u8; WRITER_STACK],
    len: usize,
    heap: Option<Vec<u8>>,
}

/// Bytes a [`Writer`] holds on the stack.
const WRITER_STACK: usize = 64;

impl Writer {
    const fn new() -> Self {
        Self { stack: [0; WRITER_STACK], len: 0, heap: None }
    }

    /// Appends `b`.
    #[inline]
    fn put(&mut self, b: &[u8]) {
        if self.heap.is_none()
            && let Some(dst) = self.stack.get_mut(self.len..self.len + b.len())
        {
            dst.copy_from_slice(b);
            self.len += b.len();
        } else {
            self.spill().extend_from_slice(b);
        }
    }

    /// Appends one byte.
    #[inline]
    fn put1(&mut self, b: u8) {
        if self.heap.is_none()
            && let Some(dst) = self.stack.get_mut(self.len)
        {
            *dst = b;
            self.len += 1;
        } else {
            self.spill().push(b);
        }
    }

    /// The heap buffer, created from the stack's bytes on first use.
    #[cold]
    fn spill(&mut self) -> &mut Vec<u8> {
        let (stack, len) = (&self.stack, self.len);
        self.heap.get_or_insert_with(|| stack.get(..len).unwrap_or_default().to_vec())
    }

    /// The bytes written.
    fn finish(self) -> Bytes {
        match self.heap {
            Some(v) => Bytes::from_vec(v),
            None => Bytes::from_slice(self.stack.get(..self.len).unwrap_or_default()),
        }
    }
}

impl fmt::Debug for TraceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceKey({self})")
    }
}

fn err(kind: ErrorKind, offset: usize, len: usize, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(kind, offset, len, msg)
}

/// Appends `digits` (ASCII) as BCD. Caller guarantees ASCII digits of the layout's length.
fn push_bcd(out: &mut Writer, digits: &[u8]) {
    // Every key of every scan packs its digits here: eight digits per step. In a little-endian word of digit
    // values, byte `i` of `(x << 4) | (x >> 8)` is `d[i] << 4 | d[i + 1]`; the even bytes are the packed pairs,
    // which two shifts gather into the low four bytes. (A plain `split_first_chunk` loop: the `chunks`/`zip`
    // adapters cost three times the packing here.)
    let mut rest = digits;
    while let Some((w, tail)) = rest.split_first_chunk::<8>() {
        out.put(&pack8(*w));
        rest = tail;
    }
    let nib = |d: u8| d.wrapping_sub(b'0') & 0x0F;
    while let Some((&[hi, lo], tail)) = rest.split_first_chunk::<2>() {
        out.put1((nib(hi) << 4) | nib(lo));
        rest = tail;
    }
    if let Some(&hi) = rest.first() {
        out.put1(nib(hi) << 4);
    }
}

/// Eight ASCII digits packed as four BCD bytes.
#[inline]
fn pack8(w: [u8; 8]) -> [u8; 4] {
    let x = u64::from_le_bytes(w) & 0x0F0F_0F0F_0F0F_0F0F;
    let pairs = ((x << 4) | (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let halves = (pairs | (pairs >> 8)) & 0x0000_FFFF_0000_FFFF;
    let [a, b, c, d, ..] = (halves | (halves >> 16)).to_le_bytes();
    [a, b, c, d]
}

/// Reads `n` BCD digits from `bytes`, appending them to `out` when given; returns the bytes consumed.
fn read_bcd(bytes: &[u8], n: usize, at: usize, mut out: Option<&mut String>) -> Result<usize, Error> {
    let nbytes = n.div_ceil(2);
    let src = bytes
        .get(..nbytes)
        .ok_or_else(|| err(ErrorKind::Corrupt, at, bytes.len(), "key truncated inside a digit field"))?;
    let mut count = 0;
    for (i, &b) in src.iter().enumerate() {
        for nib in [b >> 4, b & 0x0F] {
            if count == n {
                if nib != 0 {
                    return Err(err(ErrorKind::Corrupt, at + i, 1, "non-zero padding nibble in key"));
                }
                continue;
            }
            if nib > 9 {
                return Err(err(ErrorKind::Corrupt, at + i, 1, format!("invalid BCD nibble {nib:X} in key")));
            }
            if let Some(o) = out.as_deref_mut() {
                o.push(char::from(b'0' + nib));
            }
            count += 1;
        }
    }
    Ok(nbytes)
}

/// Reads text up to the 0x00 terminator; returns the text and bytes consumed (including the terminator).
fn read_text(bytes: &[u8], at: usize) -> Result<(&str, usize), Error> {
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| err(ErrorKind::Corrupt, at, bytes.len(), "key text field has no terminator"))?;
    let text = bytes
        .get(..end)
        .and_then(|t| std::str::from_utf8(t).ok())
        .ok_or_else(|| err(ErrorKind::Corrupt, at, end, "key text field is not UTF-8"))?;
    if text.is_empty() {
        return Err(err(ErrorKind::Corrupt, at, 1, "empty text field in key"));
    }
    Ok((text, end + 1))
}

fn push_text(out: &mut Writer, text: &[u8]) -> Result<(), Error> {
    if text.is_empty() || text.contains(&0) {
        return Err(err(ErrorKind::Value, 0, 0, "an identifier value is empty or contains NUL"));
    }
    out.put(text);
    out.put1(0);
    Ok(())
}

/// Is `ai` an AI that can be the identity of a GS1 element list?
fn layout_for(ai: &str) -> Option<&'static Gs1Layout> {
    // Identification keys have 2-4 digit AIs starting 0, 2, 4 or 8: skip the table for everything else.
    if !matches!(ai.as_bytes().first(), Some(b'0' | b'2' | b'4' | b'8')) {
        return None;
    }
    GS1_LAYOUTS.iter().find(|l| l.ai.as_bytes() == ai.as_bytes())
}

/// Decodes `%HH` escapes (either case); returns `None` on a malformed escape, NUL or invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = crate::hex::digit(*b.get(i + 1)?)?;
            let lo = crate::hex::digit(*b.get(i + 2)?)?;
            let v = hi << 4 | lo;
            if v == 0 {
                return None;
            }
            out.push(v);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl TraceKey {
    /// The key of a parsed code.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] if a GS1 message carries no identification key.
    pub fn from_code(code: &Code) -> Result<Self, Error> {
        match &code.data {
            CodeData::Gs1(g) => Self::from_gs1(g),
            CodeData::Gid(g) => Ok(Self::from_gid(*g)),
            CodeData::National(n) => Self::from_national(n),
        }
    }

    /// The key of a GS1 element list: the first identification key with its identity qualifiers.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] if no element is an identification key.
    pub fn from_gs1(gs1: &Gs1) -> Result<Self, Error> {
        Self::from_elements(|| gs1.iter().map(|e| (e.def.ai, e.value.as_bytes())))
    }

    /// The key of validated `(AI digits, value)` elements in scan order (`elems` yields them afresh on each
    /// call): [`Self::from_gs1`]'s one implementation, shared with the scan path, which reads values as spans of
    /// the scanned bytes instead of building a [`Gs1`].
    pub(crate) fn from_elements<'a, I>(elems: impl Fn() -> I) -> Result<Self, Error>
    where
        I: Iterator<Item = (&'static str, &'a [u8])>,
    {
        // One pass over the elements: the first identification key, and the GTIN qualifiers. Comparing AI
        // bytes directly (not `&str == &str`, which calls memcmp) keeps this off the profile.
        let mut primary: Option<(&Gs1Layout, &[u8])> = None;
        let (mut serial, mut tpx, mut cpv, mut lot) = (None, None, None, None);
        for (ai, value) in elems() {
            match ai.as_bytes() {
                [b'2', b'1'] => serial = serial.or(Some(value)),
                [b'2', b'3', b'5'] => tpx = tpx.or(Some(value)),
                [b'2', b'2'] => cpv = cpv.or(Some(value)),
                [b'1', b'0'] => lot = lot.or(Some(value)),
                _ if primary.is_none() => primary = layout_for(ai).map(|l| (l, value)),
                _ => {}
            }
        }
        let (layout, value) = primary.ok_or_else(|| {
            err(ErrorKind::Syntax, 0, 0, "no identification key (GTIN, SSCC, GLN, GRAI, GIAI, ...) in this code")
        })?;
        // The qualifiers that enter the key, in key order (at most two: CPV then lot).
        let mut quals: [Option<(u8, &[u8])>; 2] = [None, None];
        match layout.tag {
            tag::GTIN => {
                quals = match (serial, tpx) {
                    (Some(s), _) => [Some((mark::SERIAL, s)), None],
                    (None, Some(t)) => [Some((mark::TPX, t)), None],
                    (None, None) => [cpv.map(|c| (mark::CPV, c)), lot.map(|l| (mark::LOT, l))],
                };
            }
            tag::GRAI | tag::GDTI | tag::GCN => {
                // The serial of these keys is the optional tail of the AI value itself.
            }
            _ => {
                // The first of the layout's qualifiers present (its first occurrence) enters the key. A GLN
                // extension "0" means "no extension" (TDS §7.5: SGLN `….0`), so both spellings of one location
                // give one key.
                quals[0] = layout.quals.iter().find_map(|&(m, q)| {
                    let v = elems().find(|(ai, _)| ai.as_bytes() == q.as_bytes())?.1;
                    (!(m == mark::GLN_EXT && v == b"0")).then_some((m, v))
                });
            }
        }
        let mut out = Writer::new();
        out.put1(layout.tag);
        Self::push_primary(&mut out, layout, value)?;
        for &(m, v) in quals.iter().flatten() {
            out.put1(m);
            push_text(&mut out, v)?;
        }
        Ok(Self { bytes: out.finish() })
    }

    /// The key of the GTIN `gtin` (14 ASCII digits, checked by the caller): the key [`Self::from_gs1`] gives a
    /// list holding only that `(01)`, built without looking for qualifiers (the scan path's bare keys).
    pub(crate) fn from_gtin14(gtin: &[u8; 14]) -> Self {
        let mut out = Writer::new();
        out.put1(tag::GTIN);
        push_bcd(&mut out, gtin);
        Self { bytes: out.finish() }
    }

    /// The key of the GTIN `gtin` (14 ASCII digits, checked by the caller) qualified by its serial (`lot`
    /// false) or lot (`lot` true) `value`: the key [`Self::from_gs1`] gives a list of that `(01)` and `(21)`
    /// or `(10)` (validated values), built without the generic element walk (the scan path's element strings).
    ///
    /// # Errors
    /// As [`Self::from_gs1`] for an empty value or one holding NUL (which validation never lets through).
    pub(crate) fn from_gtin14_qualified(gtin: &[u8; 14], lot: bool, value: &[u8]) -> Result<Self, Error> {
        let mut out = Writer::new();
        out.put1(tag::GTIN);
        push_bcd(&mut out, gtin);
        out.put1(if lot { mark::LOT } else { mark::SERIAL });
        push_text(&mut out, value)?;
        Ok(Self { bytes: out.finish() })
    }

    /// The key of the SSCC `sscc` (18 ASCII digits, checked by the caller), as [`Self::from_gtin14`].
    pub(crate) fn from_sscc(sscc: &[u8; 18]) -> Self {
        let mut out = Writer::new();
        out.put1(tag::SSCC);
        push_bcd(&mut out, sscc);
        Self { bytes: out.finish() }
    }

    /// Writes the primary key value of `layout` (numeric part as BCD, then an optional serial tail).
    fn push_primary(out: &mut Writer, layout: &Gs1Layout, value: &[u8]) -> Result<(), Error> {
        if layout.digits == 0 {
            return push_text(out, value);
        }
        let skip = usize::from(layout.skip);
        let n = usize::from(layout.digits);
        let digits = value.get(skip..skip + n).filter(|d| super::gs1::lint::all_digits(d)).ok_or_else(|| {
            err(ErrorKind::Length, 0, value.len(), format!("({}) needs {} digits", layout.ai, n + skip))
        })?;
        push_bcd(out, digits);
        // GRAI / GDTI / GCN carry an optional serial after the numeric part.
        if let Some(tail) = value.get(skip + n..).filter(|t| !t.is_empty()) {
            out.put1(mark::SERIAL);
            push_text(out, tail)?;
        }
        Ok(())
    }

    /// The key of an EPC GID.
    pub fn from_gid(g: Gid) -> Self {
        let mut out = Bytes::new();
        out.push(tag::GID);
        out.extend_from_slice(&g.manager.to_be_bytes());
        out.extend_from_slice(&g.class.to_be_bytes());
        out.extend_from_slice(&g.serial.to_be_bytes());
        Self { bytes: out }
    }

    /// The key of a national code.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for a scheme without a key layout; [`ErrorKind::Value`] for malformed text.
    pub fn from_national(n: &NationalCode) -> Result<Self, Error> {
        Self::from_national_text(n.scheme, n.text.as_bytes())
    }

    /// The key of national-code `text` (normalised, as [`NationalCode::text`]) of `scheme`: [`Self::from_national`]'s
    /// one implementation, shared with the scan path, which has the text as a span of the scanned bytes.
    pub(crate) fn from_national_text(scheme: Scheme, text: &[u8]) -> Result<Self, Error> {
        let &(_, t, digits) = NATIONAL_LAYOUTS
            .iter()
            .find(|(s, _, _)| *s == scheme)
            .ok_or_else(|| err(ErrorKind::Unsupported, 0, 0, format!("no key layout for scheme {scheme}")))?;
        let mut out = Writer::new();
        out.put1(t);
        if digits > 0 {
            if text.len() != usize::from(digits) || !super::gs1::lint::all_digits(text) {
                return Err(err(ErrorKind::Value, 0, text.len(), format!("{scheme} needs {digits} digits")));
            }
            push_bcd(&mut out, text);
        } else if scheme == Scheme::Handle {
            let slash = text
                .iter()
                .position(|&b| b == b'/')
                .ok_or_else(|| err(ErrorKind::Syntax, 0, text.len(), "a Handle needs prefix/suffix"))?;
            let (prefix, suffix) = (text.get(..slash).unwrap_or_default(), text.get(slash + 1..).unwrap_or_default());
            push_text(&mut out, &prefix.to_ascii_lowercase())?;
            push_text(&mut out, suffix)?;
        } else {
            push_text(&mut out, text)?;
        }
        Ok(Self { bytes: out.finish() })
    }

    /// The binary key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the key, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes.into_vec()
    }

    /// Validates and wraps a binary key (e.g. read back from the store).
    ///
    /// # Errors
    /// [`ErrorKind::Corrupt`] with the byte offset of the first invalid byte.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        // Decoding to canonical parts validates every field; re-encoding would be redundant.
        decode(bytes, None)?;
        Ok(Self { bytes: Bytes::from_slice(bytes) })
    }

    /// Wraps key bytes read back from a checksummed store record without re-validating every field (the bytes
    /// were produced by this type). Every method stays panic-free on any bytes; only trust is skipped.
    pub(crate) fn from_stored(bytes: &[u8]) -> Self {
        Self { bytes: Bytes::from_slice(bytes) }
    }

    /// What the key identifies.
    pub fn kind(&self) -> KeyKind {
        let Some(&t) = self.bytes.first() else { return KeyKind::Instance };
        if let Some(l) = GS1_LAYOUTS.iter().find(|l| l.tag == t) {
            if l.base_kind != KeyKind::Class {
                return l.base_kind;
            }
            // Class layouts become instances when a serial-like qualifier is present.
            return match decode(&self.bytes, None) {
                Ok(true) => KeyKind::Instance,
                _ => KeyKind::Class,
            };
        }
        match t {
            tag::USCC => KeyKind::Party,
            tag::MA => {
                // An MA code with only its five DI segments names a product; PI segments make it an instance.
                if self.bytes.split(|&b| b == b'.').count() > 5 { KeyKind::Instance } else { KeyKind::Class }
            }
            _ => KeyKind::Instance,
        }
    }

    /// For a GTIN class key: the byte prefix under which every serialised instance of that GTIN sorts.
    ///
    /// ```
    /// use tracecode::code::parse;
    /// let gtin = parse("09506000134352")?.trace_key()?;
    /// let item = parse("(01)09506000134352(21)A1")?.trace_key()?;
    /// assert!(item.as_bytes().starts_with(&gtin.instances_prefix().unwrap()));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn instances_prefix(&self) -> Option<Vec<u8>> {
        let (&t, rest) = self.bytes.split_first()?;
        let layout = GS1_LAYOUTS.iter().find(|l| l.tag == t && l.base_kind == KeyKind::Class)?;
        let base = if layout.digits == 0 {
            rest.iter().position(|&b| b == 0)? + 1
        } else {
            usize::from(layout.digits).div_ceil(2)
        };
        if rest.len() != base {
            return None; // only a bare class key (no lot/CPV) has instances under it
        }
        let mut p = self.bytes.to_vec();
        p.push(mark::SERIAL);
        Some(p)
    }

    /// The GTIN class key of a GTIN-based key (instance or lot), i.e. its first 8 bytes.
    pub fn gtin_class(&self) -> Option<Self> {
        (self.bytes.first() == Some(&tag::GTIN))
            .then(|| Self { bytes: Bytes::from_slice(self.bytes.get(..8).unwrap_or_default()) })
    }

    /// The key of a lot-membership index entry: `lot key ‖ instance serial ‖ 0x00`, so all instances of one lot
    /// are one range scan under the lot key. `None` unless `lot` is a GTIN+lot key and `instance` a serialised
    /// instance of the same GTIN.
    ///
    /// ```
    /// use tracecode::code::{parse, TraceKey};
    /// let code = parse("(01)09506000134352(10)L1(21)S9")?;
    /// let item = code.trace_key()?;
    /// let lot = parse("(01)09506000134352(10)L1")?.trace_key()?;
    /// let member = TraceKey::lot_member_key(&lot, &item).unwrap();
    /// assert!(member.starts_with(lot.as_bytes()));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn lot_member_key(lot: &Self, instance: &Self) -> Option<Vec<u8>> {
        let lot_b = lot.as_bytes();
        let inst = instance.as_bytes();
        if lot_b.first() != Some(&tag::GTIN) || lot_b.get(..8) != inst.get(..8) || lot_b.get(8) != Some(&mark::LOT) {
            return None;
        }
        let tail = inst.get(8..)?;
        if !matches!(tail.first(), Some(&(mark::SERIAL | mark::TPX))) {
            return None;
        }
        let mut out = Vec::with_capacity(lot_b.len() + tail.len());
        out.extend_from_slice(lot_b);
        out.extend_from_slice(tail);
        Some(out)
    }

    /// Class keys a code belongs to, most specific first: GTIN+lot (when the code carries a lot) and the GTIN.
    /// Used by the store's class index.
    pub fn class_keys_of(code: &Code) -> Vec<Self> {
        let Some(g) = code.gs1() else { return Vec::new() };
        let Some(gtin) = g.get("01") else { return Vec::new() };
        let mut out = Vec::with_capacity(2);
        let mut base = Writer::new();
        base.put1(tag::GTIN);
        if gtin.len() != 14 || !gtin.bytes().all(|b| b.is_ascii_digit()) {
            return out;
        }
        push_bcd(&mut base, gtin.as_bytes());
        if let Some(lot) = g.get("10") {
            let mut l = base.clone();
            l.put1(mark::LOT);
            if push_text(&mut l, lot.as_bytes()).is_ok() {
                out.push(Self { bytes: l.finish() });
            }
        }
        out.push(Self { bytes: base.finish() });
        out
    }
}

/// Walks a binary key, validating every field and appending its canonical text to `text` when given (validation
/// alone allocates nothing: frames decode many keys). Returns whether a serial-like qualifier is present.
fn decode(bytes: &[u8], mut text: Option<&mut String>) -> Result<bool, Error> {
    let (&t, rest) = bytes.split_first().ok_or_else(|| err(ErrorKind::Corrupt, 0, 0, "empty key"))?;
    if let Some(layout) = GS1_LAYOUTS.iter().find(|l| l.tag == t) {
        return decode_gs1(layout, rest, text);
    }
    if t == tag::GID {
        let g: &[u8; 16] = rest
            .try_into()
            .map_err(|_| err(ErrorKind::Corrupt, 1, rest.len(), "GID key must have 16 payload bytes"))?;
        let (m, tail) = g.split_first_chunk::<4>().unwrap_or((&[0; 4], &[]));
        let (c, tail) = tail.split_first_chunk::<4>().unwrap_or((&[0; 4], &[]));
        let sr = tail.first_chunk::<8>().copied().unwrap_or_default();
        if let Some(o) = text {
            let _ = write!(
                o,
                "urn:epc:id:gid:{}.{}.{}",
                u32::from_be_bytes(*m),
                u32::from_be_bytes(*c),
                u64::from_be_bytes(sr)
            );
        }
        return Ok(true);
    }
    let &(scheme, _, digits) = NATIONAL_LAYOUTS
        .iter()
        .find(|(_, tg, _)| *tg == t)
        .ok_or_else(|| err(ErrorKind::Corrupt, 0, 1, format!("unknown key tag 0x{t:02X}")))?;
    if let Some(o) = text.as_deref_mut() {
        o.push_str(scheme.as_str());
        o.push(':');
    }
    let used = if digits > 0 {
        read_bcd(rest, usize::from(digits), 1, text)?
    } else if scheme == Scheme::Handle {
        let (p, u1) = read_text(rest, 1)?;
        let (sfx, u2) = read_text(rest.get(u1..).unwrap_or_default(), 1 + u1)?;
        if let Some(o) = text {
            let _ = write!(o, "{p}/{sfx}");
        }
        u1 + u2
    } else {
        let (v, used) = read_text(rest, 1)?;
        if let Some(o) = text {
            o.push_str(v);
        }
        used
    };
    if used != rest.len() {
        return Err(err(ErrorKind::Corrupt, 1 + used, rest.len() - used, "trailing bytes after key"));
    }
    Ok(true)
}

fn decode_gs1(layout: &Gs1Layout, rest: &[u8], mut text: Option<&mut String>) -> Result<bool, Error> {
    if let Some(o) = text.as_deref_mut() {
        o.push_str(layout.ai);
        o.push('/');
    }
    let mut pos;
    let mut instance = layout.base_kind == KeyKind::Instance;
    if layout.digits == 0 {
        let (v, used) = read_text(rest, 1)?;
        if let Some(o) = text.as_deref_mut() {
            crate::hex::percent_encode_into(o, v);
        }
        pos = used;
    } else {
        if layout.skip == 1
            && let Some(o) = text.as_deref_mut()
        {
            o.push('0');
        }
        pos = read_bcd(rest, usize::from(layout.digits), 1, text.as_deref_mut())?;
        if matches!(layout.tag, tag::GRAI | tag::GDTI | tag::GCN) && rest.get(pos) == Some(&mark::SERIAL) {
            let (v, used) = read_text(rest.get(pos + 1..).unwrap_or_default(), 1 + pos + 1)?;
            if let Some(o) = text.as_deref_mut() {
                crate::hex::percent_encode_into(o, v);
            }
            pos += 1 + used;
            instance = true;
        }
    }
    // Qualifiers, in the layout's order; GTIN allows CPV then LOT, or exactly one instance qualifier.
    let mut last_idx: Option<usize> = None;
    while let Some(&m) = rest.get(pos) {
        let (qi, &(_, ai)) = layout
            .quals
            .iter()
            .enumerate()
            .find(|(_, (mk, _))| *mk == m)
            .ok_or_else(|| err(ErrorKind::Corrupt, 1 + pos, 1, format!("unexpected marker 0x{m:02X} in key")))?;
        if last_idx.is_some_and(|l| l >= qi) {
            return Err(err(ErrorKind::Corrupt, 1 + pos, 1, "key qualifiers out of order"));
        }
        let is_instance_q = matches!(m, mark::SERIAL | mark::TPX) && layout.tag != tag::GLN_LOC;
        if layout.tag == tag::GTIN && is_instance_q && last_idx.is_some() {
            return Err(err(ErrorKind::Corrupt, 1 + pos, 1, "a serial key cannot also carry a lot or CPV"));
        }
        let (v, used) = read_text(rest.get(pos + 1..).unwrap_or_default(), 1 + pos + 1)?;
        if let Some(o) = text.as_deref_mut() {
            o.push('/');
            o.push_str(ai);
            o.push('/');
            crate::hex::percent_encode_into(o, v);
        }
        pos += 1 + used;
        instance |= is_instance_q;
        last_idx = Some(qi);
        if layout.tag != tag::GTIN {
            break;
        }
    }
    if pos != rest.len() {
        return Err(err(ErrorKind::Corrupt, 1 + pos, rest.len() - pos, "trailing bytes after key"));
    }
    Ok(instance)
}

impl fmt::Display for TraceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::with_capacity(self.bytes.len() * 2 + 8);
        match decode(&self.bytes, Some(&mut text)) {
            Ok(_) => f.write_str(&text),
            // Keys are validated on construction; this arm is defensive only.
            Err(_) => write!(f, "invalid-key:{:02x?}", self.bytes),
        }
    }
}

impl FromStr for TraceKey {
    type Err = Error;

    /// Parses canonical key text (see the module docs).
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return parse_gs1_path(s);
        }
        if let Some(rest) = s.strip_prefix("urn:epc:id:gid:") {
            let mut it = rest.split('.');
            let mut num = |max: u64| -> Result<u64, Error> {
                it.next()
                    .filter(|p| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|p| p.parse::<u64>().ok())
                    .filter(|&v| v <= max)
                    .ok_or_else(|| {
                        err(ErrorKind::Syntax, 15, rest.len(), "GID key needs manager.class.serial numbers in range")
                    })
            };
            let manager = u32::try_from(num((1 << 28) - 1)?).unwrap_or(0);
            let class = u32::try_from(num((1 << 24) - 1)?).unwrap_or(0);
            let serial = num((1 << 36) - 1)?;
            if it.next().is_some() {
                return Err(err(ErrorKind::Syntax, 15, rest.len(), "GID key has too many parts"));
            }
            return Ok(Self::from_gid(Gid { manager, class, serial }));
        }
        let (scheme_name, text) =
            s.split_once(':').ok_or_else(|| err(ErrorKind::Syntax, 0, s.len(), "key text needs scheme:value"))?;
        let &(scheme, _, _) =
            NATIONAL_LAYOUTS.iter().find(|(sc, _, _)| sc.as_str() == scheme_name).ok_or_else(|| {
                err(ErrorKind::Syntax, 0, scheme_name.len(), format!("unknown key scheme {scheme_name:?}"))
            })?;
        // The value must be a valid code of its scheme (check characters, dates, layout), not just any text.
        static RULES: super::cn::CnRules = super::cn::CnRules::DEFAULT.drug20_require_leading_8(false);
        let base = scheme_name.len() + 1;
        let (n, _) = national_parser(scheme)(text, &RULES).map_err(|e| e.shifted(base))?;
        let key = Self::from_national(&n).map_err(|e| e.shifted(base))?;
        if key.to_string() != s {
            return Err(err(ErrorKind::Syntax, 0, s.len(), format!("not canonical key text; canonical is {key}")));
        }
        Ok(key)
    }
}

/// The parser that validates the text of a national key of `scheme`.
fn national_parser(scheme: Scheme) -> fn(&str, &super::cn::CnRules) -> Result<super::cn::Parsed, Error> {
    use super::cn;
    match scheme {
        Scheme::CnDrug20 => cn::parse_drug20,
        Scheme::Ma => cn::parse_ma,
        Scheme::Handle => cn::parse_handle,
        Scheme::Ecode => cn::parse_ecode,
        Scheme::EquipmentCode => cn::parse_equipment_code,
        Scheme::EquipmentRegistration => cn::parse_equipment_registration,
        Scheme::GasCylinder => cn::parse_gas_cylinder,
        Scheme::Detonator => cn::parse_detonator,
        Scheme::VetDrug => cn::parse_vet_drug24,
        Scheme::Pesticide => cn::parse_pesticide32,
        _ => cn::parse_credit_code,
    }
}

/// Parses `ai/value[/ai/value]` into a key, validating values against the AI table.
fn parse_gs1_path(s: &str) -> Result<TraceKey, Error> {
    let mut g = Gs1::with_capacity(4, s.len());
    let mut segs = s.split('/');
    let mut pos = 0usize;
    let ctx = super::gs1::lint::LintContext { current_year: 2000 };
    while let Some(ai) = segs.next() {
        let def = super::gs1::lookup(ai)
            .ok_or_else(|| err(ErrorKind::UnknownAi, pos, ai.len(), format!("unknown AI {ai:?} in key text")))?;
        let vpos = pos + ai.len() + 1;
        let raw = segs.next().ok_or_else(|| err(ErrorKind::Syntax, vpos, 0, "AI without value in key text"))?;
        let value = percent_decode(raw)
            .ok_or_else(|| err(ErrorKind::Syntax, vpos, raw.len(), "bad percent-encoding in key text"))?;
        super::gs1::lint::validate_value(def, value.as_bytes(), &ctx).map_err(|e| e.at(vpos, raw.len()))?;
        g.push_unchecked(def, &value, pos);
        pos = vpos + raw.len() + 1;
    }
    let key = TraceKey::from_gs1(&g)?;
    // Only canonical text is accepted: re-printing must give the input back.
    if key.to_string() != s {
        return Err(err(ErrorKind::Syntax, 0, s.len(), format!("not canonical key text; canonical is {key}")));
    }
    Ok(key)
}

impl serde::Serialize for TraceKey {
    /// In human-readable formats (JSON, TOML, YAML) the canonical key text (`01/09506000134352/21/A1`); otherwise
    /// the binary key (the order-preserving form, as bytes).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.collect_str(self) } else { s.serialize_bytes(&self.bytes) }
    }
}

impl<'de> serde::Deserialize<'de> for TraceKey {
    /// Reads what [`Serialize`](serde::Serialize) writes: canonical key text (only canonical text, as
    /// [`FromStr`]) in human-readable formats, where the binary key as a byte array is also accepted (what earlier
    /// versions wrote); the binary key otherwise. Malformed input is an error, never a wrong key.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'v> serde::de::Visitor<'v> for V {
            type Value = TraceKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("tracecode canonical key text or a binary key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TraceKey, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<TraceKey, E> {
                TraceKey::from_bytes(v).map_err(|e| E::custom(e))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<TraceKey, E> {
                self.visit_bytes(&v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'v>>(self, mut seq: A) -> Result<TraceKey, A::Error> {
                // Self-describing formats (JSON) may present bytes as an array of numbers.
                let mut v = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    if v.len() >= 4096 {
                        return Err(serde::de::Error::custom("key too long"));
                    }
                    v.push(b);
                }
                self.visit_bytes(&v)
            }
        }
        if d.is_human_readable() { d.deserialize_any(V) } else { d.deserialize_bytes(V) }
    }
}

impl Gs1 {
    /// The identity of this element list (see [`TraceKey::from_gs1`]).
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] if no element is an identification key.
    pub fn trace_key(&self) -> Result<TraceKey, Error> {
        TraceKey::from_gs1(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::ParseOptions;
    use proptest::prelude::*;

    fn gs1(pairs: &[(&str, &str)]) -> Gs1 {
        Gs1::from_pairs(pairs, &ParseOptions::new().current_year(2026)).unwrap()
    }

    fn key(pairs: &[(&str, &str)]) -> TraceKey {
        TraceKey::from_gs1(&gs1(pairs)).unwrap()
    }

    #[test]
    fn gtin_layout_bytes() {
        let k = key(&[("01", "09506000134352"), ("21", "XYZ789")]);
        assert_eq!(k.as_bytes(), b"\x01\x09\x50\x60\x00\x13\x43\x52\x15XYZ789\x00");
        assert_eq!(k.kind(), KeyKind::Instance);
        assert_eq!(k.to_string(), "01/09506000134352/21/XYZ789");
        let class = key(&[("01", "09506000134352")]);
        assert_eq!(class.as_bytes(), b"\x01\x09\x50\x60\x00\x13\x43\x52");
        assert_eq!(class.kind(), KeyKind::Class);
        assert!(k.as_bytes().starts_with(&class.instances_prefix().unwrap()));
    }

    #[test]
    fn lot_is_class_and_not_part_of_instance_identity() {
        let lot = key(&[("01", "09506000134352"), ("10", "L1")]);
        assert_eq!(lot.kind(), KeyKind::Class);
        assert_eq!(lot.to_string(), "01/09506000134352/10/L1");
        let with_lot = key(&[("01", "09506000134352"), ("10", "L1"), ("21", "S")]);
        let without = key(&[("01", "09506000134352"), ("21", "S")]);
        assert_eq!(with_lot, without);
        let m = TraceKey::lot_member_key(&lot, &with_lot).unwrap();
        assert!(m.starts_with(lot.as_bytes()));
        assert_eq!(TraceKey::lot_member_key(&with_lot, &lot), None);
    }

    #[test]
    fn other_gs1_keys() {
        for (pairs, text, kind) in [
            (&[("00", "106141412345678908")][..], "00/106141412345678908", KeyKind::Instance),
            (&[("414", "0614141123452"), ("254", "5678")][..], "414/0614141123452/254/5678", KeyKind::Location),
            (&[("417", "0614141123452")][..], "417/0614141123452", KeyKind::Party),
            (&[("8003", "006141411234525678")][..], "8003/006141411234525678", KeyKind::Instance),
            (&[("8003", "00614141123452")][..], "8003/00614141123452", KeyKind::Class),
            (&[("8004", "0614141A/B")][..], "8004/0614141A%2FB", KeyKind::Instance),
            (&[("8018", "061414112345678902")][..], "8018/061414112345678902", KeyKind::Instance),
            (&[("253", "06141411234525678")][..], "253/06141411234525678", KeyKind::Instance),
        ] {
            let k = key(pairs);
            assert_eq!(k.to_string(), text);
            assert_eq!(k.kind(), kind, "{text}");
            assert_eq!(text.parse::<TraceKey>().unwrap(), k);
            assert_eq!(TraceKey::from_bytes(k.as_bytes()).unwrap(), k);
        }
    }

    #[test]
    fn gid_and_national_keys() {
        let g = TraceKey::from_gid(Gid { manager: 31415, class: 271_828, serial: 1414 });
        assert_eq!(g.to_string(), "urn:epc:id:gid:31415.271828.1414");
        assert_eq!(g.to_string().parse::<TraceKey>().unwrap(), g);
        for text in [
            "cn-drug20:81234567890123456789",
            "idis:88.1000.2/abc",
            "cn-uscc:91350100M000100Y43",
            "ma:MA.156.M0.100761.21234561",
        ] {
            let k: TraceKey = text.parse().unwrap();
            assert_eq!(k.to_string(), text);
            assert_eq!(TraceKey::from_bytes(k.as_bytes()).unwrap(), k);
        }
        assert_eq!("ma:MA.156.M0.100761.21234561".parse::<TraceKey>().unwrap().kind(), KeyKind::Class);
        assert_eq!("cn-uscc:91350100M000100Y43".parse::<TraceKey>().unwrap().kind(), KeyKind::Party);
        // Key text is validated by the scheme's own rules.
        assert_eq!("cn-uscc:91350100M000100Y44".parse::<TraceKey>().unwrap_err().kind(), ErrorKind::CheckDigit);
        assert_eq!("cn-uscc:91350100M000100Y44".parse::<TraceKey>().unwrap_err().offset(), Some(8 + 17));
        assert!("cn-drug20:8123".parse::<TraceKey>().is_err());
        assert!("cn-detonator:5361315A00001".parse::<TraceKey>().is_err());
        // Handle prefixes are case-insensitive; suffixes are kept.
        assert_eq!("idis:88.1000.2/AbC".parse::<TraceKey>().unwrap().to_string(), "idis:88.1000.2/AbC");
        assert_eq!(
            "idis:88.1000.2/x".parse::<TraceKey>().unwrap(),
            TraceKey::from_national(&NationalCode {
                scheme: Scheme::Handle,
                text: "88.1000.2/x".into(),
                fields: Vec::new(),
                check: crate::code::CheckStatus::None
            })
            .unwrap()
        );
    }

    #[test]
    fn corrupt_bytes_are_rejected_with_position() {
        for (bytes, at) in [
            (&b""[..], 0),
            (&b"\x7F"[..], 0),
            (&b"\x01\x09\x50\x60\x00\x13\x43"[..], 1),
            (&b"\x01\x09\x50\x60\x00\x13\x43\x5A"[..], 7),
            (&b"\x01\x09\x50\x60\x00\x13\x43\x52\x15XYZ"[..], 9),
            (&b"\x01\x09\x50\x60\x00\x13\x43\x52\x99"[..], 8),
            (&b"\x01\x09\x50\x60\x00\x13\x43\x52\x15A\x00\x0AL\x00"[..], 11),
        ] {
            let e = TraceKey::from_bytes(bytes).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{bytes:?}");
            assert_eq!(e.offset(), Some(at), "{bytes:?}: {e}");
        }
    }

    #[test]
    fn non_canonical_text_is_refused() {
        let e = "01/09506000134352/10/L/21/S".parse::<TraceKey>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Syntax);
        assert!(e.message().contains("01/09506000134352/21/S"));
        assert_eq!("01/09506000134353".parse::<TraceKey>().unwrap_err().kind(), ErrorKind::CheckDigit);
        assert_eq!("xx:1".parse::<TraceKey>().unwrap_err().kind(), ErrorKind::Syntax);
    }

    fn gtin_strategy() -> impl Strategy<Value = String> {
        "[0-9]{13}".prop_map(|body| {
            let c = crate::code::check::gs1_check_digit(body.as_bytes()).unwrap();
            format!("{body}{}", char::from(c))
        })
    }

    #[test]
    fn serde_text_when_human_readable_bytes_otherwise() {
        let k: TraceKey = "01/09506000134352/21/XYZ789".parse().unwrap();
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, "\"01/09506000134352/21/XYZ789\"");
        assert_eq!(serde_json::from_str::<TraceKey>(&json).unwrap(), k);
        // The byte array earlier versions wrote to JSON still reads; non-canonical text does not.
        let bytes = serde_json::to_string(k.as_bytes()).unwrap();
        assert_eq!(serde_json::from_str::<TraceKey>(&bytes).unwrap(), k);
        assert!(serde_json::from_str::<TraceKey>("\"01/9506000134352/21/XYZ789\"").is_err());
        // Binary formats keep the binary key (bincode: length then the key bytes).
        let bin = bincode::serialize(&k).unwrap();
        assert_eq!(bin.get(8..), Some(k.as_bytes()));
        assert_eq!(bincode::deserialize::<TraceKey>(&bin).unwrap(), k);
    }

    proptest! {
        #[test]
        fn key_order_matches_gtin_serial_order(
            g1 in gtin_strategy(), g2 in gtin_strategy(),
            s1 in "[!-~&&[^#$@\\[\\\\\\]^`{|}~ ]]{1,20}", s2 in "[A-Za-z0-9]{1,20}",
        ) {
            let a = key(&[("01", &g1), ("21", &s1)]);
            let b = key(&[("01", &g2), ("21", &s2)]);
            prop_assert_eq!(a.cmp(&b), (g1.as_str(), s1.as_str()).cmp(&(g2.as_str(), s2.as_str())));
            let class = key(&[("01", &g1)]);
            prop_assert!(a.as_bytes().starts_with(class.as_bytes()));
            for k in [&a, &b, &class] {
                prop_assert_eq!(&k.to_string().parse::<TraceKey>().unwrap(), k);
                prop_assert_eq!(&TraceKey::from_bytes(k.as_bytes()).unwrap(), k);
            }
        }

        /// Word-at-a-time BCD packing gives the bytes of the pair-at-a-time definition.
        #[test]
        fn push_bcd_packs_pairs(d in "[0-9]{0,40}") {
            let d = d.as_bytes();
            let mut want: Vec<u8> = d.chunks(2).map(|p| (p[0] - b'0') << 4 | p.get(1).map_or(0, |&lo| lo - b'0')).collect();
            want.insert(0, 0xAA);
            let mut got = Writer::new();
            got.put1(0xAA);
            push_bcd(&mut got, d);
            let got = got.finish();
            prop_assert_eq!(got.as_slice(), want.as_slice());
        }

        /// The qualified GTIN builder gives the key of the two-element list.
        #[test]
        fn qualified_gtin_builder_agrees_with_from_elements(d in "[0-9]{14}", v in "[!-~]{1,20}", lot in any::<bool>()) {
            let gtin: &[u8; 14] = d.as_bytes().try_into().unwrap();
            let ai = if lot { "10" } else { "21" };
            let want = TraceKey::from_elements(|| [("01", &gtin[..]), (ai, v.as_bytes())].into_iter()).unwrap();
            prop_assert_eq!(TraceKey::from_gtin14_qualified(gtin, lot, v.as_bytes()).unwrap(), want);
        }

        /// The bare-key builders give the key of the one-element list.
        #[test]
        fn bare_key_builders_agree_with_from_gs1(d in "[0-9]{18}") {
            let d = d.as_bytes();
            let gtin: &[u8; 14] = d[..14].try_into().unwrap();
            let one = |ai: &'static str, v: &[u8]| TraceKey::from_elements(|| std::iter::once((ai, v))).unwrap();
            prop_assert_eq!(TraceKey::from_gtin14(gtin), one("01", gtin));
            prop_assert_eq!(TraceKey::from_sscc(d.try_into().unwrap()), one("00", d));
        }

        #[test]
        fn from_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(k) = TraceKey::from_bytes(&bytes) {
                let _ = k.kind();
                let text = k.to_string();
                prop_assert!(!text.starts_with("invalid-key"));
            }
        }

        #[test]
        fn from_str_never_panics(s in "\\PC{0,40}") {
            if let Ok(k) = s.parse::<TraceKey>() {
                prop_assert_eq!(k.to_string(), s);
            }
        }
    }
}
