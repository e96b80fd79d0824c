//! RFID EPC binary encodings (GS1 EPC Tag Data Standard 1.13 §14; codes.md §5.4–5.6): decode the EPC bank of a
//! Gen 2 tag into GS1 data, and encode GS1 data for writing to a tag.
//!
//! Supported: SGTIN-96/198, SSCC-96, SGLN-96/195, GRAI-96/170, GIAI-96/202, GSRN-96, GSRNP-96, GDTI-96/174,
//! CPI-96, CPI-var, SGCN-96, ITIP-110/212 and GID-96. Refused with [`ErrorKind::Unsupported`]: TID memory (`E2`),
//! the TDS 2.x `+`/`++` schemes (`E6`–`FD`), deprecated GDTI-113, ADI-var and USDoD-96, and reserved headers.
//!
//! Readers return whole 16-bit words, so input may carry zero bits after the EPC; anything else after it is
//! reported as [`ErrorKind::Corrupt`] (often a PC word or CRC included in the read).
//!
//! # Example
//! ```
//! use tracecode::code::CodeData;
//! use tracecode::code::gs1::{epc_binary::{EpcBinaryScheme, decode_epc_hex, encode_epc}, gcp::FixedGcpLength};
//!
//! // The EPC bank of a tag, read as hex: an SGTIN-96 with filter 3 and a 7-digit company prefix.
//! let (data, info) = decode_epc_hex("3074257BF7194E4000001A85")?;
//! let CodeData::Gs1(gs1) = &data else { unreachable!() };
//! assert_eq!(gs1.to_bracketed(), "(01)80614141123458(21)6789");
//! assert_eq!((info.binary, info.filter, info.gcp_len), (Some(EpcBinaryScheme::Sgtin96), Some(3), Some(7)));
//!
//! // Writing a tag needs what the element string lacks: the scheme, the filter and the GCP length.
//! let bytes = encode_epc(gs1, EpcBinaryScheme::Sgtin96, 3, &FixedGcpLength(7))?;
//! assert_eq!(bytes, [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85]);
//! # Ok::<(), tracecode::Error>(())
//! ```

use super::Gs1;
use super::epc_uri::{
    EpcInfo, EpcScheme, GID_MAX, Gid, Part, PartError, Parts, check_parts, check_strict, gs1_to_parts, is_cset39,
    is_cset82, parts_to_gs1, perr,
};
use super::gcp::CompanyPrefixLengths;
use crate::code::CodeData;
use crate::{Error, ErrorKind};

/// Longest input accepted: the EPC bank holds at most 496 EPC bits, so 64 bytes leave room for word padding.
const MAX_BYTES: usize = 64;

/// Company-prefix bits by partition value (TDS Table 14-2 and siblings: the CP column is common to all).
const CP_BITS: [u8; 7] = [40, 37, 34, 30, 27, 24, 20];

/// An EPC binary coding scheme (TDS Table 14-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EpcBinaryScheme {
    /// SGTIN-96 (header `30`): numeric serial below 2^38.
    Sgtin96,
    /// SGTIN-198 (`36`): alphanumeric serial of up to 20 characters.
    Sgtin198,
    /// SSCC-96 (`31`).
    Sscc96,
    /// SGLN-96 (`32`): numeric extension below 2^41.
    Sgln96,
    /// SGLN-195 (`39`): alphanumeric extension of up to 20 characters.
    Sgln195,
    /// GRAI-96 (`33`): numeric serial below 2^38.
    Grai96,
    /// GRAI-170 (`37`): alphanumeric serial of up to 16 characters.
    Grai170,
    /// GIAI-96 (`34`): numeric asset reference.
    Giai96,
    /// GIAI-202 (`38`): alphanumeric asset reference.
    Giai202,
    /// GSRN-96 (`2D`).
    Gsrn96,
    /// GSRNP-96 (`2E`).
    Gsrnp96,
    /// GDTI-96 (`2C`): numeric serial below 2^41.
    Gdti96,
    /// GDTI-174 (`3E`): alphanumeric serial of up to 17 characters.
    Gdti174,
    /// CPI-96 (`3C`): numeric part reference and a serial below 2^31.
    Cpi96,
    /// CPI-var (`3D`): alphanumeric part reference, variable length.
    CpiVar,
    /// SGCN-96 (`3F`).
    Sgcn96,
    /// ITIP-110 (`40`): numeric serial below 2^38.
    Itip110,
    /// ITIP-212 (`41`): alphanumeric serial of up to 20 characters.
    Itip212,
    /// GID-96 (`35`).
    Gid96,
}

impl EpcBinaryScheme {
    /// Every scheme.
    pub const ALL: [Self; 19] = [
        Self::Sgtin96,
        Self::Sgtin198,
        Self::Sscc96,
        Self::Sgln96,
        Self::Sgln195,
        Self::Grai96,
        Self::Grai170,
        Self::Giai96,
        Self::Giai202,
        Self::Gsrn96,
        Self::Gsrnp96,
        Self::Gdti96,
        Self::Gdti174,
        Self::Cpi96,
        Self::CpiVar,
        Self::Sgcn96,
        Self::Itip110,
        Self::Itip212,
        Self::Gid96,
    ];

    /// The 8-bit header (TDS Table 14-1).
    ///
    /// ```
    /// assert_eq!(tracecode::code::gs1::epc_binary::EpcBinaryScheme::Sgtin96.header(), 0x30);
    /// ```
    pub const fn header(self) -> u8 {
        match self {
            Self::Sgtin96 => 0x30,
            Self::Sgtin198 => 0x36,
            Self::Sscc96 => 0x31,
            Self::Sgln96 => 0x32,
            Self::Sgln195 => 0x39,
            Self::Grai96 => 0x33,
            Self::Grai170 => 0x37,
            Self::Giai96 => 0x34,
            Self::Giai202 => 0x38,
            Self::Gsrn96 => 0x2D,
            Self::Gsrnp96 => 0x2E,
            Self::Gdti96 => 0x2C,
            Self::Gdti174 => 0x3E,
            Self::Cpi96 => 0x3C,
            Self::CpiVar => 0x3D,
            Self::Sgcn96 => 0x3F,
            Self::Itip110 => 0x40,
            Self::Itip212 => 0x41,
            Self::Gid96 => 0x35,
        }
    }

    /// The encoded length in bits; `None` for CPI-var, whose length depends on its part reference.
    pub const fn bit_len(self) -> Option<u16> {
        Some(match self {
            Self::Sgtin198 => 198,
            Self::Sgln195 => 195,
            Self::Grai170 => 170,
            Self::Giai202 => 202,
            Self::Gdti174 => 174,
            Self::Itip110 => 110,
            Self::Itip212 => 212,
            Self::CpiVar => return None,
            _ => 96,
        })
    }

