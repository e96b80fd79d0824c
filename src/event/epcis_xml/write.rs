//! Writing events in the EPCIS XML binding, 2.0 or 1.2: the JSON binding's form of each event
//! ([`event_to_json`]) written back by the standard's correspondence (the inverse of `to_json`), members in the
//! XML Schema's order, CBV terms as their URNs, user extensions as elements of their declared namespaces.
//!
//! EPCIS 1.2 has no place for some 2.0 content: an `AssociationEvent`, `sensorElementList`,
//! `certificationInfo` and `persistentDisposition`. Writing such an event as 1.2 is an error naming the field
//! (never a silent drop). 1.2's wrappers are written as the 1.2 schema has them: a `TransformationEvent` inside
//! `extension` in the event list, `eventID` and `errorDeclaration` in `baseExtension`, and the 1.1 additions
//! (`quantityList`, `sourceList`, `destinationList`, `ilmd`) in the event's `extension`.

use std::fmt::Write as _;
use std::io::Write;

use crate::event::epcis_json::{ExportOptions, Json, event_to_json};
use crate::event::{Event, TzOffset};
use crate::{Error, ErrorKind};

/// Which XML binding to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlVersion {
    /// EPCIS 2.0 (`urn:epcglobal:epcis:xsd:2`).
    #[default]
    V2_0,
    /// EPCIS 1.2 (`urn:epcglobal:epcis:xsd:1`); 2.0-only content is refused.
    V1_2,
}

/// The XML Schema's member order of each event type (the standard fields after [`HEAD`]; extensions follow).
const OBJECT: &[&str] = &[
    "epcList",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "quantityList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
    "ilmd",
];
const AGGREGATION: &[&str] = &[
    "parentID",
    "childEPCs",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "childQuantityList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
];
const TRANSACTION: &[&str] = &[
    "bizTransactionList",
    "parentID",
    "epcList",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "quantityList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
];
const TRANSFORMATION: &[&str] = &[
    "inputEPCList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "transformationID",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
    "ilmd",
];
const ASSOCIATION: &[&str] = &[
    "parentID",
    "childEPCs",
    "childQuantityList",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
];
/// An extension event type has no schema here: every standard field.
const ANY_TYPE: &[&str] = &[
    "parentID",
    "epcList",
    "childEPCs",
    "inputEPCList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "transformationID",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "quantityList",
    "childQuantityList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
    "ilmd",
];

/// The member order of event type `kind`.
fn order(kind: &str) -> &'static [&'static str] {
    match kind {
        "ObjectEvent" => OBJECT,
        "AggregationEvent" => AGGREGATION,
        "TransactionEvent" => TRANSACTION,
        "TransformationEvent" => TRANSFORMATION,
        "AssociationEvent" => ASSOCIATION,
        _ => ANY_TYPE,
    }
}

/// The standard members every event type starts with.
const HEAD: [&str; 6] =
    ["eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration", "certificationInfo"];

/// Members 1.2 carries in `baseExtension` and in the event's `extension`.
const BASE_EXTENSION: [&str; 2] = ["eventID", "errorDeclaration"];
const V11_EXTENSION: [&str; 6] =
    ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList", "sourceList", "destinationList"];

/// Members 1.2 cannot carry.
const NOT_IN_1_2: [&str; 3] = ["certificationInfo", "sensorElementList", "persistentDisposition"];

/// CBV vocabularies written as URNs in XML, by member (JSON gives the bare term).
fn urn_base(member: &str) -> Option<&'static str> {
    match member {
        "bizStep" => Some("urn:epcglobal:cbv:bizstep:"),
        "disposition" | "set" | "unset" => Some("urn:epcglobal:cbv:disp:"),
        "bizTransactionType" => Some("urn:epcglobal:cbv:btt:"),
        "sourceDestType" => Some("urn:epcglobal:cbv:sdt:"),
        "reason" => Some("urn:epcglobal:cbv:er:"),
        _ => None,
    }
}

/// A bare CBV term as its URN (`shipping` → `urn:epcglobal:cbv:bizstep:shipping`); anything with a `:` as is.
fn vocab(member: &str, v: &str) -> String {
    match urn_base(member) {
        Some(base) if !v.contains(':') => format!("{base}{v}"),
        _ => v.to_owned(),
    }
}

