//! China's trace codes and the identifiers printed next to them (`reference/codes.md` §6).
//!
//! One parser per scheme, each `parse_xxx(input, &CnRules) -> Result<(NationalCode, Vec<Warning>), Error>`:
//! the normalised text split into named [`Field`]s, the [`CheckStatus`], and non-fatal [`Warning`]s. Errors
//! carry the byte offset and length of the fault in `input`. Every parser also has a cheap
//! `looks_like_xxx(&[u8]) -> bool` pre-filter (length and character set only, no allocation) so a detector can
//! skip parsers that cannot match.
//!
//! Layouts that `codes.md` marks "(unconfirmed; treat as configurable)" are taken from [`CnRules`], never
//! hard-coded; [`CnRules::DEFAULT`] holds the layouts of the secondary sources `codes.md` cites.
//!
//! | Scheme | Parser | Shape |
//! |---|---|---|
//! | 20-digit drug code (§6.1) | [`parse_drug20`] | 20 digits, grouping spaces/dashes allowed |
//! | MA / `IDcode` (§6.2) | [`parse_ma`] | `MA.156.M0.…` or `MA.156.1003.1629/60.…` |
//! | Ecode (§6.3) | [`parse_ecode`] | version + NSI + master data |
//! | Handle / IDIS (§6.4) | [`parse_handle`] | `prefix/suffix`, `hdl:` and resolver wrappers |
//! | Special-equipment code (§6.5) | [`parse_equipment_code`] | 18 characters |
//! | Special-equipment registration (§6.5) | [`parse_equipment_registration`] | 20 digits |
//! | Gas cylinder (§6.6) | [`parse_gas_cylinder`] | 11 or 12 characters |
//! | Detonator shell code (§6.7) | [`parse_detonator`] | 13 characters |
//! | Veterinary drug (§6.10) | [`parse_vet_drug24`] | 24 digits |
//! | Pesticide label (§6.10) | [`parse_pesticide32`] | 32 digits |
//! | Unified social credit code (§6.11) | [`parse_credit_code`] | 18 characters, MOD 31 check |
//! | A configured profile (§6.9) | [`parse_profile`] | caller-supplied [`TraceProfile`] |
//!
//! [`unwrap_url`] finds the code inside the URLs Chinese trace QR codes carry (§7).
//!
//! # Example
//! ```
//! use tracecode::code::CheckStatus;
//! use tracecode::code::cn::{CnRules, looks_like_drug20, parse_credit_code, parse_drug20, unwrap_url};
//!
//! // A trace QR code carries a URL; find the code in it, pre-filter, then parse.
//! let url = "https://trace.example.cn/q?from=app&code=81234567890123456789";
//! let (start, end) = unwrap_url(url).unwrap();
//! assert!(looks_like_drug20(url[start..end].as_bytes()));
//! let (drug, warnings) = parse_drug20(&url[start..end], &CnRules::DEFAULT)?;
//! assert_eq!((drug.field("product"), drug.field("serial")), (Some("8123456"), Some("789012345")));
//! assert_eq!(drug.check, CheckStatus::NotVerifiableOffline);
//! assert!(warnings.is_empty());
//!
//! // A unified social credit code's MOD 31 check character is verified offline.
//! let (uscc, _) = parse_credit_code("91350100M000100Y43", &CnRules::DEFAULT)?;
//! assert_eq!((uscc.field("area"), uscc.check), (Some("350100"), CheckStatus::Verified));
//! # Ok::<(), tracecode::Error>(())
//! ```
//!
//! # Ambiguities a detector must rank, not guess
//! The pre-filters overlap on purpose: each says only "this parser could match".
//! - **13 digits**: an all-digit detonator shell code (numeric feature code) is also an EAN-13. A valid EAN-13
//!   check digit makes the GTIN likelier (one in ten detonator codes passes it by chance); a shell code's date
//!   fields (month 01–12, day valid for the month) make the detonator likelier. Context decides: an `]E0`
//!   symbology identifier means an EAN-13 symbol, a box label or registration data means a detonator.
//! - **20 digits**: the drug code (leading `8` by platform practice) and the special-equipment registration code
//!   (classification + GB/T 2260 area + YYYYMM + sequence) share the shape. A registration code whose
//!   classification starts with `8` (pressure pipes) and has a valid area and month can also be a drug code.
//!   Neither has a verifiable check, so only context decides.
//! - **18 characters**: the unified social credit code and the special-equipment code share the length. The
//!   credit code's MOD 31 check passes for about one equipment code in 31, and an equipment code's variety
//!   class head and year (positions 10–13) rarely fit by chance, so most inputs are decided; an input that
//!   passes both is ambiguous.
//! - **24 / 32 digits**: veterinary-drug and pesticide codes have no check character; any 24- or 32-digit string
//!   with a valid date (vet drug) or class digits (pesticide) parses. GS1 element strings of those lengths
//!   are ranked first when their key's check digit passes.
//! - **Ecode**: a version-1 Ecode is 6 to 25 digits starting with `1`, so it overlaps with every numeric code
//!   above; rank it last unless the carrier or a resolver says "Ecode".

