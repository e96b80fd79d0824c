//! Streaming reading of an EPCIS XML document: the events one at a time, each read whole into a bounded
//! element tree, converted to the JSON binding's shape and read by the JSON converter.

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::name::{PrefixDeclaration, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

use super::dom::{Attr, EPCIS_NS, Element};
use super::to_json::{self, EVENT_TYPES};
use crate::event::Event;
use crate::event::epcis_json::{Context, EventError, ReadOptions, event_from_json_tree};
use crate::{Error, ErrorKind};

/// The largest event element, in bytes of XML.
pub const MAX_EVENT_XML_BYTES: u64 = 4 << 20;
/// The most elements one event may hold.
const MAX_EVENT_ELEMENTS: usize = 100_000;
/// The deepest nesting of elements in a document.
const MAX_DEPTH: usize = 64;

/// What an XML document was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlDocumentKind {
    /// `EPCISDocument`.
    #[default]
    Document,
    /// `EPCISQueryDocument`.
    QueryDocument,
    /// One bare event element.
    Event,
    /// `EPCISMasterDataDocument` (vocabularies, no events).
    MasterDataDocument,
}

/// The outcome of reading an XML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XmlSummary {
    /// What the input was.
    pub document: XmlDocumentKind,
    /// The `schemaVersion` attribute of the root (`1.2`, `2.0`), when present.
    pub schema_version: Option<String>,
    /// Events seen.
    pub events: usize,
    /// Events that were valid.
    pub accepted: usize,
    /// The master data of the header (`EPCISHeader/extension/EPCISMasterData`, or 2.0's `EPCISMasterData`)
    /// and of a master data document's body, in document order.
    pub master_data: Vec<crate::masterdata::Vocabulary>,
}

/// A line and column (1-based, columns in bytes) for byte offsets of the event being read: newlines of earlier
/// events are counted, not kept.
struct Lines<R> {
    inner: R,
    consumed: u64,
    /// Newlines before the oldest kept one, and the offset of the last of them.
    before: u64,
    last_dropped: Option<u64>,
    kept: VecDeque<u64>,
}

impl<R: BufRead> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            // Newlines eight bytes per step (this sees every byte of the input).
            let mut rest = buf.get(..n).unwrap_or(buf);
            let mut at = self.consumed;
            loop {
                let i = crate::code::bytes::find(rest, b'\n', b'\n');
                if i >= rest.len() {
                    break;
                }
                self.kept.push_back(at + i as u64);
                at += i as u64 + 1;
                rest = rest.get(i + 1..).unwrap_or_default();
            }
        }
        self.consumed += n as u64;
        self.inner.consume(n);
    }
}

impl<R> Lines<R> {
    const fn new(inner: R) -> Self {
        Self { inner, consumed: 0, before: 0, last_dropped: None, kept: VecDeque::new() }
    }

    /// Forgets newlines before `offset` (keeping their count).
    fn forget_before(&mut self, offset: u64) {
        while self.kept.front().is_some_and(|&n| n < offset) {
            self.last_dropped = self.kept.pop_front();
            self.before += 1;
        }
    }

    /// Line and column of `offset` (at or after the oldest kept newline's predecessor).
    fn position(&self, offset: u64) -> (u64, u64) {
        let i = self.kept.partition_point(|&n| n < offset);
        let line_start = match i.checked_sub(1).and_then(|j| self.kept.get(j)) {
            Some(&n) => n + 1,
            None => self.last_dropped.map_or(0, |n| n + 1),
        };
        (self.before + i as u64 + 1, offset.saturating_sub(line_start) + 1)
    }
}

