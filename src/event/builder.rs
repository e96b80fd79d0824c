//! [`EventBuilder`]: an [`Event`] in one expression, checked by [`Event::validate`] when it is built.

use super::{
    Action, BizStep, BizTransaction, BizTransactionType, Disposition, ErrorDeclaration, Event, EventType, Extension,
    Id, Namespace, PersistentDisposition, Place, Quantity, SensorElement, SourceDest, SourceDestType, Timestamp,
    TzOffset, Who, epcis_json::EventError,
};

/// Builds an [`Event`] with chained setters; [`build`](Self::build) checks it with [`Event::validate`].
///
/// Why a builder when every field of [`Event`] is public: an event filled field by field can be stored or exported
/// before anyone validates it, and fields that belong together (a `TransactionEvent` and its business transaction,
/// a `TransformationEvent`'s inputs and outputs) are easy to forget. The builder starts from the event type and its
/// `action`, and returns only an event that passes [`Event::validate`], so it can be ingested and exported.
///
/// Start from [`Event::object`], [`Event::aggregation`], [`Event::association`], [`Event::transaction`],
/// [`Event::transformation`] or, for an extension event type, [`EventBuilder::new`]. List setters (`epc`,
/// `quantity`, `child`, `input`, ...) append one element each; the others set their field, replacing what was there.
///
/// ```
/// use tracecode::event::{BizStep, Disposition, Event, Id, Timestamp};
///
/// // Shipping one item from a warehouse dock, at 08:30 local time in UTC+8.
/// let (t, offset) = Timestamp::parse("2026-03-01T08:30:00+08:00")?;
/// let e = Event::object(tracecode::event::Action::Observe, t, offset)
///     .epc(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?)
///     .biz_step(BizStep::Shipping)
///     .disposition(Disposition::InTransit)
///     .read_point(Id::parse("urn:epc:id:sgln:0614141.07346.1234")?)
///     .build()?;
/// assert_eq!(e.epc_list.len(), 1);
/// assert_eq!(e.event_time_zone_offset, offset);
///
/// // An ObjectEvent about nothing is refused, with the field the rule is about.
/// let err = Event::object(tracecode::event::Action::Observe, t, offset).build().unwrap_err();
/// assert_eq!(err.pointer(), "/epcList");
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct EventBuilder {
    event: Event,
}