mod agri;
mod credit_code;
mod drug;
mod ecode;
mod equipment;
mod explosive;
mod handle;
mod ma;
mod profile;
mod url;

use std::fmt::Write as _;

pub use agri::{looks_like_pesticide32, looks_like_vet_drug24, parse_pesticide32, parse_vet_drug24};
pub use credit_code::{looks_like_credit_code, parse_credit_code};
pub use drug::{looks_like_drug20, parse_drug20};
pub use ecode::{looks_like_ecode, parse_ecode};
pub use equipment::{
    looks_like_equipment_code, looks_like_equipment_registration, looks_like_gas_cylinder, parse_equipment_code,
    parse_equipment_registration, parse_gas_cylinder,
};
pub use explosive::{looks_like_detonator, parse_detonator};
pub use handle::{is_national_idis, looks_like_handle, parse_handle};
pub use ma::{looks_like_ma, parse_ma};
pub use profile::parse_profile;
pub use url::unwrap_url;
pub(crate) use url::unwrap_url_bytes;

use super::check::mod31_value;
use super::{CheckStatus, Field, NationalCode, Scheme, Warning};
use crate::{Error, ErrorKind};

/// What every parser of this module returns: the code and the non-fatal observations made while reading it.
pub type Parsed = (NationalCode, Vec<Warning>);

/// Is `text` national key text by its prefix: does the part before its first `:` name a national scheme with a
/// key layout (`key::NATIONAL_LAYOUTS`)?
/// (Whether the rest is a valid code is the key parser's question.)
pub(crate) fn is_key_text(text: &str) -> bool {
    text.split_once(':')
        .is_some_and(|(name, _)| crate::code::key::NATIONAL_LAYOUTS.iter().any(|(s, _, _)| s.as_str() == name))
}

/// Longest input a variable-length parser accepts, in bytes. Real codes are far shorter; the bound keeps work
/// per scan bounded and every field offset inside [`Field`]'s `u16`.
pub const MAX_INPUT: usize = 1024;

/// A computed check character for an MA UDI-DI: given the DI text without its last character (e.g.
/// `MA.156.M0.100761.2123456`), returns the expected last character, or `None` when it cannot be computed.
pub type MaCheckFn = fn(di_without_check: &[u8]) -> Option<u8>;

/// A character set a configurable layout may require.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Charset {
    /// `0`–`9`.
    Digits,
    /// `0`–`9` and `A`–`Z`.
    DigitsUpper,
    /// `0`–`9`, `A`–`Z` and `a`–`z`.
    Alnum,
    /// GB/T 1988 (ISO 646) graphic characters `!`–`~` (space excluded: a code never contains one).
    Printable,
    /// The 31 symbols of GB 32100: digits and upper-case letters except `I O S V Z`.
    Uscc,
    /// Any UTF-8 character except control characters and whitespace.
    Utf8,
}