/// Reads every event of an EPCIS 1.2 or 2.0 XML document (`EPCISDocument`, `EPCISQueryDocument`, or one bare
/// event element), calling `on_event(index, result)` in document order. A bad event's [`EventError`] pointer is
/// the event's location (`/EPCISDocument/EPCISBody/EventList/ObjectEvent[2]`) followed by the JSON pointer of
/// the fault in the event's JSON form (`/bizStep`); its message starts with the line and column of the event.
///
/// # Errors
/// A crate [`Error`] (with the byte offset, and line and column in the message) for XML that is not well
/// formed, a DOCTYPE (never read: no entity can be expanded), an unknown root, an event larger than
/// [`MAX_EVENT_XML_BYTES`], I/O, or the callback's error.
///
/// ```
/// use tracecode::event::epcis_xml::read_events;
/// let doc = r#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
///     creationDate="2024-05-01T00:00:00Z"><EPCISBody><EventList><ObjectEvent>
///   <eventTime>2024-05-01T08:00:00+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
///   <epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList><action>OBSERVE</action>
/// </ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"#;
/// let mut events = Vec::new();
/// let summary = read_events(doc.as_bytes(), Default::default(), |_, r| {
///     events.push(r?);
///     Ok(())
/// })?;
/// assert_eq!((summary.events, summary.schema_version.as_deref()), (1, Some("2.0")));
/// assert_eq!(events[0].epc_list.len(), 1);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn read_events<R: BufRead>(
    input: R,
    opts: ReadOptions,
    mut on_event: impl FnMut(usize, Result<Event, EventError>) -> Result<(), Error>,
) -> Result<XmlSummary, Error> {
    let mut rd = NsReader::from_reader(Lines::new(input));
    let cfg = rd.config_mut();
    cfg.trim_text(false);
    cfg.expand_empty_elements = true;
    cfg.check_end_names = true;
    let mut summary = XmlSummary::default();
    // Namespace declarations in scope, per open element above the events.
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut cache = None;
    let mut buf = Vec::new();
    // The element path (local names, with sibling positions of event elements) for locations.
    let mut path: Vec<(Box<str>, usize)> = Vec::new();
    let mut counts: Vec<HashMap<Box<str>, usize>> = vec![HashMap::default()];
    let mut root_seen = false;
    loop {
        let at = rd.buffer_position();
        let (ns, ev) = match rd.read_resolved_event_into(&mut buf) {
            Ok((ns, ev)) => (namespace(&ns), ev.into_owned()),
            Err(e) => return Err(xml_error(&rd, &e.to_string())),
        };
        match (ns, ev) {
            (ns, XmlEvent::Start(start)) => {
                let name: Box<str> = start.local_name().as_ref().into();
                if !root_seen {
                    root_seen = true;
                    root(&rd, &start, ns.as_deref(), at, &mut summary)?;
                }
                let n = counts.last_mut().map_or(1, |c| {
                    let k = c.entry(name.clone()).or_insert(0);
                    *k += 1;
                    *k
                });
                if path.len() >= MAX_DEPTH {
                    return Err(fault(&rd, at, ErrorKind::Length, format!("elements nest deeper than {MAX_DEPTH}")));
                }
                let standard_ns = ns.as_deref().is_none_or(|n| EPCIS_NS.contains(&n));
                // An element of another namespace directly in the event list is an extension event type.
                let in_event_list = path.last().is_some_and(|(p, _)| &**p == "EventList");
                let is_event = (EVENT_TYPES.contains(&&*name) && standard_ns) || (in_event_list && !standard_ns);
                if is_event {
                    let location = format!("{}/{name}[{n}]", location(&path));
                    let bindings: Vec<(String, String)> = scopes.iter().flatten().cloned().collect();
                    let result = event(&mut rd, &start, ns, at, &mut buf, bindings, &location, opts, &mut cache)?;
                    let index = summary.events;
                    summary.events += 1;
                    summary.accepted += usize::from(result.is_ok());
                    on_event(index, result)?;
                    continue;
                }
                // Master data: each element read whole (bounded like an event), under its vocabulary's type.
                if master_data(&mut rd, &start, ns.clone(), at, &mut buf, &path, standard_ns, &mut summary)? {
                    continue;
                }
                // Anything else in an event list (but 1.2's `extension` wrapper) is an event of an unknown type:
                // reported as a bad event, never skipped in silence.
                // (1.2 nests later event types in `extension` wrappers, as deep as needed.)
                let in_list = path
                    .iter()
                    .rposition(|(p, _)| &**p == "EventList")
                    .is_some_and(|i| path.iter().skip(i + 1).all(|(p, _)| &**p == "extension"));
                if in_list && &*name != "extension" {
                    let location = format!("{}/{name}[{n}]", location(&path));
                    let (line, col) = rd.get_ref().position(at);
                    let mut ignored = Vec::new();
                    read_element(&mut rd, &start, ns, at, &mut buf, &mut ignored)?;
                    let msg = format!(
                        "line {line}, column {col}: <{name}> is not an EPCIS event type (expected {})",
                        EVENT_TYPES.join(", ")
                    );
                    let index = summary.events;
                    summary.events += 1;
                    on_event(index, Err(EventError::new(ErrorKind::Syntax, location, msg)))?;
                    continue;
                }
                path.push((name, n));
                counts.push(HashMap::default());
                scopes.push(declarations(&start));
            }
            (_, XmlEvent::End(_)) => {
                path.pop();
                counts.pop();
                scopes.pop();
            }
            (_, XmlEvent::DocType(_)) => {
                return Err(fault(&rd, at, ErrorKind::Syntax, "a DOCTYPE is not allowed in an EPCIS document"));
            }
            (_, XmlEvent::Eof) => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(Error::msg(ErrorKind::Syntax, "the input holds no XML element"));
    }
    Ok(summary)
}

/// Checks the root element and records the document's kind and schema version.
fn root<R: BufRead>(
    rd: &NsReader<Lines<R>>,
    start: &BytesStart<'_>,
    ns: Option<&str>,
    at: u64,
    summary: &mut XmlSummary,
) -> Result<(), Error> {
    let name = start.local_name();
    let name = name.as_ref();
    summary.schema_version = attribute(start, "schemaVersion");
    summary.document = match name {
        "EPCISDocument" => XmlDocumentKind::Document,
        "EPCISQueryDocument" => XmlDocumentKind::QueryDocument,
        "EPCISMasterDataDocument" => XmlDocumentKind::MasterDataDocument,
        n if EVENT_TYPES.contains(&n) => XmlDocumentKind::Event,
        _ => {
            let msg = format!(
                "expected EPCISDocument, EPCISQueryDocument, EPCISMasterDataDocument or an event, found <{name}>"
            );
            return Err(fault(rd, at, ErrorKind::Syntax, msg));
        }
    };
    if summary.document != XmlDocumentKind::Event && !ns.is_some_and(|n| EPCIS_NS.contains(&n)) {
        let found = ns.unwrap_or("none");
        let msg = format!("<{name}> must be in an EPCIS namespace (urn:epcglobal:epcis:xsd:2 or :1), found {found}");
        return Err(fault(rd, at, ErrorKind::Syntax, msg));
    }
    Ok(())
}

/// A `Vocabulary` start (its type noted) or a `VocabularyElement` (read whole into the summary's master data);
/// true when the element was read here.
#[allow(clippy::too_many_arguments, reason = "the reader's state, passed through")]
fn master_data<R: BufRead>(
    rd: &mut NsReader<Lines<R>>,
    start: &BytesStart<'_>,
    ns: Option<Box<str>>,
    at: u64,
    buf: &mut Vec<u8>,
    path: &[(Box<str>, usize)],
    standard_ns: bool,
    summary: &mut XmlSummary,
) -> Result<bool, Error> {
    let name = start.local_name();
    let name = name.as_ref();
    if !standard_ns {
        return Ok(false);
    }
    if name == "VocabularyElement" && path.last().is_some_and(|(p, _)| &**p == "VocabularyElementList") {
        let mut ignored = Vec::new();
        let el = read_element(rd, start, ns, at, buf, &mut ignored)?;
        let element = super::vocab::element(&el).map_err(|m| fault(rd, at, ErrorKind::Syntax, m))?;
        return match summary.master_data.last_mut() {
            Some(v) => {
                v.elements.push(element);
                Ok(true)
            }
            None => Err(fault(rd, at, ErrorKind::Syntax, "a VocabularyElement outside a Vocabulary")),
        };
    }
    if name == "Vocabulary" {
        let kind = attribute(start, "type")
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| fault(rd, at, ErrorKind::Syntax, "a Vocabulary has no type"))?;
        summary.master_data.push(crate::masterdata::Vocabulary { kind: kind.trim().into(), elements: Vec::new() });
    }
    Ok(false)
}

