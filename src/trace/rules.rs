//! The walk rules: the genealogy contract, in one place a domain reviewer can read on its own.
//!
//! A node is expanded in a [`Mode`] that decides which of its edges are followed ([`follows`]), and a node reached
//! over a relation gets the mode [`target_mode`] names; what a node *is* comes from its identifier and how it
//! was reached ([`kind_of`]). The module docs of [`crate::trace`] state the same rules in prose.
//!
//! The store walk applies the rules through [`select`] (which edges a node follows) and [`Info`] (a node's
//! state as it is reached, re-reached, read and reported). The in-memory adjacency walk applies the same
//! functions ([`follows`], [`target_mode`], [`role_of`], [`kind_of`]) through copies of `select` and `Info`
//! specialised to its interned, numbered edges: sharing them measured 13% and 12% slower there. The model
//! tests in `tests/it/trace.rs` hold the two walks to the same steps in the same order.

use std::sync::OnceLock;

use super::edges::{FAR_NONE, ReadEdge};
use super::model::{Direction, NodeKind, NodeRole};
use crate::code::KeyKind;
use crate::event::{Action, Id, SourceDestType};
use std::collections::HashMap;
use std::hash::Hash;

use super::model::TraceOptions;
use crate::Error;
use crate::event::Timestamp;
use crate::hash::FastState;
use crate::store::view::CHILD;
use crate::store::{EdgeKind, Rel, Seq};

/// Internal expansion modes, ordered by what they follow (each follows a superset of the one before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Mode {
    /// Hand-over far end: nothing.
    Terminal,
    /// Reached via `Parent`: `Parent` only.
    Up,
    /// Lineage: the direction's genealogy edges.
    Lineage,
    /// Backward, reached via `Child` (and the root): lineage plus `Child`.
    Down,
}

pub(super) const fn is_hand_over(rel: &Rel) -> bool {
    matches!(rel, Rel::Source(_) | Rel::Destination(_) | Rel::Sent(_) | Rel::Received(_))
}

/// Whether a node in `mode` follows an edge with relation `rel`.
pub(super) fn follows(dir: Direction, mode: Mode, rel: &Rel) -> bool {
    match mode {
        Mode::Terminal => false,
        Mode::Up => is_hand_over(rel) || *rel == Rel::Parent,
        Mode::Lineage | Mode::Down => {
            is_hand_over(rel)
                || match dir {
                    Direction::Forward => matches!(rel, Rel::Output | Rel::Member | Rel::Child | Rel::Parent),
                    Direction::Back => {
                        matches!(rel, Rel::Input | Rel::Lot | Rel::Parent) || (mode == Mode::Down && *rel == Rel::Child)
                    }
                }
        }
    }
}

/// The mode of a node reached over `rel`.
pub(super) const fn target_mode(dir: Direction, rel: &Rel) -> Mode {
    match rel {
        Rel::Parent => Mode::Up,
        Rel::Child => match dir {
            Direction::Back => Mode::Down,
            Direction::Forward => Mode::Lineage,
        },
        Rel::Input | Rel::Output | Rel::Lot | Rel::Member => Mode::Lineage,
        Rel::Source(_) | Rel::Destination(_) | Rel::Sent(_) | Rel::Received(_) => Mode::Terminal,
    }
}

pub(super) const fn root_mode(dir: Direction) -> Mode {
    match dir {
        Direction::Back => Mode::Down,
        Direction::Forward => Mode::Lineage,
    }
}

pub(super) const fn role_of(mode: Mode, root: bool) -> NodeRole {
    if root {
        return NodeRole::Root;
    }
    match mode {
        Mode::Terminal => NodeRole::HandOver,
        Mode::Up => NodeRole::Holder,
        Mode::Lineage | Mode::Down => NodeRole::Lineage,
    }
}

/// The first byte of SSCC keys (logistic units are containers by definition).
pub(super) fn sscc_tag() -> Option<u8> {
    static TAG: OnceLock<Option<u8>> = OnceLock::new();
    *TAG.get_or_init(|| {
        let key = crate::code::parse("(00)106141412345678908").ok()?.trace_key().ok()?;
        key.as_bytes().first().copied()
    })
}

