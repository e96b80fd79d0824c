//! Decoding: a strict reader of the pinned bincode layout, straight into the event.
//!
//! bincode 1.3's own deserializer accepts non-minimal integers (5 written as FB 05 00), so with it a frame would
//! need a second serialisation pass to prove it canonical, and its serde path builds the wire structures before
//! the event. The reader below reads the same bytes, rejects every non-canonical form as it goes, and allocates
//! only what the event holds. The round-trip tests and the fuzz oracle (decode, then re-encode with bincode: the
//! bytes must be identical) keep the two in step.

use std::borrow::Cow;
use std::cell::Cell;

use super::dictionary::Dictionary;
use super::encoder::id_len;
use super::header::{Header, checked, checked_crc};
use super::time::{NS_PER_MS, join_time};
use super::vocab::Vocab;
use super::wire::Ms48;
use super::{MAX_EXT_DEPTH, MAX_LIST, MAX_RESOLVED, MAX_SENSOR_REPORTS, MAX_TEXT};
use crate::code::TraceKey;
use crate::event::{
    Action, BizStep, BizTransaction, Decimal, Disposition, ErrorDeclaration, Event, EventType, ExtValue, Extension, Id,
    MAX_URI, Namespace, PersistentDisposition, Place, Quantity, SensorElement, SensorMetadata, SensorReport,
    SourceDest, Timestamp, TzOffset,
};
use crate::{Error, ErrorKind};

/// Largest up-front reservation for a decoded list, in bytes: longer lists grow as their elements are read, so
/// memory follows the bytes actually present rather than a declared count.
const MAX_PREALLOC: usize = 64 * 1024;

/// A vector for `n` declared elements, reserving at most [`MAX_PREALLOC`] bytes.
fn reserve<T>(n: usize) -> Vec<T> {
    Vec::with_capacity(n.min(MAX_PREALLOC / size_of::<T>().max(1)))
}

/// Decodes one self-contained frame (exactly `bytes`, nothing after it).
///
/// # Errors
/// - [`ErrorKind::Corrupt`]: bad magic (offset 0), unknown kind byte (offset 3), non-minimal length
///   (offset 4), checksum mismatch (offset of the CRC), or a payload that does not decode or is not in canonical
///   form (offset and length of the payload).
/// - [`ErrorKind::Version`]: a format version other than [`VERSION`] (offset 2).
/// - [`ErrorKind::Length`]: truncated (offset 4, the length field; or the end of the input inside the header),
///   oversized (offset 4), or bytes after the frame (offset of the first extra byte).
/// - [`ErrorKind::InvalidArgument`]: an interned frame (use [`decode_interned`]).
///
/// ```
/// use tracecode::event::{frame, Event, EventType, Timestamp, TzOffset};
/// use tracecode::ErrorKind;
/// let mut bytes = frame::encode(&Event::new(EventType::Object, Timestamp(0), TzOffset::UTC))?;
/// bytes[2] = 9;
/// let err = frame::decode(&bytes).unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (ErrorKind::Version, Some(2)));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// [`VERSION`]: super::VERSION
pub fn decode(bytes: &[u8]) -> Result<Event, Error> {
    let (h, payload) = checked(bytes)?;
    if h.interned {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            3,
            1,
            "this frame holds dictionary references: decode it with decode_interned and the dictionary it was \
             written with",
        ));
    }
    decode_with(&h, payload, &SelfDec)
}

/// Decodes a self-contained frame read back from the store, whose record checksum (CRC-32 over key and value,
/// checked by the caller) already covers these bytes: the frame's own CRC is not computed again, and
/// identifier keys are taken as stored instead of being re-validated field by field (they were validated when
/// the event was built, and the two checksums rule out accidental damage). The structure is still checked in
/// full: a damaged or hostile frame is an error, never a panic.
#[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "used by the RocksDB store"))]
pub(crate) fn decode_stored(bytes: &[u8]) -> Result<Event, Error> {
    let (h, payload) = checked_crc(bytes, false)?;
    if h.interned {
        return Err(Error::new(ErrorKind::Corrupt, 3, 1, "stored frames are self-contained"));
    }
    decode_with(&h, payload, &StoredDec)
}

/// Decodes one frame of either form; references are resolved through `dict`.
///
/// # Errors
/// As [`decode`]; a reference that `dict` cannot resolve (or that resolves to a key where a name belongs) is
/// [`ErrorKind::Corrupt`] at the payload.
pub fn decode_interned(bytes: &[u8], dict: &dyn Dictionary) -> Result<Event, Error> {
    let (h, payload) = checked(bytes)?;
    if h.interned {
        decode_with(&h, payload, &InternDec { dict, resolved: Cell::new(0) })
    } else {
        decode_with(&h, payload, &SelfDec)
    }
}

