//! Encoding, Event → wire: the forms (how identifiers and names are written, in full or as dictionary
//! references), the bounds checked on the way, and the public encoders.

use serde::Serialize;

use super::dictionary::Dictionary;
use super::header::write_frame;
use super::time::split_time;
use super::vocab::{Vocab, enc_opt_term, enc_term, std_index};
use super::wire::{
    Bytes, Field, MetaField, Ms48, Node, Payload, Ref, ReportField, WBizTx, WErrorDecl, WQuantity, WSensor,
    WSourceDest, WireId,
};
use super::{INTERNED, MAX_EXT_DEPTH, MAX_LIST, MAX_RESOLVED, MAX_SENSOR_REPORTS, MAX_TEXT};
use crate::event::{
    Action, Decimal, ErrorDeclaration, Event, EventType, ExtValue, Extension, Id, MAX_URI, Quantity, SensorElement,
    SensorMetadata, SensorReport, SourceDest, Timestamp,
};
use crate::{Error, ErrorKind};

/// Encodes `event` as a self-contained frame: the canonical bytes (exactly one encoding per event), which the
/// event id hashes.
///
/// # Errors
/// [`ErrorKind::Length`] if a string, identifier or list exceeds its bound ([`MAX_TEXT`], [`MAX_URI`],
/// [`MAX_LIST`], [`MAX_EXT_DEPTH`]) or the payload exceeds [`MAX_PAYLOAD`].
///
/// ```
/// use tracecode::event::{frame, Event, EventType, Timestamp, TzOffset};
/// let ev = Event::new(EventType::Object, Timestamp(1_645_065_211_116_000_000), TzOffset(-360));
/// let bytes = frame::encode(&ev)?;
/// assert_eq!(&bytes[..4], &[0xF7, b'T', 1, 1]); // magic, version 1, ObjectEvent
/// assert_eq!(frame::frame_len(&bytes)?, bytes.len());
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// [`MAX_PAYLOAD`]: super::MAX_PAYLOAD
pub fn encode(event: &Event) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(160);
    encode_into(event, &mut out)?;
    Ok(out)
}

/// Appends the self-contained frame of `event` to `out` (no allocation when `out` has room). On error `out` is
/// left as it was.
///
/// # Errors
/// As [`encode`].
///
/// ```
/// use tracecode::event::{frame, Event, EventType, Timestamp, TzOffset};
/// let ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
/// let mut buf = Vec::new();
/// frame::encode_into(&ev, &mut buf)?;
/// frame::encode_into(&ev, &mut buf)?;
/// let first = frame::frame_len(&buf)?;
/// assert_eq!(frame::decode(&buf[first..])?, ev);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn encode_into(event: &Event, out: &mut Vec<u8>) -> Result<(), Error> {
    let (code, payload) = to_wire(event, &mut SelfEnc)?;
    write_frame(code, &payload, out)
}

/// Encodes `event` as an interned frame: identifiers and names become references into `dict` (new ones are
/// added). Deterministic for a given dictionary state.
///
/// # Errors
/// As [`encode`].
///
/// ```
/// use tracecode::event::frame::{self, MemoryDictionary};
/// use tracecode::event::{Event, EventType, Id, Timestamp, TzOffset};
/// let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
/// ev.epc_list.push(Id::parse("urn:epc:id:sscc:0614141.1234567890")?);
/// let mut dict = MemoryDictionary::new();
/// let bytes = frame::encode_interned(&ev, &mut dict)?;
/// assert_eq!(dict.len(), 1);
/// assert_eq!(bytes[3], 0x81); // ObjectEvent, interned
/// assert_eq!(frame::decode_interned(&bytes, &dict)?, ev);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn encode_interned(event: &Event, dict: &mut dyn Dictionary) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(64);
    encode_interned_into(event, dict, &mut out)?;
    Ok(out)
}

/// Appends the interned frame of `event` to `out`. On error `out` is left as it was (`dict` may have grown).
///
/// # Errors
/// As [`encode`].
pub fn encode_interned_into(event: &Event, dict: &mut dyn Dictionary, out: &mut Vec<u8>) -> Result<(), Error> {
    let (code, payload) = to_wire(event, &mut InternEnc { dict, resolved: 0 })?;
    write_frame(code | INTERNED, &payload, out)
}

