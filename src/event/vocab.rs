//! CBV 2.0 vocabularies as compact enums with an open URI fallback.
//!
//! Every CBV vocabulary is open: besides the standard terms any URI is allowed. Each vocabulary here is an enum
//! whose standard terms are one-byte codes (their position in the CBV 2.0 JSON Schema order, events.md §3) and
//! whose `Other` variant keeps any other URI. The four spellings of a standard term — bare (`shipping`), Web URI
//! (`https://ref.gs1.org/cbv/BizStep-shipping`), legacy URN (`urn:epcglobal:cbv:bizstep:shipping`) and CURIE
//! (`cbv:BizStep-shipping`) — all parse to the same value.
//!
//! # Example
//! ```
//! use tracecode::event::{BizStep, Disposition};
//!
//! // All four spellings of a standard term are one value.
//! let web = "https://ref.gs1.org/cbv/BizStep-shipping";
//! for s in ["shipping", web, "urn:epcglobal:cbv:bizstep:shipping", "cbv:BizStep-shipping"] {
//!     assert_eq!(BizStep::parse(s)?, BizStep::Shipping);
//! }
//! assert_eq!(Disposition::InTransit.web_uri(), "https://ref.gs1.org/cbv/Disp-in_transit");
//!
//! // Vocabularies are open: another URI is kept as given; an unknown bare word is refused.
//! let own: BizStep = "urn:example:bizstep:fumigating".parse()?;
//! assert_eq!(own, BizStep::Other("urn:example:bizstep:fumigating".into()));
//! assert!(BizStep::parse("fumigating").is_err());
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind};

/// Base of CBV 2.0 Web URIs.
pub const CBV_WEB: &str = "https://ref.gs1.org/cbv/";

macro_rules! vocabulary {
    (
        $(#[$doc:meta])*
        $name:ident, web = $web:literal, urn = $urn:literal, terms = [$($variant:ident = $term:literal),* $(,)?]
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[allow(missing_docs, reason = "variants are the CBV terms of the same name")]
        pub enum $name {
            $($variant,)*
            /// Any other URI (vocabularies are open), stored as given.
            Other(Box<str>),
        }

        impl $name {
            /// Every standard term, in CBV JSON Schema order.
            pub const TERMS: &'static [&'static str] = &[$($term),*];

            /// The bare CBV term (`"shipping"`), or the URI for [`Self::Other`].
            pub fn term(&self) -> &str {
                match self {
                    $(Self::$variant => $term,)*
                    Self::Other(u) => u,
                }
            }

            /// The CBV 2.0 Web URI (`https://ref.gs1.org/cbv/…`), or the URI for [`Self::Other`].
            pub fn web_uri(&self) -> String {
                match self {
                    Self::Other(u) => u.to_string(),
                    _ => format!(concat!("https://ref.gs1.org/cbv/", $web, "{}"), self.term()),
                }
            }

            /// Parses any spelling: bare term, Web URI, legacy URN or CURIE; anything else that looks like a URI
            /// becomes [`Self::Other`].
            ///
            /// # Errors
            /// [`ErrorKind::Syntax`] for an empty value or a value that is neither a term nor a URI.
            pub fn parse(s: &str) -> Result<Self, Error> {
                let s = s.trim();
                let term = s
                    .strip_prefix(concat!("https://ref.gs1.org/cbv/", $web))
                    .or_else(|| s.strip_prefix(concat!("http://ref.gs1.org/cbv/", $web)))
                    .or_else(|| s.strip_prefix(concat!("cbv:", $web)))
                    .or_else(|| s.strip_prefix(concat!("urn:epcglobal:cbv:", $urn, ":")))
                    .unwrap_or(s);
                match term {
                    $($term => return Ok(Self::$variant),)*
                    _ => {}
                }
                if s.is_empty() || !s.contains(':') || s.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        0,
                        s.len(),
                        format!(concat!("not a CBV ", stringify!($name), " term or a URI: {:?}"), s),
                    ));
                }
                Ok(Self::Other(s.into()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.term())
            }
        }

        /// [`Self::parse`]: a bare CBV term, its web or URN form, or any other URI.
        impl std::str::FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }
    };
}