/// What the payload reader reports; the caller adds the position.
pub(super) type Bad = Cow<'static, str>;

/// The bytes not read yet, and where the value read last began (counted as bytes remaining, like `rest.len()`),
/// so a fault found after reading a value is reported at that value.
struct Reader<'a> {
    rest: &'a [u8],
    mark: usize,
}

impl<'a> Reader<'a> {
    const fn new(rest: &'a [u8]) -> Self {
        Self { rest, mark: rest.len() }
    }

    /// Marks the start of a value.
    const fn at(&mut self) -> &mut Self {
        self.mark = self.rest.len();
        self
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        let (head, rest) = self.rest.split_at_checked(n).ok_or("payload ends inside a value")?;
        self.rest = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        let (head, rest) = self.rest.split_first_chunk::<N>().ok_or("payload ends inside a value")?;
        self.rest = rest;
        Ok(*head)
    }

    fn byte(&mut self) -> Result<u8, Bad> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u8, Bad> {
        self.at().byte()
    }

    fn i8(&mut self) -> Result<i8, Bad> {
        Ok(i8::from_le_bytes(self.at().array::<1>()?))
    }

    fn bool(&mut self) -> Result<bool, Bad> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("invalid boolean byte {b}").into()),
        }
    }

    /// bincode's varint: one byte below 251, else a marker (251/252/253) and a 2/4/8-byte little-endian value,
    /// which must not fit the shorter form.
    fn varint(&mut self) -> Result<u64, Bad> {
        let (v, min) = match self.byte()? {
            b @ 0..=250 => return Ok(u64::from(b)),
            251 => (u64::from(u16::from_le_bytes(self.array()?)), 251),
            252 => (u64::from(u32::from_le_bytes(self.array()?)), 1 << 16),
            253 => (u64::from_le_bytes(self.array()?), 1 << 32),
            b => return Err(format!("invalid integer marker {b}").into()),
        };
        if v < min { Err("integer is not minimally encoded".into()) } else { Ok(v) }
    }

    fn u32(&mut self) -> Result<u32, Bad> {
        u32::try_from(self.at().varint()?).map_err(|_| "integer does not fit 32 bits".into())
    }

    /// An enum variant index.
    fn tag(&mut self) -> Result<u32, Bad> {
        self.u32()
    }

    /// A zigzag varint.
    fn i16(&mut self) -> Result<i16, Bad> {
        let z = self.at().varint()?;
        let half = i64::try_from(z >> 1).unwrap_or(i64::MAX);
        let v = if z & 1 == 0 { half } else { !half };
        i16::try_from(v).map_err(|_| "integer does not fit 16 bits".into())
    }

    /// A length prefix: checked against the bytes left (every element takes at least one) before anything is
    /// reserved.
    fn count(&mut self) -> Result<usize, Bad> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.rest.len() && n <= MAX_LIST)
            .ok_or_else(|| format!("a length of {n} exceeds what the payload holds").into())
    }

    fn bytes(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.at().count()?;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'a str, Bad> {
        std::str::from_utf8(self.bytes()?).map_err(|_| "text is not UTF-8".into())
    }

    fn text(&mut self) -> Result<Box<str>, Bad> {
        text_in(self.str()?)
    }

    fn decimal(&mut self) -> Result<Decimal, Bad> {
        let s = self.str()?;
        let d = Decimal::parse(s).map_err(|e| format!("bad decimal {s:?}: {}", e.message()))?;
        if d.as_str() == s { Ok(d) } else { Err(format!("decimal {s:?} is not in canonical form").into()) }
    }

    fn ms48(&mut self) -> Result<Ms48, Bad> {
        self.at().array().map(Ms48)
    }

    /// A timestamp written as `Ms48` and a sub-millisecond varint (inside sensors and error declarations).
    fn time(&mut self) -> Result<Timestamp, Bad> {
        let start = self.rest.len();
        let ms = self.ms48()?;
        let sub = self.u32()?;
        self.mark = start;
        join_time(ms, sub)
    }

    /// A [`Ref`](super::wire::Ref): unsigned LEB128, minimal, at most 32 bits.
    fn leb(&mut self) -> Result<u32, Bad> {
        let mut v = 0u32;
        self.at();
        for i in 0..5 {
            let b = self.byte()?;
            if i == 4 && b > 0x0F {
                return Err("dictionary reference does not fit 32 bits".into());
            }
            v |= u32::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err("dictionary reference is not minimally encoded".into());
                }
                return Ok(v);
            }
        }
        Err("dictionary reference is longer than 5 bytes".into())
    }

    fn list<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T, Bad>) -> Result<Vec<T>, Bad> {
        let n = self.at().count()?;
        let mut v = reserve(n);
        for _ in 0..n {
            v.push(f(self)?);
        }
        Ok(v)
    }

    /// A list field of the event: written only when non-empty.
    fn nonempty<T>(&mut self, what: &str, f: impl FnMut(&mut Self) -> Result<T, Bad>) -> Result<Vec<T>, Bad> {
        let start = self.rest.len();
        let v = self.list(f)?;
        if v.is_empty() {
            self.mark = start;
            return Err(format!("{what} is written but empty (empty lists are omitted)").into());
        }
        Ok(v)
    }
}

