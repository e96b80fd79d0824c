//! The faults the converter and the importer report, and the JSON pointers (RFC 6901) that locate them.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use super::node::{Node, View};
use crate::{Error, ErrorKind};

/// Why one event is invalid: the reason and a JSON pointer (RFC 6901) to the fault, relative to the event
/// (`/epcList/1`; empty for the event as a whole).
///
/// Displays as `pointer: message` (just the message for the event as a whole).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}{}{message}", if .pointer.is_empty() { "" } else { ": " })]
pub struct EventError {
    pub(super) kind: ErrorKind,
    pub(super) pointer: String,
    pub(super) message: String,
    pub(super) offset: Option<u64>,
}

impl EventError {
    /// An error of `kind` at `pointer`.
    pub fn new(kind: ErrorKind, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind, pointer: pointer.into(), message: message.into(), offset: None }
    }

    /// Byte offset of the fault in the JSON text, when it was found while reading bytes (malformed JSON, a bound, a
    /// duplicate member name); `None` for faults in values, which the pointer locates.
    pub const fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// The kind of fault.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// JSON pointer to the fault, relative to the event.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The reason, for a person.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// As a crate [`Error`] of the same kind, without a byte position: the pointer, which leads the message,
    /// locates the fault.
    pub fn to_error(&self) -> Error {
        Error::msg(self.kind, self.to_string())
    }
}

impl From<EventError> for Error {
    fn from(e: EventError) -> Self {
        e.to_error()
    }
}

/// A rejected event in a document: its index in document order, a JSON pointer from the document root
/// (`/epcisBody/eventList/3/bizStep`) and the reason.
///
/// Displays as `event 3 at /epcisBody/eventList/3/bizStep: reason`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {index} at {pointer}: {message}")]
pub struct BadEvent {
    /// Index of the event in document order (0-based).
    pub index: usize,
    /// JSON pointer from the document root to the fault.
    pub pointer: String,
    /// The kind of fault.
    pub kind: ErrorKind,
    /// The reason.
    pub message: String,
    /// Byte offset of the fault in the input, when the reader found it (a duplicate member name).
    pub offset: Option<u64>,
}

/// What a [lenient](super::ReadOptions::lenient) read tolerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// A URI that is not a well-formed GS1 identifier (an SSCC EPC URN of 15 digits where 17 belong, a Digital
    /// Link with a wrong check digit) was kept verbatim as an opaque URI ([`Id::Uri`](crate::event::Id::Uri)):
    /// it is stored and found by its exact text, but it is not a GS1 key (no class of its own, no serial under a
    /// lot, no other spelling of it matches).
    OpaqueId,
}

impl WarningKind {
    /// The kind's name in snake_case (`opaque_id`), as JSON output spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OpaqueId => "opaque_id",
        }
    }
}

/// A value a [lenient](super::ReadOptions::lenient) read accepted that a strict one rejects: where it is, what
/// was kept, and why strict reading refuses it.
///
/// Displays as `pointer: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct Warning {
    /// What was tolerated.
    pub kind: WarningKind,
    /// Index of the event in document order (0 for an event read on its own).
    pub index: usize,
    /// JSON pointer (RFC 6901) to the value: from the document root in an import
    /// (`/epcisBody/eventList/3/epcList/0`), from the event for [`event_from_json_with`](super::event_from_json_with).
    pub pointer: String,
    /// The value as kept (the opaque URI).
    pub value: String,
    /// The kind of error a strict read reports for it ([`ErrorKind::Length`] for a short SSCC, ...).
    pub cause: ErrorKind,
    /// Why a strict read refuses it, for a person.
    pub message: String,
}

/// A failed import: a fatal fault (malformed JSON, I/O, document-level fault, size bound, callback error) or, in
/// [`Mode::AllOrNothing`](super::Mode::AllOrNothing), the list of every bad event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub(super) error: Error,
    pub(super) pointer: String,
    /// The bad events and the warnings (boxed: a fatal fault usually has neither, and errors stay small).
    pub(super) report: Option<Box<Report>>,
}

/// What an [`ImportError`] lists besides its fault.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Report {
    pub(super) rejected: Vec<BadEvent>,
    pub(super) rejected_total: usize,
    pub(super) warnings: Vec<Warning>,
    pub(super) warnings_total: usize,
}

impl ImportError {
    /// A fatal fault in the input at byte `offset` (the [`Error`]'s offset).
    pub(super) fn fatal_at(
        kind: ErrorKind,
        offset: u64,
        pointer: impl Into<String>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::fatal(Error::new(kind, usize::try_from(offset).unwrap_or(usize::MAX), 0, message), pointer)
    }

