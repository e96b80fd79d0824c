//! The streaming `EPCISDocument` writer: head, one event at a time, tail.

use std::fmt;
use std::io::{self, Write};

use super::to_json::{ExportOptions, event_json, is_standard};
use super::{EPCIS_CONTEXT, Json, WHO_PREFIX};
use crate::event::{Event, Namespace, Timestamp, TzOffset, WHO_NAMESPACE};
use crate::{Error, ErrorKind};

/// A failed write, with the writer's error as the `source()`.
fn io_error(e: io::Error) -> Error {
    Error::msg(ErrorKind::Io, format!("cannot write the EPCIS document: {e}")).with_source(e)
}

/// Writes an `EPCISDocument` one event at a time (memory independent of the number of events).
///
/// The document's `@context` declares the namespaces given to [`DocumentWriter::new`] and `tc`; an event that uses
/// another prefix (or the same prefix for another IRI) carries its own `@context`, so nothing is lost.
///
/// ```
/// use tracecode::event::epcis_json::{Context, DocumentWriter, ExportOptions, event_from_json};
/// let e = event_from_json(&serde_json::json!({"type": "ObjectEvent", "action": "ADD",
///     "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00", "epcList": ["urn:example:item:1"]}),
///     &Context::new())?;
/// let mut w = DocumentWriter::new(Vec::new(), &ExportOptions::default(), &[])?;
/// w.write_event(&e)?;
/// let bytes = w.finish()?;
/// let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
/// assert_eq!(doc["type"], "EPCISDocument");
/// assert_eq!(doc["epcisBody"]["eventList"][0]["eventTime"], "2024-05-01T08:00:00+08:00");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub struct DocumentWriter<'o, W: Write> {
    w: W,
    opts: ExportOptions<'o>,
    header: Vec<Namespace>,
    first: bool,
    /// What closes the document: the event list and the objects around it.
    tail: &'static [u8],
}

impl<W: Write> fmt::Debug for DocumentWriter<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentWriter").field("opts", &self.opts).field("header", &self.header).finish_non_exhaustive()
    }
}