fn text_in(s: &str) -> Result<Box<str>, Bad> {
    if s.len() > MAX_TEXT { Err(format!("text of {} bytes exceeds {MAX_TEXT}", s.len()).into()) } else { Ok(s.into()) }
}

fn nonempty<T>(v: Vec<T>, what: &str) -> Result<Vec<T>, Bad> {
    if v.is_empty() { Err(format!("{what} is written but empty (empty lists are omitted)").into()) } else { Ok(v) }
}

/// How identifiers and names are read in each form.
trait DecForm {
    fn id(&self, r: &mut Reader<'_>) -> Result<Id, Bad>;
    fn name(&self, r: &mut Reader<'_>) -> Result<Box<str>, Bad>;
}

struct SelfDec;

impl DecForm for SelfDec {
    fn id(&self, r: &mut Reader<'_>) -> Result<Id, Bad> {
        let (form, len) = match r.tag()? {
            0 => {
                let b = r.bytes()?;
                if b.len() <= MAX_URI {
                    let k = TraceKey::from_bytes(b).map_err(|e| format!("invalid identifier key: {e}"))?;
                    return Ok(Id::Key(k));
                }
                ("key", b.len())
            }
            1 => {
                let u = r.str()?;
                if u.len() <= MAX_URI {
                    return Ok(Id::Uri(u.into()));
                }
                ("URI", u.len())
            }
            t => return Err(format!("unknown identifier form {t}").into()),
        };
        Err(format!("identifier {form} of {len} bytes exceeds {MAX_URI}").into())
    }

    fn name(&self, r: &mut Reader<'_>) -> Result<Box<str>, Bad> {
        r.text()
    }
}

/// [`SelfDec`] for frames from the store: keys are trusted (see [`decode_stored`]).
#[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "used by the RocksDB store"))]
struct StoredDec;

impl DecForm for StoredDec {
    fn id(&self, r: &mut Reader<'_>) -> Result<Id, Bad> {
        match r.tag()? {
            0 => {
                let b = r.bytes()?;
                if b.is_empty() || b.len() > MAX_URI {
                    return Err("stored identifier key has an impossible length".into());
                }
                Ok(Id::Key(TraceKey::from_stored(b)))
            }
            1 => {
                let u = r.str()?;
                if u.len() > MAX_URI {
                    return Err("stored identifier URI is too long".into());
                }
                Ok(Id::Uri(u.into()))
            }
            t => Err(format!("unknown identifier form {t}").into()),
        }
    }

    fn name(&self, r: &mut Reader<'_>) -> Result<Box<str>, Bad> {
        r.text()
    }
}

struct InternDec<'d> {
    dict: &'d dyn Dictionary,
    /// Bytes resolved so far, against [`MAX_RESOLVED`].
    resolved: Cell<usize>,
}

impl InternDec<'_> {
    fn charge(&self, len: usize) -> Result<(), Bad> {
        let total = self.resolved.get().saturating_add(len);
        self.resolved.set(total);
        if total > MAX_RESOLVED {
            return Err(format!("references stand for more than {MAX_RESOLVED} bytes").into());
        }
        Ok(())
    }
}

impl DecForm for InternDec<'_> {
    fn id(&self, r: &mut Reader<'_>) -> Result<Id, Bad> {
        let x = r.leb()?;
        let id = self.dict.resolve(x).ok_or_else(|| unknown_ref(x))?;
        // The same bounds as the self-contained form, so whatever decodes re-encodes.
        if id_len(&id) > MAX_URI {
            return Err(format!("reference #{x} stands for an identifier longer than {MAX_URI} bytes").into());
        }
        self.charge(id_len(&id))?;
        Ok(id)
    }

    fn name(&self, r: &mut Reader<'_>) -> Result<Box<str>, Bad> {
        let x = r.leb()?;
        let name = self.dict.resolve_name(x).ok_or_else(|| unknown_ref(x))?;
        if name.len() > MAX_TEXT {
            return Err(format!("reference #{x} stands for a name longer than {MAX_TEXT} bytes").into());
        }
        self.charge(name.len())?;
        Ok(name)
    }
}

