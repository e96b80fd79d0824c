//! GS1 Company Prefix lengths: the one fact an element string does not carry but an EPC needs.
//!
//! A GTIN, SSCC or GLN does not say where its GS1 Company Prefix (GCP) ends; an EPC URI and an RFID EPC do
//! (the partition). Converting GS1 → EPC therefore needs the GCP length from outside (TDS 1.13 §7, codes.md
//! §5.3). GS1 publishes a prefix → length table (`gcpprefixformatlist.xml`, longest prefix wins); this module
//! defines the pluggable source ([`CompanyPrefixLengths`]) and three sources: a fixed length, a longest-prefix
//! table the caller loads, and "unknown". EPC → GS1 never needs any of this.
//!
//! # Example
//! ```
//! use tracecode::code::{parse, gs1::{epc_uri::to_epc_uri, gcp::{GcpTable, NoGcpTable}}};
//!
//! // Load the prefixes you know (e.g. from GS1's gcpprefixformatlist.xml); the longest matching prefix wins.
//! let table = GcpTable::new([("061", 6), ("0614141", 7), ("95", 9)])?;
//! let sscc = parse("(00)106141412345678908")?;
//! let gs1 = sscc.gs1().unwrap();
//! assert_eq!(to_epc_uri(gs1, &table)?, "urn:epc:id:sscc:0614141.1234567890");
//!
//! // Without a length the conversion fails rather than guessing where the prefix ends.
//! let err = to_epc_uri(gs1, &NoGcpTable).unwrap_err();
//! assert_eq!(err.kind(), tracecode::ErrorKind::CompanyPrefix);
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::{Error, ErrorKind};

/// Longest GS1 Company Prefix (and so the longest table prefix) in digits.
const MAX_PREFIX: usize = 12;

/// A source of GS1 Company Prefix lengths.
///
/// `key_digits` are the digits of a GS1 key starting at the GCP position: after the indicator digit of a
/// GTIN-14 or the extension digit of an SSCC, from the first digit of a GLN, GRAI (without its leading `0`),
/// GIAI, GDTI, GSRN, CPI or GCN. The answer is the number of GCP digits, or `None` if unknown.
///
/// ```
/// use tracecode::code::gs1::gcp::{CompanyPrefixLengths, GcpTable};
/// let table = GcpTable::new([("0614141", 7), ("95", 9)])?;
/// assert_eq!(table.gcp_len("0614141123452"), Some(7));
/// assert_eq!(table.gcp_len("9521141123454"), Some(9));
/// assert_eq!(table.gcp_len("4000000000000"), None);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub trait CompanyPrefixLengths: Send + Sync {
    /// The GCP length (in digits) for a key whose GCP starts at `key_digits`, or `None` if unknown.
    fn gcp_len(&self, key_digits: &str) -> Option<u8>;
}

/// Every key has the same GCP length: the caller knows it (e.g. its own prefix), or the keys are individually
/// assigned by a GS1 Member Organisation, which TDS §7.2.2 fixes at 12.
///
/// ```
/// use tracecode::code::gs1::gcp::{CompanyPrefixLengths, FixedGcpLength};
/// assert_eq!(FixedGcpLength(12).gcp_len("1234567890128"), Some(12));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedGcpLength(pub u8);

impl CompanyPrefixLengths for FixedGcpLength {
    fn gcp_len(&self, _key_digits: &str) -> Option<u8> {
        Some(self.0)
    }
}

/// No GCP lengths known: every GS1 → EPC conversion fails with [`ErrorKind::CompanyPrefix`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NoGcpTable;

impl CompanyPrefixLengths for NoGcpTable {
    fn gcp_len(&self, _key_digits: &str) -> Option<u8> {
        None
    }
}

/// A longest-prefix table of GCP lengths, built from `(prefix, length)` pairs the caller supplies.
///
/// Load it from GS1's published list (`https://www.gs1.org/docs/gcp_length/gcpprefixformatlist.xml`, entries
/// `prefix="0614141" gcpLength="7"`); tracecode does not ship that list because it changes monthly and its
/// licence is GS1's. The longest matching prefix wins, as in the GS1 list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcpTable {
    /// Prefix digits → GCP length. A `BTreeMap` keeps lookups logarithmic for the ~1M-entry GS1 list.
    entries: BTreeMap<Box<str>, u8>,
}

