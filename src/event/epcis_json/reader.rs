//! The bounded JSON reader behind EPCIS import (RFC 8259 text, read one byte window at a time).
//!
//! A general-purpose JSON parser reads a whole string or number into memory before its caller can look at it, and
//! keeps the last of two members with one name. This reader checks every bound of the parent module while the
//! bytes are consumed, so nothing larger than a bound is ever built:
//! - a string at most [`MAX_STRING`] bytes (decoded), a member name at most [`MAX_URI`] bytes, a number at most
//!   [`MAX_NUMBER`] characters: the read stops at the first byte past the bound;
//! - nesting at most [`MAX_DEPTH`] (the reader recurses once per level);
//! - a value tree at most a caller-given number of values (the importer gives [`MAX_EVENT_VALUES`] per event);
//! - a byte window: past [`Reader::arm`]'s end no byte is consumed (the importer's per-event byte bound).
//!
//! Duplicate member names are never stored: the first duplicate of a tree is recorded with its pointer and byte
//! offset ([`Reader::take_duplicate`]) and the caller decides (an event with one is rejected).
//!
//! Every fault carries a kind ([`ErrorKind::Syntax`] for malformed text, [`ErrorKind::Length`] for a bound,
//! [`ErrorKind::Io`]), the byte offset where the reader noticed it and a JSON pointer to the value being read;
//! messages never quote more than [`show`]'s excerpt of the input.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read};

use super::error::{push_pointer_key, show};
use super::spool::Spool;
use super::{MAX_DEPTH, MAX_EVENT_VALUES, MAX_NUMBER, MAX_STRING};
use crate::ErrorKind;
use crate::event::MAX_URI;

/// Bytes read from the source at a time.
const BUFFER: usize = 64 * 1024;

/// Objects with more members than this find duplicates through a hash set instead of a scan.
const SCAN_MEMBERS: usize = 16;

/// A JSON value with its members in document order (names unique) and its numbers as their exact text: what the
/// bounded reader reads and what [`event_to_json`](super::event_to_json) writes. Neither needs serde_json's
/// `preserve_order` or `arbitrary_precision` features (which would change every `serde_json::Value` of the
/// embedding application): [`Display`](std::fmt::Display) writes compact JSON text with the numbers as written,
/// and `Serialize` writes them exactly through serde_json (`RawValue`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (valid RFC 8259 number syntax).
    Number(Box<str>),
    /// A string, unescaped.
    String(Box<str>),
    /// An array.
    Array(Vec<Json>),
    /// An object: its members in document order, names unique.
    Object(Vec<(Box<str>, Json)>),
}

/// A fault found while reading: its kind, where (byte offset and JSON pointer from the reader's root) and why.
#[derive(Debug)]
pub(crate) struct Fault {
    /// [`ErrorKind::Syntax`], [`ErrorKind::Length`] or [`ErrorKind::Io`].
    pub(crate) kind: ErrorKind,
    /// Byte offset in the input where the fault was noticed.
    pub(crate) offset: u64,
    /// JSON pointer to the value being read (from the reader's root).
    pub(crate) pointer: String,
    /// The reason (quotes of the input are cut by [`show`]).
    pub(crate) message: String,
    /// The armed byte window was exceeded: the caller names what was too large.
    pub(crate) window: bool,
    /// The source's error, for an [`ErrorKind::Io`] fault (kept as the reported error's `source()`).
    pub(crate) cause: Option<io::Error>,
}

/// The first duplicate member name of a tree: pointer to the second occurrence (from the tree's root), its byte
/// offset and the name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Duplicate {
    /// JSON pointer to the second occurrence, relative to the tree read.
    pub(crate) pointer: String,
    /// Byte offset of the second occurrence's name.
    pub(crate) offset: u64,
    /// The name, quoted for a message.
    pub(crate) name: String,
}

/// One step of the pointer to the value being read.
#[derive(Clone, Debug)]
enum Seg {
    Key(Box<str>),
    Index(usize),
}

