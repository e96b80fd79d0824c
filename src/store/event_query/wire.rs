//! The two wire forms of a SimpleEventQuery: the EPCIS 2.0 REST binding's JSON query (`query-schema.json`)
//! and the 1.2/2.0 XML `Poll` (in an `EPCISQueryDocument`'s body, or alone). Both reduce to [`Param`]s.

use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;
use serde_json::Value;

use super::params::Param;
use super::{EventQuery, ValueKind};
use crate::event::Namespace;
use crate::{Error, ErrorKind};

/// Largest query document read (bytes): a query is parameters, not data.
pub const MAX_QUERY_BYTES: usize = 4 << 20;

/// The text of a JSON scalar as a parameter value.
fn scalar(name: &str, v: &Value) -> Result<Option<String>, Error> {
    Ok(match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => {
            return Err(Error::msg(ErrorKind::QueryParameter, format!("{name}: a value is a string or a number")));
        }
    })
}

/// The prefixes a JSON `@context` declares (its objects' string members).
fn context_prefixes(v: &Value, out: &mut Vec<Namespace>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| context_prefixes(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                if let Value::String(iri) = v {
                    out.push(Namespace { prefix: k.as_str().into(), iri: iri.as_str().into() });
                }
            }
        }
        _ => {}
    }
}

fn too_big(len: usize) -> Error {
    Error::new(ErrorKind::Length, MAX_QUERY_BYTES, len - MAX_QUERY_BYTES, "the query document is too large")
}