impl Charset {
    /// Whether the ASCII byte `b` belongs to the set (for [`Charset::Utf8`]: any non-ASCII lead or continuation
    /// byte too; the caller checks UTF-8 characters separately).
    pub const fn allows(self, b: u8) -> bool {
        match self {
            Self::Digits => b.is_ascii_digit(),
            Self::DigitsUpper => b.is_ascii_digit() || b.is_ascii_uppercase(),
            Self::Alnum => b.is_ascii_alphanumeric(),
            Self::Printable => b.is_ascii_graphic(),
            Self::Uscc => mod31_value(b).is_some(),
            Self::Utf8 => b.is_ascii_graphic() || b >= 0x80,
        }
    }

    /// Words for an error message ("must be …").
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Digits => "a digit",
            Self::DigitsUpper => "a digit or an upper-case letter",
            Self::Alnum => "a letter or digit",
            Self::Printable => "a printable ASCII character",
            Self::Uscc => "a digit or an upper-case letter other than I, O, S, V, Z",
            Self::Utf8 => "a visible character",
        }
    }
}

/// One Ecode version: the `V` digit, the length of its numbering-scheme identifier and the master data's
/// maximum length and character set (`codes.md` §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EcodeVersion {
    /// The version digit's value (`1` for V1).
    pub version: u8,
    /// Digits in the numbering-scheme identifier (NSI).
    pub nsi_len: u8,
    /// Maximum master-data length in bytes; 0 = bounded only by [`MAX_INPUT`].
    pub md_max: u16,
    /// Master-data character set.
    pub charset: Charset,
}

/// The Ecode version table of the secondary source `codes.md` §6.3 cites (V1–V4; V0, the GS1-compatible form,
/// is parsed as GS1 elsewhere).
pub const DEFAULT_ECODE_VERSIONS: &[EcodeVersion] = &[
    EcodeVersion { version: 1, nsi_len: 4, md_max: 20, charset: Charset::Digits },
    EcodeVersion { version: 2, nsi_len: 4, md_max: 28, charset: Charset::DigitsUpper },
    EcodeVersion { version: 3, nsi_len: 5, md_max: 39, charset: Charset::Printable },
    EcodeVersion { version: 4, nsi_len: 5, md_max: 0, charset: Charset::Utf8 },
];

/// Layout of a special-equipment registration code: classification (4 digits) + registering authority's
/// GB/T 2260 area code + registration year and month + sequence (`codes.md` §6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegLayout {
    /// Digits of the area code (GB/T 2260: 6).
    pub area_len: u8,
    /// Registration date as `YYMM` instead of `YYYYMM`.
    pub short_year: bool,
    /// Characters of the sequence.
    pub serial_len: u8,
    /// Whether the sequence may start with an upper-case letter once the digits run out (`A002`…).
    pub serial_letter_head: bool,
}

impl RegLayout {
    /// 4 + 6 + `YYYYMM` + 4 digits, letters not allowed: the 20-digit code of `codes.md` §6.5.
    pub const TWENTY: Self = Self { area_len: 6, short_year: false, serial_len: 4, serial_letter_head: false };

    /// Total length in characters.
    ///
    /// ```
    /// assert_eq!(tracecode::code::cn::RegLayout::TWENTY.len(), 20);
    /// ```
    #[allow(clippy::len_without_is_empty, reason = "a layout is never empty")]
    pub const fn len(self) -> usize {
        let date = if self.short_year { 4 } else { 6 };
        4 + self.area_len as usize + date + self.serial_len as usize
    }
}

