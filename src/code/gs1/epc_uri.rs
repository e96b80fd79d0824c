//! EPC URIs (GS1 EPC Tag Data Standard 1.13, §6–8 and §12; codes.md §5): pure identity
//! (`urn:epc:id:sgtin:0614141.812345.6789`), tag (`urn:epc:tag:sgtin-96:3.0614141.812345.6789`), class
//! (`urn:epc:class:lgtin:…`), raw hex (`urn:epc:raw:96.x…`) and pattern (`urn:epc:idpat:sgtin:0614141.*.*`) URIs,
//! and their mapping to and from GS1 element lists.
//!
//! EPC → GS1 is lossless: move the indicator/extension digit to the front, append the mod-10 check digit.
//! GS1 → EPC needs the GS1 Company Prefix length, which an element string does not carry: callers pass a
//! [`CompanyPrefixLengths`] source (see [`super::gcp`]).
//!
//! Internally every EPC is first split into `Parts` (company prefix, reference, serial), the common currency of
//! this module and [`super::epc_binary`], so URI, binary and GS1 forms are converted through one validated shape.
//!
//! # Example
//! ```
//! use tracecode::code::{CodeData, ParseOptions};
//! use tracecode::code::gs1::{epc_uri::{EpcScheme, parse_epc_uri, to_epc_uri}, gcp::FixedGcpLength};
//!
//! // EPC → GS1 is lossless: the indicator digit moves to the front and the check digit is computed.
//! let (data, info) = parse_epc_uri("urn:epc:id:sgtin:0614141.107346.2017", &ParseOptions::new())?;
//! let CodeData::Gs1(gs1) = &data else { unreachable!() };
//! assert_eq!(gs1.to_bracketed(), "(01)10614141073464(21)2017");
//! assert_eq!((info.scheme, info.gcp_len), (EpcScheme::Sgtin, Some(7)));
//!
//! // GS1 → EPC needs the company-prefix length; another length gives another (equally valid) URI.
//! assert_eq!(to_epc_uri(gs1, &FixedGcpLength(7))?, "urn:epc:id:sgtin:0614141.107346.2017");
//! assert_eq!(to_epc_uri(gs1, &FixedGcpLength(9))?, "urn:epc:id:sgtin:061414107.1346.2017");
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

use super::epc_binary::{self, EpcBinaryScheme};
use super::gcp::{CompanyPrefixLengths, FixedGcpLength};
use super::{Gs1, lookup};
use crate::code::check::gs1_check_digit;
use crate::code::{CodeData, ParseOptions};
use crate::{Error, ErrorKind};

/// Longest EPC URI accepted (the longest real one, a GIAI or CPI with escapes, is well under 200 bytes).
const MAX_URI_LEN: usize = 512;

/// The EPC scheme (TDS §6.3), independent of the URI or binary spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EpcScheme {
    /// Serialised GTIN: (01) + (21).
    Sgtin,
    /// Serial Shipping Container Code: (00).
    Sscc,
    /// GLN with or without extension: (414) [+ (254)].
    Sgln,
    /// Global Returnable Asset Identifier with serial: (8003).
    Grai,
    /// Global Individual Asset Identifier: (8004).
    Giai,
    /// Global Service Relation Number, recipient: (8018).
    Gsrn,
    /// Global Service Relation Number, provider: (8017).
    Gsrnp,
    /// Global Document Type Identifier with serial: (253).
    Gdti,
    /// Component / Part Identifier: (8010) + (8011).
    Cpi,
    /// Serialised Global Coupon Number: (255) with serial.
    Sgcn,
    /// Individual Trade Item Piece: (8006) + (21).
    Itip,
    /// General Identifier (GID-96): no GS1 equivalent.
    Gid,
    /// GTIN + batch/lot, a class (not instance) identifier: (01) + (10).
    Lgtin,
    /// Global Identification Number for Consignment: (401).
    Ginc,
    /// Global Shipment Identification Number: (402).
    Gsin,
    /// Global Location Number of a party: (417).
    Pgln,
    /// Unit pack identifier (EU 2018/574 tobacco): (01) + (235).
    Upui,
}

impl EpcScheme {
    /// The scheme name as written in URIs, e.g. `"sgtin"`.
    ///
    /// ```
    /// assert_eq!(tracecode::code::gs1::epc_uri::EpcScheme::Gsrnp.as_str(), "gsrnp");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sgtin => "sgtin",
            Self::Sscc => "sscc",
            Self::Sgln => "sgln",
            Self::Grai => "grai",
            Self::Giai => "giai",
            Self::Gsrn => "gsrn",
            Self::Gsrnp => "gsrnp",
            Self::Gdti => "gdti",
            Self::Cpi => "cpi",
            Self::Sgcn => "sgcn",
            Self::Itip => "itip",
            Self::Gid => "gid",
            Self::Lgtin => "lgtin",
            Self::Ginc => "ginc",
            Self::Gsin => "gsin",
            Self::Pgln => "pgln",
            Self::Upui => "upui",
        }
    }

    /// Every scheme, in declaration order.
    pub const ALL: [Self; 17] = [
        Self::Sgtin,
        Self::Sscc,
        Self::Sgln,
        Self::Grai,
        Self::Giai,
        Self::Gsrn,
        Self::Gsrnp,
        Self::Gdti,
        Self::Cpi,
        Self::Sgcn,
        Self::Itip,
        Self::Gid,
        Self::Lgtin,
        Self::Ginc,
        Self::Gsin,
        Self::Pgln,
        Self::Upui,
    ];

    /// The scheme named `name` (URI spelling, compared ASCII case-insensitively when `any_case`).
    fn from_name(name: &str, any_case: bool) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| if any_case { s.as_str().eq_ignore_ascii_case(name) } else { s.as_str() == name })
    }
}

/// EPC details kept from an EPC read: what a GS1 element list cannot say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EpcInfo {
    /// The EPC scheme.
    pub scheme: EpcScheme,
    /// Filter value (0–7) from a tag URI or binary EPC; `None` for pure identities and GID.
    pub filter: Option<u8>,
    /// GS1 Company Prefix length in digits (the partition); `None` for GID.
    pub gcp_len: Option<u8>,
    /// Encoded length in bits (96, 198, ...) for tag URIs and binary EPCs; `None` for pure identities.
    pub tag_bits: Option<u16>,
    /// The binary coding scheme for tag URIs and binary EPCs (needed besides `tag_bits`: a CPI-var EPC can be
    /// 96 bits long, like CPI-96).
    pub binary: Option<EpcBinaryScheme>,
}

/// A GID-96 identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gid {
    /// General manager number (28 bits).
    pub manager: u32,
    /// Object class (24 bits).
    pub class: u32,
    /// Serial (36 bits).
    pub serial: u64,
}

/// Largest GID-96 field values (TDS §14.6.6: 28, 24 and 36 bits).
pub(crate) const GID_MAX: (u64, u64, u64) = ((1 << 28) - 1, (1 << 24) - 1, (1 << 36) - 1);

/// The pure-identity URI of a GID, e.g. `urn:epc:id:gid:31415.271828.1414`.
///
/// ```
/// use tracecode::code::gs1::epc_uri::{Gid, gid_uri};
/// assert_eq!(gid_uri(&Gid { manager: 31415, class: 271828, serial: 1414 }), "urn:epc:id:gid:31415.271828.1414");
/// ```
pub fn gid_uri(g: &Gid) -> String {
    format!("urn:epc:id:gid:{}.{}.{}", g.manager, g.class, g.serial)
}

/// The tag URI of a GID-96, e.g. `urn:epc:tag:gid-96:31415.271828.1414` (GID has no filter value).
///
/// ```
/// use tracecode::code::gs1::epc_uri::{Gid, gid_tag_uri};
/// assert_eq!(gid_tag_uri(&Gid { manager: 1, class: 2, serial: 3 }), "urn:epc:tag:gid-96:1.2.3");
/// ```
pub fn gid_tag_uri(g: &Gid) -> String {
    format!("urn:epc:tag:gid-96:{}.{}.{}", g.manager, g.class, g.serial)
}

// ---------------------------------------------------------------------------------------------------------------
// Parts: the split form shared by URIs, binary and GS1 conversion.

/// How the reference component (IR, SR, LR, AT, AR, DT, PR, CR, ...) is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefKind {
    /// Digits; CP + reference must total this many digits.
    Digits(u8),
    /// GS3A3 characters (GIAI asset reference, GINC consignment reference); CP + reference ≤ 30.
    Gs3a3,
    /// CPI component/part reference: `0-9 A-Z - / #`; CP + reference ≤ 30.
    CpRef,
}

/// How the last (serial) component is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SerialKind {
    /// The scheme has no serial component.
    None,
    /// GS3A3 characters, at most this many.
    Gs3a3(u8),
    /// Digits without leading zeros, at most 12 (AI 8011).
    Integer12,
    /// Digits, leading zeros significant, at most 12 (SGCN).
    Padded12,
}

#[derive(Clone, Copy, Debug)]
struct Layout {
    reference: RefKind,
    piece_total: bool,
    serial: SerialKind,
}

const fn layout(s: EpcScheme) -> Layout {
    use EpcScheme as S;
    let (reference, serial) = match s {
        S::Sgtin | S::Lgtin | S::Itip => (RefKind::Digits(13), SerialKind::Gs3a3(20)),
        S::Upui => (RefKind::Digits(13), SerialKind::Gs3a3(28)),
        S::Sscc | S::Gsrn | S::Gsrnp => (RefKind::Digits(17), SerialKind::None),
        S::Sgln => (RefKind::Digits(12), SerialKind::Gs3a3(20)),
        S::Grai => (RefKind::Digits(12), SerialKind::Gs3a3(16)),
        S::Gdti => (RefKind::Digits(12), SerialKind::Gs3a3(17)),
        S::Sgcn => (RefKind::Digits(12), SerialKind::Padded12),
        S::Pgln | S::Gid => (RefKind::Digits(12), SerialKind::None),
        S::Gsin => (RefKind::Digits(16), SerialKind::None),
        S::Giai | S::Ginc => (RefKind::Gs3a3, SerialKind::None),
        S::Cpi => (RefKind::CpRef, SerialKind::Integer12),
    };
    Layout { reference, piece_total: matches!(s, S::Itip), serial }
}

/// An EPC split into its URI components, values unescaped. For SSCC the reference starts with the extension
/// digit, for SGTIN/ITIP/LGTIN/UPUI with the indicator digit; for SGLN the serial is the extension (`"0"` = none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Parts {
    pub(crate) scheme: EpcScheme,
    pub(crate) cp: String,
    pub(crate) reference: String,
    /// ITIP piece number (1–99), 0 otherwise.
    pub(crate) piece: u8,
    /// ITIP total pieces (1–99), 0 otherwise.
    pub(crate) total: u8,
    pub(crate) serial: String,
}

/// Which component of an EPC an error is about (mapped to a URI span, a bit field or a GS1 element).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Filter,
    Cp,
    Reference,
    Piece,
    Total,
    Serial,
}

impl Part {
    const fn index(self) -> usize {
        match self {
            Self::Filter => 0,
            Self::Cp => 1,
            Self::Reference => 2,
            Self::Piece => 3,
            Self::Total => 4,
            Self::Serial => 5,
        }
    }
}

/// An error about one component, before it is given a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PartError {
    pub(crate) part: Part,
    pub(crate) kind: ErrorKind,
    pub(crate) msg: Cow<'static, str>,
}

