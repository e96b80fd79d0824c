//! The unified coding scheme: parse, validate, normalise and issue trace codes.
//!
//! See the crate docs for the overview. Entry points: [`parse`], [`candidates`], [`TraceKey`], [`issue`].
//!
//! # Example
//! ```
//! use tracecode::code::{parse, CheckStatus, KeyKind, Scheme};
//!
//! // A bare GTIN: detected, its check digit verified, and reduced to a class key.
//! let gtin = parse("09506000134352")?;
//! assert_eq!(gtin.scheme(), Scheme::Gs1Key);
//! assert_eq!(gtin.check_status(), CheckStatus::Verified);
//! assert_eq!(gtin.trace_key()?.kind(), KeyKind::Class);
//!
//! // China's 20-digit drug code: only the national platform can verify its last 4 digits.
//! let drug = parse("8123 4567 8901 2345 6789")?;
//! assert_eq!(drug.scheme(), Scheme::CnDrug20);
//! assert_eq!(drug.check_status(), CheckStatus::NotVerifiableOffline);
//! assert_eq!(drug.trace_key()?.to_string(), "cn-drug20:81234567890123456789");
//! # Ok::<(), tracecode::Error>(())
//! ```

pub(crate) mod bytes;
pub mod check;
pub mod cn;
pub mod gs1;
pub mod input;
pub mod issue;
pub mod key;

mod detect;
pub(crate) mod scan;

use std::borrow::Cow;
use std::fmt;

pub(crate) use detect::identifier_key;
pub use detect::{Candidate, candidates, candidates_with, parse, parse_with};
pub use key::{KeyKind, TraceKey};
pub use scan::scan_key;

use crate::Error;

/// The spelling a code was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// A GS1 element string in transmitted form (FNC1 as GS), with or without an AIM symbology identifier.
    Gs1ElementString,
    /// A GS1 element string in bracketed human-readable form, `(01)…(21)…`.
    Gs1Bracketed,
    /// A bare GS1 key: GTIN-8/12/13/14, UPC-E, SSCC or GLN digits without an AI.
    Gs1Key,
    /// A GS1 Digital Link URI.
    DigitalLink,
    /// An EPC URI (pure identity, tag or class form).
    EpcUri,
    /// An EPC read from an RFID tag's EPC bank, as hex or bytes.
    EpcBinary,
    /// China's 20-digit drug traceability code (药品追溯码).
    CnDrug20,
    /// An MA code / IDcode (ISO/IEC 15459 issuing agency "MA").
    Ma,
    /// A Handle / industrial-internet (IDIS) identifier, `prefix/suffix`.
    Handle,
    /// An Ecode (GB/T 31866).
    Ecode,
    /// An 18-character special-equipment code (特种设备代码).
    EquipmentCode,
    /// A 20-digit special-equipment registration code (注册代码).
    EquipmentRegistration,
    /// A gas-cylinder use-registration code.
    GasCylinder,
    /// A GA 441 industrial-detonator shell code.
    Detonator,
    /// A 24-digit veterinary-drug trace code (兽药追溯码).
    VetDrug,
    /// A 32-digit pesticide label unit identification code (农药).
    Pesticide,
    /// An 18-character unified social credit code (统一社会信用代码), identifying a party.
    CreditCode,
}

