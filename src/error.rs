//! The crate's one public error type.
//!
//! Why one opaque type: callers of an embedded engine branch on *what kind* of failure happened and show the
//! *message* to a person; they should not have to match on dozens of per-module enums that would freeze the
//! crate's internals into its API. [`Error`] therefore carries an [`ErrorKind`] (non-exhaustive, stable) and a
//! message written for a person at a scanning station, plus two optional parts:
//!
//! - **a position**, for faults in the input handed to the call (a scanned code, a JSON document, a frame's
//!   bytes): the byte offset and length a UI can underline. Storage, I/O and state errors have none, rather
//!   than pretending the fault sits at byte 0; [`Display`](fmt::Display) prints `(at byte N)` only when
//!   there is a position.
//! - **the underlying cause**, when a dependency or the operating system reported the failure (RocksDB's
//!   status, a `std::io::Error`): kept as [`source()`](std::error::Error::source) for logs and error-chain
//!   printers. No dependency type appears in a signature (no `rocksdb::` or `bincode::` type, no `From` impl
//!   for one); the cause is reachable only as `dyn Error`.
//!
//! Errors are made only inside the crate (the constructors are crate-private), so every kind and position
//! means what this module documents; code outside can turn its own I/O failure into one (`From<std::io::Error>`),
//! e.g. to stop an import from its callback. The modules' own error types (`EventError`, `BadEvent`, `BadLink`,
//! the Digital Link decoder's) derive `thiserror::Error` and convert into this one at the public boundary.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// What went wrong, coarsely. Stable and `#[non_exhaustive]`: new kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was empty (after trimming whitespace and control characters).
    Empty,
    /// The input's structure is wrong: an unexpected character, separator or missing part.
    Syntax,
    /// A value or the whole input is too short or too long.
    Length,
    /// A character outside the character set the position allows.
    Charset,
    /// A check digit, check-character pair or check code does not match.
    CheckDigit,
    /// A GS1 Application Identifier that the syntax dictionary does not define.
    UnknownAi,
    /// An invalid date or time (month 13, day 31 in April, 25 o'clock, ...).
    Date,
    /// A value fails a content rule (country code, currency, piece-of-total, coordinates, ...).
    Value,
    /// A GS1 pairing rule fails: a required AI is missing or two exclusive AIs appear together.
    Pairing,
    /// The same AI appears twice with different values.
    Duplicate,
    /// Two or more interpretations are equally plausible; the caller must choose (see `code::candidates`).
    Ambiguous,
    /// No supported code scheme recognises the input.
    Unrecognized,
    /// The input is recognised but uses a form tracecode does not support (yet): compressed Digital Link,
    /// TDS 2.x "+" EPC headers, an RFID TID bank read, ...
    Unsupported,
    /// A value cannot be represented in the requested form (serial too large for SGTIN-96, restricted
    /// circulation GTIN as an EPC, ...).
    Range,
    /// A GS1 key cannot be converted to an EPC because its company-prefix length is unknown.
    CompanyPrefix,
    /// Stored or received bytes are damaged (bad checksum, truncated frame, impossible field).
    Corrupt,
    /// A format version this build does not understand.
    Version,
    /// An operating-system or storage failure not named by a more specific kind.
    Io,
    /// The disk (or the file system's quota) is full: free space, then reopen the store; it can be opened
    /// read-only meanwhile.
    NoSpace,
    /// Another process holds the store open for writing.
    Locked,
    /// There is no store at the path: it does not exist, it is a directory that holds no store, or it is a
    /// file. Opening for reading (or with `create_if_missing` off) never creates anything there.
    NotFound,
    /// The store was opened read-only (or lives on a read-only file system) and the call would write.
    ReadOnly,
    /// The store refuses writes after an earlier failed write; reopen it.
    Poisoned,
    /// A caller-supplied argument or option is invalid.
    InvalidArgument,
    /// A helper thread tracecode started for the call panicked: a bug in tracecode (please report it). The call
    /// was abandoned before it wrote anything (helper threads only prepare work ahead of a commit), so a store
    /// is unchanged and stays usable.
    Panicked,
    /// An EPCIS query parameter is unknown, repeated, or has a value of the wrong type or form (EPCIS
    /// `QueryParameterException`).
    QueryParameter,
    /// A query would return more events than its `maxEventCount` allows (EPCIS `QueryTooLargeException`).
    QueryTooLarge,
    /// A query names a query the repository does not offer (EPCIS `NoSuchNameException`).
    NoSuchName,
}

