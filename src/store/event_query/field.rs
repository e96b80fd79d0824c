//! Extension-field parameters: the field's name as a query writes it, the values it compares with, and the
//! search of an event's extensions for it.

use crate::event::{ExtValue, Extension, Namespace, Timestamp};

use super::{Cmp, FieldTest};

/// The name of an extension field in a query parameter.
///
/// A query writes it as a CURIE (`ex:temperature`, the 2.0 JSON form: the prefix is looked up in the query's
/// `@context`, then in the event's own prefixes), as an absolute IRI, or in the 1.2 form `NAMESPACE#local`
/// (which also matches the namespace and local name written without the `#`, how XML namespaces join).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldName {
    /// As written in the parameter.
    pub text: Box<str>,
    /// Expanded IRIs the name stands for, when known without the event.
    iris: Vec<Box<str>>,
    /// `prefix:local` whose prefix the query did not declare: resolved against each event's prefixes.
    curie: Option<(Box<str>, Box<str>)>,
}

/// Prefixes every EPCIS 2.0 document knows (the standard context).
const STANDARD: [(&str, &str); 4] = [
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("gs1", "https://gs1.org/voc/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
];

impl FieldName {
    /// Reads a field name, resolving a CURIE's prefix against `context` (the query's declared prefixes).
    ///
    /// ```
    /// use tracecode::event::Namespace;
    /// use tracecode::store::event_query::FieldName;
    /// let ctx = [Namespace { prefix: "ex".into(), iri: "https://ns.example.com/epcis/".into() }];
    /// let n = FieldName::new("ex:temperature", &ctx);
    /// assert!(n.matches("https://ns.example.com/epcis/temperature", &[]));
    /// let legacy = FieldName::new("http://ns.example.com/epcis#temperature", &[]);
    /// assert!(legacy.matches("http://ns.example.com/epcistemperature", &[]));
    /// ```
    pub fn new(text: &str, context: &[Namespace]) -> Self {
        let text: Box<str> = text.trim().into();
        let mut iris = Vec::new();
        let mut curie = None;
        let absolute = text.contains("://") || text.starts_with("urn:");
        if absolute {
            iris.push(text.clone());
            if let Some((ns, local)) = text.rsplit_once('#') {
                iris.push(format!("{ns}{local}").into());
            }
        } else if let Some((p, local)) = text.split_once(':') {
            let declared = context.iter().find(|n| &*n.prefix == p).map(|n| n.iri.to_string());
            let standard = STANDARD.iter().find(|(sp, _)| *sp == p).map(|(_, i)| (*i).to_owned());
            match declared.or(standard) {
                Some(iri) => iris.push(format!("{iri}{local}").into()),
                None => curie = Some((p.into(), local.into())),
            }
        } else {
            iris.push(text.clone());
        }
        Self { text, iris, curie }
    }

    /// The expanded IRIs the name stands for, when they are known without looking at an event (not a CURIE
    /// whose prefix only events may declare).
    pub fn iris(&self) -> Option<&[Box<str>]> {
        self.curie.is_none().then_some(self.iris.as_slice())
    }

    /// Whether an extension named `name` (an expanded IRI) in an event declaring `event_ns` is this field.
    pub fn matches(&self, name: &str, event_ns: &[Namespace]) -> bool {
        if self.iris.iter().any(|i| **i == *name) {
            return true;
        }
        let Some((p, local)) = &self.curie else { return false };
        event_ns.iter().any(|n| n.prefix == *p && name.strip_prefix(&*n.iri) == Some(local))
    }
}

/// How a query gave a value, which decides how it compares (EPCIS: "the parameter's value type chooses the
/// comparison").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// A string (a JSON string): equal to a string field of the same text, or of the same instant when both
    /// are times; never to a number.
    Text,
    /// A number (a JSON number): equal to a numeric field (or a string field holding a number, as XML gives
    /// them) of the same value.
    Number,
    /// Untyped text (the CLI's `NAME=VALUE`, an XML value): equal as a string, a number or a time, whichever
    /// the field and the text allow.
    #[default]
    Untyped,
}

/// A value an extension field is compared with: the text of the parameter, how it was given, and its reading
/// as a number and as a time where the kind allows one.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValue {
    /// The value as written.
    pub text: Box<str>,
    /// How the query gave it.
    pub kind: ValueKind,
    /// The value as a number, if it is one (never for [`ValueKind::Text`]).
    pub number: Option<f64>,
    /// The value as a time (RFC 3339), if it is one (never for [`ValueKind::Number`]).
    pub time: Option<Timestamp>,
}

impl FieldValue {
    /// Reads an untyped parameter value.
    ///
    /// ```
    /// use tracecode::store::event_query::FieldValue;
    /// assert_eq!(FieldValue::new("4.5").number, Some(4.5));
    /// assert!(FieldValue::new("2026-01-01T00:00:00Z").time.is_some());
    /// assert_eq!(FieldValue::new("abc").number, None);
    /// ```
    pub fn new(text: &str) -> Self {
        Self::typed(text, ValueKind::Untyped)
    }

    /// Reads a parameter value given as `kind`.
    ///
    /// ```
    /// use tracecode::store::event_query::{FieldValue, ValueKind};
    /// assert_eq!(FieldValue::typed("42", ValueKind::Text).number, None);
    /// assert_eq!(FieldValue::typed("42", ValueKind::Number).number, Some(42.0));
    /// ```
    pub fn typed(text: &str, kind: ValueKind) -> Self {
        Self {
            text: text.into(),
            kind,
            number: if kind == ValueKind::Text { None } else { number(text) },
            time: if kind == ValueKind::Number { None } else { time(text) },
        }
    }