/// The value of a start tag's attribute `name`, normalised, when it has one that reads.
fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = start.try_get_attribute(name).ok().flatten()?;
    a.normalized_value(XmlVersion::Implicit1_0).ok().map(std::borrow::Cow::into_owned)
}

/// The namespace prefixes an element declares.
fn declarations(start: &BytesStart<'_>) -> Vec<(String, String)> {
    start
        .attributes()
        .flatten()
        .filter_map(|a| match a.key.as_namespace_binding() {
            Some(PrefixDeclaration::Named(p)) => {
                let iri = a.normalized_value(XmlVersion::Implicit1_0).map(std::borrow::Cow::into_owned).ok()?;
                Some((p.to_owned(), iri))
            }
            _ => None,
        })
        .collect()
}

/// Reads one event element (its start tag read, at byte `at`) and converts it; an invalid event is its
/// [`EventError`], located by `location`, the JSON pointer, and the line and column of its start tag.
#[allow(clippy::too_many_arguments, reason = "the reader's state, passed through once per event")]
fn event<R: BufRead>(
    rd: &mut NsReader<Lines<R>>,
    start: &BytesStart<'_>,
    ns: Option<Box<str>>,
    at: u64,
    buf: &mut Vec<u8>,
    mut bindings: Vec<(String, String)>,
    location: &str,
    opts: ReadOptions,
    cache: &mut Option<ContextCache>,
) -> Result<Result<Event, EventError>, Error> {
    rd.get_mut().forget_before(at);
    let (line, col) = rd.get_ref().position(at);
    let mut el = read_element(rd, start, ns, at, buf, &mut bindings)?;
    let ctx = event_context(&mut el, bindings, cache);
    let json = to_json::event(&el);
    Ok(event_from_json_tree(&json, &ctx, opts).map_err(|e| {
        EventError::new(
            e.kind(),
            format!("{location}{}", e.pointer()),
            format!("line {line}, column {col}: {}", e.message()),
        )
    }))
}