pub(crate) fn perr(part: Part, kind: ErrorKind, msg: impl Into<Cow<'static, str>>) -> PartError {
    PartError { part, kind, msg: msg.into() }
}

impl PartError {
    /// The error at `offset..offset + len`.
    pub(crate) fn at(self, offset: usize, len: usize) -> Error {
        Error::new(self.kind, offset, len, self.msg)
    }
}

/// GS1 AI encodable character set 82 (`GenSpecs` Figure 7.11-1): printable ASCII minus 13 characters.
pub(crate) const fn is_cset82(b: u8) -> bool {
    matches!(b, b'!'..=b'~')
        && !matches!(b, b'#' | b'$' | b'@' | b'[' | b'\\' | b']' | b'^' | b'`' | b'{' | b'|' | b'}' | b'~')
}

/// GS1 AI encodable character set 39 (AI 8010): `# - / 0-9 A-Z`.
pub(crate) const fn is_cset39(b: u8) -> bool {
    matches!(b, b'#' | b'-' | b'/' | b'0'..=b'9' | b'A'..=b'Z')
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Validates the components against the scheme (TDS §6.3 grammar, GS1 AI formats).
pub(crate) fn check_parts(p: &Parts) -> Result<(), PartError> {
    let lay = layout(p.scheme);
    // GS1 Company Prefixes have 4 to 12 digits (the GS1 `gcppos` linters require 4).
    if !(4..=12).contains(&p.cp.len()) {
        return Err(perr(
            Part::Cp,
            ErrorKind::Length,
            format!("company prefix must have 4 to 12 digits, found {}", p.cp.len()),
        ));
    }
    if !all_digits(&p.cp) {
        return Err(perr(Part::Cp, ErrorKind::Charset, "company prefix must be digits"));
    }
    check_reference(p, lay.reference)?;
    if lay.piece_total && !(1..=99).contains(&p.piece) {
        return Err(perr(Part::Piece, ErrorKind::Value, format!("piece number {:02} must be 01 to 99", p.piece)));
    }
    if lay.piece_total && (!(1..=99).contains(&p.total) || p.piece > p.total) {
        return Err(perr(
            Part::Total,
            ErrorKind::Value,
            format!("total {:02} must be 01 to 99 and not below piece number {:02}", p.total, p.piece),
        ));
    }
    check_serial(&p.serial, lay.serial)
}

fn check_reference(p: &Parts, kind: RefKind) -> Result<(), PartError> {
    let r = &p.reference;
    match kind {
        RefKind::Digits(total) => {
            if !all_digits(r) {
                return Err(perr(Part::Reference, ErrorKind::Charset, "reference must be digits"));
            }
            let n = p.cp.len() + r.len();
            if n != usize::from(total) {
                return Err(perr(
                    Part::Cp,
                    ErrorKind::Length,
                    format!("company prefix and reference must have {total} digits together, found {n}"),
                ));
            }
        }
        RefKind::Gs3a3 | RefKind::CpRef => {
            if r.is_empty() {
                return Err(perr(Part::Reference, ErrorKind::Length, "reference is empty"));
            }
            let ok = if kind == RefKind::Gs3a3 { is_cset82 } else { is_cset39 };
            if let Some(b) = r.bytes().find(|&b| !ok(b)) {
                return Err(perr(
                    Part::Reference,
                    ErrorKind::Charset,
                    format!("character {:?} is not allowed in the reference", char::from(b)),
                ));
            }
            let n = p.cp.len() + r.len();
            if n > 30 {
                return Err(perr(
                    Part::Reference,
                    ErrorKind::Length,
                    format!("company prefix and reference have {n} characters, at most 30 allowed"),
                ));
            }
        }
    }
    Ok(())
}

fn check_serial(s: &str, kind: SerialKind) -> Result<(), PartError> {
    match kind {
        SerialKind::None if s.is_empty() => Ok(()),
        SerialKind::None => Err(perr(Part::Serial, ErrorKind::Syntax, "this scheme has no serial component")),
        SerialKind::Gs3a3(max) => {
            if s.is_empty() || s.len() > usize::from(max) {
                return Err(perr(
                    Part::Serial,
                    ErrorKind::Length,
                    format!("serial must have 1 to {max} characters, found {}", s.len()),
                ));
            }
            match s.bytes().find(|&b| !is_cset82(b)) {
                Some(b) => Err(perr(
                    Part::Serial,
                    ErrorKind::Charset,
                    format!("character {:?} is not allowed in a GS1 serial", char::from(b)),
                )),
                None => Ok(()),
            }
        }
        SerialKind::Integer12 | SerialKind::Padded12 => {
            if s.is_empty() || s.len() > 12 {
                return Err(perr(
                    Part::Serial,
                    ErrorKind::Length,
                    format!("serial must have 1 to 12 digits, found {}", s.len()),
                ));
            }
            if !all_digits(s) {
                return Err(perr(Part::Serial, ErrorKind::Charset, "serial must be digits"));
            }
            if kind == SerialKind::Integer12 && s.len() > 1 && s.starts_with('0') {
                return Err(perr(Part::Serial, ErrorKind::Syntax, "serial must not start with 0"));
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Parts → GS1

fn push(g: &mut Gs1, ai: &'static str, value: &str) -> Result<(), Error> {
    let def = lookup(ai).ok_or_else(|| {
        Error::msg(ErrorKind::UnknownAi, format!("AI ({ai}) is missing from the AI table of this build"))
    })?;
    g.push_unchecked(def, value, 0);
    Ok(())
}

/// `body` followed by its GS1 mod-10 check digit.
fn with_check(mut body: String) -> String {
    if let Some(c) = gs1_check_digit(body.as_bytes()) {
        body.push(char::from(c));
    }
    body
}

/// Key digits with the leading indicator/extension digit of `reference` moved to the front, plus check digit.
fn moved_key(cp: &str, reference: &str) -> String {
    let mut s = String::with_capacity(18);
    s.push_str(reference.get(..1).unwrap_or(""));
    s.push_str(cp);
    s.push_str(reference.get(1..).unwrap_or(""));
    with_check(s)
}

/// The GS1 element list of validated parts (TDS §7).
pub(crate) fn parts_to_gs1(p: &Parts) -> Result<Gs1, Error> {
    use EpcScheme as S;
    let mut g = Gs1::with_capacity(2, 64);
    let plain = || with_check(format!("{}{}", p.cp, p.reference));
    match p.scheme {
        S::Sgtin | S::Lgtin | S::Upui => {
            push(&mut g, "01", &moved_key(&p.cp, &p.reference))?;
            let ai = match p.scheme {
                S::Sgtin => "21",
                S::Lgtin => "10",
                _ => "235",
            };
            push(&mut g, ai, &p.serial)?;
        }
        S::Itip => {
            let v = format!("{}{:02}{:02}", moved_key(&p.cp, &p.reference), p.piece, p.total);
            push(&mut g, "8006", &v)?;
            push(&mut g, "21", &p.serial)?;
        }
        S::Sscc => push(&mut g, "00", &moved_key(&p.cp, &p.reference))?,
        S::Gsrn => push(&mut g, "8018", &plain())?,
        S::Gsrnp => push(&mut g, "8017", &plain())?,
        S::Pgln => push(&mut g, "417", &plain())?,
        S::Gsin => push(&mut g, "402", &plain())?,
        S::Sgln => {
            push(&mut g, "414", &plain())?;
            // TDS §7.5: extension "0" denotes a GLN without extension.
            if p.serial != "0" {
                push(&mut g, "254", &p.serial)?;
            }
        }
        S::Grai => push(&mut g, "8003", &format!("0{}{}", plain(), p.serial))?,
        S::Gdti => push(&mut g, "253", &format!("{}{}", plain(), p.serial))?,
        S::Sgcn => push(&mut g, "255", &format!("{}{}", plain(), p.serial))?,
        S::Giai => push(&mut g, "8004", &format!("{}{}", p.cp, p.reference))?,
        S::Ginc => push(&mut g, "401", &format!("{}{}", p.cp, p.reference))?,
        S::Cpi => {
            push(&mut g, "8010", &format!("{}{}", p.cp, p.reference))?;
            push(&mut g, "8011", &p.serial)?;
        }
        S::Gid => return Err(Error::msg(ErrorKind::InvalidArgument, "a GID has no GS1 form")),
    }
    Ok(g)
}

// ---------------------------------------------------------------------------------------------------------------
// GS1 → Parts

/// AIs that are the key of an EPC scheme, in no particular order (the first one present in the list wins).
const KEY_AIS: [&str; 14] =
    ["01", "00", "414", "417", "8003", "8004", "8018", "8017", "253", "8010", "255", "8006", "401", "402"];

/// Where the key element came from, for error positions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeySpan {
    pub(crate) at: usize,
    pub(crate) len: usize,
}

impl KeySpan {
    fn err(self, kind: ErrorKind, msg: impl Into<Cow<'static, str>>) -> Error {
        Error::new(kind, self.at, self.len, msg)
    }
}

/// Why a GTIN must not form an SGTIN/LGTIN/ITIP (TDS §7.3.3–7.3.8), given its 13 digits after the indicator.
pub(crate) fn restricted_gtin(rest13: &[u8]) -> Option<&'static str> {
    match rest13 {
        [b'0', b'0', b'0', b'0', b'0', b'0' | b'2', ..] => {
            Some("an RCN-8 (GTIN-8 starting 0 or 2) is a company-internal number and has no EPC (TDS §7.3.3)")
        }
        [b'0', b'4', ..] | [b'0', b'0', b'0', b'1'..=b'7', ..] => {
            Some("GS1 prefixes 04 and 0001-0007 are company-internal numbering and have no EPC (TDS §7.3.4)")
        }
        [b'0', b'2', ..] | [b'2', ..] => Some(
            "GS1 prefixes 02 and 20-29 are restricted circulation (e.g. variable-measure) and have no EPC (TDS §7.3.5)",
        ),
        [b'9', b'8', b'0', ..] => Some("GS1 prefix 980 is a refund receipt and has no EPC (TDS §7.3.7)"),
        [b'9', b'8', b'1'..=b'4', ..] | [b'9', b'9', ..] => {
            Some("GS1 prefixes 981-984 and 99 are coupons and have no SGTIN (TDS §7.3.6)")
        }
        [b'9', b'7', b'7', ..] => Some("GS1 prefix 977 (ISSN) cannot form an SGTIN (TDS §7.3.8.2)"),
        _ => None,
    }
}

/// TDS §7.3 rules for GTIN-based EPCs: no restricted ranges, and a GTIN-8 has company prefix `00000NNN`.
/// Applied to every EPC read strictly, so whatever is read converts back to the same EPC.
pub(crate) fn check_strict(p: &Parts) -> Result<(), PartError> {
    if !matches!(p.scheme, EpcScheme::Sgtin | EpcScheme::Lgtin | EpcScheme::Itip | EpcScheme::Upui) {
        return Ok(());
    }
    let rest = format!("{}{}", p.cp, p.reference.get(1..).unwrap_or(""));
    if let Some(why) = restricted_gtin(rest.as_bytes()) {
        return Err(perr(Part::Cp, ErrorKind::Range, why));
    }
    if rest.starts_with("00000") && p.cp.len() != 8 {
        return Err(perr(
            Part::Cp,
            ErrorKind::Range,
            "a GTIN-8 EPC has the 8-digit company prefix 00000 + its first three digits (TDS §7.3.2)",
        ));
    }
    Ok(())
}

/// The GCP length for `key_digits` from the caller's source, checked to leave room in a key of `max` digits.
fn company_prefix_len(
    gcp: &dyn CompanyPrefixLengths,
    key_digits: &str,
    max: usize,
    span: KeySpan,
) -> Result<usize, Error> {
    let l = gcp.gcp_len(key_digits).ok_or_else(|| {
        span.err(
            ErrorKind::CompanyPrefix,
            format!(
                "GS1 Company Prefix length unknown for {key_digits}: load GS1's prefix list (GcpTable) or state the \
                 length (FixedGcpLength)"
            ),
        )
    })?;
    let l = usize::from(l);
    if l < 4 || l > max.min(12) {
        return Err(
            span.err(ErrorKind::CompanyPrefix, format!("company-prefix length {l} does not fit key {key_digits}"))
        );
    }
    Ok(l)
}

fn digits_at(v: &str, n: usize, span: KeySpan) -> Result<&str, Error> {
    v.get(..n)
        .filter(|d| all_digits(d))
        .ok_or_else(|| span.err(ErrorKind::Syntax, format!("key must start with {n} digits")))
}

/// CP and reference (indicator digit first) of a GTIN-14, applying TDS §7.3 when `strict`.
fn gtin_parts(
    g14: &str,
    gcp: &dyn CompanyPrefixLengths,
    strict: bool,
    span: KeySpan,
) -> Result<(String, String), Error> {
    let (ind, rest) = (g14.get(..1).unwrap_or(""), g14.get(1..).unwrap_or(""));
    let gtin8 = rest.starts_with("00000");
    if strict && let Some(why) = restricted_gtin(rest.as_bytes()) {
        return Err(span.err(ErrorKind::Range, why));
    }
    // TDS §7.3.2: a GTIN-8's EPC company prefix is 00000 + its first three digits.
    let l = if strict && gtin8 { 8 } else { company_prefix_len(gcp, rest, 12, span)? };
    let cp = rest.get(..l).unwrap_or("");
    let reference = format!("{ind}{}", rest.get(l..12).unwrap_or(""));
    Ok((cp.to_owned(), reference))
}

fn parts(scheme: EpcScheme, cp: &str, reference: &str, serial: &str) -> Parts {
    Parts { scheme, cp: cp.to_owned(), reference: reference.to_owned(), piece: 0, total: 0, serial: serial.to_owned() }
}

/// Splits the first EPC-capable key of `gs1` into parts. `strict` applies the TDS §7.3 GTIN rules (restricted
/// ranges refused, GTIN-8 company prefix fixed at 8); without it the provider's length is used as is (for
/// matching an EPC that was read, whatever it holds).
pub(crate) fn gs1_to_parts(gs1: &Gs1, gcp: &dyn CompanyPrefixLengths, strict: bool) -> Result<(Parts, KeySpan), Error> {
    use EpcScheme as S;
    let (idx, el) = gs1.iter().enumerate().find(|(_, e)| KEY_AIS.contains(&e.ai())).ok_or_else(|| {
        Error::msg(
            ErrorKind::Range,
            "no GS1 key with an EPC form (GTIN with serial or lot, SSCC, GLN, GRAI, GIAI, GSRN, GDTI, CPI, GCN, ITIP, \
             GINC, GSIN)",
        )
    })?;
    let span = KeySpan { at: gs1.source_offset(idx), len: el.ai().len() + el.value.len() };
    let v = el.value;
    let companion = |ai: &str, what: &str| {
        gs1.get(ai).ok_or_else(|| span.err(ErrorKind::Range, format!("({}) without {what} ({ai}) has no EPC", el.ai())))
    };
    let p = match el.ai() {
        "01" => {
            let (cp, r) = gtin_parts(digits_at(v, 14, span)?, gcp, strict, span)?;
            let (scheme, serial) = if let Some(s) = gs1.get("21") {
                (S::Sgtin, s)
            } else if let Some(s) = gs1.get("235") {
                (S::Upui, s)
            } else {
                (S::Lgtin, companion("10", "a serial (21) or lot")?)
            };
            parts(scheme, &cp, &r, serial)
        }
        "8006" => {
            let d = digits_at(v, 18, span)?;
            let (cp, r) = gtin_parts(d.get(..14).unwrap_or(""), gcp, strict, span)?;
            let mut p = parts(S::Itip, &cp, &r, companion("21", "a serial")?);
            p.piece = d.get(14..16).and_then(|x| x.parse().ok()).unwrap_or(0);
            p.total = d.get(16..18).and_then(|x| x.parse().ok()).unwrap_or(0);
            p
        }
        "00" => {
            let d = digits_at(v, 18, span)?;
            let rest = d.get(1..).unwrap_or("");
            let cp_len = company_prefix_len(gcp, rest, 12, span)?;
            let r = format!("{}{}", d.get(..1).unwrap_or(""), rest.get(cp_len..16).unwrap_or(""));
            parts(S::Sscc, rest.get(..cp_len).unwrap_or(""), &r, "")
        }
        "8018" | "8017" => {
            let d = digits_at(v, 18, span)?;
            let cp_len = company_prefix_len(gcp, d, 12, span)?;
            let scheme = if el.ai() == "8018" { S::Gsrn } else { S::Gsrnp };
            parts(scheme, d.get(..cp_len).unwrap_or(""), d.get(cp_len..17).unwrap_or(""), "")
        }
        "402" => {
            let d = digits_at(v, 17, span)?;
            let cp_len = company_prefix_len(gcp, d, 12, span)?;
            parts(S::Gsin, d.get(..cp_len).unwrap_or(""), d.get(cp_len..16).unwrap_or(""), "")
        }
        ai @ ("414" | "417" | "8003" | "253" | "255") => thirteen_digit_key(gs1, ai, v, gcp, span)?,
        ai => {
            // 8004, 401, 8010: the GCP digits are followed by a free-form reference.
            let cp_len = company_prefix_len(gcp, v, v.len().saturating_sub(1), span)?;
            let cp = digits_at(v, cp_len, span)?;
            let scheme = match ai {
                "8004" => S::Giai,
                "401" => S::Ginc,
                _ => S::Cpi,
            };
            let serial = if scheme == S::Cpi { companion("8011", "a serial")? } else { "" };
            parts(scheme, cp, v.get(cp_len..).unwrap_or(""), serial)
        }
    };
    check_parts(&p).map_err(|e| e.at(span.at, span.len))?;
    Ok((p, span))
}

/// GLN (414, 417) and the 13-digit keys followed by a serial (8003 after its leading 0, 253, 255).
fn thirteen_digit_key(
    gs1: &Gs1,
    ai: &str,
    v: &str,
    gcp: &dyn CompanyPrefixLengths,
    span: KeySpan,
) -> Result<Parts, Error> {
    use EpcScheme as S;
    let v = if ai == "8003" { v.get(1..).unwrap_or("") } else { v };
    let key = digits_at(v, 13, span)?;
    let serial = v.get(13..).unwrap_or("");
    let cp_len = company_prefix_len(gcp, key, 12, span)?;
    let (cp, r) = (key.get(..cp_len).unwrap_or(""), key.get(cp_len..12).unwrap_or(""));
    let no_serial = |what: &str| span.err(ErrorKind::Range, format!("({ai}) without {what} has no EPC"));
    Ok(match ai {
        "414" => {
            let ext = match gs1.get("254") {
                Some("0") => {
                    return Err(
                        span.err(ErrorKind::Range, "GLN extension (254) \"0\" is reserved in EPCs for 'no extension'")
                    );
                }
                Some(e) => e,
                None => "0",
            };
            parts(S::Sgln, cp, r, ext)
        }
        "417" => parts(S::Pgln, cp, r, ""),
        _ if serial.is_empty() => return Err(no_serial("a serial")),
        "8003" => parts(S::Grai, cp, r, serial),
        "253" => parts(S::Gdti, cp, r, serial),
        _ => parts(S::Sgcn, cp, r, serial),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

/// Characters written raw in a GS3A3 component (TDS Table A-1); the other CSET 82 characters are %-escaped.
pub(crate) const fn is_gs3a3_raw(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'!' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'-' | b'.' | b':' | b';' | b'=' | b'_')
}

fn escape_into(out: &mut String, s: &str, cpref: bool) {
    for c in s.chars() {
        let raw = if cpref {
            c.is_ascii_digit() || c.is_ascii_uppercase() || c == '-'
        } else {
            u8::try_from(c).is_ok_and(is_gs3a3_raw)
        };
        if raw {
            out.push(c);
        } else {
            let _ = write!(out, "%{:02X}", u32::from(c));
        }
    }
}

/// The URI components of `p`, in order (CP, reference, \[piece, total\], \[serial\]), escaped.
fn write_body(out: &mut String, p: &Parts) {
    let lay = layout(p.scheme);
    out.push_str(&p.cp);
    out.push('.');
    match lay.reference {
        RefKind::Digits(_) => out.push_str(&p.reference),
        RefKind::Gs3a3 => escape_into(out, &p.reference, false),
        RefKind::CpRef => escape_into(out, &p.reference, true),
    }
    if lay.piece_total {
        let _ = write!(out, ".{:02}.{:02}", p.piece, p.total);
    }
    match lay.serial {
        SerialKind::None => {}
        SerialKind::Gs3a3(_) => {
            out.push('.');
            escape_into(out, &p.serial, false);
        }
        SerialKind::Integer12 | SerialKind::Padded12 => {
            out.push('.');
            out.push_str(&p.serial);
        }
    }
}

/// The pure-identity URI of `p` (the class URI for LGTIN).
pub(crate) fn pure_uri(p: &Parts) -> String {
    let mut out = String::with_capacity(64);
    if p.scheme == EpcScheme::Lgtin {
        out.push_str("urn:epc:class:lgtin:");
    } else {
        let _ = write!(out, "urn:epc:id:{}:", p.scheme.as_str());
    }
    write_body(&mut out, p);
    out
}

/// The tag URI of `p` encoded as `scheme` with `filter`.
pub(crate) fn tag_uri(p: &Parts, scheme: EpcBinaryScheme, filter: u8) -> String {
    let mut out = format!("urn:epc:tag:{}:{filter}.", scheme.tag_name());
    write_body(&mut out, p);
    out
}

/// The pure-identity EPC URI of a GS1 element list (class URI `urn:epc:class:lgtin:` for a GTIN with a lot and
/// no serial). The scheme follows the first EPC-capable key: (01)+(21) SGTIN, (01)+(10) LGTIN, (01)+(235) UPUI,
/// (00) SSCC, (414) [+ (254)] SGLN, (417) PGLN, (8003) GRAI, (8004) GIAI, (8018) GSRN, (8017) GSRNP, (253) GDTI,
/// (8010)+(8011) CPI, (255) SGCN, (8006)+(21) ITIP, (401) GINC, (402) GSIN.
///
/// GTIN-12/13 are used in their 14-digit form; a GTIN-8 takes company prefix `00000` + its first three digits
/// (TDS §7.3.2). For individually assigned keys pass `FixedGcpLength(12)` (TDS §7.2).
///
/// # Errors
/// - [`ErrorKind::CompanyPrefix`] if `gcp` does not know the key's company-prefix length;
/// - [`ErrorKind::Range`] for GTINs that SHALL NOT form EPCs (RCN-8, 04/0001–0007, 02/20–29, 980–984, 99, ISSN
///   977), keys without the serial an EPC needs, and SGLN extension `0`;
/// - [`ErrorKind::UnknownAi`] if this build's AI table lacks an AI.
///
/// ```
/// use tracecode::code::gs1::{epc_uri::to_epc_uri, gcp::FixedGcpLength};
/// let code = tracecode::code::parse("(01)10614141073464(21)2017")?;
/// assert_eq!(to_epc_uri(code.gs1().unwrap(), &FixedGcpLength(7))?, "urn:epc:id:sgtin:0614141.107346.2017");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn to_epc_uri(gs1: &Gs1, gcp: &dyn CompanyPrefixLengths) -> Result<String, Error> {
    let (p, _) = gs1_to_parts(gs1, gcp, true)?;
    Ok(pure_uri(&p))
}

/// The EPC tag URI of a GS1 element list encoded as `scheme` with `filter`, e.g.
/// `urn:epc:tag:sgtin-96:3.0614141.812345.6789`. The value must fit the binary scheme (a 96-bit serial is a
/// number below 2^38 without leading zeros).
///
/// # Errors
/// As [`to_epc_uri`], plus [`ErrorKind::Range`] if the value does not fit `scheme` (e.g. "serial needs
/// SGTIN-198") and [`ErrorKind::InvalidArgument`] if `scheme` is for another key or `filter` is above 7.
///
/// ```
/// use tracecode::code::gs1::{epc_binary::EpcBinaryScheme, epc_uri::to_epc_tag_uri, gcp::FixedGcpLength};
/// let code = tracecode::code::parse("(01)80614141123458(21)6789")?;
/// let uri = to_epc_tag_uri(code.gs1().unwrap(), &FixedGcpLength(7), EpcBinaryScheme::Sgtin96, 3)?;
/// assert_eq!(uri, "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn to_epc_tag_uri(
    gs1: &Gs1,
    gcp: &dyn CompanyPrefixLengths,
    scheme: EpcBinaryScheme,
    filter: u8,
) -> Result<String, Error> {
    let (p, span) = gs1_to_parts(gs1, gcp, true)?;
    epc_binary::encode_parts(&p, scheme, filter).map_err(|e| e.at(span.at, span.len))?;
    Ok(tag_uri(&p, scheme, filter))
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/// The character (for messages) and its byte length at `i` of `s`.
fn char_at(s: &str, i: usize) -> (char, usize) {
    s.get(i..).and_then(|t| t.chars().next()).map_or(('?', 1), |c| (c, c.len_utf8()))
}

/// Decodes a GS3A3 (or, with `cpref`, a CPI part reference) component starting at byte `off` of the input.
/// Escapes may use either hex case. Strictly only the TDS escapes are accepted; `lenient` accepts any escape of
/// an allowed character.
fn unescape(s: &str, off: usize, cpref: bool, lenient: bool) -> Result<String, Error> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let v = b
                .get(i + 1..i + 3)
                .and_then(|h| Some(crate::hex::digit(*h.first()?)? * 16 + crate::hex::digit(*h.get(1)?)?))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Syntax,
                        off + i,
                        (b.len() - i).min(3),
                        "'%' must be followed by two hex digits",
                    )
                })?;
            let ok = if cpref {
                matches!(v, b'/' | b'#') || (lenient && is_cset39(v))
            } else {
                matches!(v, b'"' | b'%' | b'&' | b'/' | b'<' | b'>' | b'?') || (lenient && is_cset82(v))
            };
            if !ok {
                let allowed = if cpref { "%2F %23" } else { "%22 %25 %26 %2F %3C %3E %3F" };
                return Err(Error::new(
                    ErrorKind::Charset,
                    off + i,
                    3,
                    format!("escape %{v:02X} is not allowed here (allowed: {allowed})"),
                ));
            }
            out.push(char::from(v));
            i += 3;
        } else if (cpref && (c.is_ascii_digit() || c.is_ascii_uppercase() || c == b'-')) || (!cpref && is_gs3a3_raw(c))
        {
            out.push(char::from(c));
            i += 1;
        } else {
            let (ch, n) = char_at(s, i);
            let hint = if cpref {
                "digits, A-Z, '-', %2F and %23"
            } else {
                "letters, digits, ! ' ( ) * + , - . : ; = _ and %-escapes"
            };
            return Err(Error::new(
                ErrorKind::Charset,
                off + i,
                n,
                format!("character {ch:?} is not allowed here (allowed: {hint})"),
            ));
        }
    }
    Ok(out)
}