/// Layout of a gas-cylinder use-registration code (TSG R5001-2005 as reported by a secondary source, `codes.md`
/// §6.6): `[variety] + province (2) + unit + sequence`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GasCylinderLayout {
    /// Allowed variety digits (`1` seamless, `2` welded, `3` LPG, `4` dissolved acetylene, `5` vehicle,
    /// `6` cryogenic insulated).
    pub varieties: &'static [u8],
    /// The variety implied when the code omits it (LPG `3` may be omitted), or `None` if it is mandatory.
    pub implied_variety: Option<u8>,
    /// The variety whose unit field is a letter + city digits (vehicle cylinders), if any.
    pub vehicle_variety: Option<u8>,
    /// The letter that starts a vehicle cylinder's unit field (`O`).
    pub vehicle_unit_letter: u8,
    /// Characters of the filling/using-unit field.
    pub unit_len: u8,
    /// Characters of the sequence (6 digits, then a letter replaces the leading digit: `A00000`…).
    pub serial_len: u8,
    /// Whether the 2-digit province must be a GB/T 2260 province code.
    pub check_province: bool,
}

impl GasCylinderLayout {
    /// The layout of `codes.md` §6.6.
    pub const DEFAULT: Self = Self {
        varieties: b"123456",
        implied_variety: Some(b'3'),
        vehicle_variety: Some(b'5'),
        vehicle_unit_letter: b'O',
        unit_len: 3,
        serial_len: 6,
        check_province: true,
    };
}

/// How a [`TraceProfile`] code's check character(s) are computed: always the last character(s) of the code over
/// all characters before them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileCheck {
    /// No check character.
    None,
    /// A check exists but only the issuing platform can verify it.
    NotVerifiableOffline,
    /// GS1 mod-10 (one digit).
    Gs1Mod10,
    /// Luhn (one digit).
    Luhn,
    /// ISO 7064 MOD 11-2 (one digit or `X`).
    Iso7064Mod11_2,
    /// ISO 7064 MOD 37-2 (one character of `0-9A-Z*`).
    Iso7064Mod37_2,
    /// ISO 7064 MOD 97-10 (two digits).
    Iso7064Mod97_10,
    /// GB 32100 MOD 31 (one character of the credit-code set).
    Mod31,
}

/// A named fixed-position field of a [`TraceProfile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProfileField {
    /// Stable field name (`snake_case`).
    pub name: &'static str,
    /// Start position (0-based).
    pub start: u16,
    /// Length in characters.
    pub len: u16,
}

/// A caller-supplied fixed-length layout, for trace codes whose standard was not obtained — first of all the
/// national unified trace code of GB/T 44583-2024 (`codes.md` §6.9: "the unified-code generator's layout must be
/// a configurable profile"), also the SB/T 10680 meat/vegetable code and provincial schemes.
///
/// ```
/// use tracecode::code::cn::{Charset, ProfileField, TraceProfile, parse_profile};
/// use tracecode::code::Scheme;
/// static FIELDS: [ProfileField; 2] =
///     [ProfileField { name: "node", start: 0, len: 6 }, ProfileField { name: "serial", start: 6, len: 4 }];
/// static P: TraceProfile = TraceProfile::new("demo", Scheme::VetDrug, 10, Charset::Digits, &FIELDS);
/// let (code, _) = parse_profile("3301020001", &P)?;
/// assert_eq!(code.field("serial"), Some("0001"));
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceProfile {
    /// Profile name, used in messages.
    pub name: &'static str,
    /// The scheme the parsed [`NationalCode`] reports (the caller chooses the closest one).
    pub scheme: Scheme,
    /// Total length in characters (ASCII).
    pub len: u16,
    /// Character set of every position.
    pub charset: Charset,
    /// Named fields, in order.
    pub fields: &'static [ProfileField],
    /// Check character rule.
    pub check: ProfileCheck,
}

impl TraceProfile {
    /// A profile without a check character.
    pub const fn new(
        name: &'static str,
        scheme: Scheme,
        len: u16,
        charset: Charset,
        fields: &'static [ProfileField],
    ) -> Self {
        Self { name, scheme, len, charset, fields, check: ProfileCheck::None }
    }