/// What the walk knows about a visited node.
#[derive(Clone, Debug)]
pub(super) struct Info {
    pub(super) depth: usize,
    pub(super) mode: Mode,
    /// The mode the node's edges have been followed in (`None`: not yet).
    pub(super) expanded: Option<Mode>,
    /// Waiting in the current or next level.
    pub(super) queued: bool,
    pub(super) announced: Option<NodeRole>,
    pub(super) root: bool,
    /// The hand-over hint it was first reached with ([`HAND_NONE`] …).
    pub(super) hand: u8,
    /// Reached as the parent of something.
    pub(super) contained: bool,
    /// What its identifier says about its kind.
    pub(super) base: Base,
}

impl Info {
    /// The root of a walk in direction `dir`.
    pub(super) const fn root(dir: Direction, base: Base) -> Self {
        Self {
            depth: 0,
            mode: root_mode(dir),
            expanded: None,
            queued: true,
            announced: None,
            root: true,
            hand: HAND_NONE,
            contained: false,
            base,
        }
    }

    /// A node first reached over `rel` from a node at `depth`, in direction `dir`.
    pub(super) fn reached(dir: Direction, rel: &Rel, depth: usize, base: Base) -> Self {
        Self {
            depth: depth.saturating_add(1),
            mode: target_mode(dir, rel),
            expanded: None,
            queued: true,
            announced: None,
            root: false,
            hand: hand_code(rel),
            contained: *rel == Rel::Parent,
            base,
        }
    }

    /// A visited node reached again over `rel`: it takes the stronger mode (and must then be processed again:
    /// true when it is not already waiting), is a container if reached as a parent, and keeps the first
    /// hand-over hint.
    pub(super) fn reached_again(&mut self, dir: Direction, rel: &Rel) -> bool {
        let tm = target_mode(dir, rel);
        let mut requeue = false;
        if tm > self.mode {
            self.mode = tm;
            requeue = !self.queued;
            self.queued = true;
        }
        self.contained |= *rel == Rel::Parent;
        if self.hand == HAND_NONE {
            self.hand = hand_code(rel);
        }
        requeue
    }

    /// Whether the node's edges are read now: it follows something, follows more than when it was last
    /// expanded, and the node limit has not been reached (`full`).
    pub(super) fn to_read(&self, full: bool) -> bool {
        self.mode != Mode::Terminal && !full && self.expanded.is_none_or(|b| b < self.mode)
    }

    /// The role to report when it changed since the node was last reported: (role, reported before).
    pub(super) fn announce(&mut self) -> Option<(NodeRole, bool)> {
        let role = role_of(self.mode, self.root);
        (self.announced != Some(role)).then(|| (role, self.announced.replace(role).is_some()))
    }

    /// What the node is, given whether its edges (when read) show it containing something.
    pub(super) const fn kind(&self, has_children: bool) -> NodeKind {
        let hand_only = matches!(self.mode, Mode::Terminal) && !self.root;
        kind_of(self.base, hand_only, self.hand, self.contained || has_children)
    }
}

/// What an identifier alone says about a node's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Base {
    Lot,
    Location,
    Party,
    /// A logistic unit: a container by definition.
    Sscc,
    Instance,
    Uri,
}

pub(super) fn base_of(id: &Id) -> Base {
    match id {
        Id::Key(k) => match k.kind() {
            KeyKind::Class => Base::Lot,
            KeyKind::Location => Base::Location,
            KeyKind::Party => Base::Party,
            KeyKind::Instance if sscc_tag().is_some() && k.as_bytes().first().copied() == sscc_tag() => Base::Sscc,
            KeyKind::Instance => Base::Instance,
        },
        Id::Uri(_) => Base::Uri,
    }
}

/// Hand-over hint codes: the source/destination type a node was first reached with.
pub(super) const HAND_NONE: u8 = 0;
pub(super) const HAND_PARTY: u8 = 1;
pub(super) const HAND_LOCATION: u8 = 2;
pub(super) const HAND_OTHER: u8 = 3;

pub(super) fn hand_code(rel: &Rel) -> u8 {
    match rel.hand_over_type() {
        None => HAND_NONE,
        Some(SourceDestType::OwningParty | SourceDestType::PossessingParty) => HAND_PARTY,
        Some(SourceDestType::Location) => HAND_LOCATION,
        Some(SourceDestType::Other(_)) => HAND_OTHER,
    }
}

