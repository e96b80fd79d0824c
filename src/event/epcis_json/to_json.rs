//! [`Event`] → JSON: one event as an EPCIS 2.0 JSON-LD object.

use std::fmt;

use serde_json::{Map, Number, Value};

use super::WHO_PREFIX;
use super::context::{GS1_VOC, STANDARD_PREFIXES};
use crate::code::ParseOptions;
use crate::code::gs1::gcp::CompanyPrefixLengths;
use crate::event::{
    Action, Decimal, ErrorDeclaration, Event, EventType, ExtValue, Extension, Id, IdForm, Namespace, Quantity,
    SensorElement, SensorReport, Timestamp, TzOffset, WHO_NAMESPACE,
};

/// How events are written.
#[derive(Clone, Copy, Default)]
pub struct ExportOptions<'a> {
    gcp: Option<&'a dyn CompanyPrefixLengths>,
    pub(super) creation_date: Option<Timestamp>,
}

impl fmt::Debug for ExportOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportOptions")
            .field("ids", &if self.gcp.is_some() { "epc-urn" } else { "digital-link" })
            .field("creation_date", &self.creation_date)
            .finish()
    }
}

impl<'a> ExportOptions<'a> {
    /// GS1 identifiers as Digital Links on `https://id.gs1.org` (the EPCIS 2.0 JSON default).
    pub const fn digital_link() -> Self {
        Self { gcp: None, creation_date: None }
    }

    /// GS1 identifiers as EPC URNs (`urn:epc:id:sgtin:…`), with company-prefix lengths from `gcp`; an identifier
    /// whose prefix length is unknown, or that has no EPC form (a GTIN without lot or serial), stays a Digital
    /// Link.
    ///
    /// ```
    /// use tracecode::code::gs1::gcp::FixedGcpLength;
    /// use tracecode::event::epcis_json::{ExportOptions, event_from_json, event_to_json, Context};
    /// let v = serde_json::json!({"type": "ObjectEvent", "action": "ADD",
    ///     "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
    ///     "epcList": ["https://id.gs1.org/01/10614141073464/21/2017"]});
    /// let e = event_from_json(&v, &Context::new())?;
    /// let gcp = FixedGcpLength(7);
    /// let out = event_to_json(&e, &ExportOptions::epc_urn(&gcp));
    /// assert_eq!(out["epcList"][0], "urn:epc:id:sgtin:0614141.107346.2017");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub const fn epc_urn(gcp: &'a dyn CompanyPrefixLengths) -> Self {
        Self { gcp: Some(gcp), creation_date: None }
    }

    /// Sets the document's `creationDate` (default: the current time).
    #[must_use]
    pub const fn creation_date(mut self, t: Timestamp) -> Self {
        self.creation_date = Some(t);
        self
    }
}

/// Writes one event as an EPCIS 2.0 JSON-LD object. The object carries its own `@context` declaring the
/// extension prefixes it uses (and `tc` for [`Who`](crate::event::Who)), so it can be read back on its own.
///
/// ```
/// use tracecode::event::epcis_json::{Context, ExportOptions, event_from_json, event_to_json};
/// let v = serde_json::json!({"type": "ObjectEvent", "action": "OBSERVE",
///     "eventTime": "2022-02-17T02:33:31.116Z", "eventTimeZoneOffset": "-06:00",
///     "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
///     "quantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.107346.LOT1", "quantity": 200.50, "uom": "KGM"}]});
/// let e = event_from_json(&v, &Context::new())?;
/// let out = event_to_json(&e, &ExportOptions::default());
/// assert_eq!(out["eventTime"], "2022-02-16T20:33:31.116-06:00"); // in the event's own offset
/// assert_eq!(out["epcList"][0], "https://id.gs1.org/01/10614141073464/21/2017");
/// assert_eq!(out["quantityList"][0]["quantity"].to_string(), "200.5");
/// assert_eq!(event_from_json(&out, &Context::new())?, e);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_to_json(e: &Event, opts: &ExportOptions<'_>) -> Value {
    event_json(e, opts, &[])
}