impl GcpTable {
    /// A table from `(prefix, length)` pairs. Later duplicates replace earlier ones.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] if a prefix is empty, longer than 12 digits or holds a non-digit, or a
    /// length is above 12. A length of 0 marks a prefix range that holds no company prefixes; EPC conversion then
    /// fails with [`ErrorKind::CompanyPrefix`], as for any length outside 4–12.
    ///
    /// ```
    /// let t = tracecode::code::gs1::gcp::GcpTable::new([("0614141", 7)])?;
    /// assert_eq!(t.len(), 1);
    /// assert!(tracecode::code::gs1::gcp::GcpTable::new([("06X", 7)]).is_err());
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn new<S: AsRef<str>>(entries: impl IntoIterator<Item = (S, u8)>) -> Result<Self, Error> {
        let mut table = Self::default();
        for (prefix, len) in entries {
            table.insert(prefix.as_ref(), len)?;
        }
        Ok(table)
    }

    /// Adds or replaces one entry.
    ///
    /// # Errors
    /// As [`GcpTable::new`].
    ///
    /// ```
    /// use tracecode::code::gs1::gcp::{CompanyPrefixLengths, GcpTable};
    /// let mut t = GcpTable::default();
    /// t.insert("061", 6)?;
    /// t.insert("0614141", 7)?;
    /// assert_eq!(t.gcp_len("0614141123452"), Some(7)); // longest prefix wins
    /// assert_eq!(t.gcp_len("0619999123452"), Some(6));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn insert(&mut self, prefix: &str, len: u8) -> Result<(), Error> {
        if prefix.is_empty() || prefix.len() > MAX_PREFIX || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                0,
                prefix.len(),
                format!("GCP table prefix {prefix:?} must be 1 to 12 digits"),
            ));
        }
        if len > 12 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                0,
                prefix.len(),
                format!("GCP length {len} for prefix {prefix} must be 0 to 12"),
            ));
        }
        self.entries.insert(prefix.into(), len);
        Ok(())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The prefixes used in the worked examples of the GS1 EPC Tag Data Standard 1.13 (Annex E) and GS1
    /// documentation: `0614141` → 7, `4012345` → 7, `9521141` → 7, `9506000` → 7.
    ///
    /// This is **not** a GS1 table and must not be used for real data: real GCP lengths come from GS1's
    /// published list, which the caller loads with [`GcpTable::new`]. (GTIN-8s need no entry: TDS §7.3.2 fixes
    /// their EPC company prefix at 8 digits.)
    ///
    /// ```
    /// use tracecode::code::gs1::gcp::{CompanyPrefixLengths, GcpTable};
    /// assert_eq!(GcpTable::examples().gcp_len("0614141812345"), Some(7));
    /// ```
    pub fn examples() -> Self {
        let mut entries = BTreeMap::new();
        for p in ["0614141", "4012345", "9521141", "9506000"] {
            entries.insert(Box::<str>::from(p), 7);
        }
        Self { entries }
    }
}

impl CompanyPrefixLengths for GcpTable {
    fn gcp_len(&self, key_digits: &str) -> Option<u8> {
        // Try the longest candidate prefix first; at most 12 map lookups.
        let max = key_digits.len().min(MAX_PREFIX);
        (1..=max).rev().find_map(|n| key_digits.get(..n).and_then(|p| self.entries.get(p)).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let t = GcpTable::new([("0", 6), ("06", 8), ("0614141", 7), ("061414199", 9)]).unwrap();
        assert_eq!(t.gcp_len("0614141123452"), Some(7));
        assert_eq!(t.gcp_len("0614141990000"), Some(9));
        assert_eq!(t.gcp_len("0600000000000"), Some(8));
        assert_eq!(t.gcp_len("0100000000000"), Some(6));
        assert_eq!(t.gcp_len("1100000000000"), None);
        assert_eq!(t.gcp_len(""), None);
        assert_eq!(t.gcp_len("06"), Some(8));
    }

    #[test]
    fn invalid_entries_are_refused() {
        for (p, l) in [("", 7), ("0614141234567", 7), ("06a", 7), ("0614141", 13)] {
            let e = GcpTable::new([(p, l)]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{p} {l}");
        }
    }

    #[test]
    fn zero_length_entries_load() {
        let t = GcpTable::new([("02", 0)]).unwrap();
        assert_eq!(t.gcp_len("0212345678905"), Some(0));
    }

    #[test]
    fn fixed_none_and_examples() {
        assert_eq!(FixedGcpLength(9).gcp_len("123"), Some(9));
        assert_eq!(NoGcpTable.gcp_len("0614141123452"), None);
        let ex = GcpTable::examples();
        assert_eq!(ex.gcp_len("4012345987652"), Some(7));
        assert_eq!(ex.gcp_len("95010939"), None);
        assert_eq!(ex.len(), 4);
        assert!(!ex.is_empty());
    }

    #[test]
    fn non_ascii_key_does_not_panic() {
        let t = GcpTable::new([("06", 8)]).unwrap();
        assert_eq!(t.gcp_len("06é1"), Some(8));
        assert_eq!(t.gcp_len("0é14"), None);
        assert_eq!(t.gcp_len("é"), None);
    }
}