    /// The tag-URI name, e.g. `"sgtin-96"`.
    pub const fn tag_name(self) -> &'static str {
        match self {
            Self::Sgtin96 => "sgtin-96",
            Self::Sgtin198 => "sgtin-198",
            Self::Sscc96 => "sscc-96",
            Self::Sgln96 => "sgln-96",
            Self::Sgln195 => "sgln-195",
            Self::Grai96 => "grai-96",
            Self::Grai170 => "grai-170",
            Self::Giai96 => "giai-96",
            Self::Giai202 => "giai-202",
            Self::Gsrn96 => "gsrn-96",
            Self::Gsrnp96 => "gsrnp-96",
            Self::Gdti96 => "gdti-96",
            Self::Gdti174 => "gdti-174",
            Self::Cpi96 => "cpi-96",
            Self::CpiVar => "cpi-var",
            Self::Sgcn96 => "sgcn-96",
            Self::Itip110 => "itip-110",
            Self::Itip212 => "itip-212",
            Self::Gid96 => "gid-96",
        }
    }

    /// The EPC scheme this coding encodes.
    pub const fn scheme(self) -> EpcScheme {
        match self {
            Self::Sgtin96 | Self::Sgtin198 => EpcScheme::Sgtin,
            Self::Sscc96 => EpcScheme::Sscc,
            Self::Sgln96 | Self::Sgln195 => EpcScheme::Sgln,
            Self::Grai96 | Self::Grai170 => EpcScheme::Grai,
            Self::Giai96 | Self::Giai202 => EpcScheme::Giai,
            Self::Gsrn96 => EpcScheme::Gsrn,
            Self::Gsrnp96 => EpcScheme::Gsrnp,
            Self::Gdti96 | Self::Gdti174 => EpcScheme::Gdti,
            Self::Cpi96 | Self::CpiVar => EpcScheme::Cpi,
            Self::Sgcn96 => EpcScheme::Sgcn,
            Self::Itip110 | Self::Itip212 => EpcScheme::Itip,
            Self::Gid96 => EpcScheme::Gid,
        }
    }

    /// The scheme with header `h`, if supported.
    ///
    /// ```
    /// use tracecode::code::gs1::epc_binary::EpcBinaryScheme;
    /// assert_eq!(EpcBinaryScheme::from_header(0x36), Some(EpcBinaryScheme::Sgtin198));
    /// assert_eq!(EpcBinaryScheme::from_header(0xE2), None);
    /// ```
    pub fn from_header(h: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.header() == h)
    }

    /// The scheme with tag-URI name `name` (exact spelling, e.g. `"sgtin-96"`).
    pub fn from_tag_name(name: &str) -> Option<Self> {
        Self::from_tag_name_case(name, false)
    }

    pub(crate) fn from_tag_name_case(name: &str, any_case: bool) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| if any_case { s.tag_name().eq_ignore_ascii_case(name) } else { s.tag_name() == name })
    }

    /// The alphanumeric sibling of a numeric 96-bit scheme, named in "does not fit" errors.
    const fn wider(self) -> Option<Self> {
        match self {
            Self::Sgtin96 => Some(Self::Sgtin198),
            Self::Sgln96 => Some(Self::Sgln195),
            Self::Grai96 => Some(Self::Grai170),
            Self::Giai96 => Some(Self::Giai202),
            Self::Gdti96 => Some(Self::Gdti174),
            Self::Cpi96 => Some(Self::CpiVar),
            Self::Itip110 => Some(Self::Itip212),
            _ => None,
        }
    }

    fn display(self) -> String {
        self.tag_name().to_ascii_uppercase()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Coding tables

/// The segment after filter and partition: company prefix plus reference.
#[derive(Clone, Copy, Debug)]
enum Field {
    /// "Partition Table": CP and reference both zero-padded digits, `total` digits and `bits` bits together.
    Padded { bits: u8, total: u8 },
    /// "Unpadded Partition Table": the reference is an integer without leading zeros.
    Unpadded { bits: u8 },
    /// "String Partition Table": the reference is 7-bit ASCII, at most 30 − L characters.
    String7 { bits: u8 },
    /// "6-Bit Variable String Partition Table" (CPI-var): 6-bit characters ending with `000000`.
    Var6,
}

/// The last segment.
#[derive(Clone, Copy, Debug)]
enum Tail {
    None,
    /// Reserved bits that must be zero.
    Reserved(u8),
    /// "Integer": no leading zeros.
    Integer(u8),
    /// "String": 7-bit ASCII, zero-terminated and padded.
    String7(u8),
    /// "Numeric String": a `1` digit prepended to keep leading zeros (SGCN).
    NumericString(u8),
}

#[derive(Clone, Copy, Debug)]
struct Coding {
    field: Field,
    piece_total: bool,
    tail: Tail,
}

/// The coding table of each scheme (TDS §14.5, codes.md §5.5).
const fn coding(s: EpcBinaryScheme) -> Coding {
    use EpcBinaryScheme as B;
    const GTIN: Field = Field::Padded { bits: 44, total: 13 };
    const SSCC: Field = Field::Padded { bits: 58, total: 17 };
    const GLN: Field = Field::Padded { bits: 41, total: 12 };
    const GRAI: Field = Field::Padded { bits: 44, total: 12 };
    let (field, tail) = match s {
        B::Sgtin96 | B::Itip110 => (GTIN, Tail::Integer(38)),
        B::Sgtin198 | B::Itip212 => (GTIN, Tail::String7(140)),
        B::Sscc96 | B::Gsrn96 | B::Gsrnp96 | B::Gid96 => (SSCC, Tail::Reserved(24)),
        B::Sgln96 | B::Gdti96 => (GLN, Tail::Integer(41)),
        B::Sgln195 => (GLN, Tail::String7(140)),
        B::Gdti174 => (GLN, Tail::String7(119)),
        B::Sgcn96 => (GLN, Tail::NumericString(41)),
        B::Grai96 => (GRAI, Tail::Integer(38)),
        B::Grai170 => (GRAI, Tail::String7(112)),
        B::Giai96 => (Field::Unpadded { bits: 82 }, Tail::None),
        B::Giai202 => (Field::String7 { bits: 188 }, Tail::None),
        B::Cpi96 => (Field::Unpadded { bits: 51 }, Tail::Integer(31)),
        B::CpiVar => (Field::Var6, Tail::Integer(40)),
    };
    Coding { field, piece_total: matches!(s, B::Itip110 | B::Itip212), tail }
}

// ---------------------------------------------------------------------------------------------------------------
// Bit reader / writer (big-endian, bounded; a read past the end is an error, never a panic)

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    /// Reads `n` ≤ 64 bits as an unsigned integer, most significant first.
    fn read(&mut self, n: u8) -> Result<u64, Error> {
        let mut v = 0u64;
        for _ in 0..n.min(64) {
            let byte = self.bytes.get(self.pos / 8).ok_or_else(|| {
                Error::new(ErrorKind::Length, self.bytes.len(), 0, "the EPC is truncated: more bits are needed")
            })?;
            v = (v << 1) | u64::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Ok(v)
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    len: usize,
}

impl BitWriter {
    fn bit(&mut self, on: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if on && let Some(b) = self.bytes.last_mut() {
            *b |= 0x80 >> (self.len % 8);
        }
        self.len += 1;
    }

    /// Writes the low `n` ≤ 64 bits of `v`, most significant first.
    fn put(&mut self, v: u64, n: u8) {
        for i in (0..n.min(64)).rev() {
            self.bit((v >> i) & 1 == 1);
        }
    }

    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.bit(false);
        }
    }
}

/// A Corrupt error for the field at bits `bit..bit + nbits`, positioned in bytes.
fn corrupt(bit: usize, nbits: usize, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    let first = bit / 8;
    let last = (bit + nbits.max(1) - 1) / 8;
    Error::new(ErrorKind::Corrupt, first, last - first + 1, msg)
}

/// `v` as exactly `width` decimal digits, or `None` if it needs more.
fn padded(v: u64, width: usize) -> Option<String> {
    if width == 0 {
        return (v == 0).then(String::new);
    }
    let s = format!("{v:0width$}");
    (s.len() == width).then_some(s)
}

fn fits(v: u64, bits: u8) -> bool {
    bits >= 64 || v >> bits == 0
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/// A "Integer" segment value from its decimal text (TDS §14.3.1: no leading zeros, below 2^bits).
fn integer(s: &str, bits: u8, part: Part, scheme: EpcBinaryScheme) -> Result<u64, PartError> {
    let what = if part == Part::Serial {
        if scheme.scheme() == EpcScheme::Sgln { "extension" } else { "serial" }
    } else {
        "reference"
    };
    let why = if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        Some("it is not a number")
    } else if s.len() > 1 && s.starts_with('0') {
        Some("it has leading zeros")
    } else if !s.parse::<u64>().is_ok_and(|v| fits(v, bits)) {
        Some("it is too large")
    } else {
        None
    };
    match why {
        None => Ok(s.parse().unwrap_or(0)),
        Some(why) => {
            let hint = scheme.wider().map_or(String::new(), |w| format!(": it needs {}", w.display()));
            Err(perr(
                part,
                ErrorKind::Range,
                format!("{what} {s:?} does not fit {} ({why}, at most {bits} bits){hint}", scheme.display()),
            ))
        }
    }
}

