//! One event element read whole into a small tree (bounded in bytes and elements), with the byte offset where
//! each element starts: what the converter to the EPCIS JSON shape walks.

/// The EPCIS XML namespaces whose elements are the standard's own (an event's children are unqualified).
pub(super) const EPCIS_NS: [&str; 6] = [
    "urn:epcglobal:epcis:xsd:2",
    "urn:epcglobal:epcis:xsd:1",
    "urn:epcglobal:epcis-query:xsd:2",
    "urn:epcglobal:epcis-query:xsd:1",
    "urn:epcglobal:epcis-masterdata:xsd:2",
    "urn:epcglobal:epcis-masterdata:xsd:1",
];

/// An element: its namespace (`None` when unqualified), local name, attributes, children and text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Element {
    pub(super) ns: Option<Box<str>>,
    /// The prefix of the element's name as written.
    pub(super) prefix: Option<Box<str>>,
    pub(super) name: Box<str>,
    /// `(namespace, prefix, local name, value)`; namespace declarations are not kept.
    pub(super) attrs: Vec<Attr>,
    /// The member name of a user extension element: `prefix:name` when the event's context declares the prefix
    /// ([`Element::assign_keys`]), the expanded IRI otherwise.
    pub(super) key: Box<str>,
    pub(super) children: Vec<Element>,
    /// The character data directly inside, concatenated.
    pub(super) text: String,
    /// Byte offset of the start tag in the input.
    pub(super) offset: u64,
}

impl Element {
    /// Whether the element is one of the standard's (unqualified or in an EPCIS namespace) named `name`.
    pub(super) fn is(&self, name: &str) -> bool {
        &*self.name == name && self.standard()
    }

    /// Unqualified or in an EPCIS namespace.
    pub(super) fn standard(&self) -> bool {
        self.ns.as_deref().is_none_or(|ns| EPCIS_NS.contains(&ns))
    }

    /// The standard attribute `name` (unqualified).
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.ns.is_none() && &*a.name == name).map(|a| a.value.as_str())
    }

    /// Sets the member names of user extension elements and attributes in the tree: `prefix:name` where
    /// `usable(prefix, namespace)` (the event's context binds the prefix to that namespace), the expanded IRI
    /// otherwise.
    pub(super) fn assign_keys(&mut self, usable: &dyn Fn(&str, &str) -> bool) {
        // Only namespaced names need a key (an unqualified one is its own name): no allocation for the rest.
        if self.ns.is_some() {
            self.key = qualified(self.ns.as_deref(), self.prefix.as_deref(), &self.name, usable).into();
        }
        for a in self.attrs.iter_mut().filter(|a| a.ns.is_some()) {
            a.key = qualified(a.ns.as_deref(), a.prefix.as_deref(), &a.name, usable).into();
        }
        for c in &mut self.children {
            c.assign_keys(usable);
        }
    }

    /// The trimmed text.
    pub(super) fn value(&self) -> &str {
        self.text.trim()
    }
}

/// An attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Attr {
    pub(super) ns: Option<Box<str>>,
    pub(super) prefix: Option<Box<str>>,
    pub(super) name: Box<str>,
    pub(super) value: String,
    /// As [`Element::key`].
    pub(super) key: Box<str>,
}

/// `prefix:name` when the prefix is usable, else the namespace IRI followed by the name (the bare name when
/// unqualified).
fn qualified(ns: Option<&str>, prefix: Option<&str>, name: &str, usable: &dyn Fn(&str, &str) -> bool) -> String {
    match (ns, prefix) {
        // The XML binding's master-data namespace has no trailing colon; the JSON context's `cbvmda` has one.
        (Some("urn:epcglobal:cbv:mda" | "urn:epcglobal:cbv:mda:"), _) => format!("cbvmda:{name}"),
        // The prefix as written, when the event's context binds it to this very namespace (an inner element may
        // rebind a prefix the context has for another).
        (Some(ns), Some(p)) if usable(p, ns) => format!("{p}:{name}"),
        (Some(ns), _) => format!("{ns}{name}"),
        (None, _) => name.to_owned(),
    }
}