impl Scheme {
    /// Stable short name used in canonical text and the CLI.
    ///
    /// ```
    /// assert_eq!(tracecode::code::Scheme::DigitalLink.as_str(), "gs1-dl");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gs1ElementString => "gs1-element-string",
            Self::Gs1Bracketed => "gs1-bracketed",
            Self::Gs1Key => "gs1-key",
            Self::DigitalLink => "gs1-dl",
            Self::EpcUri => "epc-uri",
            Self::EpcBinary => "epc-binary",
            Self::CnDrug20 => "cn-drug20",
            Self::Ma => "ma",
            Self::Handle => "idis",
            Self::Ecode => "ecode",
            Self::EquipmentCode => "cn-equipment",
            Self::EquipmentRegistration => "cn-equipment-reg",
            Self::GasCylinder => "cn-gas-cylinder",
            Self::Detonator => "cn-detonator",
            Self::VetDrug => "cn-vetdrug24",
            Self::Pesticide => "cn-pesticide32",
            Self::CreditCode => "cn-uscc",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The physical carrier a scan came from, when the input says (AIM symbology identifier, RFID, URL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Carrier {
    /// Not stated by the input.
    Unknown,
    /// GS1-128 (`]C1`).
    Gs1_128,
    /// Plain Code 128 (`]C0`).
    Code128,
    /// GS1 DataMatrix (`]d2`).
    Gs1DataMatrix,
    /// Plain DataMatrix (`]d1`, `]d4`).
    DataMatrix,
    /// GS1 QR Code (`]Q3`).
    Gs1Qr,
    /// Plain QR Code (`]Q1`, `]Q2`).
    Qr,
    /// GS1 DataBar or a composite component (`]e0`).
    DataBar,
    /// GS1 DotCode (`]J1`).
    Gs1DotCode,
    /// EAN-13 / UPC-A / UPC-E (`]E0`).
    Ean13,
    /// EAN-8 (`]E4`).
    Ean8,
    /// ITF-14 (`]I1`).
    Itf,
    /// An RFID tag's EPC memory bank.
    Rfid,
}

impl Carrier {
    /// Stable short name for the CLI's JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Gs1_128 => "gs1-128",
            Self::Code128 => "code128",
            Self::Gs1DataMatrix => "gs1-datamatrix",
            Self::DataMatrix => "datamatrix",
            Self::Gs1Qr => "gs1-qr",
            Self::Qr => "qr",
            Self::DataBar => "databar",
            Self::Gs1DotCode => "gs1-dotcode",
            Self::Ean13 => "ean-13",
            Self::Ean8 => "ean-8",
            Self::Itf => "itf-14",
            Self::Rfid => "rfid",
        }
    }
}

/// A non-fatal observation about an input: something was tolerated, inferred or cannot be verified.
///
/// `code` is a stable `snake_case` identifier (scripts match on it); `message` is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Stable identifier, e.g. `"inferred_gs1"`, `"zero_suppressed_gtin"`, `"check_not_verifiable_offline"`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: Cow<'static, str>,
}

impl Warning {
    /// A warning with a stable code and a message.
    pub fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into() }
    }
}

/// Whether a code's check characters could be verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// The check digit(s) were computed and match.
    Verified,
    /// The code has check characters, but their algorithm is secret or unknown (e.g. the 4 encrypted digits of
    /// China's 20-digit drug code): only the issuing platform can verify them.
    NotVerifiableOffline,
    /// The scheme has no check character.
    None,
}

/// A named part of a [`NationalCode`], as a byte range of its normalised text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Stable field name, e.g. `"product"`, `"serial"`, `"check"`.
    pub name: &'static str,
    /// Start byte in [`NationalCode::text`].
    pub start: u16,
    /// End byte (exclusive).
    pub end: u16,
}

/// A structured non-GS1 code (China's schemes, Handle, MA): its normalised text split into named fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NationalCode {
    /// Which scheme.
    pub scheme: Scheme,
    /// The normalised text (grouping spaces removed, case folded where the scheme says so).
    pub text: String,
    /// Named fields, in order.
    pub fields: Vec<Field>,
    /// Whether check characters were verified.
    pub check: CheckStatus,
}

impl NationalCode {
    /// The text of field `name`, if present.
    ///
    /// ```
    /// let code = tracecode::code::parse("81234567890123456789")?;
    /// let nc = code.national().unwrap();
    /// assert_eq!(nc.field("product"), Some("8123456"));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn field(&self, name: &str) -> Option<&str> {
        let f = self.fields.iter().find(|f| f.name == name)?;
        self.text.get(usize::from(f.start)..usize::from(f.end))
    }

    /// All fields as (name, text) pairs.
    pub fn field_values(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.fields.iter().map(|f| (f.name, self.text.get(usize::from(f.start)..usize::from(f.end)).unwrap_or("")))
    }
}

/// What a [`Code`] carries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeData {
    /// A GS1 element list (from element strings, bracketed text, bare keys, Digital Link, or GS1 EPCs).
    Gs1(gs1::Gs1),
    /// An EPC with no GS1 equivalent (GID-96).
    Gid(gs1::epc_uri::Gid),
    /// A structured national code.
    National(NationalCode),
}

/// A parsed code: what was read, in which spelling, from which carrier, with any warnings.
///
/// Obtain one with [`parse`]; get its identity with [`Code::trace_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub(crate) scheme: Scheme,
    pub(crate) carrier: Carrier,
    pub(crate) data: CodeData,
    pub(crate) epc: Option<gs1::epc_uri::EpcInfo>,
    pub(crate) warnings: Vec<Warning>,
}

