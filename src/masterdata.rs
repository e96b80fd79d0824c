//! EPCIS master data: vocabularies (locations, read points, parties, product classes, lots, any other type)
//! whose elements carry attributes and children, read from documents and kept by the store, versioned.
//!
//! Events name things by identifier; master data says what they are: that `urn:epc:id:sgln:0614141.00777.0`
//! is the Shanghai cold store at such an address, that it contains dock doors 1 to 4 (its children, which
//! `WD_bizLocation` follows), that GTIN 10614141073464 is a 500-pill bottle of a named drug. Master data arrives
//! in EPCIS document headers (`epcisHeader.epcisMasterData.vocabularyList`, 1.2's
//! `EPCISHeader/extension/EPCISMasterData/VocabularyList`) and in master data documents (an
//! `EPCISMasterDataDocument`'s `vocabularyList`); [`Vocabulary::from_json_list`] reads the JSON form, the XML
//! reader the XML form, and importing a document hands both to the store.
//!
//! # Versions
//! A store keeps every version of an element: a later document's element is merged into the latest version
//! ([`VocabularyElement::merged_with`]: its attributes replace those of the same name, others are kept; its
//! children are added), and when that changes anything the result is stored as the next version, the earlier
//! ones kept for audit. Queries read the latest version.
//!
//! # Queries
//! [`MasterDataQuery`] is EPCIS 1.2's SimpleMasterDataQuery (`vocabularyName`, `includeAttributes`,
//! `includeChildren`, `attributeNames`, `EQ_name`, `WD_name`, `HASATTR`, `EQATTR_`, `maxElementCount`); EPCIS 2.0
//! dropped the query from its REST binding but kept master data, so tracecode answers the 1.2 form.

mod json;
mod query;

#[cfg(test)]
mod tests;

use crate::event::{ExtValue, Id};

pub use query::MasterDataQuery;

/// The standard vocabulary type of business locations.
pub const BUSINESS_LOCATION: &str = "urn:epcglobal:epcis:vtype:BusinessLocation";
/// The standard vocabulary type of read points.
pub const READ_POINT: &str = "urn:epcglobal:epcis:vtype:ReadPoint";

/// One vocabulary of a master data document: its type and elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    /// The vocabulary type (`urn:epcglobal:epcis:vtype:BusinessLocation`, `...:EPCClass`, any URI).
    pub kind: Box<str>,
    /// The elements.
    pub elements: Vec<VocabularyElement>,
}

/// One element of a vocabulary: its identifier, attributes and children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VocabularyElement {
    /// The element's identifier, as written (a location's SGLN, a class pattern, any URI).
    pub id: Box<str>,
    /// The attributes, in document order (names unique).
    pub attributes: Vec<Attribute>,
    /// The identifiers of the element's children (a location's sub-locations), as written.
    pub children: Vec<Box<str>>,
}

/// An attribute of a vocabulary element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name: a URI (`urn:epcglobal:cbv:mda#name`, `urn:epcglobal:cbv:mda:sst`, ...).
    pub id: Box<str>,
    /// Its value: a string, or structured content (an XML attribute with child elements, a JSON object).
    pub value: ExtValue,
}

impl VocabularyElement {
    /// An element with no attributes or children.
    pub fn new(id: impl Into<Box<str>>) -> Self {
        Self { id: id.into(), attributes: Vec::new(), children: Vec::new() }
    }

    /// The element's identifier as an event field holds it (so `urn:epc:id:sgln:…` and the Digital Link of the
    /// same GLN are one element).
    pub fn key(&self) -> Id {
        element_key(&self.id)
    }

    /// The value of attribute `name`, if the element has it.
    pub fn attribute(&self, name: &str) -> Option<&ExtValue> {
        self.attributes.iter().find(|a| &*a.id == name).map(|a| &a.value)
    }

    /// This version updated by `newer`: `newer`'s attributes replace those of the same name and are added
    /// otherwise; its children are added to these (no duplicates). The identifier is this one's.
    ///
    /// ```
    /// use tracecode::masterdata::{Attribute, VocabularyElement};
    /// let mut a = VocabularyElement::new("urn:epc:id:sgln:0614141.00777.0");
    /// a.attributes.push(Attribute { id: "urn:epcglobal:cbv:mda#name".into(), value: "Old".into() });
    /// a.attributes.push(Attribute { id: "urn:epcglobal:cbv:mda#city".into(), value: "Shanghai".into() });
    /// let mut b = VocabularyElement::new(a.id.clone());
    /// b.attributes.push(Attribute { id: "urn:epcglobal:cbv:mda#name".into(), value: "New".into() });
    /// b.children.push("urn:epc:id:sgln:0614141.00777.1".into());
    /// let m = a.merged_with(&b);
    /// assert_eq!(m.attribute("urn:epcglobal:cbv:mda#name"), Some(&"New".into()));
    /// assert_eq!(m.attribute("urn:epcglobal:cbv:mda#city"), Some(&"Shanghai".into()));
    /// assert_eq!(m.children.len(), 1);
    /// ```
    #[must_use]
    pub fn merged_with(&self, newer: &Self) -> Self {
        let mut out = self.clone();
        for a in &newer.attributes {
            match out.attributes.iter_mut().find(|x| x.id == a.id) {
                Some(x) => x.value = a.value.clone(),
                None => out.attributes.push(a.clone()),
            }
        }
        for c in &newer.children {
            if !out.children.contains(c) {
                out.children.push(c.clone());
            }
        }
        out
    }
}

