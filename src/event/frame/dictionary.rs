//! The dictionary of the interned form: identifiers and names to small integer references.

use std::collections::HashMap;

use crate::event::Id;

/// Maps identifiers and names to small integer references for the interned frame form.
///
/// Contract (the frame round trip depends on it): references are stable — once `intern(x)` returned `r`, every
/// later `intern(x)` returns `r` and `resolve(r)` returns `Some(x)`; two different values never share a
/// reference. Names (extension names, namespace IRIs, vocabulary URIs outside CBV, measurement types, operator
/// and device) are interned as `Id::Uri` by default, so one reference space serves both.
pub trait Dictionary {
    /// The reference for `id`, adding it if it is new.
    fn intern(&mut self, id: &Id) -> u32;

    /// The identifier behind `r`, if `r` was handed out by this dictionary.
    fn resolve(&self, r: u32) -> Option<Id>;

    /// The reference for a name (an extension name, a namespace IRI, ...). Defaults to interning it as
    /// `Id::Uri`; override to avoid the allocation.
    fn intern_name(&mut self, name: &str) -> u32 {
        self.intern(&Id::Uri(name.into()))
    }

    /// The name behind `r`: `None` if `r` is unknown or refers to a key.
    fn resolve_name(&self, r: u32) -> Option<Box<str>> {
        match self.resolve(r)? {
            Id::Uri(u) => Some(u),
            Id::Key(_) => None,
        }
    }
}

/// An in-memory [`Dictionary`]: references are assigned 0, 1, 2, ... in first-seen order.
///
/// Holds at most `u32::MAX` terms; past that `intern` returns `u32::MAX`, which never resolves, so a frame
/// written then fails to decode instead of decoding wrongly.
///
/// ```
/// use tracecode::event::frame::{Dictionary, MemoryDictionary};
/// use tracecode::event::Id;
/// let mut d = MemoryDictionary::new();
/// let a = Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?;
/// assert_eq!(d.intern(&a), 0);
/// assert_eq!(d.intern_name("https://ns.example.com/epcis/temp"), 1);
/// assert_eq!(d.intern(&a), 0);
/// assert_eq!(d.resolve(0), Some(a));
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryDictionary {
    keys: HashMap<Box<[u8]>, u32>,
    uris: HashMap<Box<str>, u32>,
    terms: Vec<Id>,
}

impl MemoryDictionary {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when no term was interned yet.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The reference of `id`, without adding it.
    pub fn get(&self, id: &Id) -> Option<u32> {
        match id {
            Id::Key(k) => self.keys.get(k.as_bytes()).copied(),
            Id::Uri(u) => self.uris.get(&**u).copied(),
        }
    }

    /// Every term in reference order (index = reference), e.g. to persist the dictionary.
    pub fn terms(&self) -> &[Id] {
        &self.terms
    }

    fn next(&mut self, id: Id) -> Option<u32> {
        let r = u32::try_from(self.terms.len()).ok().filter(|&r| r != u32::MAX)?;
        self.terms.push(id);
        Some(r)
    }
}

impl Dictionary for MemoryDictionary {
    fn intern(&mut self, id: &Id) -> u32 {
        match id {
            Id::Uri(u) => self.intern_name(u),
            Id::Key(k) => {
                if let Some(&r) = self.keys.get(k.as_bytes()) {
                    return r;
                }
                let Some(r) = self.next(id.clone()) else { return u32::MAX };
                self.keys.insert(k.as_bytes().into(), r);
                r
            }
        }
    }

    fn resolve(&self, r: u32) -> Option<Id> {
        self.terms.get(usize::try_from(r).ok()?).cloned()
    }

    fn intern_name(&mut self, name: &str) -> u32 {
        if let Some(&r) = self.uris.get(name) {
            return r;
        }
        let Some(r) = self.next(Id::Uri(name.into())) else { return u32::MAX };
        self.uris.insert(name.into(), r);
        r
    }

    fn resolve_name(&self, r: u32) -> Option<Box<str>> {
        match self.terms.get(usize::try_from(r).ok()?)? {
            Id::Uri(u) => Some(u.clone()),
            Id::Key(_) => None,
        }
    }
}
