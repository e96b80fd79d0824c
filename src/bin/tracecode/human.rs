//! Human-readable renderings of identifiers, states and events, shared by the demo and `resolve --format table`.

use std::fmt::Write as _;

use tracecode::event::{Event, Id};
use tracecode::store::State;

/// An identifier as key text (`01/…/21/…`), the URI otherwise.
pub(crate) use tracecode::trace::key_text as id_text;

/// An optional identifier, `-` for none.
pub(crate) fn opt_id(id: Option<&Id>) -> String {
    id.map_or_else(|| "-".into(), id_text)
}

/// A state on one line: disposition, persistent dispositions, location, container, owner, holder.
pub(crate) fn state_line(s: &State) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &s.disposition {
        parts.push(format!("disposition {d}"));
    }
    if !s.persistent.is_empty() {
        let p: Vec<String> = s.persistent.iter().map(ToString::to_string).collect();
        parts.push(format!("persistent [{}]", p.join(", ")));
    }
    if let Some(l) = &s.biz_location {
        parts.push(format!("at {}", id_text(l)));
    }
    if let Some(c) = &s.container {
        parts.push(format!("in {}", id_text(c)));
    }
    if let Some(o) = &s.owner {
        parts.push(format!("owned by {}", id_text(o)));
    }
    if let Some(o) = &s.possessor {
        parts.push(format!("held by {}", id_text(o)));
    }
    if s.retired {
        parts.push("out of circulation".into());
    }
    parts.join("; ")
}

/// An event on one line: time, type, action and business step, disposition, where and by whom.
pub(crate) fn event_line(e: &Event) -> String {
    let what = match (&e.biz_step, e.action) {
        (Some(b), Some(a)) => format!("{} {b}", a.as_str()),
        (Some(b), None) => b.to_string(),
        (None, Some(a)) => a.as_str().to_owned(),
        (None, None) => String::new(),
    };
    let mut s =
        format!("{} {:<12} {:<28}", e.event_time.to_rfc3339_auto(e.event_time_zone_offset), e.kind.as_str(), what);
    if let Some(d) = &e.disposition {
        let _ = write!(s, " → {d}");
    }
    if let Some(l) = e.biz_location.as_ref().or(e.read_point.as_ref()) {
        let _ = write!(s, " @ {}", id_text(&l.id));
    }
    if let Some(p) = &e.who.party {
        let _ = write!(s, " by {}", id_text(p));
    }
    s
}
