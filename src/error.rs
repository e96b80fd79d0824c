//! The crate's one public error type.
//!
//! Why one opaque type: callers of an embedded engine branch on *what kind* of failure happened and show the
//! *message* to a person; they should not have to match on dozens of per-module enums that would freeze the
//! crate's internals into its API. [`Error`] therefore carries a [`ErrorKind`] (non-exhaustive, stable), the
//! byte offset and length of the fault in the input it was given, and a message written for a person at a
//! scanning station. No `rocksdb::` or `bincode::` type ever appears here.

use std::borrow::Cow;
use std::fmt;

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
    /// The store was opened read-only (or lives on a read-only file system) and the call would write.
    ReadOnly,
    /// The store refuses writes after an earlier failed write; reopen it.
    Poisoned,
    /// A caller-supplied argument or option is invalid.
    InvalidArgument,
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
            Self::ReadOnly => "read_only",
            Self::Poisoned => "poisoned",
            Self::InvalidArgument => "invalid_argument",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tracecode error: kind, position of the fault and a message a person can act on.
///
/// `offset` and `len` are byte positions in the input handed to the failing call (for [`crate::code::parse`]:
/// the original scanner bytes, before any normalisation), so a UI can underline the faulty characters.
///
/// ```
/// let err = tracecode::code::parse("(01)09506000134353").unwrap_err();
/// assert_eq!(err.kind(), tracecode::ErrorKind::CheckDigit);
/// assert_eq!((err.offset(), err.len()), (17, 1)); // the last digit is wrong
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
    len: usize,
    message: Cow<'static, str>,
}

impl Error {
    /// Creates an error of `kind` at `offset..offset + len` with a human-readable message.
    pub fn new(kind: ErrorKind, offset: usize, len: usize, message: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, offset, len, message: message.into() }
    }

    /// The kind of failure.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset of the fault in the input of the failing call.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Length in bytes of the faulty part (at least 1 where a part can be named, 0 for "missing here").
    #[allow(clippy::len_without_is_empty, reason = "len is the fault span, not a container length")]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// The message, without position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Moves the fault position by `base` bytes: used when a sub-parser worked on a slice of the input.
    #[must_use]
    pub fn shifted(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// Replaces the position (used when mapping a position in normalised input back to the raw input).
    #[must_use]
    pub fn at(mut self, offset: usize, len: usize) -> Self {
        self.offset = offset;
        self.len = len;
        self
    }

    /// True when the fault is in the input's content (as opposed to storage, I/O or arguments).
    pub const fn is_input(&self) -> bool {
        !matches!(
            self.kind,
            ErrorKind::Io
                | ErrorKind::NoSpace
                | ErrorKind::Locked
                | ErrorKind::ReadOnly
                | ErrorKind::Poisoned
                | ErrorKind::Corrupt
                | ErrorKind::Version
                | ErrorKind::InvalidArgument
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {}", self.message, self.offset)?;
        if self.len > 1 {
            write!(f, ", {} bytes", self.len)?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Error {}

/// Shorthand for `Result<T, tracecode::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