vocabulary! {
    /// Business step (CBV `BizStep-`).
    BizStep, web = "BizStep-", urn = "bizstep", terms = [
        Accepting = "accepting", Arriving = "arriving", Assembling = "assembling", Collecting = "collecting",
        Commissioning = "commissioning", Consigning = "consigning", CreatingClassInstance = "creating_class_instance",
        CycleCounting = "cycle_counting", Decommissioning = "decommissioning", Departing = "departing",
        Destroying = "destroying", Disassembling = "disassembling", Dispensing = "dispensing", Encoding = "encoding",
        EnteringExiting = "entering_exiting", Holding = "holding", Inspecting = "inspecting", Installing = "installing",
        Killing = "killing", Loading = "loading", OtherStep = "other", Packing = "packing", Picking = "picking",
        Receiving = "receiving", Removing = "removing", Repackaging = "repackaging", Repairing = "repairing",
        Replacing = "replacing", Reserving = "reserving", RetailSelling = "retail_selling", Shipping = "shipping",
        StagingOutbound = "staging_outbound", StockTaking = "stock_taking", Stocking = "stocking", Storing = "storing",
        Transporting = "transporting", Unloading = "unloading", Unpacking = "unpacking", VoidShipping = "void_shipping",
        SensorReporting = "sensor_reporting", Sampling = "sampling",
    ]
}

vocabulary! {
    /// Disposition (CBV `Disp-`).
    Disposition, web = "Disp-", urn = "disp", terms = [
        Active = "active", ContainerClosed = "container_closed", Damaged = "damaged", Destroyed = "destroyed",
        Dispensed = "dispensed", Disposed = "disposed", Encoded = "encoded", Expired = "expired",
        InProgress = "in_progress", InTransit = "in_transit", Inactive = "inactive", NoPedigreeMatch = "no_pedigree_match",
        NonSellableOther = "non_sellable_other", PartiallyDispensed = "partially_dispensed", Recalled = "recalled",
        Reserved = "reserved", RetailSold = "retail_sold", Returned = "returned",
        SellableAccessible = "sellable_accessible", SellableNotAccessible = "sellable_not_accessible",
        Stolen = "stolen", Unknown = "unknown", Available = "available", CompletenessVerified = "completeness_verified",
        CompletenessInferred = "completeness_inferred", Conformant = "conformant", ContainerOpen = "container_open",
        MismatchInstance = "mismatch_instance", MismatchClass = "mismatch_class", MismatchQuantity = "mismatch_quantity",
        NeedsReplacement = "needs_replacement", NonConformant = "non_conformant", Unavailable = "unavailable",
    ]
}

vocabulary! {
    /// Business transaction type (CBV `BTT-`).
    BizTransactionType, web = "BTT-", urn = "btt", terms = [
        Bol = "bol", Cert = "cert", Desadv = "desadv", Inv = "inv", Pedigree = "pedigree", Po = "po", Poc = "poc",
        Prodorder = "prodorder", Recadv = "recadv", Rma = "rma", Testprd = "testprd", Testres = "testres",
        Upevt = "upevt",
    ]
}

vocabulary! {
    /// Source / destination type (CBV `SDT-`).
    SourceDestType, web = "SDT-", urn = "sdt", terms = [
        OwningParty = "owning_party", PossessingParty = "possessing_party", Location = "location",
    ]
}

vocabulary! {
    /// Error-declaration reason (CBV `ER-`).
    ErrorReason, web = "ER-", urn = "er", terms = [
        DidNotOccur = "did_not_occur", IncorrectData = "incorrect_data",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_spellings_one_value() {
        for s in [
            "shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "cbv:BizStep-shipping",
        ] {
            assert_eq!(BizStep::parse(s).unwrap(), BizStep::Shipping, "{s}");
        }
        assert_eq!(Disposition::parse("urn:epcglobal:cbv:disp:in_transit").unwrap(), Disposition::InTransit);
        assert_eq!(BizStep::Shipping.web_uri(), "https://ref.gs1.org/cbv/BizStep-shipping");
        assert_eq!(
            SourceDestType::parse("owning_party").unwrap().web_uri(),
            "https://ref.gs1.org/cbv/SDT-owning_party"
        );
    }

    #[test]
    fn open_vocabulary() {
        let x = BizStep::parse("urn:example:bizstep:fumigating").unwrap();
        assert_eq!(x, BizStep::Other("urn:example:bizstep:fumigating".into()));
        assert_eq!(x.web_uri(), "urn:example:bizstep:fumigating");
        assert_eq!(BizStep::parse("fumigating").unwrap_err().kind(), ErrorKind::Syntax);
        assert_eq!(BizStep::TERMS.len(), 41);
        assert_eq!(Disposition::TERMS.len(), 33);
        assert_eq!(BizTransactionType::TERMS.len(), 13);
    }

    proptest::proptest! {
        #[test]
        fn term_round_trip(i in 0usize..41) {
            let t = BizStep::TERMS[i];
            let v = BizStep::parse(t).unwrap();
            proptest::prop_assert_eq!(v.term(), t);
            proptest::prop_assert_eq!(BizStep::parse(&v.web_uri()).unwrap(), v);
        }
    }
}