/// Finds duplicate member names in one object: a scan while it is small, a set of name hashes (confirmed by a scan
/// on a hit) once it is large, so a hostile object with many members costs linear time.
#[derive(Default)]
pub(crate) struct Names {
    hashes: Option<HashSet<u64>>,
}

impl Names {
    /// Whether `key` is among `seen`, the names before it; then remembers it. `seen` must hold every name passed to
    /// earlier calls, in order.
    pub(crate) fn repeat<'a>(
        &mut self,
        hasher: &RandomState,
        mut seen: impl Iterator<Item = &'a str> + Clone,
        count: usize,
        key: &str,
    ) -> bool {
        if count < SCAN_MEMBERS {
            return seen.any(|k| k == key);
        }
        let set = self.hashes.get_or_insert_with(|| seen.clone().map(|k| hasher.hash_one(k)).collect());
        if set.insert(hasher.hash_one(key)) {
            return false;
        }
        seen.any(|k| k == key)
    }
}

/// The bounded pull reader over any [`Read`].
pub(crate) struct Reader<R> {
    src: R,
    buf: Vec<u8>,
    /// Next byte to consume.
    pos: usize,
    /// Bytes in `buf`.
    len: usize,
    /// Bytes of `buf` inside the window (`pos < lim` means the next byte may be consumed).
    lim: usize,
    /// Offset in the input of `buf[0]`.
    base: u64,
    /// Offset past which no byte may be consumed (`u64::MAX`: no window).
    end: u64,
    eof: bool,
    /// The text of the last string, name or number read.
    scratch: Vec<u8>,
    /// Pointer to the value being read.
    path: Vec<Seg>,
    /// Values the tree being read may still hold.
    budget: usize,
    /// Path depth of the tree being read (duplicate pointers are relative to it).
    rel: usize,
    dup: Option<Duplicate>,
    /// Offset of the last member name read.
    name_at: u64,
    hasher: RandomState,
    /// Consumed bytes being copied ([`Reader::begin_capture`]): the spool and the first byte of `buf` not yet
    /// copied to it.
    capture: Option<(Spool, usize)>,
}

impl<R: Read> Reader<R> {
    /// A reader of `src`, buffering at most `buffer` bytes (64 KiB when 0).
    pub(crate) fn new(src: R, buffer: usize) -> Self {
        let size = if buffer == 0 { BUFFER } else { buffer.min(BUFFER) };
        Self {
            src,
            buf: vec![0; size],
            pos: 0,
            len: 0,
            lim: 0,
            base: 0,
            end: u64::MAX,
            eof: false,
            scratch: Vec::new(),
            path: Vec::new(),
            budget: MAX_EVENT_VALUES,
            rel: 0,
            dup: None,
            name_at: 0,
            hasher: RandomState::new(),
            capture: None,
        }
    }

    /// A reader of `src` whose first byte is at offset `base` of a larger input (offsets in faults count from
    /// that input's start).
    pub(crate) fn at(src: R, base: u64) -> Self {
        Self { base, ..Self::new(src, 0) }
    }

    /// Starts copying every byte consumed from here on into `spool` (see [`Reader::end_capture`]).
    pub(crate) fn begin_capture(&mut self, spool: Spool) {
        self.capture = Some((spool, self.pos));
    }

    /// Stops copying; the spool then holds exactly the bytes consumed since [`Reader::begin_capture`].
    ///
    /// # Errors
    /// An I/O fault writing the spool.
    pub(crate) fn end_capture(&mut self) -> Result<Option<Spool>, Fault> {
        let Some((mut spool, from)) = self.capture.take() else { return Ok(None) };
        let copied = self.buf.get(from..self.pos).unwrap_or_default();
        spool.write(copied).map_err(|e| self.io_fault(e, "cannot hold epcisBody for a second reading"))?;
        Ok(Some(spool))
    }

    fn io_fault(&self, e: io::Error, what: &str) -> Fault {
        let at = self.offset();
        let message = format!("{what}: {e}");
        Fault { cause: Some(e), ..self.fault_at(ErrorKind::Io, at, message) }
    }