/// The kind of a node: a party or location when only reached by a hand-over of that type, else what its key
/// says, a container when it was seen containing something (`container`).
pub(super) const fn kind_of(base: Base, hand_only: bool, hand: u8, container: bool) -> NodeKind {
    if hand_only {
        match hand {
            HAND_PARTY => return NodeKind::Party,
            HAND_LOCATION => return NodeKind::Location,
            _ => {}
        }
    }
    match base {
        Base::Lot => NodeKind::Lot,
        Base::Location => NodeKind::Location,
        Base::Party => NodeKind::Party,
        Base::Sscc => NodeKind::Container,
        Base::Instance => {
            if container {
                NodeKind::Container
            } else {
                NodeKind::Item
            }
        }
        Base::Uri => {
            if container {
                NodeKind::Container
            } else {
                NodeKind::Other
            }
        }
    }
}

/// The node has ever contained something (an aggregation/association ADD or OBSERVE naming a child).
pub(super) fn has_children(edges: &[ReadEdge]) -> bool {
    edges.iter().any(|e| e.rel == CHILD && e.to != FAR_NONE && e.is_containment() && e.action != Some(Action::Delete))
}

pub(super) fn classify(info: &Info, edges: &[ReadEdge]) -> NodeKind {
    info.kind(has_children(edges))
}

// ------------------------------------------------------------------------------------------------------------

/// What the edge filter needs to know of one edge, however a walk stores it: the far end's identity (`None` for
/// an "unpack all" marker), its relation, kind, action, time and record sequence.
pub(super) struct Facts<'e, F> {
    pub(super) far: Option<F>,
    pub(super) rel: &'e Rel,
    pub(super) kind: EdgeKind,
    pub(super) action: Option<Action>,
    pub(super) time: Timestamp,
    pub(super) seq: Seq,
}

impl<F> Facts<'_, F> {
    /// An aggregation or association edge between a parent and a child.
    fn is_containment(&self) -> bool {
        matches!(self.kind, EdgeKind::Aggregation | EdgeKind::Association)
            && matches!(self.rel, Rel::Parent | Rel::Child)
    }
}

/// The latest containment edge (time, seq) of each (is child, kind, far end) of a node, for as-of walks.
type Latest<F> = HashMap<(bool, EdgeKind, F), (Timestamp, Seq), FastState>;