    /// Sets the check rule.
    #[must_use]
    pub const fn with_check(mut self, check: ProfileCheck) -> Self {
        self.check = check;
        self
    }
}

/// Rules for China's codes whose layouts are not confirmed (`codes.md` marks them "unconfirmed; treat as
/// configurable") or are platform practice rather than published rules. A `const` builder, so a configured rule
/// set can be a `static`:
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_drug20};
/// static RULES: CnRules = CnRules::DEFAULT.drug20_require_leading_8(false);
/// let (code, warnings) = parse_drug20("12345678901234567890", &RULES)?;
/// assert_eq!(code.field("product"), Some("1234567"));
/// assert_eq!(warnings[0].code, "drug20_no_leading_8");
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// ## Defaults
/// See [`CnRules::DEFAULT`]: the layouts of the secondary sources `codes.md` cites.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct CnRules {
    /// Require the leading `8` of the 20-digit drug code. Why configurable: the `^8\d{19}$` recognition rule is
    /// platform and app practice reported by secondary sources (`codes.md` §6.1), not a published rule. When off,
    /// another leading digit is accepted with the warning `drug20_no_leading_8`. Default: on.
    pub drug20_require_leading_8: bool,
    /// How to verify the MA UDI-DI check character. Why configurable: `codes.md` §6.2 says the check algorithm
    /// was not found ("unconfirmed; treat as configurable"). `None` (default) reports
    /// [`CheckStatus::NotVerifiableOffline`].
    pub ma_check: Option<MaCheckFn>,
    /// Required length of the MA registrant segment (0 = any). Why configurable: `codes.md` §6.2 gives 6 from
    /// published samples (secondary source), not from the MA coding manual. Default: 6.
    pub ma_registrant_len: u8,
    /// Required length of the MA product segment (0 = any). Why configurable: `codes.md` §6.2 describes 8
    /// (pack level + item + check) but vendor samples in the wild carry 12-character product segments. Default:
    /// 0 (any length of 2 or more).
    pub ma_product_len: u8,
    /// The Ecode version table. Why configurable: `codes.md` §6.3 marks the whole table "unconfirmed; treat as
    /// configurable" (GB/T 31866-2023 was not obtained). Default: [`DEFAULT_ECODE_VERSIONS`].
    pub ecode_versions: &'static [EcodeVersion],
    /// Characters allowed as the first character of a special-equipment variety code (the catalogue's class
    /// heads). Why configurable: `codes.md` §6.5 says "class list unconfirmed". Default: `1`–`9` and `F`.
    pub equipment_class_heads: &'static [u8],
    /// Earliest four-digit year accepted (equipment manufacture and registration, veterinary-drug application).
    /// Why configurable: no source states a range; the default only rejects misreads. Default: 1900.
    pub year_min: u16,
    /// Latest four-digit year accepted. Default: 2099.
    pub year_max: u16,
    /// Layout of the special-equipment registration code. Why configurable: a secondary source
    /// (`codes.md` §6.5). Default: [`RegLayout::TWENTY`].
    pub equipment_reg: RegLayout,
    /// Layout of the pressure-pipe registration code (classification `8xxx`). Why configurable: `codes.md` §6.5
    /// says "the source calls it 18 digits but the parts sum to 20 (unconfirmed; treat as configurable)".
    /// Default: 20 characters with a letter allowed to lead the sequence (`A002`…).
    pub equipment_pipe_reg: RegLayout,
    /// Layout of the gas-cylinder use-registration code. Why configurable: secondary source, and "one cylinder,
    /// one code" IDs vary by province (`codes.md` §6.6). Default: [`GasCylinderLayout::DEFAULT`].
    pub gas_cylinder: GasCylinderLayout,
    /// Letters allowed as a detonator feature code (digits are always allowed). Why configurable: GA 441-2003
    /// was read through a secondary source (`codes.md` §6.7) listing "letter except c o s u v w x z"; whether
    /// lower-case letters are distinct codes is not stated. Default: upper-case letters except `C O S U V W X Z`.
    pub detonator_feature_letters: &'static [u8],
    /// Fold a lower-case detonator feature letter to upper case (with the warning `case_folded`) instead of
    /// rejecting it. Why configurable: see `detonator_feature_letters`. Default: off (reject).
    pub detonator_fold_case: bool,
    /// Profiles for trace codes whose standard was not obtained (GB/T 44583-2024 unified trace code, `codes.md`
    /// §6.9 "unconfirmed; treat as configurable"), for a detector to try with [`parse_profile`]. Default: none.
    pub trace_profiles: &'static [TraceProfile],
}

