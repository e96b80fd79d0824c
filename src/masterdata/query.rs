//! SimpleMasterDataQuery (EPCIS 1.2 §8.2.7.2): which vocabulary elements, with what.

use std::collections::HashSet;

use super::{Vocabulary, VocabularyElement, element_key};
use crate::event::Id;
use crate::store::event_query::Param;
use crate::store::event_query::params_from_pairs;
use crate::{Error, ErrorKind};

/// A SimpleMasterDataQuery. Conditions are AND-ed; the values of one are OR-ed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MasterDataQuery {
    /// `vocabularyName`: only vocabularies of these types.
    pub vocabulary_name: Option<Vec<Box<str>>>,
    /// `includeAttributes`: results carry the attributes (those named by `attributeNames`, if given).
    pub include_attributes: bool,
    /// `includeChildren`: results carry the children.
    pub include_children: bool,
    /// `attributeNames`: only these attributes in the results.
    pub attribute_names: Option<Vec<Box<str>>>,
    /// `EQ_name`: elements with one of these identifiers.
    pub eq_name: Option<Vec<Id>>,
    /// `WD_name`: elements that are one of these, or a direct or indirect child of one.
    pub wd_name: Option<Vec<Id>>,
    /// `HASATTR`: elements with a non-null attribute of one of these names.
    pub has_attr: Option<Vec<Box<str>>>,
    /// `EQATTR_{name}`: elements whose attribute `name` is one of the values (every pair must hold).
    pub eq_attr: Vec<(Box<str>, Vec<Box<str>>)>,
    /// `maxElementCount`: more matching elements is a `QueryTooLargeException`.
    pub max_element_count: Option<u64>,
}

fn perr(name: &str, msg: impl std::fmt::Display) -> Error {
    Error::msg(ErrorKind::QueryParameter, format!("{name}: {msg}"))
}

fn boolean(p: &Param) -> Result<bool, Error> {
    match p.values.as_slice() {
        [v] if v.trim() == "true" => Ok(true),
        [v] if v.trim() == "false" => Ok(false),
        _ => Err(perr(&p.name, "is true or false")),
    }
}

fn strings(p: &Param) -> Result<Vec<Box<str>>, Error> {
    if p.values.is_empty() {
        return Err(perr(&p.name, "needs at least one value"));
    }
    Ok(p.values.iter().map(|v| v.trim().into()).collect())
}

impl MasterDataQuery {
    /// Reads a query from its parameters (standard names; `includeAttributes` and `includeChildren` are
    /// required by the standard and default to false here).
    ///
    /// # Errors
    /// [`ErrorKind::QueryParameter`] naming the parameter: unknown, repeated, or a value of the wrong type.
    ///
    /// ```
    /// use tracecode::masterdata::MasterDataQuery;
    /// let q = MasterDataQuery::from_pairs(&[
    ///     ("vocabularyName", "urn:epcglobal:epcis:vtype:BusinessLocation"),
    ///     ("includeAttributes", "true"),
    ///     ("WD_name", "urn:epc:id:sgln:0614141.00777.0"),
    /// ])?;
    /// assert!(q.include_attributes && !q.include_children);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, Error> {
        // Every value list of this query is comma-separated in the pairs form.
        Self::from_params(&params_from_pairs(pairs, |_| true))
    }

    /// Reads a query from parameters as the wire forms give them.
    ///
    /// # Errors
    /// As [`Self::from_pairs`].
    pub fn from_params(params: &[Param]) -> Result<Self, Error> {
        let mut q = Self::default();
        let mut seen: HashSet<&str> = HashSet::new();
        for p in params {
            if !seen.insert(&p.name) {
                return Err(perr(&p.name, "is given twice"));
            }
            let ids = || -> Result<Vec<Id>, Error> { Ok(strings(p)?.iter().map(|s| element_key(s)).collect()) };
            match p.name.as_str() {
                "vocabularyName" => q.vocabulary_name = Some(strings(p)?),
                "includeAttributes" => q.include_attributes = boolean(p)?,
                "includeChildren" => q.include_children = boolean(p)?,
                "attributeNames" => q.attribute_names = Some(strings(p)?),
                "EQ_name" => q.eq_name = Some(ids()?),
                "WD_name" => q.wd_name = Some(ids()?),
                "HASATTR" => q.has_attr = Some(strings(p)?),
                "maxElementCount" => {
                    let v = p.values.first().map(|v| v.trim()).unwrap_or_default();
                    q.max_element_count = Some(
                        v.parse::<u64>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| perr(&p.name, "is a positive whole number"))?,
                    );
                }
                n => match n.strip_prefix("EQATTR_") {
                    Some(attr) if !attr.is_empty() => q.eq_attr.push((attr.into(), strings(p)?)),
                    _ => return Err(perr(n, "is not a SimpleMasterDataQuery parameter")),
                },
            }
        }
        Ok(q)
    }

    /// The answer over `elements` (the latest version of every stored element, with its vocabulary type):
    /// vocabularies in the order their types first appear, elements in the given order.
    ///
    /// # Errors
    /// [`ErrorKind::QueryTooLarge`] when more than `maxElementCount` elements match.
    pub fn answer(&self, elements: &[(Box<str>, VocabularyElement)]) -> Result<Vec<Vocabulary>, Error> {
        let wd: Option<HashSet<Id>> = self
            .wd_name
            .as_ref()
            .map(|roots| super::LoadedMasterData::new(elements.to_vec()).descendants(roots).into_iter().collect());
        let mut out: Vec<Vocabulary> = Vec::new();
        let mut count = 0u64;
        for (kind, e) in elements {
            if self.vocabulary_name.as_ref().is_some_and(|v| !v.contains(kind)) {
                continue;
            }
            let key = e.key();
            if self.eq_name.as_ref().is_some_and(|v| !v.contains(&key))
                || wd.as_ref().is_some_and(|w| !w.contains(&key))
            {
                continue;
            }
            let has = |name: &str| e.attribute(name).is_some_and(|v| *v != crate::event::ExtValue::Null);
            if self.has_attr.as_ref().is_some_and(|names| !names.iter().any(|n| has(n))) {
                continue;
            }
            if !self.eq_attr.iter().all(|(name, values)| {
                e.attribute(name).is_some_and(|v| super::attr_text(v).is_some_and(|t| values.contains(&t)))
            }) {
                continue;
            }
            count += 1;
            if let Some(max) = self.max_element_count
                && count > max
            {
                return Err(Error::msg(
                    ErrorKind::QueryTooLarge,
                    format!("the query matches more than maxElementCount = {max} elements"),
                ));
            }
            let mut shown = VocabularyElement::new(e.id.clone());
            if self.include_attributes {
                shown.attributes = e
                    .attributes
                    .iter()
                    .filter(|a| self.attribute_names.as_ref().is_none_or(|n| n.contains(&a.id)))
                    .cloned()
                    .collect();
            }
            if self.include_children {
                shown.children.clone_from(&e.children);
            }
            match out.iter_mut().find(|v| v.kind == *kind) {
                Some(v) => v.elements.push(shown),
                None => out.push(Vocabulary { kind: kind.clone(), elements: vec![shown] }),
            }
        }
        Ok(out)
    }
}