/// The context of one event: every prefix declared in scope and inside it (the JSON binding's `@context`), so
/// that CURIEs in values expand as in JSON and extensions keep their prefixes; a prefix the context refuses (a
/// standard one bound elsewhere) leaves its names as expanded IRIs.
fn event_context(el: &mut Element, bindings: Vec<(String, String)>, cache: &mut Option<ContextCache>) -> Context {
    // Events of one document usually see the same declarations (the root's): the context is built once.
    let fresh = cache.as_ref().is_none_or(|c| c.bindings != bindings);
    if fresh {
        let mut ctx = Context::new();
        let mut usable = Vec::new();
        for (p, iri) in &bindings {
            if ctx.declare(p, iri).is_ok() && ctx.declared().iter().any(|n| *n.prefix == **p) {
                usable.push(p.clone());
            }
        }
        *cache = Some(ContextCache { bindings, ctx, usable });
    }
    let Some(c) = cache.as_ref() else { return Context::new() };
    el.assign_keys(&|p: &str, ns: &str| {
        c.usable.iter().any(|u| u == p) && c.ctx.declared().iter().any(|n| &*n.prefix == p && &*n.iri == ns)
    });
    c.ctx.clone()
}

/// The last event's namespace declarations and the context built from them.
struct ContextCache {
    bindings: Vec<(String, String)>,
    ctx: Context,
    /// The prefixes the context declares as written.
    usable: Vec<String>,
}

/// The namespace of a resolved name.
fn namespace(r: &ResolveResult<'_>) -> Option<Box<str>> {
    match r {
        ResolveResult::Bound(ns) => Some(ns.as_ref().into()),
        _ => None,
    }
}

/// The XPath-like location of the path.
fn location(path: &[(Box<str>, usize)]) -> String {
    path.iter().map(|(n, i)| if *i > 1 { format!("/{n}[{i}]") } else { format!("/{n}") }).collect()
}

/// A fault at byte `at`, with its line and column.
fn fault<R: BufRead>(rd: &NsReader<Lines<R>>, at: u64, kind: ErrorKind, msg: impl std::fmt::Display) -> Error {
    let (line, col) = rd.get_ref().position(at);
    Error::new(kind, usize::try_from(at).unwrap_or(usize::MAX), 0, format!("line {line}, column {col}: {msg}"))
}