/// Writes `events` as an EPCIS document in the XML binding `version`, identifiers as `opts` says (see
/// [`XmlWriter`] to stream).
///
/// # Errors
/// [`ErrorKind::Unsupported`] for content the 1.2 binding cannot carry (naming the field),
/// [`ErrorKind::Io`] for the output.
///
/// ```
/// use tracecode::event::epcis_json::{ExportOptions, import_all, Mode};
/// use tracecode::event::epcis_xml::{export_xml, XmlVersion};
/// let doc = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
///   "type": "EPCISDocument", "epcisBody": {"eventList": [
///     {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///      "eventTimeZoneOffset": "+00:00", "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"],
///      "bizStep": "shipping"}]}}"#;
/// let (events, _) = import_all(doc.as_bytes(), Mode::AllOrNothing)?;
/// let mut xml = Vec::new();
/// export_xml(&events, XmlVersion::V2_0, &ExportOptions::default(), &mut xml)?;
/// let text = String::from_utf8(xml).unwrap();
/// assert!(text.contains("<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"));
/// // And back: the same events.
/// let (again, _) = import_all(text.as_bytes(), Mode::AllOrNothing)?;
/// assert_eq!(again, events);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn export_xml<W: Write>(
    events: &[Event],
    version: XmlVersion,
    opts: &ExportOptions<'_>,
    out: W,
) -> Result<(), Error> {
    let mut w = XmlWriter::new(out, version, opts)?;
    for e in events {
        w.write_event(e)?;
    }
    w.finish().map(drop)
}

/// A streaming EPCIS XML document writer: the head, then one event at a time (memory bounded by one event),
/// then [`finish`](Self::finish). Each event element declares the prefixes of its extensions itself, so no
/// event needs to be seen before the head is written.
///
/// ```
/// use tracecode::event::epcis_json::{ExportOptions, import_all, Mode};
/// use tracecode::event::epcis_xml::{XmlVersion, XmlWriter};
/// let bare = r#"{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///                "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]}"#;
/// let (events, _) = import_all(bare.as_bytes(), Mode::AllOrNothing)?;
/// let opts = ExportOptions::default();
/// let mut w = XmlWriter::new(Vec::new(), XmlVersion::V1_2, &opts)?;
/// w.write_event(&events[0])?;
/// let xml = String::from_utf8(w.finish()?).unwrap();
/// assert!(xml.contains(r#"schemaVersion="1.2""#));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub struct XmlWriter<'o, W: Write> {
    out: W,
    version: XmlVersion,
    opts: &'o ExportOptions<'o>,
    index: usize,
    /// The root's end tag.
    tail: &'static str,
    /// An `EPCISQueryDocument` (the event list inside `QueryResults/resultsBody`).
    query: bool,
}

impl<W: Write> std::fmt::Debug for XmlWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlWriter").field("version", &self.version).field("events", &self.index).finish()
    }
}

impl<'o, W: Write> XmlWriter<'o, W> {
    /// Writes the document head.
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    pub fn new(out: W, version: XmlVersion, opts: &'o ExportOptions<'o>) -> Result<Self, Error> {
        Self::start(out, version, opts, None, &[])
    }

    /// As [`Self::new`], with `master_data` in the header (`EPCISHeader/EPCISMasterData/VocabularyList`, in 1.2
    /// inside the header's `extension`).
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for an attribute whose value is structured (an object or an array: XML
    /// would need element names for its members); [`ErrorKind::Io`].
    pub fn with_master_data(
        out: W,
        version: XmlVersion,
        opts: &'o ExportOptions<'o>,
        master_data: &[crate::masterdata::Vocabulary],
    ) -> Result<Self, Error> {
        Self::start(out, version, opts, None, master_data)
    }

    /// Writes the head of an `EPCISQueryDocument` answering the query `query_name` (the events go in
    /// `EPCISBody/QueryResults/resultsBody/EventList`); otherwise as [`Self::new`].
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    ///
    /// ```
    /// use tracecode::event::epcis_json::ExportOptions;
    /// use tracecode::event::epcis_xml::{XmlVersion, XmlWriter};
    /// let opts = ExportOptions::default();
    /// let w = XmlWriter::query_results(Vec::new(), XmlVersion::V1_2, &opts, "SimpleEventQuery")?;
    /// let text = String::from_utf8(w.finish()?).unwrap();
    /// assert!(text.contains("<queryName>SimpleEventQuery</queryName>"));
    /// assert!(text.contains("xmlns:epcisq=\"urn:epcglobal:epcis-query:xsd:1\""));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn query_results(
        out: W,
        version: XmlVersion,
        opts: &'o ExportOptions<'o>,
        query_name: &str,
    ) -> Result<Self, Error> {
        Self::start(out, version, opts, Some(query_name), &[])
    }