/// The identifier of a vocabulary element or child as an event field holds it: a GS1 key where the text is
/// one, the text as written otherwise (also when it is not a well-formed key).
pub fn element_key(id: &str) -> Id {
    Id::parse(id).unwrap_or_else(|_| Id::Uri(id.trim().into()))
}

/// What storing master data did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MasterDataReport {
    /// Elements seen.
    pub elements: usize,
    /// Elements stored for the first time.
    pub created: usize,
    /// Elements whose latest version changed (a new version was stored).
    pub updated: usize,
    /// Elements that changed nothing.
    pub unchanged: usize,
}

/// The latest version of each element of `versions` (listed in the stores' order: by element and type, then
/// version), with its vocabulary type.
pub fn latest(versions: Vec<ElementVersion>) -> Vec<(Box<str>, VocabularyElement)> {
    let mut out: Vec<(Box<str>, VocabularyElement)> = Vec::new();
    let mut last_key: Option<(Id, Box<str>)> = None;
    for v in versions {
        let key = (v.element.key(), v.kind.clone());
        if last_key.as_ref() == Some(&key) {
            if let Some(slot) = out.last_mut() {
                *slot = (v.kind, v.element);
            }
        } else {
            out.push((v.kind, v.element));
            last_key = Some(key);
        }
    }
    out
}

/// Master data loaded for event queries (`WD_` hierarchies, `HASATTR_`/`EQATTR_`): the latest version of every
/// element.
#[derive(Clone, Debug, Default)]
pub struct LoadedMasterData {
    elements: Vec<(Box<str>, VocabularyElement)>,
    by_id: std::collections::HashMap<Id, Vec<usize>>,
}

impl LoadedMasterData {
    /// Indexes the latest versions (what [`latest`] gives).
    pub fn new(elements: Vec<(Box<str>, VocabularyElement)>) -> Self {
        let mut by_id: std::collections::HashMap<Id, Vec<usize>> = std::collections::HashMap::new();
        for (i, (_, e)) in elements.iter().enumerate() {
            by_id.entry(e.key()).or_default().push(i);
        }
        Self { elements, by_id }
    }

    /// The latest versions.
    pub fn elements(&self) -> &[(Box<str>, VocabularyElement)] {
        &self.elements
    }
}

impl LoadedMasterData {
    /// `roots` and every element below them through the children of their latest versions, transitively,
    /// each once, roots first (cycles are harmless).
    pub fn descendants(&self, roots: &[Id]) -> Vec<Id> {
        let mut out: Vec<Id> = Vec::new();
        let mut seen: std::collections::HashSet<Id> = std::collections::HashSet::new();
        for r in roots {
            if seen.insert(r.clone()) {
                out.push(r.clone());
            }
        }
        let mut i = 0;
        while let Some(cur) = out.get(i).cloned() {
            i += 1;
            for &j in self.by_id.get(&cur).map(Vec::as_slice).unwrap_or_default() {
                if let Some((_, e)) = self.elements.get(j) {
                    for c in &e.children {
                        let k = element_key(c);
                        if seen.insert(k.clone()) {
                            out.push(k);
                        }
                    }
                }
            }
        }
        out
    }
}

/// The text an attribute value compares as: a string, a number's text, a boolean's; none for null and
/// structured values.
pub(crate) fn attr_text(v: &ExtValue) -> Option<Box<str>> {
    match v {
        ExtValue::String(s) => Some(s.clone()),
        ExtValue::Number(d) => Some(d.as_str().into()),
        ExtValue::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

impl crate::store::event_query::MasterDataView for LoadedMasterData {
    fn with_descendants(&self, id: &Id) -> Vec<Id> {
        self.descendants(std::slice::from_ref(id))
    }

    fn attribute(&self, id: &Id, attr: &str) -> Option<Vec<Box<str>>> {
        let mut found: Option<Vec<Box<str>>> = None;
        for &j in self.by_id.get(id)? {
            if let Some(v) = self.elements.get(j).and_then(|(_, e)| e.attribute(attr)) {
                let texts = found.get_or_insert_with(Vec::new);
                match v {
                    ExtValue::Null => {}
                    ExtValue::Array(items) => {
                        texts.extend(items.iter().filter_map(|x| match x {
                            ExtValue::String(s) => Some(s.clone()),
                            _ => None,
                        }));
                    }
                    ExtValue::Object(_) => texts.push("".into()),
                    scalar => texts.extend(attr_text(scalar)),
                }
            }
        }
        // A null attribute is no attribute (HASATTR wants a non-null one).
        found.filter(|t| !t.is_empty())
    }
}

impl MasterDataReport {
    /// Counts element `e` against the latest stored version of its element, and returns the next version to
    /// store: `e` itself when there is none, the merge when it changes anything, nothing otherwise.
    pub(crate) fn next_version(
        &mut self,
        latest: Option<&VocabularyElement>,
        e: &VocabularyElement,
    ) -> Option<VocabularyElement> {
        self.elements += 1;
        match latest {
            None => {
                self.created += 1;
                Some(e.clone())
            }
            Some(old) => {
                let merged = old.merged_with(e);
                if merged == *old {
                    self.unchanged += 1;
                    None
                } else {
                    self.updated += 1;
                    Some(merged)
                }
            }
        }
    }
}

/// A stored version of an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementVersion {
    /// The vocabulary type.
    pub kind: Box<str>,
    /// The version number, from 1.
    pub version: u64,
    /// The element as of this version.
    pub element: VocabularyElement,
}