pub(super) fn is_standard(n: &Namespace) -> bool {
    STANDARD_PREFIXES.iter().any(|(p, i)| *p == &*n.prefix && *i == &*n.iri)
}

fn has_who(e: &Event) -> bool {
    e.who.party.is_some() || e.who.operator.is_some() || e.who.device.is_some()
}

/// The event-level `@context` entries needed on top of `header`, and whether `tc:` may name the Who fields.
fn local_context(e: &Event, header: &[Namespace]) -> (Vec<Namespace>, bool) {
    let in_header = |n: &Namespace| header.iter().any(|h| h.prefix == n.prefix && h.iri == n.iri);
    let mut local: Vec<Namespace> = e.namespaces.iter().filter(|n| !is_standard(n) && !in_header(n)).cloned().collect();
    let tc_taken = e.namespaces.iter().any(|n| &*n.prefix == WHO_PREFIX && &*n.iri != WHO_NAMESPACE);
    let who_curie = !tc_taken;
    if has_who(e) && who_curie {
        let tc = Namespace { prefix: WHO_PREFIX.into(), iri: WHO_NAMESPACE.into() };
        if !in_header(&tc) && !local.iter().any(|n| n.prefix == tc.prefix) {
            local.push(tc);
        }
    }
    (local, who_curie)
}

pub(super) fn event_json(e: &Event, opts: &ExportOptions<'_>, header: &[Namespace]) -> Value {
    let mut m = Map::new();
    let (local, who_curie) = local_context(e, header);
    if !local.is_empty() {
        let ctx: Map<String, Value> =
            local.iter().map(|n| (n.prefix.to_string(), Value::String(n.iri.to_string()))).collect();
        m.insert("@context".into(), Value::Object(ctx));
    }
    let ns = &e.namespaces;
    let s = |x: &str| Value::String(x.to_owned());
    m.insert("type".into(), s(e.kind.as_str()));
    if let Some(id) = &e.event_id {
        m.insert("eventID".into(), s(id));
    }
    m.insert("eventTime".into(), s(&e.event_time.to_rfc3339_auto(e.event_time_zone_offset)));
    m.insert("eventTimeZoneOffset".into(), s(&e.event_time_zone_offset.to_string()));
    if let Some(t) = e.record_time {
        m.insert("recordTime".into(), time_json(t));
    }
    match e.certification_info.as_slice() {
        [] => {}
        [one] => {
            m.insert("certificationInfo".into(), s(one));
        }
        many => {
            m.insert("certificationInfo".into(), many.iter().map(|c| s(c)).collect());
        }
    }
    if let Some(d) = &e.error_declaration {
        m.insert("errorDeclaration".into(), error_declaration_json(d, ns));
    }
    what_json(&mut m, e, opts);
    why_json(&mut m, e, opts);
    if !e.ilmd.is_empty() {
        m.insert("ilmd".into(), Value::Object(extensions_json(&e.ilmd, ns)));
    }
    let who_name = |local: &str| {
        if who_curie { format!("{WHO_PREFIX}:{local}") } else { format!("{WHO_NAMESPACE}{local}") }
    };
    if let Some(p) = &e.who.party {
        m.insert(who_name("responsibleParty"), Value::String(id_text(p, opts)));
    }
    if let Some(o) = &e.who.operator {
        m.insert(who_name("operator"), s(o));
    }
    if let Some(d) = &e.who.device {
        m.insert(who_name("device"), s(d));
    }
    for x in &e.extensions {
        m.insert(compact(&x.name, ns), ext_json(&x.value, ns));
    }
    Value::Object(m)
}

