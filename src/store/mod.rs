//! The chain index: ingest events, resolve codes to their identity, state and chain of events, query secondary
//! indexes, follow the change feed, verify integrity.
//!
//! Two implementations of one interface, [`TraceStore`]:
//! - [`Store`] (feature `rocksdb`): the durable, embedded store — RocksDB column families (schema byte by byte in
//!   `src/store/keys.rs` and `docs/STORE.md`), a bounded in-memory hot tier in front of it for resolutions, WAL on by default.
//! - [`MemoryStore`]: a deliberately naive in-memory implementation that keeps the events in a `Vec` and answers
//!   every question by scanning them. It is the reference model the RocksDB store is tested against, and a
//!   convenient store for unit tests of code built on top.
//!
//! # Which handle to read with
//! Start with [`Store`]: it is `Sync`, share it (`Arc<Store>`) between threads, and call [`TraceStore`] on it.
//! Each call sees every ingest that returned before it and never part of a batch; a call that reads many
//! records (`resolve_many`, a query page, a trace, a recall) reads them from one consistent state. The other two
//! handles are optimisations of the same answers, never different answers:
//!
//! | You are doing | Use | Why |
//! |---|---|---|
//! | anything, from any thread | [`Store`] | simplest; consistent per call |
//! | many small lookups in a loop on one thread (a scanning station, an import check) | [`Store::reader`] → [`Reader`] | reuses RocksDB iterators across calls (measured in `tracecode bench lookup`); [`Reader::pin`] makes later calls read one state |
//! | several calls that must agree with each other (a report, a walk you drive yourself) | [`Store::session`] → [`Session`] | a [`TraceStore`] over one pinned state, with reused iterators; the `trace` functions already run on one |
//!
//! `Reader` and `Session` borrow the store and are not `Sync`: make one per thread, drop it when done (a pinned
//! state holds a RocksDB snapshot, which keeps obsolete versions from being compacted away).
//!
//! Another process (a CLI command beside a running service) opens the store
//! read-only ([`Options::read_only`]): no lock, nothing written, the state as of its open until
//! [`Store::catch_up`]. The feed and query results come in pages ([`TraceStore::events_since`],
//! [`TraceStore::query`]) or item by item through [`TraceStoreExt::feed`] and [`TraceStoreExt::query_iter`].
//!
//! # Data model
//! Every accepted event gets a **record sequence number** ([`Seq`], from 1, in capture order) and its content id
//! ([`EventId`], BLAKE3 of the canonical frame). Re-ingesting an event with the same id changes nothing and is
//! reported as a duplicate, so ingest is idempotent and retries are safe. The one exception is EPCIS 2.0's
//! error declaration — the same event re-captured with an `errorDeclaration`, which the id leaves out: it is
//! attached to the stored event and logged at a new sequence number ([`Outcome::Declared`]), never dropped as a
//! duplicate.
//!
//! Each event joins the **chain** of every node it is about ([`Event::subjects`]: EPCs, parent, children,
//! inputs, outputs, quantity classes). A node is an [`Id`]: a [`TraceKey`] for codes, or an opaque URI. A
//! node's chain is in record order, and each entry carries the per-node hash-chain link
//! `link = chain_step(previous link, event id)` starting at [`crate::event::digest::GENESIS`].
//!
//! The store-wide **log** lists every event in record order with a running checkpoint hash
//! `h[seq] = BLAKE3(h[seq-1] ‖ seq (8 bytes, big-endian) ‖ event id)` from `h[0] = `[`LOG_GENESIS`]: give an
//! auditor a [`Checkpoint`] (sequence, hash) and [`TraceStore::verify_checkpoint`] later proves that nothing up
//! to that sequence was rewritten.
//!
//! **State** ([`State`]) is derived from a node's events ordered by event time (ties by record sequence), so
//! events captured out of time order are placed where they happened; see [`derive_state`] for the rules. The
//! RocksDB store keeps each node's state materialised (extended at ingest, rebuilt for late events), so a
//! resolve decodes no event; [`Resolution::chain`] holds the stored frames and decodes them on access.
//!
//! **Edges** (genealogy: containment, transformation, lot membership, hand-overs) are materialised at ingest in
//! both directions, so one node's neighbours are one short scan ([`TraceStore::neighbours`]); the `trace`
//! module walks them.
//!
//! # Example
//! ```
//! use tracecode::event::{Action, BizStep, Event, EventType, Id, Timestamp};
//! use tracecode::store::{MemoryStore, TraceStore};
//!
//! let store = MemoryStore::new();
//! let (t, off) = Timestamp::parse("2026-03-01T08:00:00+08:00")?;
//! let mut e = Event::new(EventType::Object, t, off);
//! e.action = Some(Action::Add);
//! e.biz_step = Some(BizStep::Commissioning);
//! e.epc_list.push(Id::parse("https://id.gs1.org/01/09506000134352/21/XYZ789")?);
//!
//! let report = store.ingest(vec![e.clone()])?;
//! assert_eq!(report.accepted, 1);
//! assert_eq!(store.ingest(vec![e])?.duplicates, 1); // idempotent
//!
//! // Any spelling of the code resolves to the same chain.
//! let r = store.resolve("]d201095060001343522110XYZ789")?;
//! assert!(r.is_none()); // (21) is the serial AI: this reads serial "10XYZ789", a different item
//! let r = store.resolve("(01)09506000134352(21)XYZ789")?.expect("known item");
//! assert_eq!(r.chain.len(), 1);
//! assert_eq!(r.state.last_biz_step, Some(BizStep::Commissioning));
//! # Ok::<(), tracecode::Error>(())
//! ```
// Without the `rocksdb` feature the RocksDB store is not built: its links in these docs point at the feature list.
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Store`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Store::reader`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Reader`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Reader::pin`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Store::session`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Session`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Options::read_only`]: crate#crate-features")]
#![cfg_attr(not(feature = "rocksdb"), doc = "[`Store::catch_up`]: crate#crate-features")]

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::code::TraceKey;
use crate::event::digest::{EventId, Link};
use crate::event::{Action, BizStep, Disposition, Event, Id, SourceDestType, Timestamp};
use crate::masterdata::{ElementVersion, MasterDataQuery, MasterDataReport, Vocabulary};
use crate::{Error, ErrorKind};

pub(crate) mod derive;
pub mod event_query;
mod iter;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod keys;
#[cfg(not(feature = "testing"))]
pub(crate) mod keys;
mod memory;
pub(crate) mod state;
pub(crate) mod view;

#[cfg(feature = "rocksdb")]
mod hot;
#[cfg(feature = "rocksdb")]
mod known;
#[cfg(feature = "rocksdb")]
mod rocks;

pub use event_query::{EventPage, EventQuery, QueryEvent};
pub use iter::{FEED_PAGE, Feed, QueryIter, TraceStoreExt};
pub use memory::MemoryStore;
#[cfg(all(feature = "rocksdb", feature = "testing"))]
#[doc(hidden)]
pub use rocks::RawScanner;
#[cfg(feature = "rocksdb")]
pub use rocks::durable::Loss;
#[cfg(feature = "rocksdb")]
pub use rocks::{Options, Reader, Session, Store};
pub use state::derive_state;
pub use view::{EdgeReader, EdgeSource, EdgeView, IdRef};

/// Record sequence number: the position of an event in the store's capture order, from 1.
pub type Seq = u64;

/// The checkpoint hash before the first event: BLAKE3 of the ASCII bytes `tracecode log v1 genesis`.
pub const LOG_GENESIS_TEXT: &[u8] = b"tracecode log v1 genesis";

/// [`LOG_GENESIS_TEXT`] hashed: the log's `h[0]`.
pub const LOG_GENESIS: Link = Link([
    0x43, 0x6a, 0xb3, 0xae, 0xfd, 0xc5, 0x0b, 0xb6, 0x60, 0xd6, 0x62, 0x68, 0xd4, 0x1d, 0x80, 0xbf, 0x56, 0x1f, 0xa6,
    0x3f, 0x67, 0x7e, 0x0e, 0x0a, 0x74, 0x09, 0x1b, 0xa0, 0x9d, 0x82, 0x79, 0xc1,
]);

/// One step of the log's checkpoint chain: `BLAKE3(prev ‖ seq as 8 bytes big-endian ‖ event id)`.
///
/// ```
/// use tracecode::event::digest::EventId;
/// use tracecode::store::{log_step, LOG_GENESIS};
/// assert_ne!(log_step(&LOG_GENESIS, 1, &EventId([0; 32])), log_step(&LOG_GENESIS, 2, &EventId([0; 32])));
/// ```
pub fn log_step(prev: &Link, seq: Seq, id: &EventId) -> Link {
    let mut h = blake3::Hasher::new();
    h.update(&prev.0);
    h.update(&seq.to_be_bytes());
    h.update(&id.0);
    Link(*h.finalize().as_bytes())
}