/// The code in its canonical human spelling: bracketed GS1 element string (`(01)…(21)…`), the national code's
/// text, or the GID's pure-identity URI.
///
/// ```
/// let c: tracecode::code::Code = "]d2010950600013435221A1".parse()?;
/// assert_eq!(c.to_string(), "(01)09506000134352(21)A1");
/// # Ok::<(), tracecode::Error>(())
/// ```
impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.data {
            CodeData::Gs1(g) => f.write_str(&g.to_bracketed()),
            CodeData::Gid(g) => f.write_str(&gs1::epc_uri::gid_uri(g)),
            CodeData::National(n) => f.write_str(&n.text),
        }
    }
}

/// [`parse`] with default options.
impl std::str::FromStr for Code {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        parse(s)
    }
}

impl Code {
    /// Builds a code from parts (used by parsers and issuers).
    pub(crate) fn new(scheme: Scheme, carrier: Carrier, data: CodeData) -> Self {
        Self { scheme, carrier, data, epc: None, warnings: Vec::new() }
    }

    /// The spelling the code was read in.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The carrier, when the input said.
    pub const fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// The data.
    pub const fn data(&self) -> &CodeData {
        &self.data
    }

    /// The GS1 element list, for GS1 spellings.
    pub const fn gs1(&self) -> Option<&gs1::Gs1> {
        match &self.data {
            CodeData::Gs1(g) => Some(g),
            _ => None,
        }
    }

    /// The structured national code, for non-GS1 schemes.
    pub const fn national(&self) -> Option<&NationalCode> {
        match &self.data {
            CodeData::National(n) => Some(n),
            _ => None,
        }
    }

    /// EPC details (filter, company-prefix length, tag size) when read from an EPC URI or binary.
    pub const fn epc_info(&self) -> Option<&gs1::epc_uri::EpcInfo> {
        self.epc.as_ref()
    }

    /// Non-fatal observations.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Whether check characters were verified.
    pub fn check_status(&self) -> CheckStatus {
        match &self.data {
            CodeData::National(n) => n.check,
            CodeData::Gid(_) => CheckStatus::None,
            CodeData::Gs1(_) => CheckStatus::Verified,
        }
    }

    /// The identity this code denotes: equal for every spelling of one item.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Syntax`] if the code carries no identifying key (e.g. a GS1 message holding only an
    /// expiry date).
    ///
    /// ```
    /// use tracecode::code::parse;
    /// let a = parse("]d2010950600013435217261231\u{1d}21XYZ789")?.trace_key()?;
    /// let b = parse("https://example.com/01/09506000134352/21/XYZ789?17=261231")?.trace_key()?;
    /// assert_eq!(a, b);
    /// assert_eq!(a.to_string(), "01/09506000134352/21/XYZ789");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn trace_key(&self) -> Result<TraceKey, Error> {
        TraceKey::from_code(self)
    }
}

/// Options for [`parse_with`] and [`candidates_with`]. A `const` builder, so a configured parser can be a
/// `static`:
///
/// ```
/// use tracecode::code::ParseOptions;
/// static LENIENT: ParseOptions = ParseOptions::new().lenient(true).current_year(2026);
/// assert!(LENIENT.is_lenient());
/// ```
///
/// ## Defaults
/// Strict GS1 validation; current year from the system clock; GS1 inferred from bare digit strings when the
/// key's check digit passes; zero-suppressed GTINs in Digital Link accepted with a warning; convenience alphas,
/// unknown AIs and dropped-separator recovery off.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::struct_excessive_bools, reason = "independent switches of a builder")]
pub struct ParseOptions {
    pub(crate) lenient: bool,
    pub(crate) current_year: u16,
    pub(crate) permit_unknown_ais: bool,
    pub(crate) permit_zero_suppressed_gtin: bool,
    pub(crate) permit_convenience_alphas: bool,
    pub(crate) infer_gs1: bool,
    pub(crate) recover_dropped_gs: bool,
    pub(crate) check_pairings: bool,
    pub(crate) cn_rules: &'static cn::CnRules,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ParseOptions {
    /// The defaults (see the type's docs).
    pub const fn new() -> Self {
        Self {
            lenient: false,
            current_year: 0,
            permit_unknown_ais: false,
            permit_zero_suppressed_gtin: true,
            permit_convenience_alphas: false,
            infer_gs1: true,
            recover_dropped_gs: false,
            check_pairings: true,
            cn_rules: &cn::CnRules::DEFAULT,
        }
    }

