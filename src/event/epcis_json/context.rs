//! The JSON-LD `@context`: which prefixes are in force for an event, and how a name or value resolves against
//! them.

use std::borrow::Cow;

use serde_json::Value;

use super::error::{EventError, Path, show, type_name};
use super::node::{Node, Obj, View};
use crate::event::{MAX_URI, Namespace};
use crate::{Error, ErrorKind};

/// Most prefixes one `@context` may declare.
const MAX_PREFIXES: usize = 256;

/// Prefixes every EPCIS 2.0 processor knows (the standard context defines them, `@protected`).
pub(super) const STANDARD_PREFIXES: [(&str, &str); 4] = [
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("gs1", "https://gs1.org/voc/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
];

pub(super) const GS1_VOC: &str = "https://gs1.org/voc/";

/// The JSON-LD prefixes in force for an event: the standard EPCIS prefixes plus those a `@context` declares.
///
/// ```
/// use tracecode::event::epcis_json::Context;
/// let ctx = Context::from_json(&serde_json::json!([
///     "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
///     {"ex": "https://ns.example.com/epcis/"}
/// ]))?;
/// assert_eq!(ctx.iri("ex"), Some("https://ns.example.com/epcis/"));
/// assert_eq!(ctx.iri("gs1"), Some("https://gs1.org/voc/"));
/// # Ok::<(), tracecode::event::epcis_json::EventError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub(super) declared: Vec<Namespace>,
}