/// What happened to each event of an ingested batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now, at this sequence number.
    Accepted(Seq),
    /// Already stored (earlier, or earlier in the same batch) at this sequence number; nothing was written.
    Duplicate(Seq),
    /// An error declaration (EPCIS 2.0 `errorDeclaration`) for an event already stored without one: the
    /// declaration is attached to the stored event and logged at this new sequence number (see
    /// [`TraceStore::ingest`]).
    Declared(Seq),
}

impl Outcome {
    /// The sequence number either way: the event's, or for [`Self::Declared`] the declaration's log entry.
    pub const fn seq(self) -> Seq {
        match self {
            Self::Accepted(s) | Self::Duplicate(s) | Self::Declared(s) => s,
        }
    }
}

/// The result of [`TraceStore::ingest`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Events stored by this call.
    pub accepted: usize,
    /// Events that were already stored (re-ingest, or repeated within the batch).
    pub duplicates: usize,
    /// Error declarations attached to events stored earlier (or earlier in the same batch).
    pub declared: usize,
    /// Per input event, in input order: its id and outcome.
    pub outcomes: Vec<(EventId, Outcome)>,
}

/// One event of a node's chain.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainEvent {
    /// Record sequence number.
    pub seq: Seq,
    /// Content id.
    pub id: EventId,
    /// This node's hash-chain link after this event.
    pub link: Link,
    /// The decoded event.
    pub event: Event,
}

