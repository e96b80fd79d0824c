//! The wire representation: a private mirror of `Event` holding only present fields, borrowing strings, and the
//! payload codec that writes it.

use bincode::Options as _;
use serde::ser::SerializeTuple as _;
use serde::{Serialize, Serializer};

// The payload codec, pinned here and nowhere else. Changing any option changes the bytes: that needs a new
// format VERSION and new golden fixtures.

/// bincode 1.3: variable-length integers, little-endian, trailing bytes rejected (the decoder enforces the
/// same). The [`MAX_PAYLOAD`] limit is checked on the written length rather than with bincode's `with_limit`,
/// which makes every serialisation run twice (a sizing pass first: a fifth of the encoding time).
///
/// [`MAX_PAYLOAD`]: super::MAX_PAYLOAD
pub(super) fn codec() -> impl bincode::Options + Copy {
    bincode::DefaultOptions::new().with_varint_encoding().with_little_endian().reject_trailing_bytes()
}

/// An identifier in the self-contained form.
#[derive(Serialize)]
pub(super) enum WireId<'a> {
    /// A `TraceKey`'s binary key.
    Key(Bytes<'a>),
    /// Any other URI.
    Uri(&'a str),
}

/// Borrowed bytes written as bincode bytes (length + raw bytes), not as a sequence of integers.
pub(super) struct Bytes<'a>(pub(super) &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A dictionary reference, written as unsigned LEB128 (1 byte below 128, 3 bytes below 2^21) rather than as a
/// bincode varint (which jumps from 1 to 3 bytes at 251 and to 5 bytes at 65 536).
#[derive(Clone, Copy)]
pub(super) struct Ref(pub(super) u32);

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 5];
        let mut n = 0;
        let mut v = self.0;
        for slot in &mut buf {
            n += 1;
            let low = u8::try_from(v & 0x7F).unwrap_or(0);
            v >>= 7;
            if v == 0 {
                *slot = low;
                break;
            }
            *slot = low | 0x80;
        }
        let mut t = s.serialize_tuple(n)?;
        for b in buf.iter().take(n) {
            t.serialize_element(b)?;
        }
        t.end()
    }
}

/// Milliseconds since the epoch as 48-bit two's complement, little-endian: every `Timestamp` fits
/// (±9.2·10¹² ms < 2^47), in 6 bytes where a bincode varint of an i64 this size takes 9.
#[derive(Clone, Copy, Serialize)]
pub(super) struct Ms48(pub(super) [u8; 6]);

/// A standard vocabulary term (its index in the CBV table) or another URI.
#[derive(Serialize)]
pub(super) enum Term<N> {
    Std(u8),
    Other(N),
}

/// An optional vocabulary term.
#[derive(Serialize)]
pub(super) enum OptTerm<N> {
    None,
    Std(u8),
    Other(N),
}

#[derive(Serialize)]
pub(super) enum WQuantity<'a, I> {
    Class(I),
    Qty(I, &'a str),
    Uom(I, &'a str),
    QtyUom(I, &'a str, &'a str),
}

#[derive(Serialize)]
pub(super) struct WBizTx<I, N> {
    pub(super) kind: OptTerm<N>,
    pub(super) id: I,
}

#[derive(Serialize)]
pub(super) struct WSourceDest<I, N> {
    pub(super) kind: Term<N>,
    pub(super) id: I,
}

#[derive(Serialize)]
pub(super) struct WErrorDecl<'a, N> {
    pub(super) time: Ms48,
    pub(super) sub: u32,
    pub(super) reason: OptTerm<N>,
    pub(super) corrective: Vec<&'a str>,
    pub(super) ext: Vec<Node<'a, N>>,
}

