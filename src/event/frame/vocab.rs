//! Vocabularies on the wire: a CBV term is its index in the standard table, another URI a name.

use std::sync::OnceLock;

use super::encoder::Enc;
use super::wire::{OptTerm, Term};
use crate::event::{BizStep, BizTransactionType, Disposition, ErrorReason, SourceDestType};
use crate::{Error, ErrorKind};

pub(crate) trait Vocab: Sized + Ord + Clone + 'static {
    /// The standard terms as values, in CBV table order (which is also their `Ord` order: the vocabulary
    /// macro declares the variants in table order, and `Other` last). Empty if that ever stops holding, so
    /// encoding fails rather than writing a wrong index.
    fn table() -> &'static [Self];
    fn other(&self) -> Option<&str>;
    fn from_other(s: Box<str>) -> Self;
    /// The bare term, or the URI of `Other`.
    fn term_str(&self) -> &str;

    /// The term's index: a binary search on `Ord` (discriminant comparisons, no string matching).
    fn index(&self) -> Option<u8> {
        Self::table().binary_search(self).ok().and_then(|i| u8::try_from(i).ok())
    }

    fn from_index(i: u8) -> Option<Self> {
        Self::table().get(usize::from(i)).cloned()
    }
}

macro_rules! vocab {
    ($($t:ident),*) => {$(
        impl Vocab for $t {
            fn table() -> &'static [Self] {
                static TABLE: OnceLock<Vec<$t>> = OnceLock::new();
                TABLE.get_or_init(|| {
                    let table: Vec<$t> = Self::TERMS.iter().filter_map(|t| Self::parse(t).ok()).collect();
                    let consistent = table.len() == Self::TERMS.len()
                        && table.iter().zip(Self::TERMS).all(|(v, t)| v.other().is_none() && v.term() == *t)
                        && table.windows(2).all(|w| matches!(w, [a, b] if a < b));
                    if consistent { table } else { Vec::new() }
                })
            }
            fn other(&self) -> Option<&str> {
                if let Self::Other(u) = self { Some(u) } else { None }
            }
            fn from_other(s: Box<str>) -> Self {
                Self::Other(s)
            }
            fn term_str(&self) -> &str {
                self.term()
            }
        }
    )*};
}

vocab!(BizStep, Disposition, BizTransactionType, SourceDestType, ErrorReason);

pub(super) fn std_index<V: Vocab>(v: &V) -> Result<u8, Error> {
    v.index().ok_or_else(|| Error::msg(ErrorKind::InvalidArgument, "vocabulary term missing from its table"))
}

pub(super) fn enc_term<'e, E: Enc<'e>, V: Vocab>(v: &'e V, enc: &mut E) -> Result<Term<E::N>, Error> {
    match v.other() {
        Some(u) => Ok(Term::Other(enc.name(u)?)),
        None => Ok(Term::Std(std_index(v)?)),
    }
}

pub(super) fn enc_opt_term<'e, E: Enc<'e>, V: Vocab>(v: Option<&'e V>, enc: &mut E) -> Result<OptTerm<E::N>, Error> {
    Ok(match v.map(|v| enc_term(v, enc)).transpose()? {
        None => OptTerm::None,
        Some(Term::Std(i)) => OptTerm::Std(i),
        Some(Term::Other(n)) => OptTerm::Other(n),
    })
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    #[test]
    fn vocabulary_tables_follow_the_cbv_order() {
        fn check<V: Vocab + fmt::Debug>(terms: &[&str]) {
            assert_eq!(V::table().len(), terms.len());
            for i in 0..terms.len() {
                let v = V::from_index(u8::try_from(i).unwrap()).unwrap();
                assert_eq!(v.index(), Some(u8::try_from(i).unwrap()), "{v:?}");
            }
            assert_eq!(V::from_index(u8::try_from(terms.len()).unwrap()), None);
            assert_eq!(V::from_other("urn:x".into()).index(), None);
        }
        check::<BizStep>(BizStep::TERMS);
        check::<Disposition>(Disposition::TERMS);
        check::<BizTransactionType>(BizTransactionType::TERMS);
        check::<SourceDestType>(SourceDestType::TERMS);
        check::<ErrorReason>(ErrorReason::TERMS);
        assert_eq!(BizStep::Shipping.index(), Some(30));
        assert_eq!(Disposition::InTransit.index(), Some(9));
    }
}