    fn start(
        mut out: W,
        version: XmlVersion,
        opts: &'o ExportOptions<'o>,
        query: Option<&str>,
        master_data: &[crate::masterdata::Vocabulary],
    ) -> Result<Self, Error> {
        let (ns, schema) = match version {
            XmlVersion::V2_0 => ("urn:epcglobal:epcis:xsd:2", "2.0"),
            XmlVersion::V1_2 => ("urn:epcglobal:epcis:xsd:1", "1.2"),
        };
        // The standard prefixes extension names and values use without declaring them in JSON (`cbvmda` in its
        // XML binding form, without the trailing colon, and `gs1`), and the XML Schema instance namespace.
        let qns = match version {
            XmlVersion::V2_0 => "urn:epcglobal:epcis-query:xsd:2",
            XmlVersion::V1_2 => "urn:epcglobal:epcis-query:xsd:1",
        };
        let (root, open, tail) = match query {
            None => ("epcis:EPCISDocument", String::new(), "</epcis:EPCISDocument>"),
            Some(name) => (
                "epcisq:EPCISQueryDocument",
                format!("<epcisq:QueryResults>\n<queryName>{}</queryName>\n<resultsBody>\n", escape(name)),
                "</epcisq:EPCISQueryDocument>",
            ),
        };
        let head = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns:epcis=\"{ns}\" xmlns:epcisq=\"{qns}\" \
             xmlns:cbvmda=\"urn:epcglobal:cbv:mda\" xmlns:gs1=\"https://gs1.org/voc/\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
             schemaVersion=\"{schema}\" creationDate=\"{}\">\n{}<EPCISBody>\n{open}<EventList>\n",
            creation(opts),
            master_data_xml(master_data, version)?
        );
        out.write_all(head.as_bytes()).map_err(io_error)?;
        Ok(Self { out, version, opts, index: 0, tail, query: query.is_some() })
    }

    /// Writes one event.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for content the 1.2 binding cannot carry; [`ErrorKind::Io`].
    pub fn write_event(&mut self, e: &Event) -> Result<(), Error> {
        let Json::Object(members) = event_to_json(e, self.opts) else { return Ok(()) };
        let mut prefixes = Vec::new();
        if let Some((_, ctx)) = members.iter().find(|(k, _)| &**k == "@context") {
            collect_prefixes(ctx, &mut prefixes);
        }
        let mut text = String::new();
        write_event(&mut text, &members, &prefixes, self.version)?;
        self.index += 1;
        self.out.write_all(text.as_bytes()).map_err(io_error)
    }

    /// Closes the document and returns the output.
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    pub fn finish(mut self) -> Result<W, Error> {
        let close = if self.query { "</resultsBody>\n</epcisq:QueryResults>\n" } else { "" };
        let text = format!("</EventList>\n{close}</EPCISBody>\n{}\n", self.tail);
        self.out.write_all(text.as_bytes()).map_err(io_error)?;
        self.out.flush().map_err(io_error)?;
        Ok(self.out)
    }
}

