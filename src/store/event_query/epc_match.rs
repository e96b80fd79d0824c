//! One value of a `MATCH_` parameter: an identifier, or a TDS pure-identity pattern, compiled once per query.
//!
//! GS1 keys compare as keys, so an EPC URI, a Digital Link and any other spelling of one item are the same
//! value. Patterns (`urn:epc:idpat:sgtin:0614141.*.*`) follow TDS §8 component by component, with the
//! pattern's company-prefix length splitting the candidate (a Digital Link carries none). A Digital Link of a
//! bare GTIN in an instance field stands for `urn:epc:idpat:sgtin:{CP}.{ref}.*`: every serialised item of it.
//! In a class field, a GTIN (as a key or as `urn:epc:idpat:sgtin:CP.ref.*`, the EPCIS spelling of a class
//! without lot) matches the GTIN itself and every lot of it.

use crate::code::gs1::epc_uri::{EpcInfo, EpcPattern, EpcScheme, parse_epc_pattern};
use crate::code::{KeyKind, TraceKey};
use crate::event::Id;
use crate::{Error, ErrorKind};

/// A compiled `MATCH_` value.
#[derive(Clone, Debug, PartialEq)]
pub enum EpcMatch {
    /// This identifier (any spelling of it).
    Exact(Id),
    /// Every serialised instance of this GTIN (instance fields), or the GTIN and its lots (class fields).
    Gtin(TraceKey),
    /// A TDS pure-identity pattern other than a whole GTIN.
    Pattern {
        /// The pattern as written.
        text: Box<str>,
        /// The parsed pattern.
        pattern: EpcPattern,
    },
}

impl EpcMatch {
    /// Reads one value: `urn:epc:idpat:…` as a pattern, anything else as an identifier ([`Id::parse`]).
    ///
    /// # Errors
    /// The pattern's or the identifier's syntax error.
    ///
    /// ```
    /// use tracecode::event::Id;
    /// use tracecode::store::event_query::EpcMatch;
    /// let m = EpcMatch::parse("urn:epc:idpat:sgtin:0614141.107346.*")?;
    /// assert!(m.matches_instance(&Id::parse("https://id.gs1.org/01/10614141073464/21/A1")?));
    /// assert!(!m.matches_instance(&Id::parse("urn:epc:id:sgtin:0614141.107347.A1")?));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.get(..14).is_some_and(|p| p.eq_ignore_ascii_case("urn:epc:idpat:")) {
            let pattern = parse_epc_pattern(s)?;
            if let Some(g) = whole_gtin(&pattern) {
                return Ok(Self::Gtin(g));
            }
            return Ok(Self::Pattern { text: s.into(), pattern });
        }
        let id = match Id::parse(s) {
            Ok(id) => id,
            // A URI that is not a well-formed key (a wrong check digit) is compared as written.
            Err(_) if s.contains(':') && !s.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) => {
                Id::Uri(s.into())
            }
            Err(e) => return Err(e),
        };
        if let Id::Key(k) = &id
            && k.kind() == KeyKind::Class
            && k.gtin_class().as_ref() == Some(k)
        {
            return Ok(Self::Gtin(k.clone()));
        }
        Ok(Self::Exact(id))
    }

    /// The identifier, for an exact value.
    pub const fn exact(&self) -> Option<&Id> {
        match self {
            Self::Exact(id) => Some(id),
            _ => None,
        }
    }

    /// Does an instance-level field's identifier (an EPC, a parent, an input or output) match?
    pub fn matches_instance(&self, id: &Id) -> bool {
        match self {
            Self::Exact(x) => x == id,
            Self::Gtin(g) => match id {
                Id::Key(k) => k.kind() == KeyKind::Instance && k.gtin_class().as_ref() == Some(g),
                Id::Uri(_) => false,
            },
            Self::Pattern { pattern, .. } => key_matches(pattern, id, false),
        }
    }

    /// Does a quantity element's class match?
    pub fn matches_class(&self, class: &Id) -> bool {
        match self {
            Self::Exact(x) => x == class || idpat_class(class).is_some_and(|k| x.key() == Some(&k)),
            Self::Gtin(g) => match class {
                Id::Key(k) => k.kind() == KeyKind::Class && k.gtin_class().as_ref() == Some(g),
                Id::Uri(_) => idpat_class(class).as_ref() == Some(g),
            },
            Self::Pattern { pattern, .. } => match idpat_class(class) {
                Some(k) => key_matches(pattern, &Id::Key(k), true),
                None => key_matches(pattern, class, true),
            },
        }
    }
}