impl Event {
    /// An `ObjectEvent` with `action` at `time` (UTC offset `offset`): name its objects with
    /// [`epc`](EventBuilder::epc) or [`quantity`](EventBuilder::quantity).
    ///
    /// ```
    /// use tracecode::event::{Action, BizStep, Decimal, Event, Id, Quantity, Timestamp, TzOffset};
    /// // 50 kg of a lot commissioned at a farm.
    /// let lot = Id::parse("https://id.gs1.org/01/09506000134352/10/LOT42")?;
    /// let e = Event::object(Action::Add, "2026-03-01T06:00:00Z".parse()?, TzOffset::UTC)
    ///     .quantity(Quantity::new(lot, Decimal::from(50)).with_uom("KGM")?)
    ///     .biz_step(BizStep::Commissioning)
    ///     .build()?;
    /// assert_eq!(e.quantity_list[0].uom.as_deref(), Some("KGM"));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn object(action: Action, time: Timestamp, offset: TzOffset) -> EventBuilder {
        EventBuilder::new(EventType::Object, time, offset).action(action)
    }

    /// An `AggregationEvent` with `action`: name the container with [`parent`](EventBuilder::parent) (required
    /// for ADD and DELETE) and its contents with [`child`](EventBuilder::child) or
    /// [`child_quantity`](EventBuilder::child_quantity) (required unless DELETE).
    ///
    /// ```
    /// use tracecode::event::{Action, BizStep, Event, Id, TzOffset};
    /// // Two cases packed onto a pallet.
    /// let e = Event::aggregation(Action::Add, "2026-03-01T07:00:00Z".parse()?, TzOffset::UTC)
    ///     .parent(Id::parse("urn:epc:id:sscc:0614141.1234567890")?)
    ///     .child(Id::parse("urn:epc:id:sgtin:0614141.107346.1")?)
    ///     .child(Id::parse("urn:epc:id:sgtin:0614141.107346.2")?)
    ///     .biz_step(BizStep::Packing)
    ///     .build()?;
    /// assert_eq!(e.child_epcs.len(), 2);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn aggregation(action: Action, time: Timestamp, offset: TzOffset) -> EventBuilder {
        EventBuilder::new(EventType::Aggregation, time, offset).action(action)
    }

    /// An `AssociationEvent` with `action`: name the asset with [`parent`](EventBuilder::parent) (always
    /// required) and what is associated with it with [`child`](EventBuilder::child) (required unless DELETE).
    ///
    /// ```
    /// use tracecode::event::{Action, Event, Id, TzOffset};
    /// // A temperature logger attached to a returnable crate.
    /// let e = Event::association(Action::Add, "2026-03-01T07:30:00Z".parse()?, TzOffset::UTC)
    ///     .parent(Id::parse("urn:epc:id:grai:0614141.12345.400")?)
    ///     .child(Id::parse("urn:epc:id:giai:0614141.SENSOR-9")?)
    ///     .build()?;
    /// assert!(e.parent_id.is_some());
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn association(action: Action, time: Timestamp, offset: TzOffset) -> EventBuilder {
        EventBuilder::new(EventType::Association, time, offset).action(action)
    }

    /// A `TransactionEvent` with `action`: add at least one [`biz_transaction`](EventBuilder::biz_transaction),
    /// and (unless DELETE) the objects or the [`parent`](EventBuilder::parent) it concerns.
    ///
    /// ```
    /// use tracecode::event::{Action, BizTransactionType, Event, Id, TzOffset};
    /// // A pallet attached to a purchase order.
    /// let e = Event::transaction(Action::Add, "2026-03-01T09:00:00Z".parse()?, TzOffset::UTC)
    ///     .biz_transaction(BizTransactionType::Po, Id::parse("urn:epcglobal:cbv:bt:0614141073467:PO-77")?)
    ///     .parent(Id::parse("urn:epc:id:sscc:0614141.1234567890")?)
    ///     .build()?;
    /// assert_eq!(e.biz_transactions.len(), 1);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn transaction(action: Action, time: Timestamp, offset: TzOffset) -> EventBuilder {
        EventBuilder::new(EventType::Transaction, time, offset).action(action)
    }

    /// A `TransformationEvent` (it has no action): inputs ([`input`](EventBuilder::input),
    /// [`input_quantity`](EventBuilder::input_quantity)) and outputs ([`output`](EventBuilder::output),
    /// [`output_quantity`](EventBuilder::output_quantity)), or a
    /// [`transformation_id`](EventBuilder::transformation_id) with either.
    ///
    /// ```
    /// use tracecode::event::{BizStep, Decimal, Event, Id, Quantity, TzOffset};
    /// // Apples pressed into juice.
    /// let apples = Id::parse("https://id.gs1.org/01/09506000134352/10/APPLES-7")?;
    /// let juice = Id::parse("https://id.gs1.org/01/09506000134369/10/JUICE-3")?;
    /// let e = Event::transformation("2026-03-02T10:00:00+02:00".parse()?, TzOffset(120))
    ///     .input_quantity(Quantity::new(apples, Decimal::parse("120.5")?).with_uom("KGM")?)
    ///     .output_quantity(Quantity::new(juice, Decimal::from(80)).with_uom("LTR")?)
    ///     .biz_step(BizStep::Commissioning)
    ///     .build()?;
    /// assert_eq!(e.action, None);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn transformation(time: Timestamp, offset: TzOffset) -> EventBuilder {
        EventBuilder::new(EventType::Transformation, time, offset)
    }
}

/// Generates the setters of list fields: each appends one element.
macro_rules! push_setters {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.event.$field.push(value.into());
                self
            }
        )*
    };
}

/// Generates the setters of optional fields: each sets its field.
macro_rules! set_setters {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.event.$field = Some(value.into());
                self
            }
        )*
    };
}