    /// Equality with an extension's scalar value.
    fn equals(&self, v: &ExtValue) -> bool {
        match v {
            ExtValue::String(s) => {
                (self.kind != ValueKind::Number && **s == *self.text)
                    || self.time.is_some_and(|t| time(s) == Some(t))
                    || self.number.is_some_and(|n| number(s) == Some(n))
            }
            ExtValue::Number(d) => self.number.is_some_and(|n| number(d.as_str()) == Some(n)),
            ExtValue::Bool(b) => self.kind != ValueKind::Number && *self.text == *if *b { "true" } else { "false" },
            ExtValue::Null | ExtValue::Array(_) | ExtValue::Object(_) => false,
        }
    }

    /// The index keys ([`value_keys`]) any equal scalar is indexed under, one of which it must have.
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "the RocksDB store's planner reads them"))]
    pub(crate) fn keys(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if self.kind != ValueKind::Number {
            out.push(text_key(&self.text));
        }
        if let Some(n) = self.number {
            out.push(number_key(n));
        }
        if let Some(t) = self.time {
            out.push(time_key(t));
        }
        out
    }

    /// The order of an extension's scalar value against this one: numbers with numbers, times with times.
    fn order(&self, v: &ExtValue) -> Option<std::cmp::Ordering> {
        let text = match v {
            ExtValue::String(s) => &**s,
            ExtValue::Number(d) => d.as_str(),
            _ => return None,
        };
        if let (Some(n), Some(x)) = (self.number, number(text)) {
            return x.partial_cmp(&n);
        }
        if let (Some(t), Some(x)) = (self.time, time(text)) {
            return Some(x.cmp(&t));
        }
        None
    }
}

/// Index key of a text: `1 ‖ bytes`.
fn text_key(s: &str) -> Vec<u8> {
    [&[1u8][..], s.as_bytes()].concat()
}

/// Index key of a number: `2 ‖ IEEE 754 bits` (zero of either sign as +0), so every spelling of one value
/// (`4.5`, `4.50`, `45e-1`) has one key.
fn number_key(n: f64) -> Vec<u8> {
    let n = if n == 0.0 { 0.0 } else { n };
    [&[2u8][..], &n.to_bits().to_be_bytes()].concat()
}

/// Index key of a time: `3 ‖ nanoseconds` (every offset spelling of one instant has one key).
fn time_key(t: Timestamp) -> Vec<u8> {
    [&[3u8][..], &t.0.to_be_bytes()].concat()
}

/// The keys a scalar extension value is indexed under, so that every query value [`FieldValue::equals`] it
/// to has one of them among its [`FieldValue::keys`]: a string's text (and its number and time, when it reads
/// as one), a number's value, a boolean's text.
pub(crate) fn value_keys(v: &ExtValue) -> Vec<Vec<u8>> {
    match v {
        ExtValue::String(s) => {
            let mut out = vec![text_key(s)];
            if let Some(n) = number(s) {
                out.push(number_key(n));
            }
            if let Some(t) = time(s) {
                out.push(time_key(t));
            }
            out
        }
        ExtValue::Number(d) => number(d.as_str()).map(number_key).into_iter().collect(),
        ExtValue::Bool(b) => vec![text_key(if *b { "true" } else { "false" })],
        ExtValue::Null | ExtValue::Array(_) | ExtValue::Object(_) => Vec::new(),
    }
}

fn number(s: &str) -> Option<f64> {
    let s = s.trim();
    // Only decimal notation (what EPCIS and XML Schema decimals use): not "inf", "NaN" or hex.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    // A time has a 'T' between date and time; a bare number is never one.
    if !s.contains('T') {
        return None;
    }
    Timestamp::parse(s).ok().map(|(t, _)| t)
}

/// Whether a scalar or array value passes `test` (an array: any of its elements).
fn value_passes(test: &FieldTest, v: &ExtValue) -> bool {
    match (test, v) {
        (FieldTest::Exists, _) => true,
        (t, ExtValue::Array(items)) => items.iter().any(|i| value_passes(t, i)),
        (FieldTest::Cmp(Cmp::Eq, values), v) => values.iter().any(|x| x.equals(v)),
        (FieldTest::Cmp(cmp, values), v) => values.first().and_then(|x| x.order(v)).is_some_and(|o| cmp.holds(o)),
    }
}

/// Whether `exts` (a scope's extensions) has the field `name` passing `test`: at their top level, or with
/// `inner`, nested at any depth below it (inside object values and arrays of objects).
pub(super) fn exts_pass(exts: &[Extension], inner: bool, name: &FieldName, test: &FieldTest, ns: &[Namespace]) -> bool {
    if inner {
        return exts.iter().any(|x| nested_pass(&x.value, name, test, ns));
    }
    exts.iter().any(|x| name.matches(&x.name, ns) && value_passes(test, &x.value))
}

fn nested_pass(v: &ExtValue, name: &FieldName, test: &FieldTest, ns: &[Namespace]) -> bool {
    match v {
        ExtValue::Object(members) => members.iter().any(|m| {
            (name.matches(&m.name, ns) && value_passes(test, &m.value)) || nested_pass(&m.value, name, test, ns)
        }),
        ExtValue::Array(items) => items.iter().any(|i| nested_pass(i, name, test, ns)),
        _ => false,
    }
}