/// The identifier lists, quantities, parent and action.
fn what_json(m: &mut Map<String, Value>, e: &Event, opts: &ExportOptions<'_>) {
    let ids = |l: &[Id]| Value::Array(l.iter().map(|i| Value::String(id_text(i, opts))).collect());
    let qs = |l: &[Quantity]| Value::Array(l.iter().map(|q| quantity_json(q, opts)).collect());
    if let Some(p) = &e.parent_id {
        m.insert("parentID".into(), Value::String(id_text(p, opts)));
    }
    // An ObjectEvent or TransactionEvent without other "what" still needs its (empty) epcList to be valid.
    let needs_epc_list = match e.kind {
        EventType::Object => e.quantity_list.is_empty() && (e.read_point.is_none() || e.sensor_elements.is_empty()),
        EventType::Transaction => e.quantity_list.is_empty() && e.action != Some(Action::Delete),
        _ => false,
    };
    if !e.epc_list.is_empty() || needs_epc_list {
        m.insert("epcList".into(), ids(&e.epc_list));
    }
    for (name, l) in [("childEPCs", &e.child_epcs), ("inputEPCList", &e.input_epc_list)] {
        if !l.is_empty() {
            m.insert(name.into(), ids(l));
        }
    }
    if !e.input_quantity_list.is_empty() {
        m.insert("inputQuantityList".into(), qs(&e.input_quantity_list));
    }
    if !e.output_epc_list.is_empty() {
        m.insert("outputEPCList".into(), ids(&e.output_epc_list));
    }
    for (name, l) in [
        ("outputQuantityList", &e.output_quantity_list),
        ("quantityList", &e.quantity_list),
        ("childQuantityList", &e.child_quantity_list),
    ] {
        if !l.is_empty() {
            m.insert(name.into(), qs(l));
        }
    }
    if let Some(t) = &e.transformation_id {
        m.insert("transformationID".into(), Value::String(t.to_string()));
    }
    if let Some(a) = e.action {
        m.insert("action".into(), Value::String(a.as_str().into()));
    }
}

/// bizStep to sensor data.
fn why_json(m: &mut Map<String, Value>, e: &Event, opts: &ExportOptions<'_>) {
    let ns = &e.namespaces;
    let s = |x: &str| Value::String(x.to_owned());
    if let Some(b) = &e.biz_step {
        m.insert("bizStep".into(), s(b.term()));
    }
    if let Some(d) = &e.disposition {
        m.insert("disposition".into(), s(d.term()));
    }
    if let Some(pd) = &e.persistent_disposition {
        let mut o = Map::new();
        if !pd.set.is_empty() {
            o.insert("set".into(), pd.set.iter().map(|d| s(d.term())).collect());
        }
        if !pd.unset.is_empty() {
            o.insert("unset".into(), pd.unset.iter().map(|d| s(d.term())).collect());
        }
        m.insert("persistentDisposition".into(), Value::Object(o));
    }
    for (name, place) in [("readPoint", &e.read_point), ("bizLocation", &e.biz_location)] {
        if let Some(pl) = place {
            let mut o = Map::new();
            o.insert("id".into(), Value::String(id_text(&pl.id, opts)));
            o.extend(extensions_json(&pl.extensions, ns));
            m.insert(name.into(), Value::Object(o));
        }
    }
    if !e.biz_transactions.is_empty() {
        let l = e.biz_transactions.iter().map(|b| {
            let mut o = Map::new();
            if let Some(k) = &b.kind {
                o.insert("type".into(), s(k.term()));
            }
            o.insert("bizTransaction".into(), Value::String(id_text(&b.value, opts)));
            Value::Object(o)
        });
        m.insert("bizTransactionList".into(), l.collect());
    }
    for (name, key, list) in [("sourceList", "source", &e.sources), ("destinationList", "destination", &e.destinations)]
    {
        if !list.is_empty() {
            let l = list.iter().map(|sd| {
                let mut o = Map::new();
                o.insert("type".into(), s(sd.kind.term()));
                o.insert(key.into(), Value::String(id_text(&sd.id, opts)));
                Value::Object(o)
            });
            m.insert(name.into(), l.collect());
        }
    }
    if !e.sensor_elements.is_empty() {
        m.insert("sensorElementList".into(), e.sensor_elements.iter().map(|el| sensor_element_json(el, ns)).collect());
    }
}

