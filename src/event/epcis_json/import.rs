//! Streaming import: walks a document (or a bare event, or an array of events) with the bounded [`Reader`],
//! converting and handing on one event at a time.

use std::borrow::Cow;
use std::io::{self, Read};

use super::context::Context;
use super::error::{BadEvent, EventError, ImportError, Report, Warning, push_pointer_key, show};
use super::from_json::{ReadOptions, describe, duplicate_error, event_from_node};
use super::reader::{Duplicate, Fault, Json, Names, Reader};
use super::spool::Spool;
use super::{MAX_EVENT_BYTES, MAX_EVENT_VALUES, MAX_REPORTED};
use crate::event::{Event, Namespace};
use crate::{Error, ErrorKind};

/// What to do with bad events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The import fails ([`ImportError`] listing every bad event) if any event is bad. Events are still handed to
    /// the callback as they stream: stage them, and commit only when the import returns `Ok`.
    #[default]
    AllOrNothing,
    /// Valid events are handed on; bad ones are reported (callback and [`ImportSummary::rejected`]).
    AcceptValid,
}

/// The shape of the imported input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocumentKind {
    /// `EPCISDocument`.
    #[default]
    Document,
    /// `EPCISQueryDocument` (events in `queryResults.resultsBody.eventList`).
    QueryDocument,
    /// One bare event object.
    Event,
    /// A JSON array of events.
    EventArray,
    /// `EPCISMasterDataDocument` (vocabularies in `epcisBody.vocabularyList`, no events).
    MasterDataDocument,
}

/// The outcome of an import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// What the input was.
    pub document: DocumentKind,
    /// Events seen.
    pub events: usize,
    /// Events that were valid.
    pub accepted: usize,
    /// Bad events, at most [`MAX_REPORTED`] (in document order).
    pub rejected: Vec<BadEvent>,
    /// How many events were bad in all.
    pub rejected_total: usize,
    /// Prefixes the document's `@context` declared.
    pub namespaces: Vec<Namespace>,
    /// What a [lenient](Importer::lenient) import tolerated in the valid events, at most [`MAX_REPORTED`] (in
    /// document order; pointers from the document root). Empty when strict.
    pub warnings: Vec<Warning>,
    /// How many warnings there were in all.
    pub warnings_total: usize,
    /// The master data of the document's `epcisHeader` (`epcisMasterData.vocabularyList`).
    pub master_data: Vec<crate::masterdata::Vocabulary>,
}

impl ImportSummary {
    /// Counts event `index` (its pointer already from the document root): accepted, or rejected and, while
    /// there is room, reported.
    fn count<T>(&mut self, index: usize, result: &Result<T, EventError>) {
        self.events += 1;
        match result {
            Ok(_) => self.accepted += 1,
            Err(e) => {
                self.rejected_total += 1;
                if self.rejected.len() < MAX_REPORTED {
                    self.rejected.push(BadEvent {
                        index,
                        pointer: e.pointer().to_owned(),
                        kind: e.kind(),
                        message: e.message().to_owned(),
                        offset: e.offset(),
                    });
                }
            }
        }
    }
}

type Callback<'f> = dyn FnMut(usize, Result<Event, EventError>) -> Result<(), Error> + 'f;

/// What the armed byte window bounds, to name it when it is exceeded.
#[derive(Clone, Copy)]
enum Window {
    /// The top-level members outside `epcisBody` (together).
    Top,
    /// One member name inside `epcisBody`.
    Name,
    /// The event of this index.
    Event(usize),
}

struct State<'f> {
    max: u64,
    /// Bytes of a body held back for the context kept in memory (then a temporary file).
    spool_memory: usize,
    opts: ReadOptions,
    window: Window,
    ctx: Option<Result<Context, EventError>>,
    on_event: &'f mut Callback<'f>,
    next_index: usize,
    summary: ImportSummary,
}

/// Why an import stopped early.
enum Stop {
    /// The reader's fault (malformed JSON, a bound, I/O).
    Read(Fault),
    /// A document-level fault or the callback's error.
    Fatal(ImportError),
}

impl From<Fault> for Stop {
    fn from(f: Fault) -> Self {
        Self::Read(f)
    }
}

impl State<'_> {
    fn context(&self) -> Cow<'_, Context> {
        match &self.ctx {
            Some(Ok(c)) => Cow::Borrowed(c),
            _ => Cow::Owned(Context::new()),
        }
    }

    /// Converts (when read whole) and hands on one event.
    fn deliver(&mut self, base: &str, local: usize, read: Result<&Json, EventError>) -> Result<(), Stop> {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        let read = read.and_then(|v| event_from_node(v, &self.context(), self.opts));
        // From here on pointers lead from the document root.
        let lone_event = base.is_empty() && self.summary.document == DocumentKind::Event;
        let from_root = |pointer: &mut String| {
            if !lone_event {
                *pointer = format!("{base}/{local}{pointer}");
            }
        };
        let mut result = read.map(|(event, warnings)| {
            self.summary.warnings_total += warnings.len();
            let room = MAX_REPORTED.saturating_sub(self.summary.warnings.len());
            for mut w in warnings.into_iter().take(room) {
                from_root(&mut w.pointer);
                w.index = index;
                self.summary.warnings.push(w);
            }
            event
        });
        if let Err(e) = &mut result {
            from_root(&mut e.pointer);
        }
        self.summary.count(index, &result);
        (self.on_event)(index, result).map_err(|e| Stop::Fatal(ImportError::fatal(e, "")))
    }

    /// The import error for a fault of the reader.
    fn read_error(&self, f: Fault) -> ImportError {
        if let Some(cause) = f.cause {
            // The source failed, not the document: no position, the source's error as the cause.
            return ImportError::fatal(Error::msg(f.kind, f.message).with_source(cause), f.pointer);
        }
        if !f.window {
            return ImportError::fatal_at(f.kind, f.offset, f.pointer, f.message);
        }
        let (max, at) = (self.max, f.offset);
        let message = match self.window {
            Window::Top => format!("the top-level object is larger than {max} bytes outside epcisBody (at byte {at})"),
            Window::Name => format!("a member name is larger than {max} bytes (at byte {at})"),
            Window::Event(i) => format!("event {i} is larger than {max} bytes (at byte {at})"),
        };
        ImportError::fatal_at(ErrorKind::Length, at, f.pointer, message)
    }
}

/// A fatal document fault at the reader's position.
fn fatal<R: Read>(rd: &Reader<R>, kind: ErrorKind, pointer: &str, message: impl Into<Cow<'static, str>>) -> Stop {
    Stop::Fatal(ImportError::fatal_at(kind, rd.offset(), pointer, message))
}

/// A duplicate member of the document (not of an event): fatal, at the second occurrence.
fn duplicate_member<R: Read>(rd: &Reader<R>, key: &str) -> Stop {
    let mut pointer = rd.pointer();
    push_pointer_key(&mut pointer, key);
    duplicate_fatal(Duplicate { pointer, offset: rd.name_at(), name: show(key) })
}