/// The current (or as-of) state of a node, derived from its events in event-time order.
///
/// Rules (see [`derive_state`]): the latest event that states a value wins; persistent dispositions accumulate
/// `set` and `unset`; the container comes from aggregation events that list the node as a child (ADD and
/// OBSERVE set it, DELETE of that parent clears it, and so does a later DELETE of the parent that names no
/// children); owner, possessor and custody location come from destinations (`owning_party`,
/// `possessing_party`, `location`) of the latest event naming them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Latest disposition stated (`in_progress`, `in_transit`, `recalled`, ...).
    pub disposition: Option<Disposition>,
    /// Persistent dispositions in force (sorted, no duplicates).
    pub persistent: Vec<Disposition>,
    /// Latest business step.
    pub last_biz_step: Option<BizStep>,
    /// Latest read point.
    pub read_point: Option<Id>,
    /// Latest business location.
    pub biz_location: Option<Id>,
    /// Current container (aggregation parent), if packed.
    pub container: Option<Id>,
    /// Latest owning party (destination `owning_party`).
    pub owner: Option<Id>,
    /// Latest possessing party (destination `possessing_party`).
    pub possessor: Option<Id>,
    /// Latest party responsible for an event (`who.party`).
    pub responsible: Option<Id>,
    /// Time of the first and the latest event.
    pub first_seen: Option<Timestamp>,
    /// Time of the latest event.
    pub last_seen: Option<Timestamp>,
    /// The latest event in event-time order: (sequence, id).
    pub last_event: Option<(Seq, EventId)>,
    /// Out of circulation: an ObjectEvent DELETE (decommissioning) or a terminal disposition (`destroyed`,
    /// `disposed`, `retail_sold`, `dispensed`, `stolen`) happened and no re-commissioning (ObjectEvent ADD)
    /// followed. Later dispositions, a recall's included, do not clear it.
    pub retired: bool,
}

/// The answer to a resolution: identity, current state, and the node's chain of events in record order.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    /// The node (a [`TraceKey`] for codes).
    pub id: Id,
    /// Current state.
    pub state: State,
    /// Every event about this node, in record order; frames are decoded on access ([`Chain::iter`]).
    pub chain: Chain,
}

impl Resolution {
    /// The node's latest chain link (its hash-chain head), or `None` for an empty chain.
    pub fn head(&self) -> Option<Link> {
        self.chain.head()
    }
}

/// One entry of a [`Chain`]: where the event sits in the log and in the node's hash chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainEntry {
    /// Record sequence number.
    pub seq: Seq,
    /// Content id.
    pub id: EventId,
    /// This node's hash-chain link after this event.
    pub link: Link,
    /// End of this entry's frame in the chain's frame bytes (the start is the previous entry's end).
    end: u32,
}