impl ErrorKind {
    /// A short stable identifier (`snake_case`) used in the CLI's JSON output.
    ///
    /// ```
    /// assert_eq!(tracecode::ErrorKind::CheckDigit.as_str(), "check_digit");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Syntax => "syntax",
            Self::Length => "length",
            Self::Charset => "charset",
            Self::CheckDigit => "check_digit",
            Self::UnknownAi => "unknown_ai",
            Self::Date => "date",
            Self::Value => "value",
            Self::Pairing => "pairing",
            Self::Duplicate => "duplicate",
            Self::Ambiguous => "ambiguous",
            Self::Unrecognized => "unrecognized",
            Self::Unsupported => "unsupported",
            Self::Range => "range",
            Self::CompanyPrefix => "company_prefix",
            Self::Corrupt => "corrupt",
            Self::Version => "version",
            Self::Io => "io",
            Self::NoSpace => "no_space",
            Self::Locked => "locked",
            Self::NotFound => "not_found",
            Self::ReadOnly => "read_only",
            Self::Poisoned => "poisoned",
            Self::InvalidArgument => "invalid_argument",
            Self::Panicked => "panicked",
            Self::QueryParameter => "query_parameter",
            Self::QueryTooLarge => "query_too_large",
            Self::NoSuchName => "no_such_name",
        }
    }

    /// The EPCIS query exception this kind is reported as (`QueryParameterException`, ...), for the kinds that
    /// have one.
    ///
    /// ```
    /// use tracecode::ErrorKind;
    /// assert_eq!(ErrorKind::QueryTooLarge.epcis_exception(), Some("QueryTooLargeException"));
    /// assert_eq!(ErrorKind::Io.epcis_exception(), None);
    /// ```
    pub const fn epcis_exception(self) -> Option<&'static str> {
        match self {
            Self::QueryParameter => Some("QueryParameterException"),
            Self::QueryTooLarge => Some("QueryTooLargeException"),
            Self::NoSuchName => Some("NoSuchNameException"),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tracecode error: kind, message a person can act on, the position of the fault in the input when the
/// fault is in the input, and the underlying cause when there is one.
///
/// [`offset`](Self::offset) and [`len`](Self::len) are byte positions in the input handed to the failing call
/// (for [`crate::code::parse`]: the original scanner bytes, before any normalisation), so a UI can underline
/// the faulty characters. Errors about one item of a list name its index instead, and say so in the message:
/// the refused event of an ingest batch, the broken link of a hash chain. Errors that are not about the call's
/// input (storage, I/O, a store's state, an option out of range, a panicked helper) have no position.
///
/// ```
/// let err = tracecode::code::parse("(01)09506000134353").unwrap_err();
/// assert_eq!(err.kind(), tracecode::ErrorKind::CheckDigit);
/// assert_eq!((err.offset(), err.len()), (Some(17), Some(1))); // the last digit is wrong
/// assert_eq!(err.to_string(), "check digit should be 2, found 3 (at byte 17)");
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    /// `(offset, len)` in the input of the failing call; `None` when the fault is not in input bytes.
    position: Option<(usize, usize)>,
    message: Cow<'static, str>,
    /// The failure reported by a dependency or the operating system.
    source: Option<Cause>,
}

/// An underlying cause: shared (`Arc`), so [`Error`] stays `Clone`; boxed inside the `Arc`, so the pointer is thin
/// and `Error` stays at 64 bytes (every `Result` of the crate carries it).
type Cause = Arc<Box<dyn std::error::Error + Send + Sync + 'static>>;