    /// A fatal `error` (a fault of the document at `pointer`, or a failure of the source or the callback).
    pub(super) fn fatal(error: Error, pointer: impl Into<String>) -> Self {
        Self { error, pointer: pointer.into(), report: None }
    }

    /// The error: its kind and message.
    pub const fn error(&self) -> &Error {
        &self.error
    }

    /// JSON pointer of a document-level fault (`/@context`), empty when not applicable.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The bad events (at most [`MAX_REPORTED`](super::MAX_REPORTED)); empty for a fatal fault.
    pub fn rejected(&self) -> &[BadEvent] {
        self.report.as_ref().map_or(&[], |r| &r.rejected)
    }

    /// How many events were bad in all.
    pub fn rejected_total(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.rejected_total)
    }

    /// The [lenient](super::Importer::lenient) read's warnings about the events handed on before the import
    /// failed (at most [`MAX_REPORTED`](super::MAX_REPORTED)): a caller that committed those events learns what
    /// it stored as opaque URIs.
    pub fn warnings(&self) -> &[Warning] {
        self.report.as_ref().map_or(&[], |r| &r.warnings)
    }

    /// How many warnings there were in all.
    pub fn warnings_total(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.warnings_total)
    }

    /// Attaches the bad events and the warnings (nothing when there are none).
    pub(super) fn with_report(mut self, report: Report) -> Self {
        self.report = (report.rejected_total > 0 || report.warnings_total > 0).then(|| Box::new(report));
        self
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.pointer.is_empty() {
            write!(f, "{}: ", self.pointer)?;
        }
        f.write_str(self.error.message())?;
        for b in self.rejected().iter().take(20) {
            write!(f, "\n  {b}")?;
        }
        if self.rejected_total() > 20 {
            write!(f, "\n  … and {} more", self.rejected_total() - 20)?;
        }
        Ok(())
    }
}

// Written out rather than derived: the error's message is already part of this one's, so the cause is the
// error's own cause (the reader's I/O failure, say), not the error itself.
impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<ImportError> for Error {
    /// The same kind, the whole report as the message (no position: a rejected event is located by its pointer,
    /// a fatal fault's position is in its message) and the same cause.
    fn from(e: ImportError) -> Self {
        Self::msg(e.error.kind(), e.to_string()).with_source_of(&e.error)
    }
}

/// A JSON pointer under construction: a stack-allocated chain of segments, rendered only on error.
#[derive(Clone, Copy)]
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(super) const ROOT: Path<'static> = Path { parent: None, seg: Seg::Root };

    pub(super) fn key(&'a self, k: &'a str) -> Self {
        Path { parent: Some(self), seg: Seg::Key(k) }
    }

    pub(super) fn index(&'a self, i: usize) -> Self {
        Path { parent: Some(self), seg: Seg::Index(i) }
    }

    pub(super) fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut s = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) => push_pointer_key(&mut s, k),
                Seg::Index(i) => {
                    let _ = write!(s, "/{i}");
                }
            }
        }
        s
    }

    pub(super) fn err(&self, kind: ErrorKind, message: impl Into<String>) -> EventError {
        EventError::new(kind, self.render(), message)
    }
}

/// Appends `/key` to a JSON pointer, escaped as RFC 6901 says (extension names are IRIs full of '/').
pub(super) fn push_pointer_key(s: &mut String, k: &str) {
    s.push('/');
    for c in k.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
}

/// A value quoted for a message, cut to a readable length. Every message that echoes input goes through here (or
/// [`clip`], for a nested error's message).
pub(super) fn show(s: &str) -> String {
    const MAX: usize = 60;
    if s.len() <= MAX {
        return format!("{s:?}");
    }
    format!("{:?}…", head(s, MAX))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn head(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// The message of an error from another parser (identifier, timestamp), which may quote the whole input: cut to
/// a readable length.
pub(super) fn clip(message: &str) -> Cow<'_, str> {
    const MAX: usize = 120;
    if message.len() <= MAX { Cow::Borrowed(message) } else { Cow::Owned(format!("{}…", head(message, MAX))) }
}

pub(super) fn type_name<N: Node>(v: &N) -> &'static str {
    match v.view() {
        View::Null => "null",
        View::Bool(_) => "a boolean",
        View::Number(_) => "a number",
        View::String(_) => "a string",
        View::Array(_) => "an array",
        View::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_nest() {
        let root = Path::ROOT;
        let a = root.key("ilmd");
        let b = a.key("https://ns/x~y");
        let c = b.index(3);
        assert_eq!(c.render(), "/ilmd/https:~1~1ns~1x~0y/3");
        assert_eq!(root.render(), "");
    }
}