/// The header holding `master_data` (nothing when there is none).
fn master_data_xml(master_data: &[crate::masterdata::Vocabulary], version: XmlVersion) -> Result<String, Error> {
    use crate::event::ExtValue;
    use std::fmt::Write as _;
    if master_data.is_empty() {
        return Ok(String::new());
    }
    let (open, close) = match version {
        XmlVersion::V1_2 => {
            ("<EPCISHeader>\n<extension>\n<EPCISMasterData>\n", "</EPCISMasterData>\n</extension>\n</EPCISHeader>\n")
        }
        XmlVersion::V2_0 => ("<EPCISHeader>\n<EPCISMasterData>\n", "</EPCISMasterData>\n</EPCISHeader>\n"),
    };
    let mut x = String::from(open);
    x.push_str("<VocabularyList>\n");
    for v in master_data {
        let _ = writeln!(x, "<Vocabulary type=\"{}\">\n<VocabularyElementList>", escape(&v.kind));
        for e in &v.elements {
            let _ = write!(x, "<VocabularyElement id=\"{}\">", escape(&e.id));
            for a in &e.attributes {
                let text = match &a.value {
                    ExtValue::Null => String::new(),
                    ExtValue::String(s) => s.to_string(),
                    ExtValue::Number(d) => d.as_str().to_owned(),
                    ExtValue::Bool(b) => b.to_string(),
                    ExtValue::Array(_) | ExtValue::Object(_) => {
                        return Err(Error::msg(
                            ErrorKind::Unsupported,
                            format!(
                                "attribute {} of {} has a structured value, which XML master data cannot carry here",
                                a.id, e.id
                            ),
                        ));
                    }
                };
                let _ = write!(x, "<attribute id=\"{}\">{}</attribute>", escape(&a.id), escape(&text));
            }
            if !e.children.is_empty() {
                x.push_str("<children>");
                for c in &e.children {
                    let _ = write!(x, "<id>{}</id>", escape(c));
                }
                x.push_str("</children>");
            }
            x.push_str("</VocabularyElement>\n");
        }
        x.push_str("</VocabularyElementList>\n</Vocabulary>\n");
    }
    x.push_str("</VocabularyList>\n");
    x.push_str(close);
    Ok(x)
}

fn io_error(e: std::io::Error) -> Error {
    Error::msg(ErrorKind::Io, format!("cannot write the XML document: {e}")).with_source(e)
}

/// The document's creation date: the options' or the Unix epoch's start (a fixed default keeps output
/// reproducible).
fn creation(opts: &ExportOptions<'_>) -> String {
    opts.creation().map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |t| t.to_rfc3339_auto(TzOffset(0)))
}

