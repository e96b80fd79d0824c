//! Genealogy: trace back (where did it come from, who handled it), trace forward (where did it go, where is it
//! now, who holds it), recall, and state at a point in time — "the source can be checked, the destination
//! traced, responsibility assigned".
//!
//! Everything here walks the edges a [`TraceStore`](crate::store::TraceStore) materialises at ingest
//! ([`TraceStore::neighbours`](crate::store::TraceStore::neighbours)), so it
//! works the same on the RocksDB store and on the [`MemoryStore`](crate::store::MemoryStore) reference model.
//! Every edge of a result cites the event that justifies it ([`TraceEdge::event`]), so each step can be checked
//! by fetching that event ([`TraceStore::event`](crate::store::TraceStore::event)).
//!
//! # What is followed
//! A node is reached in one of four *roles*, which decide which of its edges are followed next:
//!
//! - **forward**, from the root and from *lineage* nodes: `Output` (made into), `Member` (lot → its instances),
//!   `Child` (contents of an affected container), `Parent` (containers that held it);
//! - **backward**, from the root and from nodes reached via `Child`: `Input` (made from), `Lot` (instance → its
//!   lot), `Parent`, and `Child` (the provenance of a container is that of its contents);
//! - **backward**, from *lineage* nodes (reached via `Input` or `Lot`): `Input`, `Lot`, `Parent`;
//! - both ways, from *holders* (containers reached via `Parent`): `Parent` only — a container that held an
//!   affected thing is reported and expanded *upward*, never back down into its other children (siblings are
//!   not affected);
//! - both ways, from *hand-over* nodes (parties and locations): nothing.
//!
//! Hand-over edges (`Source`, `Destination`, `Sent`, `Received`) are followed from every expanded node but only
//! add the party or location to the result: expanding through a party would reach everything it ever handled.
//! A node reached again in a stronger role (a container first reached upward, later as the contents of an
//! affected container) is expanded again with the edges the stronger role adds, so results do not depend on the
//! order the walk meets nodes in.
//!
//! # Time
//! - [`TraceOptions::from`]/[`TraceOptions::until`] (`[from, until)`) ignore every edge outside the window, as if
//!   those events had not happened.
//! - Without [`TraceOptions::as_of`] containment is the **historical union**: every aggregation or association
//!   edge with action ADD or OBSERVE counts (DELETEs are ignored), each cited separately.
//! - With `as_of: Some(T)` only edges with time ≤ T count, and a (parent, child) containment counts only when it
//!   holds at T: the latest aggregation (or association) edge of that pair at or before T, by (event time, record
//!   sequence), is ADD or OBSERVE, and the parent has no "unpack all" DELETE (a DELETE naming the parent and no
//!   children) of the same kind after that edge and at or before T. That latest edge is the one cited.
//!   Transformation, lot-membership and hand-over edges count from their time on.
//!
//! # Limits and streaming
//! The walk is breadth-first with each level's frontier sorted by the node's store key
//! (its store key: sorted seeks are what RocksDB does fastest), cycle-safe (a visited set), and reports
//! through a callback ([`walk()`]), so a result of millions of nodes never has to be one value. `max_depth` and
//! `max_nodes` cut the walk; the result then says `truncated`. [`trace`], [`trace_back`] and [`trace_forward`]
//! collect a walk into a [`Trace`] (with each node's state, by default for forward traces), [`recall()`] turns a
//! forward trace into a recall and optionally records it as events in one atomic batch. Edges are reported
//! borrowed ([`EdgeRef`]): a streaming consumer copies only what it keeps.
//!
//! How the store walk reads fast (zero-copy edges, its own visited table, a second reading thread) is
//! explained where it is done, in the private `walk` module.
//!
//! Other stores (the in-memory model) are walked through [`TraceStore::neighbours`](crate::store::TraceStore::neighbours) with the same rules.
//!
//! For repeated or very large walks, [`Adjacency`] copies a store's edges into compressed sparse rows in memory
//! (nodes numbered in store-key order) and walks them with the same rules — the same steps in the same order —
//! without a store read per node; [`Adjacency::walk_compact`] reports plain numbers and allocates nothing per
//! node.
//!
//! # Example
//! ```
//! use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
//! use tracecode::store::{MemoryStore, TraceStore};
//! use tracecode::trace::{trace_back, trace_forward, NodeKind, TraceOptions};
//!
//! let store = MemoryStore::new();
//! let raw = Id::parse("https://id.gs1.org/01/09506000134352/10/RAW1")?; // a lot of raw material
//! let jar = Id::parse("https://id.gs1.org/01/09506000134352/21/JAR1")?;
//! let case = Id::parse("urn:epc:id:sscc:0614141.1234567890")?;
//! let mut make = Event::new(EventType::Transformation, Timestamp(10), TzOffset::UTC);
//! make.input_quantity_list.push(tracecode::event::Quantity { class: raw.clone(), quantity: None, uom: None });
//! make.output_epc_list.push(jar.clone());
//! let mut pack = Event::new(EventType::Aggregation, Timestamp(20), TzOffset::UTC);
//! pack.action = Some(Action::Add);
//! pack.parent_id = Some(case.clone());
//! pack.child_epcs.push(jar.clone());
//! store.ingest(vec![make, pack])?;
//!
//! // Where did the raw lot go? Into the jar, which travels in the case.
//! let fwd = trace_forward(&store, "(01)09506000134352(10)RAW1", &TraceOptions::new())?;
//! assert!(fwd.node(&jar).is_some());
//! assert_eq!(fwd.node(&case).map(|n| n.kind), Some(NodeKind::Container));
//! // Where did the case's contents come from? Every edge cites its event.
//! let back = trace_back(&store, "(00)106141412345678908", &TraceOptions::new())?;
//! assert!(back.node(&raw).is_some());
//! assert!(back.edges.iter().all(|e| store.event(&e.event).unwrap().is_some()));
//! # Ok::<(), tracecode::Error>(())
//! ```

//!
//! # Where things are
//! - [`model`](self#where-things-are) types: `model.rs`; the walk rules (modes, what each follows, node kinds):
//!   `rules.rs`, the contract above in code;
//! - the store walk: `walk.rs`, over edges read into per-chunk buffers (`edges.rs`) and read ahead on a second
//!   thread (`read_ahead.rs`);
//! - collection into a [`Trace`], trace back/forward and state at a time: `collect.rs`; recall: `recall.rs`;
//! - the in-memory adjacency walk: `adjacency.rs`.

mod adjacency;
mod collect;
mod edges;
mod model;
mod read_ahead;
mod recall;
mod rules;
mod walk;

pub use adjacency::{Adjacency, CompactStep};
pub use collect::{parse_root, state_at, trace, trace_back, trace_forward};
pub use model::{
    ALL_KINDS, Direction, EdgeRef, NodeKind, NodeRole, Step, Trace, TraceEdge, TraceNode, TraceOptions, WalkSummary,
    key_text,
};
pub use read_ahead::WalkTuning;
pub use recall::{
    Affected, RECALL_CHUNK, RECALL_REASON_EXT, RECALL_ROOT_EXT, Recall, RecallOptions, Responsible, recall,
    recall_events, recall_id,
};
pub use walk::{walk, walk_tuned};