/// Not well-formed XML (or I/O), at the reader's error position.
fn xml_error<R: BufRead>(rd: &NsReader<Lines<R>>, msg: &str) -> Error {
    let at = rd.error_position();
    fault(rd, at, ErrorKind::Syntax, format!("malformed XML: {msg}"))
}

/// Reads the element whose start tag is `start` (already read, at byte `at`) to its end, as a tree.
fn read_element<R: BufRead>(
    rd: &mut NsReader<Lines<R>>,
    start: &BytesStart<'_>,
    ns: Option<Box<str>>,
    at: u64,
    buf: &mut Vec<u8>,
    bindings: &mut Vec<(String, String)>,
) -> Result<Element, Error> {
    let root = element(rd, start, ns, at, bindings)?;
    let mut stack = vec![root];
    let mut count = 1usize;
    let mut inner = Vec::new();
    loop {
        inner.clear();
        let pos = rd.buffer_position();
        if pos.saturating_sub(at) > MAX_EVENT_XML_BYTES {
            return Err(fault(
                rd,
                at,
                ErrorKind::Length,
                format!("an event is larger than {MAX_EVENT_XML_BYTES} bytes"),
            ));
        }
        let (ns, ev) = match rd.read_resolved_event_into(&mut inner) {
            Ok((ns, ev)) => (namespace(&ns), ev),
            Err(e) => return Err(xml_error(rd, &e.to_string())),
        };
        match (ns, ev) {
            (ns, XmlEvent::Start(s)) => {
                count += 1;
                if count > MAX_EVENT_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err(fault(rd, pos, ErrorKind::Length, "an event holds too many or too deep elements"));
                }
                let e = element(rd, &s, ns, pos, bindings)?;
                stack.push(e);
            }
            (_, XmlEvent::End(_)) => {
                let done = stack.pop().unwrap_or_default();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(done);
                } else {
                    buf.clear();
                    return Ok(done);
                }
            }
            (_, XmlEvent::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            (_, XmlEvent::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            (_, XmlEvent::GeneralRef(r)) => {
                let c = entity(&r).ok_or_else(|| {
                    fault(rd, pos, ErrorKind::Syntax, format!("unknown entity &{};", r.xml10_content()))
                })?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            (_, XmlEvent::Eof) => {
                return Err(fault(rd, pos, ErrorKind::Syntax, "malformed XML: the input ends inside an event"));
            }
            (_, XmlEvent::DocType(_)) => {
                return Err(fault(rd, pos, ErrorKind::Syntax, "a DOCTYPE is not allowed in an EPCIS document"));
            }
            _ => {}
        }
    }
}

/// A predefined entity or a character reference (the only references the readers decode: no DTD is read).
pub(crate) fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match &*r.xml10_content() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// An element from its start tag: name and attributes (namespace declarations dropped).
fn element<R: BufRead>(
    rd: &NsReader<Lines<R>>,
    s: &BytesStart<'_>,
    ns: Option<Box<str>>,
    at: u64,
    bindings: &mut Vec<(String, String)>,
) -> Result<Element, Error> {
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| fault(rd, at, ErrorKind::Syntax, format!("malformed attribute: {e}")))?;
        let key = a.key;
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| fault(rd, at, ErrorKind::Syntax, format!("malformed attribute value: {e}")))?
            .into_owned();
        if let Some(binding) = key.as_namespace_binding() {
            if let PrefixDeclaration::Named(p) = binding {
                bindings.push((p.to_owned(), value));
            }
            continue;
        }
        let (res, local) = rd.resolver().resolve_attribute(key);
        attrs.push(Attr {
            ns: namespace(&res),
            prefix: key.prefix().map(|p| p.as_ref().into()),
            name: local.as_ref().into(),
            value,
            key: Box::default(),
        });
    }
    Ok(Element {
        ns,
        prefix: s.name().prefix().map(|p| p.as_ref().into()),
        name: s.local_name().as_ref().into(),
        attrs,
        key: Box::default(),
        children: Vec::new(),
        text: String::new(),
        offset: at,
    })
}