fn unknown_ref(r: u32) -> Bad {
    format!(
        "dictionary reference #{r} does not resolve (or names a key where a name belongs): decode with the \
         dictionary the frame was written with"
    )
    .into()
}

/// Decodes the payload into an event; a fault is reported at the payload byte where reading stopped.
fn decode_with<D: DecForm>(h: &Header, payload: &[u8], dec: &D) -> Result<Event, Error> {
    let mut r = Reader::new(payload);
    read_event(h.code, &mut r, dec).map_err(|m| {
        let at = payload.len().saturating_sub(r.mark);
        let len = r.mark.saturating_sub(r.rest.len()).max(1);
        Error::new(ErrorKind::Corrupt, h.start + at, len, format!("frame payload is damaged: {m}"))
    })
}

fn std_term<V: Vocab>(i: u8) -> Result<V, Bad> {
    V::from_index(i).ok_or_else(|| format!("vocabulary index {i} is not a standard term").into())
}

/// `Term`: 0 = standard term index (u8), 1 = other URI (a name).
fn read_term<D: DecForm, V: Vocab>(r: &mut Reader<'_>, dec: &D) -> Result<V, Bad> {
    match r.tag()? {
        0 => std_term(r.u8()?),
        1 => Ok(V::from_other(dec.name(r)?)),
        t => Err(format!("unknown vocabulary form {t}").into()),
    }
}

/// `OptTerm`: 0 = absent, 1 = standard term index, 2 = other URI.
fn read_opt_term<D: DecForm, V: Vocab>(r: &mut Reader<'_>, dec: &D) -> Result<Option<V>, Bad> {
    match r.tag()? {
        0 => Ok(None),
        1 => std_term(r.u8()?).map(Some),
        2 => Ok(Some(V::from_other(dec.name(r)?))),
        t => Err(format!("unknown vocabulary form {t}").into()),
    }
}

fn read_quantity<D: DecForm>(r: &mut Reader<'_>, dec: &D) -> Result<Quantity, Bad> {
    let form = r.tag()?;
    if form > 3 {
        return Err(format!("unknown quantity form {form}").into());
    }
    let class = dec.id(r)?;
    let quantity = if form & 1 == 1 { Some(r.decimal()?) } else { None };
    let uom = if form >= 2 { Some(r.text()?) } else { None };
    Ok(Quantity { class, quantity, uom })
}

/// Extension members from a flattened node list (see [`Node`](super::wire::Node)); the whole list must be consumed.
fn read_exts<D: DecForm>(r: &mut Reader<'_>, dec: &D) -> Result<Vec<Extension>, Bad> {
    let mut left = r.at().count()?;
    let mut out = Vec::new();
    while left > 0 {
        out.push(read_member(r, dec, &mut left, 1)?);
    }
    Ok(out)
}

fn next_node(r: &mut Reader<'_>, left: &mut usize, missing: &'static str) -> Result<u32, Bad> {
    *left = left.checked_sub(1).ok_or(missing)?;
    r.tag()
}

fn read_member<D: DecForm>(r: &mut Reader<'_>, dec: &D, left: &mut usize, depth: usize) -> Result<Extension, Bad> {
    match next_node(r, left, "extension object ends early")? {
        0 => {
            let name = dec.name(r)?;
            let value = read_value(r, dec, left, depth)?;
            Ok(Extension { name, value })
        }
        1..=7 => Err("extension value where a name belongs".into()),
        t => Err(format!("unknown extension node {t}").into()),
    }
}

fn read_value<D: DecForm>(r: &mut Reader<'_>, dec: &D, left: &mut usize, depth: usize) -> Result<ExtValue, Bad> {
    let tag = next_node(r, left, "extension name without a value")?;
    // Counts are checked against the nodes that remain before anything is reserved.
    let mut nested = |per: usize| -> Result<usize, Bad> {
        if depth > MAX_EXT_DEPTH {
            return Err(format!("extensions nested deeper than {MAX_EXT_DEPTH}").into());
        }
        usize::try_from(r.u32()?)
            .ok()
            .filter(|&n| n.saturating_mul(per) <= *left)
            .ok_or_else(|| "extension array or object counts more elements than remain".into())
    };
    Ok(match tag {
        0 => return Err("extension name where a value belongs".into()),
        1 => ExtValue::Null,
        2 => ExtValue::Bool(false),
        3 => ExtValue::Bool(true),
        4 => ExtValue::Number(r.decimal()?),
        5 => ExtValue::String(r.text()?),
        6 => {
            let n = nested(1)?;
            let mut items = reserve(n);
            for _ in 0..n {
                items.push(read_value(r, dec, left, depth + 1)?);
            }
            ExtValue::Array(items)
        }
        7 => {
            let n = nested(2)?;
            let mut members = reserve(n);
            for _ in 0..n {
                members.push(read_member(r, dec, left, depth + 1)?);
            }
            ExtValue::Object(members)
        }
        t => return Err(format!("unknown extension node {t}").into()),
    })
}