// Forms: how identifiers and names are written.

pub(super) trait Enc<'e> {
    type I: Serialize;
    type N: Serialize;
    fn id(&mut self, id: &'e Id) -> Result<Self::I, Error>;
    fn name(&mut self, s: &'e str) -> Result<Self::N, Error>;
}

fn too_long(what: &str, len: usize, max: usize) -> Error {
    Error::msg(ErrorKind::Length, format!("{what} is {len} bytes long; a frame allows at most {max}"))
}

pub(super) fn id_len(id: &Id) -> usize {
    match id {
        Id::Key(k) => k.as_bytes().len(),
        Id::Uri(u) => u.len(),
    }
}

fn check_id(id: &Id) -> Result<(), Error> {
    let len = id_len(id);
    if len > MAX_URI { Err(too_long("an identifier", len, MAX_URI)) } else { Ok(()) }
}

/// A decimal's text, which must be canonical (a `Decimal` made by `Decimal::parse` always is; one deserialised
/// through serde might not be, and the decoder would refuse it).
fn decimal(d: &Decimal) -> Result<&str, Error> {
    let s = d.as_str();
    match Decimal::parse(s) {
        Ok(c) if c.as_str() == s => Ok(s),
        _ => Err(Error::msg(ErrorKind::InvalidArgument, format!("decimal {s:?} is not in canonical form"))),
    }
}

fn text(s: &str) -> Result<&str, Error> {
    if s.len() > MAX_TEXT { Err(too_long("a text value", s.len(), MAX_TEXT)) } else { Ok(s) }
}

struct SelfEnc;

impl<'e> Enc<'e> for SelfEnc {
    type I = WireId<'e>;
    type N = &'e str;
    fn id(&mut self, id: &'e Id) -> Result<WireId<'e>, Error> {
        check_id(id)?;
        Ok(match id {
            Id::Key(k) => WireId::Key(Bytes(k.as_bytes())),
            Id::Uri(u) => WireId::Uri(u),
        })
    }
    fn name(&mut self, s: &'e str) -> Result<&'e str, Error> {
        text(s)
    }
}

struct InternEnc<'d> {
    dict: &'d mut dyn Dictionary,
    /// Bytes the references written so far stand for, against [`MAX_RESOLVED`].
    resolved: usize,
}

impl InternEnc<'_> {
    fn charge(&mut self, len: usize) -> Result<(), Error> {
        self.resolved = self.resolved.saturating_add(len);
        if self.resolved > MAX_RESOLVED {
            return Err(too_long("the identifiers and names of this event", self.resolved, MAX_RESOLVED));
        }
        Ok(())
    }
}

impl<'e> Enc<'e> for InternEnc<'_> {
    type I = Ref;
    type N = Ref;
    fn id(&mut self, id: &'e Id) -> Result<Ref, Error> {
        check_id(id)?;
        self.charge(id_len(id))?;
        Ok(Ref(self.dict.intern(id)))
    }
    fn name(&mut self, s: &'e str) -> Result<Ref, Error> {
        self.charge(text(s)?.len())?;
        Ok(Ref(self.dict.intern_name(s)))
    }
}

// Event → wire

fn check_list(len: usize) -> Result<(), Error> {
    if len > MAX_LIST { Err(too_long("a list", len, MAX_LIST)) } else { Ok(()) }
}

fn enc_ids<'e, E: Enc<'e>>(ids: &'e [Id], enc: &mut E) -> Result<Vec<E::I>, Error> {
    check_list(ids.len())?;
    ids.iter().map(|i| enc.id(i)).collect()
}

fn enc_texts(v: &[Box<str>]) -> Result<Vec<&str>, Error> {
    check_list(v.len())?;
    v.iter().map(|s| text(s)).collect()
}