/// How a key or value resolves against a [`Context`].
pub(super) enum Resolved<'c> {
    /// A CURIE with a declared (or standard) prefix: the expanded IRI and the namespace used.
    Curie(String, Namespace),
    /// A term declared in the context as a whole IRI.
    Term(&'c str),
    /// An absolute IRI (`scheme://…`, `urn:…`).
    Absolute,
    /// `prefix:rest` with an undeclared prefix.
    Undeclared(&'c str),
    /// No colon and no term definition.
    Plain,
}

impl Context {
    /// The standard prefixes only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a `@context` value: a URL (accepted, not fetched), an object of prefix definitions (`"ex": "IRI"` or
    /// `"ex": {"@id": "IRI"}`), or an array of those.
    ///
    /// # Errors
    /// An [`EventError`] with a pointer inside the context for a value of the wrong type, an IRI that is not one,
    /// a redefinition of a standard prefix, or more than 256 prefixes.
    pub fn from_json(v: &Value) -> Result<Self, EventError> {
        Self::from_node(v)
    }

    pub(super) fn from_node<N: Node>(v: &N) -> Result<Self, EventError> {
        let mut c = Self::new();
        c.add_json(v, &Path::ROOT)?;
        Ok(c)
    }

    /// Declares `prefix` → `iri` (replacing an earlier declaration of the same prefix).
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for an empty prefix or one with `:` or whitespace, an IRI that is not absolute
    /// (`scheme://…`, or `urn:`, `tag:`, `did:`, `ni:`, `mailto:`, `data:`) or has whitespace; [`ErrorKind::Value`] for redefining a standard prefix (`cbv`, `epcis`, `gs1`, `cbvmda`) to
    /// another IRI; [`ErrorKind::Length`] past 256 prefixes or over-long text.
    pub fn declare(&mut self, prefix: &str, iri: &str) -> Result<(), Error> {
        if prefix.is_empty() || prefix.len() > 64 || prefix.contains(':') || prefix.bytes().any(bad_uri_byte) {
            return Err(Error::new(
                ErrorKind::Syntax,
                0,
                prefix.len(),
                format!("{} is not a prefix name", show(prefix)),
            ));
        }
        let hijack = ["http", "https"].iter().chain(&AUTHORITYLESS_SCHEMES).any(|x| prefix.eq_ignore_ascii_case(x));
        if hijack {
            return Err(Error::new(
                ErrorKind::Value,
                0,
                prefix.len(),
                format!("prefix {} would change the meaning of every IRI with that scheme", show(prefix)),
            ));
        }
        if iri.len() > MAX_URI {
            return Err(Error::new(ErrorKind::Length, 0, iri.len(), "namespace IRI is too long"));
        }
        if !uri_ok(iri) || !is_absolute(iri) {
            return Err(Error::new(
                ErrorKind::Syntax,
                0,
                iri.len(),
                format!("{} is not an absolute IRI (scheme://… or urn:…)", show(iri)),
            ));
        }
        if let Some((_, std)) = STANDARD_PREFIXES.iter().find(|(p, _)| *p == prefix) {
            if *std != iri {
                return Err(Error::new(
                    ErrorKind::Value,
                    0,
                    iri.len(),
                    format!("prefix {} is fixed by the EPCIS context to {std}", show(prefix)),
                ));
            }
            return Ok(());
        }
        if let Some(n) = self.declared.iter_mut().find(|n| &*n.prefix == prefix) {
            n.iri = iri.into();
            return Ok(());
        }
        if self.declared.len() >= MAX_PREFIXES {
            return Err(Error::msg(ErrorKind::Length, "more than 256 prefixes in @context"));
        }
        self.declared.push(Namespace { prefix: prefix.into(), iri: iri.into() });
        Ok(())
    }

    /// The IRI a prefix stands for (declared first, then the standard prefixes).
    pub fn iri(&self, prefix: &str) -> Option<&str> {
        self.declared
            .iter()
            .find(|n| &*n.prefix == prefix)
            .map(|n| &*n.iri)
            .or_else(|| STANDARD_PREFIXES.iter().find(|(p, _)| *p == prefix).map(|(_, i)| *i))
    }

    /// The prefixes declared (not the standard ones), in declaration order.
    pub fn declared(&self) -> &[Namespace] {
        &self.declared
    }

    pub(super) fn add_json<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<(), EventError> {
        match v.view() {
            // A remote context (the standard one, or one we do not fetch: tracecode works offline).
            View::String(_) => Ok(()),
            View::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    match it.view() {
                        View::String(_) => {}
                        View::Object(o) => self.add_object::<N>(o, &p.index(i))?,
                        _ => {
                            return Err(p.index(i).err(
                                ErrorKind::Syntax,
                                format!("@context entries must be URLs or objects, found {}", type_name(it)),
                            ));
                        }
                    }
                }
                Ok(())
            }
            View::Object(o) => self.add_object::<N>(o, p),
            _ => Err(p.err(
                ErrorKind::Syntax,
                format!("@context must be a URL, an object or an array, found {}", type_name(v)),
            )),
        }
    }

    fn add_object<N: Node>(&mut self, o: &N::Obj, p: &Path<'_>) -> Result<(), EventError> {
        for (k, v) in o.members() {
            // Keywords (@vocab, @version, @protected) and compact-IRI keys do not declare prefixes.
            if k.starts_with('@') || k.contains(':') {
                continue;
            }
            let iri = match v.view() {
                View::String(s) => s,
                View::Object(d) => match d.get("@id").map(Node::view) {
                    Some(View::String(s)) => s,
                    // A term definition without @id (type coercion only) declares nothing.
                    _ => continue,
                },
                View::Null => continue,
                _ => {
                    return Err(p.key(k).err(
                        ErrorKind::Syntax,
                        format!("a prefix definition must be an IRI string, found {}", type_name(v)),
                    ));
                }
            };
            // A definition may itself be a CURIE of an earlier prefix (JSON-LD expands it).
            let expanded = match self.resolve(iri) {
                Resolved::Curie(full, _) => Cow::Owned(full),
                _ => Cow::Borrowed(iri),
            };
            self.declare(k, &expanded).map_err(|e| p.key(k).err(e.kind(), e.message().to_owned()))?;
        }
        Ok(())
    }

    pub(super) fn resolve<'s>(&'s self, s: &'s str) -> Resolved<'s> {
        let Some((pfx, rest)) = s.split_once(':') else {
            return match self.declared.iter().find(|n| &*n.prefix == s) {
                Some(n) => Resolved::Term(&n.iri),
                None => Resolved::Plain,
            };
        };
        if rest.starts_with("//") {
            return Resolved::Absolute;
        }
        if let Some(iri) = self.iri(pfx) {
            return Resolved::Curie(format!("{iri}{rest}"), Namespace { prefix: pfx.into(), iri: iri.into() });
        }
        if AUTHORITYLESS_SCHEMES.iter().any(|sch| pfx.eq_ignore_ascii_case(sch)) {
            return Resolved::Absolute;
        }
        Resolved::Undeclared(pfx)
    }

    /// A value that may be a CURIE: expanded if its prefix is known, else as written.
    pub(super) fn expand_value<'s>(&self, s: &'s str) -> Cow<'s, str> {
        match self.resolve(s) {
            Resolved::Curie(full, _) => Cow::Owned(full),
            _ => Cow::Borrowed(s),
        }
    }
}