impl EventBuilder {
    /// A builder for an event of any `kind` (an extension event type, say) at `time`, every other field empty.
    ///
    /// ```
    /// use tracecode::event::{EventBuilder, EventType, Timestamp, TzOffset};
    /// let e = EventBuilder::new(EventType::Extension("urn:example:InspectionEvent".into()), Timestamp(0), TzOffset::UTC)
    ///     .build()?;
    /// assert_eq!(e.kind.as_str(), "urn:example:InspectionEvent");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn new(kind: EventType, time: Timestamp, offset: TzOffset) -> Self {
        Self { event: Event::new(kind, time, offset) }
    }

    /// `action` (ADD, OBSERVE, DELETE).
    pub fn action(mut self, action: Action) -> Self {
        self.event.action = Some(action);
        self
    }

    push_setters! {
        /// Appends to `epcList` (ObjectEvent, TransactionEvent).
        epc(Id) => epc_list;
        /// Appends to `quantityList` (ObjectEvent, TransactionEvent).
        quantity(Quantity) => quantity_list;
        /// Appends to `childEPCs` (AggregationEvent, AssociationEvent).
        child(Id) => child_epcs;
        /// Appends to `childQuantityList` (AggregationEvent, AssociationEvent).
        child_quantity(Quantity) => child_quantity_list;
        /// Appends to `inputEPCList` (TransformationEvent).
        input(Id) => input_epc_list;
        /// Appends to `inputQuantityList` (TransformationEvent).
        input_quantity(Quantity) => input_quantity_list;
        /// Appends to `outputEPCList` (TransformationEvent).
        output(Id) => output_epc_list;
        /// Appends to `outputQuantityList` (TransformationEvent).
        output_quantity(Quantity) => output_quantity_list;
        /// Appends to `certificationInfo` (a URI).
        certification(Box<str>) => certification_info;
        /// Appends to `sensorElementList`.
        sensor(SensorElement) => sensor_elements;
        /// Appends to `ilmd` (ObjectEvent with ADD, TransformationEvent); the name is a full IRI: declare its
        /// prefix with [`namespace`](Self::namespace) to have it exported as a CURIE.
        ilmd(Extension) => ilmd;
        /// Appends an event-level extension; the name is a full IRI, as for [`ilmd`](Self::ilmd).
        extension(Extension) => extensions;
    }

    set_setters! {
        /// `parentID` (AggregationEvent, AssociationEvent, TransactionEvent).
        parent(Id) => parent_id;
        /// `transformationID` (TransformationEvent): a URI shared by the events of one transformation.
        transformation_id(Box<str>) => transformation_id;
        /// `bizStep`.
        biz_step(BizStep) => biz_step;
        /// `disposition`.
        disposition(Disposition) => disposition;
        /// `persistentDisposition`.
        persistent_disposition(PersistentDisposition) => persistent_disposition;
        /// `readPoint`: an [`Id`] or a [`Place`] with extensions.
        read_point(Place) => read_point;
        /// `bizLocation`: an [`Id`] or a [`Place`] with extensions.
        biz_location(Place) => biz_location;
        /// `recordTime` (a repository sets it at capture; importers ignore it on input).
        record_time(Timestamp) => record_time;
        /// `eventID`: the capturing application's identifier for the event (a URI).
        epcis_event_id(Box<str>) => epcis_event_id;
        /// `errorDeclaration`: declares this event erroneous.
        error_declaration(ErrorDeclaration) => error_declaration;
    }

    /// Appends a typed business transaction to `bizTransactionList` (for an untyped one, push a
    /// [`BizTransaction`] with `kind: None` onto the built event).
    pub fn biz_transaction(mut self, kind: BizTransactionType, value: Id) -> Self {
        self.event.biz_transactions.push(BizTransaction::new(kind, value));
        self
    }

    /// Appends to `sourceList`.
    pub fn source(mut self, kind: SourceDestType, id: Id) -> Self {
        self.event.sources.push(SourceDest { kind, id });
        self
    }

    /// Appends to `destinationList`.
    pub fn destination(mut self, kind: SourceDestType, id: Id) -> Self {
        self.event.destinations.push(SourceDest { kind, id });
        self
    }

    /// Declares the JSON-LD prefix of an extension namespace the event's [`ilmd`](Self::ilmd) or
    /// [`extension`](Self::extension) names use, so export writes `prefix:name`. Kept sorted by prefix, one IRI
    /// per prefix (a later call for the same prefix replaces the IRI): the order the importer gives, so the event
    /// round-trips through EPCIS JSON to an equal value.
    ///
    /// ```
    /// use tracecode::event::{Action, Event, ExtValue, Extension, Id, TzOffset};
    /// let e = Event::object(Action::Add, "2026-03-01T06:00:00Z".parse()?, TzOffset::UTC)
    ///     .epc(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?)
    ///     .ilmd(Extension::new("https://ns.example.com/epcis/harvestDate", "2026-02-28"))
    ///     .namespace("ex", "https://ns.example.com/epcis/")
    ///     .build()?;
    /// let json = tracecode::event::epcis_json::event_to_json(&e, &Default::default());
    /// assert_eq!(json["ilmd"]["ex:harvestDate"], "2026-02-28");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn namespace(mut self, prefix: &str, iri: &str) -> Self {
        let ns = &mut self.event.namespaces;
        match ns.binary_search_by(|n| (*n.prefix).cmp(prefix)) {
            Ok(i) => {
                if let Some(n) = ns.get_mut(i) {
                    n.iri = iri.into();
                }
            }
            Err(i) => ns.insert(i, Namespace { prefix: prefix.into(), iri: iri.into() }),
        }
        self
    }

    /// Who is responsible: party, operator, device ([`Who`]).
    pub fn who(mut self, who: Who) -> Self {
        self.event.who = who;
        self
    }

    /// Checks the event with [`Event::validate`] and returns it.
    ///
    /// # Errors
    /// [`Event::validate`]'s: an [`EventError`] whose pointer names the field of the first rule that fails. It
    /// converts into [`crate::Error`] with `?`.
    pub fn build(self) -> Result<Event, EventError> {
        self.event.validate()?;
        Ok(self.event)
    }

    /// The event as it stands, unchecked: for a caller that fills fields the builder has no setter for and then
    /// validates, or for a test that needs an invalid event.
    pub fn build_unchecked(self) -> Event {
        self.event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::epcis_json::{Context, ExportOptions, event_from_json, event_to_json};
    use crate::event::{Decimal, ExtValue};

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    /// Every setter lands in its field, and a built event survives EPCIS JSON export and import unchanged.
    #[test]
    fn every_setter_sets_its_field_and_the_event_round_trips() {
        let t = Timestamp(1_772_325_000_000_000_000);
        let lot = id("https://id.gs1.org/01/09506000134352/10/L1");
        let q = Quantity::new(lot.clone(), Decimal::from(3)).with_uom("KGM").unwrap();
        let e = Event::object(Action::Add, t, TzOffset(480))
            .epc(id("urn:epc:id:sgtin:0614141.107346.1"))
            .quantity(q.clone())
            .biz_step(BizStep::Commissioning)
            .disposition(Disposition::Active)
            .persistent_disposition(PersistentDisposition { set: vec![Disposition::Recalled], unset: vec![] })
            .read_point(id("urn:epc:id:sgln:0614141.07346.1234"))
            .biz_location(Place::new(id("urn:epc:id:sgln:0614141.07346.0")))
            .biz_transaction(BizTransactionType::Po, id("urn:example:po:1"))
            .source(SourceDestType::OwningParty, id("urn:epc:id:pgln:0614141.00001"))
            .destination(SourceDestType::Location, id("urn:epc:id:sgln:0614141.00777.0"))
            .certification("https://cert.example/1")
            .epcis_event_id("urn:uuid:6926712e-599f-4c4e-b6e9-8dd888c906bd")
            .ilmd(Extension::new("https://ns.example.com/epcis/lot", "L1"))
            .extension(Extension::new("https://ns.example.com/epcis/shift", ExtValue::Number(Decimal::from(5))))
            .namespace("ex", "https://ns.example.com/epcis/")
            .who(Who { party: None, operator: Some("op-1".into()), device: Some("scanner-3".into()) })
            .build()
            .unwrap();
        assert_eq!(
            (e.kind.clone(), e.action, e.event_time, e.event_time_zone_offset),
            (EventType::Object, Some(Action::Add), t, TzOffset(480))
        );
        assert_eq!(e.quantity_list, [q]);
        assert_eq!(e.read_point.as_ref().map(|p| &p.id), Some(&id("urn:epc:id:sgln:0614141.07346.1234")));
        assert_eq!(e.biz_transactions[0].kind, Some(BizTransactionType::Po));
        assert_eq!((e.sources.len(), e.destinations.len(), e.ilmd.len(), e.extensions.len()), (1, 1, 1, 1));
        assert_eq!(e.who.device.as_deref(), Some("scanner-3"));
        let back = event_from_json(&event_to_json(&e, &ExportOptions::default()), &Context::new()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn each_event_type_builds_and_round_trips() {
        let t = Timestamp(0);
        let built = [
            Event::aggregation(Action::Delete, t, TzOffset::UTC).parent(id("urn:example:pallet:1")).build(),
            Event::association(Action::Add, t, TzOffset::UTC)
                .parent(id("urn:example:asset:1"))
                .child_quantity(Quantity::new(id("urn:example:class:c"), Decimal::from(1)))
                .build(),
            Event::transaction(Action::Observe, t, TzOffset::UTC)
                .biz_transaction(BizTransactionType::Inv, id("urn:example:inv:9"))
                .epc(id("urn:example:item:1"))
                .build(),
            Event::transformation(t, TzOffset::UTC)
                .input(id("urn:example:item:1"))
                .transformation_id("urn:example:t:1")
                .build(),
            Event::transformation(t, TzOffset::UTC)
                .output(id("urn:example:item:2"))
                .output_quantity(Quantity::new(id("urn:example:class:d"), Decimal::from(2)))
                .input(id("urn:example:item:1"))
                .input_quantity(Quantity::new(id("urn:example:class:c"), Decimal::from(4)))
                .build(),
        ];
        for e in built {
            let e = e.unwrap();
            let back = event_from_json(&event_to_json(&e, &ExportOptions::default()), &Context::new()).unwrap();
            assert_eq!(back, e);
        }
    }

    #[test]
    fn build_refuses_what_validate_refuses() {
        let t = Timestamp(0);
        let cases = [
            (Event::aggregation(Action::Add, t, TzOffset::UTC).child(id("urn:example:item:1")), "/parentID"),
            (Event::association(Action::Add, t, TzOffset::UTC).parent(id("urn:example:asset:1")), "/childEPCs"),
            (Event::transaction(Action::Add, t, TzOffset::UTC).epc(id("urn:example:item:1")), "/bizTransactionList"),
            (Event::transformation(t, TzOffset::UTC).input(id("urn:example:item:1")), "/outputEPCList"),
            (Event::transformation(t, TzOffset::UTC).action(Action::Add), "/action"),
        ];
        for (b, ptr) in cases {
            let unchecked = b.clone().build_unchecked();
            let err = b.build().unwrap_err();
            assert_eq!(err.pointer(), ptr);
            assert_eq!(unchecked.validate().unwrap_err(), err);
        }
    }

    #[test]
    fn namespaces_stay_sorted_one_iri_per_prefix() {
        let b = EventBuilder::new(EventType::Extension("urn:x:E".into()), Timestamp(0), TzOffset::UTC)
            .namespace("zz", "urn:z:")
            .namespace("aa", "urn:a:")
            .namespace("mm", "urn:m:")
            .namespace("aa", "urn:a2:");
        let e = b.build().unwrap();
        let got: Vec<(&str, &str)> = e.namespaces.iter().map(|n| (&*n.prefix, &*n.iri)).collect();
        assert_eq!(got, [("aa", "urn:a2:"), ("mm", "urn:m:"), ("zz", "urn:z:")]);
    }
}