fn ascending(last: &mut Option<u32>, tag: u32) -> Result<(), Bad> {
    if last.is_some_and(|l| l >= tag) {
        return Err(format!("field {tag} is repeated or out of order").into());
    }
    *last = Some(tag);
    Ok(())
}

/// Present fields of a struct: a count, then (tag, value) in ascending tag order.
fn read_fields(r: &mut Reader<'_>, mut f: impl FnMut(&mut Reader<'_>, u32) -> Result<(), Bad>) -> Result<(), Bad> {
    let n = r.at().count()?;
    let mut last = None;
    for _ in 0..n {
        let tag = r.tag()?;
        ascending(&mut last, tag)?;
        f(r, tag)?;
    }
    Ok(())
}

fn read_meta<D: DecForm>(r: &mut Reader<'_>, dec: &D) -> Result<SensorMetadata, Bad> {
    let mut m = SensorMetadata::default();
    read_fields(r, |r, tag| {
        match tag {
            0 => m.time = Some(r.time()?),
            1 => m.start_time = Some(r.time()?),
            2 => m.end_time = Some(r.time()?),
            3 => m.device_id = Some(r.text()?),
            4 => m.device_metadata = Some(r.text()?),
            5 => m.raw_data = Some(r.text()?),
            6 => m.data_processing_method = Some(r.text()?),
            7 => m.biz_rules = Some(r.text()?),
            8 => m.extensions = nonempty(read_exts(r, dec)?, "sensor metadata extensions")?,
            t => return Err(format!("unknown sensor metadata field {t}").into()),
        }
        Ok(())
    })?;
    Ok(m)
}

fn read_report<D: DecForm>(r: &mut Reader<'_>, dec: &D) -> Result<SensorReport, Bad> {
    let mut s = SensorReport::default();
    read_fields(r, |r, tag| {
        match tag {
            0 => s.kind = Some(dec.name(r)?),
            1 => s.exception = Some(r.text()?),
            2 => s.device_id = Some(r.text()?),
            3 => s.device_metadata = Some(r.text()?),
            4 => s.raw_data = Some(r.text()?),
            5 => s.data_processing_method = Some(r.text()?),
            6 => s.biz_rules = Some(r.text()?),
            7 => s.time = Some(r.time()?),
            8 => s.microorganism = Some(r.text()?),
            9 => s.chemical_substance = Some(r.text()?),
            10 => s.coordinate_reference_system = Some(r.text()?),
            11 => s.value = Some(r.decimal()?),
            12 => s.component = Some(r.text()?),
            13 => s.string_value = Some(r.text()?),
            14 => s.boolean_value = Some(r.bool()?),
            15 => s.hex_binary_value = Some(r.text()?),
            16 => s.uri_value = Some(r.text()?),
            17 => s.min_value = Some(r.decimal()?),
            18 => s.max_value = Some(r.decimal()?),
            19 => s.mean_value = Some(r.decimal()?),
            20 => s.s_dev = Some(r.decimal()?),
            21 => s.perc_rank = Some(r.decimal()?),
            22 => s.perc_value = Some(r.decimal()?),
            23 => s.uom = Some(r.text()?),
            24 => s.extensions = nonempty(read_exts(r, dec)?, "sensor report extensions")?,
            t => return Err(format!("unknown sensor report field {t}").into()),
        }
        Ok(())
    })?;
    Ok(s)
}

/// Sensor elements; `reports` counts reports across the frame against [`MAX_SENSOR_REPORTS`].
fn read_sensor<D: DecForm>(r: &mut Reader<'_>, dec: &D, reports: &mut usize) -> Result<SensorElement, Bad> {
    let metadata = match r.u8()? {
        0 => None,
        1 => Some(read_meta(r, dec)?),
        b => return Err(format!("invalid option byte {b}").into()),
    };
    let n = r.at().count()?;
    *reports = reports.saturating_add(n).saturating_add(1);
    if *reports > MAX_SENSOR_REPORTS {
        return Err(format!("more than {MAX_SENSOR_REPORTS} sensor elements and reports in one frame").into());
    }
    let mut list = reserve(n);
    for _ in 0..n {
        list.push(read_report(r, dec)?);
    }
    Ok(SensorElement { metadata, reports: list, extensions: read_exts(r, dec)? })
}