fn id_text(id: &Id, opts: &ExportOptions<'_>) -> String {
    if let (Some(gcp), Id::Key(k)) = (opts.gcp, id) {
        let text = k.to_string();
        if text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            let dl = format!("https://id.gs1.org/{text}");
            if let Ok(d) = crate::code::gs1::digital_link::parse_digital_link(&dl, &ParseOptions::new())
                && let Ok(urn) = crate::code::gs1::epc_uri::to_epc_uri(&d.gs1, gcp)
            {
                return urn;
            }
            return dl;
        }
    }
    id.to_uri(IdForm::DigitalLink)
}

fn time_json(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339_auto(TzOffset::UTC))
}

fn decimal_json(d: &Decimal) -> Value {
    // arbitrary_precision: the number keeps its exact decimal text.
    serde_json::from_str::<Number>(d.as_str()).map_or_else(|_| Value::String(d.as_str().to_owned()), Value::Number)
}

fn quantity_json(q: &Quantity, opts: &ExportOptions<'_>) -> Value {
    let mut o = Map::new();
    o.insert("epcClass".into(), Value::String(id_text(&q.class, opts)));
    if let Some(n) = &q.quantity {
        o.insert("quantity".into(), decimal_json(n));
    }
    if let Some(u) = &q.uom {
        o.insert("uom".into(), Value::String(u.to_string()));
    }
    Value::Object(o)
}

fn error_declaration_json(d: &ErrorDeclaration, ns: &[Namespace]) -> Value {
    let mut o = Map::new();
    o.insert("declarationTime".into(), time_json(d.declaration_time));
    if let Some(r) = &d.reason {
        o.insert("reason".into(), Value::String(r.term().to_owned()));
    }
    if !d.corrective_event_ids.is_empty() {
        o.insert(
            "correctiveEventIDs".into(),
            d.corrective_event_ids.iter().map(|c| Value::String(c.to_string())).collect(),
        );
    }
    o.extend(extensions_json(&d.extensions, ns));
    Value::Object(o)
}

fn put_str(o: &mut Map<String, Value>, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        o.insert(k.into(), Value::String(v.to_owned()));
    }
}

fn put_time(o: &mut Map<String, Value>, k: &str, v: Option<Timestamp>) {
    if let Some(t) = v {
        o.insert(k.into(), time_json(t));
    }
}

fn put_dec(o: &mut Map<String, Value>, k: &str, v: Option<&Decimal>) {
    if let Some(d) = v {
        o.insert(k.into(), decimal_json(d));
    }
}

fn sensor_element_json(el: &SensorElement, ns: &[Namespace]) -> Value {
    let mut o = Map::new();
    if let Some(m) = &el.metadata {
        let mut mo = Map::new();
        put_time(&mut mo, "time", m.time);
        put_time(&mut mo, "startTime", m.start_time);
        put_time(&mut mo, "endTime", m.end_time);
        put_str(&mut mo, "deviceID", m.device_id.as_deref());
        put_str(&mut mo, "deviceMetadata", m.device_metadata.as_deref());
        put_str(&mut mo, "rawData", m.raw_data.as_deref());
        put_str(&mut mo, "dataProcessingMethod", m.data_processing_method.as_deref());
        put_str(&mut mo, "bizRules", m.biz_rules.as_deref());
        mo.extend(extensions_json(&m.extensions, ns));
        o.insert("sensorMetadata".into(), Value::Object(mo));
    }
    o.insert("sensorReport".into(), el.reports.iter().map(|r| sensor_report_json(r, ns)).collect());
    o.extend(extensions_json(&el.extensions, ns));
    Value::Object(o)
}