/// A node's chain of events in record order, kept as the stored frames and decoded on access.
///
/// Why not a `Vec` of decoded events: a resolution is mostly asked for the state and the latest events, and a
/// decoded event is a tree of small allocations about twice its frame's size. Holding the frames makes a
/// resolution two allocations, lets the hot tier keep several times more of them in the same memory, and
/// moves the decoding cost to the callers that read the events. Equality compares the exact frame bytes.
///
/// ```
/// use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
/// use tracecode::store::{MemoryStore, TraceStore};
///
/// let store = MemoryStore::new();
/// let mut e = Event::new(EventType::Object, Timestamp(1_700_000_000_000), TzOffset::UTC);
/// e.action = Some(Action::Add);
/// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2018")?);
/// store.ingest(vec![e.clone()])?;
/// let r = store.resolve("urn:epc:id:sgtin:0614141.107346.2018")?.expect("stored");
/// assert_eq!(r.chain.len(), 1);
/// assert_eq!(r.chain.entries()[0].seq, 1); // no decoding needed for positions and links
/// let first = r.chain.iter().next().expect("one event")?;
/// assert_eq!(first.event, e);
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    entries: Box<[ChainEntry]>,
    frames: Box<[u8]>,
}

impl Chain {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for a chain without events.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries (sequence, id, link) without decoding any frame.
    pub fn entries(&self) -> &[ChainEntry] {
        &self.entries
    }

    /// The hash-chain head: the last entry's link.
    pub fn head(&self) -> Option<Link> {
        self.entries.last().map(|e| e.link)
    }

    /// The stored frame of the `i`-th event ([`crate::event::frame`] format).
    pub fn frame(&self, i: usize) -> Option<&[u8]> {
        let end = usize::try_from(self.entries.get(i)?.end).ok()?;
        let start = match i.checked_sub(1) {
            Some(p) => usize::try_from(self.entries.get(p)?.end).ok()?,
            None => 0,
        };
        self.frames.get(start..end)
    }

    /// The `i`-th event, decoded.
    ///
    /// # Errors
    /// [`ErrorKind::Corrupt`] if the frame does not decode (it was checked when stored, so this means damage
    /// in memory or a bug).
    pub fn get(&self, i: usize) -> Result<Option<ChainEvent>, Error> {
        let (Some(e), Some(f)) = (self.entries.get(i), self.frame(i)) else { return Ok(None) };
        let event = crate::event::frame::decode(f)
            .map_err(|x| Error::msg(ErrorKind::Corrupt, format!("chain frame {i} does not decode: {x}")))?;
        Ok(Some(ChainEvent { seq: e.seq, id: e.id, link: e.link, event }))
    }

    /// The events in record order, each decoded when reached.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Result<ChainEvent, Error>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i).transpose())
    }

    /// All events, decoded.
    ///
    /// # Errors
    /// As [`Chain::get`].
    pub fn decode(&self) -> Result<Vec<ChainEvent>, Error> {
        self.iter().collect()
    }

    /// Bytes this chain holds on the heap (what a cache should charge for it).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of_val::<[ChainEntry]>(&self.entries) + self.frames.len()
    }
}

/// Builds a [`Chain`] entry by entry.
#[derive(Debug, Default)]
pub(crate) struct ChainBuilder {
    entries: Vec<ChainEntry>,
    frames: Vec<u8>,
}

impl ChainBuilder {
    /// A builder with room for `n` entries and `bytes` of frames.
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Self {
        Self { entries: Vec::with_capacity(n), frames: Vec::with_capacity(bytes) }
    }

    /// Appends an entry with its frame.
    ///
    /// # Errors
    /// [`ErrorKind::Length`] once the frames pass 4 GiB.
    pub(crate) fn push(&mut self, seq: Seq, id: EventId, link: Link, frame: &[u8]) -> Result<(), Error> {
        self.frames.extend_from_slice(frame);
        let end = u32::try_from(self.frames.len())
            .map_err(|_| Error::msg(ErrorKind::Length, "a chain's frames exceed 4 GiB"))?;
        self.entries.push(ChainEntry { seq, id, link, end });
        Ok(())
    }

    /// Number of entries so far.
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "used by the RocksDB store"))]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The chain (exact-size allocations).
    pub(crate) fn build(self) -> Chain {
        Chain { entries: self.entries.into_boxed_slice(), frames: self.frames.into_boxed_slice() }
    }
}