    /// Offset in the input of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(u64::try_from(self.pos).unwrap_or(u64::MAX))
    }

    /// Allows at most `n` more bytes to be consumed; past them a read fails with a window fault.
    pub(crate) fn arm(&mut self, n: u64) {
        self.end = self.offset().saturating_add(n);
        self.set_lim();
    }

    /// Lifts the byte window.
    pub(crate) fn disarm(&mut self) {
        self.end = u64::MAX;
        self.set_lim();
    }

    fn set_lim(&mut self) {
        let room = self.end.saturating_sub(self.base);
        self.lim = usize::try_from(room).map_or(self.len, |r| r.min(self.len));
    }

    /// Starts a value tree that may hold at most `values` values; forgets any earlier duplicate.
    pub(crate) fn begin_tree(&mut self, values: usize) {
        self.budget = values;
        self.rel = self.path.len();
        self.dup = None;
    }

    /// The first duplicate member name of the tree read since [`Reader::begin_tree`].
    pub(crate) fn take_duplicate(&mut self) -> Option<Duplicate> {
        self.dup.take()
    }

    /// Offset of the last member name read (its opening quote).
    pub(crate) const fn name_at(&self) -> u64 {
        self.name_at
    }

    /// Values the current tree may still hold.
    pub(crate) const fn budget(&self) -> usize {
        self.budget
    }

    // --- pointers -----------------------------------------------------------------------------------------------

    /// Enters member `key` of the object being read.
    pub(crate) fn push_key(&mut self, key: Box<str>) {
        self.path.push(Seg::Key(key));
    }

    /// Enters element `i` of the array being read.
    pub(crate) fn push_index(&mut self, i: usize) {
        self.path.push(Seg::Index(i));
    }

    /// Moves to element `i` of the array entered last.
    pub(crate) fn set_index(&mut self, i: usize) {
        if let Some(Seg::Index(x)) = self.path.last_mut() {
            *x = i;
        }
    }

    /// Leaves the member or element entered last, giving back a member's name.
    pub(crate) fn pop(&mut self) -> Option<Box<str>> {
        match self.path.pop() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The pointer from the reader's root to the value being read.
    pub(crate) fn pointer(&self) -> String {
        self.pointer_from(0)
    }

    fn pointer_from(&self, depth: usize) -> String {
        let mut s = String::new();
        for seg in self.path.iter().skip(depth) {
            match seg {
                Seg::Key(k) => push_pointer_key(&mut s, k),
                Seg::Index(i) => {
                    s.push('/');
                    s.push_str(&i.to_string());
                }
            }
        }
        s
    }

    // --- faults -------------------------------------------------------------------------------------------------

    /// A fault of `kind` noticed at `offset`, at the current pointer.
    pub(crate) fn fault_at(&self, kind: ErrorKind, offset: u64, message: impl Into<String>) -> Fault {
        Fault { kind, offset, pointer: self.pointer(), message: message.into(), window: false, cause: None }
    }

    fn syntax(&self, message: impl std::fmt::Display) -> Fault {
        let at = self.offset();
        self.fault_at(ErrorKind::Syntax, at, format!("malformed JSON at byte {at}: {message}"))
    }

    fn too_long(&self, at: u64, what: &str, max: usize, unit: &str) -> Fault {
        self.fault_at(ErrorKind::Length, at, format!("{what} is longer than {max} {unit} (at byte {at})"))
    }

    fn window(&self) -> Fault {
        let at = self.offset();
        Fault { window: true, ..self.fault_at(ErrorKind::Length, at, format!("size bound reached at byte {at}")) }
    }

    /// What a byte starts, for "found …" in a message.
    fn found(b: Option<u8>) -> String {
        match b {
            None => "the end of the input".to_owned(),
            Some(b'"') => "a string".to_owned(),
            Some(b'{') => "an object".to_owned(),
            Some(b'[') => "an array".to_owned(),
            Some(b'-' | b'0'..=b'9') => "a number".to_owned(),
            Some(b) if b.is_ascii_graphic() => format!("{:?}", char::from(b)),
            Some(b) => format!("byte 0x{b:02x}"),
        }
    }

    // --- bytes --------------------------------------------------------------------------------------------------

    /// The next byte without consuming it (`None` at the end of the input).
    ///
    /// # Errors
    /// A window fault when the next byte lies past the armed window; an I/O fault.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, Fault> {
        if self.pos < self.lim {
            return Ok(self.buf.get(self.pos).copied());
        }
        self.refill()
    }

    fn refill(&mut self) -> Result<Option<u8>, Fault> {
        if self.pos < self.len {
            return Err(self.window());
        }
        if self.eof {
            return Ok(None);
        }
        // The buffer is about to be overwritten: what a capture has not copied yet goes to its spool first.
        if let Some((spool, from)) = &mut self.capture {
            let rest = self.buf.get(*from..self.len).unwrap_or_default();
            if let Err(e) = spool.write(rest) {
                return Err(self.io_fault(e, "cannot hold epcisBody for a second reading"));
            }
            *from = 0;
        }
        self.base = self.base.saturating_add(u64::try_from(self.len).unwrap_or(u64::MAX));
        self.pos = 0;
        self.len = 0;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.set_lim();
                    return Ok(None);
                }
                Ok(n) => {
                    self.len = n.min(self.buf.len());
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_fault(e, "cannot read the document")),
            }
        }
        self.set_lim();
        if self.pos < self.lim { Ok(self.buf.get(self.pos).copied()) } else { Err(self.window()) }
    }

    /// Consumes one byte (after a successful [`Reader::peek`]).
    fn bump(&mut self) {
        self.pos += 1;
    }

    fn next(&mut self) -> Result<Option<u8>, Fault> {
        let b = self.peek()?;
        if b.is_some() {
            self.bump();
        }
        Ok(b)
    }

    /// Skips whitespace; the next byte, not consumed.
    ///
    /// # Errors
    /// As [`Reader::peek`].
    pub(crate) fn ws(&mut self) -> Result<Option<u8>, Fault> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    // --- tokens -------------------------------------------------------------------------------------------------

    /// Reads a string after its opening quote into `scratch`: at most `max` bytes of text, `what` naming it in
    /// the fault. The text is checked to be UTF-8.
    fn string_body(&mut self, start: u64, max: usize, what: &str) -> Result<(), Fault> {
        self.scratch.clear();
        loop {
            if self.pos >= self.lim && self.refill()?.is_none() {
                return Err(self.syntax("unterminated string"));
            }
            let chunk = self.buf.get(self.pos..self.lim).unwrap_or_default();
            let n = chunk.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(chunk.len());
            if self.scratch.len().saturating_add(n) > max {
                return Err(self.too_long(start, what, max, "bytes"));
            }
            self.scratch.extend_from_slice(chunk.get(..n).unwrap_or_default());
            let stop = chunk.get(n).copied();
            self.pos += n;
            match stop {
                None => {}
                Some(b'"') => {
                    self.bump();
                    break;
                }
                Some(b'\\') => {
                    self.bump();
                    self.escape()?;
                    if self.scratch.len() > max {
                        return Err(self.too_long(start, what, max, "bytes"));
                    }
                }
                Some(b) => return Err(self.syntax(format!("control character 0x{b:02x} in a string"))),
            }
        }
        if std::str::from_utf8(&self.scratch).is_err() {
            return Err(self.syntax("a string is not valid UTF-8"));
        }
        Ok(())
    }

    fn escape(&mut self) -> Result<(), Fault> {
        let c = match self.next()? {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if self.next()? != Some(b'\\') || self.next()? != Some(b'u') {
                        return Err(self.syntax("a leading surrogate escape is not followed by a trailing one"));
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.syntax("a leading surrogate escape is not followed by a trailing one"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(self.syntax("a lone trailing surrogate escape"));
                } else {
                    hi
                };
                char::from_u32(code).ok_or_else(|| self.syntax("an escape that is not a character"))?
            }
            other => return Err(self.syntax(format!("invalid escape, found {}", Self::found(other)))),
        };
        let mut utf8 = [0u8; 4];
        self.scratch.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Fault> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self.next()?.and_then(|b| char::from(b).to_digit(16));
            let Some(d) = d else { return Err(self.syntax("a \\u escape needs four hex digits")) };
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// The text read last (a string, name or number), checked UTF-8.
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.scratch).unwrap_or_default()
    }

    /// Reads a number into `scratch` (RFC 8259 syntax, at most [`MAX_NUMBER`] characters).
    fn number(&mut self) -> Result<(), Fault> {
        let start = self.offset();
        self.scratch.clear();
        if self.peek()? == Some(b'-') {
            self.push_number_byte(start, b'-')?;
        }
        match self.peek()? {
            Some(b'0') => self.push_number_byte(start, b'0')?,
            Some(b @ b'1'..=b'9') => {
                self.push_number_byte(start, b)?;
                while let Some(b @ b'0'..=b'9') = self.peek()? {
                    self.push_number_byte(start, b)?;
                }
            }
            other => return Err(self.syntax(format!("a number needs a digit, found {}", Self::found(other)))),
        }
        if self.peek()? == Some(b'.') {
            self.push_number_byte(start, b'.')?;
            let mut digits = 0;
            while let Some(b @ b'0'..=b'9') = self.peek()? {
                self.push_number_byte(start, b)?;
                digits += 1;
            }
            if digits == 0 {
                return Err(self.syntax("a number needs a digit after the decimal point"));
            }
        }
        if let Some(e @ (b'e' | b'E')) = self.peek()? {
            self.push_number_byte(start, e)?;
            if let Some(s @ (b'+' | b'-')) = self.peek()? {
                self.push_number_byte(start, s)?;
            }
            let mut digits = 0;
            while let Some(b @ b'0'..=b'9') = self.peek()? {
                self.push_number_byte(start, b)?;
                digits += 1;
            }
            if digits == 0 {
                return Err(self.syntax("a number needs a digit in its exponent"));
            }
        }
        Ok(())
    }

    fn push_number_byte(&mut self, start: u64, b: u8) -> Result<(), Fault> {
        if self.scratch.len() >= MAX_NUMBER {
            return Err(self.too_long(start, "a number", MAX_NUMBER, "characters"));
        }
        self.scratch.push(b);
        self.bump();
        Ok(())
    }

    fn literal(&mut self, word: &'static str) -> Result<(), Fault> {
        for want in word.bytes() {
            if self.next()? != Some(want) {
                return Err(self.syntax(format!("expected {word}")));
            }
        }
        Ok(())
    }

    // --- structure ----------------------------------------------------------------------------------------------

    /// Consumes `{` or `[` (`open`), checking the nesting bound.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] when the next token is something else; [`ErrorKind::Length`] past [`MAX_DEPTH`].
    pub(crate) fn open(&mut self, open: u8, what: &str) -> Result<(), Fault> {
        let b = self.ws()?;
        if b != Some(open) {
            let at = self.offset();
            return Err(self.fault_at(
                ErrorKind::Syntax,
                at,
                format!("{what} (at byte {at}), found {}", Self::found(b)),
            ));
        }
        if self.path.len() >= MAX_DEPTH {
            let at = self.offset();
            return Err(self.fault_at(
                ErrorKind::Length,
                at,
                format!("JSON is nested deeper than {MAX_DEPTH} levels (at byte {at})"),
            ));
        }
        self.bump();
        Ok(())
    }

    /// The next member of an object opened with [`Reader::open`]: consumes `,` or the closing `}`, then the name
    /// (left in [`Reader::text`]) and `:`. `false` at the end of the object. `first` is true before the first
    /// member and is cleared.
    ///
    /// # Errors
    /// Malformed JSON; a name longer than [`MAX_URI`].
    pub(crate) fn next_member(&mut self, first: &mut bool) -> Result<bool, Fault> {
        let mut b = self.ws()?;
        if *first {
            *first = false;
            if b == Some(b'}') {
                self.bump();
                return Ok(false);
            }
        } else {
            match b {
                Some(b',') => {
                    self.bump();
                    b = self.ws()?;
                }
                Some(b'}') => {
                    self.bump();
                    return Ok(false);
                }
                other => return Err(self.syntax(format!("expected ',' or '}}', found {}", Self::found(other)))),
            }
        }
        if b != Some(b'"') {
            return Err(self.syntax(format!("expected a member name, found {}", Self::found(b))));
        }
        self.name_at = self.offset();
        self.bump();
        self.string_body(self.name_at, MAX_URI, "a member name")?;
        match self.ws()? {
            Some(b':') => self.bump(),
            other => return Err(self.syntax(format!("expected ':' after a member name, found {}", Self::found(other)))),
        }
        Ok(true)
    }

    /// The next element of an array opened with [`Reader::open`]: consumes `,` or the closing `]`. `false` at the
    /// end of the array.
    ///
    /// # Errors
    /// Malformed JSON.
    pub(crate) fn next_element(&mut self, first: &mut bool) -> Result<bool, Fault> {
        let b = self.ws()?;
        if *first {
            *first = false;
            if b == Some(b']') {
                self.bump();
                return Ok(false);
            }
            return Ok(true);
        }
        match b {
            Some(b',') => {
                self.bump();
                Ok(true)
            }
            Some(b']') => {
                self.bump();
                Ok(false)
            }
            other => Err(self.syntax(format!("expected ',' or ']', found {}", Self::found(other)))),
        }
    }

    /// Reads one value into a tree, counting it and every value inside against the budget.
    ///
    /// # Errors
    /// Malformed JSON; [`ErrorKind::Length`] for a bound; a window fault; I/O.
    pub(crate) fn value(&mut self) -> Result<Json, Fault> {
        if self.budget == 0 {
            let at = self.offset();
            return Err(self.fault_at(
                ErrorKind::Length,
                at,
                format!("more than {MAX_EVENT_VALUES} JSON values in one event (at byte {at})"),
            ));
        }
        self.budget -= 1;
        let b = self.ws()?;
        match b {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let start = self.offset();
                self.bump();
                self.string_body(start, MAX_STRING, "a string")?;
                Ok(Json::String(self.text().into()))
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                Ok(Json::Number(self.text().into()))
            }
            Some(b't') => self.literal("true").map(|()| Json::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Json::Bool(false)),
            Some(b'n') => self.literal("null").map(|()| Json::Null),
            other => Err(self.syntax(format!("expected a value, found {}", Self::found(other)))),
        }
    }

    fn object(&mut self) -> Result<Json, Fault> {
        self.open(b'{', "expected an object")?;
        let mut members: Vec<(Box<str>, Json)> = Vec::new();
        let mut names = Names::default();
        let mut first = true;
        loop {
            if !self.next_member(&mut first)? {
                break;
            }
            let key: Box<str> = self.text().into();
            let repeat = names.repeat(&self.hasher, members.iter().map(|(k, _)| &**k), members.len(), &key);
            let name = (repeat && self.dup.is_none()).then(|| show(&key));
            self.path.push(Seg::Key(key));
            if let Some(name) = name {
                let pointer = self.pointer_from(self.rel);
                self.dup = Some(Duplicate { pointer, offset: self.name_at, name });
            }
            let v = self.value()?;
            let key = self.pop().unwrap_or_default();
            if !repeat {
                members.push((key, v));
            }
        }
        Ok(Json::Object(members))
    }

    fn array(&mut self) -> Result<Json, Fault> {
        self.open(b'[', "expected an array")?;
        let mut items = Vec::new();
        let mut first = true;
        self.path.push(Seg::Index(0));
        while self.next_element(&mut first)? {
            self.set_index(items.len());
            items.push(self.value()?);
        }
        self.path.pop();
        Ok(Json::Array(items))
    }

    /// Reads past one value without keeping it (the same syntax and token bounds as [`Reader::value`], no value
    /// budget: nothing is stored).
    ///
    /// # Errors
    /// As [`Reader::value`].
    pub(crate) fn skip(&mut self) -> Result<(), Fault> {
        match self.ws()? {
            Some(b'{') => {
                self.open(b'{', "expected an object")?;
                let mut first = true;
                while self.next_member(&mut first)? {
                    let key: Box<str> = self.text().into();
                    self.path.push(Seg::Key(key));
                    self.skip()?;
                    self.path.pop();
                }
                Ok(())
            }
            Some(b'[') => {
                self.open(b'[', "expected an array")?;
                let mut first = true;
                let mut i = 0;
                self.path.push(Seg::Index(0));
                while self.next_element(&mut first)? {
                    self.set_index(i);
                    self.skip()?;
                    i += 1;
                }
                self.path.pop();
                Ok(())
            }
            Some(b'"') => {
                let start = self.offset();
                self.bump();
                self.string_body(start, MAX_STRING, "a string")
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            other => Err(self.syntax(format!("expected a value, found {}", Self::found(other)))),
        }
    }

    /// After the top-level value: only whitespace may follow.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for anything else.
    pub(crate) fn end(&mut self) -> Result<(), Fault> {
        match self.ws()? {
            None => Ok(()),
            Some(b) => Err(self.syntax(format!("{} after the end of the JSON value", Self::found(Some(b))))),
        }
    }
}