/// The whole input: an `EPCISDocument`, an `EPCISQueryDocument`, a bare event or an array of events.
fn read_document<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>) -> Result<(), Stop> {
    match rd.ws()? {
        Some(b'{') => read_top(rd, st)?,
        Some(b'[') => {
            st.summary.document = DocumentKind::EventArray;
            read_events(rd, st, "")?;
        }
        None => return Err(fatal(rd, ErrorKind::Syntax, "", "malformed JSON: the input is empty")),
        Some(_) => {
            // Read the value under the token bounds (a huge string fails at its bound), then refuse it.
            let v = describe_top(rd)?;
            let msg = format!("expected an EPCIS document, an event or an array of events, found {v}");
            return Err(fatal(rd, ErrorKind::Syntax, "", msg));
        }
    }
    rd.end()?;
    Ok(())
}

/// Reads a top-level scalar and names it.
fn describe_top<R: Read>(rd: &mut Reader<R>) -> Result<String, Fault> {
    rd.begin_tree(1);
    let v = rd.value()?;
    Ok(describe(&v))
}

/// What the top-level object held so far.
struct Top {
    /// Members other than `epcisBody` and `epcisHeader`, in order (names unique).
    buffered: Vec<(Box<str>, Json)>,
    names: Names,
    hasher: std::hash::RandomState,
    /// Bytes of the top-level object read outside `epcisBody` and `epcisHeader`.
    used: u64,
    /// Values the buffered members may still hold.
    values: usize,
    body: bool,
    header: bool,
    /// The first duplicate member name (at the top or nested in a buffered member), pointer from the root.
    dup: Option<Duplicate>,
}

/// A fatal duplicate member of the document.
fn duplicate_fatal(d: Duplicate) -> Stop {
    let message = format!("member {} appears twice (the second at byte {})", d.name, d.offset);
    Stop::Fatal(ImportError::fatal_at(ErrorKind::Duplicate, d.offset, d.pointer, message))
}

impl Top {
    /// Reads a buffered member's value (its name just read, at `name_at`), under the top-level bounds.
    fn member<R: Read>(
        &mut self,
        rd: &mut Reader<R>,
        st: &mut State<'_>,
        key: Box<str>,
        name_at: u64,
    ) -> Result<(), Stop> {
        let buffered = &self.buffered;
        let repeat = self.names.repeat(&self.hasher, buffered.iter().map(|(k, _)| &**k), buffered.len(), &key);
        if repeat && (self.body || self.dup.is_none()) {
            let mut pointer = String::new();
            push_pointer_key(&mut pointer, &key);
            let d = Duplicate { pointer, offset: name_at, name: show(&key) };
            if self.body {
                return Err(duplicate_fatal(d));
            }
            self.dup = Some(d);
        }
        let start = rd.offset();
        rd.arm(st.max.saturating_sub(self.used));
        rd.push_key(key);
        rd.begin_tree(self.values);
        let v = rd.value()?;
        self.values = rd.budget();
        if let Some(d) = rd.take_duplicate() {
            // A duplicate nested in a top-level member: a document fault, or the bare event's.
            let d = Duplicate { pointer: format!("{}{}", rd.pointer(), d.pointer), ..d };
            if self.body {
                return Err(duplicate_fatal(d));
            }
            self.dup.get_or_insert(d);
        }
        let key = rd.pop().unwrap_or_default();
        rd.disarm();
        self.used = self.used.saturating_add(rd.offset().saturating_sub(start));
        if repeat {
            return Ok(());
        }
        if &*key == "@context" && st.ctx.is_none() {
            st.ctx = Some(Context::from_node(&v));
        }
        self.buffered.push((key, v));
        Ok(())
    }

    /// At `epcisBody`: the document so far must be sound. `Ok(true)` when its context is known, so the body can
    /// be read now; `Ok(false)` when `@context` has not come yet and the body must wait for it.
    fn before_body<R: Read>(&mut self, rd: &Reader<R>, st: &State<'_>) -> Result<bool, Stop> {
        if self.body {
            return Err(duplicate_member(rd, "epcisBody"));
        }
        self.body = true;
        if let Some(d) = self.dup.take() {
            return Err(duplicate_fatal(d));
        }
        context_ready(rd, st).map(|()| true).or_else(|e| if st.ctx.is_none() { Ok(false) } else { Err(e) })
    }
}

/// The document's context, known and sound; a fatal fault otherwise (at the reader's position).
fn context_ready<R: Read>(rd: &Reader<R>, st: &State<'_>) -> Result<(), Stop> {
    match &st.ctx {
        None => Err(fatal(
            rd,
            ErrorKind::Syntax,
            "/@context",
            "the document has no @context (an EPCIS 2.0 document needs one)",
        )),
        Some(Err(e)) => {
            let (kind, ptr, msg) = (e.kind(), format!("/@context{}", e.pointer()), e.message().to_owned());
            Err(fatal(rd, kind, &ptr, msg))
        }
        Some(Ok(_)) => Ok(()),
    }
}

/// An `epcisBody` read before the document's `@context`: its bytes, held until the top-level object ends, and
/// the offset where they start.
struct Deferred {
    at: u64,
    spool: Spool,
}

/// The top-level object: a document (members around `epcisBody` are buffered, bounded) or a bare event.
fn read_top<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>) -> Result<(), Stop> {
    rd.open(b'{', "expected an object")?;
    let mut top = Top {
        buffered: Vec::new(),
        names: Names::default(),
        hasher: std::hash::RandomState::new(),
        used: 0,
        values: MAX_EVENT_VALUES,
        body: false,
        header: false,
        dup: None,
    };
    let mut first = true;
    let mut deferred = None;
    loop {
        let start = rd.offset();
        st.window = Window::Top;
        rd.arm(st.max.saturating_sub(top.used));
        let more = rd.next_member(&mut first)?;
        rd.disarm();
        top.used = top.used.saturating_add(rd.offset().saturating_sub(start));
        if !more {
            break;
        }
        let key: Box<str> = rd.text().into();
        let name_at = rd.name_at();
        match &*key {
            "epcisBody" => {
                let ready = top.before_body(rd, st)?;
                rd.push_key(key);
                if ready {
                    read_body(rd, st, 0)?;
                } else {
                    // JSON members have no order: the events need the context, so the body is read past (its
                    // syntax checked) and held, in memory up to a bound and then in a temporary file.
                    let at = rd.offset();
                    rd.begin_capture(Spool::new(st.spool_memory));
                    rd.skip()?;
                    let spool = rd.end_capture()?.unwrap_or_else(|| Spool::new(0));
                    deferred = Some(Deferred { at, spool });
                }
                rd.pop();
            }
            "epcisHeader" => {
                if top.header {
                    return Err(duplicate_member(rd, &key));
                }
                // Held (in memory up to the spool bound, then in a temporary file) and read for its master data.
                top.header = true;
                rd.push_key(key);
                rd.begin_capture(Spool::new(st.spool_memory));
                rd.skip()?;
                let spool = rd.end_capture()?.unwrap_or_else(|| Spool::new(0));
                read_header(rd, st, spool)?;
                rd.pop();
            }
            _ => top.member(rd, st, key, name_at)?,
        }
    }
    if let Some(d) = deferred {
        read_deferred(rd, st, &top.buffered, d)?;
    }
    finish_top(rd, st, top.buffered, top.body, top.header, top.dup)
}

