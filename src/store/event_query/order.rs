//! The order of a query's answer (`orderBy`, `orderDirection`) as a sort key per event.

use std::cmp::Ordering;

use crate::event::{Event, ExtValue};

use super::FieldName;
use crate::store::Seq;

/// `orderBy`: what the answer is sorted by; ties (and events without the field, which come last) by record
/// sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OrderBy {
    /// `eventTime` (the default).
    #[default]
    EventTime,
    /// `recordTime`.
    RecordTime,
    /// A top-level extension field of the event (numbers before times before strings when they are mixed).
    Field(FieldName),
}

/// `orderDirection`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `ASC`.
    #[default]
    Asc,
    /// `DESC`.
    Desc,
}

/// An event's place in the order: the sort field's bytes (ordered as the field's values are; `None` when the
/// event lacks the field) and its record sequence.
pub(crate) type SortKey = (Option<Vec<u8>>, Seq);

/// The 8 bytes of a time that sort as the time does.
pub(crate) fn time_bytes(t: crate::event::Timestamp) -> [u8; 8] {
    crate::store::keys::time_bytes(t)
}

impl OrderBy {
    /// The sort key of event `e` at `seq`.
    pub(crate) fn key(&self, e: &Event, seq: Seq) -> SortKey {
        let k = match self {
            Self::EventTime => Some(time_bytes(e.event_time).to_vec()),
            Self::RecordTime => e.record_time.map(|t| time_bytes(t).to_vec()),
            Self::Field(name) => {
                e.extensions.iter().find(|x| name.matches(&x.name, &e.namespaces)).and_then(|x| value_bytes(&x.value))
            }
        };
        (k, seq)
    }
}

/// Order-preserving bytes of a scalar extension value: tag 1 numbers (IEEE bits flipped to sort), 2 times,
/// 3 strings, 4 booleans.
fn value_bytes(v: &ExtValue) -> Option<Vec<u8>> {
    let text = match v {
        ExtValue::Number(d) => d.as_str(),
        ExtValue::String(s) => s,
        ExtValue::Bool(b) => return Some(vec![4, u8::from(*b)]),
        _ => return None,
    };
    let fv = super::FieldValue::new(text);
    if let Some(n) = fv.number {
        let bits = n.to_bits();
        let ordered = if n.is_sign_negative() { !bits } else { bits | (1 << 63) };
        let mut out = vec![1];
        out.extend_from_slice(&ordered.to_be_bytes());
        return Some(out);
    }
    if let Some(t) = fv.time {
        let mut out = vec![2];
        out.extend_from_slice(&time_bytes(t));
        return Some(out);
    }
    let mut out = vec![3];
    out.extend_from_slice(text.as_bytes());
    Some(out)
}

/// The order of two sort keys in `dir`: the field's order (reversed for descending), events without the field
/// last, then record sequence in the same direction.
pub(crate) fn compare(a: &SortKey, b: &SortKey, dir: Direction) -> Ordering {
    let primary = match (&a.0, &b.0) {
        (Some(x), Some(y)) => match dir {
            Direction::Asc => x.cmp(y),
            Direction::Desc => y.cmp(x),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    primary.then_with(|| match dir {
        Direction::Asc => a.1.cmp(&b.1),
        Direction::Desc => b.1.cmp(&a.1),
    })
}