impl Default for CnRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl CnRules {
    /// The defaults: the layouts of the secondary sources `codes.md` §6 cites (see each field).
    pub const DEFAULT: Self = Self {
        drug20_require_leading_8: true,
        ma_check: None,
        ma_registrant_len: 6,
        ma_product_len: 0,
        ecode_versions: DEFAULT_ECODE_VERSIONS,
        equipment_class_heads: b"123456789F",
        year_min: 1900,
        year_max: 2099,
        equipment_reg: RegLayout::TWENTY,
        equipment_pipe_reg: RegLayout { serial_letter_head: true, ..RegLayout::TWENTY },
        gas_cylinder: GasCylinderLayout::DEFAULT,
        detonator_feature_letters: b"ABDEFGHIJKLMNPQRTY",
        detonator_fold_case: false,
        trace_profiles: &[],
    };

    /// Sets [`CnRules::drug20_require_leading_8`].
    #[must_use]
    pub const fn drug20_require_leading_8(mut self, on: bool) -> Self {
        self.drug20_require_leading_8 = on;
        self
    }

    /// Sets [`CnRules::ma_check`].
    #[must_use]
    pub const fn ma_check(mut self, check: Option<MaCheckFn>) -> Self {
        self.ma_check = check;
        self
    }

    /// Sets [`CnRules::ma_registrant_len`].
    #[must_use]
    pub const fn ma_registrant_len(mut self, len: u8) -> Self {
        self.ma_registrant_len = len;
        self
    }

    /// Sets [`CnRules::ma_product_len`].
    #[must_use]
    pub const fn ma_product_len(mut self, len: u8) -> Self {
        self.ma_product_len = len;
        self
    }

    /// Sets [`CnRules::ecode_versions`].
    #[must_use]
    pub const fn ecode_versions(mut self, table: &'static [EcodeVersion]) -> Self {
        self.ecode_versions = table;
        self
    }

    /// Sets [`CnRules::equipment_class_heads`].
    #[must_use]
    pub const fn equipment_class_heads(mut self, heads: &'static [u8]) -> Self {
        self.equipment_class_heads = heads;
        self
    }

    /// Sets [`CnRules::year_min`] and [`CnRules::year_max`].
    #[must_use]
    pub const fn years(mut self, min: u16, max: u16) -> Self {
        self.year_min = min;
        self.year_max = max;
        self
    }

    /// Sets [`CnRules::equipment_reg`].
    #[must_use]
    pub const fn equipment_reg(mut self, layout: RegLayout) -> Self {
        self.equipment_reg = layout;
        self
    }

    /// Sets [`CnRules::equipment_pipe_reg`].
    #[must_use]
    pub const fn equipment_pipe_reg(mut self, layout: RegLayout) -> Self {
        self.equipment_pipe_reg = layout;
        self
    }

    /// Sets [`CnRules::gas_cylinder`].
    #[must_use]
    pub const fn gas_cylinder(mut self, layout: GasCylinderLayout) -> Self {
        self.gas_cylinder = layout;
        self
    }