fn sensor_report_json(r: &SensorReport, ns: &[Namespace]) -> Value {
    let mut o = Map::new();
    if let Some(k) = &r.kind {
        let short =
            k.strip_prefix(GS1_VOC).filter(|t| !t.is_empty() && !t.starts_with("//")).map(|t| format!("gs1:{t}"));
        o.insert("type".into(), Value::String(short.unwrap_or_else(|| k.to_string())));
    }
    put_str(&mut o, "exception", r.exception.as_deref());
    put_str(&mut o, "deviceID", r.device_id.as_deref());
    put_str(&mut o, "deviceMetadata", r.device_metadata.as_deref());
    put_str(&mut o, "rawData", r.raw_data.as_deref());
    put_str(&mut o, "dataProcessingMethod", r.data_processing_method.as_deref());
    put_str(&mut o, "bizRules", r.biz_rules.as_deref());
    put_time(&mut o, "time", r.time);
    put_str(&mut o, "microorganism", r.microorganism.as_deref());
    put_str(&mut o, "chemicalSubstance", r.chemical_substance.as_deref());
    put_dec(&mut o, "value", r.value.as_ref());
    put_str(&mut o, "component", r.component.as_deref());
    put_str(&mut o, "stringValue", r.string_value.as_deref());
    if let Some(b) = r.boolean_value {
        o.insert("booleanValue".into(), Value::Bool(b));
    }
    put_str(&mut o, "hexBinaryValue", r.hex_binary_value.as_deref());
    put_str(&mut o, "uriValue", r.uri_value.as_deref());
    put_dec(&mut o, "minValue", r.min_value.as_ref());
    put_dec(&mut o, "maxValue", r.max_value.as_ref());
    put_dec(&mut o, "meanValue", r.mean_value.as_ref());
    put_dec(&mut o, "sDev", r.s_dev.as_ref());
    put_dec(&mut o, "percRank", r.perc_rank.as_ref());
    put_dec(&mut o, "percValue", r.perc_value.as_ref());
    put_str(&mut o, "uom", r.uom.as_deref());
    put_str(&mut o, "coordinateReferenceSystem", r.coordinate_reference_system.as_deref());
    o.extend(extensions_json(&r.extensions, ns));
    Value::Object(o)
}

/// An expanded name written back as a CURIE when one of the event's namespaces covers it (longest IRI wins).
fn compact(name: &str, ns: &[Namespace]) -> String {
    let best = ns
        .iter()
        .filter_map(|n| {
            name.strip_prefix(&*n.iri).filter(|rest| !rest.is_empty() && !rest.starts_with("//")).map(|r| (n, r))
        })
        .max_by_key(|(n, _)| n.iri.len());
    match best {
        Some((n, rest)) => format!("{}:{rest}", n.prefix),
        None => name.to_owned(),
    }
}

fn extensions_json(list: &[Extension], ns: &[Namespace]) -> Map<String, Value> {
    list.iter().map(|x| (compact(&x.name, ns), ext_json(&x.value, ns))).collect()
}

