//! An event element in EPCIS XML (2.0, or 1.2 with its `extension` and `baseExtension` wrappers) as the EPCIS
//! JSON binding writes the same event: the JSON converter then reads it, so both syntaxes share one set of
//! rules and give the same [`Event`](crate::event::Event).
//!
//! The correspondence is the EPCIS 2.0 standard's (§ 9, the XML and JSON bindings): list elements become arrays
//! of their items (`epcList/epc` → `epcList: [...]`), `readPoint/id` → `readPoint: {"id": ...}`, typed list
//! items become objects (`bizTransaction type="t"` → `{"type": "t", "bizTransaction": ...}`), sensor elements'
//! attributes become members (numbers as numbers, `booleanValue` as a boolean), and an element or attribute in
//! any other namespace is a user extension named by its expanded IRI, its value the text or, with child
//! elements, an object of them.

use super::dom::Element;
use crate::event::epcis_json::Json;

/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`).
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Event type element names.
pub(super) const EVENT_TYPES: [&str; 5] =
    ["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"];

/// Members whose value is the element's text.
const TEXT: [&str; 10] = [
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "action",
    "bizStep",
    "disposition",
    "parentID",
    "transformationID",
    "certificationInfo",
];

/// EPC list members: the XML item name is `epc`.
const EPC_LISTS: [&str; 4] = ["epcList", "childEPCs", "inputEPCList", "outputEPCList"];

/// Quantity list members: items `quantityElement` with `epcClass`, `quantity`, `uom`.
const QUANTITY_LISTS: [&str; 4] = ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"];

/// Sensor attributes that are numbers in JSON.
const SENSOR_NUMBERS: [&str; 9] =
    ["value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "component", "rawData"];

/// The JSON form of event element `e` (its type from the element name).
pub(super) fn event(e: &Element) -> Json {
    // An extension event type is an element of its own namespace: its type is the expanded IRI.
    let kind: Box<str> = match &e.ns {
        Some(ns) if !e.standard() => format!("{ns}{}", e.name).into(),
        _ => e.name.clone(),
    };
    let mut members: Vec<(Box<str>, Json)> = vec![("type".into(), Json::String(kind))];
    fields(e, &mut members);
    Json::Object(grouped(members))
}

/// Members with repeated names gathered into one array at the first one's place: a repeated XML element is a
/// JSON array.
fn grouped(members: Vec<(Box<str>, Json)>) -> Vec<(Box<str>, Json)> {
    let mut out: Vec<(Box<str>, Vec<Json>)> = Vec::with_capacity(members.len());
    for (k, v) in members {
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v),
            None => out.push((k, vec![v])),
        }
    }
    out.into_iter()
        .map(|(k, mut vs)| {
            let v = if vs.len() == 1 { vs.pop().unwrap_or(Json::Null) } else { Json::Array(vs) };
            (k, v)
        })
        .collect()
}

/// The children of an event (or of a 1.2 `extension`/`baseExtension` wrapper, whose fields belong to the
/// event) as members.
fn fields(e: &Element, out: &mut Vec<(Box<str>, Json)>) {
    for c in &e.children {
        if !c.standard() {
            out.push((c.key.clone(), extension(c)));
            continue;
        }
        if nil(c) {
            continue;
        }
        let name = &*c.name;
        let value = match name {
            "extension" | "baseExtension" => {
                fields(c, out);
                continue;
            }
            _ if TEXT.contains(&name) => Json::String(c.value().into()),
            _ if EPC_LISTS.contains(&name) => items(c, "epc", |i| Json::String(i.value().into())),
            _ if QUANTITY_LISTS.contains(&name) => items(c, "quantityElement", quantity),
            "readPoint" | "bizLocation" | "ilmd" => object(c),
            "bizTransactionList" => items(c, "bizTransaction", |i| typed(i, "bizTransaction")),
            "sourceList" => items(c, "source", |i| typed(i, "source")),
            "destinationList" => items(c, "destination", |i| typed(i, "destination")),
            "persistentDisposition" => persistent_disposition(c),
            "sensorElementList" => items(c, "sensorElement", sensor_element),
            "errorDeclaration" => error_declaration(c),
            // An unknown standard element: kept under its name, so the converter reports it with its place.
            _ => object_or_text(c),
        };
        out.push((name.into(), value));
    }
}

/// The items named `item` of a list element, converted by `f` (anything else inside is kept as is for the
/// converter to report).
fn items(list: &Element, item: &str, f: impl Fn(&Element) -> Json) -> Json {
    Json::Array(list.children.iter().map(|c| if c.is(item) { f(c) } else { object_or_text(c) }).collect())
}

/// A `quantityElement`: `quantity` is a number.
fn quantity(q: &Element) -> Json {
    let members = q
        .children
        .iter()
        .filter(|c| !nil(c))
        .map(|c| {
            let v = if c.is("quantity") { number(c.value()) } else { object_or_text(c) };
            (key(c), v)
        })
        .collect();
    Json::Object(members)
}

/// A list item with an optional `type` attribute and its text under `name`.
fn typed(i: &Element, name: &str) -> Json {
    let mut members = Vec::new();
    if let Some(t) = i.attr("type") {
        members.push(("type".into(), Json::String(t.into())));
    }
    members.push((name.into(), Json::String(i.value().into())));
    Json::Object(members)
}

/// `persistentDisposition`: repeated `set` and `unset` become arrays.
fn persistent_disposition(p: &Element) -> Json {
    let mut members: Vec<(Box<str>, Json)> = Vec::new();
    for name in ["set", "unset"] {
        let values: Vec<Json> =
            p.children.iter().filter(|c| c.is(name)).map(|c| Json::String(c.value().into())).collect();
        if !values.is_empty() {
            members.push((name.into(), Json::Array(values)));
        }
    }
    for c in p.children.iter().filter(|c| !c.is("set") && !c.is("unset")) {
        members.push((key(c), object_or_text(c)));
    }
    Json::Object(members)
}

/// A `sensorElement`: `sensorMetadata` (attributes) and the repeated `sensorReport` (attributes).
fn sensor_element(s: &Element) -> Json {
    let mut members: Vec<(Box<str>, Json)> = Vec::new();
    let reports: Vec<Json> = s.children.iter().filter(|c| c.is("sensorReport")).map(attributes).collect();
    for c in &s.children {
        if c.is("sensorMetadata") {
            members.push(("sensorMetadata".into(), attributes(c)));
        } else if !c.is("sensorReport") {
            members.push((key(c), extension(c)));
        }
    }
    if !reports.is_empty() {
        members.push(("sensorReport".into(), Json::Array(reports)));
    }
    Json::Object(grouped(members))
}

/// A sensor element's attributes as members (standard numbers as numbers, `booleanValue` as a boolean,
/// namespaced attributes as extensions named by their IRI), then any child elements.
fn attributes(e: &Element) -> Json {
    let mut members: Vec<(Box<str>, Json)> = e
        .attrs
        .iter()
        .map(|a| match &a.ns {
            Some(_) => (a.key.clone(), Json::String(a.value.as_str().into())),
            None if SENSOR_NUMBERS.contains(&&*a.name) => (a.name.clone(), number(&a.value)),
            None if &*a.name == "booleanValue" => (a.name.clone(), boolean(&a.value)),
            None => (a.name.clone(), Json::String(a.value.as_str().into())),
        })
        .collect();
    members.extend(e.children.iter().map(|c| (key(c), extension(c))));
    Json::Object(grouped(members))
}

/// `errorDeclaration`: `correctiveEventIDs/correctiveEventID` becomes an array.
fn error_declaration(d: &Element) -> Json {
    let members = d
        .children
        .iter()
        .map(|c| {
            let v = if c.is("correctiveEventIDs") {
                items(c, "correctiveEventID", |i| Json::String(i.value().into()))
            } else if c.standard() && c.children.is_empty() {
                Json::String(c.value().into())
            } else {
                extension(c)
            };
            (key(c), v)
        })
        .collect();
    Json::Object(grouped(members))
}

/// A standard element with children as an object of them (`readPoint`, `ilmd`), standard children by name and
/// others as extensions.
fn object(e: &Element) -> Json {
    let members = e
        .children
        .iter()
        .flat_map(|c| {
            if c.is("extension") {
                // A 1.2 extension wrapper inside readPoint or bizLocation: its children belong to the parent.
                c.children.iter().map(|g| (key(g), object_or_text(g))).collect::<Vec<_>>()
            } else {
                vec![(key(c), object_or_text(c))]
            }
        })
        .collect();
    Json::Object(grouped(members))
}

/// An element marked `xsi:nil="true"`: absent in JSON.
fn nil(e: &Element) -> bool {
    e.attrs.iter().any(|a| a.ns.as_deref() == Some(XSI) && &*a.name == "nil" && matches!(a.value.trim(), "true" | "1"))
}

/// The member name of a child: its name when standard, its extension key otherwise.
fn key(c: &Element) -> Box<str> {
    if c.standard() { c.name.clone() } else { c.key.clone() }
}

/// A user extension's value: an object of its children when it has any, else its text.
fn extension(e: &Element) -> Json {
    object_or_text(e)
}

/// An object of the attributes and children when there are any (repeated children as arrays), else the text.
fn object_or_text(e: &Element) -> Json {
    // A nil extension element is JSON's null.
    if nil(e) && e.children.is_empty() {
        return Json::Null;
    }
    // `xsi:type` and the other XML Schema instance attributes are typing hints of the XML, not data.
    let data = |a: &&super::dom::Attr| a.ns.as_deref() != Some(XSI);
    if e.children.is_empty() && !e.attrs.iter().any(|a| data(&a)) {
        return scalar(e);
    }
    let attrs = e.attrs.iter().filter(data).map(|a| {
        let k = if a.ns.is_some() { a.key.clone() } else { a.name.clone() };
        (k, Json::String(a.value.as_str().into()))
    });
    let children = e.children.iter().map(|c| (key(c), object_or_text(c)));
    Json::Object(grouped(attrs.chain(children).collect()))
}

/// An extension's text, as a number or boolean when `xsi:type` names an XML Schema numeric or boolean type
/// (what the writer puts on JSON numbers and booleans, so they survive the XML binding); otherwise a string.
fn scalar(e: &Element) -> Json {
    let ty = e.attrs.iter().find(|a| a.ns.as_deref() == Some(XSI) && &*a.name == "type").map(|a| a.value.trim());
    let local = ty.map(|t| t.rsplit(':').next().unwrap_or(t));
    let v = e.value();
    match local {
        Some("decimal" | "integer" | "int" | "long" | "short" | "double" | "float") if is_json_number(v) => {
            Json::Number(v.into())
        }
        Some("boolean") => match v {
            "true" | "1" => Json::Bool(true),
            "false" | "0" => Json::Bool(false),
            _ => Json::String(v.into()),
        },
        _ => Json::String(v.into()),
    }
}

/// A number as written when it has JSON number syntax, else the text (the converter then reports it).
fn number(s: &str) -> Json {
    let t = s.trim();
    if is_json_number(t) { Json::Number(t.into()) } else { Json::String(t.into()) }
}

/// `true`/`false` (XML Schema also allows `1`/`0`), else the text.
fn boolean(s: &str) -> Json {
    match s.trim() {
        "true" | "1" => Json::Bool(true),
        "false" | "0" => Json::Bool(false),
        other => Json::String(other.into()),
    }
}

/// RFC 8259 number syntax.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b.get(int_start) == Some(&b'0')) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers() {
        for ok in ["0", "-1", "12.5", "1e3", "-0.25E-2"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "+1", "1 ", "NaN"] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