/// Checks that `s` (at byte `off`) is all digits.
fn digits_component(s: &str, off: usize, what: &str) -> Result<(), Error> {
    match s.bytes().position(|b| !b.is_ascii_digit()) {
        Some(i) => {
            let (ch, n) = char_at(s, i);
            Err(Error::new(ErrorKind::Charset, off + i, n, format!("{what} must be digits, found {ch:?}")))
        }
        None => Ok(()),
    }
}

/// Byte spans of the URI components, indexed by [`Part::index`].
type Spans = [(usize, usize); 6];

fn span_of(spans: &Spans, part: Part) -> (usize, usize) {
    spans.get(part.index()).copied().unwrap_or((0, 0))
}

fn set_span(spans: &mut Spans, part: Part, span: (usize, usize)) {
    if let Some(s) = spans.get_mut(part.index()) {
        *s = span;
    }
}

/// Splits `body` (at byte `off`) into exactly `n` dot-separated components; the last may contain dots.
fn split_components<'a>(body: &'a str, off: usize, n: usize, shape: &str) -> Result<Vec<(usize, &'a str)>, Error> {
    let mut out = Vec::with_capacity(n);
    let mut pos = off;
    for c in body.splitn(n, '.') {
        out.push((pos, c));
        pos += c.len() + 1;
    }
    if out.len() < n {
        return Err(Error::new(
            ErrorKind::Syntax,
            off + body.len(),
            0,
            format!("expected {n} dot-separated parts ({shape}), found {}", out.len()),
        ));
    }
    Ok(out)
}

