//! [`Event`] → JSON: one event as an EPCIS 2.0 JSON-LD object.

use std::fmt;

use serde_json::value::RawValue;

use super::Json;

use super::WHO_PREFIX;
use super::context::{GS1_VOC, STANDARD_PREFIXES};
use crate::code::ParseOptions;
use crate::code::gs1::gcp::CompanyPrefixLengths;
use crate::event::{
    Action, Decimal, ErrorDeclaration, Event, EventType, ExtValue, Extension, Id, IdForm, Namespace, Quantity,
    SensorElement, SensorReport, Timestamp, TzOffset, WHO_NAMESPACE,
};

/// An object's members in the order they are written (EPCIS order, not sorted).
type Members = Vec<(Box<str>, Json)>;

/// Appends a member: names are unique by construction (fixed EPCIS names, Who names and extension names, which an
/// imported event holds once each).
trait Put {
    fn put(&mut self, k: impl Into<Box<str>>, v: Json);
}

impl Put for Members {
    fn put(&mut self, k: impl Into<Box<str>>, v: Json) {
        self.push((k.into(), v));
    }
}

/// A JSON string.
fn jstr(s: impl Into<Box<str>>) -> Json {
    Json::String(s.into())
}

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

    /// The creation date set with [`Self::creation_date`].
    pub(crate) const fn creation(&self) -> Option<Timestamp> {
        self.creation_date
    }
}

