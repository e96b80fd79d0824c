//! Collecting a walk into a [`Trace`], with states; trace back, trace forward and state at a time.

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::model::{Direction, NodeRole, Step, Trace, TraceEdge, TraceNode, TraceOptions, WalkSummary};
use super::walk::walk;
use crate::Error;
use crate::event::{Id, Timestamp};
use crate::hash::FastState;
use crate::store::{State, TraceStore};

/// Reads a trace root: scanner input in any spelling the code parser accepts, or an EPCIS identifier (EPC URN,
/// Digital Link, any other URI).
///
/// # Errors
/// The code parser's error (typed, positioned) when the input is neither a code nor a URI.
///
/// ```
/// use tracecode::trace::parse_root;
/// let a = parse_root("(01)09506000134352(21)XYZ789")?;
/// let b = parse_root("https://id.gs1.org/01/09506000134352/21/XYZ789")?;
/// assert_eq!(a, b);
/// assert!(parse_root("urn:example:lot:42").is_ok());
/// assert!(parse_root("(01)09506000134353").is_err()); // bad check digit
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_root(input: &str) -> Result<Id, Error> {
    match crate::code::scan_key(input) {
        Ok(k) => Ok(Id::Key(k)),
        Err(code_err) => Id::parse(input).map_err(|_| code_err),
    }
}

pub(super) fn state_of<S: TraceStore + ?Sized>(
    store: &S,
    id: &Id,
    as_of: Option<Timestamp>,
) -> Result<Option<State>, Error> {
    match as_of {
        Some(t) => store.state_at(id, t),
        None => Ok(store.resolve_id(id)?.map(|r| r.state.clone())),
    }
}

/// Collects a [`walk`] from `root` into a [`Trace`], with states when [`TraceOptions::with_state`] asks (or by
/// default for forward traces). Parties and locations reached by hand-overs get no state.
///
/// # Errors
/// As [`walk`].
///
/// ```
/// use tracecode::event::Id;
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{trace, Direction, TraceOptions};
/// let t = trace(&MemoryStore::new(), &Id::parse("urn:example:x")?, Direction::Back, &TraceOptions::new())?;
/// assert_eq!(t.nodes.len(), 1);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn trace<S: TraceStore + ?Sized>(
    store: &S,
    root: &Id,
    dir: Direction,
    opts: &TraceOptions,
) -> Result<Trace, Error> {
    // The walk and the states it collects read one state of the store.
    if let Some(view) = store.pinned() {
        return trace(&*view, root, dir, opts);
    }
    collect(store, root, dir, opts, &mut |sink| walk(store, root, dir, opts, sink))
}

/// Runs a walk into the sink it is given.
pub(super) type Runner<'r> = dyn FnMut(&mut dyn FnMut(Step<'_>) -> ControlFlow<()>) -> Result<WalkSummary, Error> + 'r;

/// A walk, run by `run` with a sink, collected into a [`Trace`] (states from `store`).
pub(super) fn collect<S: TraceStore + ?Sized>(
    store: &S,
    root: &Id,
    dir: Direction,
    opts: &TraceOptions,
    run: &mut Runner<'_>,
) -> Result<Trace, Error> {
    let mut nodes: Vec<TraceNode> = Vec::new();
    // Built only when a node is announced again (rare), so most traces never pay for it.
    let mut index: Option<HashMap<Id, usize, FastState>> = None;
    let mut edges: Vec<TraceEdge> = Vec::new();
    let summary = run(&mut |step| {
        match step {
            Step::Node { id, kind, role, depth, again: false } => {
                if let Some(ix) = &mut index {
                    ix.insert(id.clone(), nodes.len());
                }
                nodes.push(TraceNode { id: id.clone(), kind, role, depth, state: None });
            }
            Step::Node { id, kind, role, again: true, .. } => {
                let ix =
                    index.get_or_insert_with(|| nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect());
                if let Some(n) = ix.get(id).and_then(|&i| nodes.get_mut(i)) {
                    n.kind = kind;
                    n.role = role;
                }
            }
            Step::Edge(e) => edges.push(e.to_owned()),
        }
        ControlFlow::Continue(())
    })?;
    if opts.with_state.unwrap_or(dir == Direction::Forward) {
        for n in &mut nodes {
            if n.role != NodeRole::HandOver {
                n.state = state_of(store, &n.id, opts.as_of)?;
            }
        }
    }
    Ok(Trace { root: root.clone(), direction: dir, as_of: opts.as_of, nodes, edges, truncated: summary.truncated })
}

/// Traces scanner input back to its sources: every upstream item, lot and container, and the parties and
/// locations that handled them.
///
/// # Errors
/// The parse error for bad input ([`parse_root`]); otherwise as [`walk`].
///
/// ```
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{trace_back, TraceOptions};
/// let t = trace_back(&MemoryStore::new(), "]d2010950600013435221XYZ789", &TraceOptions::new())?;
/// assert_eq!(t.root.to_string(), "https://id.gs1.org/01/09506000134352/21/XYZ789");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn trace_back<S: TraceStore + ?Sized>(store: &S, input: &str, opts: &TraceOptions) -> Result<Trace, Error> {
    trace(store, &parse_root(input)?, Direction::Back, opts)
}

/// Traces scanner input forward: every downstream item, lot and container, with where each is now and who
/// holds it (states on by default).
///
/// # Errors
/// The parse error for bad input ([`parse_root`]); otherwise as [`walk`].
///
/// ```
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{trace_forward, TraceOptions};
/// let t = trace_forward(&MemoryStore::new(), "(01)09506000134352(10)LOT7", &TraceOptions::new())?;
/// assert_eq!(t.nodes[0].kind, tracecode::trace::NodeKind::Lot);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn trace_forward<S: TraceStore + ?Sized>(store: &S, input: &str, opts: &TraceOptions) -> Result<Trace, Error> {
    trace(store, &parse_root(input)?, Direction::Forward, opts)
}

/// The state of scanner input's node at time `at` (container, location, owning and possessing party,
/// disposition, persistent dispositions), or `None` when the store has never seen it. A thin wrapper over
/// [`TraceStore::state_at`].
///
/// # Errors
/// The parse error for bad input; otherwise the store's.
///
/// ```
/// use tracecode::event::Timestamp;
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::state_at;
/// assert!(state_at(&MemoryStore::new(), "(01)09506000134352(21)X", Timestamp(0))?.is_none());
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn state_at<S: TraceStore + ?Sized>(store: &S, input: &str, at: Timestamp) -> Result<Option<State>, Error> {
    store.state_at(&parse_root(input)?, at)
}