impl Error {
    /// An error of `kind` at `offset..offset + len` of the input, with a human-readable message.
    pub(crate) fn new(kind: ErrorKind, offset: usize, len: usize, message: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, position: Some((offset, len)), message: message.into(), source: None }
    }

    /// An error of `kind` that is not about a position in the input (storage, I/O, a store's state, an option out
    /// of range).
    pub(crate) fn msg(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, position: None, message: message.into(), source: None }
    }

    /// Keeps `cause` (a dependency's or the operating system's error) as [`source`](std::error::Error::source).
    #[must_use]
    pub(crate) fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(Box::new(cause)));
        self
    }

    /// Keeps `other`'s cause as this error's (when this error restates `other`, whose message it already holds).
    #[must_use]
    pub(crate) fn with_source_of(mut self, other: &Self) -> Self {
        self.source.clone_from(&other.source);
        self
    }

    /// The kind of failure.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset of the fault in the input of the failing call; `None` when the fault is not in the input
    /// (storage, I/O, a store's state).
    pub const fn offset(&self) -> Option<usize> {
        match self.position {
            Some((offset, _)) => Some(offset),
            None => None,
        }
    }

    /// Length in bytes of the faulty part (at least 1 where a part can be named, 0 for "missing here"); `None`
    /// exactly when [`offset`](Self::offset) is.
    #[allow(clippy::len_without_is_empty, reason = "len is the fault span, not a container length")]
    pub const fn len(&self) -> Option<usize> {
        match self.position {
            Some((_, len)) => Some(len),
            None => None,
        }
    }

    /// `(offset, len)` of the fault, for code in the crate that moves or maps positions.
    pub(crate) const fn position(&self) -> Option<(usize, usize)> {
        self.position
    }

    /// The message, without position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Moves the fault position by `base` bytes: used when a sub-parser worked on a slice of the input. An error
    /// without a position keeps none.
    #[must_use]
    pub(crate) fn shifted(mut self, base: usize) -> Self {
        if let Some((offset, _)) = &mut self.position {
            *offset = offset.saturating_add(base);
        }
        self
    }

    /// Sets the position (used when mapping a position in normalised input back to the raw input, or when a
    /// caller knows which part of its input a sub-call's error is about).
    #[must_use]
    pub(crate) fn at(mut self, offset: usize, len: usize) -> Self {
        self.position = Some((offset, len));
        self
    }

    /// The same error as another kind (a caller that knows better what a sub-call's fault means).
    #[must_use]
    pub(crate) const fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// True when the fault is in the input's content (as opposed to storage, I/O, arguments or a bug).
    pub const fn is_input(&self) -> bool {
        !matches!(
            self.kind,
            ErrorKind::Io
                | ErrorKind::NoSpace
                | ErrorKind::Locked
                | ErrorKind::NotFound
                | ErrorKind::ReadOnly
                | ErrorKind::Poisoned
                | ErrorKind::Corrupt
                | ErrorKind::Version
                | ErrorKind::InvalidArgument
                | ErrorKind::Panicked
        )
    }
}

/// Equal when kind, position and message are; the underlying cause is not compared (causes from dependencies
/// are rarely comparable, and two errors saying the same thing at the same place are the same to a caller).
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.position == other.position && self.message == other.message
    }
}

impl Eq for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some((offset, len)) = self.position {
            write!(f, " (at byte {offset}")?;
            if len > 1 {
                write!(f, ", {len} bytes")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

// Written out rather than derived: `source()` must return the cause itself (so callers can downcast it to
// `std::io::Error`), not the `Arc` around it.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| &**e as &(dyn std::error::Error + 'static))
    }
}