fn put_string7(
    w: &mut BitWriter,
    s: &str,
    nbits: u8,
    max: usize,
    part: Part,
    scheme: EpcBinaryScheme,
) -> Result<(), PartError> {
    if s.len() > max {
        return Err(perr(
            part,
            ErrorKind::Range,
            format!("{} characters do not fit {}: at most {max}", s.len(), scheme.display()),
        ));
    }
    for b in s.bytes() {
        if !is_cset82(b) {
            return Err(perr(part, ErrorKind::Charset, format!("character {:?} cannot be encoded", char::from(b))));
        }
        w.put(u64::from(b), 7);
    }
    w.zeros(usize::from(nbits).saturating_sub(7 * s.len()));
    Ok(())
}

fn put_var6(w: &mut BitWriter, s: &str, max: usize) -> Result<(), PartError> {
    if s.is_empty() || s.len() > max {
        return Err(perr(
            Part::Reference,
            ErrorKind::Range,
            format!("CPI-var holds a part reference of 1 to {max} characters, found {}", s.len()),
        ));
    }
    for b in s.bytes() {
        if !is_cset39(b) {
            return Err(perr(
                Part::Reference,
                ErrorKind::Charset,
                format!("character {:?} cannot be encoded", char::from(b)),
            ));
        }
        // TDS Table G-1: the 6-bit code is the low six bits of the ASCII code.
        w.put(u64::from(b & 0x3F), 6);
    }
    w.put(0, 6);
    Ok(())
}

/// Encodes validated-or-not parts as `scheme`; returns the bytes (zero-padded to a whole byte) and the bit length.
pub(crate) fn encode_parts(p: &Parts, scheme: EpcBinaryScheme, filter: u8) -> Result<(Vec<u8>, u16), PartError> {
    if filter > 7 {
        return Err(perr(Part::Filter, ErrorKind::InvalidArgument, format!("filter value {filter} must be 0 to 7")));
    }
    if scheme == EpcBinaryScheme::Gid96 || scheme.scheme() != p.scheme {
        let msg = format!("a {} EPC cannot be encoded as {}", p.scheme.as_str().to_ascii_uppercase(), scheme.display());
        return Err(perr(Part::Cp, ErrorKind::InvalidArgument, msg));
    }
    check_parts(p)?;
    let cp_len = p.cp.len();
    let partition = 12usize.checked_sub(cp_len).filter(|&x| x <= 6).ok_or_else(|| {
        perr(
            Part::Cp,
            ErrorKind::Range,
            format!("a company prefix of {cp_len} digits cannot be encoded in binary (6 to 12 digits)"),
        )
    })?;
    let cp_bits = CP_BITS.get(partition).copied().unwrap_or(40);
    let mut out = BitWriter::default();
    out.put(u64::from(scheme.header()), 8);
    out.put(u64::from(filter), 3);
    out.put(u64::try_from(partition).unwrap_or(0), 3);
    out.put(p.cp.parse().unwrap_or(0), cp_bits);
    let cod = coding(scheme);
    let max_chars = 30 - cp_len;
    match cod.field {
        Field::Padded { bits, .. } => out.put(p.reference.parse().unwrap_or(0), bits - cp_bits),
        Field::Unpadded { bits } => {
            out.put(integer(&p.reference, bits - cp_bits, Part::Reference, scheme)?, bits - cp_bits);
        }
        Field::String7 { bits } => {
            put_string7(&mut out, &p.reference, bits - cp_bits, max_chars, Part::Reference, scheme)?;
        }
        Field::Var6 => put_var6(&mut out, &p.reference, max_chars)?,
    }
    if cod.piece_total {
        out.put(u64::from(p.piece), 7);
        out.put(u64::from(p.total), 7);
    }
    match cod.tail {
        Tail::None => {}
        Tail::Reserved(n) => out.put(0, n),
        Tail::Integer(n) => out.put(integer(&p.serial, n, Part::Serial, scheme)?, n),
        Tail::String7(n) => put_string7(&mut out, &p.serial, n, usize::from(n / 7), Part::Serial, scheme)?,
        Tail::NumericString(n) => {
            // TDS §14.3.6: prepend "1" so leading zeros survive.
            let v = format!("1{}", p.serial).parse::<u64>().ok().filter(|&v| fits(v, n)).ok_or_else(|| {
                perr(Part::Serial, ErrorKind::Range, format!("serial {:?} does not fit {}", p.serial, scheme.display()))
            })?;
            out.put(v, n);
        }
    }
    let bits = u16::try_from(out.len).unwrap_or(u16::MAX);
    Ok((out.bytes, bits))
}

/// Encodes the first EPC-capable key of `gs1` (see [`super::epc_uri::to_epc_uri`] for the key → scheme rules)
/// as binary `scheme` with `filter`. The result has `ceil(bits / 8)` bytes, zero bits after the EPC.
///
/// # Errors
/// - [`ErrorKind::InvalidArgument`]: `filter` above 7, or `scheme` is for another key (or GID-96);
/// - [`ErrorKind::CompanyPrefix`]: `gcp` does not know the company-prefix length;
/// - [`ErrorKind::Range`]: restricted GTIN ranges, a company prefix outside 6–12 digits, or a value that does
///   not fit (a 96-bit serial must be a number below 2^38 without leading zeros: "serial needs SGTIN-198").
///
/// ```
/// use tracecode::code::{ParseOptions, CodeData};
/// use tracecode::code::gs1::{epc_binary::{EpcBinaryScheme, encode_epc}, epc_uri::parse_epc_uri, gcp::GcpTable};
/// let (CodeData::Gs1(gs1), _) = parse_epc_uri("urn:epc:id:sgtin:0614141.812345.6789", &ParseOptions::new())? else {
///     unreachable!()
/// };
/// let bytes = encode_epc(&gs1, EpcBinaryScheme::Sgtin96, 3, &GcpTable::examples())?;
/// assert_eq!(bytes, [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85]);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn encode_epc(
    gs1: &Gs1,
    scheme: EpcBinaryScheme,
    filter: u8,
    gcp: &dyn CompanyPrefixLengths,
) -> Result<Vec<u8>, Error> {
    if filter > 7 {
        return Err(Error::msg(ErrorKind::InvalidArgument, format!("filter value {filter} must be 0 to 7")));
    }
    if scheme == EpcBinaryScheme::Gid96 {
        return Err(Error::msg(ErrorKind::InvalidArgument, "GID-96 has no GS1 form: use encode_gid"));
    }
    let (p, span) = gs1_to_parts(gs1, gcp, true)?;
    encode_parts(&p, scheme, filter).map(|(b, _)| b).map_err(|e| e.at(span.at, span.len))
}

/// Encodes a GID as GID-96 (12 bytes).
///
/// # Errors
/// [`ErrorKind::Range`] if a field exceeds its bit width (manager 28, class 24, serial 36 bits).
///
/// ```
/// use tracecode::code::gs1::{epc_binary::encode_gid, epc_uri::Gid};
/// let b = encode_gid(&Gid { manager: 31415, class: 271828, serial: 1414 })?;
/// assert_eq!(b, [0x35, 0x00, 0x07, 0xAB, 0x70, 0x42, 0x5D, 0x40, 0x00, 0x00, 0x05, 0x86]);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn encode_gid(g: &Gid) -> Result<Vec<u8>, Error> {
    let (m, c, s) = (u64::from(g.manager), u64::from(g.class), g.serial);
    if m > GID_MAX.0 || c > GID_MAX.1 || s > GID_MAX.2 {
        return Err(Error::msg(ErrorKind::Range, "GID-96 fields are limited to 28, 24 and 36 bits"));
    }
    let mut out = BitWriter::default();
    out.put(u64::from(EpcBinaryScheme::Gid96.header()), 8);
    out.put(m, 28);
    out.put(c, 24);
    out.put(s, 36);
    Ok(out.bytes)
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/// A decoded EPC before conversion to GS1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    Epc { parts: Parts, scheme: EpcBinaryScheme, filter: u8, bits: u16 },
    Gid(Gid),
}