/// Largest `epcisHeader` read for its master data (bytes); a larger header is a fatal fault.
pub const MAX_HEADER_BYTES: u64 = 64 << 20;

/// The master data of a held `epcisHeader` (`epcisMasterData.vocabularyList`) into the summary.
fn read_header<R: Read>(rd: &Reader<R>, st: &mut State<'_>, spool: Spool) -> Result<(), Stop> {
    read_vocabularies(rd, st, spool, "/epcisHeader", Some("/epcisMasterData/vocabularyList"))
}

/// The vocabularies of a held JSON value (the value itself at `pointer`, or its member at `inner`) into the
/// summary; bounded by [`MAX_HEADER_BYTES`].
fn read_vocabularies<R: Read>(
    rd: &Reader<R>,
    st: &mut State<'_>,
    spool: Spool,
    pointer: &str,
    inner: Option<&str>,
) -> Result<(), Stop> {
    if spool.len() > MAX_HEADER_BYTES {
        return Err(fatal(
            rd,
            ErrorKind::Length,
            pointer,
            format!("{pointer} is larger than {MAX_HEADER_BYTES} bytes"),
        ));
    }
    let src = spool.into_reader().map_err(|e| {
        let message = format!("cannot read back {pointer}: {e}");
        Stop::Read(Fault { cause: Some(e), ..rd.fault_at(ErrorKind::Io, rd.offset(), message) })
    })?;
    let value: serde_json::Value =
        serde_json::from_reader(src).map_err(|e| fatal(rd, ErrorKind::Syntax, pointer, format!("{pointer}: {e}")))?;
    let list = match inner {
        Some(i) => value.pointer(i),
        None => Some(&value),
    };
    if let Some(list) = list {
        let at = format!("{pointer}{}", inner.unwrap_or_default());
        let vocabularies = crate::masterdata::Vocabulary::from_json_list(list)
            .map_err(|e| fatal(rd, e.kind(), &at, format!("{at}{}", e.message())))?;
        st.summary.master_data.extend(vocabularies);
    }
    Ok(())
}

/// Reads a body held back for the context, now that the top-level object is complete: the document must be
/// one (its `type`) and have a sound context; offsets and pointers are those of the whole input.
fn read_deferred<R: Read>(
    rd: &Reader<R>,
    st: &mut State<'_>,
    buffered: &[(Box<str>, Json)],
    d: Deferred,
) -> Result<(), Stop> {
    document_type(rd, buffered)?;
    context_ready(rd, st)?;
    let src = d.spool.into_reader().map_err(|e| {
        let message = format!("cannot read back epcisBody: {e}");
        Stop::Read(Fault { cause: Some(e), ..rd.fault_at(ErrorKind::Io, d.at, message) })
    })?;
    let mut body = Reader::at(src, d.at);
    body.push_key("epcisBody".into());
    read_body(&mut body, st, 0)?;
    body.pop();
    body.end()?;
    Ok(())
}

/// The document's `type`, which must name an EPCIS document when it has a body.
fn document_type<'a, R: Read>(rd: &Reader<R>, buffered: &'a [(Box<str>, Json)]) -> Result<Option<&'a str>, Stop> {
    let ty = match buffered.iter().find(|(k, _)| &**k == "type") {
        Some((_, Json::String(s))) => Some(&**s),
        _ => None,
    };
    if matches!(ty, Some("EPCISDocument" | "EPCISQueryDocument" | "EPCISMasterDataDocument")) {
        return Ok(ty);
    }
    let msg = format!(
        "type must be EPCISDocument, EPCISQueryDocument or EPCISMasterDataDocument, found {}",
        ty.map_or("nothing".into(), show)
    );
    Err(fatal(rd, ErrorKind::Syntax, "/type", msg))
}

/// After the top-level object: check the document type, or hand on a bare event.
fn finish_top<R: Read>(
    rd: &Reader<R>,
    st: &mut State<'_>,
    buffered: Vec<(Box<str>, Json)>,
    body: bool,
    header: bool,
    dup: Option<Duplicate>,
) -> Result<(), Stop> {
    let ty = match buffered.iter().find(|(k, _)| &**k == "type") {
        Some((_, Json::String(s))) => Some(&**s),
        _ => None,
    };
    let is_doc = matches!(ty, Some("EPCISDocument" | "EPCISQueryDocument" | "EPCISMasterDataDocument"));
    if body {
        document_type(rd, &buffered)?;
        if ty == Some("EPCISQueryDocument") && st.summary.document == DocumentKind::Document {
            st.summary.document = DocumentKind::QueryDocument;
        }
        if ty == Some("EPCISMasterDataDocument") {
            st.summary.document = DocumentKind::MasterDataDocument;
        }
        return Ok(());
    }
    if is_doc {
        if let Some(d) = dup {
            return Err(duplicate_fatal(d));
        }
        return Err(fatal(rd, ErrorKind::Syntax, "/epcisBody", "the document has no epcisBody"));
    }
    if ty.is_none() {
        return Err(fatal(rd, ErrorKind::Syntax, "/type", "not an EPCIS document or event: no type"));
    }
    if header {
        return Err(fatal(rd, ErrorKind::Syntax, "/epcisHeader", "epcisHeader without epcisBody"));
    }
    st.summary.document = DocumentKind::Event;
    // A bare event's @context is its own: the conversion applies it, on top of the standard prefixes.
    st.ctx = None;
    let v = Json::Object(buffered);
    match dup {
        Some(d) => st.deliver("", 0, Err(duplicate_error(d))),
        None => st.deliver("", 0, Ok(&v)),
    }
}

/// Pointers of the event lists `epcisBody` → (`queryResults` → `resultsBody` →) `eventList`, by depth.
const LIST_BASES: [&str; 3] = ["/epcisBody/eventList", "", "/epcisBody/queryResults/resultsBody/eventList"];