impl EventQuery {
    /// Reads the EPCIS 2.0 JSON form of a query: the parameters as members of an object (the REST binding's
    /// query schema), or such an object under `query` (a named-query definition, `{"name": …, "query": {…}}`).
    /// A `@context` declares the prefixes of extension-field names.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] with the byte position for JSON that does not parse or is not an object;
    /// [`ErrorKind::QueryParameter`] as [`Self::from_params`].
    ///
    /// ```
    /// use tracecode::store::EventQuery;
    /// let q = EventQuery::from_json(br#"{
    ///     "@context": [{"ex": "https://ns.example.com/epcis/"}],
    ///     "eventType": ["ObjectEvent"], "GE_eventTime": "2026-01-01T00:00:00Z",
    ///     "GE_ex:temperature": 4, "orderBy": "eventTime", "eventCountLimit": 10
    /// }"#)?;
    /// assert_eq!((q.conds.len(), q.event_count_limit), (3, Some(10)));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_QUERY_BYTES {
            return Err(too_big(bytes.len()));
        }
        let v: Value = serde_json::from_slice(bytes).map_err(|e| {
            let at = line_col_offset(bytes, e.line(), e.column());
            Error::new(ErrorKind::Syntax, at, 0, format!("line {}, column {}: not JSON: {e}", e.line(), e.column()))
        })?;
        let obj = match &v {
            Value::Object(m) => match m.get("query") {
                Some(Value::Object(q)) => q,
                _ => m,
            },
            _ => return Err(Error::new(ErrorKind::Syntax, 0, bytes.len(), "a JSON query is an object")),
        };
        let mut ctx = Vec::new();
        let mut params = Vec::with_capacity(obj.len());
        for (name, value) in obj {
            if name == "@context" {
                context_prefixes(value, &mut ctx);
                continue;
            }
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                v => vec![v],
            };
            let kind = if items.iter().all(|i| i.is_string()) {
                ValueKind::Text
            } else if items.iter().all(|i| i.is_number()) {
                ValueKind::Number
            } else {
                ValueKind::Untyped
            };
            let values =
                items.into_iter().map(|i| scalar(name, i)).filter_map(Result::transpose).collect::<Result<_, _>>()?;
            params.push(Param { name: name.clone(), values, kind });
        }
        Self::from_params(&params, &ctx)
    }

    /// Reads the XML form of a query: a `Poll` of `SimpleEventQuery` with its `params` (each a `name` and a
    /// `value` holding text or a list of `string` elements), in an `EPCISQueryDocument` or alone. Namespaces
    /// are not checked (1.2 and 2.0 documents differ only in them); element names are.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] with line and column for XML that is not well formed or not a `Poll` (a DOCTYPE is
    /// refused: no entity is ever expanded); [`ErrorKind::NoSuchName`] for a query name other than
    /// `SimpleEventQuery`; [`ErrorKind::QueryParameter`] as [`Self::from_params`].
    ///
    /// ```
    /// use tracecode::store::EventQuery;
    /// let q = EventQuery::from_poll_xml(br#"<epcisq:Poll xmlns:epcisq="urn:epcglobal:epcis-query:xsd:1">
    ///   <queryName>SimpleEventQuery</queryName>
    ///   <params>
    ///     <param><name>EQ_bizStep</name><value><string>urn:epcglobal:cbv:bizstep:shipping</string></value></param>
    ///     <param><name>GE_eventTime</name><value>2026-01-01T00:00:00Z</value></param>
    ///   </params>
    /// </epcisq:Poll>"#)?;
    /// assert_eq!(q.conds.len(), 2);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    #[allow(clippy::too_many_lines, reason = "one pull loop over the document, read top to bottom")]
    pub fn from_poll_xml(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_QUERY_BYTES {
            return Err(too_big(bytes.len()));
        }
        let mut rd = Reader::from_reader(bytes);
        let fault = |at: u64, msg: &str| {
            let at = usize::try_from(at).unwrap_or(usize::MAX);
            let (line, col) = line_col(bytes, at);
            Error::new(ErrorKind::Syntax, at.min(bytes.len()), 0, format!("line {line}, column {col}: {msg}"))
        };
        let mut path: Vec<String> = Vec::new();
        let mut query_name: Option<String> = None;
        let mut saw_poll = false;
        let mut params: Vec<Param> = Vec::new();
        let mut text = String::new();
        loop {
            let at = rd.buffer_position();
            let ev = rd.read_event().map_err(|e| fault(rd.error_position(), &format!("malformed XML: {e}")))?;
            match ev {
                XmlEvent::Start(s) => {
                    let name = s.local_name().as_ref().to_owned();
                    if path.len() > 16 {
                        return Err(fault(at, "elements nest too deeply for a query"));
                    }
                    if name == "Poll" {
                        saw_poll = true;
                    }
                    if name == "param" && path.last().is_some_and(|p| p == "params") {
                        params.push(Param { name: String::new(), values: Vec::new(), kind: ValueKind::Untyped });
                    }
                    path.push(name);
                    text.clear();
                }
                XmlEvent::Empty(s) => {
                    // `<value/>`: an empty value (an EXISTS_ parameter's void).
                    let _ = s;
                }
                XmlEvent::Text(t) => {
                    text.push_str(&t.xml10_content());
                }
                XmlEvent::CData(t) => text.push_str(&t.xml10_content()),
                XmlEvent::GeneralRef(r) => {
                    text.push(crate::event::epcis_xml::entity(&r).ok_or_else(|| fault(at, "unknown entity"))?);
                }
                XmlEvent::End(_) => {
                    let name = path.pop().unwrap_or_default();
                    let parent = path.last().map(String::as_str);
                    match (name.as_str(), parent) {
                        ("queryName", Some("Poll")) => query_name = Some(text.trim().to_owned()),
                        ("name", Some("param")) => {
                            if let Some(p) = params.last_mut() {
                                text.trim().clone_into(&mut p.name);
                            }
                        }
                        ("value", Some("param")) => {
                            let t = text.trim();
                            if let Some(p) = params.last_mut()
                                && p.values.is_empty()
                                && !t.is_empty()
                            {
                                p.values.push(t.to_owned());
                            }
                        }
                        (_, Some("value")) => {
                            if let Some(p) = params.last_mut() {
                                p.values.push(text.trim().to_owned());
                            }
                        }
                        _ => {}
                    }
                    text.clear();
                }
                XmlEvent::DocType(_) => return Err(fault(at, "a DOCTYPE is not allowed in a query")),
                XmlEvent::Eof => break,
                _ => {}
            }
        }
        if !path.is_empty() {
            return Err(fault(u64::try_from(bytes.len()).unwrap_or(u64::MAX), "malformed XML: unclosed elements"));
        }
        if !saw_poll {
            return Err(Error::new(ErrorKind::Syntax, 0, 0, "the document holds no Poll element"));
        }
        match query_name.as_deref() {
            Some("SimpleEventQuery") => {}
            Some(other) => {
                return Err(Error::msg(
                    ErrorKind::NoSuchName,
                    format!("no query named {other:?} (SimpleEventQuery is)"),
                ));
            }
            None => return Err(Error::msg(ErrorKind::QueryParameter, "the Poll names no query (queryName)")),
        }
        if let Some(p) = params.iter().find(|p| p.name.is_empty()) {
            return Err(Error::msg(ErrorKind::QueryParameter, format!("a param has no name (values {:?})", p.values)));
        }
        Self::from_params(&params, &[])
    }
}

/// 1-based line and column of byte `at`.
fn line_col(bytes: &[u8], at: usize) -> (usize, usize) {
    let head = bytes.get(..at.min(bytes.len())).unwrap_or_default();
    let line = head.split(|&b| b == b'\n').count();
    let col = head.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

/// Byte offset of a 1-based line and column.
fn line_col_offset(bytes: &[u8], line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes.get(start..).and_then(|b| b.iter().position(|&c| c == b'\n')) {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + col.saturating_sub(1)).min(bytes.len())
}