/// IRI schemes without an authority (`scheme:` not followed by `//`) that EPCIS data uses: read as absolute IRIs,
/// never as CURIEs of an undeclared prefix.
const AUTHORITYLESS_SCHEMES: [&str; 6] = ["urn", "ni", "tag", "did", "mailto", "data"];

/// An IRI the importer reads back as itself: `scheme://…` or an authority-less scheme (`urn:…`). Namespace IRIs
/// must be of this kind, so every expanded name re-imports unchanged.
fn is_absolute(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let mut chars = scheme.bytes();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        && (rest.starts_with("//") || AUTHORITYLESS_SCHEMES.iter().any(|x| scheme.eq_ignore_ascii_case(x)))
}

/// A URI-like value short enough and without whitespace or control characters.
pub(super) fn uri_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_URI && !s.bytes().any(bad_uri_byte)
}

pub(super) fn bad_uri_byte(b: u8) -> bool {
    b.is_ascii_whitespace() || b.is_ascii_control()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::epcis_json::EPCIS_CONTEXT;
    use serde_json::json;

    #[test]
    fn context_forms() {
        let c = Context::from_json(&json!([
            EPCIS_CONTEXT,
            {"ex": "https://ns.example.com/", "t": {"@id": "urn:t:"}, "ex2": "ex:sub/", "@vocab": "x:", "a:b": "c"},
            {"gs1": "https://gs1.org/voc/"}
        ]))
        .unwrap();
        assert_eq!(c.iri("ex"), Some("https://ns.example.com/"));
        assert_eq!(c.iri("t"), Some("urn:t:"));
        assert_eq!(c.iri("ex2"), Some("https://ns.example.com/sub/"));
        assert_eq!(c.iri("cbvmda"), Some("urn:epcglobal:cbv:mda:"));
        assert_eq!(c.declared().len(), 3);
        let e = Context::from_json(&json!([EPCIS_CONTEXT, {"gs1": "https://example.com/"}])).unwrap_err();
        assert_eq!((e.pointer(), e.kind()), ("/1/gs1", ErrorKind::Value));
        let e = Context::from_json(&json!([EPCIS_CONTEXT, 5])).unwrap_err();
        assert_eq!(e.pointer(), "/1");
        for bad in ["no scheme", "ex:", "foo:bar/", "https://a b/"] {
            let e = Context::from_json(&json!({"ex": bad})).unwrap_err();
            assert_eq!((e.pointer(), e.kind()), ("/ex", ErrorKind::Syntax), "{bad}");
        }
        let e = Context::from_json(&json!({"urn": "https://hijack.example/"})).unwrap_err();
        assert_eq!((e.pointer(), e.kind()), ("/urn", ErrorKind::Value));
        assert!(Context::from_json(&json!({"x": "tag:example.com,2024:"})).is_ok());
        assert_eq!(Context::from_json(&json!(true)).unwrap_err().pointer(), "");
    }
}