fn read_error_decl<D: DecForm>(r: &mut Reader<'_>, dec: &D) -> Result<ErrorDeclaration, Bad> {
    Ok(ErrorDeclaration {
        declaration_time: r.time()?,
        reason: read_opt_term(r, dec)?,
        corrective_event_ids: r.list(Reader::text)?,
        extensions: read_exts(r, dec)?,
    })
}

fn sub_ms(s: u32) -> Result<u32, Bad> {
    if s == 0 || i64::from(s) >= NS_PER_MS {
        Err("sub-millisecond field must be 1 to 999999 (zero is written by omission)".into())
    } else {
        Ok(s)
    }
}

/// Reads the payload: event time, then the present fields in ascending tag order (the variant order of
/// [`Field`](super::wire::Field)), then nothing.
#[expect(clippy::too_many_lines, reason = "one arm per event field, in wire order")]
fn read_event<D: DecForm>(code: u8, r: &mut Reader<'_>, dec: &D) -> Result<Event, Bad> {
    let kind = match code {
        1 => EventType::Object,
        2 => EventType::Aggregation,
        3 => EventType::Transaction,
        4 => EventType::Transformation,
        5 => EventType::Association,
        _ => EventType::Extension("".into()),
    };
    let total = r.rest.len();
    let time = r.ms48()?;
    let mut ev = Event::new(kind, Timestamp(0), TzOffset::UTC);
    let mut event_sub = 0;
    let mut record: Option<(Ms48, u32)> = None;
    let mut ext_type = None;
    let mut reports = 0;
    read_fields(r, |r, tag| {
        match tag {
            0 => ext_type = Some(dec.name(r)?),
            1 => match r.i8()? {
                0 => return Err("a UTC offset is written by omission".into()),
                q => ev.event_time_zone_offset = TzOffset(i16::from(q) * 15),
            },
            2 => {
                let m = r.i16()?;
                if m == 0 || (m % 15 == 0 && i8::try_from(m / 15).is_ok()) {
                    return Err("time-zone offset in minutes where quarter hours are canonical".into());
                }
                ev.event_time_zone_offset = TzOffset(m);
            }
            3 => event_sub = sub_ms(r.u32()?)?,
            4 => record = Some((r.ms48()?, 0)),
            5 => {
                let s = sub_ms(r.u32()?)?;
                record.as_mut().ok_or("record time fraction without record time")?.1 = s;
            }
            6 => ev.epcis_event_id = Some(r.text()?),
            7 => ev.certification_info = r.nonempty("certificationInfo", Reader::text)?,
            8 => ev.error_declaration = Some(read_error_decl(r, dec)?),
            9 => {
                ev.action = Some(match r.u8()? {
                    0 => Action::Add,
                    1 => Action::Observe,
                    2 => Action::Delete,
                    a => return Err(format!("unknown action code {a}").into()),
                });
            }
            10 => ev.parent_id = Some(dec.id(r)?),
            11 => ev.epc_list = r.nonempty("epcList", |r| dec.id(r))?,
            12 => ev.quantity_list = r.nonempty("quantityList", |r| read_quantity(r, dec))?,
            13 => ev.child_epcs = r.nonempty("childEPCs", |r| dec.id(r))?,
            14 => ev.child_quantity_list = r.nonempty("childQuantityList", |r| read_quantity(r, dec))?,
            15 => ev.input_epc_list = r.nonempty("inputEPCList", |r| dec.id(r))?,
            16 => ev.input_quantity_list = r.nonempty("inputQuantityList", |r| read_quantity(r, dec))?,
            17 => ev.output_epc_list = r.nonempty("outputEPCList", |r| dec.id(r))?,
            18 => ev.output_quantity_list = r.nonempty("outputQuantityList", |r| read_quantity(r, dec))?,
            19 => ev.transformation_id = Some(r.text()?),
            20 => ev.biz_step = Some(std_term(r.u8()?)?),
            21 if ev.biz_step.is_some() => return Err("two bizSteps".into()),
            21 => ev.biz_step = Some(BizStep::Other(dec.name(r)?)),
            22 => ev.disposition = Some(std_term(r.u8()?)?),
            23 if ev.disposition.is_some() => return Err("two dispositions".into()),
            23 => ev.disposition = Some(Disposition::Other(dec.name(r)?)),
            24 => {
                let set = r.list(|r| read_term(r, dec))?;
                let unset = r.list(|r| read_term(r, dec))?;
                ev.persistent_disposition = Some(PersistentDisposition { set, unset });
            }
            25 => ev.read_point = Some(Place { id: dec.id(r)?, extensions: Vec::new() }),
            26 | 28 => {
                let place = if tag == 26 { ev.read_point.as_mut() } else { ev.biz_location.as_mut() };
                let place = place.ok_or("place extensions without the place")?;
                place.extensions = nonempty(read_exts(r, dec)?, "place extensions")?;
            }
            27 => ev.biz_location = Some(Place { id: dec.id(r)?, extensions: Vec::new() }),
            29 => {
                ev.biz_transactions = r.nonempty("bizTransactionList", |r| {
                    Ok(BizTransaction { kind: read_opt_term(r, dec)?, value: dec.id(r)? })
                })?;
            }
            30 | 31 => {
                let list = r.nonempty("source or destination list", |r| {
                    Ok(SourceDest { kind: read_term(r, dec)?, id: dec.id(r)? })
                })?;
                if tag == 30 {
                    ev.sources = list;
                } else {
                    ev.destinations = list;
                }
            }
            32 => ev.sensor_elements = r.nonempty("sensorElementList", |r| read_sensor(r, dec, &mut reports))?,
            33 => ev.ilmd = nonempty(read_exts(r, dec)?, "ilmd")?,
            34 => ev.extensions = nonempty(read_exts(r, dec)?, "extensions")?,
            35 => {
                ev.namespaces =
                    r.nonempty("namespaces", |r| Ok(Namespace { prefix: dec.name(r)?, iri: dec.name(r)? }))?;
            }
            36 => ev.who.party = Some(dec.id(r)?),
            37 => ev.who.operator = Some(dec.name(r)?),
            38 => ev.who.device = Some(dec.name(r)?),
            t => return Err(format!("unknown field tag {t}").into()),
        }
        Ok(())
    })?;
    if !r.rest.is_empty() {
        r.at();
        return Err("bytes left after the last field".into());
    }
    // Time faults are reported at the event time, the payload's first value.
    r.mark = total;
    ev.event_time = join_time(time, event_sub)?;
    ev.record_time = record.map(|(ms, s)| join_time(ms, s)).transpose()?;
    match (code, ext_type) {
        (6, Some(uri)) => ev.kind = EventType::Extension(uri),
        (6, None) => return Err("extension event without its type URI".into()),
        (_, Some(_)) => return Err("type URI on a standard event".into()),
        _ => {}
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::wire::{Bytes, Field, Node, Payload, WireId, codec};
    use super::*;
    use crate::event::frame::{MemoryDictionary, encode, encode_interned};
    use bincode::Options as _;

    #[test]
    fn stored_decoding_equals_full_decoding_and_rejects_damage() {
        for e in [example_object(), example_aggregation()] {
            let f = encode(&e).unwrap();
            assert_eq!(decode_stored(&f).unwrap(), e);
            for cut in 0..f.len() {
                assert!(decode_stored(&f[..cut]).is_err(), "truncated at {cut}");
            }
        }
        // Interned frames never come from the store.
        let mut d = MemoryDictionary::new();
        let f = encode_interned(&example_object(), &mut d).unwrap();
        assert_eq!(decode_stored(&f).unwrap_err().kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn form_mismatch_and_unknown_references() {
        let ev = example_object();
        let mut dict = MemoryDictionary::new();
        let interned = encode_interned(&ev, &mut dict).unwrap();
        let e = err(&interned);
        assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidArgument, Some(3)));
        // Self-contained frames need no dictionary.
        assert_eq!(decode_interned(&encode(&ev).unwrap(), &MemoryDictionary::new()).unwrap(), ev);
        // Reported at the first reference: header 5, time 6, field count, offset field (2), action (2),
        // epcList tag and count.
        let e = decode_interned(&interned, &MemoryDictionary::new()).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Corrupt, Some(18), Some(1)));
        assert!(e.message().contains("does not resolve"), "{e}");
        // A reference to a key where a name belongs.
        let mut d = MemoryDictionary::new();
        d.intern(&id("urn:epc:id:sgtin:0614141.107346.2017"));
        let mut ext = Event::new(EventType::Extension("urn:x:y".into()), Timestamp(0), TzOffset::UTC);
        let bytes = encode_interned(&ext, &mut MemoryDictionary::new()).unwrap();
        assert_eq!(decode_interned(&bytes, &d).unwrap_err().kind(), ErrorKind::Corrupt);
        ext.kind = EventType::Extension("urn:x:z".into());
        let mut d2 = MemoryDictionary::new();
        assert_eq!(decode_interned(&encode_interned(&ext, &mut d2).unwrap(), &d2).unwrap(), ext);
    }

    type SelfPayload<'a> = Payload<'a, WireId<'a>, &'a str>;

    fn payload_frame(kind: u8, p: &SelfPayload<'_>) -> Vec<u8> {
        forge(kind, &codec().serialize(p).unwrap())
    }

    #[test]
    fn non_canonical_payloads_are_rejected() {
        let t = Ms48([1, 0, 0, 0, 0, 0]);
        let ok = |fields| payload_frame(1, &Payload { time: t, fields });
        // The canonical baseline decodes.
        decode(&ok(vec![Field::Action(1), Field::BizStep(3)])).unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (ok(vec![Field::BizStep(3), Field::Action(1)]), "out of order"),
            (ok(vec![Field::Action(1), Field::Action(1)]), "repeated"),
            (ok(vec![Field::EpcList(vec![])]), "empty"),
            (ok(vec![Field::EventTimeSub(0)]), "sub-millisecond"),
            (ok(vec![Field::EventTimeSub(1_000_000)]), "sub-millisecond"),
            (ok(vec![Field::TzQuarters(0)]), "omission"),
            (ok(vec![Field::TzMinutes(-360)]), "quarter hours"),
            (ok(vec![Field::Action(3)]), "action"),
            (ok(vec![Field::BizStep(200)]), "not a standard term"),
            (ok(vec![Field::BizStep(1), Field::BizStepOther("urn:x")]), "two bizSteps"),
            (ok(vec![Field::RecordTimeSub(5)]), "without record time"),
            (ok(vec![Field::ReadPointExt(vec![Node::Name("n"), Node::Null])]), "without the place"),
            (ok(vec![Field::ExtensionType("urn:x")]), "type URI on a standard event"),
            (ok(vec![Field::Extensions(vec![Node::Null])]), "where a name belongs"),
            (ok(vec![Field::Extensions(vec![Node::Name("n")])]), "without a value"),
            (ok(vec![Field::Extensions(vec![Node::Name("n"), Node::Array(5), Node::Null])]), "more elements"),
            (ok(vec![Field::Extensions(vec![Node::Name("n"), Node::Number("1.50")])]), "canonical"),
            (ok(vec![Field::ParentId(WireId::Key(Bytes(&[0x01, 0x99])))]), "invalid identifier key"),
            (payload_frame(6, &Payload { time: t, fields: vec![] }), "without its type URI"),
            (payload_frame(1, &Payload { time: Ms48([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), fields: vec![] }), "range"),
        ];
        for (bytes, word) in &cases {
            let e = err(bytes);
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{word}: {e}");
            assert!(e.offset().is_some_and(|o| (5..bytes.len() - 4).contains(&o)), "{word}: {e}");
            assert!(e.message().contains(word), "{word}: {e}");
        }
        // Positions: the second field's tag (payload 5 + time 6 + count 1 + first field 2), the count of the
        // empty list, the event time for an out-of-range time.
        assert_eq!(err(&cases[0].0).offset(), Some(14));
        assert_eq!(err(&cases[1].0).offset(), Some(14));
        assert_eq!((err(&cases[2].0).offset(), err(&cases[2].0).len()), (Some(13), Some(1)));
        assert_eq!(err(&cases[19].0).offset(), Some(5));
        // A non-minimal bincode varint (the field count 2 written as FB 02 00) carries the same values.
        let canon = codec()
            .serialize(&Payload::<WireId<'_>, &str> { time: t, fields: vec![Field::Action(1), Field::BizStep(3)] })
            .unwrap();
        let mut loose = canon[..6].to_vec();
        loose.extend_from_slice(&[0xFB, 2, 0]);
        loose.extend_from_slice(&canon[7..]);
        let e = err(&forge(1, &loose));
        assert!(e.message().contains("minimally encoded"), "{e}");
        // Nesting deeper than the bound is refused on both sides.
        let mut v = ExtValue::Null;
        for _ in 0..=MAX_EXT_DEPTH {
            v = ExtValue::Array(vec![v]);
        }
        let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        ev.extensions = vec![Extension { name: "urn:deep".into(), value: v }];
        assert_eq!(encode(&ev).unwrap_err().kind(), ErrorKind::Length);
        let mut nodes = vec![Node::Name("urn:deep")];
        nodes.extend((0..=MAX_EXT_DEPTH).map(|_| Node::Array(1)));
        nodes.push(Node::Null);
        let e = err(&ok(vec![Field::Extensions(nodes)]));
        assert!(e.message().contains("nested deeper"), "{e}");
    }
}