/// Prefix declarations of an event's `@context` (objects of prefix → IRI).
fn collect_prefixes(ctx: &Json, out: &mut Vec<(String, String)>) {
    let items: Vec<&Json> = match ctx {
        Json::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for item in items {
        if let Json::Object(m) = item {
            for (p, v) in m {
                if let Json::String(iri) = v
                    && !matches!(&**p, "cbvmda" | "gs1" | "epcis")
                    && !out.iter().any(|(q, _)| q == &**p)
                {
                    out.push((p.to_string(), iri.to_string()));
                }
            }
        }
    }
}

/// One event element.
fn write_event(
    out: &mut String,
    members: &[(Box<str>, Json)],
    prefixes: &[(String, String)],
    version: XmlVersion,
) -> Result<(), Error> {
    let kind = match members.iter().find(|(k, _)| &**k == "type") {
        Some((_, Json::String(t))) => &**t,
        _ => "ObjectEvent",
    };
    // Every name must be one XML can write: member names as element or attribute names, prefixes as namespace
    // prefixes, an extension event type as an element of its namespace.
    xml_names(&Json::Object(members.to_vec()), prefixes)?;
    let standard_kind = super::to_json::EVENT_TYPES.contains(&kind);
    if !standard_kind && version == XmlVersion::V1_2 {
        return Err(unrepresentable("type", "an extension event type"));
    }
    let declared = Declared(prefixes);
    let (kind_tag, kind_decl) =
        if standard_kind { (kind.to_owned(), String::new()) } else { element_name(kind, &declared) };
    let get = |name: &str| members.iter().find(|(k, _)| &**k == name).map(|(_, v)| v);
    let v12 = version == XmlVersion::V1_2;
    if v12 {
        if kind == "AssociationEvent" {
            return Err(unrepresentable("type", "an AssociationEvent"));
        }
        if let Some(f) = NOT_IN_1_2.iter().find(|f| get(f).is_some()) {
            return Err(unrepresentable(f, f));
        }
    }
    let wrap = v12 && kind == "TransformationEvent";
    if wrap {
        out.push_str("<extension>");
    }
    let _ = write!(out, "<{kind_tag}{kind_decl}");
    for (p, iri) in prefixes {
        let _ = write!(out, " xmlns:{p}=\"{}\"", escape(iri));
    }
    out.push('>');
    let standard: Vec<&str> = HEAD.iter().chain(order(kind)).copied().collect();
    let mut ext = String::new();
    for name in &standard {
        if v12 && BASE_EXTENSION.contains(name) {
            continue;
        }
        if let Some(v) = get(name) {
            let in_extension =
                v12 && kind != "TransformationEvent" && (V11_EXTENSION.contains(name) || *name == "ilmd");
            member(if in_extension { &mut ext } else { &mut *out }, name, v, &declared);
        }
        // 1.2 carries the event id and the error declaration in `baseExtension`, after the time zone.
        if v12 && *name == "eventTimeZoneOffset" {
            let mut base = String::new();
            for b in BASE_EXTENSION {
                if let Some(v) = get(b) {
                    member(&mut base, b, v, &declared);
                }
            }
            if !base.is_empty() {
                let _ = write!(out, "<baseExtension>{base}</baseExtension>");
            }
        }
    }
    if !ext.is_empty() {
        let _ = write!(out, "<extension>{ext}</extension>");
    }
    // User extensions: every other member but `type` and `@context`.
    for (k, v) in members {
        if &**k == "type" || &**k == "@context" || standard.contains(&&**k) {
            continue;
        }
        extension(out, k, v, &declared);
    }
    let _ = write!(out, "</{kind_tag}>");
    if wrap {
        out.push_str("</extension>");
    }
    out.push('\n');
    Ok(())
}

fn unrepresentable(field: &str, what: &str) -> Error {
    Error::msg(ErrorKind::Unsupported, format!("{what} cannot be written in EPCIS 1.2 XML (field {field})"))
}

/// A standard member.
fn member(out: &mut String, name: &str, v: &Json, ns: &Declared<'_>) {
    match (name, v) {
        ("epcList" | "childEPCs" | "inputEPCList" | "outputEPCList", Json::Array(items)) => {
            let _ = write!(out, "<{name}>");
            for i in items {
                let _ = write!(out, "<epc>{}</epc>", text(i));
            }
            let _ = write!(out, "</{name}>");
        }
        ("quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList", Json::Array(items)) => {
            let _ = write!(out, "<{name}>");
            for i in items {
                out.push_str("<quantityElement>");
                for f in ["epcClass", "quantity", "uom"] {
                    if let Some(v) = field(i, f) {
                        let _ = write!(out, "<{f}>{}</{f}>", text(v));
                    }
                }
                out.push_str("</quantityElement>");
            }
            let _ = write!(out, "</{name}>");
        }
        ("readPoint" | "bizLocation", Json::Object(m)) => {
            let _ = write!(out, "<{name}>");
            for (k, v) in m {
                if &**k == "id" {
                    let _ = write!(out, "<id>{}</id>", text(v));
                } else {
                    extension(out, k, v, ns);
                }
            }
            let _ = write!(out, "</{name}>");
        }
        ("bizTransactionList", Json::Array(items)) => {
            typed_list(out, name, "bizTransaction", "bizTransactionType", items);
        }
        ("sourceList", Json::Array(items)) => typed_list(out, name, "source", "sourceDestType", items),
        ("destinationList", Json::Array(items)) => typed_list(out, name, "destination", "sourceDestType", items),
        ("persistentDisposition", Json::Object(m)) => {
            out.push_str("<persistentDisposition>");
            for (k, v) in m {
                for item in as_list(v) {
                    let _ = write!(out, "<{k}>{}</{k}>", escape(&vocab(k, &text_raw(item))));
                }
            }
            out.push_str("</persistentDisposition>");
        }
        ("sensorElementList", Json::Array(items)) => {
            out.push_str("<sensorElementList>");
            for s in items {
                sensor_element(out, s, ns);
            }
            out.push_str("</sensorElementList>");
        }
        ("errorDeclaration", Json::Object(m)) => {
            out.push_str("<errorDeclaration>");
            for (k, v) in m {
                match &**k {
                    "declarationTime" => {
                        let _ = write!(out, "<declarationTime>{}</declarationTime>", text(v));
                    }
                    "reason" => {
                        let _ = write!(out, "<reason>{}</reason>", escape(&vocab("reason", &text_raw(v))));
                    }
                    "correctiveEventIDs" => {
                        out.push_str("<correctiveEventIDs>");
                        for id in as_list(v) {
                            let _ = write!(out, "<correctiveEventID>{}</correctiveEventID>", text(id));
                        }
                        out.push_str("</correctiveEventIDs>");
                    }
                    _ => extension(out, k, v, ns),
                }
            }
            out.push_str("</errorDeclaration>");
        }
        ("ilmd", Json::Object(m)) => {
            out.push_str("<ilmd>");
            for (k, v) in m {
                extension(out, k, v, ns);
            }
            out.push_str("</ilmd>");
        }
        ("certificationInfo", v) => {
            for c in as_list(v) {
                let _ = write!(out, "<certificationInfo>{}</certificationInfo>", text(c));
            }
        }
        (_, v) => {
            let _ = write!(out, "<{name}>{}</{name}>", escape(&vocab(name, &text_raw(v))));
        }
    }
}

/// `bizTransactionList` and the source and destination lists: a `type` attribute and the text.
fn typed_list(out: &mut String, list: &str, item: &str, vocab_of: &str, items: &[Json]) {
    let _ = write!(out, "<{list}>");
    for i in items {
        let _ = write!(out, "<{item}");
        if let Some(t) = field(i, "type") {
            let _ = write!(out, " type=\"{}\"", escape(&vocab(vocab_of, &text_raw(t))));
        }
        let _ = write!(out, ">{}</{item}>", field(i, item).map(text).unwrap_or_default());
    }
    let _ = write!(out, "</{list}>");
}

/// A `sensorElement`: `sensorMetadata` and each `sensorReport` as attributes, extensions as elements.
fn sensor_element(out: &mut String, s: &Json, ns: &Declared<'_>) {
    out.push_str("<sensorElement>");
    let Json::Object(m) = s else { return };
    for (k, v) in m {
        match (&**k, v) {
            ("sensorMetadata", Json::Object(a)) => attributes_element(out, "sensorMetadata", a, ns),
            ("sensorReport", Json::Array(reports)) => {
                for r in reports {
                    if let Json::Object(a) = r {
                        attributes_element(out, "sensorReport", a, ns);
                    }
                }
            }
            _ => extension(out, k, v, ns),
        }
    }
    out.push_str("</sensorElement>");
}

/// A sensor element: its standard scalar members as attributes, everything else as child elements.
fn attributes_element(out: &mut String, name: &str, members: &[(Box<str>, Json)], ns: &Declared<'_>) {
    // The standard fields are attributes; extensions are child elements (where their type and namespace can be
    // written).
    let attribute = |(k, v): &&(Box<str>, Json)| !k.contains(':') && !matches!(v, Json::Object(_) | Json::Array(_));
    let _ = write!(out, "<{name}");
    for (k, v) in members.iter().filter(attribute) {
        let _ = write!(out, " {k}=\"{}\"", escape(&text_raw(v)));
    }
    let nested: Vec<&(Box<str>, Json)> = members.iter().filter(|m| !attribute(m)).collect();
    if nested.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for (k, v) in nested {
        extension(out, k, v, ns);
    }
    let _ = write!(out, "</{name}>");
}

/// A user extension member (a CURIE, or an absolute IRI the context had no prefix for) as an element: text, an
/// object of child elements, or one element per array item.
fn extension(out: &mut String, name: &str, v: &Json, ns: &Declared<'_>) {
    if let Json::Array(items) = v {
        for i in items {
            extension(out, name, i, ns);
        }
        return;
    }
    let (tag, decl) = element_name(name, ns);
    // JSON numbers and booleans keep their type through the XML Schema's `xsi:type`.
    let ty = match v {
        Json::Number(n) if n.contains(['e', 'E']) => " xsi:type=\"xsd:double\"",
        Json::Number(_) => " xsi:type=\"xsd:decimal\"",
        Json::Bool(_) => " xsi:type=\"xsd:boolean\"",
        Json::Null => " xsi:nil=\"true\"",
        _ => "",
    };
    let _ = write!(out, "<{tag}{decl}{ty}>");
    match v {
        Json::Object(m) => {
            for (k, v) in m {
                extension(out, k, v, ns);
            }
        }
        other => out.push_str(&escape(&text_raw(other))),
    }
    let _ = write!(out, "</{tag}>");
}

/// The element name of an extension member and any namespace declaration it needs: a CURIE as written (its
/// prefix is declared on the root); an absolute IRI split after its last `/`, `#` or `:` into a namespace
/// declared on the element itself and a local name.
fn element_name(name: &str, ns: &Declared<'_>) -> (String, String) {
    if !ns.is_absolute(name) {
        return (name.to_owned(), String::new());
    }
    let cut = name.rfind(['/', '#', ':']).map_or(0, |i| i + 1);
    let (ns, local) = name.split_at(cut);
    (format!("ext:{local}"), format!(" xmlns:ext=\"{}\"", escape(ns)))
}

/// Checks that every member name of `v` (recursively) can be written as an XML element or attribute name, and
/// every prefix as a namespace prefix: a name or `prefix:name` of XML names, or an absolute IRI whose last
/// segment is one.
fn xml_names(v: &Json, prefixes: &[(String, String)]) -> Result<(), Error> {
    let bad = |what: &str, n: &str| {
        Error::msg(ErrorKind::Unsupported, format!("{what} {n:?} cannot be written as an XML name"))
    };
    for (p, iri) in prefixes {
        if !prefix_ok(p) {
            return Err(bad("the prefix", p));
        }
        if !namespace_ok(iri) {
            return Err(bad("the namespace", iri));
        }
    }
    match v {
        Json::Object(m) => {
            for (k, v) in m {
                if &**k != "@context" {
                    if !qname_or_iri(k) {
                        return Err(bad("the member name", k));
                    }
                    xml_names(v, &[])?;
                }
            }
            Ok(())
        }
        Json::Array(items) => items.iter().try_for_each(|i| xml_names(i, &[])),
        _ => Ok(()),
    }
}

/// A name XML can write for a member: an XML name, `prefix:name` of XML names, or an absolute IRI whose part
/// after the last `/`, `#` or `:` is an XML name (see [`element_name`]).
fn qname_or_iri(k: &str) -> bool {
    if k.contains("://") || k.starts_with("urn:") {
        let cut = k.rfind(['/', '#', ':']).map_or(0, |i| i + 1);
        return k.get(cut..).is_some_and(ncname) && k.get(..cut).is_some_and(namespace_ok);
    }
    match k.split_once(':') {
        Some((p, l)) => prefix_ok(p) && ncname(l),
        None => ncname(k),
    }
}

/// A namespace IRI written as is in an `xmlns` declaration (XML parsers resolve namespaces from the raw value,
/// so it must need no escaping): no markup characters, quotes or whitespace.
fn namespace_ok(iri: &str) -> bool {
    !iri.is_empty() && !iri.chars().any(|c| matches!(c, '&' | '<' | '>' | '"' | '\'') || c.is_whitespace())
}

/// An XML name without a colon (`NCName`): a letter or `_`, then letters, digits, `-`, `_` and `.`.
fn ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A prefix XML lets a document declare (`xml` and `xmlns` are bound by XML itself).
fn prefix_ok(p: &str) -> bool {
    ncname(p) && !p.eq_ignore_ascii_case("xml") && !p.eq_ignore_ascii_case("xmlns")
}

/// The prefixes an event's XML declares (its context's and the standard ones the document head declares): a
/// member name `p:l` whose `p` is not one of them is an absolute IRI (JSON-LD reads it so), written with its
/// own namespace declaration.
struct Declared<'a>(&'a [(String, String)]);

impl Declared<'_> {
    /// Whether member name `k` is an absolute IRI rather than a CURIE of a declared prefix.
    fn is_absolute(&self, k: &str) -> bool {
        if k.contains("://") || k.starts_with("urn:") {
            return true;
        }
        match k.split_once(':') {
            Some((p, _)) => !matches!(p, "cbvmda" | "gs1") && !self.0.iter().any(|(q, _)| q == p),
            None => false,
        }
    }
}

/// A member of an object.
fn field<'a>(v: &'a Json, name: &str) -> Option<&'a Json> {
    match v {
        Json::Object(m) => m.iter().find(|(k, _)| &**k == name).map(|(_, v)| v),
        _ => None,
    }
}

/// A value or the items of an array value.
fn as_list(v: &Json) -> Vec<&Json> {
    match v {
        Json::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

/// A scalar's text, escaped for element content.
fn text(v: &Json) -> String {
    escape(&text_raw(v))
}

/// A scalar's text.
fn text_raw(v: &Json) -> String {
    match v {
        Json::String(s) | Json::Number(s) => s.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// XML escaping for text and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