fn shape(scheme: EpcScheme) -> &'static str {
    let lay = layout(scheme);
    match (lay.piece_total, lay.serial) {
        (true, _) => "company prefix.reference.piece.total.serial",
        (false, SerialKind::None) => "company prefix.reference",
        _ => "company prefix.reference.serial",
    }
}

/// Parses the components of a pure identity (or the part of a tag URI after the filter) into parts.
fn parse_body(scheme: EpcScheme, body: &str, off: usize, lenient: bool) -> Result<(Parts, Spans), Error> {
    let lay = layout(scheme);
    let n = 2 + if lay.piece_total { 2 } else { 0 } + usize::from(lay.serial != SerialKind::None);
    let comps = split_components(body, off, n, shape(scheme))?;
    let mut spans: Spans = [(off, 0); 6];
    let mut p = parts(scheme, "", "", "");
    let mut it = comps.into_iter();
    if let Some((o, cp)) = it.next() {
        set_span(&mut spans, Part::Cp, (o, cp.len()));
        if cp.is_empty() {
            return Err(Error::new(ErrorKind::Syntax, o, 0, "company prefix is empty"));
        }
        digits_component(cp, o, "company prefix")?;
        cp.clone_into(&mut p.cp);
    }
    if let Some((o, r)) = it.next() {
        set_span(&mut spans, Part::Reference, (o, r.len()));
        p.reference = match lay.reference {
            RefKind::Digits(_) => {
                digits_component(r, o, "reference")?;
                r.to_owned()
            }
            RefKind::Gs3a3 => unescape(r, o, false, lenient)?,
            RefKind::CpRef => unescape(r, o, true, lenient)?,
        };
    }
    if lay.piece_total {
        for part in [Part::Piece, Part::Total] {
            let (o, comp) = it.next().unwrap_or((off, ""));
            set_span(&mut spans, part, (o, comp.len()));
            if comp.len() != 2 || !all_digits(comp) {
                return Err(Error::new(ErrorKind::Syntax, o, comp.len(), "piece and total must be two digits each"));
            }
            let v = comp.parse().unwrap_or(0);
            if part == Part::Piece { p.piece = v } else { p.total = v }
        }
    }
    if let Some((o, serial)) = it.next() {
        set_span(&mut spans, Part::Serial, (o, serial.len()));
        p.serial = if let SerialKind::Gs3a3(_) = lay.serial {
            unescape(serial, o, false, lenient)?
        } else {
            digits_component(serial, o, "serial")?;
            serial.to_owned()
        };
    }
    let checked = check_parts(&p).and_then(|()| if lenient { Ok(()) } else { check_strict(&p) });
    checked.map_err(|e| {
        let (o, l) = span_of(&spans, e.part);
        // A wrong digit total or a GTIN rule concerns CP and reference together.
        let (ro, rl) = span_of(&spans, Part::Reference);
        let l = if e.part == Part::Cp && (4..=12).contains(&p.cp.len()) { (ro + rl).saturating_sub(o) } else { l };
        e.at(o, l)
    })?;
    Ok((p, spans))
}

/// Parses a GID body `manager.class.serial` at byte `off`.
fn parse_gid(body: &str, off: usize, lenient: bool) -> Result<Gid, Error> {
    let comps = split_components(body, off, 3, "manager.class.serial")?;
    let mut vals = [0u64; 3];
    let limits = [GID_MAX.0, GID_MAX.1, GID_MAX.2];
    let names = ["general manager number", "object class", "serial"];
    for (i, (o, c)) in comps.into_iter().enumerate() {
        let name = names.get(i).copied().unwrap_or("field");
        if c.is_empty() {
            return Err(Error::new(ErrorKind::Syntax, o, 0, format!("{name} is empty")));
        }
        digits_component(c, o, name)?;
        if !lenient && c.len() > 1 && c.starts_with('0') {
            return Err(Error::new(ErrorKind::Syntax, o, c.len(), format!("{name} must not have leading zeros")));
        }
        let max = limits.get(i).copied().unwrap_or(0);
        let v = c.parse::<u64>().ok().filter(|&v| v <= max).ok_or_else(|| {
            Error::new(ErrorKind::Range, o, c.len(), format!("{name} {c} is above the GID-96 maximum {max}"))
        })?;
        if let Some(slot) = vals.get_mut(i) {
            *slot = v;
        }
    }
    let [m, c, s] = vals;
    Ok(Gid { manager: u32::try_from(m).unwrap_or(0), class: u32::try_from(c).unwrap_or(0), serial: s })
}

/// Trims ASCII whitespace and control characters, returning the start offset and the rest.
fn trim(input: &str) -> (usize, &str) {
    let t = input.trim_start_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    let start = input.len() - t.len();
    (start, t.trim_end_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control()))
}

/// `(kind, scheme name, body)` with their offsets, after `urn:epc:`.
struct Head<'a> {
    kind: &'a str,
    kind_at: usize,
    name: &'a str,
    name_at: usize,
    body: &'a str,
    body_at: usize,
}

fn split_head(input: &str) -> Result<Head<'_>, Error> {
    let (base, s) = trim(input);
    if s.is_empty() {
        return Err(Error::new(ErrorKind::Empty, 0, 0, "no EPC URI"));
    }
    if s.len() > MAX_URI_LEN {
        return Err(Error::new(ErrorKind::Length, base + MAX_URI_LEN, s.len() - MAX_URI_LEN, "EPC URI is too long"));
    }
    // RFC 8141: "urn" and the namespace identifier are case-insensitive.
    let rest = s
        .get(..8)
        .filter(|h| h.eq_ignore_ascii_case("urn:epc:"))
        .and_then(|_| s.get(8..))
        .ok_or_else(|| Error::new(ErrorKind::Syntax, base, s.len().min(8), "an EPC URI starts with urn:epc:"))?;
    let kind_at = base + 8;
    let (kind, rest) = rest.split_once(':').ok_or_else(|| {
        Error::new(ErrorKind::Syntax, kind_at, rest.len(), "expected urn:epc:id:, urn:epc:tag: or urn:epc:class:")
    })?;
    let name_at = kind_at + kind.len() + 1;
    let (name, body) = if kind.eq_ignore_ascii_case("raw") {
        ("", rest)
    } else {
        rest.split_once(':').ok_or_else(|| {
            Error::new(ErrorKind::Syntax, name_at, rest.len(), "expected a scheme name followed by ':'")
        })?
    };
    let body_at = if name.is_empty() && kind.eq_ignore_ascii_case("raw") { name_at } else { name_at + name.len() + 1 };
    Ok(Head { kind, kind_at, name, name_at, body, body_at })
}