/// The TDS 2.x scheme names of headers `E6`–`FD` (TDS 2.3 Table 14-1).
fn plus_scheme(h: u8) -> Option<&'static str> {
    const NAMES: [&str; 24] = [
        "CPI++", "GSRN++", "GSRNP++", "SGLN++", "GDTI++", "GRAI++", "SGCN++", "ITIP++", "GIAI++", "SSCC++", "CPI+",
        "GRAI+", "SGLN+", "ITIP+", "GSRN+", "GSRNP+", "GDTI+", "SGTIN+", "SGCN+", "SSCC+", "GIAI+", "DSGTIN+",
        "DSGTIN++", "SGTIN++",
    ];
    h.checked_sub(0xE6).and_then(|i| NAMES.get(usize::from(i))).copied()
}

fn header_error(h: u8) -> Error {
    let (kind, msg) = match h {
        0x00 => (ErrorKind::Empty, "unprogrammed tag: the EPC header is 00".to_owned()),
        0xE2 => (ErrorKind::Unsupported, "this is TID memory, not an EPC: read the EPC bank".to_owned()),
        0x2F => (ErrorKind::Unsupported, "USDoD-96 EPCs (header 2F) are not supported".to_owned()),
        0x3A => {
            (ErrorKind::Unsupported, "GDTI-113 (header 3A) is deprecated since TDS 1.9 and not supported".to_owned())
        }
        0x3B => (ErrorKind::Unsupported, "ADI-var EPCs (header 3B) are not supported".to_owned()),
        _ => match plus_scheme(h) {
            Some(name) => {
                (ErrorKind::Unsupported, format!("TDS 2.x {name} EPCs (header {h:02X}) are not supported yet"))
            }
            None => (
                ErrorKind::Unsupported,
                format!("unknown EPC header {h:02X} (reserved, or a deprecated 64-bit scheme)"),
            ),
        },
    };
    Error::new(kind, 0, 1, msg)
}

/// Decodes a 7-bit string of `nbits` bits holding 1 to `max` characters (TDS §14.4.2 / §14.4.5).
fn read_string7(r: &mut BitReader<'_>, nbits: u8, max: usize, what: &str) -> Result<String, Error> {
    let start = r.pos;
    let mut s = String::new();
    let mut ended = false;
    for _ in 0..nbits / 7 {
        let pos = r.pos;
        let c = r.read(7)?;
        if c == 0 {
            ended = true;
            continue;
        }
        let b = u8::try_from(c).unwrap_or(0);
        if ended {
            return Err(corrupt(pos, 7, format!("{what} has a character after its terminating zero")));
        }
        if !is_cset82(b) {
            return Err(corrupt(pos, 7, format!("{what} holds byte {b:02X}, not a GS1 character")));
        }
        s.push(char::from(b));
    }
    let pos = r.pos;
    if r.read(nbits % 7)? != 0 {
        return Err(corrupt(pos, usize::from(nbits % 7), format!("{what} padding bits are not zero")));
    }
    if s.is_empty() || s.len() > max {
        return Err(corrupt(
            start,
            usize::from(nbits),
            format!("{what} must have 1 to {max} characters, found {}", s.len()),
        ));
    }
    Ok(s)
}

/// Decodes a CPI-var part reference: 6-bit characters up to a `000000` terminator (TDS §14.4.9).
fn read_var6(r: &mut BitReader<'_>, max: usize) -> Result<String, Error> {
    let start = r.pos;
    let mut s = String::new();
    loop {
        let pos = r.pos;
        let c = r.read(6)?;
        if c == 0 {
            break;
        }
        if s.len() >= max {
            return Err(corrupt(
                start,
                pos + 6 - start,
                format!("part reference is not terminated within {max} characters"),
            ));
        }
        let b = u8::try_from(c).unwrap_or(0);
        let ch = if b < 0x20 { b | 0x40 } else { b };
        if !is_cset39(ch) {
            return Err(corrupt(pos, 6, format!("part reference holds 6-bit code {b:02X}, not a CPI character")));
        }
        s.push(char::from(ch));
    }
    if s.is_empty() {
        return Err(corrupt(start, 6, "part reference is empty"));
    }
    Ok(s)
}

/// Decodes the fields after the header of a partitioned (GS1) scheme.
fn decode_partitioned(r: &mut BitReader<'_>, scheme: EpcBinaryScheme) -> Result<Decoded, Error> {
    let filter = u8::try_from(r.read(3)?).unwrap_or(0);
    let ppos = r.pos;
    let partition = usize::try_from(r.read(3)?).unwrap_or(7);
    let cp_bits = CP_BITS.get(partition).copied().ok_or_else(|| corrupt(ppos, 3, "partition value 7 is invalid"))?;
    let cp_len = 12 - partition;
    let mut at = [0usize; 6];
    at[1] = r.pos;
    let v = r.read(cp_bits)?;
    let cp = padded(v, cp_len).ok_or_else(|| {
        corrupt(at[1], usize::from(cp_bits), format!("company prefix field holds {v}, more than {cp_len} digits"))
    })?;
    let cod = coding(scheme);
    at[2] = r.pos;
    let reference = match cod.field {
        Field::Padded { bits, total } => {
            let n = bits - cp_bits;
            let ref_len = usize::from(total) - cp_len;
            let v = r.read(n)?;
            padded(v, ref_len).ok_or_else(|| {
                corrupt(at[2], usize::from(n), format!("reference field holds {v}, more than {ref_len} digits"))
            })?
        }
        Field::Unpadded { bits } => r.read(bits - cp_bits)?.to_string(),
        Field::String7 { bits } => read_string7(r, bits - cp_bits, 30 - cp_len, "asset reference")?,
        Field::Var6 => read_var6(r, 30 - cp_len)?,
    };
    let mut p = Parts { scheme: scheme.scheme(), cp, reference, piece: 0, total: 0, serial: String::new() };
    if cod.piece_total {
        at[3] = r.pos;
        p.piece = u8::try_from(r.read(7)?).unwrap_or(u8::MAX);
        at[4] = r.pos;
        p.total = u8::try_from(r.read(7)?).unwrap_or(u8::MAX);
    }
    at[5] = r.pos;
    p.serial = match cod.tail {
        Tail::None => String::new(),
        Tail::Reserved(n) => {
            if r.read(n)? != 0 {
                return Err(corrupt(at[5], usize::from(n), "reserved bits are not zero"));
            }
            String::new()
        }
        Tail::Integer(n) => r.read(n)?.to_string(),
        Tail::String7(n) => read_string7(r, n, usize::from(n / 7), "serial")?,
        Tail::NumericString(n) => {
            let v = r.read(n)?.to_string();
            v.strip_prefix('1').filter(|s| !s.is_empty()).map(str::to_owned).ok_or_else(|| {
                corrupt(
                    at[5],
                    usize::from(n),
                    format!("SGCN serial field holds {v}: it must be 1 followed by the serial"),
                )
            })?
        }
    };
    // Values the bits can hold but GS1 does not allow (piece 0, CPI-var serial over 12 digits, ...).
    check_parts(&p).and_then(|()| check_strict(&p)).map_err(|e| {
        let i = [Part::Filter, Part::Cp, Part::Reference, Part::Piece, Part::Total, Part::Serial]
            .iter()
            .position(|x| *x == e.part)
            .unwrap_or(1);
        let err = corrupt(at.get(i).copied().unwrap_or(0), 1, e.msg);
        // A restricted GTIN is well-formed data that SHALL NOT be an EPC: keep its Range kind.
        if e.kind == ErrorKind::Range { err.with_kind(ErrorKind::Range) } else { err }
    })?;
    let bits = u16::try_from(r.pos).unwrap_or(u16::MAX);
    Ok(Decoded::Epc { parts: p, scheme, filter, bits })
}