/// `epcisBody` (depth 0), `queryResults` (1) or `resultsBody` (2): descends to `eventList`, reading past every
/// other member without keeping it.
fn read_body<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>, depth: u8) -> Result<(), Stop> {
    rd.open(b'{', "expected an object")?;
    let (mut list, mut nested) = (false, false);
    let mut first = true;
    loop {
        st.window = Window::Name;
        rd.arm(st.max);
        let more = rd.next_member(&mut first)?;
        rd.disarm();
        if !more {
            return Ok(());
        }
        let key: Box<str> = rd.text().into();
        match (depth, &*key) {
            (0 | 2, "eventList") if list => return Err(duplicate_member(rd, &key)),
            (0, "queryResults") | (1, "resultsBody") if nested => return Err(duplicate_member(rd, &key)),
            (0 | 2, "eventList") => {
                list = true;
                let base = LIST_BASES.get(usize::from(depth)).copied().unwrap_or_default();
                rd.push_key(key);
                read_events(rd, st, base)?;
                rd.pop();
            }
            (0, "vocabularyList") => {
                rd.push_key(key);
                rd.begin_capture(Spool::new(st.spool_memory));
                rd.skip()?;
                let spool = rd.end_capture()?.unwrap_or_else(|| Spool::new(0));
                read_vocabularies(rd, st, spool, "/epcisBody/vocabularyList", None)?;
                rd.pop();
            }
            (0, "queryResults") | (1, "resultsBody") => {
                nested = true;
                if depth == 0 {
                    st.summary.document = DocumentKind::QueryDocument;
                }
                rd.push_key(key);
                read_body(rd, st, depth + 1)?;
                rd.pop();
            }
            _ => {
                rd.push_key(key);
                rd.skip()?;
                rd.pop();
            }
        }
    }
}

/// An array of events, read and handed on one at a time (each under the byte and value bounds).
fn read_events<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>, base: &str) -> Result<(), Stop> {
    rd.open(b'[', "expected an array of events")?;
    let mut first = true;
    let mut local = 0usize;
    rd.push_index(0);
    while rd.next_element(&mut first)? {
        rd.set_index(local);
        st.window = Window::Event(st.next_index);
        rd.arm(st.max);
        rd.begin_tree(MAX_EVENT_VALUES);
        let v = rd.value()?;
        rd.disarm();
        match rd.take_duplicate() {
            Some(d) => st.deliver(base, local, Err(duplicate_error(d)))?,
            None => st.deliver(base, local, Ok(&v))?,
        }
        local = local.saturating_add(1);
    }
    rd.pop();
    Ok(())
}

/// Streaming importer (builder): the input, the mode and the size bound.
///
/// ```
/// use tracecode::event::epcis_json::{Importer, Mode};
/// let doc = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
///   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-01T00:00:00Z",
///   "epcisBody": {"eventList": [
///     {"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00+08:00",
///      "eventTimeZoneOffset": "+08:00", "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"]},
///     {"type": "ObjectEvent", "action": "CREATE", "eventTime": "2024-05-01T08:00:00+08:00",
///      "eventTimeZoneOffset": "+08:00", "epcList": []}]}}"#;
/// let mut good = Vec::new();
/// let summary = Importer::new(doc.as_bytes()).mode(Mode::AcceptValid).run(|_, r| {
///     if let Ok(e) = r { good.push(e) }
///     Ok(())
/// })?;
/// assert_eq!((summary.accepted, good.len()), (1, 1));
/// assert_eq!(summary.rejected[0].pointer, "/epcisBody/eventList/1/action");
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Debug)]
pub struct Importer<R: Read> {
    reader: R,
    mode: Mode,
    max_event: u64,
    opts: ReadOptions,
    spool_memory: usize,
}

/// Bytes of an `epcisBody` that comes before the document's `@context` held in memory until the context is read
/// (see [`Importer::spool_memory`]).
pub const SPOOL_MEMORY: usize = 16 << 20;

impl<R: Read> Importer<R> {
    /// Reads from `reader` (wrapped in a buffer internally), all-or-nothing, events up to [`MAX_EVENT_BYTES`].
    pub const fn new(reader: R) -> Self {
        Self {
            reader,
            mode: Mode::AllOrNothing,
            max_event: MAX_EVENT_BYTES,
            opts: ReadOptions::new(),
            spool_memory: SPOOL_MEMORY,
        }
    }

    /// Sets how many bytes of an `epcisBody` that precedes the document's `@context` are held in memory
    /// ([`SPOOL_MEMORY`] by default). JSON members have no order, and the events cannot be read without the
    /// context, so such a body is read past once (its syntax checked), held, and read again when the top-level
    /// object ends: in memory up to this bound, beyond it in an anonymous temporary file (removed when the
    /// import ends). A document whose `@context` comes first is read in one pass, bounded by the largest event.
    ///
    /// ```
    /// use tracecode::event::epcis_json::Importer;
    /// let doc = r#"{"type": "EPCISDocument", "epcisBody": {"eventList": [
    ///     {"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
    ///      "eventTimeZoneOffset": "+00:00", "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"]}]},
    ///   "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]}"#;
    /// // Held in a temporary file: nothing in memory.
    /// let summary = Importer::new(doc.as_bytes()).spool_memory(0).run(|_, r| r.map(drop).map_err(Into::into))?;
    /// assert_eq!(summary.accepted, 1);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    #[must_use]
    pub const fn spool_memory(mut self, bytes: usize) -> Self {
        self.spool_memory = bytes;
        self
    }

    /// Reads malformed GS1 identifiers leniently ([`ReadOptions::lenient`]): they are kept as opaque URIs, with
    /// a [`Warning`] each in [`ImportSummary::warnings`] (and [`ImportError::warnings`]), instead of rejecting
    /// their event. Strict by default.
    ///
    /// ```
    /// use tracecode::event::epcis_json::{Importer, Mode};
    /// let doc = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    ///   "type": "EPCISDocument", "epcisBody": {"eventList": [
    ///     {"type": "AggregationEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
    ///      "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:sscc:0614141.12345678",
    ///      "childEPCs": ["https://id.gs1.org/01/09506000134352/21/A1"]}]}}"#;
    /// // Strict (the default): the SSCC of 15 digits rejects the event.
    /// assert!(Importer::new(doc.as_bytes()).run(|_, _| Ok(())).is_err());
    /// let summary = Importer::new(doc.as_bytes()).lenient(true).run(|_, r| r.map(drop).map_err(Into::into))?;
    /// assert_eq!(summary.accepted, 1);
    /// assert_eq!(summary.warnings[0].pointer, "/epcisBody/eventList/0/parentID");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    #[must_use]
    pub const fn lenient(mut self, yes: bool) -> Self {
        self.opts = self.opts.lenient(yes);
        self
    }