/// A secondary index to query ([`Query`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Index {
    /// All events, by event time.
    Time,
    /// Events at a location: read point, business location, or a `location` source/destination.
    Location(Id),
    /// Events involving a party: `who.party`, or an `owning_party`/`possessing_party` source/destination.
    Party(Id),
    /// Events with this business step.
    BizStep(BizStep),
    /// Events with this disposition.
    Disposition(Disposition),
    /// Events whose `parentID` is this container.
    Parent(Id),
}

/// A resumable position in a [`Query`]'s results: the last hit returned (event time, sequence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    /// Event time of the last hit.
    pub time: Timestamp,
    /// Record sequence of the last hit.
    pub seq: Seq,
}

impl fmt::Display for Cursor {
    /// `time:seq` with the time in nanoseconds since the Unix epoch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.time.0, self.seq)
    }
}

impl FromStr for Cursor {
    type Err = Error;

    /// Parses the `time:seq` text of [`Display`](fmt::Display).
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::new(ErrorKind::InvalidArgument, 0, s.len(), "cursor is not `time:seq`");
        let (t, q) = s.rsplit_once(':').ok_or_else(bad)?;
        Ok(Self { time: Timestamp(t.parse().map_err(|_| bad())?), seq: q.parse().map_err(|_| bad())? })
    }
}

/// A query over a secondary index: hits ordered by (event time, sequence), within `[from, until)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Which index.
    pub index: Index,
    /// Earliest event time, inclusive.
    pub from: Option<Timestamp>,
    /// Latest event time, exclusive.
    pub until: Option<Timestamp>,
    /// Resume strictly after this hit (from a previous page's [`Page::next`]).
    pub after: Option<Cursor>,
    /// Maximum hits in one page (at least 1 is used).
    pub limit: usize,
}

impl Query {
    /// A query over `index`, no time bounds, 100 hits per page.
    pub fn new(index: Index) -> Self {
        Self { index, from: None, until: None, after: None, limit: 100 }
    }
}

/// One query hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Event time.
    pub time: Timestamp,
    /// Record sequence.
    pub seq: Seq,
    /// Content id.
    pub id: EventId,
}

/// One page of results; `next` is set when more may follow.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The results.
    pub items: Vec<T>,
    /// Pass back to continue after the last item; `None` when the results are exhausted.
    pub next: Option<Cursor>,
}

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedItem {
    /// Record sequence (the feed's cursor).
    pub seq: Seq,
    /// Content id.
    pub id: EventId,
    /// The event.
    pub event: Event,
}

/// A (sequence, log hash) pair an auditor can keep and check later with [`TraceStore::verify_checkpoint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Number of events recorded (the last sequence number); 0 for an empty store.
    pub seq: Seq,
    /// The log hash `h[seq]`.
    pub hash: Link,
}

/// What kind of genealogy relation an [`Edge`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// Physical containment (AggregationEvent).
    Aggregation,
    /// Association (AssociationEvent): components of an assembly, sensors on an asset.
    Association,
    /// Inputs consumed into outputs (TransformationEvent, events sharing a transformationID are one).
    Transformation,
    /// Lot membership: a product lot (GTIN + lot) and a serialised instance of it (commissioning ILMD lot).
    Membership,
    /// A hand-over: a subject and a source or destination (party or location) of the event.
    HandOver,
}

impl EdgeKind {
    /// A stable lower-case name (`"aggregation"`, `"hand_over"`, ...), as in the CLI's JSON output.
    ///
    /// ```
    /// assert_eq!(tracecode::store::EdgeKind::HandOver.as_str(), "hand_over");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aggregation => "aggregation",
            Self::Association => "association",
            Self::Transformation => "transformation",
            Self::Membership => "membership",
            Self::HandOver => "hand_over",
        }
    }
}

/// What the edge's far end is, relative to the node it is stored under.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rel {
    /// The far end contains this node (aggregation/association parent).
    Parent,
    /// The far end is contained in this node (child).
    Child,
    /// The far end was an input this node was made from.
    Input,
    /// The far end was made from this node.
    Output,
    /// The far end is the lot this instance belongs to.
    Lot,
    /// The far end is an instance of this lot.
    Member,
    /// The far end is a source (party or location) of an event about this node.
    Source(SourceDestType),
    /// The far end is a destination of an event about this node.
    Destination(SourceDestType),
    /// This node (a party or location) was the source of an event about the far end.
    Sent(SourceDestType),
    /// This node (a party or location) was the destination of an event about the far end.
    Received(SourceDestType),
}