/// Decodes the EPC in `bytes` without converting it to GS1.
pub(crate) fn decode_raw(bytes: &[u8]) -> Result<Decoded, Error> {
    let &h = bytes.first().ok_or_else(|| Error::new(ErrorKind::Empty, 0, 0, "no EPC bytes"))?;
    if bytes.len() > MAX_BYTES {
        return Err(Error::new(
            ErrorKind::Length,
            MAX_BYTES,
            bytes.len() - MAX_BYTES,
            format!("an EPC has at most {MAX_BYTES} bytes"),
        ));
    }
    let scheme = EpcBinaryScheme::from_header(h).ok_or_else(|| header_error(h))?;
    if let Some(bits) = scheme.bit_len() {
        let need = usize::from(bits).div_ceil(8);
        if bytes.len() < need {
            return Err(Error::new(
                ErrorKind::Length,
                bytes.len(),
                0,
                format!("{} needs {need} bytes, found {}: the read is truncated", scheme.display(), bytes.len()),
            ));
        }
    }
    let mut r = BitReader { bytes, pos: 8 };
    let decoded = if scheme == EpcBinaryScheme::Gid96 {
        let (manager, class, serial) = (r.read(28)?, r.read(24)?, r.read(36)?);
        Decoded::Gid(Gid {
            manager: u32::try_from(manager).unwrap_or(0),
            class: u32::try_from(class).unwrap_or(0),
            serial,
        })
    } else {
        decode_partitioned(&mut r, scheme)?
    };
    // Readers return whole words: only zero bits may follow the EPC.
    let end = r.pos;
    if let Some(bit) = (end..bytes.len() * 8).find(|&i| bytes.get(i / 8).is_some_and(|b| (b >> (7 - i % 8)) & 1 == 1)) {
        return Err(Error::new(
            ErrorKind::Corrupt,
            bit / 8,
            bytes.len() - bit / 8,
            format!(
                "bits after the {end}-bit {} EPC are not zero: the read may include the PC word or CRC, or the tag \
                 holds other data",
                scheme.display()
            ),
        ));
    }
    Ok(decoded)
}

/// Decodes the EPC bank contents (starting at the EPC header, bit 20h of the bank) into GS1 data (or a GID).
///
/// Trailing zero bits (word padding) are accepted.
///
/// # Errors
/// - [`ErrorKind::Empty`]: no bytes, or header `00` (unprogrammed tag);
/// - [`ErrorKind::Unsupported`]: `E2` (TID memory), TDS 2.x `+` headers, deprecated or unknown headers;
/// - [`ErrorKind::Length`]: fewer bytes than the scheme needs;
/// - [`ErrorKind::Corrupt`]: partition 7, a field value too large for its digits, bad characters, non-zero
///   reserved or trailing bits;
/// - [`ErrorKind::Range`]: a GTIN that TDS §7.3 forbids as an EPC (restricted range, GTIN-8 with a company prefix
///   other than `00000NNN`), so every decoded EPC re-encodes to the same bits.
///
/// Offsets are byte offsets of the bad field.
///
/// ```
/// use tracecode::code::gs1::epc_binary::decode_epc;
/// let (data, info) = decode_epc(&[0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85])?;
/// let gs1 = match data { tracecode::code::CodeData::Gs1(g) => g, _ => unreachable!() };
/// assert_eq!((gs1.get("01"), gs1.get("21")), (Some("80614141123458"), Some("6789")));
/// assert_eq!((info.filter, info.gcp_len, info.tag_bits), (Some(3), Some(7), Some(96)));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn decode_epc(bytes: &[u8]) -> Result<(CodeData, EpcInfo), Error> {
    match decode_raw(bytes)? {
        Decoded::Gid(g) => Ok((
            CodeData::Gid(g),
            EpcInfo {
                scheme: EpcScheme::Gid,
                filter: None,
                gcp_len: None,
                tag_bits: Some(96),
                binary: Some(EpcBinaryScheme::Gid96),
            },
        )),
        Decoded::Epc { parts, scheme, filter, bits } => {
            let gs1 = parts_to_gs1(&parts)?;
            let info = EpcInfo {
                scheme: parts.scheme,
                filter: Some(filter),
                gcp_len: u8::try_from(parts.cp.len()).ok(),
                tag_bits: Some(bits),
                binary: Some(scheme),
            };
            Ok((CodeData::Gs1(gs1), info))
        }
    }
}

