//! The durable store: RocksDB column families laid out in [`super::keys`], a hot tier in front.
//!
//! The module is split by job; where to look:
//! - `open`: [`Options`], the column families (their RocksDB tuning and indexes), and opening a store with
//!   the checks open makes (format marker, writer state, durability mark, known-node filter);
//! - `admin`: an open store's housekeeping: durability points, flush, compaction, backup, accepted losses,
//!   the saved known-node filter, and what closing does;
//! - the ingest pipeline, in the order a batch goes through it: `prepare` (validation and encoding, before
//!   the writer lock), `ingest` (duplicates, sequence numbers, the log's hash chain, the commit and its
//!   hot-tier epoch guard), `records`, `edges` and `events` (the records an event implies, by family),
//!   `declare` (error declarations attached to stored events), `batch` (the sorted record set and its
//!   RocksDB write-batch encoding);
//! - reads: `reader` ([`Reader`] and the consistent view it reads), `session` ([`Session`]), `trace_store`
//!   (the [`TraceStore`](super::TraceStore) implementation: feed, query, checkpoints), `visit` (zero-copy edge
//!   reads for walks);
//! - `upgrade` (format upgrades on open), `verify` (integrity checks), `durable` (the durability mark file), `error` (storage failures as
//!   [`Error`](crate::Error)s), `testing` (bench and test hooks, feature `testing`).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use rocksdb::DB;

use super::hot::HotTier;
use super::keys::CF_NAMES;
use super::known::KnownNodes;
use ingest::Writer;

mod admin;
mod batch;
mod declare;
pub(crate) mod durable;
mod edges;
mod error;
mod event_query;
mod events;
mod ingest;
mod masterdata;
mod open;
mod prepare;
mod reader;
mod records;
mod session;
#[cfg(feature = "testing")]
mod testing;
mod trace_store;
mod upgrade;
mod verify;
mod visit;

pub use open::Options;
pub use reader::Reader;
pub use session::Session;
#[cfg(feature = "testing")]
pub use testing::RawScanner;

/// The embedded RocksDB chain index (see the [module docs](super)).
///
/// One process opens a store for writing (it holds RocksDB's lock: a second writer gets
/// [`ErrorKind::Locked`](crate::ErrorKind::Locked)); any number of [read-only](Options::read_only) stores may read
/// it meanwhile, each seeing it as of its open or its last [`Store::catch_up`]. [`Store::close`] reports what
/// dropping it would ignore.
///
/// ```
/// use tracecode::event::{Action, Event, EventType, Id, Timestamp};
/// use tracecode::store::{Options, Store, TraceStore};
///
/// let dir = std::env::temp_dir().join(format!("tracecode-doc-{}", std::process::id()));
/// let store = Store::open(&dir, Options::default())?;
/// let (t, off) = Timestamp::parse("2026-03-01T08:00:00+08:00")?;
/// let mut e = Event::new(EventType::Object, t, off);
/// e.action = Some(Action::Add);
/// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
/// store.ingest(vec![e])?;
/// let r = store.resolve("(01)10614141073464(21)2017")?.expect("stored");
/// assert_eq!(r.chain.len(), 1);
/// assert!(store.verify_all()?.is_ok());
/// store.close()?; // or drop it: the same, errors ignored
///
/// // Readers open it read-only, also while a writer holds it (no lock); `catch_up` shows newer commits.
/// let mut reader = Store::open(&dir, Options::default().read_only(true))?;
/// assert_eq!(reader.catch_up()?.seq, 1);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), tracecode::Error>(())
/// ```
pub struct Store {
    db: DB,
    path: PathBuf,
    opts: Options,
    hot: HotTier,
    known: KnownNodes,
    writer: Mutex<Writer>,
    poisoned: AtomicBool,
    /// Set once `open` has checked everything: a store whose open failed (say, on a loss of acknowledged
    /// events) must not write on drop, least of all a durability mark over what was lost.
    opened: bool,
    /// Column family ids in write batches, by index in `CF_NAMES`.
    cf_ids: [u32; CF_NAMES.len()],
    /// A store of a format older than [`upgrade::STICKY_RETIRED`] opened read-only: its state records follow
    /// older fold rules, so reads derive states from the chains instead (a read-write open rewrites them).
    stale_states: bool,
    /// The store has the query index families of format 6 (false for an older store opened read-only: queries
    /// then filter what those families would have found, and `verify` expects none of their records).
    query_index: bool,
}