/// Extensions flattened in pre-order, so decoding never recurses inside serde (no stack exhaustion on hostile
/// nesting): a member is `Name` followed by its value; `Array(n)` is followed by n values, `Object(n)` by n
/// members.
#[derive(Serialize)]
pub(super) enum Node<'a, N> {
    Name(N),
    Null,
    False,
    True,
    Number(&'a str),
    String(&'a str),
    Array(u32),
    Object(u32),
}

#[derive(Serialize)]
pub(super) struct WSensor<'a, N> {
    pub(super) meta: Option<Vec<MetaField<'a, N>>>,
    pub(super) reports: Vec<Vec<ReportField<'a, N>>>,
    pub(super) ext: Vec<Node<'a, N>>,
}

#[derive(Serialize)]
pub(super) enum MetaField<'a, N> {
    Time(Ms48, u32),
    StartTime(Ms48, u32),
    EndTime(Ms48, u32),
    DeviceId(&'a str),
    DeviceMetadata(&'a str),
    RawData(&'a str),
    DataProcessingMethod(&'a str),
    BizRules(&'a str),
    Extensions(Vec<Node<'a, N>>),
}

#[derive(Serialize)]
pub(super) enum ReportField<'a, N> {
    Kind(N),
    Exception(&'a str),
    DeviceId(&'a str),
    DeviceMetadata(&'a str),
    RawData(&'a str),
    DataProcessingMethod(&'a str),
    BizRules(&'a str),
    Time(Ms48, u32),
    Microorganism(&'a str),
    ChemicalSubstance(&'a str),
    CoordinateReferenceSystem(&'a str),
    Value(&'a str),
    Component(&'a str),
    StringValue(&'a str),
    BooleanValue(bool),
    HexBinaryValue(&'a str),
    UriValue(&'a str),
    MinValue(&'a str),
    MaxValue(&'a str),
    MeanValue(&'a str),
    SDev(&'a str),
    PercRank(&'a str),
    PercValue(&'a str),
    Uom(&'a str),
    Extensions(Vec<Node<'a, N>>),
}

/// One present event field. The variant index (bincode writes it as one byte) is the field's tag; fields are
/// written in ascending tag order, each at most once, lists only when non-empty. The variant order is the wire
/// format: `read_event` matches on these indices.
#[derive(Serialize)]
pub(super) enum Field<'a, I, N> {
    ExtensionType(N),
    TzQuarters(i8),
    TzMinutes(i16),
    EventTimeSub(u32),
    RecordTime(Ms48),
    RecordTimeSub(u32),
    EventId(&'a str),
    CertificationInfo(Vec<&'a str>),
    ErrorDeclaration(WErrorDecl<'a, N>),
    Action(u8),
    ParentId(I),
    EpcList(Vec<I>),
    QuantityList(Vec<WQuantity<'a, I>>),
    ChildEpcs(Vec<I>),
    ChildQuantityList(Vec<WQuantity<'a, I>>),
    InputEpcList(Vec<I>),
    InputQuantityList(Vec<WQuantity<'a, I>>),
    OutputEpcList(Vec<I>),
    OutputQuantityList(Vec<WQuantity<'a, I>>),
    TransformationId(&'a str),
    BizStep(u8),
    BizStepOther(N),
    Disposition(u8),
    DispositionOther(N),
    PersistentDisposition(Vec<Term<N>>, Vec<Term<N>>),
    ReadPoint(I),
    ReadPointExt(Vec<Node<'a, N>>),
    BizLocation(I),
    BizLocationExt(Vec<Node<'a, N>>),
    BizTransactions(Vec<WBizTx<I, N>>),
    Sources(Vec<WSourceDest<I, N>>),
    Destinations(Vec<WSourceDest<I, N>>),
    SensorElements(Vec<WSensor<'a, N>>),
    Ilmd(Vec<Node<'a, N>>),
    Extensions(Vec<Node<'a, N>>),
    Namespaces(Vec<(N, N)>),
    WhoParty(I),
    WhoOperator(N),
    WhoDevice(N),
}

/// The payload: event time (always present) and the present fields.
#[derive(Serialize)]
pub(super) struct Payload<'a, I, N> {
    pub(super) time: Ms48,
    pub(super) fields: Vec<Field<'a, I, N>>,
}