/// Decodes an EPC given as hex (either case, optional `0x`, surrounding whitespace), as readers print it.
///
/// # Errors
/// As [`decode_epc`], plus [`ErrorKind::Syntax`] for a non-hex character and [`ErrorKind::Length`] for an odd
/// number of hex digits. Offsets are in characters of `hex` (twice the byte offset, plus any prefix).
///
/// ```
/// let (_, info) = tracecode::code::gs1::epc_binary::decode_epc_hex(" 0x3074257bf7194e4000001a85 ")?;
/// assert_eq!(info.gcp_len, Some(7));
/// let err = tracecode::code::gs1::epc_binary::decode_epc_hex("E2801160600002").unwrap_err();
/// assert_eq!(err.kind(), tracecode::ErrorKind::Unsupported);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn decode_epc_hex(hex: &str) -> Result<(CodeData, EpcInfo), Error> {
    let t = hex.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let mut base = hex.len() - t.len();
    let mut t = t.trim_end_matches(|c: char| c.is_ascii_whitespace());
    if let Some(rest) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        t = rest;
        base += 2;
    }
    if t.is_empty() {
        return Err(Error::new(ErrorKind::Empty, base, 0, "no EPC hex digits"));
    }
    if t.len() > MAX_BYTES * 2 {
        return Err(Error::new(
            ErrorKind::Length,
            base + MAX_BYTES * 2,
            t.len() - MAX_BYTES * 2,
            "EPC hex is too long",
        ));
    }
    if let Some(i) = t.bytes().position(|b| !b.is_ascii_hexdigit()) {
        let n = t.get(i..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
        return Err(Error::new(ErrorKind::Syntax, base + i, n, "EPC hex may hold only 0-9 and A-F"));
    }
    if t.len() % 2 == 1 {
        return Err(Error::new(
            ErrorKind::Length,
            base + t.len() - 1,
            1,
            format!("odd number of hex digits ({}): the last byte is incomplete", t.len()),
        ));
    }
    let bytes: Vec<u8> = t
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [a, b] => crate::hex::digit(*a).unwrap_or(0) * 16 + crate::hex::digit(*b).unwrap_or(0),
            _ => 0,
        })
        .collect();
    decode_epc(&bytes).map_err(|e| match e.position() {
        Some((o, l)) => e.at(base + 2 * o, 2 * l),
        None => e,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::code::ParseOptions;
    use crate::code::gs1::epc_uri::tests::{arb_parts, checked, gs1, strict_ok};
    use crate::code::gs1::epc_uri::{parse_epc_uri, tag_uri, to_epc_uri};
    use crate::code::gs1::gcp::{FixedGcpLength, GcpTable};

    fn unhex(h: &str) -> Vec<u8> {
        let h = if h.len() % 2 == 1 { format!("{h}0") } else { h.to_owned() };
        (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
    }

    /// The first `bits` bits of `a` and `b` are equal.
    fn same_bits(a: &[u8], b: &[u8], bits: usize) -> bool {
        (0..bits).all(|i| {
            let bit = |x: &[u8]| x.get(i / 8).map(|y| (y >> (7 - i % 8)) & 1);
            bit(a) == bit(b)
        })
    }

    type Row = (EpcBinaryScheme, u8, &'static [(&'static str, &'static str)], &'static str, &'static str);

    /// codes.md §5.6 (TDS 1.13 Annex E.3); GCP 0614141 or 4012345, both 7 digits.
    const ROWS: &[Row] = &[
        (
            EpcBinaryScheme::Sgtin96,
            3,
            &[("01", "80614141123458"), ("21", "6789")],
            "urn:epc:id:sgtin:0614141.812345.6789",
            "3074257BF7194E4000001A85",
        ),
        (
            EpcBinaryScheme::Sgtin198,
            3,
            &[("01", "70614141123451"), ("21", "32a/b")],
            "urn:epc:id:sgtin:0614141.712345.32a%2Fb",
            "3674257BF6B7A659B2C2BF100000000000000000000000000000",
        ),
        (
            EpcBinaryScheme::Sscc96,
            3,
            &[("00", "106141412345678908")],
            "urn:epc:id:sscc:0614141.1234567890",
            "3174257BF4499602D2000000",
        ),
        (
            EpcBinaryScheme::Sgln96,
            3,
            &[("414", "0614141123452"), ("254", "5678")],
            "urn:epc:id:sgln:0614141.12345.5678",
            "3274257BF46072000000162E",
        ),
        (
            EpcBinaryScheme::Sgln195,
            3,
            &[("414", "0614141123452"), ("254", "32a/b")],
            "urn:epc:id:sgln:0614141.12345.32a%2Fb",
            "3974257BF46072CD9615F8800000000000000000000000000",
        ),
        (
            EpcBinaryScheme::Grai96,
            3,
            &[("8003", "006141411234525678")],
            "urn:epc:id:grai:0614141.12345.5678",
            "3374257BF40C0E400000162E",
        ),
        (
            EpcBinaryScheme::Grai170,
            3,
            &[("8003", "0061414112345232a/b")],
            "urn:epc:id:grai:0614141.12345.32a%2Fb",
            "3774257BF40C0E59B2C2BF100000000000000000000",
        ),
        (
            EpcBinaryScheme::Giai96,
            3,
            &[("8004", "06141415678")],
            "urn:epc:id:giai:0614141.5678",
            "3474257BF40000000000162E",
        ),
        (
            EpcBinaryScheme::Giai202,
            3,
            &[("8004", "061414132a/b")],
            "urn:epc:id:giai:0614141.32a%2Fb",
            "3874257BF59B2C2BF10000000000000000000000000000000000",
        ),
        (
            EpcBinaryScheme::Gsrn96,
            3,
            &[("8018", "061414112345678902")],
            "urn:epc:id:gsrn:0614141.1234567890",
            "2D74257BF4499602D2000000",
        ),
        (
            EpcBinaryScheme::Gsrnp96,
            3,
            &[("8017", "061414112345678902")],
            "urn:epc:id:gsrnp:0614141.1234567890",
            "2E74257BF4499602D2000000",
        ),
        (
            EpcBinaryScheme::Gdti96,
            3,
            &[("253", "06141411234525678")],
            "urn:epc:id:gdti:0614141.12345.5678",
            "2C74257BF46072000000162E",
        ),
        (
            EpcBinaryScheme::Gdti174,
            3,
            &[("253", "4012345987652ABCDefgh012345678")],
            "urn:epc:id:gdti:4012345.98765.ABCDefgh012345678",
            "3E74F4E4E7039B061438997367D0C18B266D1AB66EE0",
        ),
        (
            EpcBinaryScheme::Cpi96,
            3,
            &[("8010", "061414198765"), ("8011", "12345")],
            "urn:epc:id:cpi:0614141.98765.12345",
            "3C74257BF400C0E680003039",
        ),
        (
            EpcBinaryScheme::CpiVar,
            3,
            &[("8010", "06141415PQ7/Z43"), ("8011", "12345")],
            "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345",
            "3D74257BF75411DEF6B4CC00000003039",
        ),
        (
            EpcBinaryScheme::Sgcn96,
            3,
            &[("255", "401234567890104711")],
            "urn:epc:id:sgcn:4012345.67890.04711",
            "3F74F4E4E612640000019907",
        ),
        (
            EpcBinaryScheme::Itip110,
            0,
            &[("8006", "040123451234560102"), ("21", "981")],
            "urn:epc:id:itip:4012345.012345.01.02.981",
            "4014F4E4E40C0E40820000000F54",
        ),
        (
            EpcBinaryScheme::Itip212,
            0,
            &[("8006", "040123451234560102"), ("21", "mw133")],
            "urn:epc:id:itip:4012345.012345.01.02.mw133",
            "4114F4E4E40C0E4082DBDD8B36600000000000000000000000000000",
        ),
    ];

    fn decode_gs1(hex: &str) -> (Gs1, EpcInfo) {
        match decode_epc_hex(hex) {
            Ok((CodeData::Gs1(g), i)) => (g, i),
            other => panic!("{hex}: {other:?}"),
        }
    }

    #[test]
    fn worked_examples_decode() {
        for &(scheme, filter, pairs, uri, hex) in ROWS {
            let padded = if hex.len() % 2 == 1 { format!("{hex}0") } else { hex.to_owned() };
            let (g, info) = decode_gs1(&padded);
            assert_eq!(g, gs1(pairs), "{hex}");
            let bits = scheme.bit_len().unwrap_or(132);
            assert_eq!(
                info,
                EpcInfo {
                    scheme: scheme.scheme(),
                    filter: Some(filter),
                    gcp_len: Some(7),
                    tag_bits: Some(bits),
                    binary: Some(scheme)
                },
                "{hex}"
            );
            assert_eq!(to_epc_uri(&g, &FixedGcpLength(7)).unwrap(), uri);
            assert_eq!(decode_epc(&unhex(hex)).unwrap().0, CodeData::Gs1(gs1(pairs)));
        }
    }

    #[test]
    fn worked_examples_encode() {
        let table = GcpTable::examples();
        for &(scheme, filter, pairs, _, hex) in ROWS {
            let got = encode_epc(&gs1(pairs), scheme, filter, &table).unwrap();
            let bits = usize::from(scheme.bit_len().unwrap_or(132));
            assert_eq!(got.len(), bits.div_ceil(8), "{hex}");
            assert!(same_bits(&got, &unhex(hex), bits), "{scheme:?}: {got:02X?} vs {hex}");
        }
    }

    #[test]
    fn worked_examples_tag_uris() {
        for &(scheme, filter, pairs, uri, _) in ROWS {
            let tag =
                crate::code::gs1::epc_uri::to_epc_tag_uri(&gs1(pairs), &FixedGcpLength(7), scheme, filter).unwrap();
            let body = uri
                .split_once(':')
                .unwrap()
                .1
                .split_once(':')
                .unwrap()
                .1
                .split_once(':')
                .unwrap()
                .1
                .split_once(':')
                .unwrap()
                .1;
            assert_eq!(tag, format!("urn:epc:tag:{}:{filter}.{body}", scheme.tag_name()));
            let (d, info) = parse_epc_uri(&tag, &ParseOptions::new()).unwrap();
            assert_eq!(d, CodeData::Gs1(gs1(pairs)));
            assert_eq!(info.binary, Some(scheme));
        }
    }

    #[test]
    fn gid96() {
        let (d, info) = decode_epc_hex("350007AB70425D4000000586").unwrap();
        let g = Gid { manager: 31415, class: 271_828, serial: 1414 };
        assert_eq!(d, CodeData::Gid(g));
        assert_eq!((info.scheme, info.filter, info.gcp_len, info.tag_bits), (EpcScheme::Gid, None, None, Some(96)));
        assert_eq!(encode_gid(&g).unwrap(), unhex("350007AB70425D4000000586"));
        let too_big = Gid { manager: 1 << 28, class: 0, serial: 0 };
        assert_eq!(encode_gid(&too_big).unwrap_err().kind(), ErrorKind::Range);
        assert_eq!(encode_gid(&Gid { manager: 0, class: 0, serial: 1 << 36 }).unwrap_err().kind(), ErrorKind::Range);
    }

    #[test]
    fn refused_headers() {
        for (hex, kind, needle) in [
            ("E2801160600002054CC2096F", ErrorKind::Unsupported, "TID"),
            ("000000000000000000000000", ErrorKind::Empty, "unprogrammed"),
            ("F7000000000000000000000000", ErrorKind::Unsupported, "SGTIN+"),
            ("F2000000000000000000000000", ErrorKind::Unsupported, "SGLN+"),
            ("F9000000000000000000000000", ErrorKind::Unsupported, "SSCC+"),
            ("F8000000000000000000000000", ErrorKind::Unsupported, "SGCN+"),
            ("F5000000000000000000000000", ErrorKind::Unsupported, "GSRNP+"),
            ("FD000000000000000000000000", ErrorKind::Unsupported, "SGTIN++"),
            ("3A000000000000000000000000", ErrorKind::Unsupported, "GDTI-113"),
            ("3B000000000000000000000000", ErrorKind::Unsupported, "ADI"),
            ("2F000000000000000000000000", ErrorKind::Unsupported, "USDoD"),
            ("10000000000000000000000000", ErrorKind::Unsupported, "header 10"),
            ("FF000000000000000000000000", ErrorKind::Unsupported, "header FF"),
        ] {
            let e = decode_epc_hex(hex).unwrap_err();
            assert_eq!((e.kind(), e.offset(), e.len()), (kind, Some(0), Some(2)), "{hex}");
            assert!(e.message().contains(needle), "{hex}: {e}");
        }
    }

    #[test]
    fn corrupt_and_truncated() {
        // Partition 7: bits 11..14 → byte 1 → hex offset 2.
        let e = decode_epc_hex("307E257BF7194E4000001A85").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Corrupt, Some(2), Some(2)));
        let e = decode_epc(&unhex("307E257BF7194E4000001A85")).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Corrupt, Some(1), Some(1)));
        // Partition 0: a 40-bit CP of all ones exceeds 12 digits.
        let e = decode_epc_hex("3063FFFFFFFFFC0000000000").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Corrupt, Some(2)));
        assert!(e.message().contains("company prefix"), "{e}");
        // Partition 5: IR field (20 bits) holding 999999 + 1 = 1000000 > 6 digits.
        let mut b = unhex("3074257BF7194E4000001A85");
        // IR occupies bits 38..58; set it to 0xFFFFF.
        for i in 38..58 {
            b[i / 8] |= 0x80 >> (i % 8);
        }
        let e = decode_epc(&b).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Corrupt, Some(4)));
        // Trailing non-zero bits (a CRC after the EPC).
        let e = decode_epc_hex("3074257BF7194E4000001A85ABCD").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Corrupt, Some(24), Some(4)));
        assert!(decode_epc_hex("3074257BF7194E4000001A850000").is_ok());
        // SSCC reserved bits.
        let e = decode_epc_hex("3174257BF4499602D2000001").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Corrupt, Some(18)));
        // Truncated.
        let e = decode_epc_hex("3074257BF7194E4000001A").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Length, Some(22)));
        // A restricted GTIN (prefix 20, GCP 0200000) is refused with Range at the company prefix (byte 1).
        let p = Parts {
            scheme: EpcScheme::Sgtin,
            cp: "0200000".into(),
            reference: "012345".into(),
            piece: 0,
            total: 0,
            serial: "1".into(),
        };
        let (b, _) = encode_parts(&p, EpcBinaryScheme::Sgtin96, 1).unwrap();
        let e = decode_epc(&b).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Range, Some(1)));
        // SGCN serial without its leading 1.
        let e = decode_epc_hex("3F74F4E4E612640000000000").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        // ITIP piece 0.
        let mut b = unhex("4014F4E4E40C0E40820000000F54");
        b[7] = 0x00; // piece (bits 58..65) high part and total
        b[8] &= 0x3F;
        assert_eq!(decode_epc(&b).unwrap_err().kind(), ErrorKind::Corrupt);
        // A string serial with a character after its terminator, and one with a non-GS1 character (space).
        let mut b = unhex("3674257BF6B7A659B2C2BF100000000000000000000000000000");
        b[20] = 0x41;
        assert_eq!(decode_epc(&b).unwrap_err().kind(), ErrorKind::Corrupt);
        let sgtin198 = |serial: &[u8]| {
            let p = Parts {
                scheme: EpcScheme::Sgtin,
                cp: "0614141".into(),
                reference: "712345".into(),
                piece: 0,
                total: 0,
                serial: "A".into(),
            };
            let (mut bytes, _) = encode_parts(&p, EpcBinaryScheme::Sgtin198, 3).unwrap();
            // Serial starts at bit 58; overwrite its first 7-bit character.
            for (k, &ch) in serial.iter().enumerate() {
                for j in 0..7 {
                    let i = 58 + 7 * k + j;
                    bytes[i / 8] &= !(0x80 >> (i % 8));
                    if (ch >> (6 - j)) & 1 == 1 {
                        bytes[i / 8] |= 0x80 >> (i % 8);
                    }
                }
            }
            decode_epc(&bytes)
        };
        assert!(sgtin198(b"Z").is_ok());
        assert_eq!(sgtin198(b" ").unwrap_err().kind(), ErrorKind::Corrupt);
        assert_eq!(sgtin198(b"\0").unwrap_err().kind(), ErrorKind::Corrupt);
        assert_eq!(sgtin198(b"#").unwrap_err().offset(), Some(7));
    }

    #[test]
    fn hex_input_forms() {
        assert!(decode_epc_hex("3074257bf7194e4000001a85").is_ok());
        assert!(decode_epc_hex("  0X3074257BF7194E4000001A85\t").is_ok());
        let e = decode_epc_hex("3074257BF7194E4000001A8").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Length, Some(22), Some(1)));
        let e = decode_epc_hex(" 0x3074257BF7 194E4000001A85").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Syntax, Some(13), Some(1)));
        let e = decode_epc_hex("0x307E257BF7194E4000001A85").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Corrupt, Some(4), Some(2)));
        assert_eq!(decode_epc_hex("  ").unwrap_err().kind(), ErrorKind::Empty);
        assert_eq!(decode_epc_hex("0x").unwrap_err().kind(), ErrorKind::Empty);
        assert_eq!(decode_epc(&[]).unwrap_err().kind(), ErrorKind::Empty);
        assert_eq!(decode_epc_hex(&"30".repeat(65)).unwrap_err().kind(), ErrorKind::Length);
        assert_eq!(decode_epc_hex("é").unwrap_err().len(), Some(2));
    }

    #[test]
    fn encode_range_errors() {
        let gcp = FixedGcpLength(7);
        let sgtin = |serial: &str| gs1(&[("01", "80614141123458"), ("21", serial)]);
        for serial in ["274877906944", "06789", "32a/b", "99999999999999999999"] {
            let e = encode_epc(&sgtin(serial), EpcBinaryScheme::Sgtin96, 3, &gcp).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Range, "{serial}");
            assert!(e.message().contains("SGTIN-198"), "{e}");
        }
        assert!(encode_epc(&sgtin("274877906943"), EpcBinaryScheme::Sgtin96, 3, &gcp).is_ok());
        assert!(encode_epc(&sgtin("0"), EpcBinaryScheme::Sgtin96, 3, &gcp).is_ok());
        assert!(encode_epc(&sgtin("06789"), EpcBinaryScheme::Sgtin198, 3, &gcp).is_ok());
        // Company prefix outside 6..=12 digits has no partition.
        let e = encode_epc(&sgtin("1"), EpcBinaryScheme::Sgtin96, 3, &FixedGcpLength(5)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Range);
        // Wrong scheme, bad filter, GID.
        let e = encode_epc(&sgtin("1"), EpcBinaryScheme::Sscc96, 3, &gcp).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            encode_epc(&sgtin("1"), EpcBinaryScheme::Sgtin96, 8, &gcp).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            encode_epc(&sgtin("1"), EpcBinaryScheme::Gid96, 0, &gcp).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        // Restricted GTIN.
        let rcn = gs1(&[("01", &checked("0200000000001")), ("21", "1")]);
        assert_eq!(encode_epc(&rcn, EpcBinaryScheme::Sgtin96, 0, &gcp).unwrap_err().kind(), ErrorKind::Range);
        // GIAI-96 needs a number; GRAI-96, SGLN-96, GDTI-96 name their string siblings.
        let giai = gs1(&[("8004", "0614141ABC")]);
        let e = encode_epc(&giai, EpcBinaryScheme::Giai96, 0, &gcp).unwrap_err();
        assert!(e.message().contains("GIAI-202"), "{e}");
        let e = encode_epc(&gs1(&[("8003", "00614141123452A")]), EpcBinaryScheme::Grai96, 0, &gcp).unwrap_err();
        assert!(e.message().contains("GRAI-170"), "{e}");
        let e =
            encode_epc(&gs1(&[("414", "0614141123452"), ("254", "X")]), EpcBinaryScheme::Sgln96, 0, &gcp).unwrap_err();
        assert!(e.message().contains("SGLN-195"), "{e}");
        // CPI-96 serial 31 bits; CPI-96 part reference must be numeric.
        let cpi = gs1(&[("8010", "061414198765"), ("8011", "2147483648")]);
        assert!(encode_epc(&cpi, EpcBinaryScheme::Cpi96, 0, &gcp).unwrap_err().message().contains("CPI-VAR"));
        assert!(encode_epc(&cpi, EpcBinaryScheme::CpiVar, 0, &gcp).is_ok());
        // GTIN-8 and SGLN without extension.
        let g8 = gs1(&[("01", "00000095010939"), ("21", "1")]);
        let b = encode_epc(&g8, EpcBinaryScheme::Sgtin96, 1, &FixedGcpLength(7)).unwrap();
        let (d, info) = decode_epc(&b).unwrap();
        assert_eq!((d, info.gcp_len), (CodeData::Gs1(g8), Some(8)));
        let gln = gs1(&[("414", "0614141123452")]);
        let b = encode_epc(&gln, EpcBinaryScheme::Sgln96, 0, &gcp).unwrap();
        assert_eq!(decode_epc(&b).unwrap().0, CodeData::Gs1(gln));
    }

    #[test]
    fn scheme_tables() {
        for s in EpcBinaryScheme::ALL {
            assert_eq!(EpcBinaryScheme::from_header(s.header()), Some(s));
            assert_eq!(EpcBinaryScheme::from_tag_name(s.tag_name()), Some(s));
        }
        assert_eq!(EpcBinaryScheme::from_tag_name("SGTIN-96"), None);
        assert_eq!(EpcBinaryScheme::from_tag_name_case("SGTIN-96", true), Some(EpcBinaryScheme::Sgtin96));
    }

    /// Binary schemes other than GID, with whether their serial/reference are numeric.
    fn arb_binary() -> impl Strategy<Value = (EpcBinaryScheme, Parts, u8)> {
        let schemes: Vec<EpcBinaryScheme> =
            EpcBinaryScheme::ALL.into_iter().filter(|s| *s != EpcBinaryScheme::Gid96).collect();
        (proptest::sample::select(schemes), 6usize..=12, 0u8..8).prop_flat_map(|(s, l, f)| {
            let numeric = matches!(
                s,
                EpcBinaryScheme::Sgtin96
                    | EpcBinaryScheme::Sgln96
                    | EpcBinaryScheme::Grai96
                    | EpcBinaryScheme::Giai96
                    | EpcBinaryScheme::Gdti96
                    | EpcBinaryScheme::Cpi96
                    | EpcBinaryScheme::Itip110
            );
            (Just(s), arb_parts(s.scheme(), l, numeric), Just(f))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn sgtin96_round_trip(l in 6usize..=12, body in "[0-9]{13}", serial in 0u64..(1 << 38), filter in 0u8..8) {
            let gtin = checked(&body);
            let g = gs1(&[("01", &gtin), ("21", &serial.to_string())]);
            let rest = &gtin[1..];
            prop_assume!(restricted_ok(rest));
            let bytes = encode_epc(&g, EpcBinaryScheme::Sgtin96, filter, &FixedGcpLength(u8::try_from(l).unwrap())).unwrap();
            prop_assert_eq!(bytes.len(), 12);
            let (d, info) = decode_epc(&bytes).unwrap();
            prop_assert_eq!(d, CodeData::Gs1(g));
            let want = EpcInfo {
                scheme: EpcScheme::Sgtin,
                filter: Some(filter),
                gcp_len: Some(u8::try_from(l).unwrap()),
                tag_bits: Some(96),
                binary: Some(EpcBinaryScheme::Sgtin96),
            };
            prop_assert_eq!(info, want);
        }

        #[test]
        fn parts_round_trip_every_scheme((scheme, p, filter) in arb_binary()) {
            prop_assume!(strict_ok(&p));
            let (bytes, bits) = encode_parts(&p, scheme, filter).unwrap();
            if let Some(b) = scheme.bit_len() {
                prop_assert_eq!(bits, b);
            }
            let d = decode_raw(&bytes).unwrap();
            prop_assert_eq!(d, Decoded::Epc { parts: p.clone(), scheme, filter, bits });
            // Through GS1 and the public API.
            let g = parts_to_gs1(&p).unwrap();
            let again = encode_epc(&g, scheme, filter, &FixedGcpLength(u8::try_from(p.cp.len()).unwrap())).unwrap();
            prop_assert_eq!(&again, &bytes);
            let (d, info) = decode_epc(&bytes).unwrap();
            prop_assert_eq!(d, CodeData::Gs1(g));
            prop_assert_eq!(info.binary, Some(scheme));
        }

        #[test]
        fn fuzz_oracles_hold_for_generated_epcs((scheme, p, filter) in arb_binary()) {
            prop_assume!(strict_ok(&p));
            let (bytes, _) = encode_parts(&p, scheme, filter).unwrap();
            crate::fuzzing::epc_binary(&bytes);
            crate::fuzzing::epc_uri(tag_uri(&p, scheme, filter).as_bytes());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_epc(&bytes);
        }

        #[test]
        fn arbitrary_epcs_reencode(
            header in proptest::sample::select(EpcBinaryScheme::ALL.map(EpcBinaryScheme::header).to_vec()),
            rest in proptest::collection::vec(any::<u8>(), 11..30),
            trailing_zeros in any::<bool>(),
        ) {
            let mut bytes = vec![header];
            bytes.extend(rest);
            if trailing_zeros {
                // Clear everything after the scheme's length so more inputs decode.
                let bits = EpcBinaryScheme::from_header(header).and_then(EpcBinaryScheme::bit_len).map_or(bytes.len() * 8, usize::from);
                for i in bits..bytes.len() * 8 {
                    bytes[i / 8] &= !(0x80 >> (i % 8));
                }
            }
            match decode_raw(&bytes) {
                Ok(Decoded::Epc { parts, scheme, filter, bits }) => {
                    let (again, bits2) = encode_parts(&parts, scheme, filter).unwrap();
                    prop_assert_eq!(bits, bits2);
                    prop_assert!(same_bits(&again, &bytes, usize::from(bits)));
                    let (d, info) = decode_epc(&bytes).unwrap();
                    let CodeData::Gs1(g) = d else { panic!("not GS1") };
                    let pub_bytes = encode_epc(&g, scheme, filter, &FixedGcpLength(info.gcp_len.unwrap())).unwrap();
                    prop_assert_eq!(pub_bytes, again);
                }
                Ok(Decoded::Gid(g)) => {
                    let again = encode_gid(&g).unwrap();
                    prop_assert!(same_bits(&again, &bytes, 96));
                }
                Err(e) => prop_assert!(e.offset().unwrap() + e.len().unwrap() <= bytes.len().max(1), "{e:?}"),
            }
        }

        #[test]
        fn arbitrary_hex_never_panics(s in "[ 0-9a-fA-FxX]{0,70}") {
            let _ = decode_epc_hex(&s);
        }
    }

    fn restricted_ok(rest13: &str) -> bool {
        let p = Parts {
            scheme: EpcScheme::Sgtin,
            cp: rest13[..6].to_owned(),
            reference: format!("0{}", &rest13[6..12]),
            piece: 0,
            total: 0,
            serial: "1".into(),
        };
        strict_ok(&p)
    }
}