fn unknown_scheme(name: &str, at: usize) -> Error {
    const UNSUPPORTED: [&str; 8] = ["usdod", "adi", "bic", "imovn", "gdti-113", "usdod-96", "adi-var", "upui+"];
    if UNSUPPORTED.iter().any(|u| u.eq_ignore_ascii_case(name)) {
        Error::new(ErrorKind::Unsupported, at, name.len(), format!("EPC scheme {name:?} is not supported"))
    } else {
        Error::new(ErrorKind::Syntax, at, name.len(), format!("unknown EPC scheme {name:?}"))
    }
}

/// Parses an EPC URI into the GS1 element list (or GID) it denotes plus the EPC details.
///
/// Accepts pure identities `urn:epc:id:{sgtin,sscc,sgln,grai,giai,gsrn,gsrnp,gdti,cpi,sgcn,itip,ginc,gsin,pgln,
/// upui,gid}:…`, tag URIs `urn:epc:tag:{sgtin-96,sgtin-198,…,gid-96}:F.…` (whose value must fit the binary
/// scheme), the class URI `urn:epc:class:lgtin:CP.IR.LOT` and raw URIs `urn:epc:raw:N.xHEX`. `urn:epc:` is
/// case-insensitive (RFC 8141); the rest is case-sensitive unless `opts` is lenient. Percent-escapes may use
/// either hex case. Strictly, GTIN-based EPCs that TDS §7.3 forbids (restricted ranges, a GTIN-8 whose company
/// prefix is not `00000NNN`) are refused, so every EPC read converts back with [`to_epc_uri`]; lenient mode
/// accepts them.
///
/// # Errors
/// [`ErrorKind::Syntax`], [`ErrorKind::Charset`], [`ErrorKind::Length`] (e.g. company prefix + item reference not
/// 13 digits, reported at the company prefix), [`ErrorKind::Value`], [`ErrorKind::Range`] (tag URI value too big
/// for its scheme, restricted GTIN) and [`ErrorKind::Unsupported`] (pattern URIs, `USDoD`, ADI), with byte offsets into `input`.
///
/// ```
/// use tracecode::code::{CodeData, ParseOptions, gs1::epc_uri::parse_epc_uri};
/// let (data, info) = parse_epc_uri("urn:epc:id:sgln:0614141.07346.1234", &ParseOptions::new())?;
/// let CodeData::Gs1(gs1) = data else { panic!() };
/// assert_eq!((gs1.get("414"), gs1.get("254")), (Some("0614141073467"), Some("1234")));
/// assert_eq!(info.gcp_len, Some(7));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_epc_uri(input: &str, opts: &ParseOptions) -> Result<(CodeData, EpcInfo), Error> {
    let h = split_head(input)?;
    let lenient = opts.lenient;
    let is = |a: &str, b: &str| if lenient { a.eq_ignore_ascii_case(b) } else { a == b };
    if is(h.kind, "id") || is(h.kind, "class") {
        let class = is(h.kind, "class");
        let scheme = EpcScheme::from_name(h.name, lenient).ok_or_else(|| unknown_scheme(h.name, h.name_at))?;
        if class != (scheme == EpcScheme::Lgtin) {
            let msg = if class {
                "the only EPC class URI is urn:epc:class:lgtin:"
            } else {
                "lgtin is a class: urn:epc:class:lgtin:"
            };
            return Err(Error::new(ErrorKind::Syntax, h.kind_at, h.kind.len() + h.name.len() + 1, msg));
        }
        if scheme == EpcScheme::Gid {
            let g = parse_gid(h.body, h.body_at, lenient)?;
            return Ok((
                CodeData::Gid(g),
                EpcInfo { scheme, filter: None, gcp_len: None, tag_bits: None, binary: None },
            ));
        }
        let (p, _) = parse_body(scheme, h.body, h.body_at, lenient)?;
        let gs1 = parts_to_gs1(&p)?;
        let gcp_len = u8::try_from(p.cp.len()).ok();
        return Ok((CodeData::Gs1(gs1), EpcInfo { scheme, filter: None, gcp_len, tag_bits: None, binary: None }));
    }
    if is(h.kind, "tag") {
        return parse_tag(&h, lenient);
    }
    if h.kind.eq_ignore_ascii_case("raw") {
        return parse_raw(&h);
    }
    if h.kind.eq_ignore_ascii_case("idpat") || h.kind.eq_ignore_ascii_case("pat") {
        return Err(Error::new(
            ErrorKind::Syntax,
            h.kind_at,
            h.kind.len(),
            "this is an EPC pattern: use parse_epc_pattern",
        ));
    }
    Err(Error::new(
        ErrorKind::Syntax,
        h.kind_at,
        h.kind.len(),
        format!("unknown EPC URI kind {:?}: expected id, tag or class", h.kind),
    ))
}

fn parse_tag(h: &Head<'_>, lenient: bool) -> Result<(CodeData, EpcInfo), Error> {
    let bin = EpcBinaryScheme::from_tag_name_case(h.name, lenient).ok_or_else(|| unknown_scheme(h.name, h.name_at))?;
    if bin == EpcBinaryScheme::Gid96 {
        let g = parse_gid(h.body, h.body_at, lenient)?;
        return Ok((
            CodeData::Gid(g),
            EpcInfo { scheme: EpcScheme::Gid, filter: None, gcp_len: None, tag_bits: Some(96), binary: Some(bin) },
        ));
    }
    let (filter_text, rest) = h.body.split_once('.').unwrap_or((h.body, ""));
    let filter = match filter_text.as_bytes() {
        [d @ b'0'..=b'7'] => d - b'0',
        _ => {
            return Err(Error::new(
                ErrorKind::Syntax,
                h.body_at,
                filter_text.len(),
                "the filter value must be one digit 0 to 7",
            ));
        }
    };
    let (p, spans) = parse_body(bin.scheme(), rest, h.body_at + filter_text.len() + 1, lenient)?;
    let (_, bits) = epc_binary::encode_parts(&p, bin, filter).map_err(|e| {
        let (o, l) = span_of(&spans, e.part);
        e.at(o, l)
    })?;
    let gs1 = parts_to_gs1(&p)?;
    let info = EpcInfo {
        scheme: p.scheme,
        filter: Some(filter),
        gcp_len: u8::try_from(p.cp.len()).ok(),
        tag_bits: Some(bits),
        binary: Some(bin),
    };
    Ok((CodeData::Gs1(gs1), info))
}

/// `urn:epc:raw:LEN.xHEX` (TDS §12.4): decoded as binary when its hex form is used.
fn parse_raw(h: &Head<'_>) -> Result<(CodeData, EpcInfo), Error> {
    let (len, rest) = h.body.split_once('.').unwrap_or((h.body, ""));
    let hex_at = h.body_at + len.len() + 2;
    match (len.parse::<u16>(), rest.strip_prefix('x')) {
        (Ok(bits), Some(hex)) => {
            let (data, info) = epc_binary::decode_epc_hex(hex).map_err(|e| e.shifted(hex_at))?;
            if info.tag_bits.is_some_and(|b| b > bits) {
                return Err(Error::new(
                    ErrorKind::Length,
                    h.body_at,
                    len.len(),
                    format!("raw URI says {bits} bits but the EPC needs more"),
                ));
            }
            Ok((data, info))
        }
        _ => Err(Error::new(
            ErrorKind::Unsupported,
            h.body_at,
            h.body.len(),
            "only raw URIs of the form urn:epc:raw:LEN.xHEX are supported",
        )),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns

/// A pure-identity pattern (TDS §8), e.g. `urn:epc:idpat:sgtin:0614141.*.*`, as used by EPCIS `MATCH_*` queries.
///
/// Once a component is `*`, every component after it is `*` as well.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpcPattern {
    scheme: EpcScheme,
    /// One entry per URI component, unescaped; `None` is `*`.
    fields: Vec<Option<String>>,
}

impl EpcPattern {
    /// The scheme the pattern is for.
    pub const fn scheme(&self) -> EpcScheme {
        self.scheme
    }

    /// The literal component values (`None` for `*`), unescaped, in URI order.
    pub fn fields(&self) -> &[Option<String>] {
        &self.fields
    }

    /// Does the pattern match a parsed EPC (from [`parse_epc_uri`] or binary decoding)?
    ///
    /// A GS1 element list needs `info.gcp_len` to be split, unless the pattern is all `*`.
    ///
    /// ```
    /// use tracecode::code::{ParseOptions, gs1::epc_uri::{parse_epc_pattern, parse_epc_uri}};
    /// let pat = parse_epc_pattern("urn:epc:idpat:sgtin:0614141.*.*")?;
    /// let (data, info) = parse_epc_uri("urn:epc:id:sgtin:0614141.812345.6789", &ParseOptions::new())?;
    /// assert!(pat.matches(&data, &info));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn matches(&self, data: &CodeData, info: &EpcInfo) -> bool {
        if info.scheme != self.scheme {
            return false;
        }
        if self.fields.iter().all(Option::is_none) {
            return true;
        }
        let comps: Vec<String> = match data {
            CodeData::Gid(g) => vec![g.manager.to_string(), g.class.to_string(), g.serial.to_string()],
            CodeData::Gs1(gs1) => {
                let Some(l) = info.gcp_len else { return false };
                match gs1_to_parts(gs1, &FixedGcpLength(l), false) {
                    Ok((p, _)) if p.scheme == self.scheme => components(&p),
                    _ => return false,
                }
            }
            _ => return false,
        };
        comps.len() == self.fields.len()
            && self.fields.iter().zip(&comps).all(|(f, c)| f.as_ref().is_none_or(|f| f == c))
    }

    /// Parses `uri` (any EPC URI form) with default options and matches it; false if it does not parse.
    ///
    /// ```
    /// let pat = tracecode::code::gs1::epc_uri::parse_epc_pattern("urn:epc:idpat:sscc:0614141.*")?;
    /// assert!(pat.matches_uri("urn:epc:id:sscc:0614141.1234567890"));
    /// assert!(!pat.matches_uri("urn:epc:id:sscc:0614142.1234567890"));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn matches_uri(&self, uri: &str) -> bool {
        parse_epc_uri(uri, &ParseOptions::new()).is_ok_and(|(d, i)| self.matches(&d, &i))
    }
}

/// The unescaped URI components of `p`, in order.
fn components(p: &Parts) -> Vec<String> {
    let lay = layout(p.scheme);
    let mut v = vec![p.cp.clone(), p.reference.clone()];
    if lay.piece_total {
        v.push(format!("{:02}", p.piece));
        v.push(format!("{:02}", p.total));
    }
    if lay.serial != SerialKind::None {
        v.push(p.serial.clone());
    }
    v
}