/// Writes one event as an EPCIS 2.0 JSON-LD object: a [`Json`] tree whose members are in EPCIS order and whose numbers
/// keep their exact decimal text (`.to_string()` gives the JSON text; it is `Serialize`, indexes like a
/// `serde_json::Value` and compares equal to one). The object carries its own `@context` declaring the
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
pub fn event_to_json(e: &Event, opts: &ExportOptions<'_>) -> Json {
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

pub(super) fn event_json(e: &Event, opts: &ExportOptions<'_>, header: &[Namespace]) -> Json {
    let mut m = Members::new();
    let (local, who_curie) = local_context(e, header);
    if !local.is_empty() {
        let ctx: Members = local.iter().map(|n| (n.prefix.clone(), jstr(n.iri.clone()))).collect();
        m.put("@context", Json::Object(ctx));
    }
    let ns = &e.namespaces;
    let s = |x: &str| jstr(x.to_owned());
    m.put("type", s(e.kind.as_str()));
    if let Some(id) = &e.epcis_event_id {
        m.put("eventID", s(id));
    }
    m.put("eventTime", s(&e.event_time.to_rfc3339_auto(e.event_time_zone_offset)));
    m.put("eventTimeZoneOffset", s(&e.event_time_zone_offset.to_string()));
    if let Some(t) = e.record_time {
        m.put("recordTime", time_json(t));
    }
    match e.certification_info.as_slice() {
        [] => {}
        [one] => {
            m.put("certificationInfo", s(one));
        }
        many => {
            m.put("certificationInfo", many.iter().map(|c| s(c)).collect());
        }
    }
    if let Some(d) = &e.error_declaration {
        m.put("errorDeclaration", error_declaration_json(d, ns));
    }
    what_json(&mut m, e, opts);
    why_json(&mut m, e, opts);
    if !e.ilmd.is_empty() {
        m.put("ilmd", Json::Object(extensions_json(&e.ilmd, ns)));
    }
    let who_name = |local: &str| {
        if who_curie { format!("{WHO_PREFIX}:{local}") } else { format!("{WHO_NAMESPACE}{local}") }
    };
    if let Some(p) = &e.who.party {
        m.put(who_name("responsibleParty"), jstr(id_text(p, opts)));
    }
    if let Some(o) = &e.who.operator {
        m.put(who_name("operator"), s(o));
    }
    if let Some(d) = &e.who.device {
        m.put(who_name("device"), s(d));
    }
    for x in &e.extensions {
        m.put(compact(&x.name, ns), ext_json(&x.value, ns));
    }
    Json::Object(m)
}

/// The identifier lists, quantities, parent and action.
fn what_json(m: &mut Members, e: &Event, opts: &ExportOptions<'_>) {
    let ids = |l: &[Id]| Json::Array(l.iter().map(|i| jstr(id_text(i, opts))).collect());
    let qs = |l: &[Quantity]| Json::Array(l.iter().map(|q| quantity_json(q, opts)).collect());
    if let Some(p) = &e.parent_id {
        m.put("parentID", jstr(id_text(p, opts)));
    }
    // A TransactionEvent that names only its parentID still needs an (empty) epcList: the JSON Schema asks for the
    // key. A valid ObjectEvent never does (`Event::validate`: it names an object, or has sensors at a readPoint).
    let needs_epc_list =
        e.kind == EventType::Transaction && e.quantity_list.is_empty() && e.action != Some(Action::Delete);
    if !e.epc_list.is_empty() || needs_epc_list {
        m.put("epcList", ids(&e.epc_list));
    }
    for (name, l) in [("childEPCs", &e.child_epcs), ("inputEPCList", &e.input_epc_list)] {
        if !l.is_empty() {
            m.put(name, ids(l));
        }
    }
    if !e.input_quantity_list.is_empty() {
        m.put("inputQuantityList", qs(&e.input_quantity_list));
    }
    if !e.output_epc_list.is_empty() {
        m.put("outputEPCList", ids(&e.output_epc_list));
    }
    for (name, l) in [
        ("outputQuantityList", &e.output_quantity_list),
        ("quantityList", &e.quantity_list),
        ("childQuantityList", &e.child_quantity_list),
    ] {
        if !l.is_empty() {
            m.put(name, qs(l));
        }
    }
    if let Some(t) = &e.transformation_id {
        m.put("transformationID", jstr(t.to_string()));
    }
    if let Some(a) = e.action {
        m.put("action", jstr(a.as_str()));
    }
}

/// bizStep to sensor data.
fn why_json(m: &mut Members, e: &Event, opts: &ExportOptions<'_>) {
    let ns = &e.namespaces;
    let s = |x: &str| jstr(x.to_owned());
    if let Some(b) = &e.biz_step {
        m.put("bizStep", s(b.term()));
    }
    if let Some(d) = &e.disposition {
        m.put("disposition", s(d.term()));
    }
    if let Some(pd) = &e.persistent_disposition {
        let mut o = Members::new();
        if !pd.set.is_empty() {
            o.put("set", pd.set.iter().map(|d| s(d.term())).collect());
        }
        if !pd.unset.is_empty() {
            o.put("unset", pd.unset.iter().map(|d| s(d.term())).collect());
        }
        m.put("persistentDisposition", Json::Object(o));
    }
    for (name, place) in [("readPoint", &e.read_point), ("bizLocation", &e.biz_location)] {
        if let Some(pl) = place {
            let mut o = Members::new();
            o.put("id", jstr(id_text(&pl.id, opts)));
            o.extend(extensions_json(&pl.extensions, ns));
            m.put(name, Json::Object(o));
        }
    }
    if !e.biz_transactions.is_empty() {
        let l = e.biz_transactions.iter().map(|b| {
            let mut o = Members::new();
            if let Some(k) = &b.kind {
                o.put("type", s(k.term()));
            }
            o.put("bizTransaction", jstr(id_text(&b.value, opts)));
            Json::Object(o)
        });
        m.put("bizTransactionList", l.collect());
    }
    for (name, key, list) in [("sourceList", "source", &e.sources), ("destinationList", "destination", &e.destinations)]
    {
        if !list.is_empty() {
            let l = list.iter().map(|sd| {
                let mut o = Members::new();
                o.put("type", s(sd.kind.term()));
                o.put(key, jstr(id_text(&sd.id, opts)));
                Json::Object(o)
            });
            m.put(name, l.collect());
        }
    }
    if !e.sensor_elements.is_empty() {
        m.put("sensorElementList", e.sensor_elements.iter().map(|el| sensor_element_json(el, ns)).collect());
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

fn time_json(t: Timestamp) -> Json {
    jstr(t.to_rfc3339_auto(TzOffset::UTC))
}

fn decimal_json(d: &Decimal) -> Json {
    // The number keeps its exact decimal text (serde_json's `Number` would need `arbitrary_precision` for that); a
    // text that is not JSON number syntax is written as a string, as before.
    let t = d.as_str();
    let number = t.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && !t.contains(|c: char| c.is_ascii_whitespace())
        && RawValue::from_string(t.to_owned()).is_ok();
    if number { Json::Number(t.into()) } else { jstr(t) }
}

fn quantity_json(q: &Quantity, opts: &ExportOptions<'_>) -> Json {
    let mut o = Members::new();
    o.put("epcClass", jstr(id_text(&q.class, opts)));
    if let Some(n) = &q.quantity {
        o.put("quantity", decimal_json(n));
    }
    if let Some(u) = &q.uom {
        o.put("uom", jstr(u.to_string()));
    }
    Json::Object(o)
}

fn error_declaration_json(d: &ErrorDeclaration, ns: &[Namespace]) -> Json {
    let mut o = Members::new();
    o.put("declarationTime", time_json(d.declaration_time));
    if let Some(r) = &d.reason {
        o.put("reason", jstr(r.term().to_owned()));
    }
    if !d.corrective_event_ids.is_empty() {
        o.put("correctiveEventIDs", d.corrective_event_ids.iter().map(|c| jstr(c.to_string())).collect());
    }
    o.extend(extensions_json(&d.extensions, ns));
    Json::Object(o)
}

fn put_str(o: &mut Members, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        o.put(k, jstr(v.to_owned()));
    }
}

fn put_time(o: &mut Members, k: &str, v: Option<Timestamp>) {
    if let Some(t) = v {
        o.put(k, time_json(t));
    }
}

fn put_dec(o: &mut Members, k: &str, v: Option<&Decimal>) {
    if let Some(d) = v {
        o.put(k, decimal_json(d));
    }
}

fn sensor_element_json(el: &SensorElement, ns: &[Namespace]) -> Json {
    let mut o = Members::new();
    if let Some(m) = &el.metadata {
        let mut mo = Members::new();
        put_time(&mut mo, "time", m.time);
        put_time(&mut mo, "startTime", m.start_time);
        put_time(&mut mo, "endTime", m.end_time);
        put_str(&mut mo, "deviceID", m.device_id.as_deref());
        put_str(&mut mo, "deviceMetadata", m.device_metadata.as_deref());
        put_str(&mut mo, "rawData", m.raw_data.as_deref());
        put_str(&mut mo, "dataProcessingMethod", m.data_processing_method.as_deref());
        put_str(&mut mo, "bizRules", m.biz_rules.as_deref());
        mo.extend(extensions_json(&m.extensions, ns));
        o.put("sensorMetadata", Json::Object(mo));
    }
    o.put("sensorReport", el.reports.iter().map(|r| sensor_report_json(r, ns)).collect());
    o.extend(extensions_json(&el.extensions, ns));
    Json::Object(o)
}

fn sensor_report_json(r: &SensorReport, ns: &[Namespace]) -> Json {
    let mut o = Members::new();
    if let Some(k) = &r.kind {
        let short =
            k.strip_prefix(GS1_VOC).filter(|t| !t.is_empty() && !t.starts_with("//")).map(|t| format!("gs1:{t}"));
        o.put("type", jstr(short.unwrap_or_else(|| k.to_string())));
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
        o.put("booleanValue", Json::Bool(b));
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
    Json::Object(o)
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

fn extensions_json(list: &[Extension], ns: &[Namespace]) -> Members {
    list.iter().map(|x| (compact(&x.name, ns).into(), ext_json(&x.value, ns))).collect()
}

fn ext_json(v: &ExtValue, ns: &[Namespace]) -> Json {
    match v {
        ExtValue::Null => Json::Null,
        ExtValue::Bool(b) => Json::Bool(*b),
        ExtValue::Number(d) => decimal_json(d),
        ExtValue::String(s) => jstr(s.to_string()),
        ExtValue::Array(a) => a.iter().map(|x| ext_json(x, ns)).collect(),
        ExtValue::Object(o) => Json::Object(extensions_json(o, ns)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::code::gs1::gcp::{FixedGcpLength, NoGcpTable};
    use crate::event::epcis_json::{Context, event_from_json};
    use proptest::prelude::*;
    use serde_json::{Value, json};

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