fn enc_quantities<'e, E: Enc<'e>>(qs: &'e [Quantity], enc: &mut E) -> Result<Vec<WQuantity<'e, E::I>>, Error> {
    check_list(qs.len())?;
    qs.iter()
        .map(|q| {
            let class = enc.id(&q.class)?;
            Ok(match (&q.quantity, &q.uom) {
                (None, None) => WQuantity::Class(class),
                (Some(d), None) => WQuantity::Qty(class, decimal(d)?),
                (None, Some(u)) => WQuantity::Uom(class, text(u)?),
                (Some(d), Some(u)) => WQuantity::QtyUom(class, decimal(d)?, text(u)?),
            })
        })
        .collect()
}

/// Flattens extensions (members) into `out`; `depth` is the nesting level of the members' values.
fn enc_members<'e, E: Enc<'e>>(
    exts: &'e [Extension],
    enc: &mut E,
    out: &mut Vec<Node<'e, E::N>>,
    depth: usize,
) -> Result<(), Error> {
    check_list(exts.len())?;
    for x in exts {
        out.push(Node::Name(enc.name(&x.name)?));
        enc_value(&x.value, enc, out, depth)?;
    }
    Ok(())
}

fn enc_value<'e, E: Enc<'e>>(
    v: &'e ExtValue,
    enc: &mut E,
    out: &mut Vec<Node<'e, E::N>>,
    depth: usize,
) -> Result<(), Error> {
    let nested = |len: usize| -> Result<u32, Error> {
        if depth > MAX_EXT_DEPTH {
            return Err(too_long("extension nesting", depth, MAX_EXT_DEPTH));
        }
        check_list(len)?;
        u32::try_from(len).map_err(|_| too_long("a list", len, MAX_LIST))
    };
    match v {
        ExtValue::Null => out.push(Node::Null),
        ExtValue::Bool(false) => out.push(Node::False),
        ExtValue::Bool(true) => out.push(Node::True),
        ExtValue::Number(d) => out.push(Node::Number(decimal(d)?)),
        ExtValue::String(s) => out.push(Node::String(text(s)?)),
        ExtValue::Array(items) => {
            out.push(Node::Array(nested(items.len())?));
            for it in items {
                enc_value(it, enc, out, depth + 1)?;
            }
        }
        ExtValue::Object(members) => {
            out.push(Node::Object(nested(members.len())?));
            enc_members(members, enc, out, depth + 1)?;
        }
    }
    Ok(())
}

fn enc_exts<'e, E: Enc<'e>>(exts: &'e [Extension], enc: &mut E) -> Result<Vec<Node<'e, E::N>>, Error> {
    let mut out = Vec::with_capacity(exts.len() * 2);
    enc_members(exts, enc, &mut out, 1)?;
    Ok(out)
}

fn enc_error_decl<'e, E: Enc<'e>>(d: &'e ErrorDeclaration, enc: &mut E) -> Result<WErrorDecl<'e, E::N>, Error> {
    let (time, sub) = split_time(d.declaration_time);
    Ok(WErrorDecl {
        time,
        sub,
        reason: enc_opt_term(d.reason.as_ref(), enc)?,
        corrective: enc_texts(&d.corrective_event_ids)?,
        ext: enc_exts(&d.extensions, enc)?,
    })
}

fn enc_meta<'e, E: Enc<'e>>(m: &'e SensorMetadata, enc: &mut E) -> Result<Vec<MetaField<'e, E::N>>, Error> {
    let mut f = Vec::new();
    let mut time = |t: Option<Timestamp>, make: fn(Ms48, u32) -> MetaField<'e, E::N>| {
        if let Some(t) = t {
            let (ms, sub) = split_time(t);
            f.push(make(ms, sub));
        }
    };
    time(m.time, MetaField::Time);
    time(m.start_time, MetaField::StartTime);
    time(m.end_time, MetaField::EndTime);
    for (v, make) in [
        (&m.device_id, MetaField::DeviceId as fn(&'e str) -> MetaField<'e, E::N>),
        (&m.device_metadata, MetaField::DeviceMetadata),
        (&m.raw_data, MetaField::RawData),
        (&m.data_processing_method, MetaField::DataProcessingMethod),
        (&m.biz_rules, MetaField::BizRules),
    ] {
        if let Some(s) = v {
            f.push(make(text(s)?));
        }
    }
    if !m.extensions.is_empty() {
        f.push(MetaField::Extensions(enc_exts(&m.extensions, enc)?));
    }
    Ok(f)
}

fn enc_report<'e, E: Enc<'e>>(r: &'e SensorReport, enc: &mut E) -> Result<Vec<ReportField<'e, E::N>>, Error> {
    type Make<'e, N> = fn(&'e str) -> ReportField<'e, N>;
    type Texts<'e, N> = [(&'e Option<Box<str>>, Make<'e, N>)];
    type Decs<'e, N> = [(&'e Option<Decimal>, Make<'e, N>)];
    let mut f = Vec::with_capacity(4);
    if let Some(k) = &r.kind {
        f.push(ReportField::Kind(enc.name(k)?));
    }
    let texts = |f: &mut Vec<ReportField<'e, E::N>>, list: &Texts<'e, E::N>| {
        for (v, make) in list {
            if let Some(s) = v {
                f.push(make(text(s)?));
            }
        }
        Ok::<(), Error>(())
    };
    let decs = |f: &mut Vec<ReportField<'e, E::N>>, list: &Decs<'e, E::N>| {
        for (v, make) in list {
            if let Some(d) = v {
                f.push(make(decimal(d)?));
            }
        }
        Ok::<(), Error>(())
    };
    texts(
        &mut f,
        &[
            (&r.exception, ReportField::Exception),
            (&r.device_id, ReportField::DeviceId),
            (&r.device_metadata, ReportField::DeviceMetadata),
            (&r.raw_data, ReportField::RawData),
            (&r.data_processing_method, ReportField::DataProcessingMethod),
            (&r.biz_rules, ReportField::BizRules),
        ],
    )?;
    if let Some(t) = r.time {
        let (ms, sub) = split_time(t);
        f.push(ReportField::Time(ms, sub));
    }
    texts(
        &mut f,
        &[
            (&r.microorganism, ReportField::Microorganism),
            (&r.chemical_substance, ReportField::ChemicalSubstance),
            (&r.coordinate_reference_system, ReportField::CoordinateReferenceSystem),
        ],
    )?;
    decs(&mut f, &[(&r.value, ReportField::Value)])?;
    texts(&mut f, &[(&r.component, ReportField::Component), (&r.string_value, ReportField::StringValue)])?;
    if let Some(b) = r.boolean_value {
        f.push(ReportField::BooleanValue(b));
    }
    texts(&mut f, &[(&r.hex_binary_value, ReportField::HexBinaryValue), (&r.uri_value, ReportField::UriValue)])?;
    decs(
        &mut f,
        &[
            (&r.min_value, ReportField::MinValue),
            (&r.max_value, ReportField::MaxValue),
            (&r.mean_value, ReportField::MeanValue),
            (&r.s_dev, ReportField::SDev),
            (&r.perc_rank, ReportField::PercRank),
            (&r.perc_value, ReportField::PercValue),
        ],
    )?;
    texts(&mut f, &[(&r.uom, ReportField::Uom)])?;
    if !r.extensions.is_empty() {
        f.push(ReportField::Extensions(enc_exts(&r.extensions, enc)?));
    }
    Ok(f)
}

fn enc_sensor<'e, E: Enc<'e>>(s: &'e SensorElement, enc: &mut E) -> Result<WSensor<'e, E::N>, Error> {
    check_list(s.reports.len())?;
    Ok(WSensor {
        meta: s.metadata.as_ref().map(|m| enc_meta(m, enc)).transpose()?,
        reports: s.reports.iter().map(|r| enc_report(r, enc)).collect::<Result<_, _>>()?,
        ext: enc_exts(&s.extensions, enc)?,
    })
}

type WSourceDests<I, N> = Vec<WSourceDest<I, N>>;

fn enc_source_dests<'e, E: Enc<'e>>(v: &'e [SourceDest], enc: &mut E) -> Result<WSourceDests<E::I, E::N>, Error> {
    check_list(v.len())?;
    v.iter().map(|s| Ok(WSourceDest { kind: enc_term(&s.kind, enc)?, id: enc.id(&s.id)? })).collect()
}

/// The kind code (1..=6) and the payload of an event in the form `E`.
type Wire<'e, E> = (u8, Payload<'e, <E as Enc<'e>>::I, <E as Enc<'e>>::N>);

#[expect(clippy::too_many_lines, reason = "one statement per event field, in wire order")]
fn to_wire<'e, E: Enc<'e>>(ev: &'e Event, enc: &mut E) -> Result<Wire<'e, E>, Error> {
    let mut f: Vec<Field<'e, E::I, E::N>> = Vec::with_capacity(12);
    let code = match &ev.kind {
        EventType::Object => 1,
        EventType::Aggregation => 2,
        EventType::Transaction => 3,
        EventType::Transformation => 4,
        EventType::Association => 5,
        EventType::Extension(uri) => {
            f.push(Field::ExtensionType(enc.name(uri)?));
            6
        }
    };
    let (time, sub) = split_time(ev.event_time);
    let tz = ev.event_time_zone_offset.0;
    if tz != 0 {
        match i8::try_from(tz / 15) {
            Ok(q) if tz % 15 == 0 => f.push(Field::TzQuarters(q)),
            _ => f.push(Field::TzMinutes(tz)),
        }
    }
    if sub != 0 {
        f.push(Field::EventTimeSub(sub));
    }
    if let Some(t) = ev.record_time {
        let (ms, s) = split_time(t);
        f.push(Field::RecordTime(ms));
        if s != 0 {
            f.push(Field::RecordTimeSub(s));
        }
    }
    if let Some(id) = &ev.epcis_event_id {
        f.push(Field::EventId(text(id)?));
    }
    if !ev.certification_info.is_empty() {
        f.push(Field::CertificationInfo(enc_texts(&ev.certification_info)?));
    }
    if let Some(d) = &ev.error_declaration {
        f.push(Field::ErrorDeclaration(enc_error_decl(d, enc)?));
    }
    if let Some(a) = ev.action {
        f.push(Field::Action(match a {
            Action::Add => 0,
            Action::Observe => 1,
            Action::Delete => 2,
        }));
    }
    if let Some(p) = &ev.parent_id {
        f.push(Field::ParentId(enc.id(p)?));
    }
    type Ids<'e, I, N> = fn(Vec<I>) -> Field<'e, I, N>;
    type Qs<'e, I, N> = fn(Vec<WQuantity<'e, I>>) -> Field<'e, I, N>;
    type Row<'e, I, N> = (&'e [Id], Ids<'e, I, N>, &'e [Quantity], Qs<'e, I, N>);
    let what: [Row<'e, E::I, E::N>; 4] = [
        (&ev.epc_list, Field::EpcList, &ev.quantity_list, Field::QuantityList),
        (&ev.child_epcs, Field::ChildEpcs, &ev.child_quantity_list, Field::ChildQuantityList),
        (&ev.input_epc_list, Field::InputEpcList, &ev.input_quantity_list, Field::InputQuantityList),
        (&ev.output_epc_list, Field::OutputEpcList, &ev.output_quantity_list, Field::OutputQuantityList),
    ];
    for (ids, make_ids, qs, make_qs) in what {
        if !ids.is_empty() {
            f.push(make_ids(enc_ids(ids, enc)?));
        }
        if !qs.is_empty() {
            f.push(make_qs(enc_quantities(qs, enc)?));
        }
    }
    if let Some(t) = &ev.transformation_id {
        f.push(Field::TransformationId(text(t)?));
    }
    if let Some(s) = &ev.biz_step {
        f.push(match s.other() {
            Some(u) => Field::BizStepOther(enc.name(u)?),
            None => Field::BizStep(std_index(s)?),
        });
    }
    if let Some(d) = &ev.disposition {
        f.push(match d.other() {
            Some(u) => Field::DispositionOther(enc.name(u)?),
            None => Field::Disposition(std_index(d)?),
        });
    }
    if let Some(p) = &ev.persistent_disposition {
        check_list(p.set.len())?;
        check_list(p.unset.len())?;
        let set = p.set.iter().map(|d| enc_term(d, enc)).collect::<Result<_, _>>()?;
        let unset = p.unset.iter().map(|d| enc_term(d, enc)).collect::<Result<_, _>>()?;
        f.push(Field::PersistentDisposition(set, unset));
    }
    if let Some(p) = &ev.read_point {
        f.push(Field::ReadPoint(enc.id(&p.id)?));
        if !p.extensions.is_empty() {
            f.push(Field::ReadPointExt(enc_exts(&p.extensions, enc)?));
        }
    }
    if let Some(p) = &ev.biz_location {
        f.push(Field::BizLocation(enc.id(&p.id)?));
        if !p.extensions.is_empty() {
            f.push(Field::BizLocationExt(enc_exts(&p.extensions, enc)?));
        }
    }
    if !ev.biz_transactions.is_empty() {
        check_list(ev.biz_transactions.len())?;
        let txs = ev
            .biz_transactions
            .iter()
            .map(|t| Ok(WBizTx { kind: enc_opt_term(t.kind.as_ref(), enc)?, id: enc.id(&t.value)? }))
            .collect::<Result<_, Error>>()?;
        f.push(Field::BizTransactions(txs));
    }
    if !ev.sources.is_empty() {
        f.push(Field::Sources(enc_source_dests(&ev.sources, enc)?));
    }
    if !ev.destinations.is_empty() {
        f.push(Field::Destinations(enc_source_dests(&ev.destinations, enc)?));
    }
    if !ev.sensor_elements.is_empty() {
        check_list(ev.sensor_elements.len())?;
        let count = ev.sensor_elements.iter().map(|s| s.reports.len() + 1).fold(0usize, usize::saturating_add);
        if count > MAX_SENSOR_REPORTS {
            return Err(too_long("the count of sensor elements and reports", count, MAX_SENSOR_REPORTS));
        }
        let s = ev.sensor_elements.iter().map(|s| enc_sensor(s, enc)).collect::<Result<_, _>>()?;
        f.push(Field::SensorElements(s));
    }
    if !ev.ilmd.is_empty() {
        f.push(Field::Ilmd(enc_exts(&ev.ilmd, enc)?));
    }
    if !ev.extensions.is_empty() {
        f.push(Field::Extensions(enc_exts(&ev.extensions, enc)?));
    }
    if !ev.namespaces.is_empty() {
        check_list(ev.namespaces.len())?;
        let ns = ev
            .namespaces
            .iter()
            .map(|n| Ok((enc.name(&n.prefix)?, enc.name(&n.iri)?)))
            .collect::<Result<_, Error>>()?;
        f.push(Field::Namespaces(ns));
    }
    if let Some(p) = &ev.who.party {
        f.push(Field::WhoParty(enc.id(p)?));
    }
    if let Some(o) = &ev.who.operator {
        f.push(Field::WhoOperator(enc.name(o)?));
    }
    if let Some(d) = &ev.who.device {
        f.push(Field::WhoDevice(enc.name(d)?));
    }
    Ok((code, Payload { time, fields: f }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TzOffset;
    use crate::event::frame::decode;

    #[test]
    fn bounds_on_encode() {
        let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        ev.epc_list = vec![Id::Uri("x".repeat(MAX_URI + 1).into())];
        assert_eq!(encode(&ev).unwrap_err().kind(), ErrorKind::Length);
        let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        ev.epcis_event_id = Some("x".repeat(MAX_TEXT + 1).into());
        assert_eq!(encode(&ev).unwrap_err().kind(), ErrorKind::Length);
        // Twenty 60 KiB strings exceed the 1 MiB payload limit; the output buffer is left untouched.
        let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        ev.certification_info = vec!["y".repeat(60_000).into(); 20];
        let mut out = vec![9u8];
        let e = encode_into(&ev, &mut out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Length);
        assert!(e.message().contains("too large"), "{e}");
        assert_eq!(out, [9]);
        // Just under the limit: a frame with a 3-byte length that decodes.
        ev.certification_info = vec!["y".repeat(60_000).into(); 17];
        let b = encode(&ev).unwrap();
        assert_eq!(b[4] & 0x80, 0x80);
        assert_eq!(b[5] & 0x80, 0x80);
        assert_eq!(decode(&b).unwrap(), ev);
    }

    #[test]
    fn non_canonical_values_from_serde_are_refused_on_encode() {
        // `Decimal` derives Deserialize, so a non-canonical one can exist; the frame would not decode.
        let d: Decimal = serde_json::from_str("\"1.50\"").unwrap();
        let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        ev.extensions = vec![Extension { name: "urn:n".into(), value: ExtValue::Number(d) }];
        let e = encode(&ev).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("canonical"), "{e}");
    }
}