/// Parses a pure-identity pattern URI `urn:epc:idpat:SCHEME:…` (TDS §8): components are literal or `*`, and
/// every component after a `*` must be `*`.
///
/// # Errors
/// [`ErrorKind::Syntax`] for a malformed pattern (including `CP.*.S`), [`ErrorKind::Charset`] /
/// [`ErrorKind::Length`] for bad literal components, with byte offsets into `input`.
///
/// ```
/// use tracecode::code::gs1::epc_uri::{EpcScheme, parse_epc_pattern};
/// let pat = parse_epc_pattern("urn:epc:idpat:sgtin:0614141.812345.*")?;
/// assert_eq!(pat.scheme(), EpcScheme::Sgtin);
/// assert!(parse_epc_pattern("urn:epc:idpat:sgtin:0614141.*.6789").is_err());
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_epc_pattern(input: &str) -> Result<EpcPattern, Error> {
    let h = split_head(input)?;
    if h.kind != "idpat" {
        return Err(Error::new(
            ErrorKind::Syntax,
            h.kind_at,
            h.kind.len(),
            "an EPC pattern starts with urn:epc:idpat:",
        ));
    }
    let scheme = EpcScheme::from_name(h.name, false)
        .filter(|s| *s != EpcScheme::Lgtin)
        .ok_or_else(|| unknown_scheme(h.name, h.name_at))?;
    let lay = layout(scheme);
    let n = if scheme == EpcScheme::Gid {
        3
    } else {
        2 + if lay.piece_total { 2 } else { 0 } + usize::from(lay.serial != SerialKind::None)
    };
    let comps = split_components(
        h.body,
        h.body_at,
        n,
        if scheme == EpcScheme::Gid { "manager.class.serial" } else { shape(scheme) },
    )?;
    let mut fields = Vec::with_capacity(n);
    let mut star = false;
    for (i, (o, c)) in comps.iter().copied().enumerate() {
        if c == "*" {
            star = true;
            fields.push(None);
            continue;
        }
        if star {
            return Err(Error::new(ErrorKind::Syntax, o, c.len(), "after a '*' every component must be '*'"));
        }
        fields.push(Some(pattern_literal(scheme, i, c, o)?));
    }
    // CP and a numeric reference, both literal, must have the scheme's digit total.
    if let (RefKind::Digits(total), Some(Some(cp)), Some(Some(r))) = (lay.reference, fields.first(), fields.get(1))
        && scheme != EpcScheme::Gid
        && cp.len() + r.len() != usize::from(total)
    {
        let (o, _) = comps.first().copied().unwrap_or((h.body_at, ""));
        return Err(Error::new(
            ErrorKind::Length,
            o,
            cp.len() + r.len() + 1,
            format!("company prefix and reference must have {total} digits together"),
        ));
    }
    Ok(EpcPattern { scheme, fields })
}