/// The GTIN class a pattern of the form `sgtin:CP.ref.*` names.
fn whole_gtin(p: &EpcPattern) -> Option<TraceKey> {
    if p.scheme() != EpcScheme::Sgtin {
        return None;
    }
    let [Some(cp), Some(r), None] = p.fields() else { return None };
    let id = Id::parse(&format!("urn:epc:id:sgtin:{cp}.{r}.0")).ok()?;
    id.key().and_then(TraceKey::gtin_class)
}

/// A class written as an SGTIN pattern with a wildcard serial (`urn:epc:idpat:sgtin:CP.ref.*`, how EPCIS writes
/// a quantity element's class without lot), as its GTIN key.
pub(crate) fn idpat_class(id: &Id) -> Option<TraceKey> {
    let Id::Uri(u) = id else { return None };
    // Ingest asks this of every opaque URI: only an SGTIN pattern can answer, so nothing else is parsed.
    if !u.get(..20).is_some_and(|h| h.eq_ignore_ascii_case("urn:epc:idpat:sgtin:")) {
        return None;
    }
    let p = parse_epc_pattern(u).ok()?;
    whole_gtin(&p)
}

/// Whether the GS1 key `id` (a serialised one; with `class`, a GTIN or GTIN + lot, given a placeholder serial
/// so an SGTIN pattern with a wildcard serial can test it) matches `pattern`, split at the pattern's
/// company-prefix length.
fn key_matches(pattern: &EpcPattern, id: &Id, class: bool) -> bool {
    let Id::Key(k) = id else { return false };
    let gcp_len = match pattern.fields().first() {
        Some(Some(cp)) => u8::try_from(cp.len()).ok(),
        // `*.*.*`: any company prefix; a length the scheme accepts for every key (the split is not compared).
        _ => Some(6),
    };
    let mut text = format!("https://id.gs1.org/{k}");
    if class {
        if k.gtin_class().is_none() || k.kind() != KeyKind::Class {
            return false;
        }
        // A lot is not part of an SGTIN: the class is the GTIN with any serial.
        text = format!("https://id.gs1.org/{}/21/0", k.gtin_class().map(|g| g.to_string()).unwrap_or_default());
    }
    let Ok(code) = crate::code::parse(&text) else { return false };
    let info = EpcInfo { scheme: pattern.scheme(), filter: None, gcp_len, tag_bits: None, binary: None };
    if class && pattern.fields().last().is_some_and(Option::is_some) {
        return false;
    }
    let Some(gs1) = code.gs1() else { return false };
    let all_star = pattern.fields().iter().all(Option::is_none);
    if all_star {
        // Any key of the scheme: find the scheme through a conversion at each plausible prefix length.
        return (6..=12).any(|l| {
            let info = EpcInfo { gcp_len: Some(l), ..info };
            pattern_with_cp_matches(pattern, gs1, &info)
        });
    }
    pattern_with_cp_matches(pattern, gs1, &info)
}

fn pattern_with_cp_matches(pattern: &EpcPattern, gs1: &crate::code::gs1::Gs1, info: &EpcInfo) -> bool {
    let data = crate::code::CodeData::Gs1(gs1.clone());
    match_data(pattern, &data, info)
}

fn match_data(pattern: &EpcPattern, data: &crate::code::CodeData, info: &EpcInfo) -> bool {
    if pattern.fields().iter().all(Option::is_none) {
        // `matches` takes an all-`*` pattern on the scheme alone; the scheme of a key is what a conversion
        // gives, so convert and compare it.
        let crate::code::CodeData::Gs1(g) = data else { return false };
        let Some(l) = info.gcp_len else { return false };
        return crate::code::gs1::epc_uri::to_epc_uri(g, &crate::code::gs1::gcp::FixedGcpLength(l))
            .is_ok_and(|u| u.split(':').nth(3) == Some(pattern.scheme().as_str()));
    }
    pattern.matches(data, info)
}

/// [`ErrorKind::QueryParameter`] for a value of `param` that is neither an identifier nor a pattern.
pub(super) fn bad_value(param: &str, value: &str, e: &Error) -> Error {
    Error::msg(ErrorKind::QueryParameter, format!("{param}: {value:?} is not an identifier or an EPC pattern: {e}"))
}