impl Rel {
    /// A stable lower-case name (`"parent"`, `"sent"`, ...), as in the CLI's JSON output.
    ///
    /// ```
    /// use tracecode::event::SourceDestType;
    /// assert_eq!(tracecode::store::Rel::Sent(SourceDestType::Location).as_str(), "sent");
    /// ```
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::Child => "child",
            Self::Input => "input",
            Self::Output => "output",
            Self::Lot => "lot",
            Self::Member => "member",
            Self::Source(_) => "source",
            Self::Destination(_) => "destination",
            Self::Sent(_) => "sent",
            Self::Received(_) => "received",
        }
    }

    /// The source/destination type of a hand-over relation; `None` for genealogy relations.
    pub const fn hand_over_type(&self) -> Option<&SourceDestType> {
        match self {
            Self::Source(t) | Self::Destination(t) | Self::Sent(t) | Self::Received(t) => Some(t),
            _ => None,
        }
    }

    /// True when following the edge goes downstream (towards what was made from, packed into or handed on
    /// from this node): `Child`, `Output`, `Member`, `Destination`, `Sent`.
    pub const fn is_forward(&self) -> bool {
        matches!(self, Self::Child | Self::Output | Self::Member | Self::Destination(_) | Self::Sent(_))
    }

    /// The relation seen from the far end.
    #[must_use]
    pub fn inverse(&self) -> Self {
        match self {
            Self::Parent => Self::Child,
            Self::Child => Self::Parent,
            Self::Input => Self::Output,
            Self::Output => Self::Input,
            Self::Lot => Self::Member,
            Self::Member => Self::Lot,
            Self::Source(t) => Self::Sent(t.clone()),
            Self::Destination(t) => Self::Received(t.clone()),
            Self::Sent(t) => Self::Source(t.clone()),
            Self::Received(t) => Self::Destination(t.clone()),
        }
    }
}

/// One genealogy edge as stored under a node ([`TraceStore::neighbours`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The far end; `None` only for an aggregation/association DELETE that names a parent and no children
    /// ("unpack everything"), stored under the parent with [`Rel::Child`].
    pub to: Option<Id>,
    /// Relation kind.
    pub kind: EdgeKind,
    /// What `to` is relative to the node.
    pub rel: Rel,
    /// The event's action (aggregation/association ADD, OBSERVE, DELETE; `None` for transformations).
    pub action: Option<Action>,
    /// When the relation took effect: the justifying event's time (for a transformation joined across two
    /// events by transformationID, the later of the two event times).
    pub time: Timestamp,
    /// Record sequence of the justifying event (for a joined transformation, the later-recorded event).
    pub seq: Seq,
    /// Content id of the justifying event, so each step of a trace can be checked.
    pub event: EventId,
}