/// Decodes literal component `i` of a pattern for `scheme`.
fn pattern_literal(scheme: EpcScheme, i: usize, c: &str, o: usize) -> Result<String, Error> {
    let lay = layout(scheme);
    if scheme == EpcScheme::Gid || i == 0 {
        if c.is_empty() {
            return Err(Error::new(ErrorKind::Syntax, o, 0, "empty pattern component"));
        }
        digits_component(c, o, if i == 0 { "company prefix" } else { "GID field" })?;
        return Ok(c.to_owned());
    }
    let last = i == 1 + if lay.piece_total { 2 } else { 0 } + usize::from(lay.serial != SerialKind::None);
    match (i, lay.reference) {
        (1, RefKind::Digits(_)) => digits_component(c, o, "reference").map(|()| c.to_owned()),
        (1, RefKind::Gs3a3) => unescape(c, o, false, false),
        (1, RefKind::CpRef) => unescape(c, o, true, false),
        _ if last && matches!(lay.serial, SerialKind::Gs3a3(_)) => unescape(c, o, false, false),
        _ => {
            if c.is_empty() {
                return Err(Error::new(ErrorKind::Syntax, o, 0, "empty pattern component"));
            }
            digits_component(c, o, "component").map(|()| c.to_owned())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::code::gs1::gcp::{GcpTable, NoGcpTable};

    /// A GS1 element list from `(ai, value)` pairs (values assumed valid).
    pub(crate) fn gs1(pairs: &[(&'static str, &str)]) -> Gs1 {
        let mut g = Gs1::with_capacity(pairs.len(), 64);
        for (ai, v) in pairs {
            push(&mut g, ai, v).unwrap();
        }
        g
    }

    /// `body` with its check digit.
    pub(crate) fn checked(body: &str) -> String {
        with_check(body.to_owned())
    }

    fn parse(s: &str) -> Result<(CodeData, EpcInfo), Error> {
        parse_epc_uri(s, &ParseOptions::new())
    }

    fn parse_gs1(s: &str) -> (Gs1, EpcInfo) {
        match parse(s) {
            Ok((CodeData::Gs1(g), i)) => (g, i),
            other => panic!("{s}: {other:?}"),
        }
    }

    /// §5.6 worked examples (TDS 1.13 Annex E.3) that have a pure-identity URI and GS1 form.
    pub(crate) const WORKED: &[(&[(&str, &str)], &str)] = &[
        (&[("01", "80614141123458"), ("21", "6789")], "urn:epc:id:sgtin:0614141.812345.6789"),
        (&[("01", "70614141123451"), ("21", "32a/b")], "urn:epc:id:sgtin:0614141.712345.32a%2Fb"),
        (&[("00", "106141412345678908")], "urn:epc:id:sscc:0614141.1234567890"),
        (&[("414", "0614141123452"), ("254", "5678")], "urn:epc:id:sgln:0614141.12345.5678"),
        (&[("414", "0614141123452"), ("254", "32a/b")], "urn:epc:id:sgln:0614141.12345.32a%2Fb"),
        (&[("8003", "006141411234525678")], "urn:epc:id:grai:0614141.12345.5678"),
        (&[("8003", "0061414112345232a/b")], "urn:epc:id:grai:0614141.12345.32a%2Fb"),
        (&[("8004", "06141415678")], "urn:epc:id:giai:0614141.5678"),
        (&[("8004", "061414132a/b")], "urn:epc:id:giai:0614141.32a%2Fb"),
        (&[("8018", "061414112345678902")], "urn:epc:id:gsrn:0614141.1234567890"),
        (&[("8017", "061414112345678902")], "urn:epc:id:gsrnp:0614141.1234567890"),
        (&[("253", "06141411234525678")], "urn:epc:id:gdti:0614141.12345.5678"),
        (&[("253", "4012345987652ABCDefgh012345678")], "urn:epc:id:gdti:4012345.98765.ABCDefgh012345678"),
        (&[("8010", "061414198765"), ("8011", "12345")], "urn:epc:id:cpi:0614141.98765.12345"),
        (&[("8010", "06141415PQ7/Z43"), ("8011", "12345")], "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345"),
        (&[("255", "401234567890104711")], "urn:epc:id:sgcn:4012345.67890.04711"),
        (&[("8006", "040123451234560102"), ("21", "981")], "urn:epc:id:itip:4012345.012345.01.02.981"),
        (&[("8006", "040123451234560102"), ("21", "mw133")], "urn:epc:id:itip:4012345.012345.01.02.mw133"),
        // §5.1 examples.
        (&[("01", "10614141073464"), ("21", "2017")], "urn:epc:id:sgtin:0614141.107346.2017"),
        (&[("414", "0614141073467"), ("254", "1234")], "urn:epc:id:sgln:0614141.07346.1234"),
        // TDS §7.5 and §7.4 examples (GCP 9521141).
        (&[("414", "9521141123454")], "urn:epc:id:sgln:9521141.12345.0"),
        (&[("00", "195211412345678900")], "urn:epc:id:sscc:9521141.1234567890"),
    ];

    #[test]
    fn worked_examples_both_directions() {
        let table = GcpTable::examples();
        for (pairs, uri) in WORKED {
            let (g, info) = parse_gs1(uri);
            assert_eq!(g, gs1(pairs), "{uri}");
            assert_eq!(info.gcp_len, Some(7), "{uri}");
            assert_eq!((info.filter, info.tag_bits, info.binary), (None, None, None));
            assert_eq!(to_epc_uri(&gs1(pairs), &table).unwrap(), *uri);
        }
    }

    #[test]
    fn scheme_of_each_example() {
        let want = [
            EpcScheme::Sgtin,
            EpcScheme::Sgtin,
            EpcScheme::Sscc,
            EpcScheme::Sgln,
            EpcScheme::Sgln,
            EpcScheme::Grai,
            EpcScheme::Grai,
            EpcScheme::Giai,
            EpcScheme::Giai,
            EpcScheme::Gsrn,
            EpcScheme::Gsrnp,
            EpcScheme::Gdti,
            EpcScheme::Gdti,
            EpcScheme::Cpi,
            EpcScheme::Cpi,
            EpcScheme::Sgcn,
            EpcScheme::Itip,
            EpcScheme::Itip,
        ];
        for ((_, uri), s) in WORKED.iter().zip(want) {
            assert_eq!(parse_gs1(uri).1.scheme, s, "{uri}");
        }
    }

    #[test]
    fn special_cases_gtin12_13_8_and_individual_keys() {
        // GTIN-12 / GTIN-13 are padded to 14 digits (TDS §7.3.1).
        let g = gs1(&[("01", "00614141123452"), ("21", "S")]);
        assert_eq!(to_epc_uri(&g, &GcpTable::examples()).unwrap(), "urn:epc:id:sgtin:0614141.012345.S");
        let g = gs1(&[("01", "09521141890127"), ("21", "S")]);
        assert_eq!(to_epc_uri(&g, &GcpTable::examples()).unwrap(), "urn:epc:id:sgtin:9521141.089012.S");
        // GTIN-8 (TDS §7.3.2): no table needed.
        let g = gs1(&[("01", "00000095010939"), ("21", "S")]);
        assert_eq!(to_epc_uri(&g, &NoGcpTable).unwrap(), "urn:epc:id:sgtin:00000950.01093.S");
        assert_eq!(parse_gs1("urn:epc:id:sgtin:00000950.01093.S").0, g);
        // ISBN (TDS §7.3.8.1): 978-81-7525-766-5, registrant prefix 978817525.
        let g = gs1(&[("01", "09788175257665"), ("21", "S")]);
        assert_eq!(to_epc_uri(&g, &FixedGcpLength(9)).unwrap(), "urn:epc:id:sgtin:978817525.0766.S");
        // Individually assigned keys: CP length 12 (TDS §7.2).
        let cases: [(&[(&str, &str)], &str); 3] = [
            (&[("01", "01234567890128"), ("21", "4711")], "urn:epc:id:sgtin:123456789012.0.4711"),
            (&[("414", "1234567890128"), ("254", "4711")], "urn:epc:id:sgln:123456789012..4711"),
            (&[("00", "012345678901234560")], "urn:epc:id:sscc:123456789012.03456"),
        ];
        for (pairs, uri) in cases {
            assert_eq!(to_epc_uri(&gs1(pairs), &FixedGcpLength(12)).unwrap(), uri);
            let (g, info) = parse_gs1(uri);
            assert_eq!(g, gs1(pairs));
            assert_eq!(info.gcp_len, Some(12));
        }
    }

    #[test]
    fn restricted_ranges_refused() {
        let gcp = FixedGcpLength(7);
        for body in [
            "0000000123456", // RCN-8 starting 0
            "0000002345678", // RCN-8 starting 2
            "0041234567890", // 04
            "0000123456789", // 0001
            "0000712345678", // 0007
            "0021234567890", // 02
            "0200000000000", // 20
            "0291234567890", // 29
            "0980123456789", // refund receipt
            "0981123456789", // coupon
            "0984123456789",
            "0991234567890",
            "0977123456789", // ISSN
        ] {
            let g = gs1(&[("01", &checked(body)), ("21", "1")]);
            let e = to_epc_uri(&g, &gcp).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Range, "{body}: {e}");
            let l = gs1(&[("01", &checked(body)), ("10", "L1")]);
            assert_eq!(to_epc_uri(&l, &gcp).unwrap_err().kind(), ErrorKind::Range, "{body}");
            let i = gs1(&[("8006", &format!("{}0102", checked(body))), ("21", "1")]);
            assert_eq!(to_epc_uri(&i, &gcp).unwrap_err().kind(), ErrorKind::Range, "{body}");
        }
        // Not restricted: 0008, 978 (ISBN), 979 (ISMN), 690 (GS1 China), GTIN-8 starting 9.
        for body in ["0008123456789", "0978123456789", "0979123456789", "0690123456789", "0000009501093"] {
            assert!(to_epc_uri(&gs1(&[("01", &checked(body)), ("21", "1")]), &gcp).is_ok(), "{body}");
        }
        // EPCs of restricted GTINs are refused when read strictly (so every EPC read converts back), accepted
        // leniently.
        let e = parse("urn:epc:id:sgtin:0200000.012345.1").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Range, Some(17), Some(14)));
        assert_eq!(parse("urn:epc:class:lgtin:9801234.012345.L").unwrap_err().kind(), ErrorKind::Range);
        assert_eq!(parse("urn:epc:id:sgtin:00000250.01234.1").unwrap_err().kind(), ErrorKind::Range);
        let lenient = ParseOptions::new().lenient(true);
        assert!(parse_epc_uri("urn:epc:id:sgtin:0200000.012345.1", &lenient).is_ok());
        // GLN extension "0" cannot be told from "no extension".
        let g = gs1(&[("414", "0614141123452"), ("254", "0")]);
        assert_eq!(to_epc_uri(&g, &gcp).unwrap_err().kind(), ErrorKind::Range);
    }

    #[test]
    fn company_prefix_length_needed() {
        let g = gs1(&[("01", "04012345123456"), ("21", "1")]);
        let e = to_epc_uri(&g, &NoGcpTable).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CompanyPrefix);
        assert!(e.message().contains("4012345123456"), "{e}");
        for bad in [0, 13] {
            assert_eq!(to_epc_uri(&g, &FixedGcpLength(bad)).unwrap_err().kind(), ErrorKind::CompanyPrefix);
        }
        // A GIAI needs at least one reference character after the prefix.
        let g = gs1(&[("8004", "0614141")]);
        assert_eq!(to_epc_uri(&g, &FixedGcpLength(7)).unwrap_err().kind(), ErrorKind::CompanyPrefix);
    }

    #[test]
    fn keys_without_an_epc_form() {
        let gcp = FixedGcpLength(7);
        for pairs in [
            &[("01", "80614141123458")][..],
            &[("8003", "00614141123452")][..],
            &[("253", "0614141123452")][..],
            &[("255", "0614141123452")][..],
            &[("8010", "0614141ABC")][..],
            &[("8006", "040123451234560102")][..],
            &[("17", "261231")][..],
        ] {
            assert_eq!(to_epc_uri(&gs1(pairs), &gcp).unwrap_err().kind(), ErrorKind::Range, "{pairs:?}");
        }
    }

    #[test]
    fn other_gs1_keys_to_uri() {
        let gcp = FixedGcpLength(7);
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("01", "04012345123456"), ("10", "998877")], "urn:epc:class:lgtin:4012345.012345.998877"),
            (&[("417", "0614141123452")], "urn:epc:id:pgln:0614141.12345"),
            (&[("402", "06141411234567890")], "urn:epc:id:gsin:0614141.123456789"),
            (&[("401", "0614141xyz/3311")], "urn:epc:id:ginc:0614141.xyz%2F3311"),
            // UPUI: TDS §6.3.14 example.
            (
                &[("01", "09521141890127"), ("235", "51qIgY)<&Jp3*j7'SDB")],
                "urn:epc:id:upui:9521141.089012.51qIgY)%3C%26Jp3*j7'SDB",
            ),
            (
                &[("10", "LOT"), ("00", "106141412345678908"), ("01", "80614141123458")],
                "urn:epc:id:sscc:0614141.1234567890",
            ),
        ];
        for (pairs, uri) in cases {
            let g = gs1(pairs);
            assert_eq!(to_epc_uri(&g, &gcp).unwrap(), uri);
            if g.get_index(0).unwrap().ai() != "10" {
                assert_eq!(parse_gs1(uri).0, g, "{uri}");
            }
        }
        assert_eq!(gs1(&[("402", &checked("0614141123456789"))]).get("402"), Some("06141411234567890"));
    }

    #[test]
    fn uri_errors_and_positions() {
        let err = |s: &str| parse(s).unwrap_err();
        // CP + IR = 12 digits: Length at the company prefix (byte 17), spanning CP.IR.
        let e = err("urn:epc:id:sgtin:0614141.81234.6789");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Length, Some(17), Some(13)));
        let e = err("urn:epc:id:sgtin:0614141.8123X5.6789");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Charset, Some(29), Some(1)));
        let e = err("urn:epc:id:sgtin:0614141.812345.67 89");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Charset, Some(34)));
        let e = err("urn:epc:id:sgtin:0614141.812345.a%2Gb");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Syntax, Some(33), Some(3)));
        let e = err("urn:epc:id:sgtin:0614141.812345.a%41b");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Charset, Some(33), Some(3)));
        let e = err("urn:epc:id:sgtin:0614141.812345.a%");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Syntax, Some(33), Some(1)));
        let e = err("urn:epc:id:sgtin:0614141.812345");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Syntax, Some(31)));
        let e = err("urn:epc:id:sgtin:0614141.812345.");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Length, Some(32)));
        let e = err("urn:epc:id:sgtin:0614141.812345.123456789012345678901");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Length, Some(32), Some(21)));
        let e = err("urn:epc:id:sscc:0614141.1234567890.5");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Charset, Some(34)));
        let e = err("urn:epc:id:foo:1.2");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Syntax, Some(11), Some(3)));
        assert_eq!(err("urn:epc:id:usdod:2S194.12345678901").kind(), ErrorKind::Unsupported);
        assert_eq!(err("urn:isbn:123").kind(), ErrorKind::Syntax);
        assert_eq!(err("   ").kind(), ErrorKind::Empty);
        assert_eq!(err("urn:epc:idpat:sgtin:0614141.*.*").kind(), ErrorKind::Syntax);
        assert_eq!(err("urn:epc:id:lgtin:0614141.812345.L").kind(), ErrorKind::Syntax);
        assert_eq!(err("urn:epc:class:sgtin:0614141.812345.L").kind(), ErrorKind::Syntax);
        let e = err("urn:epc:id:itip:4012345.012345.03.02.981");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Value, Some(34), Some(2)));
        let e = err("urn:epc:id:cpi:0614141.5pq7.12345");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Charset, Some(24)));
        let e = err("urn:epc:id:cpi:0614141.5PQ7.012345");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Syntax, Some(28), Some(6)));
        let e = err("urn:epc:id:giai:0614141.123456789012345678901234");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Length, Some(24)));
        // Offsets count from the untrimmed input.
        let e = err("  urn:epc:id:sgtin:0614141.81234.6789");
        assert_eq!(e.offset(), Some(19));
        let e = err("urn:epc:id:giai:061.ABC");
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Length, Some(16), Some(3)));
        let long = format!("urn:epc:id:giai:0614141.{}", "1".repeat(600));
        assert_eq!(err(&long).kind(), ErrorKind::Length);
    }

    #[test]
    fn case_rules() {
        let lenient = ParseOptions::new().lenient(true);
        assert!(parse("URN:EPC:id:sgtin:0614141.812345.6789").is_ok());
        assert!(parse(" urn:epc:id:sgtin:0614141.812345.6789\r\n").is_ok());
        let e = parse("urn:epc:ID:SGTIN:0614141.812345.6789").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Syntax, Some(8)));
        assert!(parse_epc_uri("urn:epc:ID:SGTIN:0614141.812345.6789", &lenient).is_ok());
        assert!(parse_epc_uri("URN:EPC:TAG:SGTIN-96:3.0614141.812345.6789", &lenient).is_ok());
        // Lower-case hex escapes are always accepted; lenient accepts any escaped GS1 character.
        assert_eq!(parse_gs1("urn:epc:id:sgtin:0614141.712345.32a%2fb").0.get("21"), Some("32a/b"));
        let (d, _) = parse_epc_uri("urn:epc:id:sgtin:0614141.812345.a%41b", &lenient).unwrap();
        assert!(matches!(d, CodeData::Gs1(g) if g.get("21") == Some("aAb")));
        assert!(parse_epc_uri("urn:epc:id:gid:031415.1.2", &lenient).is_ok());
        assert_eq!(parse("urn:epc:id:gid:031415.1.2").unwrap_err().kind(), ErrorKind::Syntax);
    }

    #[test]
    fn tag_uris() {
        let (g, info) = parse_gs1("urn:epc:tag:sgtin-96:3.0614141.812345.6789");
        assert_eq!(g, gs1(&[("01", "80614141123458"), ("21", "6789")]));
        assert_eq!(
            info,
            EpcInfo {
                scheme: EpcScheme::Sgtin,
                filter: Some(3),
                gcp_len: Some(7),
                tag_bits: Some(96),
                binary: Some(EpcBinaryScheme::Sgtin96)
            }
        );
        let (d, info) = parse("urn:epc:tag:gid-96:31415.271828.1414").unwrap();
        assert_eq!(d, CodeData::Gid(Gid { manager: 31415, class: 271_828, serial: 1414 }));
        assert_eq!((info.scheme, info.filter, info.tag_bits), (EpcScheme::Gid, None, Some(96)));
        let (_, info) = parse_gs1("urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb");
        assert_eq!(info.tag_bits, Some(198));
        let (_, info) = parse_gs1("urn:epc:tag:cpi-var:3.0614141.5PQ7%2FZ43.12345");
        assert_eq!((info.tag_bits, info.binary), (Some(132), Some(EpcBinaryScheme::CpiVar)));
        // Values that do not fit the scheme.
        let e = parse("urn:epc:tag:sgtin-96:3.0614141.812345.32a%2Fb").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Range, Some(38), Some(7)));
        assert!(e.message().contains("SGTIN-198"), "{e}");
        assert_eq!(parse("urn:epc:tag:sgtin-96:3.0614141.812345.06789").unwrap_err().kind(), ErrorKind::Range);
        assert_eq!(parse("urn:epc:tag:sgtin-96:3.0614141.812345.274877906944").unwrap_err().kind(), ErrorKind::Range);
        assert!(parse("urn:epc:tag:sgtin-96:3.0614141.812345.274877906943").is_ok());
        assert_eq!(parse("urn:epc:tag:sgtin-96:3.06141.81234567.1").unwrap_err().kind(), ErrorKind::Range);
        let e = parse("urn:epc:tag:sgtin-96:8.0614141.812345.6789").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Syntax, Some(21), Some(1)));
        assert_eq!(parse("urn:epc:tag:gdti-113:3.0614141.12345.400").unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(parse("urn:epc:tag:sscc-96:3.0614141.1234567890").unwrap().1.filter, Some(3));
        // Printing.
        let g = gs1(&[("01", "80614141123458"), ("21", "6789")]);
        let t = to_epc_tag_uri(&g, &FixedGcpLength(7), EpcBinaryScheme::Sgtin96, 3).unwrap();
        assert_eq!(t, "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
        assert_eq!(
            to_epc_tag_uri(&g, &FixedGcpLength(7), EpcBinaryScheme::Sscc96, 3).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            to_epc_tag_uri(&g, &FixedGcpLength(7), EpcBinaryScheme::Sgtin96, 8).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        let g = gs1(&[("01", "80614141123458"), ("21", "0789")]);
        let e = to_epc_tag_uri(&g, &FixedGcpLength(7), EpcBinaryScheme::Sgtin96, 3).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Range);
        assert_eq!(
            gid_tag_uri(&Gid { manager: 31415, class: 271_828, serial: 1414 }),
            "urn:epc:tag:gid-96:31415.271828.1414"
        );
    }

    #[test]
    fn gid_and_raw() {
        let g = Gid { manager: 31415, class: 271_828, serial: 1414 };
        let (d, info) = parse("urn:epc:id:gid:31415.271828.1414").unwrap();
        assert_eq!((d, info.scheme, info.gcp_len), (CodeData::Gid(g), EpcScheme::Gid, None));
        assert_eq!(gid_uri(&g), "urn:epc:id:gid:31415.271828.1414");
        let e = parse("urn:epc:id:gid:268435456.1.1").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Range, Some(15), Some(9)));
        assert!(parse("urn:epc:id:gid:268435455.16777215.68719476735").is_ok());
        assert_eq!(parse("urn:epc:id:gid:1.2").unwrap_err().kind(), ErrorKind::Syntax);
        let (g, info) = parse_gs1("urn:epc:raw:96.x3074257BF7194E4000001A85");
        assert_eq!(g.get("21"), Some("6789"));
        assert_eq!(info.filter, Some(3));
        let e = parse("urn:epc:raw:96.x3074257BF7194E4000001A8G").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Syntax, Some(39)));
        assert_eq!(parse("urn:epc:raw:96.123").unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn patterns() {
        let (d, i) = parse("urn:epc:id:sgtin:0614141.812345.6789").unwrap();
        for (pat, want) in [
            ("urn:epc:idpat:sgtin:0614141.812345.6789", true),
            ("urn:epc:idpat:sgtin:0614141.812345.*", true),
            ("urn:epc:idpat:sgtin:0614141.*.*", true),
            ("urn:epc:idpat:sgtin:*.*.*", true),
            ("urn:epc:idpat:sgtin:0614141.812345.6788", false),
            ("urn:epc:idpat:sgtin:0614141.712345.*", false),
            ("urn:epc:idpat:sgtin:061414.*.*", false),
            ("urn:epc:idpat:sscc:*.*", false),
        ] {
            let p = parse_epc_pattern(pat).unwrap();
            assert_eq!(p.matches(&d, &i), want, "{pat}");
        }
        let p = parse_epc_pattern("urn:epc:idpat:sgln:0614141.12345.*").unwrap();
        assert!(p.matches_uri("urn:epc:id:sgln:0614141.12345.0"));
        assert!(p.matches_uri("urn:epc:tag:sgln-195:3.0614141.12345.32a%2Fb"));
        let p = parse_epc_pattern("urn:epc:idpat:giai:0614141.32a%2Fb").unwrap();
        assert_eq!(p.fields(), &[Some("0614141".to_owned()), Some("32a/b".to_owned())]);
        assert!(p.matches_uri("urn:epc:id:giai:0614141.32a%2Fb"));
        let p = parse_epc_pattern("urn:epc:idpat:gid:31415.*.*").unwrap();
        assert!(p.matches_uri("urn:epc:id:gid:31415.271828.1414"));
        assert!(!p.matches_uri("urn:epc:id:gid:31416.271828.1414"));
        let p = parse_epc_pattern("urn:epc:idpat:itip:4012345.012345.01.02.*").unwrap();
        assert!(p.matches_uri("urn:epc:id:itip:4012345.012345.01.02.981"));
        assert!(!p.matches_uri("urn:epc:id:itip:4012345.012345.02.02.981"));
        // A GTIN-8 EPC with a non-standard partition is refused strictly; read leniently, it still matches its
        // own literal pattern.
        let p = parse_epc_pattern("urn:epc:idpat:sgtin:0000095.001093.*").unwrap();
        assert!(!p.matches_uri("urn:epc:id:sgtin:0000095.001093.7"));
        let lenient = ParseOptions::new().lenient(true);
        let (d, i) = parse_epc_uri("urn:epc:id:sgtin:0000095.001093.7", &lenient).unwrap();
        assert!(p.matches(&d, &i));
        for (bad, kind, at) in [
            ("urn:epc:idpat:sgtin:0614141.*.6789", ErrorKind::Syntax, 30),
            ("urn:epc:idpat:sgtin:*.812345.*", ErrorKind::Syntax, 22),
            ("urn:epc:idpat:sgtin:0614141.81234.*", ErrorKind::Length, 20),
            ("urn:epc:idpat:sgtin:06X4141.*.*", ErrorKind::Charset, 22),
            ("urn:epc:idpat:sgtin:0614141.*", ErrorKind::Syntax, 29),
            ("urn:epc:id:sgtin:0614141.812345.6789", ErrorKind::Syntax, 8),
            ("urn:epc:idpat:lgtin:0614141.*.*", ErrorKind::Syntax, 14),
        ] {
            let e = parse_epc_pattern(bad).unwrap_err();
            assert_eq!((e.kind(), e.offset()), (kind, Some(at)), "{bad}: {e}");
        }
    }

    /// Random digits of length `n`.
    pub(crate) fn digits(n: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..10, n).prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
    }

    /// Random GS1 (CSET 82) text of `min..=max` characters.
    pub(crate) fn cset82(min: usize, max: usize) -> impl Strategy<Value = String> {
        let chars: Vec<char> = (0x21u8..0x7F).filter(|&b| is_cset82(b)).map(char::from).collect();
        proptest::collection::vec(proptest::sample::select(chars), min..=max).prop_map(|v| v.into_iter().collect())
    }

    /// Random CSET 39 text of `min..=max` characters.
    pub(crate) fn cset39(min: usize, max: usize) -> impl Strategy<Value = String> {
        let chars: Vec<char> = (0x21u8..0x7F).filter(|&b| is_cset39(b)).map(char::from).collect();
        proptest::collection::vec(proptest::sample::select(chars), min..=max).prop_map(|v| v.into_iter().collect())
    }

    /// A number below `2^bits` as decimal text.
    pub(crate) fn int_text(bits: u32) -> impl Strategy<Value = String> {
        (0u64..(1u64 << bits)).prop_map(|v| v.to_string())
    }

    /// Random valid parts of `scheme` with a company prefix of `l` digits; serials are numeric/alphanumeric as
    /// `numeric` says (numeric ones fit the 96-bit encodings).
    pub(crate) fn arb_parts(scheme: EpcScheme, l: usize, numeric: bool) -> BoxedStrategy<Parts> {
        use EpcScheme as S;
        let lay = layout(scheme);
        let cp = digits(l);
        let reference: BoxedStrategy<String> = match lay.reference {
            RefKind::Digits(t) => digits(usize::from(t) - l).boxed(),
            RefKind::Gs3a3 if numeric => int_text(82 - [40u32, 37, 34, 30, 27, 24, 20][12 - l]).boxed(),
            RefKind::CpRef if numeric => int_text(51 - [40u32, 37, 34, 30, 27, 24, 20][12 - l]).boxed(),
            RefKind::Gs3a3 => cset82(1, 30 - l).boxed(),
            RefKind::CpRef => cset39(1, 30 - l).boxed(),
        };
        let serial: BoxedStrategy<String> = match (scheme, lay.serial) {
            (_, SerialKind::None) => Just(String::new()).boxed(),
            (S::Sgln | S::Gdti, _) if numeric => int_text(41).boxed(),
            (_, SerialKind::Gs3a3(_)) if numeric => int_text(38).boxed(),
            (_, SerialKind::Gs3a3(max)) => cset82(1, usize::from(max)).boxed(),
            (_, SerialKind::Integer12) if numeric => int_text(31).boxed(),
            (_, SerialKind::Integer12) => (0u64..1_000_000_000_000).prop_map(|v| v.to_string()).boxed(),
            (_, SerialKind::Padded12) => (1usize..=12).prop_flat_map(digits).boxed(),
        };
        let pt = (1u8..=99).prop_flat_map(|t| (1u8..=t, Just(t)));
        (cp, reference, pt, serial)
            .prop_map(move |(cp, reference, (piece, total), serial)| {
                let (piece, total) = if lay.piece_total { (piece, total) } else { (0, 0) };
                Parts { scheme, cp, reference, piece, total, serial }
            })
            .prop_filter("valid parts", |p| check_parts(p).is_ok())
            .boxed()
    }

    /// True when strict GS1 → EPC conversion reproduces `p` (no restricted GTIN, no GTIN-8 form).
    pub(crate) fn strict_ok(p: &Parts) -> bool {
        check_strict(p).is_ok()
    }

    fn arb_any() -> impl Strategy<Value = Parts> {
        let schemes: Vec<EpcScheme> = EpcScheme::ALL.into_iter().filter(|s| *s != EpcScheme::Gid).collect();
        (proptest::sample::select(schemes), 4usize..=12, any::<bool>()).prop_flat_map(|(s, l, numeric)| {
            // Numeric references need a binary partition (6..=12).
            let numeric = numeric && l >= 6;
            arb_parts(s, l, numeric)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn gs1_to_uri_to_gs1(p in arb_any()) {
            prop_assume!(strict_ok(&p));
            let g = parts_to_gs1(&p).unwrap();
            let uri = to_epc_uri(&g, &FixedGcpLength(u8::try_from(p.cp.len()).unwrap())).unwrap();
            prop_assert_eq!(&uri, &pure_uri(&p));
            let (back, info) = parse_gs1(&uri);
            prop_assert_eq!(back, g);
            prop_assert_eq!(info.scheme, p.scheme);
            prop_assert_eq!(usize::from(info.gcp_len.unwrap()), p.cp.len());
            let pat = parse_epc_pattern(&uri.replacen(":id:", ":idpat:", 1).replacen(":class:lgtin:", ":idpat:lgtin:", 1));
            if p.scheme != EpcScheme::Lgtin {
                let (d, i) = parse(&uri).unwrap();
                prop_assert!(pat.unwrap().matches(&d, &i));
            }
        }

        #[test]
        fn fuzz_oracles_hold_for_generated_epcs(p in arb_any()) {
            prop_assume!(strict_ok(&p));
            crate::fuzzing::epc_uri(pure_uri(&p).as_bytes());
        }

        #[test]
        fn escape_round_trip(s in cset82(1, 40)) {
            let mut out = String::new();
            escape_into(&mut out, &s, false);
            prop_assert!(out.bytes().all(|b| is_gs3a3_raw(b) || b == b'%' || b.is_ascii_hexdigit()));
            prop_assert_eq!(unescape(&out, 0, false, false).unwrap(), s);
        }

        #[test]
        fn parse_never_panics(s in "urn:epc:(id|tag|idpat|class|raw):[a-z0-9-]{0,9}:[0-9A-Za-z.%*/]{0,40}") {
            let _ = parse(&s);
            let _ = parse_epc_pattern(&s);
        }

        #[test]
        fn parse_arbitrary_text_never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
            let _ = parse_epc_pattern(&s);
        }
    }
}