/// An I/O failure of the caller's own (writing output in an import callback, say), so code outside the crate can
/// report one where a tracecode [`Error`] is expected. A full disk or quota is [`ErrorKind::NoSpace`], a read-only
/// file system [`ErrorKind::ReadOnly`], anything else [`ErrorKind::Io`]; the message is the I/O error's text, the
/// I/O error itself is the `source()`, and there is no position.
///
/// ```
/// use std::error::Error as _;
/// let e = tracecode::Error::from(std::io::Error::other("pipe closed"));
/// assert_eq!((e.kind(), e.offset(), e.to_string()), (tracecode::ErrorKind::Io, None, "pipe closed".to_owned()));
/// assert!(e.source().is_some_and(|c| c.is::<std::io::Error>()));
/// ```
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::msg(io_kind(&e), e.to_string()).with_source(e)
    }
}

/// The kind of an operating-system failure: a full disk or quota is [`ErrorKind::NoSpace`], a read-only file
/// system [`ErrorKind::ReadOnly`], anything else [`ErrorKind::Io`].
pub(crate) fn io_kind(e: &std::io::Error) -> ErrorKind {
    match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => ErrorKind::NoSpace,
        std::io::ErrorKind::ReadOnlyFilesystem => ErrorKind::ReadOnly,
        _ => ErrorKind::Io,
    }
}

/// Shorthand for `Result<T, tracecode::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn an_input_error_prints_its_position() {
        let e = crate::code::parse("(01)09506000134353").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::CheckDigit, Some(17), Some(1)));
        assert!(e.is_input());
        assert_eq!(e.to_string(), format!("{} (at byte 17)", e.message()));
        assert!(e.source().is_none(), "a parse error has no underlying cause");
        // A span longer than one byte names its length.
        let e = Error::new(ErrorKind::Length, 4, 3, "too long");
        assert_eq!(e.to_string(), "too long (at byte 4, 3 bytes)");
        // "Missing here" is a position too: empty input is at byte 0.
        let e = crate::code::parse("").unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Empty, Some(0), Some(0)));
    }

    #[test]
    fn an_error_without_position_prints_just_its_message() {
        let e = Error::msg(ErrorKind::Corrupt, "stored event record is damaged");
        assert_eq!((e.offset(), e.len()), (None, None));
        assert_eq!(e.to_string(), "stored event record is damaged");
        // Moving a position that does not exist leaves none; setting one gives one.
        assert_eq!(e.clone().shifted(5).offset(), None);
        assert_eq!(e.at(2, 1).offset(), Some(2));
    }

    #[test]
    fn the_cause_is_kept_and_not_compared() {
        let io = std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device");
        let e = Error::from(io);
        assert_eq!((e.kind(), e.offset(), e.is_input()), (ErrorKind::NoSpace, None, false));
        // `source()` is the cause itself (downcastable), not a wrapper around it.
        let cause = e.source().and_then(|c| c.downcast_ref::<std::io::Error>()).unwrap();
        assert_eq!(cause.kind(), std::io::ErrorKind::StorageFull);
        // Clones share the cause; equality looks at kind, position and message only.
        assert!(e.clone().source().is_some());
        assert_eq!(e, Error::msg(ErrorKind::NoSpace, "no space left on device"));
        assert_ne!(e, Error::msg(ErrorKind::Io, "no space left on device"));
        let read_only = Error::from(std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem));
        assert_eq!(read_only.kind(), ErrorKind::ReadOnly);
        assert_eq!(Error::from(std::io::Error::other("x")).kind(), ErrorKind::Io);
    }

    #[test]
    fn an_error_stays_small() {
        // Every `Result` of the crate carries an `Error`; `ImportError` holds one and must stay under clippy's
        // `result_large_err` bound.
        assert!(size_of::<Error>() <= 64, "{}", size_of::<Error>());
    }

    #[test]
    fn a_panicked_helper_is_not_an_input_error() {
        let e = Error::msg(ErrorKind::Panicked, "a helper thread panicked");
        assert!(!e.is_input());
        assert_eq!(ErrorKind::Panicked.as_str(), "panicked");
    }
}