    /// Sets [`CnRules::detonator_feature_letters`].
    #[must_use]
    pub const fn detonator_feature_letters(mut self, letters: &'static [u8]) -> Self {
        self.detonator_feature_letters = letters;
        self
    }

    /// Sets [`CnRules::detonator_fold_case`].
    #[must_use]
    pub const fn detonator_fold_case(mut self, on: bool) -> Self {
        self.detonator_fold_case = on;
        self
    }

    /// Sets [`CnRules::trace_profiles`].
    #[must_use]
    pub const fn trace_profiles(mut self, profiles: &'static [TraceProfile]) -> Self {
        self.trace_profiles = profiles;
        self
    }
}

// ---------------------------------------------------------------------------------------------------------
// Shared helpers for the scheme parsers.

/// A field over `start..end` of the normalised text (inputs are bounded by [`MAX_INPUT`], so `u16` holds them).
fn field(name: &'static str, start: usize, end: usize) -> Field {
    Field { name, start: u16::try_from(start).unwrap_or(u16::MAX), end: u16::try_from(end).unwrap_or(u16::MAX) }
}

/// A parsed code.
fn national(scheme: Scheme, text: String, fields: Vec<Field>, check: CheckStatus) -> NationalCode {
    NationalCode { scheme, text, fields, check }
}

/// The character at byte `at` of `input` for a message, and its length in bytes (so an error underlines the
/// whole character, e.g. a full-width digit).
fn shown(input: &str, at: usize) -> (usize, String) {
    match input.get(at..).and_then(|s| s.chars().next()) {
        Some(' ') => (1, "a space".to_owned()),
        Some(c) if c.is_ascii_graphic() => (1, format!("'{c}'")),
        Some(c) if c.is_control() => (c.len_utf8(), format!("control character U+{:04X}", u32::from(c))),
        Some(c) => (c.len_utf8(), format!("'{c}' (U+{:04X})", u32::from(c))),
        None => {
            let b = input.as_bytes().get(at).copied().unwrap_or(0);
            (1, format!("byte 0x{b:02X}"))
        }
    }
}

/// A character-set error at byte `at`.
fn charset_error(input: &str, at: usize, what: &str, expect: &str) -> Error {
    let (len, found) = shown(input, at);
    Error::new(ErrorKind::Charset, at, len, format!("{what}: position {} must be {expect}, found {found}", at + 1))
}

/// A length error: `found` characters where `expected` are needed.
fn length_error(input: &str, expected: usize, what: &str) -> Error {
    let found = input.chars().count();
    let msg = format!("{what} needs {expected} characters, found {found}");
    if input.len() < expected {
        Error::new(ErrorKind::Length, input.len(), 0, msg)
    } else {
        Error::new(ErrorKind::Length, expected, input.len().saturating_sub(expected), msg)
    }
}

/// Reads a fixed-length ASCII code into an array: every position's character is checked first (so a stray
/// character is reported where it is, even in an input of the wrong length), then the length. With `fold`,
/// lower-case letters are upper-cased before `rule` sees them; the flag says whether any were.
///
/// `rule(position, byte)` returns what the position must be when `byte` is not allowed there.
fn fixed<const N: usize>(
    input: &str,
    what: &str,
    fold: bool,
    rule: impl Fn(usize, u8) -> Result<(), &'static str>,
) -> Result<([u8; N], bool), Error> {
    let mut out = [0u8; N];
    let mut folded = false;
    for (i, (slot, &raw)) in out.iter_mut().zip(input.as_bytes()).enumerate() {
        let b = if fold && raw.is_ascii_lowercase() {
            folded = true;
            raw.to_ascii_uppercase()
        } else {
            raw
        };
        rule(i, b).map_err(|expect| charset_error(input, i, what, expect))?;
        *slot = b;
    }
    if input.len() != N {
        return Err(length_error(input, N, what));
    }
    Ok((out, folded))
}