fn ext_json(v: &ExtValue, ns: &[Namespace]) -> Value {
    match v {
        ExtValue::Null => Value::Null,
        ExtValue::Bool(b) => Value::Bool(*b),
        ExtValue::Number(d) => decimal_json(d),
        ExtValue::String(s) => Value::String(s.to_string()),
        ExtValue::Array(a) => a.iter().map(|x| ext_json(x, ns)).collect(),
        ExtValue::Object(o) => Value::Object(extensions_json(o, ns)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::code::gs1::gcp::{FixedGcpLength, NoGcpTable};
    use crate::event::epcis_json::{Context, event_from_json};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn export_ids_urn_or_digital_link() {
        let v = with(
            base_event(),
            "quantityList",
            json!([{"epcClass": "https://id.gs1.org/01/10614141073464/10/L1"}, {"epcClass": "https://id.gs1.org/01/10614141073464"}]),
        );
        let v = with(
            v,
            "epcList",
            json!(["https://id.gs1.org/01/10614141073464/21/2017", "urn:example:x", "cn-drug20:81234567890123456789"]),
        );
        let e = event_from_json(&v, &Context::new()).unwrap();
        let gcp = FixedGcpLength(7);
        let out = event_to_json(&e, &ExportOptions::epc_urn(&gcp));
        assert_eq!(
            out["epcList"],
            json!(["urn:epc:id:sgtin:0614141.107346.2017", "urn:example:x", "cn-drug20:81234567890123456789"])
        );
        assert_eq!(out["quantityList"][0]["epcClass"], "urn:epc:class:lgtin:0614141.107346.L1");
        // A GTIN-only class has no EPC form: it stays a Digital Link.
        assert_eq!(out["quantityList"][1]["epcClass"], "https://id.gs1.org/01/10614141073464");
        let none = event_to_json(&e, &ExportOptions::epc_urn(&NoGcpTable));
        assert_eq!(none["epcList"][0], "https://id.gs1.org/01/10614141073464/21/2017");
        assert_eq!(event_from_json(&out, &Context::new()).unwrap(), e);
        assert_eq!(event_from_json(&none, &Context::new()).unwrap(), e);
    }

    #[test]
    fn exact_numbers_and_own_offset() {
        let v = with(
            base_event(),
            "quantityList",
            json!([{"epcClass": "urn:a:b", "quantity": 12_345_678_901_234_567_890_u64}]),
        );
        let v = with(v, "ex:w", serde_json::from_str::<Value>("[200.50, 1e3, -0.0]").unwrap());
        let v = with(v, "eventTime", json!("2024-05-01T00:00:00.5Z"));
        let e = event_from_json(&v, &ex_ctx()).unwrap();
        let out = event_to_json(&e, &ExportOptions::default());
        let text = out.to_string();
        assert!(text.contains("\"quantity\":12345678901234567890"), "{text}");
        assert!(text.contains("\"ex:w\":[200.5,1000,0]"), "{text}");
        assert_eq!(out["eventTime"], "2024-05-01T08:00:00.500+08:00");
        assert_eq!(out["eventTimeZoneOffset"], "+08:00");
        assert_eq!(out["@context"], json!({"ex": "https://ns.example.com/epcis/"}));
    }

    #[test]
    fn who_round_trips_under_tc() {
        let mut e = event_from_json(&base_event(), &Context::new()).unwrap();
        e.who.party = Some(Id::parse("cn-uscc:91350100M000100Y43").unwrap());
        e.who.device = Some("urn:dev:1".into());
        let out = event_to_json(&e, &ExportOptions::default());
        assert_eq!(out["@context"], json!({"tc": WHO_NAMESPACE}));
        assert_eq!(out["tc:responsibleParty"], "cn-uscc:91350100M000100Y43");
        assert_eq!(event_from_json(&out, &Context::new()).unwrap(), e);
        // With `tc` taken by another namespace, Who is written with full IRIs.
        e.namespaces = vec![Namespace { prefix: "tc".into(), iri: "https://other.example/".into() }];
        e.extensions = vec![Extension { name: "https://other.example/x".into(), value: ExtValue::Null }];
        let out = event_to_json(&e, &ExportOptions::default());
        assert_eq!(out["urn:tracecode:epcis:device"], "urn:dev:1");
        assert_eq!(out["tc:x"], Value::Null);
        assert_eq!(event_from_json(&out, &Context::new()).unwrap(), e);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn event_json_round_trip(e in arb_event()) {
            prop_assert!(e.validate().is_ok(), "generator made an invalid event: {e:?}");
            let j = event_to_json(&e, &ExportOptions::default());
            let back = event_from_json(&j, &Context::new()).map_err(|x| TestCaseError::fail(format!("{x}\n{j:#}")))?;
            prop_assert_eq!(&back, &e);
            // JSON → event → JSON is the identity on exported JSON.
            prop_assert_eq!(event_to_json(&back, &ExportOptions::default()), j);
            // As URNs, too.
            let gcp = FixedGcpLength(7);
            let u = event_to_json(&e, &ExportOptions::epc_urn(&gcp));
            prop_assert_eq!(&event_from_json(&u, &Context::new()).unwrap(), &e);
        }
    }
}