    /// Lenient mode: tolerable violations (upper-case URI scheme, lower-case hex escapes, a 13-digit GTIN in a
    /// Digital Link, a repeated identical AI) become warnings instead of errors.
    #[must_use]
    pub const fn lenient(mut self, on: bool) -> Self {
        self.lenient = on;
        self
    }

    /// Pins the current year used by the GS1 century rule for two-digit years (tests and replays pin it;
    /// 0 means "read the system clock").
    #[must_use]
    pub const fn current_year(mut self, year: u16) -> Self {
        self.current_year = year;
        self
    }

    /// Accept AIs the dictionary does not define, stepping over them by the GenSpecs prefix-length table.
    #[must_use]
    pub const fn permit_unknown_ais(mut self, on: bool) -> Self {
        self.permit_unknown_ais = on;
        self
    }

    /// Accept 8/12/13-digit GTINs in Digital Link paths (padded to 14, with a warning).
    #[must_use]
    pub const fn permit_zero_suppressed_gtin(mut self, on: bool) -> Self {
        self.permit_zero_suppressed_gtin = on;
        self
    }

    /// Accept the deprecated Digital Link convenience alphas (`/gtin/…`, `/ser/…`).
    #[must_use]
    pub const fn permit_convenience_alphas(mut self, on: bool) -> Self {
        self.permit_convenience_alphas = on;
        self
    }

    /// Treat a digit string without an AIM identifier as a GS1 element string when it starts with a
    /// pre-defined-length key AI whose check digit passes (flagged `inferred_gs1`).
    #[must_use]
    pub const fn infer_gs1(mut self, on: bool) -> Self {
        self.infer_gs1 = on;
        self
    }

    /// Try to recover a separator a keyboard-wedge scanner dropped between two variable-length AIs
    /// (heuristic, always flagged `recovered_separator`).
    #[must_use]
    pub const fn recover_dropped_gs(mut self, on: bool) -> Self {
        self.recover_dropped_gs = on;
        self
    }

    /// Check GS1 `req=`/`ex=` pairing rules (on by default; turn off when one carrier holds only part of an
    /// item's data and pairings are checked over the combined data elsewhere).
    #[must_use]
    pub const fn check_pairings(mut self, on: bool) -> Self {
        self.check_pairings = on;
        self
    }

    /// The rules for China's codes whose layouts are unconfirmed (see [`cn::CnRules`]).
    ///
    /// ```
    /// use tracecode::code::{cn::CnRules, ParseOptions};
    /// static RULES: CnRules = CnRules::DEFAULT.drug20_require_leading_8(false);
    /// static OPTS: ParseOptions = ParseOptions::new().cn_rules(&RULES);
    /// assert!(tracecode::code::parse_with("12345678901234567890", &OPTS).is_ok());
    /// ```
    #[must_use]
    pub const fn cn_rules(mut self, rules: &'static cn::CnRules) -> Self {
        self.cn_rules = rules;
        self
    }

    /// Whether lenient mode is on.
    pub const fn is_lenient(&self) -> bool {
        self.lenient
    }

    /// The current year to use for two-digit years: the pinned one, or the system clock's.
    ///
    /// The clock's year is cached process-wide and re-read every 4096 calls: reading the clock on every scan
    /// cost more than validating the scan. After New Year a cached value can be stale for at most 4096 parses,
    /// and the year only matters for a two-digit year exactly 50 years away (the GS1 century window edge).
    pub fn effective_year(&self) -> u16 {
        use std::sync::atomic::{AtomicU32, Ordering};
        // Low 16 bits: cached year (0 = none); high 16 bits: calls since the last clock read.
        static CACHE: AtomicU32 = AtomicU32::new(0);
        if self.current_year != 0 {
            return self.current_year;
        }
        let c = CACHE.fetch_add(1 << 16, Ordering::Relaxed);
        let year = u16::try_from(c & 0xFFFF).unwrap_or(0);
        if year != 0 && (c >> 16) < 4096 {
            return year;
        }
        let y = system_year();
        CACHE.store(u32::from(y), Ordering::Relaxed);
        y
    }
}

/// The current UTC year from the system clock.
fn system_year() -> u16 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    u16::try_from(crate::civil::civil_from_days(days).0).unwrap_or(2026)
}