/// The first bad record found by a verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    /// Where: `"log"`, `"event"` or `"chain"`.
    pub area: &'static str,
    /// The node whose chain is bad (chain/head), as canonical text.
    pub node: Option<String>,
    /// The record's sequence number, when known.
    pub seq: Option<Seq>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.area)?;
        if let Some(n) = &self.node {
            write!(f, " of {n}")?;
        }
        if let Some(s) = self.seq {
            write!(f, " at seq {s}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Result of [`TraceStore::verify`] / [`TraceStore::verify_all`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Log entries checked.
    pub log_entries: u64,
    /// Event records checked.
    pub events: u64,
    /// Node chains checked.
    pub chains: u64,
    /// Chain entries checked.
    pub chain_entries: u64,
    /// Edges checked, counted as [`Stats::edges`] counts them (every record of the `edge` family was checked
    /// against the events).
    pub edges: u64,
    /// The first bad record, if any; `None` means everything checked is intact.
    pub first_bad: Option<BadRecord>,
}

impl VerifyReport {
    /// True when nothing bad was found.
    pub const fn is_ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// Counts and sizes ([`TraceStore::stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Log entries (= the last sequence number): events stored, plus the error declarations logged after
    /// their event ([`Outcome::Declared`]).
    pub events: u64,
    /// Nodes with a chain.
    pub nodes: u64,
    /// Chain entries (event × node).
    pub chain_entries: u64,
    /// Stored edges (both directions counted).
    pub edges: u64,
    /// Bytes on disk: the sizes of the files in the store's directory (tables, write-ahead logs, manifests,
    /// logs, the durability mark), summed; 0 for the memory store.
    pub disk_bytes: u64,
    /// Bytes of RocksDB's memtables (writes not yet flushed into tables; they are in the write-ahead log on
    /// disk too); 0 for the memory store.
    pub memtable_bytes: u64,
    /// Hot-tier entries and bytes charged (0 for the memory store).
    pub hot_entries: u64,
    /// Hot-tier bytes charged.
    pub hot_bytes: u64,
}

/// The store interface shared by `Store` (RocksDB, feature `rocksdb`) and [`MemoryStore`] (reference model).
pub trait TraceStore {
    /// Stores a batch of events atomically, idempotently (by [`EventId`]).
    ///
    /// Every event is checked with [`Event::validate`] first; if any event is invalid nothing is stored.
    ///
    /// **Error declarations.** An event that carries an `errorDeclaration` and has the id of a stored event
    /// without one (EPCIS 2.0 declares an event erroneous by re-capturing it with the same content and the
    /// declaration; the id leaves the declaration out) is not a duplicate: the declaration is attached to the
    /// stored event — resolves, chains and [`Self::event`] then show it — and the event is logged again at a
    /// new sequence number, where the feed carries the declaration to whoever already read the event
    /// ([`Outcome::Declared`]). The event keeps its seq, id and chain links, and it still counts
    /// in state and trace: EPCIS corrects the record with corrective events, which are captured like any
    /// other. A second declaration of the same event is a duplicate.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for an invalid event (offset = its index in the batch), whatever frame
    /// encoding refuses, [`ErrorKind::Io`] when the write fails, [`ErrorKind::Poisoned`] after an earlier failed
    /// write.
    fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error>;

    /// Resolves a node: identity, state and chain, or `None` if the store has never seen it.
    ///
    /// # Errors
    /// [`ErrorKind::Corrupt`] when a stored record is damaged (never wrong data), [`ErrorKind::Io`].
    fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error>;

    /// Resolves a code by key; same as [`Self::resolve_id`] with [`Id::Key`].
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn resolve_key(&self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.resolve_id(&Id::Key(key.clone()))
    }

    /// Parses scanner input (any spelling [`crate::code::parse`] accepts) and resolves its key.
    ///
    /// # Errors
    /// The parse error (typed, positioned) for bad input; otherwise as [`Self::resolve_id`].
    fn resolve(&self, input: &str) -> Result<Option<Arc<Resolution>>, Error> {
        let key = crate::code::scan_key(input)?;
        self.resolve_key(&key)
    }

    /// Resolves many inputs; one result per input, in order (a bad input fails only its own slot).
    fn resolve_many(&self, inputs: &[&str]) -> Vec<Result<Option<Arc<Resolution>>, Error>> {
        inputs.iter().map(|i| self.resolve(i)).collect()
    }

    /// The node's state at time `at` (events with event time ≤ `at`), or `None` for an unknown node.
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error>;

    /// One stored event by id, with its sequence number.
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error>;

    /// The change feed: events with sequence > `after`, in record order, at most `limit` (at least 1). An
    /// error declaration's log entry ([`Outcome::Declared`]) is an item with the declared event, and the item of
    /// the event's own seq shows it as it was captured, so ingesting the feed in order into another store
    /// rebuilds the same log (same seqs and checkpoint hashes).
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error>;

    /// Queries a secondary index.
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn query(&self, q: &Query) -> Result<Page<Hit>, Error>;

    /// One page of the answer to an EPCIS SimpleEventQuery ([`EventQuery`]): the matching events in the
    /// query's order, and where the next page starts. Every store gives the same pages for the same events.
    ///
    /// # Errors
    /// [`ErrorKind::QueryTooLarge`] when the query has a `maxEventCount` and more events match; storage errors.
    fn event_query(&self, q: &EventQuery) -> Result<EventPage, Error>;

    /// Stores master data: each element merged into its latest version (its attributes replace those of the
    /// same name, its children are added), the result kept as a new version when it changed anything
    /// ([`crate::masterdata`]). Master data is not part of the event log or its checkpoints.
    ///
    /// # Errors
    /// [`ErrorKind::ReadOnly`], [`ErrorKind::Poisoned`], [`ErrorKind::InvalidArgument`] for more than
    /// 100 000 elements in one call; storage errors.
    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<MasterDataReport, Error>;

    /// Every stored version of every master data element, by element and vocabulary type, then version.
    ///
    /// # Errors
    /// Storage errors; [`ErrorKind::Corrupt`] for a damaged record.
    fn master_data_versions(&self) -> Result<Vec<ElementVersion>, Error>;

    /// A SimpleMasterDataQuery over the latest version of every element.
    ///
    /// # Errors
    /// [`ErrorKind::QueryTooLarge`] past `maxElementCount`; storage errors.
    ///
    /// ```
    /// use tracecode::masterdata::{MasterDataQuery, Vocabulary};
    /// use tracecode::store::{MemoryStore, TraceStore};
    /// let store = MemoryStore::new();
    /// let doc = serde_json::json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
    ///     "vocabularyElementList": [{"id": "urn:epc:id:sgln:0614141.00777.0", "children": ["urn:epc:id:sgln:0614141.00777.1"]},
    ///                               {"id": "urn:epc:id:sgln:0614141.00777.1",
    ///                                "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": "Dock 1"}]}]}]);
    /// store.put_master_data(&Vocabulary::from_json_list(&doc)?)?;
    /// let q = MasterDataQuery::from_pairs(&[("WD_name", "urn:epc:id:sgln:0614141.00777.0"), ("HASATTR", "urn:epcglobal:cbv:mda#name")])?;
    /// let found = store.master_data(&q)?;
    /// assert_eq!(&*found[0].elements[0].id, "urn:epc:id:sgln:0614141.00777.1");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    fn master_data(&self, q: &MasterDataQuery) -> Result<Vec<Vocabulary>, Error> {
        q.answer(&crate::masterdata::latest(self.master_data_versions()?))
    }

    /// Serialised instances of a class: a GTIN class key gives every instance of that GTIN the store has seen;
    /// a GTIN + lot key gives the instances commissioned into that lot (ILMD `lotNumber`). Sorted by key,
    /// strictly after `after`, at most `limit`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a key that is not a GTIN or GTIN + lot class key.
    fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error>;

    /// Appends every edge stored under `node` to `out`, ordered by (relation kind, sequence).
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error>;

    /// Where walks can read edges without copying them, on several threads ([`EdgeSource`]); `None` (the
    /// default) when the store offers no such access, and walks use [`Self::neighbours`].
    fn edge_source(&self) -> Option<&dyn EdgeSource> {
        None
    }

    /// One consistent state of this store for an answer assembled from many calls (a trace, a recall): every
    /// read through the returned store sees the same commits, so no such answer shows part of a batch. `None`
    /// (the default) when the store is already such a view. It is for reading: ingest through the store itself.
    fn pinned(&self) -> Option<Box<dyn TraceStore + '_>> {
        None
    }

    /// The latest checkpoint (sequence, log hash).
    ///
    /// # Errors
    /// As [`Self::resolve_id`].
    fn checkpoint(&self) -> Result<Checkpoint, Error>;

    /// Recomputes the log hash from the first event up to `cp.seq` and compares it with `cp.hash`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] when `cp.seq` is beyond the log; [`ErrorKind::Corrupt`] for a damaged log
    /// record.
    fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error>;

    /// Verifies one node: record checksums, frames, event ids and its hash chain.
    ///
    /// # Errors
    /// [`ErrorKind::Io`]; damage is reported in the [`VerifyReport`], not as an error.
    fn verify(&self, id: &Id) -> Result<VerifyReport, Error>;

    /// Verifies the whole store: the log and its checkpoint chain, every event record, every chain and head.
    ///
    /// # Errors
    /// As [`Self::verify`].
    fn verify_all(&self) -> Result<VerifyReport, Error>;

    /// Counts and sizes.
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    fn stats(&self) -> Result<Stats, Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_genesis_is_the_hash_of_its_text() {
        assert_eq!(LOG_GENESIS.0, *blake3::hash(LOG_GENESIS_TEXT).as_bytes());
    }

    #[test]
    fn cursor_text_round_trip() {
        let c = Cursor { time: Timestamp(-5), seq: 42 };
        assert_eq!(c.to_string().parse::<Cursor>().unwrap(), c);
        assert_eq!("x".parse::<Cursor>().unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn rel_inverse_is_an_involution() {
        let t = SourceDestType::OwningParty;
        for r in [Rel::Parent, Rel::Child, Rel::Input, Rel::Output, Rel::Lot, Rel::Member, Rel::Source(t.clone())] {
            assert_eq!(r.inverse().inverse(), r);
            assert_ne!(r.inverse().is_forward(), r.is_forward());
        }
    }
}
