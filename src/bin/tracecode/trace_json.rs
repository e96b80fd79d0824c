//! The JSON views of traces, recalls and states that `tracecode trace`, `recall` and `resolve` print. They are
//! the CLI's output format, not the library's: an embedder serialises the library's types as it needs.

use serde_json::{Value, json};
use tracecode::event::{BizStep, Disposition, Id, Timestamp};
use tracecode::store::State;
use tracecode::trace::{Affected, Recall, Trace, TraceEdge, key_text};

fn time_json(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_string()))
}

fn id_json(id: Option<&Id>) -> Value {
    id.map_or(Value::Null, |i| Value::String(key_text(i)))
}

/// A state: `{"disposition", "persistent", "biz_step", "read_point", "biz_location", "container", "owner",
/// "possessor", "responsible", "first_seen", "last_seen", "last_event", "retired"}`.
pub(crate) fn state_json(s: &State) -> Value {
    json!({
        "disposition": s.disposition.as_ref().map(Disposition::term),
        "persistent": s.persistent.iter().map(Disposition::term).collect::<Vec<_>>(),
        "biz_step": s.last_biz_step.as_ref().map(BizStep::term),
        "read_point": id_json(s.read_point.as_ref()),
        "biz_location": id_json(s.biz_location.as_ref()),
        "container": id_json(s.container.as_ref()),
        "owner": id_json(s.owner.as_ref()),
        "possessor": id_json(s.possessor.as_ref()),
        "responsible": id_json(s.responsible.as_ref()),
        "first_seen": time_json(s.first_seen),
        "last_seen": time_json(s.last_seen),
        "last_event": s.last_event.map(|(_, id)| id.to_string()),
        "retired": s.retired,
    })
}

/// An edge: `{"from", "to", "kind", "rel", "event_id", "time", "seq"}` (plus `"sd_type"` for hand-overs).
fn edge_json(e: &TraceEdge) -> Value {
    let mut v = json!({
        "from": key_text(&e.from),
        "to": key_text(&e.to),
        "kind": e.kind.as_str(),
        "rel": e.rel.as_str(),
        "event_id": e.event.to_string(),
        "time": time_json(Some(e.time)),
        "seq": e.seq,
    });
    if let (Value::Object(m), Some(t)) = (&mut v, e.rel.hand_over_type()) {
        m.insert("sd_type".into(), Value::String(t.term().to_owned()));
    }
    v
}

/// A trace: `{"root", "direction", "as_of", "nodes": [{"key", "kind", "role", "depth", "state"}], "edges",
/// "truncated"}` (keys as [`key_text`]).
pub(crate) fn trace_json(t: &Trace) -> Value {
    json!({
        "root": key_text(&t.root),
        "direction": t.direction.as_str(),
        "as_of": time_json(t.as_of),
        "nodes": t.nodes.iter().map(|n| json!({
            "key": key_text(&n.id),
            "kind": n.kind.as_str(),
            "role": n.role.as_str(),
            "depth": n.depth,
            "state": n.state.as_ref().map_or(Value::Null, state_json),
        })).collect::<Vec<_>>(),
        "edges": t.edges.iter().map(edge_json).collect::<Vec<_>>(),
        "truncated": t.truncated,
    })
}

/// A recall: `{"trace", "affected": [{"key", "kind", "holder", "location", "container", "disposition",
/// "retired"}], "containers": [...same...], "responsible": [{"party", "events"}], "committed": {"accepted",
/// "duplicates", "event_ids"} | null}`.
pub(crate) fn recall_json(r: &Recall) -> Value {
    let aff = |a: &Affected| {
        json!({
            "key": key_text(&a.id),
            "kind": a.kind.as_str(),
            "holder": id_json(a.holder.as_ref()),
            "location": id_json(a.location.as_ref()),
            "container": id_json(a.state.as_ref().and_then(|s| s.container.as_ref())),
            "disposition": a.state.as_ref().and_then(|s| s.disposition.as_ref()).map(Disposition::term),
            "retired": a.state.as_ref().is_some_and(|s| s.retired),
        })
    };
    json!({
        "trace": trace_json(&r.trace),
        "affected": r.affected.iter().map(aff).collect::<Vec<_>>(),
        "containers": r.containers.iter().map(aff).collect::<Vec<_>>(),
        "responsible": r.responsible.iter().map(|p| json!({
            "party": key_text(&p.party),
            "events": p.events.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "committed": r.committed.as_ref().map_or(Value::Null, |c| json!({
            "accepted": c.accepted,
            "duplicates": c.duplicates,
            "event_ids": c.outcomes.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
        })),
    })
}