    /// Sets the [`Mode`].
    #[must_use]
    pub const fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the largest JSON text of one event (bytes; also bounds the document's top-level members outside
    /// `epcisBody`).
    #[must_use]
    pub const fn max_event_bytes(mut self, n: u64) -> Self {
        self.max_event = n;
        self
    }

    /// Runs the import, calling `on_event(index, result)` for every event in document order. Input whose first
    /// byte (after whitespace or a BOM) is `<` is read as EPCIS 1.2 or 2.0 XML
    /// ([`epcis_xml::read_events`](crate::event::epcis_xml::read_events); the byte bound is then its per-event
    /// bound, and a bad event's pointer is its XPath-like location followed by the JSON pointer of the fault). The pointer of an
    /// [`EventError`] handed to the callback leads from the document root (`/epcisBody/eventList/3/bizStep`), as
    /// in [`BadEvent`]. An `Err` from the callback stops the import and is returned.
    ///
    /// # Errors
    /// An [`ImportError`]: malformed JSON, I/O, an event larger than the bound, a document-level fault (missing
    /// `@context`, wrong `type`) with its pointer, the callback's error, or — in [`Mode::AllOrNothing`] — every
    /// bad event.
    pub fn run(
        mut self,
        mut on_event: impl FnMut(usize, Result<Event, EventError>) -> Result<(), Error>,
    ) -> Result<ImportSummary, ImportError> {
        // The binding, by the first byte that is not whitespace (or a BOM): `<` is XML.
        let (prefix, xml) = sniff(&mut self.reader).map_err(|e| {
            ImportError::fatal(Error::msg(ErrorKind::Io, format!("cannot read the document: {e}")).with_source(e), "")
        })?;
        let src = io::Cursor::new(prefix).chain(self.reader);
        if xml {
            return import_xml(io::BufReader::new(src), self.mode, self.opts, on_event);
        }
        let mut rd = Reader::new(src, 0);
        let mut st = State {
            max: self.max_event,
            spool_memory: self.spool_memory,
            opts: self.opts,
            window: Window::Top,
            ctx: None,
            on_event: &mut on_event,
            next_index: 0,
            summary: ImportSummary::default(),
        };
        let stop = match read_document(&mut rd, &mut st) {
            Ok(()) => None,
            Err(Stop::Fatal(e)) => Some(e),
            Err(Stop::Read(f)) => Some(st.read_error(f)),
        };
        if let Some(e) = stop {
            // The events handed on before the fault may have been kept: so are their warnings.
            let s = st.summary;
            let warned = Report { warnings: s.warnings, warnings_total: s.warnings_total, ..Report::default() };
            return Err(e.with_report(warned));
        }
        let mut summary = st.summary;
        if let Some(Ok(c)) = st.ctx {
            summary.namespaces = c.declared;
        }
        finish(self.mode, summary)
    }
}

/// The summary, or in all-or-nothing mode with a bad event, the error listing them.
fn finish(mode: Mode, summary: ImportSummary) -> Result<ImportSummary, ImportError> {
    if mode == Mode::AllOrNothing && summary.rejected_total > 0 {
        let error = Error::msg(
            ErrorKind::Syntax,
            format!("{} of {} events are invalid; nothing may be imported", summary.rejected_total, summary.events),
        );
        return Err(ImportError::fatal(error, "").with_report(Report {
            rejected: summary.rejected,
            rejected_total: summary.rejected_total,
            warnings: summary.warnings,
            warnings_total: summary.warnings_total,
        }));
    }
    Ok(summary)
}

/// Reads the input up to its first byte that is not whitespace or a UTF-8 BOM; returns the bytes read and
/// whether that byte is `<` (an XML document).
fn sniff<R: Read>(r: &mut R) -> io::Result<(Vec<u8>, bool)> {
    let mut prefix = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match r.read(&mut byte) {
            Ok(0) => return Ok((prefix, false)),
            Ok(_) => {
                let [b] = byte;
                prefix.push(b);
                let bom = prefix.len() <= 3 && b"\xEF\xBB\xBF".starts_with(&prefix);
                if !bom && !b.is_ascii_whitespace() {
                    return Ok((prefix, b == b'<'));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// An XML document through [`epcis_xml::read_events`](crate::event::epcis_xml::read_events), with the JSON
/// import's modes, summary and errors (event locations as the XML reader gives them).
fn import_xml<R: io::BufRead>(
    src: R,
    mode: Mode,
    opts: ReadOptions,
    mut on_event: impl FnMut(usize, Result<Event, EventError>) -> Result<(), Error>,
) -> Result<ImportSummary, ImportError> {
    use crate::event::epcis_xml::{XmlDocumentKind, read_events};
    let mut summary = ImportSummary::default();
    let read = read_events(src, opts, |index, result| {
        summary.count(index, &result);
        on_event(index, result)
    });
    let xml = read.map_err(|e| ImportError::fatal(e, ""))?;
    summary.document = match xml.document {
        XmlDocumentKind::QueryDocument => DocumentKind::QueryDocument,
        XmlDocumentKind::Event => DocumentKind::Event,
        XmlDocumentKind::MasterDataDocument => DocumentKind::MasterDataDocument,
        _ => DocumentKind::Document,
    };
    summary.master_data = xml.master_data;
    finish(mode, summary)
}

/// Imports from `reader`, calling `on_event(index, result)` for every event (see [`Importer`]).
///
/// # Errors
/// As [`Importer::run`].
///
/// ```
/// use tracecode::event::epcis_json::{import, Mode};
/// let bare = r#"{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///                "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]}"#;
/// let mut n = 0;
/// let summary = import(bare.as_bytes(), Mode::AllOrNothing, |_, r| { r?; n += 1; Ok(()) })?;
/// assert_eq!((n, summary.events), (1, 1));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn import<R: Read>(
    reader: R,
    mode: Mode,
    on_event: impl FnMut(usize, Result<Event, EventError>) -> Result<(), Error>,
) -> Result<ImportSummary, ImportError> {
    Importer::new(reader).mode(mode).run(on_event)
}

/// Imports a whole input into memory: the valid events and the summary (for small documents and tests).
///
/// # Errors
/// As [`Importer::run`].
pub fn import_all<R: Read>(reader: R, mode: Mode) -> Result<(Vec<Event>, ImportSummary), ImportError> {
    let mut events = Vec::new();
    let summary = import(reader, mode, |_, r| {
        if let Ok(e) = r {
            events.push(e);
        }
        Ok(())
    })?;
    Ok((events, summary))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::event::Id;
    use crate::event::epcis_json::{
        EPCIS_CONTEXT, ExportOptions, WarningKind, event_from_json, event_from_slice, event_to_json,
    };
    use proptest::prelude::*;
    use serde_json::Value;

    #[test]
    fn modes() {
        let d = doc(&format!("{GOOD},{BAD},{GOOD},{BAD}"));
        let (events, s) = import_all(d.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!((events.len(), s.events, s.accepted, s.rejected_total), (2, 4, 2, 2));
        assert_eq!(s.document, DocumentKind::Document);
        assert_eq!(s.namespaces[0].prefix.as_ref(), "ex");
        let ptrs: Vec<(usize, &str)> = s.rejected.iter().map(|b| (b.index, b.pointer.as_str())).collect();
        assert_eq!(ptrs, [(1, "/epcisBody/eventList/1/bizStep"), (3, "/epcisBody/eventList/3/bizStep")]);
        let err = import_all(d.as_bytes(), Mode::AllOrNothing).unwrap_err();
        assert_eq!(err.rejected_total(), 2);
        assert_eq!(err.rejected()[1].pointer, "/epcisBody/eventList/3/bizStep");
        assert!(err.to_string().contains("event 3 at /epcisBody/eventList/3/bizStep"), "{err}");
        let as_crate: Error = err.into();
        assert_eq!(as_crate.kind(), ErrorKind::Syntax);
        // The callback sees document pointers too.
        let mut seen = Vec::new();
        let _ = import(d.as_bytes(), Mode::AcceptValid, |i, r| {
            if let Err(e) = r {
                seen.push((i, e.pointer().to_owned()));
            }
            Ok(())
        });
        assert_eq!(seen[0], (1, "/epcisBody/eventList/1/bizStep".to_owned()));
    }

    #[test]
    fn document_shapes() {
        let q = format!(
            r#"{{"@context": "{EPCIS_CONTEXT}", "type": "EPCISQueryDocument", "epcisBody": {{"queryResults":
               {{"queryName": "SimpleEventQuery", "resultsBody": {{"eventList": [{BAD}]}}}}}}}}"#
        );
        let s = import(q.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!(s.document, DocumentKind::QueryDocument);
        assert_eq!(s.rejected[0].pointer, "/epcisBody/queryResults/resultsBody/eventList/0/bizStep");
        let arr = format!("[{BAD}, {BAD}]");
        let s = import(arr.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.document, s.rejected[1].pointer.as_str()), (DocumentKind::EventArray, "/1/bizStep"));
        let s = import(BAD.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.document, s.rejected[0].pointer.as_str()), (DocumentKind::Event, "/bizStep"));
        // A bare event with its own context.
        let bare = GOOD.replacen('{', &format!(r#"{{"@context": ["{EPCIS_CONTEXT}", {{"ex": "urn:ex:"}}],"#), 1);
        let (ev, _) = import_all(bare.as_bytes(), Mode::AllOrNothing).unwrap();
        assert_eq!(ev[0].extensions[0].name.as_ref(), "urn:ex:n");
        // A bare event without context cannot use ex:.
        assert_eq!(import_all(GOOD.as_bytes(), Mode::AllOrNothing).unwrap_err().rejected()[0].pointer, "/ex:n");
    }

    fn fatal(input: &str) -> ImportError {
        let e = import(input.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap_err();
        assert_eq!(e.rejected_total(), 0, "{e}");
        e
    }

    /// Members in any order: a body before `@context` (and before `type`) is held and read at the end, in memory
    /// or in a temporary file, giving the same events, pointers and offsets as the document in reading order.
    #[test]
    fn context_after_body() {
        let body = format!(r#""epcisBody": {{"eventList": [{GOOD}, {BAD}]}}"#);
        let ctx = format!(r#""@context": ["{EPCIS_CONTEXT}", {{"ex": "urn:ex:"}}]"#);
        let ty = r#""type": "EPCISDocument""#;
        let early = format!("{{{ctx}, {ty}, {body}}}");
        let (want, want_s) = import_all(early.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!((want.len(), want_s.rejected_total), (1, 1));
        assert_eq!(want[0].extensions[0].name.as_ref(), "urn:ex:n");
        for late in [format!("{{{ty}, {body}, {ctx}}}"), format!("{{{body}, {ctx}, {ty}}}")] {
            for memory in [SPOOL_MEMORY, 0, 40] {
                let mut got = Vec::new();
                let s = Importer::new(late.as_bytes())
                    .mode(Mode::AcceptValid)
                    .spool_memory(memory)
                    .run(|_, r| {
                        got.extend(r.ok());
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(got, want, "{late}");
                let bad = &s.rejected[0];
                assert_eq!(bad.pointer, want_s.rejected[0].pointer);
                // The offset is the document's: where the bad member stands in this spelling.
                let at = late.find(r#""bizStep": "flying""#).unwrap_or(usize::MAX);
                let want_at = early.find(r#""bizStep": "flying""#).unwrap_or(usize::MAX);
                assert_eq!(
                    bad.offset.map(|o| o.checked_sub(at as u64)),
                    want_s.rejected[0].offset.map(|o| o.checked_sub(want_at as u64)),
                    "{late}"
                );
                assert_eq!(s.namespaces, want_s.namespaces);
            }
        }
        // A body before a wrong type is never read: the document fault comes first.
        let wrong = format!(r#"{{{body}, {ctx}, "type": "Doc"}}"#);
        let mut seen = 0;
        let e = import(wrong.as_bytes(), Mode::AcceptValid, |_, _| {
            seen += 1;
            Ok(())
        })
        .unwrap_err();
        assert_eq!((e.pointer(), seen), ("/type", 0));
        // Malformed JSON in a held body is found on the first reading, at its offset.
        let broken = format!(r#"{{"epcisBody": {{"eventList": [{{"type": }}]}}, {ctx}, {ty}}}"#);
        let e = fatal(&broken);
        assert_eq!(e.error().offset(), broken.find("}]"), "{e}");
        // No context at all, body first: the document fault, no event.
        let none = format!("{{{ty}, {body}}}");
        assert_eq!(fatal(&none).pointer(), "/@context");
    }

    /// XML input (detected by its first byte) goes through the same modes, summary and errors.
    #[test]
    fn xml_input_is_detected() {
        let event = |action: &str| {
            format!(
                "<ObjectEvent><eventTime>2024-05-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00\
                 </eventTimeZoneOffset><epcList><epc>urn:example:item:1</epc></epcList><action>{action}</action>\
                 <ex:n xmlns:ex=\"urn:ex:\">1</ex:n></ObjectEvent>"
            )
        };
        let xml = format!(
            "\u{feff} \n<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" \
             creationDate=\"2024-05-01T00:00:00Z\"><EPCISBody><EventList>{}{}</EventList></EPCISBody>\
             </epcis:EPCISDocument>",
            event("ADD"),
            event("FLY")
        );
        let (events, s) = import_all(xml.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!((s.document, s.events, s.accepted, s.rejected_total), (DocumentKind::Document, 2, 1, 1));
        assert_eq!(s.rejected[0].pointer, "/EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/action");
        // The same event as the JSON binding gives (the extension value is text in XML).
        let json = GOOD.replace(r#""ex:n": 1"#, r#""ex:n": "1""#);
        let doc = format!(
            r#"{{"@context": ["{EPCIS_CONTEXT}", {{"ex": "urn:ex:"}}], "type": "EPCISDocument", "epcisBody": {{"eventList": [{json}]}}}}"#
        );
        let (want, _) = import_all(doc.as_bytes(), Mode::AllOrNothing).unwrap();
        assert_eq!(events, want);
        let e = import_all(xml.as_bytes(), Mode::AllOrNothing).unwrap_err();
        assert_eq!(e.rejected_total(), 1);
        // A document fault: not well formed.
        let e = import_all(&b"<epcis:EPCISDocument"[..], Mode::AcceptValid).unwrap_err();
        assert!(e.error().message().contains("malformed XML"), "{e}");
    }

    #[test]
    fn document_faults() {
        let no_ctx = format!(r#"{{"type": "EPCISDocument", "epcisBody": {{"eventList": [{GOOD}]}}}}"#);
        assert_eq!(fatal(&no_ctx).pointer(), "/@context");
        let bad_ctx =
            format!(r#"{{"@context": [7], "type": "EPCISDocument", "epcisBody": {{"eventList": [{GOOD}]}}}}"#);
        assert_eq!(fatal(&bad_ctx).pointer(), "/@context/0");
        let wrong = format!(r#"{{"@context": "{EPCIS_CONTEXT}", "type": "Doc", "epcisBody": {{"eventList": []}}}}"#);
        assert_eq!(fatal(&wrong).pointer(), "/type");
        let nobody = format!(r#"{{"@context": "{EPCIS_CONTEXT}", "type": "EPCISDocument"}}"#);
        assert_eq!(fatal(&nobody).pointer(), "/epcisBody");
        let twice = format!(
            r#"{{"@context": "{EPCIS_CONTEXT}", "type": "EPCISDocument", "epcisBody": {{}}, "epcisBody": {{}}}}"#
        );
        assert_eq!(fatal(&twice).error().kind(), ErrorKind::Duplicate);
        assert_eq!(fatal(r#"{"a": 1}"#).pointer(), "/type");
        for junk in
            ["", "[", "{\"type\": ", "nul", "[1] x", "\"text\"", "{\"type\":\"EPCISDocument\",\"epcisBody\":[]}"]
        {
            let e = fatal(junk);
            assert_eq!(e.error().kind(), ErrorKind::Syntax, "{junk:?}: {e}");
        }
        let d = doc(&format!("{GOOD},{GOOD}"));
        let cut = d.get(..d.len() - 20).unwrap();
        assert_eq!(fatal(cut).error().kind(), ErrorKind::Syntax);
        // Malformed JSON: the byte offset of the fault, in the error and its message.
        let e = fatal(r#"{"type": "EPCISDocument" "x": 1}"#);
        assert_eq!((e.error().kind(), e.error().offset()), (ErrorKind::Syntax, Some(25)));
        assert!(e.error().message().contains("at byte 25"), "{e}");
    }

    #[test]
    fn duplicate_document_members_are_fatal() {
        let head = format!(r#""@context": ["{EPCIS_CONTEXT}", {{"ex": "urn:ex:"}}], "type": "EPCISDocument""#);
        let cases = [
            (format!(r#"{{{head}, "type": "EPCISDocument", "epcisBody": {{"eventList": []}}}}"#), "/type"),
            (format!(r#"{{{head}, "epcisBody": {{"eventList": []}}, "type": "EPCISDocument"}}"#), "/type"),
            (format!(r#"{{{head}, "@context": "{EPCIS_CONTEXT}", "epcisBody": {{"eventList": []}}}}"#), "/@context"),
            (format!(r#"{{{head}, "epcisHeader": {{}}, "epcisHeader": {{}}, "epcisBody": {{}}}}"#), "/epcisHeader"),
            (format!(r#"{{{head}, "epcisBody": {{"eventList": [], "eventList": [{GOOD}]}}}}"#), "/epcisBody/eventList"),
            (format!(r#"{{{head}, "x": {{"a": 1, "a": 2}}, "epcisBody": {{}}}}"#), "/x/a"),
            (format!(r#"{{{head}, "epcisBody": {{}}, "x": {{"a": 1, "a": 2}}}}"#), "/x/a"),
            (format!(r#"{{"type": "EPCISDocument", {head}, "epcisBody": {{}}}}"#), "/type"),
            (
                format!(r#"{{{head}, "epcisBody": {{"queryResults": {{"resultsBody": {{}}, "resultsBody": {{}}}}}}}}"#),
                "/epcisBody/queryResults/resultsBody",
            ),
        ];
        for (d, ptr) in cases {
            let e = fatal(&d);
            assert_eq!((e.error().kind(), e.pointer()), (ErrorKind::Duplicate, ptr), "{d}: {e}");
            // The offset is the second occurrence's name.
            let at = e.error().offset().unwrap();
            let name = ptr.rsplit('/').next().unwrap();
            assert!(d.get(at..).unwrap().starts_with(&format!("\"{name}\"")), "{d}: at {at}");
        }
        // Other members of epcisBody are read past, not kept: their names are not compared.
        let d = format!(r#"{{{head}, "epcisBody": {{"x": 1, "x": 2, "eventList": [{GOOD}]}}}}"#);
        assert_eq!(import_all(d.as_bytes(), Mode::AllOrNothing).unwrap().1.accepted, 1);
    }

    #[test]
    fn duplicate_members_reject_their_event() {
        const DUP: &str = r#"{"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "epcList": ["urn:example:item:1"], "eventTime": "2024-06-01T08:00:00Z"}"#;
        let d = doc(&format!("{GOOD},{DUP},{GOOD}"));
        let (events, s) = import_all(d.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!((events.len(), s.rejected_total), (2, 1));
        let bad = &s.rejected[0];
        assert_eq!(
            (bad.index, bad.pointer.as_str(), bad.kind),
            (1, "/epcisBody/eventList/1/eventTime", ErrorKind::Duplicate)
        );
        let at = usize::try_from(bad.offset.unwrap()).unwrap();
        assert!(d.get(at..).unwrap().starts_with("\"eventTime\": \"2024-06"), "{}", d.get(at..).unwrap());
        assert!(bad.message.contains("\"eventTime\" appears twice"), "{}", bad.message);
        // A bare event, an array of events, one event parsed alone.
        let s = import(DUP.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.document, s.rejected[0].pointer.as_str()), (DocumentKind::Event, "/eventTime"));
        let s = import(format!("[{GOOD}, {DUP}]").as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.rejected[1].pointer.as_str(), s.rejected[1].kind), ("/1/eventTime", ErrorKind::Duplicate));
        let e = event_from_slice(DUP.as_bytes(), &ex_ctx()).unwrap_err();
        assert_eq!((e.kind(), e.pointer()), (ErrorKind::Duplicate, "/eventTime"));
        assert_eq!(e.offset(), Some(u64::try_from(DUP.rfind("\"eventTime\"").unwrap()).unwrap()));
        // The duplicate is the event's fault even when a value fault comes earlier.
        let both = DUP.replace("\"ADD\"", "\"CREATE\"");
        assert_eq!(event_from_slice(both.as_bytes(), &ex_ctx()).unwrap_err().kind(), ErrorKind::Duplicate);
        // A serde_json Value cannot hold the duplicate: event_from_json sees the last value only.
        let v: Value = serde_json::from_str(DUP).unwrap();
        assert!(event_from_json(&v, &ex_ctx()).is_ok());
    }

    #[test]
    fn oversized_event_is_refused() {
        let big = format!(r#"{{"type": "ObjectEvent", "ex:pad": "{}", "action": "ADD"}}"#, "x".repeat(5000));
        let d = doc(&format!("{GOOD},{big},{GOOD}"));
        let mut n = 0;
        let e = Importer::new(d.as_bytes()).max_event_bytes(4096).mode(Mode::AcceptValid).run(|_, _| {
            n += 1;
            Ok(())
        });
        let e = e.unwrap_err();
        assert_eq!(e.error().kind(), ErrorKind::Length);
        assert!(e.error().message().contains("event 1 is larger than 4096 bytes"), "{e}");
        assert_eq!(n, 1, "the event before it was handed on");
        // The same document passes with the default bound.
        assert!(Importer::new(d.as_bytes()).mode(Mode::AcceptValid).run(|_, _| Ok(())).is_ok());
        // A bare object is bounded as a whole too.
        let many = format!("{{{}\"type\": \"ObjectEvent\"}}", "\"ex:k\": \"vvvvvvvv\",".repeat(1000));
        let e = Importer::new(many.as_bytes()).max_event_bytes(1000).run(|_, _| Ok(())).unwrap_err();
        assert_eq!(e.error().kind(), ErrorKind::Length);
        // So are keys, at the top and inside epcisBody.
        for huge in [
            format!("{{\"{}\": 1}}", "k".repeat(5000)),
            doc("").replace("\"eventList\"", &format!("\"{}\": 0, \"eventList\"", "k".repeat(5000))),
        ] {
            let e = Importer::new(huge.as_bytes()).max_event_bytes(1000).run(|_, _| Ok(())).unwrap_err();
            assert_eq!(e.error().kind(), ErrorKind::Length, "{e}");
        }
    }

    /// A lenient import keeps a malformed SSCC as an opaque URI: the warning carries the event's index and the
    /// document pointer of the value, and a store keeps and finds the opaque id.
    #[test]
    fn lenient_import_warns_with_document_pointers() {
        use crate::store::{MemoryStore, TraceStore};
        const SSCC15: &str = "urn:epc:id:sscc:0614141.12345678";
        let odd = GOOD.replace("\"epcList\": [\"urn:example:item:1\"]", &format!("\"epcList\": [\"{SSCC15}\"]"));
        assert_ne!(odd, GOOD);
        let d = doc(&format!("{GOOD},{GOOD},{BAD},{odd}"));
        // Strict (the default) rejects it at that pointer.
        let (_, s) = import_all(d.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!(s.rejected[1].pointer, "/epcisBody/eventList/3/epcList/0");
        assert!(s.warnings.is_empty());
        let mut events = Vec::new();
        let s = Importer::new(d.as_bytes())
            .mode(Mode::AcceptValid)
            .lenient(true)
            .run(|_, r| {
                events.extend(r.ok());
                Ok(())
            })
            .unwrap();
        assert_eq!((s.accepted, s.rejected_total, s.warnings_total), (3, 1, 1));
        let w = &s.warnings[0];
        assert_eq!(
            (w.kind, w.index, w.pointer.as_str(), w.value.as_str(), w.cause),
            (WarningKind::OpaqueId, 3, "/epcisBody/eventList/3/epcList/0", SSCC15, ErrorKind::Length)
        );
        let opaque = Id::Uri(SSCC15.into());
        assert_eq!(events[2].epc_list, std::slice::from_ref(&opaque));
        let store = MemoryStore::new();
        store.ingest(events).unwrap();
        let found = store.resolve_id(&opaque).unwrap().expect("the opaque id is stored");
        assert_eq!(found.chain.len(), 1);
        // All or nothing: the lenient event is valid, so only the bad one fails the document; a bare event's
        // pointer leads from the event.
        assert_eq!(Importer::new(d.as_bytes()).lenient(true).run(|_, _| Ok(())).unwrap_err().rejected_total(), 1);
        let bare = odd.replace(", \"ex:n\": 1", "");
        let s = Importer::new(bare.as_bytes()).lenient(true).run(|_, _| Ok(())).unwrap();
        assert_eq!((s.warnings[0].index, s.warnings[0].pointer.as_str()), (0, "/epcList/0"));
        // A fatal fault after events were handed on: their warnings come with the error.
        let cut = doc(&format!("{odd},{GOOD}"));
        let cut = cut.get(..cut.len() - 10).unwrap();
        let e = Importer::new(cut.as_bytes()).mode(Mode::AcceptValid).lenient(true).run(|_, _| Ok(())).unwrap_err();
        assert_eq!((e.rejected_total(), e.warnings_total()), (0, 1), "{e}");
        assert_eq!(e.warnings()[0].pointer, "/epcisBody/eventList/0/epcList/0");
    }

    #[test]
    fn callback_error_stops_import() {
        let d = doc(&format!("{GOOD},{GOOD},{GOOD}"));
        let mut n = 0;
        let e = import(d.as_bytes(), Mode::AcceptValid, |i, _| {
            n += 1;
            if i == 1 { Err(Error::msg(ErrorKind::Io, "disk full")) } else { Ok(()) }
        })
        .unwrap_err();
        assert_eq!((e.error().kind(), e.error().message(), n), (ErrorKind::Io, "disk full", 2));
    }

    #[test]
    fn a_failing_source_is_an_io_error_with_its_cause() {
        use std::error::Error as _;
        /// Hands out a document's first bytes, then fails.
        struct Broken<'a>(&'a [u8]);
        impl std::io::Read for Broken<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("cable pulled"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let d = doc(GOOD);
        let e = import(Broken(&d.as_bytes()[..d.len() / 2]), Mode::AcceptValid, |_, _| Ok(())).unwrap_err();
        assert_eq!((e.error().kind(), e.error().offset()), (ErrorKind::Io, None), "{e}");
        assert_eq!(e.error().message(), "cannot read the document: cable pulled");
        let cause = e.source().and_then(|c| c.downcast_ref::<std::io::Error>()).unwrap();
        assert_eq!(cause.to_string(), "cable pulled");
        // The cause survives the conversion to the crate's error.
        assert!(Error::from(e).source().is_some_and(<dyn std::error::Error>::is::<std::io::Error>));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn import_never_panics(s in "\\PC{0,200}") {
            let _ = import(s.as_bytes(), Mode::AcceptValid, |_, _| Ok(()));
        }

        #[test]
        fn mutated_events_never_panic(e in arb_event(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut text = event_to_json(&e, &ExportOptions::default()).to_string().into_bytes();
            let i = cut.index(text.len());
            text[i] = byte;
            let _ = import(text.as_slice(), Mode::AcceptValid, |_, _| Ok(()));
        }
    }
}