/// Reads one whole JSON text from `bytes` as a tree (at most `values` values and `max_bytes` bytes), with the
/// first duplicate member name it held. For single-event parsing and the fuzz oracle.
///
/// # Errors
/// A [`Fault`]: malformed JSON, a bound, trailing text.
pub(crate) fn read_slice(bytes: &[u8], values: usize, max_bytes: u64) -> Result<(Json, Option<Duplicate>), Fault> {
    let mut rd = Reader::new(bytes, bytes.len().saturating_add(1));
    rd.arm(max_bytes);
    rd.begin_tree(values);
    let v = rd.value()?;
    rd.end()?;
    Ok((v, rd.take_duplicate()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<(Json, Option<Duplicate>), Fault> {
        read_slice(s.as_bytes(), MAX_EVENT_VALUES, u64::MAX)
    }

    /// Yields `head`, then `fill` bytes forever, counting what was read.
    struct Endless {
        head: &'static [u8],
        fill: u8,
        read: u64,
    }

    impl Read for Endless {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len();
            for (i, b) in out.iter_mut().enumerate() {
                *b = self.head.get(usize::try_from(self.read).unwrap_or(usize::MAX) + i).copied().unwrap_or(self.fill);
            }
            self.read += n as u64;
            Ok(n)
        }
    }

    #[test]
    fn values_and_text() {
        let (v, dup) =
            read(r#" {"a": [1, -2.5e+3, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"], "b": {}} "#)
                .unwrap();
        assert!(dup.is_none());
        let Json::Object(m) = v else { panic!("object") };
        assert_eq!(&*m[0].0, "a");
        let Json::Array(a) = &m[0].1 else { panic!("array") };
        assert_eq!(a[1], Json::Number("-2.5e+3".into()));
        assert_eq!(a[5], Json::String("x\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}".into()));
        assert_eq!(m[1], ("b".into(), Json::Object(Vec::new())));
    }

    #[test]
    fn malformed_is_syntax_with_offset() {
        for (bad, at) in [
            ("", 0),
            ("{", 1),
            ("{\"a\" 1}", 5),
            ("{\"a\":1,}", 7),
            ("[1,]", 3),
            ("[1 2]", 3),
            ("01", 1),
            ("1.", 2),
            ("-", 1),
            ("1e", 2),
            ("tru", 3),
            ("\"a\u{1}\"", 2),
            ("\"\\x\"", 3),
            ("\"\\ud800\"", 8),
            ("\"\\udc00\"", 7),
            ("\"abc", 4),
            ("[] x", 3),
        ] {
            let e = read(bad).unwrap_err();
            assert_eq!((e.kind, e.offset), (ErrorKind::Syntax, at), "{bad:?}: {}", e.message);
        }
        let e = read_slice(b"\"\xff\"", 10, u64::MAX).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
    }

    #[test]
    fn duplicates_are_recorded_not_stored() {
        let (v, dup) = read(r#"{"a": 1, "b": {"c": 1, "c": [2]}, "a": 3}"#).unwrap();
        let dup = dup.unwrap();
        assert_eq!((dup.pointer.as_str(), dup.offset, dup.name.as_str()), ("/b/c", 23, "\"c\""));
        assert_eq!(v, read(r#"{"a": 1, "b": {"c": 1}}"#).unwrap().0);
        // Large objects go through the hash set.
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k57\": 0}}", many.join(", "));
        assert_eq!(read(&text).unwrap().1.unwrap().pointer, "/k57");
        assert!(read(&format!("{{{}}}", many.join(", "))).unwrap().1.is_none());
    }

    #[test]
    fn bounds_stop_the_read() {
        let long = format!("[\"{}\"]", "a".repeat(MAX_STRING + 1));
        let e = read(&long).unwrap_err();
        assert_eq!((e.kind, e.pointer.as_str(), e.offset), (ErrorKind::Length, "/0", 1));
        assert!(read(&format!("[\"{}\"]", "a".repeat(MAX_STRING))).is_ok());
        // Escapes count as what they decode to.
        assert!(read(&format!("\"{}\"", "\\n".repeat(MAX_STRING))).is_ok());
        let e = read(&format!("{{\"{}\": 1}}", "k".repeat(MAX_URI + 1))).unwrap_err();
        assert_eq!((e.kind, e.pointer.as_str()), (ErrorKind::Length, ""));
        let e = read(&format!("[1, {}]", "9".repeat(MAX_NUMBER + 1))).unwrap_err();
        assert_eq!((e.kind, e.pointer.as_str(), e.offset), (ErrorKind::Length, "/1", 4));
        assert!(read(&"9".repeat(MAX_NUMBER)).is_ok());
        let e = read(&format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Length);
        assert!(read(&format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH))).is_ok());
        let e = read_slice(b"[1, 2, [3]]", 3, u64::MAX).unwrap_err();
        assert_eq!((e.kind, e.pointer.as_str()), (ErrorKind::Length, "/2"));
        let e = read_slice(b"[1, 2, [3]]", 4, u64::MAX).unwrap_err();
        assert_eq!(e.pointer, "/2/0");
        assert!(read_slice(b"[1, 2, [3]]", 5, u64::MAX).is_ok(), "five values");
        let e = read_slice(b"[1, 2, 3]", 10, 5).unwrap_err();
        assert!(e.window && e.kind == ErrorKind::Length && e.offset == 5, "{e:?}");
        assert!(read_slice(b"[1, 2]", 10, 6).is_ok(), "a window ending with the input is not exceeded");
    }

    #[test]
    fn an_endless_string_fails_after_the_bound() {
        let mut rd = Reader::new(Endless { head: b"\"", fill: b'a', read: 0 }, 0);
        let e = rd.value().unwrap_err();
        assert_eq!(e.kind, ErrorKind::Length);
        assert!(e.message.len() < 100, "{}", e.message);
        let read = rd.src.read;
        assert!(read <= (MAX_STRING + 2 * BUFFER) as u64, "read {read} bytes");
        // The skipper is bounded the same way.
        let mut rd = Reader::new(Endless { head: b"[1, \"", fill: b'b', read: 0 }, 0);
        assert_eq!(rd.skip().unwrap_err().kind, ErrorKind::Length);
        let mut rd = Reader::new(Endless { head: b"-", fill: b'7', read: 0 }, 0);
        assert_eq!(rd.value().unwrap_err().kind, ErrorKind::Length);
    }
}