/// The edge filter of the genealogy contract, applied by both walks: the indices of `edges` a node expanded in
/// `mode` follows (leaving out what it already followed in `before`), given the window, kinds and `as_of` of
/// `opts`. Containment counts only for ADD and OBSERVE; as of a time, only a pair's latest containment edge
/// counts, and not when the parent was unpacked entirely after it (the node's own markers are among `edges`
/// when it is the parent; `unpacked_far` answers for a parent at the far end).
#[allow(clippy::too_many_arguments, reason = "the node's edges, the walk's settings, and the two lookups")]
pub(super) fn select<'e, E, F: Hash + Eq + Copy>(
    edges: &'e [E],
    facts: impl Fn(&'e E) -> Facts<'e, F>,
    dir: Direction,
    opts: &TraceOptions,
    mode: Mode,
    before: Option<Mode>,
    mut unpacked_far: impl FnMut(&'e E, EdgeKind, (Timestamp, Seq)) -> Result<bool, Error>,
    out: &mut Vec<usize>,
) -> Result<(), Error> {
    out.clear();
    let wanted = |f: &Facts<'_, F>| opts.kinds.contains(&f.kind) && opts.time_ok(f.time);
    // As of T, only the latest containment edge of each (relation, kind, far end) can hold. Built only for
    // as-of walks: even an empty map draws a random hash key.
    let mut latest: Option<Latest<F>> = opts.as_of.is_some().then(HashMap::default);
    if let Some(latest) = &mut latest {
        for e in edges {
            let f = facts(e);
            if f.is_containment()
                && wanted(&f)
                && let Some(far) = f.far
            {
                let v = latest.entry((*f.rel == Rel::Child, f.kind, far)).or_insert((f.time, f.seq));
                *v = (*v).max((f.time, f.seq));
            }
        }
    }
    for (i, e) in edges.iter().enumerate() {
        let f = facts(e);
        let Some(far) = f.far else { continue };
        if !wanted(&f) || !follows(dir, mode, f.rel) || before.is_some_and(|b| follows(dir, b, f.rel)) {
            continue;
        }
        if f.is_containment() {
            if !matches!(f.action, Some(Action::Add | Action::Observe)) {
                continue;
            }
            if let Some(latest) = &latest {
                let at = (f.time, f.seq);
                if latest.get(&(*f.rel == Rel::Child, f.kind, far)) != Some(&at) {
                    continue;
                }
                let unpacked = if *f.rel == Rel::Child {
                    edges.iter().map(&facts).any(|m| {
                        m.far.is_none()
                            && m.action == Some(Action::Delete)
                            && m.kind == f.kind
                            && opts.time_ok(m.time)
                            && (m.time, m.seq) > at
                    })
                } else {
                    unpacked_far(e, f.kind, at)?
                };
                if unpacked {
                    continue;
                }
            }
        }
        out.push(i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Id;
    use crate::hash::FastState;
    use crate::store::view::RELS;
    use crate::trace::edges::BufSpec;
    use crate::trace::model::{Direction, NodeKind};

    #[test]
    fn stronger_modes_follow_more() {
        // Re-expansion on a role upgrade relies on each mode following a superset of the weaker ones.
        for dir in [Direction::Back, Direction::Forward] {
            for (weak, strong) in [(Mode::Terminal, Mode::Up), (Mode::Up, Mode::Lineage), (Mode::Lineage, Mode::Down)] {
                for r in &RELS {
                    assert!(!follows(dir, weak, r) || follows(dir, strong, r), "{dir:?} {weak:?} {strong:?} {r:?}");
                }
            }
            assert!(RELS.iter().all(|r| !follows(dir, Mode::Terminal, r)));
        }
        // Forward never goes upstream, backward never downstream, except upward into containers.
        for r in &RELS {
            if follows(Direction::Forward, Mode::Lineage, r) && !is_hand_over(r) && *r != Rel::Parent {
                assert!(r.is_forward(), "{r:?}");
            }
            if follows(Direction::Back, Mode::Down, r) && !is_hand_over(r) && *r != Rel::Child {
                assert!(!r.is_forward(), "{r:?}");
            }
        }
        assert_eq!(target_mode(Direction::Back, &Rel::Child), Mode::Down);
        assert_eq!(target_mode(Direction::Forward, &Rel::Child), Mode::Lineage);
        assert_eq!(target_mode(Direction::Forward, &Rel::Parent), Mode::Up);
    }

    #[test]
    fn relations_a_walk_does_not_keep_are_never_followed() {
        for dir in [Direction::Back, Direction::Forward] {
            for i in BufSpec::new(&FastState::default(), dir).unused {
                let r = &RELS[i];
                assert!(!matches!(r, Rel::Parent | Rel::Child) && !is_hand_over(r), "{r:?}");
                for mode in [Mode::Terminal, Mode::Up, Mode::Lineage, Mode::Down] {
                    assert!(!follows(dir, mode, r), "{dir:?} {mode:?} {r:?}");
                }
            }
        }
    }

    #[test]
    fn kinds_from_keys_and_hints() {
        let sscc = Id::parse("urn:epc:id:sscc:0614141.1234567890").unwrap();
        let item = Id::parse("https://id.gs1.org/01/09506000134352/21/A").unwrap();
        let lot = Id::parse("https://id.gs1.org/01/09506000134352/10/L").unwrap();
        let uri = Id::parse("urn:example:x").unwrap();
        assert_eq!(kind_of(base_of(&sscc), false, HAND_NONE, false), NodeKind::Container);
        assert_eq!(kind_of(base_of(&item), false, HAND_NONE, false), NodeKind::Item);
        assert_eq!(kind_of(base_of(&item), false, HAND_NONE, true), NodeKind::Container);
        assert_eq!(kind_of(base_of(&lot), false, HAND_NONE, false), NodeKind::Lot);
        assert_eq!(kind_of(base_of(&uri), false, HAND_NONE, false), NodeKind::Other);
        assert_eq!(kind_of(base_of(&uri), true, HAND_PARTY, false), NodeKind::Party);
        assert_eq!(kind_of(base_of(&uri), true, HAND_LOCATION, false), NodeKind::Location);
        assert_eq!(kind_of(base_of(&uri), true, HAND_OTHER, false), NodeKind::Other);
        // A hint only counts for nodes reached by hand-overs alone.
        assert_eq!(kind_of(base_of(&item), false, HAND_PARTY, false), NodeKind::Item);
    }
}