impl<'o, W: Write> DocumentWriter<'o, W> {
    /// Writes the document head, declaring `namespaces` (plus `tc`; standard prefixes are left to the standard
    /// context; a repeated prefix keeps its first IRI).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    pub fn new(w: W, opts: &ExportOptions<'o>, namespaces: &[Namespace]) -> Result<Self, Error> {
        Self::start(w, opts, namespaces, None, &[])
    }

    /// As [`Self::new`], with `master_data` in the header (`epcisHeader.epcisMasterData.vocabularyList`).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    ///
    /// ```
    /// use tracecode::event::epcis_json::{DocumentWriter, ExportOptions};
    /// use tracecode::masterdata::{Vocabulary, VocabularyElement};
    /// let md = [Vocabulary { kind: "urn:epcglobal:epcis:vtype:ReadPoint".into(),
    ///                        elements: vec![VocabularyElement::new("urn:epc:id:sgln:0614141.00777.0")] }];
    /// let w = DocumentWriter::with_master_data(Vec::new(), &ExportOptions::default(), &[], &md)?;
    /// let doc: serde_json::Value = serde_json::from_slice(&w.finish()?).unwrap();
    /// assert_eq!(Vocabulary::from_json_document(&doc)?, md);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn with_master_data(
        w: W,
        opts: &ExportOptions<'o>,
        namespaces: &[Namespace],
        master_data: &[crate::masterdata::Vocabulary],
    ) -> Result<Self, Error> {
        Self::start(w, opts, namespaces, None, master_data)
    }

    /// Writes the head of an `EPCISQueryDocument` answering the query `query_name` (the events go in
    /// `epcisBody.queryResults.resultsBody.eventList`); otherwise as [`Self::new`].
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    ///
    /// ```
    /// use tracecode::event::epcis_json::{DocumentWriter, ExportOptions};
    /// let w = DocumentWriter::query_results(Vec::new(), &ExportOptions::default(), &[], "SimpleEventQuery")?;
    /// let doc: serde_json::Value = serde_json::from_slice(&w.finish()?).unwrap();
    /// assert_eq!(doc["type"], "EPCISQueryDocument");
    /// assert_eq!(doc["epcisBody"]["queryResults"]["queryName"], "SimpleEventQuery");
    /// assert!(doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array().unwrap().is_empty());
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn query_results(
        w: W,
        opts: &ExportOptions<'o>,
        namespaces: &[Namespace],
        query_name: &str,
    ) -> Result<Self, Error> {
        Self::start(w, opts, namespaces, Some(query_name), &[])
    }

    fn start(
        mut w: W,
        opts: &ExportOptions<'o>,
        namespaces: &[Namespace],
        query: Option<&str>,
        master_data: &[crate::masterdata::Vocabulary],
    ) -> Result<Self, Error> {
        let mut header: Vec<Namespace> = Vec::new();
        let tc = Namespace { prefix: WHO_PREFIX.into(), iri: WHO_NAMESPACE.into() };
        for n in namespaces.iter().chain(std::iter::once(&tc)) {
            if !is_standard(n) && !header.iter().any(|h| h.prefix == n.prefix) {
                header.push(n.clone());
            }
        }
        // In the order declared (a `serde_json::Value` would sort the prefixes without `preserve_order`).
        let ctx = header.iter().map(|n| (n.prefix.clone(), Json::String(n.iri.clone()))).collect();
        let created = opts.creation_date.unwrap_or_else(now);
        let head = Json::Array(vec![Json::String(EPCIS_CONTEXT.into()), Json::Object(ctx)]);
        let (kind, body, tail): (_, String, &[u8]) = match query {
            None => ("EPCISDocument", "{\"eventList\":[".into(), b"\n]}}\n"),
            Some(name) => (
                "EPCISQueryDocument",
                format!(
                    "{{\"queryResults\":{{\"queryName\":{},\"resultsBody\":{{\"eventList\":[",
                    Json::String(name.into())
                ),
                b"\n]}}}}\n",
            ),
        };
        let header_json = if master_data.is_empty() {
            String::new()
        } else {
            let list = crate::masterdata::Vocabulary::to_json_list(master_data);
            format!("\"epcisHeader\":{{\"epcisMasterData\":{{\"vocabularyList\":{list}}}}},")
        };
        let text = format!(
            "{{\"@context\":{head},\"type\":\"{kind}\",\"schemaVersion\":\"2.0\",\"creationDate\":\"{}\",\
             {header_json}\"epcisBody\":{body}",
            created.to_rfc3339(TzOffset::UTC, 3)
        );
        w.write_all(text.as_bytes()).map_err(io_error)?;
        Ok(Self { w, opts: *opts, header, first: true, tail })
    }

    /// Appends one event.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    pub fn write_event(&mut self, e: &Event) -> Result<(), Error> {
        let v = event_json(e, &self.opts, &self.header);
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        self.w.write_all(sep).map_err(io_error)?;
        // The tree's own text: EPCIS member order and exact numbers, without serde_json's features.
        write!(self.w, "{v}").map_err(io_error)
    }

    /// Closes the document and returns the writer (flushed).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.w.write_all(self.tail).map_err(io_error)?;
        self.w.flush().map_err(io_error)?;
        Ok(self.w)
    }
}

fn now() -> Timestamp {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .unwrap_or(0);
    Timestamp(nanos)
}