/// [`fixed`] for a length known only at run time (configured layouts): returns the (folded) text.
fn fixed_text(
    input: &str,
    len: usize,
    what: &str,
    fold: bool,
    rule: impl Fn(usize, u8) -> Result<(), &'static str>,
) -> Result<(String, bool), Error> {
    let mut out = String::with_capacity(len.min(MAX_INPUT));
    let mut folded = false;
    for (i, &raw) in input.as_bytes().iter().enumerate().take(len) {
        let b = if fold && raw.is_ascii_lowercase() {
            folded = true;
            raw.to_ascii_uppercase()
        } else {
            raw
        };
        rule(i, b).map_err(|expect| charset_error(input, i, what, expect))?;
        // Every rule admits ASCII only, so the byte is a whole character.
        out.push(char::from(b));
    }
    if input.len() != len {
        return Err(length_error(input, len, what));
    }
    Ok((out, folded))
}

/// The text of ASCII bytes (always valid UTF-8 after [`fixed`]).
fn ascii_text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap_or_default()
}

/// The value of a run of ASCII digits (callers have checked them; saturates instead of overflowing).
pub(crate) fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0u32, |acc, &d| acc.saturating_mul(10).saturating_add(u32::from(d.wrapping_sub(b'0') % 10)))
}

/// Days in `month` (1–12) of `year`; with no year known, February has 29 days.
fn days_in_month(year: Option<u32>, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) => 28,
            _ => 29,
        },
        _ => 0,
    }
}

/// Checks a month and day. `at` is the byte offset of the date's first character, `m_off`/`d_off` the offsets
/// of the month and day within it.
pub(crate) fn check_date(year: Option<u32>, digits: &[u8], at: usize, m_off: usize, what: &str) -> Result<(), Error> {
    let month = number(digits.get(m_off..m_off + 2).unwrap_or_default());
    let day = number(digits.get(m_off + 2..m_off + 4).unwrap_or_default());
    if !(1..=12).contains(&month) {
        return Err(Error::new(ErrorKind::Date, at + m_off, 2, format!("{what}: month {month:02} is not 01-12")));
    }
    let max = days_in_month(year, month);
    if day == 0 || day > max {
        return Err(Error::new(
            ErrorKind::Date,
            at + m_off + 2,
            2,
            format!("{what}: day {day:02} is not valid for month {month:02} (01-{max:02})"),
        ));
    }
    Ok(())
}

/// Checks a four-digit year against the configured range.
pub(crate) fn check_year(digits: &[u8], at: usize, what: &str, rules: &CnRules) -> Result<u32, Error> {
    let year = number(digits);
    if year < u32::from(rules.year_min) || year > u32::from(rules.year_max) {
        return Err(Error::new(
            ErrorKind::Date,
            at,
            4,
            format!("{what}: year {year} is outside {}-{}", rules.year_min, rules.year_max),
        ));
    }
    Ok(year)
}

/// GB/T 2260 province-level codes (first two digits of an area code).
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// Checks that two digits are a GB/T 2260 province code.
pub(crate) fn check_province(digits: &[u8], at: usize, what: &str) -> Result<(), Error> {
    let p = number(digits);
    if PROVINCES.iter().any(|&x| u32::from(x) == p) {
        return Ok(());
    }
    Err(Error::new(ErrorKind::Value, at, 2, format!("{what}: {p:02} is not a GB/T 2260 province code")))
}

/// The warning for upper-casing lower-case input.
fn case_folded(what: &str) -> Warning {
    let mut msg = String::with_capacity(64);
    let _ = write!(msg, "{what}: lower-case letters were read as upper case");
    Warning::new("case_folded", msg)
}

/// Whether every byte of `input` is an ASCII digit and its length is `n` (the all-digit pre-filters).
fn all_digits(input: &[u8], n: usize) -> bool {
    input.len() == n && input.iter().all(u8::is_ascii_digit)
}