/// Writes `events` as one `EPCISDocument`. The iterator is walked twice (first to collect the namespaces for the
/// document's `@context`), so it must be cheap to clone (a slice iterator, a store scan that can restart).
///
/// # Errors
/// [`ErrorKind::Io`] if writing fails.
///
/// ```
/// use tracecode::event::epcis_json::{export_document, import_all, Context, ExportOptions, Mode, event_from_json};
/// let e = event_from_json(&serde_json::json!({"type": "ObjectEvent", "action": "ADD",
///     "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
///     "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"],
///     "@context": {"ex": "https://ns.example.com/"}, "ex:line": 4}), &Context::new())?;
/// let mut out = Vec::new();
/// export_document(std::slice::from_ref(&e), &ExportOptions::default(), &mut out)?;
/// let (events, _) = import_all(out.as_slice(), Mode::AllOrNothing)?;
/// assert_eq!(events, vec![e]);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn export_document<'e, I>(events: I, opts: &ExportOptions<'_>, writer: impl Write) -> Result<(), Error>
where
    I: IntoIterator<Item = &'e Event>,
    I::IntoIter: Clone,
{
    let it = events.into_iter();
    let mut ns: Vec<Namespace> = Vec::new();
    for e in it.clone() {
        for n in &e.namespaces {
            if !ns.iter().any(|x| x.prefix == n.prefix) {
                ns.push(n.clone());
            }
        }
    }
    let mut w = DocumentWriter::new(writer, opts, &ns)?;
    for e in it {
        w.write_event(e)?;
    }
    w.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::event::epcis_json::{Context, Mode, event_from_json, import_all};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    #[test]
    fn writer_adds_event_contexts_for_new_prefixes() {
        let a = event_from_json(&with(base_event(), "ex:a", json!(1)), &ex_ctx()).unwrap();
        let other = Context::from_json(&json!({"ex": "urn:other:", "zz": "urn:zz:"})).unwrap();
        let b = event_from_json(&with(with(base_event(), "ex:b", json!(2)), "zz:c", json!(3)), &other).unwrap();
        let mut w =
            DocumentWriter::new(Vec::new(), &ExportOptions::default().creation_date(Timestamp(0)), &a.namespaces)
                .unwrap();
        w.write_event(&a).unwrap();
        w.write_event(&b).unwrap();
        let bytes = w.finish().unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["creationDate"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["@context"][1], json!({"ex": "https://ns.example.com/epcis/", "tc": WHO_NAMESPACE}));
        let list = &v["epcisBody"]["eventList"];
        assert!(list[0].get("@context").is_none());
        assert_eq!(list[1]["@context"], json!({"ex": "urn:other:", "zz": "urn:zz:"}));
        let (events, _) = import_all(bytes.as_slice(), Mode::AllOrNothing).unwrap();
        assert_eq!(events, vec![a, b]);
    }

    #[test]
    fn members_in_epcis_order_numbers_exact() {
        // Written as declared and in EPCIS order, not sorted (no serde_json `preserve_order` needed).
        let zz = Namespace { prefix: "zz".into(), iri: "urn:zz:".into() };
        let v = with(with(base_event(), "ex:n", json!(1)), "quantityList", json!([{"epcClass": "urn:a:b"}]));
        let mut e = event_from_json(&v, &ex_ctx()).unwrap();
        e.extensions[0].value =
            crate::event::ExtValue::Number(crate::event::Decimal::parse("12345678901234567890.123456789").unwrap());
        let mut w = DocumentWriter::new(
            Vec::new(),
            &ExportOptions::default().creation_date(Timestamp(0)),
            &[zz, e.namespaces[0].clone()],
        )
        .unwrap();
        w.write_event(&e).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let head = format!(
            "{{\"@context\":[\"{EPCIS_CONTEXT}\",{{\"zz\":\"urn:zz:\",\"ex\":\"https://ns.example.com/epcis/\",\
             \"tc\":\"{WHO_NAMESPACE}\"}}],\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\
             \"creationDate\":\"1970-01-01T00:00:00.000Z\",\"epcisBody\":{{\"eventList\":[\n{{\"type\":\"ObjectEvent\",\
             \"eventTime\":"
        );
        assert!(text.starts_with(&head), "{text}");
        assert!(text.contains(r#""quantityList":[{"epcClass":"urn:a:b"}],"action":"OBSERVE""#), "{text}");
        assert!(text.ends_with("\"ex:n\":12345678901234567890.123456789}\n]}}\n"), "{text}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn document_round_trip(events in prop::collection::vec(arb_event(), 0..4)) {
            let mut out = Vec::new();
            export_document(&events, &ExportOptions::default(), &mut out).unwrap();
            let (back, s) = import_all(out.as_slice(), Mode::AllOrNothing).unwrap();
            prop_assert_eq!(back, events);
            prop_assert_eq!(s.rejected_total, 0);
        }
    }
}
