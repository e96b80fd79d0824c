//! The durable store: RocksDB column families laid out in [`super::keys`], a hot tier in front.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, DBRawIterator, ReadOptions,
    SliceTransform, SnapshotWithThreadMode, WriteBatch, WriteOptions,
};

use crate::code::TraceKey;
use crate::event::frame;
use crate::event::id::{EventId, GENESIS, Link, chain_step, event_id};
use crate::event::{Event, EventType, Id, SourceDestType, Timestamp};
use crate::{Error, ErrorKind};

pub(crate) mod durable;
mod verify;
mod visit;

use super::derive::{self, Why};
use super::hot::{HotTier, Keyed};
use super::keys::{
    self, CF_NAMES, COUNTERS_KEY, Cur, FORMAT_KEY, FORMAT_VERSION, INLINE_FRAME_MAX, OLDEST_OPENED_FORMAT, UNPACK_ALL,
    corrupt, seal, unseal,
};
use super::known::KnownNodes;
use super::state::Fold;
use super::{
    BadRecord, Chain, ChainBuilder, Checkpoint, Cursor, Edge, EdgeKind, FeedItem, Hit, Index, IngestReport,
    LOG_GENESIS, Outcome, Page, Query, Resolution, Seq, State, Stats, TraceStore, VerifyReport, derive_state, log_step,
};

/// Tuning and durability options of a [`Store`], with documented defaults.
///
/// ```
/// use tracecode::store::Options;
/// let o = Options::default().hot_tier_bytes(64 << 20).sync(true);
/// assert!(o.sync);
/// ```
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools, reason = "independent switches, each documented with its default")]
pub struct Options {
    /// Create the store when the directory holds none (default `true`).
    pub create_if_missing: bool,
    /// RocksDB block cache (HyperClockCache shared by all column families), bytes. Default 256 MiB.
    pub block_cache_bytes: usize,
    /// Memory limit of the hot tier of decoded resolutions, bytes (estimated charge; 0 disables). Default 256 MiB.
    pub hot_tier_bytes: usize,
    /// `fsync` the write-ahead log on every ingest (default `false`: the WAL is written on every ingest and
    /// concurrent writers are group-committed, but a machine crash can lose the last moments; call
    /// [`Store::sync`] for an explicit durability point).
    pub sync: bool,
    /// Memtable size per column family, bytes. Default 64 MiB.
    pub write_buffer_bytes: usize,
    /// Background flush and compaction threads. Default 2.
    pub background_jobs: i32,
    /// Chain heads (node → last link) the writer keeps in memory, entries (about 100 bytes each); beyond it the
    /// head is read from the chain's last entry. Default 2 million.
    pub head_cache_entries: usize,
    /// Open for reading only (default `false`): nothing is written, not even on open or close, so a store on a
    /// read-only file system or a full disk can still be read, verified and exported; calls that would write
    /// return [`ErrorKind::ReadOnly`]. Another process may hold the store open for writing meanwhile (this
    /// reader then sees the state as of its open).
    pub read_only: bool,
    /// Open a store whose recovery came back short of its durability mark (default `false`: such an open is
    /// refused with [`ErrorKind::Corrupt`] naming what was lost). With `true` the store continues from what
    /// was recovered and records the loss ([`Store::losses`]); see [`Store::open`].
    pub accept_loss: bool,
    /// The longest time between two durability points during ingest (default 1 s): the write-ahead log is
    /// `fsync`ed (when [`Self::sync`] is off) and the durability mark moves to the last commit. An operating
    /// system crash or power loss with `sync` off can lose at most the commits since the last durability point;
    /// damage that loses anything before it is detected on open.
    pub durable_interval: std::time::Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            create_if_missing: true,
            block_cache_bytes: 256 << 20,
            hot_tier_bytes: 256 << 20,
            sync: false,
            write_buffer_bytes: 64 << 20,
            background_jobs: 2,
            head_cache_entries: 2_000_000,
            read_only: false,
            accept_loss: false,
            durable_interval: std::time::Duration::from_secs(1),
        }
    }
}

impl Options {
    /// Sets [`Self::hot_tier_bytes`].
    #[must_use]
    pub const fn hot_tier_bytes(mut self, n: usize) -> Self {
        self.hot_tier_bytes = n;
        self
    }

    /// Sets [`Self::block_cache_bytes`].
    #[must_use]
    pub const fn block_cache_bytes(mut self, n: usize) -> Self {
        self.block_cache_bytes = n;
        self
    }

    /// Sets [`Self::sync`].
    #[must_use]
    pub const fn sync(mut self, on: bool) -> Self {
        self.sync = on;
        self
    }

    /// Sets [`Self::create_if_missing`].
    #[must_use]
    pub const fn create_if_missing(mut self, on: bool) -> Self {
        self.create_if_missing = on;
        self
    }

    /// Sets [`Self::read_only`].
    #[must_use]
    pub const fn read_only(mut self, on: bool) -> Self {
        self.read_only = on;
        self
    }

    /// Sets [`Self::accept_loss`].
    #[must_use]
    pub const fn accept_loss(mut self, on: bool) -> Self {
        self.accept_loss = on;
        self
    }
}

/// A failure to open the store at `path`, by kind as [`io`], naming the path and what to do for a lock.
fn opening(path: &Path, e: &rocksdb::Error) -> Error {
    let err = io(e);
    if err.kind() == ErrorKind::Locked {
        return Error::new(
            ErrorKind::Locked,
            0,
            0,
            format!(
                "{} is open for writing in another process ({}); open it read-only to read it meanwhile",
                path.display(),
                err.message()
            ),
        );
    }
    err
}

/// Storage failures with RocksDB's message, by kind: damage is [`ErrorKind::Corrupt`] (never `Io`), a full disk
/// [`ErrorKind::NoSpace`], a store another process holds [`ErrorKind::Locked`], a write to a read-only store or
/// file system [`ErrorKind::ReadOnly`], anything else [`ErrorKind::Io`]. No `rocksdb` type leaks.
fn io(e: &rocksdb::Error) -> Error {
    let message = e.to_string();
    let kind = if e.kind() == rocksdb::ErrorKind::Corruption { ErrorKind::Corrupt } else { storage_kind(&message) };
    Error::new(kind, 0, 0, format!("storage: {message}"))
}

/// The kind of a storage failure from its message (RocksDB reports the operating system's error text inside an
/// `IOError` status, and its own kind only for corruption).
fn storage_kind(message: &str) -> ErrorKind {
    // The operating system's error texts and RocksDB's own fixed phrases, not words a file path could hold:
    // corruption is told by RocksDB's status kind, never by the text.
    if message.contains("No space left on device") || message.contains("Disk quota exceeded") {
        ErrorKind::NoSpace
    } else if message.contains("While lock file:") || message.contains("lock hold by current process") {
        ErrorKind::Locked
    } else if message.contains("Read-only file system") || message.contains("Not supported operation in read only mode")
    {
        ErrorKind::ReadOnly
    } else {
        ErrorKind::Io
    }
}

/// An operating-system failure on a file of the store's own (the durability mark), by kind as [`io`] does.
fn os(what: &str, path: &Path, e: &std::io::Error) -> Error {
    let kind = match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => ErrorKind::NoSpace,
        std::io::ErrorKind::ReadOnlyFilesystem => ErrorKind::ReadOnly,
        _ => ErrorKind::Io,
    };
    Error::new(kind, 0, 0, format!("storage: {what} {}: {e}", path.display()))
}

/// A commit in progress on the hot tier ([`HotTier::begin_commit`]); ends it when dropped, so an early return or
/// a panic between the two cannot leave the tier refusing entries forever.
struct Commit<'h>(&'h HotTier);

impl<'h> Commit<'h> {
    fn begin(hot: &'h HotTier) -> Self {
        hot.begin_commit();
        Self(hot)
    }
}

impl Drop for Commit<'_> {
    fn drop(&mut self) {
        self.0.end_commit();
    }
}

struct Writer {
    last_seq: Seq,
    log_hash: Link,
    /// Recently written state records (node → body), so ingest reads a busy node's head without RocksDB.
    heads: HashMap<Vec<u8>, Box<[u8]>, Keyed>,
    counters: [u64; 3],
    fail_next: bool,
    /// The log sequence the last saved known-node filter covers.
    known_seq: Seq,
    /// The log sequence of the durability mark on disk, and when it was written.
    marked_seq: Seq,
    marked_at: std::time::Instant,
    /// The store has had a mark ([`durable::MARKED_KEY`]).
    marked_before: bool,
    /// Benchmark support ([`Store::record_batches`]): bytes still to record, and the recorded batches.
    recording: Option<(usize, Vec<Vec<u8>>)>,
    /// The record buffers of the last batch, kept for the next.
    buffers: Buffers,
}

/// The reused buffers of ingest (see [`KEEP_BUFFER_BYTES`]).
#[derive(Default)]
struct Buffers {
    /// Arena and entries of the nodes' records.
    nodes: (Vec<u8>, Vec<Entry>),
    /// Arena and entries of the events' own records.
    own: (Vec<u8>, Vec<Entry>),
    /// The write-batch representation.
    rep: Vec<u8>,
}

/// An event of the batch that is not a duplicate: its index in the batch, its seq and the log hash after it.
struct Accepted {
    i: usize,
    seq: Seq,
    log_hash: Link,
}

/// An error declaration of the batch ([`Outcome::Declared`]): the declaring event's index in the batch, its
/// log entry's seq and log hash, and the event it declares erroneous.
struct Declared {
    i: usize,
    seq: Seq,
    log_hash: Link,
    target: Target,
}

/// The event an error declaration is attached to.
enum Target {
    /// Accepted earlier in the same batch, at this index: its frame is re-encoded before any record is built.
    Batch(usize),
    /// Stored by an earlier batch: its frame is rewritten where it lives.
    Stored(Box<StoredEvent>),
}

/// A stored event, where its frame lives, and the nodes whose cached answers show it.
struct StoredEvent {
    seq: Seq,
    home: FrameHome,
    event: Event,
    nodes: Vec<Vec<u8>>,
}

/// Where a stored frame lives (since format 3): in the `event` record, or inline in the event's chain entries.
enum FrameHome {
    Event,
    /// The node the `event` record points at, and each chain entry's key, flags and link (kept as they are
    /// when the frame is rewritten).
    Chain {
        first: Vec<u8>,
        entries: Vec<(Vec<u8>, u8, Link)>,
    },
}

/// Batches of at least this many events prepare on two threads (below it a thread costs more than it saves).
const PARALLEL_MIN: usize = 256;

/// The error for a declaration whose event, with the declaration attached, has no frame (too large).
fn too_big_declared(i: usize, e: &Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        i,
        1,
        format!("event {i} of the batch declares a stored event that cannot be stored with the declaration: {e}"),
    )
}

fn helper_panicked() -> Error {
    Error::new(ErrorKind::Io, 0, 0, "ingest: a preparation thread panicked (a bug; nothing was written)")
}

/// An event of a batch, validated and encoded.
struct Prepared<'e> {
    frame: Vec<u8>,
    id: EventId,
    /// The seq of an error declaration of this event later in the same batch.
    declared: Option<Seq>,
    /// The nodes the event is about ([`derive::nodes`]), in the order their chain entries are written.
    nodes: Vec<&'e Id>,
}

impl Prepared<'_> {
    /// Whether the frame goes inline into the event's chain entries. The one rule for both record builders:
    /// the `event` record points at the first node's entry exactly when that entry holds the frame.
    fn inline(&self) -> bool {
        self.frame.len() <= INLINE_FRAME_MAX
    }
}

/// Validates every event and encodes its frame, content id and nodes, in batch order (on two threads for a
/// large batch); the first invalid event is the error.
fn prepare(events: &[Event]) -> Result<Vec<Prepared<'_>>, Error> {
    fn run(from: usize, part: &[Event]) -> Result<Vec<Prepared<'_>>, Error> {
        let mut out = Vec::with_capacity(part.len());
        for (j, e) in part.iter().enumerate() {
            super::memory::validate_in_batch(e, from + j)?;
            let (frame, id) = frame_and_id(e)?;
            out.push(Prepared { frame, id, declared: None, nodes: derive::nodes(e) });
        }
        Ok(out)
    }
    if events.len() < PARALLEL_MIN {
        return run(0, events);
    }
    let half = events.len() / 2;
    let (a, b) = events.split_at(half);
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| run(half, b));
        let first = run(0, a);
        (first, h.join().unwrap_or_else(|_| Err(helper_panicked())))
    });
    let mut out = first?;
    out.extend(second?);
    Ok(out)
}

/// Record buffers up to this size are kept for the next batch; a bigger one (from an unusually large batch)
/// is freed rather than held for the life of the store.
const KEEP_BUFFER_BYTES: usize = 64 << 20;

/// The embedded RocksDB chain index (see the [module docs](super)).
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
/// drop(store);
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
}

fn table_options(cache: &Cache, block_size: usize, hash_index: bool) -> BlockBasedOptions {
    let mut bb = BlockBasedOptions::default();
    bb.set_block_cache(cache);
    bb.set_bloom_filter(10.0, false);
    bb.set_cache_index_and_filter_blocks(true);
    bb.set_pin_l0_filter_and_index_blocks_in_cache(true);
    bb.set_block_size(block_size);
    bb.set_format_version(6);
    if hash_index {
        bb.set_data_block_index_type(rocksdb::DataBlockIndexType::BinaryAndHash);
        bb.set_data_block_hash_ratio(0.75);
    }
    bb
}

fn cf_options(name: &str, cache: &Cache, o: &Options) -> rocksdb::Options {
    let mut c = rocksdb::Options::default();
    c.set_write_buffer_size(o.write_buffer_bytes);
    c.set_compression_type(DBCompressionType::Lz4);
    // Compact level 0 at 8 files instead of 4 (and slow writes at 40, stop them at 60 instead of 20 and 36):
    // each L0 → L1 compaction then merges twice the data into the same L1 files, which halves how often L1 is
    // rewritten. Replaying the same recorded ingest batches (2.36 M events) took 16.7 µs of CPU an event
    // instead of 20.3, with flushes and compactions; at 300 000 items, ingest went from 33–34 k to 41–42 k
    // events per CPU-second. The cost is up to 7 L0 files a read may probe, each behind its bloom filter
    // (uniform resolves stayed within noise).
    c.set_level_zero_file_num_compaction_trigger(8);
    c.set_level_zero_slowdown_writes_trigger(40);
    c.set_level_zero_stop_writes_trigger(60);
    match name {
        // Node-prefixed families: prefix bloom filters make a probe for an unknown code cheap, and chains and
        // edge lists are short scans inside one block.
        "chain" | "edge" => {
            // A chain (~3 KB: nine entries and the state record) is read by point-like seeks, so its blocks are
            // 8 KiB: a miss in the block cache decompresses half what a 16 KiB block costs. Edge lists are
            // walked level by level in key order, where bigger blocks serve more nodes per read.
            let block = if name == "chain" { 8 << 10 } else { 16 << 10 };
            let mut bb = table_options(cache, block, false);
            bb.set_whole_key_filtering(false);
            c.set_block_based_table_factory(&bb);
            c.set_prefix_extractor(SliceTransform::create(
                keys::NODE_EXTRACTOR,
                keys::node_prefix,
                Some(keys::node_in_domain),
            ));
            c.set_memtable_prefix_bloom_ratio(0.1);
        }
        "event" => {
            c.set_block_based_table_factory(&table_options(cache, 16 << 10, true));
            c.set_bottommost_compression_type(DBCompressionType::Zstd);
            c.set_memtable_prefix_bloom_ratio(0.05);
            c.set_memtable_whole_key_filtering(true);
        }
        _ => c.set_block_based_table_factory(&table_options(cache, 8 << 10, false)),
    }
    c
}

impl Store {
    /// Opens (or creates) the store in `path`.
    ///
    /// # Durability
    /// Every ingest that returned is in the write-ahead log, and a batch is recovered whole or not at all.
    /// - **Process crash** (kill -9, panic, OOM): nothing acknowledged is lost, with `sync` on or off.
    /// - **Operating-system crash or power loss**: with [`Options::sync`] on, nothing acknowledged is lost;
    ///   with it off (the default), at most the commits since the last durability point are (one is made at
    ///   most [`Options::durable_interval`] after the last, and by [`Store::sync`], [`Store::flush`] and
    ///   closing the store).
    /// - **Damage** (a flipped bit or a truncated write-ahead log, a lost or damaged table file): RocksDB
    ///   would recover the consistent part and open silently; the store compares what was recovered with its
    ///   durability mark (see `docs/STORE.md`) and refuses to open when anything acknowledged before the last
    ///   durability point is missing or was rewritten, with [`ErrorKind::Corrupt`] naming the lost sequence
    ///   numbers. [`Options::accept_loss`] opens it anyway, recording the loss ([`Store::losses`]).
    ///
    /// # Errors
    /// [`ErrorKind::Version`] for a store written by a newer format; [`ErrorKind::Corrupt`] for damage found on
    /// open (RocksDB's own checks, the durability mark), or a directory that is a RocksDB database but not a
    /// tracecode store; [`ErrorKind::Locked`] for a store another process holds open for writing (open it
    /// [read-only](Options::read_only) meanwhile); [`ErrorKind::NoSpace`] for a full disk (read-only opens
    /// still work); [`ErrorKind::Io`] for other storage failures (including a missing store with
    /// `create_if_missing = false`).
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let cache = Cache::new_hyper_clock_cache(opts.block_cache_bytes, 0);
        let mut db_opts = rocksdb::Options::default();
        db_opts.create_if_missing(opts.create_if_missing);
        db_opts.create_missing_column_families(true);
        db_opts.set_max_background_jobs(opts.background_jobs);
        db_opts.set_bytes_per_sync(1 << 20);
        db_opts.set_wal_bytes_per_sync(1 << 20);
        db_opts.set_max_open_files(-1);
        db_opts.set_enable_pipelined_write(true);
        // The mark is read before RocksDB replays the log: a writer beside a read-only open can then not move it
        // past what this open's replay sees.
        let mark = if path.exists() { durable::read(&path)? } else { durable::Found::Missing };
        let cfs = CF_NAMES.iter().map(|n| ColumnFamilyDescriptor::new(*n, cf_options(n, &cache, &opts)));
        let db = if opts.read_only {
            // RocksDB replays the write-ahead log into memory and writes nothing (no lock, no info log).
            DB::open_cf_descriptors_read_only(&db_opts, &path, cfs, false)
        } else {
            DB::open_cf_descriptors(&db_opts, &path, cfs)
        }
        .map_err(|e| opening(&path, &e))?;
        let cf_ids = family_ids(&db)?;
        let mut store = Self {
            db,
            path,
            hot: HotTier::new(opts.hot_tier_bytes),
            known: KnownNodes::new(0),
            opts,
            writer: Mutex::new(Writer {
                last_seq: 0,
                log_hash: LOG_GENESIS,
                heads: HashMap::default(),
                counters: [0; 3],
                fail_next: false,
                known_seq: 0,
                marked_seq: 0,
                marked_at: std::time::Instant::now(),
                marked_before: false,
                recording: None,
                buffers: Buffers::default(),
            }),
            poisoned: AtomicBool::new(false),
            opened: false,
            cf_ids,
        };
        let upgrade = store.check_format()?;
        store.load_writer()?;
        store.check_durable(mark)?;
        if upgrade {
            // A subset of this format: raise the marker, so an older build refuses the store from now on (it
            // could not read what this one may write into it). Only now that nothing was lost.
            store.write_format_marker()?;
        }
        store.load_known()?;
        store.opened = true;
        Ok(store)
    }

    /// Compares what recovery found with the durability mark ([`durable`]), read before RocksDB opened: a loss
    /// is refused, or with [`Options::accept_loss`] recorded (unless read-only) and the mark moved to what was
    /// recovered. A missing mark on a store that has had one, and a damaged mark, are losses of unknown extent.
    fn check_durable(&self, found: durable::Found) -> Result<(), Error> {
        let marked_before = self.db.get_pinned(durable::MARKED_KEY).map_err(|e| io(&e))?.is_some();
        let mut w = self.lock_writer();
        w.marked_before = marked_before;
        let recovered = Checkpoint { seq: w.last_seq, hash: w.log_hash };
        let unknown = |why: &str| {
            (durable::Loss { recovered, acknowledged: None, accepted_at_ms: durable::now_ms() }, why.to_owned())
        };
        let (loss, why) = match found {
            durable::Found::Missing if marked_before => unknown("the durability mark is missing"),
            durable::Found::Missing => {
                // A store from before marks, or new: mark what there is (a read-only open writes nothing).
                if !self.opts.read_only && recovered.seq > 0 {
                    self.mark(&mut w)?;
                }
                return Ok(());
            }
            durable::Found::Damaged(e) => unknown(&format!("the durability mark is damaged ({e})")),
            durable::Found::Mark(mark) => {
                w.marked_seq = mark.seq;
                match durable::compare(&mark, &recovered, |seq| self.log_hash_at(seq))? {
                    None => return Ok(()),
                    Some(loss) => (loss, String::new()),
                }
            }
        };
        if !self.opts.accept_loss {
            return Err(durable::loss_error(&self.path, &loss, &why));
        }
        if self.opts.read_only {
            return Ok(());
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.put_opt(loss.key(), loss.encode(), &wo).map_err(|e| io(&e))?;
        self.mark(&mut w)
    }

    /// The log's stored checkpoint hash at `seq`, `None` when the log has no entry there.
    fn log_hash_at(&self, seq: Seq) -> Result<Option<Link>, Error> {
        let k = seq.to_be_bytes();
        let Some(v) = self.db.get_pinned_cf(self.cf("log")?, k).map_err(|e| io(&e))? else { return Ok(None) };
        let mut c = Cur::new(unseal(&k, &v, "log")?, "log");
        c.event_id()?;
        Ok(Some(Link(c.arr()?)))
    }

    /// A durability point: `fsync`s the write-ahead log (unless every commit already did), then moves the
    /// durability mark to the last commit. The caller holds the writer lock, so no commit runs in between.
    fn mark(&self, w: &mut Writer) -> Result<(), Error> {
        // Tried again one interval later, not at every commit, when it fails (a full disk, say).
        w.marked_at = std::time::Instant::now();
        if !w.marked_before {
            // Before the first mark: from now on a missing mark is a loss, not a store from before marks.
            let mut wo = WriteOptions::default();
            wo.set_sync(true);
            let mut v = w.last_seq.to_be_bytes().to_vec();
            seal(durable::MARKED_KEY, &mut v);
            self.db.put_opt(durable::MARKED_KEY, v, &wo).map_err(|e| io(&e))?;
            w.marked_before = true;
        }
        if !self.opts.sync {
            self.db.flush_wal(true).map_err(|e| io(&e))?;
        }
        durable::write(&self.path, &Checkpoint { seq: w.last_seq, hash: w.log_hash })?;
        w.marked_seq = w.last_seq;
        w.marked_at = std::time::Instant::now();
        Ok(())
    }

    /// Every loss of acknowledged events accepted on open ([`Options::accept_loss`]), oldest first.
    ///
    /// # Errors
    /// [`ErrorKind::Corrupt`] for a damaged loss record; storage kinds.
    pub fn losses(&self) -> Result<Vec<durable::Loss>, Error> {
        let mut it = self.db.raw_iterator_opt(Self::scan_read_options());
        it.seek(durable::LOSS_PREFIX);
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(durable::LOSS_PREFIX) {
                break;
            }
            out.push(durable::Loss::decode(k, v)?);
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }

    fn cf(&self, name: &str) -> Result<&ColumnFamily, Error> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| Error::new(ErrorKind::Corrupt, 0, 0, format!("column family {name} is missing")))
    }

    /// Checks the format marker; true when the store is of an older format this build raises (read-write opens
    /// only).
    fn check_format(&self) -> Result<bool, Error> {
        #[allow(clippy::single_match_else, reason = "two real branches: an existing store and a new one")]
        match self.db.get(FORMAT_KEY).map_err(|e| io(&e))? {
            Some(v) => {
                let body = unseal(FORMAT_KEY, &v, "format")?;
                let version = u32::from_be_bytes(body.try_into().map_err(|_| corrupt("format", "length"))?);
                if (OLDEST_OPENED_FORMAT..FORMAT_VERSION).contains(&version) {
                    // Read-only, it is read as it is.
                    return Ok(!self.opts.read_only);
                }
                if version != FORMAT_VERSION {
                    return Err(Error::new(
                        ErrorKind::Version,
                        0,
                        0,
                        format!(
                            "store format {version} at {} is not the format {FORMAT_VERSION} this build reads{}",
                            self.path.display(),
                            if version > FORMAT_VERSION {
                                " (written by a newer tracecode)"
                            } else {
                                " (an older format without per-node state records: export its events with the \
                                 tracecode that wrote it and import them into a new store)"
                            }
                        ),
                    ));
                }
                Ok(false)
            }
            None => {
                let mut it = self.db.raw_iterator_cf(self.cf("log")?);
                it.seek_to_first();
                if it.valid() {
                    return Err(corrupt("format", "a non-empty store without a format marker"));
                }
                if self.opts.read_only {
                    return Err(Error::new(
                        ErrorKind::ReadOnly,
                        0,
                        0,
                        format!("{} holds no tracecode store to open read-only", self.path.display()),
                    ));
                }
                self.write_format_marker()?;
                Ok(false)
            }
        }
    }

    fn write_format_marker(&self) -> Result<(), Error> {
        let mut v = FORMAT_VERSION.to_be_bytes().to_vec();
        seal(FORMAT_KEY, &mut v);
        let mut w = WriteOptions::default();
        w.set_sync(true);
        self.db.put_opt(FORMAT_KEY, v, &w).map_err(|e| io(&e))
    }

    fn load_writer(&mut self) -> Result<(), Error> {
        let mut it = self.db.raw_iterator_cf(self.cf("log")?);
        it.seek_to_last();
        let mut w = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some(k), Some(v)) = (it.key(), it.value()) {
            let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
            let mut c = Cur::new(unseal(k, v, "log")?, "log");
            c.event_id()?;
            w.last_seq = seq;
            w.log_hash = Link(c.arr()?);
        }
        it.status().map_err(|e| io(&e))?;
        drop(it);
        if let Some(v) = self.db.get(COUNTERS_KEY).map_err(|e| io(&e))? {
            let mut c = Cur::new(unseal(COUNTERS_KEY, &v, "counters")?, "counters");
            w.counters = [c.u64()?, c.u64()?, c.u64()?];
        }
        Ok(())
    }

    /// Loads the known-node filter saved in the store and adds the nodes of events logged after it; a missing
    /// or damaged filter is rebuilt from the whole log (it is derived data).
    fn load_known(&mut self) -> Result<(), Error> {
        let (last, nodes) = {
            let w = self.lock_writer();
            (w.last_seq, w.counters[0])
        };
        let saved = self.db.get(KNOWN_KEY).map_err(|e| io(&e))?.and_then(|v| {
            let body = unseal(KNOWN_KEY, &v, "known-node filter").ok()?;
            let mut c = Cur::new(body, "known-node filter");
            let seq = c.u64().ok()?;
            let filter = KnownNodes::decode(c.rest()).ok()?;
            (seq <= last).then_some((filter, seq))
        });
        let (filter, from) = saved.unwrap_or_else(|| (KnownNodes::new(nodes.saturating_mul(2)), 0));
        let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, Self::scan_read_options());
        it.seek(from.saturating_add(1).to_be_bytes());
        let mut ids = Vec::new();
        loop {
            if let (Some(k), Some(v)) = (it.key(), it.value()) {
                ids.push(Cur::new(unseal(k, v, "log")?, "log").event_id()?);
                it.next();
            }
            // In chunks: each chunk's events are read with two batched lookups.
            if ids.len() >= 1024 || (!ids.is_empty() && !it.valid()) {
                for (_, _, e) in self.fetch_events(&ids, None)? {
                    for n in derive::nodes(&e) {
                        filter.insert(&keys::node_key(n));
                    }
                }
                ids.clear();
            }
            if !it.valid() {
                break;
            }
        }
        it.status().map_err(|e| io(&e))?;
        drop(it);
        self.known = filter;
        self.lock_writer().known_seq = from;
        // A missing or damaged saved filter was rebuilt from the whole log: save it now, so the damaged record
        // does not stay on disk (where `verify_all` reads it) until the store is closed.
        if from == 0 && last > 0 && !self.opts.read_only {
            self.save_known()?;
        }
        Ok(())
    }

    /// The saved form of the known-node filter as of log sequence `seq`.
    fn known_record(&self, seq: Seq) -> Vec<u8> {
        let mut v = seq.to_be_bytes().to_vec();
        v.extend_from_slice(&self.known.encode());
        seal(KNOWN_KEY, &mut v);
        v
    }

    /// Saves the known-node filter if the log moved since it was last saved.
    fn save_known(&self) -> Result<(), Error> {
        let mut w = self.lock_writer();
        if w.known_seq == w.last_seq || self.is_poisoned() || self.opts.read_only {
            return Ok(());
        }
        self.db.put(KNOWN_KEY, self.known_record(w.last_seq)).map_err(|e| io(&e))?;
        w.known_seq = w.last_seq;
        Ok(())
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options the store was opened with.
    pub const fn options(&self) -> &Options {
        &self.opts
    }

    /// True after a failed write: ingest is refused until the store is reopened (reads keep working).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    /// A durability point: writes and `fsync`s the write-ahead log, so every ingest that returned survives a
    /// machine crash, and moves the durability mark there, so an open that recovers less is refused.
    ///
    /// # Errors
    /// [`ErrorKind::ReadOnly`] on a read-only store; storage kinds.
    pub fn sync(&self) -> Result<(), Error> {
        self.writable()?;
        let mut w = self.lock_writer();
        self.mark(&mut w)
    }

    /// [`ErrorKind::ReadOnly`] when the store was opened read-only.
    fn writable(&self) -> Result<(), Error> {
        if self.opts.read_only {
            return Err(Error::new(ErrorKind::ReadOnly, 0, 0, "the store was opened read-only"));
        }
        Ok(())
    }

    /// Flushes memtables to SST files (e.g. before measuring reads from a settled store).
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    pub fn flush(&self) -> Result<(), Error> {
        self.writable()?;
        self.save_known()?;
        for n in CF_NAMES {
            self.db.flush_cf(self.cf(n)?).map_err(|e| io(&e))?;
        }
        let mut w = self.lock_writer();
        self.mark(&mut w)
    }

    /// Compacts every column family fully (slow; for benchmarks and after bulk loads).
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    pub fn compact(&self) -> Result<(), Error> {
        self.writable()?;
        for n in CF_NAMES {
            self.db.compact_range_cf(self.cf(n)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Writes a consistent, openable copy of the store into `dir` (which must not exist), using hard links
    /// where the file system allows: a backup that costs little space and no downtime.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] (e.g. `dir` exists).
    pub fn backup_to(&self, dir: impl AsRef<Path>) -> Result<(), Error> {
        // With the writer lock held no commit runs, so the copy holds exactly the last commit: its mark says so.
        let w = self.lock_writer();
        let cp = rocksdb::checkpoint::Checkpoint::new(&self.db).map_err(|e| io(&e))?;
        cp.create_checkpoint(dir.as_ref()).map_err(|e| io(&e))?;
        durable::write(dir.as_ref(), &Checkpoint { seq: w.last_seq, hash: w.log_hash })
    }

    /// A reader that reuses its RocksDB iterators across calls — the fast path for a worker thread resolving
    /// many codes. It stays coherent with ingest (its iterators are refreshed after every commit).
    pub fn reader(&self) -> Reader<'_> {
        Reader::new(self, None)
    }

    /// A [`TraceStore`] over one consistent state of this store, whose reads reuse one set of iterators: every
    /// read through it (resolutions, states, edges on every thread of a walk, events, queries) sees the commits
    /// that returned before it was created, and after an ingest through the session, that one too. Run a
    /// series of reads that must agree with each other on one session; create a new one to see later ingests.
    /// Traces and recalls on the store itself run on a session of their own.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("tracecode-session-{}", std::process::id()));
    /// use tracecode::event::Id;
    /// use tracecode::store::{Options, Store};
    /// use tracecode::trace::{trace, Direction, TraceOptions};
    /// let store = Store::open(&dir, Options::default())?;
    /// let t = trace(&store.session(), &Id::parse("urn:epc:id:sgtin:0614141.107346.1")?, Direction::Forward,
    ///     &TraceOptions::new())?;
    /// assert_eq!(t.nodes.len(), 1); // an unknown root is still its own trace
    /// # drop(store); std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn session(&self) -> Session<'_> {
        Session::new(self)
    }

    /// A benchmark baseline: a reused raw RocksDB iterator that prefix-scans a node's chain entries and
    /// returns (entries, value bytes) without checking or decoding anything — the engine's own floor for what
    /// a resolution reads.
    #[doc(hidden)]
    pub fn raw_chain_scanner(&self) -> Result<RawScanner<'_>, Error> {
        Ok(RawScanner { it: self.db.raw_iterator_cf_opt(self.cf("chain")?, Self::prefix_read_options()) })
    }

    /// True while RocksDB has flushes or compactions running or pending (benchmarks wait for a settled store
    /// before measuring reads).
    #[doc(hidden)]
    pub fn background_busy(&self) -> Result<bool, Error> {
        for n in CF_NAMES {
            let cf = self.cf(n)?;
            for prop in [
                "rocksdb.compaction-pending",
                "rocksdb.num-running-compactions",
                "rocksdb.num-running-flushes",
                "rocksdb.mem-table-flush-pending",
            ] {
                if self.db.property_int_value_cf(cf, prop).map_err(|e| io(&e))?.unwrap_or(0) > 0 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Benchmark support: from now on keep a copy of every committed write batch, until `budget` bytes are
    /// held. With [`Self::write_raw_batches`] on a fresh store this gives ingest a same-run baseline: RocksDB
    /// committing exactly the records ingest produced, without any of the work that produced them.
    #[doc(hidden)]
    pub fn record_batches(&self, budget: usize) {
        self.lock_writer().recording = Some((budget, Vec::new()));
    }

    /// Benchmark support: the batches recorded since [`Self::record_batches`] (recording stops).
    #[doc(hidden)]
    pub fn take_recorded_batches(&self) -> Vec<Vec<u8>> {
        self.lock_writer().recording.take().map(|(_, b)| b).unwrap_or_default()
    }

    /// Benchmark support: commits raw write batches (as recorded by [`Self::record_batches`] on a store with
    /// the same column families) with this store's write options, one `write` each, and returns the seconds
    /// spent in RocksDB. The store's own bookkeeping is not updated: use a scratch store and drop it.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when a write fails.
    #[doc(hidden)]
    pub fn write_raw_batches(&self, batches: &[Vec<u8>]) -> Result<f64, Error> {
        let mut wo = WriteOptions::default();
        wo.set_sync(self.opts.sync);
        let mut busy = 0.0;
        for b in batches {
            let batch = WriteBatch::from_data(b);
            let t = std::time::Instant::now();
            self.db.write_opt(batch, &wo).map_err(|e| io(&e))?;
            busy += t.elapsed().as_secs_f64();
        }
        Ok(busy)
    }

    /// Makes the next ingest fail as if the disk write had failed (fault injection for tests of the
    /// poisoned state).
    #[doc(hidden)]
    pub fn inject_write_failure(&self) {
        self.lock_writer().fail_next = true;
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // Writer state is only updated after a successful commit, in one place; a panic elsewhere leaves it
        // consistent with the disk.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn prefix_read_options() -> ReadOptions {
        let mut ro = ReadOptions::default();
        ro.set_prefix_same_as_start(true);
        ro
    }

    fn scan_read_options() -> ReadOptions {
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        ro.fill_cache(false);
        ro
    }

    /// The stored frames of events by id, `None` for an id not stored: from the `event` record, or from the
    /// chain entry it points to (formats 3 and 4 store a frame of at most [`INLINE_FRAME_MAX`] bytes once, in the
    /// chain of the event's first node). Two batched reads at most. A damaged record, or a pointer to a chain
    /// entry that is missing, is not inline, or names another event, is [`ErrorKind::Corrupt`].
    fn frames(&self, ids: &[EventId], view: Option<&View<'_>>) -> Result<Vec<Option<StoredFrame>>, Error> {
        let ro = View::options(view, ReadOptions::default());
        let got = self.db.batched_multi_get_cf_opt(self.cf("event")?, ids.iter().map(|i| &i.0[..]), false, &ro);
        let mut out = Vec::with_capacity(ids.len());
        // (index in `out`, chain key) of the frames kept in chains.
        let mut in_chain: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, (id, r)) in ids.iter().zip(got).enumerate() {
            let Some(v) = r.map_err(|e| io(&e))? else {
                out.push(None);
                continue;
            };
            let rec = EventRecord::parse(id, &v)?;
            let frame = match rec.home {
                RecordHome::Frame(f) => f.to_vec(),
                RecordHome::Chain(node) => {
                    in_chain.push((i, [node, &rec.seq.to_be_bytes()[..]].concat()));
                    Vec::new()
                }
            };
            out.push(Some(StoredFrame { seq: rec.seq, declared: rec.declared, frame }));
        }
        if !in_chain.is_empty() {
            let got =
                self.db.batched_multi_get_cf_opt(self.cf("chain")?, in_chain.iter().map(|(_, k)| &k[..]), false, &ro);
            for ((i, k), r) in in_chain.iter().zip(got) {
                let v = r
                    .map_err(|e| io(&e))?
                    .ok_or_else(|| corrupt("event", "the chain entry holding the frame is missing"))?;
                let mut c = Cur::new(unseal(k, &v, "chain")?, "chain");
                let inline = c.u8()? & 1 == 1;
                c.arr::<32>()?;
                let id = c.event_id()?;
                if !inline || ids.get(*i) != Some(&id) {
                    return Err(corrupt("event", "the chain entry it points to holds another event"));
                }
                if let Some(Some(f)) = out.get_mut(*i) {
                    f.frame = c.rest().to_vec();
                }
            }
        }
        Ok(out)
    }

    /// Events by id, decoded, with their seq and the seq of their error declaration's log entry; every id
    /// must be stored.
    fn fetch_events(&self, ids: &[EventId], view: Option<&View<'_>>) -> Result<Vec<(Seq, Option<Seq>, Event)>, Error> {
        self.frames(ids, view)?
            .into_iter()
            .map(|f| {
                let f = f.ok_or_else(|| corrupt("event", "an event the store refers to is missing"))?;
                Ok((f.seq, f.declared, frame::decode_stored(&f.frame).map_err(|x| corrupt("event", &x.to_string()))?))
            })
            .collect()
    }

    /// A stored event with the place its frame lives, for attaching an error declaration to it; `None` when
    /// it is not stored.
    fn stored_event(&self, id: &EventId) -> Result<Option<StoredEvent>, Error> {
        let Some(v) = self.db.get_pinned_cf(self.cf("event")?, id.0).map_err(|e| io(&e))? else {
            return Ok(None);
        };
        let rec = EventRecord::parse(id, &v)?;
        // `frames` checks the pointer of an inline frame.
        let f = self
            .frames(std::slice::from_ref(id), None)?
            .pop()
            .flatten()
            .ok_or_else(|| corrupt("event", "an event vanished while it was read"))?;
        let event = frame::decode_stored(&f.frame).map_err(|x| corrupt("event", &x.to_string()))?;
        let nodes: Vec<Vec<u8>> = derive::nodes(&event).into_iter().map(keys::node_key).collect();
        let RecordHome::Chain(first) = rec.home else {
            return Ok(Some(StoredEvent { seq: rec.seq, home: FrameHome::Event, event, nodes }));
        };
        // An inline frame is in the chain entry of every node of the event: each one is rewritten.
        let keys: Vec<Vec<u8>> = nodes.iter().map(|n| [&n[..], &rec.seq.to_be_bytes()[..]].concat()).collect();
        let got = self.db.batched_multi_get_cf_opt(self.cf("chain")?, keys.iter(), false, &ReadOptions::default());
        let mut entries = Vec::with_capacity(keys.len());
        for (key, v) in keys.into_iter().zip(got) {
            let v = v.map_err(|e| io(&e))?.ok_or_else(|| corrupt("chain", "an event's chain entry is missing"))?;
            let mut c = Cur::new(unseal(&key, &v, "chain")?, "chain");
            let flags = c.u8()?;
            let link = Link(c.arr()?);
            if c.event_id()? != *id {
                return Err(corrupt("chain", "a chain entry holds another event"));
            }
            if flags & 1 == 1 {
                entries.push((key, flags, link));
            }
        }
        let home = FrameHome::Chain { first: first.to_vec(), entries };
        Ok(Some(StoredEvent { seq: rec.seq, home, event, nodes }))
    }

    /// The records of the batch's error declarations: each one's log entry, and for an event stored earlier
    /// its `event` record (now naming the declaration's seq) and its frame rewritten where it lives, with the
    /// declaration (same keys, seq, id and links).
    fn declaration_records(
        p: &mut Pending,
        events: &[Event],
        prepared: &[Prepared<'_>],
        declared: &[Declared],
    ) -> Result<(), Error> {
        for d in declared {
            let (Some(e), Some(Prepared { id, .. })) = (events.get(d.i), prepared.get(d.i)) else { continue };
            p.put(cfi::LOG, &d.seq.to_be_bytes(), &[&id.0[..], &d.log_hash.0[..]].concat());
            let Target::Stored(st) = &d.target else { continue };
            let mut merged = st.event.clone();
            merged.error_declaration.clone_from(&e.error_declaration);
            let fr = frame::encode(&merged).map_err(|x| too_big_declared(d.i, &x))?;
            match &st.home {
                FrameHome::Event => put_event_record(p, id, st.seq, Some(d.seq), RecordHome::Frame(&fr)),
                FrameHome::Chain { first, entries } => {
                    put_event_record(p, id, st.seq, Some(d.seq), RecordHome::Chain(first));
                    for (key, flags, link) in entries {
                        let k0 = p.arena.len();
                        p.arena.extend_from_slice(key);
                        let v0 = p.arena.len();
                        p.arena.push(*flags);
                        p.arena.extend_from_slice(&link.0);
                        p.arena.extend_from_slice(&id.0);
                        p.arena.extend_from_slice(&fr);
                        p.close(cfi::CHAIN, k0, v0);
                    }
                }
            }
        }
        p.sort();
        Ok(())
    }

    /// A copy of `chain` with the frames of the entries at `missing` (stored outside the chain) read from
    /// `event`.
    fn fill_frames(&self, chain: &Chain, missing: &[usize], view: Option<&View<'_>>) -> Result<Chain, Error> {
        let ids: Vec<EventId> = missing.iter().filter_map(|&i| chain.entries().get(i).map(|e| e.id)).collect();
        let mut fetched = HashMap::with_capacity(ids.len());
        for (id, f) in ids.iter().zip(self.frames(&ids, view)?) {
            let f = f.ok_or_else(|| corrupt("event", "a chain entry names a missing event"))?;
            fetched.insert(*id, f.frame);
        }
        let mut b = ChainBuilder::with_capacity(chain.len(), chain.heap_bytes());
        for (i, e) in chain.entries().iter().enumerate() {
            let f = match fetched.get(&e.id) {
                Some(f) if missing.contains(&i) => f.as_slice(),
                _ => chain.frame(i).unwrap_or_default(),
            };
            b.push(e.seq, e.id, e.link, f)?;
        }
        Ok(b.build())
    }

    /// A node's head link and state fold as committed: from the writer's cache of recent records, else from its
    /// state record (no lookup at all for a node the known-node filter has never seen).
    fn stored_head(&self, w: &Writer, node: &[u8]) -> Result<Option<(Link, Fold)>, Error> {
        if let Some(b) = w.heads.get(node) {
            return keys::decode_state(b).map(Some);
        }
        if !self.known.may_contain(node) {
            return Ok(None);
        }
        let sk = keys::state_key(node);
        match self.db.get_pinned_cf(self.cf("chain")?, &sk).map_err(|x| io(&x))? {
            Some(v) => keys::decode_state(unseal(&sk, &v, "state")?).map(Some),
            None => Ok(None),
        }
    }

    /// Keeps "unpacked as a whole" materialised in the folds: a node packed into a container that has an
    /// aggregation DELETE naming no children after the packing is in no container. Checked for every node whose
    /// packing changed in this batch, and for the current children of every container this batch unpacked
    /// (loaded here when the batch had no event about them).
    fn apply_unpacks(&self, p: &mut Pending, w: &Writer) -> Result<(), Error> {
        let parents: Vec<Vec<u8>> = p.unpacks.iter().map(|(c, _)| c.clone()).collect();
        for parent in &parents {
            for child in self.child_nodes(parent)? {
                if p.heads.contains_key(&child) {
                    continue;
                }
                if let Some((link, fold)) = self.stored_head(w, &child)?
                    && fold.state.container.as_ref().is_some_and(|c| keys::node_key(c) == *parent)
                {
                    let head = NodeHead {
                        id: None,
                        packed_before: None,
                        link,
                        fold,
                        stale: false,
                        batch: Vec::new(),
                        touched: false,
                    };
                    p.heads.insert(child, head);
                }
            }
        }
        let mut reader = self.reader();
        for head in p.heads.values_mut() {
            let (Some(c), Some(k)) = (&head.fold.state.container, head.fold.packed_at) else { continue };
            let packing_changed = head.stale || head.packed_before != Some(k);
            if !packing_changed && parents.is_empty() {
                continue; // the common case: nothing this batch could have unpacked it from
            }
            let ck = keys::node_key(c);
            let unpacked_here = p.unpacks.iter().any(|(u, at)| *u == ck && *at > k);
            let recheck = packing_changed || parents.contains(&ck);
            if unpacked_here || (recheck && reader.unpacked_after(c, k.0, k.1, None)?) {
                head.fold.state.container = None;
                head.fold.packed_at = None;
            }
        }
        Ok(())
    }

    /// A node's state fold from all its events: those on disk and the batch's, in (time, seq) order.
    fn rebuild_fold(&self, node: &[u8], head: &NodeHead, batch: &[Event]) -> Result<Fold, Error> {
        let mut r = self.reader();
        let (chain, _) = r.scan(node)?;
        let disk = Reader::decoded(&chain)?;
        let mut all: Vec<(Seq, EventId, &Event)> = disk.iter().map(|(q, i, e)| (*q, *i, e)).collect();
        all.extend(head.batch.iter().filter_map(|&(i, q, id)| batch.get(i).map(|e| (q, id, e))));
        all.sort_by_key(|(q, _, e)| (e.event_time, *q));
        let mut f = Fold::default();
        for (q, id, e) in all {
            if let Some(n) = &head.id {
                f.apply(n, q, id, e);
            }
        }
        Ok(f)
    }

    /// Children currently recorded under `parent` (for hot-tier invalidation after an "unpack all").
    fn child_nodes(&self, parent: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let mut it = self.db.raw_iterator_cf_opt(self.cf("edge")?, Self::prefix_read_options());
        let mut start = parent.to_vec();
        start.push(keys::rel_code(&super::Rel::Child));
        it.seek(&start);
        let mut out = Vec::new();
        while let Some(k) = it.key() {
            if !k.starts_with(&start) {
                break;
            }
            if let Some(far) = k.get(start.len() + 8..) {
                out.push(keys::node_prefix(far).to_vec());
            }
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }
}

/// An event's stored frame, its seq, and the seq of its error declaration's log entry.
struct StoredFrame {
    seq: Seq,
    declared: Option<Seq>,
    frame: Vec<u8>,
}

/// Where an `event` record says the frame is.
#[derive(Clone, Copy)]
enum RecordHome<'a> {
    /// In the record: the frame.
    Frame(&'a [u8]),
    /// Inline in the chain entry `node ‖ seq` of this node.
    Chain(&'a [u8]),
}

/// An `event` record, parsed (the four forms of `docs/STORE.md`).
struct EventRecord<'a> {
    seq: Seq,
    declared: Option<Seq>,
    home: RecordHome<'a>,
}

impl<'a> EventRecord<'a> {
    fn parse(id: &EventId, v: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cur::new(unseal(&id.0, v, "event")?, "event");
        let seq = c.u64()?;
        let form = c.u8()?;
        let declared = match form {
            keys::EVENT_FRAME_DECLARED | keys::EVENT_IN_CHAIN_DECLARED => Some(c.u64()?),
            _ => None,
        };
        let home = match form {
            keys::EVENT_FRAME | keys::EVENT_FRAME_DECLARED => RecordHome::Frame(c.rest()),
            keys::EVENT_IN_CHAIN | keys::EVENT_IN_CHAIN_DECLARED => {
                let node = c.rest();
                if node.is_empty() || keys::node_prefix(node).len() != node.len() {
                    return Err(corrupt("event", "malformed chain pointer"));
                }
                RecordHome::Chain(node)
            }
            _ => return Err(corrupt("event", "unknown record form")),
        };
        if declared.is_some_and(|d| d <= seq) {
            return Err(corrupt("event", "an error declaration logged before its event"));
        }
        Ok(Self { seq, declared, home })
    }
}

/// Writes an `event` record's value up to its frame or node: seq, form, and the declaration's seq.
fn event_record_head(arena: &mut Vec<u8>, seq: Seq, in_chain: bool, declared: Option<Seq>) {
    arena.extend_from_slice(&seq.to_be_bytes());
    arena.push(match (in_chain, declared) {
        (false, None) => keys::EVENT_FRAME,
        (true, None) => keys::EVENT_IN_CHAIN,
        (false, Some(_)) => keys::EVENT_FRAME_DECLARED,
        (true, Some(_)) => keys::EVENT_IN_CHAIN_DECLARED,
    });
    if let Some(d) = declared {
        arena.extend_from_slice(&d.to_be_bytes());
    }
}

/// Lists an `event` record (the inverse of [`EventRecord::parse`]).
fn put_event_record(p: &mut Pending, id: &EventId, seq: Seq, declared: Option<Seq>, home: RecordHome<'_>) {
    let k0 = p.arena.len();
    p.arena.extend_from_slice(&id.0);
    let v0 = p.arena.len();
    event_record_head(&mut p.arena, seq, matches!(home, RecordHome::Chain(_)), declared);
    match home {
        RecordHome::Frame(f) => p.arena.extend_from_slice(f),
        RecordHome::Chain(node) => p.arena.extend_from_slice(node),
    }
    p.close(cfi::EVENT, k0, v0);
}

/// The seq of an `event` family record (the duplicate check of ingest needs nothing else).
fn event_record_seq(key: &[u8], v: &[u8]) -> Result<Seq, Error> {
    Cur::new(unseal(key, v, "event")?, "event").u64()
}

/// The stored frame and the content id of an event, encoding once when the event has no capture metadata.
fn frame_and_id(e: &Event) -> Result<(Vec<u8>, EventId), Error> {
    let f = frame::encode(e)?;
    if e.record_time.is_none() && e.event_id.is_none() && e.error_declaration.is_none() {
        let id = EventId(*blake3::hash(&f).as_bytes());
        Ok((f, id))
    } else {
        Ok((f, event_id(e)?))
    }
}

/// A [`TraceStore`] over one consistent state of a [`Store`] that reuses one [`Reader`]'s iterators across
/// calls ([`Store::session`]): what a walk over many nodes (a trace, a recall) runs on. Not `Sync`: one per
/// thread.
pub struct Session<'s> {
    store: &'s Store,
    reader: std::cell::RefCell<Reader<'s>>,
    /// Lends edge readers over the session's view to a walk's threads.
    lender: Lender<'s>,
}

/// The [`EdgeSource`](super::EdgeSource) of a [`Session`]: edge readers over the session's view.
pub(crate) struct Lender<'s> {
    store: &'s Store,
    view: Mutex<View<'s>>,
}

impl<'s> Session<'s> {
    fn new(store: &'s Store) -> Self {
        let mut reader = store.reader();
        reader.pin();
        let view = reader.view.clone().unwrap_or_else(|| View::take(store));
        Self { store, reader: std::cell::RefCell::new(reader), lender: Lender { store, view: Mutex::new(view) } }
    }

    /// The session's view.
    fn view(&self) -> View<'s> {
        self.lender.view.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Moves the session to the latest state (after its own ingest, so it reads what it wrote).
    fn repin(&self) {
        let mut r = self.reader.borrow_mut();
        r.pin();
        if let Some(v) = r.view.clone() {
            *self.lender.view.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = v;
        }
    }
}

impl super::EdgeSource for Lender<'_> {
    fn edge_reader(&self) -> Box<dyn super::EdgeReader + '_> {
        let view = self.view.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        visit::walk_reader(self.store, Some(view))
    }
}

impl TraceStore for Session<'_> {
    fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error> {
        let r = self.store.ingest(events);
        self.repin();
        r
    }

    fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader.borrow_mut().resolve_id(id)
    }

    fn resolve_key(&self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader.borrow_mut().resolve_key(key)
    }

    fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        self.reader.borrow_mut().state_at(id, at)
    }

    fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error> {
        self.store.event_in(id, &self.view())
    }

    fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error> {
        self.store.events_since_in(after, limit, &self.view())
    }

    fn query(&self, q: &Query) -> Result<Page<Hit>, Error> {
        self.store.query_in(q, &self.view())
    }

    fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error> {
        self.store.instances_in(class, after, limit, &self.view())
    }

    fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        self.reader.borrow_mut().neighbours(node, out)
    }

    fn edge_source(&self) -> Option<&dyn super::EdgeSource> {
        Some(&self.lender)
    }

    fn checkpoint(&self) -> Result<Checkpoint, Error> {
        self.store.checkpoint_in(&self.view())
    }

    fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error> {
        self.store.verify_checkpoint(cp)
    }

    fn verify(&self, id: &Id) -> Result<VerifyReport, Error> {
        self.store.verify(id)
    }

    fn verify_all(&self) -> Result<VerifyReport, Error> {
        self.store.verify_all()
    }

    fn stats(&self) -> Result<Stats, Error> {
        self.store.stats()
    }
}

/// See [`Store::raw_chain_scanner`].
#[doc(hidden)]
pub struct RawScanner<'s> {
    it: DBRawIterator<'s>,
}

impl RawScanner<'_> {
    /// Scans the chain of `key` and its state record (every key of the node's prefix, the bytes a resolve
    /// reads): (records, value bytes).
    pub fn scan(&mut self, key: &TraceKey) -> (usize, usize) {
        let node = keys::key_node(key);
        self.it.seek(&node);
        let (mut n, mut bytes) = (0, 0);
        while let (Some(k), Some(v)) = (self.it.key(), self.it.value()) {
            if !k.starts_with(&node) {
                break;
            }
            n += 1;
            bytes += v.len();
            self.it.next();
        }
        (n, bytes)
    }
}

/// The `default` column family key of the saved known-node filter: log seq it covers (8) ‖ filter.
const KNOWN_KEY: &[u8] = b"tracecode.known";

/// Events between saves of the known-node filter inside ingest batches.
const KNOWN_SAVE_EVERY: Seq = 1 << 16;

impl Drop for Store {
    /// Saves the known-node filter, so the next open does not replay the log into it, and makes a last
    /// durability point, so the next open refuses a recovery that comes back with less.
    fn drop(&mut self) {
        if self.opts.read_only || self.is_poisoned() || !self.opened {
            return;
        }
        let _ = self.save_known();
        let mut w = self.lock_writer();
        if w.marked_seq != w.last_seq {
            let _ = self.mark(&mut w);
        }
    }
}

/// One consistent state of the store: a RocksDB snapshot and the hot-tier epoch it was taken at. Shared (an
/// `Arc`) by a session's reader and the readers it lends to a walk's threads, so a whole trace reads one state.
#[derive(Clone)]
pub(crate) struct View<'s> {
    snap: Arc<SnapshotWithThreadMode<'s, DB>>,
    /// The hot-tier epoch read just before the snapshot was taken.
    epoch: u64,
    /// True when no commit was in progress or began while the snapshot was taken (the epoch was even and did not
    /// move): the snapshot is then exactly the state of `epoch`, and tier entries stamped at or before it are
    /// answers from this state. Otherwise the view reads RocksDB only.
    hot_ok: bool,
}

impl<'s> View<'s> {
    fn take(store: &'s Store) -> Self {
        let e1 = store.hot.epoch();
        let snap = store.db.snapshot();
        let e2 = store.hot.epoch();
        Self { snap: Arc::new(snap), epoch: e1, hot_ok: e1 == e2 && e1.is_multiple_of(2) }
    }

    /// Read options over this view's snapshot.
    fn read_options(&self, mut ro: ReadOptions) -> ReadOptions {
        ro.set_snapshot(&*self.snap);
        ro
    }

    /// `ro` over `view`'s snapshot, or over the latest state for `None`.
    fn options(view: Option<&Self>, ro: ReadOptions) -> ReadOptions {
        match view {
            Some(v) => v.read_options(ro),
            None => ro,
        }
    }

    /// The hot tier's answer for `node` as of this view, if it has one.
    fn hot_get(&self, store: &Store, node: &[u8]) -> Option<Arc<Resolution>> {
        if self.hot_ok { store.hot.get_at(node, self.epoch) } else { None }
    }
}

/// A per-thread reading handle with reused iterators ([`Store::reader`]).
///
/// Each call sees every ingest that returned before it, and never part of a batch: a batch is visible to a
/// reader all at once or not at all, and once a reader has seen it, later calls see it too. A reader
/// [pinned](Self::pin) reads one snapshot across calls (what a session and a trace do).
pub struct Reader<'s> {
    store: &'s Store,
    // The iterators are declared before the view whose snapshot they read, so they are dropped first.
    chain: Option<DBRawIterator<'s>>,
    edge: Option<DBRawIterator<'s>>,
    /// The one state both iterators read, so an answer that uses chains and edges (a state at a time, a
    /// trace step) never mixes two commits, whichever iterator is created first.
    view: Option<View<'s>>,
    /// Keep `view` across calls instead of moving to the latest commit.
    pinned: bool,
}

impl<'s> Reader<'s> {
    fn new(store: &'s Store, view: Option<View<'s>>) -> Self {
        let pinned = view.is_some();
        Self { store, chain: None, edge: None, view, pinned }
    }

    /// Moves an unpinned reader to the latest state when a commit began since its view was taken (dropping its
    /// iterators), so reads see every ingest that returned; returns the view.
    fn freshen(&mut self) -> &View<'s> {
        let current = self.store.hot.epoch();
        let stale = match &self.view {
            None => true,
            Some(v) => !self.pinned && v.epoch != current,
        };
        if stale {
            self.chain = None;
            self.edge = None;
            self.view = None;
        }
        let store = self.store;
        self.view.get_or_insert_with(|| View::take(store))
    }

    /// From now on reads one snapshot, the state as of this call, until [`Self::unpin`]: an answer assembled
    /// from several calls (a trace, a batch of resolutions) then never mixes two commits.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("tracecode-pin-{}", std::process::id()));
    /// use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
    /// use tracecode::store::{Options, Store, TraceStore};
    /// let store = Store::open(&dir, Options::default())?;
    /// let mut e = Event::new(EventType::Object, Timestamp(1_700_000_000_000), TzOffset::UTC);
    /// e.action = Some(Action::Add);
    /// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.1")?);
    /// let mut r = store.reader();
    /// r.pin();
    /// store.ingest(vec![e])?;
    /// assert!(r.resolve("urn:epc:id:sgtin:0614141.107346.1")?.is_none()); // still the pinned state
    /// r.unpin();
    /// assert!(r.resolve("urn:epc:id:sgtin:0614141.107346.1")?.is_some());
    /// # drop(r); drop(store); std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn pin(&mut self) {
        self.chain = None;
        self.edge = None;
        self.view = Some(View::take(self.store));
        self.pinned = true;
    }

    /// Returns to reading the latest state on every call.
    pub fn unpin(&mut self) {
        self.pinned = false;
    }

    /// The cached answer for `node` this reader may use: any cached answer when unpinned (it is always the
    /// committed one), one from no later than the view when pinned.
    fn hot_get(&self, node: &[u8]) -> Option<Arc<Resolution>> {
        if self.pinned {
            self.view.as_ref().and_then(|v| v.hot_get(self.store, node))
        } else {
            self.store.hot.get(node)
        }
    }

    /// Prefix-scan options reading the reader's view (taken now if there is none). Never moves to a newer
    /// view: only a call's entry point does ([`Self::freshen`]), so one call reads one state.
    fn snapshot_options(&mut self) -> ReadOptions {
        let store = self.store;
        self.view.get_or_insert_with(|| View::take(store)).read_options(Store::prefix_read_options())
    }

    fn chain_it(&mut self) -> Result<&mut DBRawIterator<'s>, Error> {
        if self.chain.is_none() {
            let cf = self.store.cf("chain")?;
            let ro = self.snapshot_options();
            self.chain = Some(self.store.db.raw_iterator_cf_opt(cf, ro));
        }
        self.chain.as_mut().ok_or_else(|| corrupt("chain", "iterator"))
    }

    fn edge_it(&mut self) -> Result<&mut DBRawIterator<'s>, Error> {
        if self.edge.is_none() {
            let cf = self.store.cf("edge")?;
            let ro = self.snapshot_options();
            self.edge = Some(self.store.db.raw_iterator_cf_opt(cf, ro));
        }
        self.edge.as_mut().ok_or_else(|| corrupt("edge", "iterator"))
    }

    /// Reads a node's chain (frames fetched from `event` when not inline) and its state record: one prefix
    /// scan, no frame decoded.
    fn scan(&mut self, node: &[u8]) -> Result<(Chain, Option<(Link, Fold)>), Error> {
        // Sized for a typical chain (about nine entries of ~300 bytes), so it rarely regrows.
        let mut b = ChainBuilder::with_capacity(16, 4096);
        let mut missing = Vec::new();
        let mut record = None;
        {
            let it = self.chain_it()?;
            it.seek(node);
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                // Node keys carry their length, so every key starting with `node` is this node's.
                let Some(suffix) = k.strip_prefix(node) else { break };
                if let Ok(seq) = <[u8; 8]>::try_from(suffix) {
                    let mut c = Cur::new(unseal(k, v, "chain")?, "chain");
                    let inline = c.u8()? & 1 == 1;
                    let link = Link(c.arr()?);
                    let id = c.event_id()?;
                    if !inline {
                        missing.push(b.len());
                    }
                    b.push(u64::from_be_bytes(seq), id, link, if inline { c.rest() } else { &[] })?;
                } else if suffix == keys::STATE_SUFFIX {
                    record = Some(keys::decode_state(unseal(k, v, "state")?)?);
                    break;
                } else {
                    break;
                }
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        let chain = b.build();
        if missing.is_empty() {
            Ok((chain, record))
        } else {
            Ok((self.store.fill_frames(&chain, &missing, self.view.as_ref())?, record))
        }
    }

    /// A chain's events decoded with the store's decoder (the record CRC already covered the frames).
    fn decoded(chain: &Chain) -> Result<Vec<(Seq, EventId, Event)>, Error> {
        let mut out = Vec::with_capacity(chain.len());
        for (i, e) in chain.entries().iter().enumerate() {
            let f = chain.frame(i).ok_or_else(|| corrupt("chain", "frame range"))?;
            out.push((e.seq, e.id, frame::decode_stored(f).map_err(|x| corrupt("chain", &x.to_string()))?));
        }
        Ok(out)
    }

    /// Does `container` have an "unpack all" aggregation DELETE after (t, q) and at or before `at`?
    fn unpacked_after(&mut self, container: &Id, t: Timestamp, q: Seq, at: Option<Timestamp>) -> Result<bool, Error> {
        let mut start = keys::node_key(container);
        start.push(UNPACK_ALL);
        let it = self.edge_it()?;
        it.seek(&start);
        let mut found = false;
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(&start) {
                break;
            }
            let seq = u64::from_be_bytes(k.get(start.len()..).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
            let e = decode_edge_value(k, v, UNPACK_ALL, seq)?;
            if e.kind == EdgeKind::Aggregation && (e.time, e.seq) > (t, q) && at.is_none_or(|a| e.time <= a) {
                found = true;
                break;
            }
            it.next();
        }
        Ok(found)
    }

    /// Resolves a node given its node key.
    fn resolve_node(&mut self, node: &[u8], id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        if let Some(r) = self.hot_get(node) {
            return Ok(Some(r));
        }
        self.resolve_cold(node, id)
    }

    /// Resolves from RocksDB (the hot tier missed) and caches the answer: one prefix scan for the chain and
    /// the materialised state.
    fn resolve_cold(&mut self, node: &[u8], id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.read_node(node, id, true)
    }

    /// Reads a node from RocksDB, offering the answer to the hot tier when `cache`.
    fn read_node(&mut self, node: &[u8], id: &Id, cache: bool) -> Result<Option<Arc<Resolution>>, Error> {
        if !self.store.known.may_contain(node) {
            return Ok(None);
        }
        let epoch = self.freshen().epoch;
        let (chain, record) = self.scan(node)?;
        if chain.is_empty() {
            return if record.is_some() { Err(corrupt("state", "a state record without a chain")) } else { Ok(None) };
        }
        let Some((head, fold)) = record else { return Err(corrupt("state", "a chain without its state record")) };
        if Some(head) != chain.head() {
            return Err(corrupt("state", "the state record's head is not the chain's last link"));
        }
        // The record is complete: ingest keeps "unpacked as a whole" materialised in it.
        let state = fold.state;
        let charge = std::mem::size_of::<Resolution>() + 64 + node.len() + state_heap(&state) + chain.heap_bytes();
        let r = Arc::new(Resolution { id: id.clone(), state, chain });
        if cache {
            self.store.hot.insert(node, Arc::clone(&r), charge, epoch);
        }
        Ok(Some(r))
    }

    /// Resolves `key` from RocksDB alone, neither reading nor filling the hot tier: the cold path, for
    /// benchmarks that compare it with a raw scan of the same bytes.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`].
    #[doc(hidden)]
    pub fn resolve_key_uncached(&mut self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.read_node(&keys::key_node(key), &Id::Key(key.clone()), false)
    }

    /// [`TraceStore::resolve_key`] through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`].
    pub fn resolve_key(&mut self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        // The hot path: the node key built on the stack, one probe of the hot tier, no allocation.
        let b = key.as_bytes();
        let mut buf = [0u8; 256];
        if let (Ok(len), Some(dst)) = (u8::try_from(b.len()), buf.get_mut(1..=b.len())) {
            dst.copy_from_slice(b);
            buf[0] = len;
            if let Some(node) = buf.get(..=b.len()) {
                return match self.hot_get(node) {
                    Some(r) => Ok(Some(r)),
                    None => self.resolve_cold(node, &Id::Key(key.clone())),
                };
            }
        }
        // Keys over 255 bytes use the hashed node form.
        self.resolve_node(&keys::key_node(key), &Id::Key(key.clone()))
    }

    /// [`TraceStore::resolve_id`] through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`].
    pub fn resolve_id(&mut self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.resolve_node(&keys::node_key(id), id)
    }

    /// [`TraceStore::resolve`] (parse, then resolve) through this reader's iterators.
    ///
    /// # Errors
    /// The parse error for bad input; otherwise as [`TraceStore::resolve_id`].
    pub fn resolve(&mut self, input: &str) -> Result<Option<Arc<Resolution>>, Error> {
        let key = crate::code::parse(input)?.trace_key()?;
        self.resolve_key(&key)
    }

    /// [`TraceStore::state_at`] through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`].
    pub fn state_at(&mut self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        self.freshen();
        let (chain, _) = self.scan(&keys::node_key(id))?;
        if chain.is_empty() {
            return Ok(None);
        }
        let events = Self::decoded(&chain)?;
        derive_state(id, events.iter().map(|(q, i, e)| (*q, *i, e)), Some(at), &mut |c, t, q| {
            self.unpacked_after(c, t, q, Some(at))
        })
        .map(Some)
    }

    /// [`TraceStore::neighbours`] through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`].
    pub fn neighbours(&mut self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        self.freshen();
        let nk = keys::node_key(node);
        let start = out.len();
        let mut bundles = false;
        let it = self.edge_it()?;
        it.seek(&nk);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if keys::node_prefix(k) != nk.as_slice() || k.len() < nk.len() + 9 {
                break;
            }
            let rel = k.get(nk.len()).copied().unwrap_or(0);
            let seq =
                u64::from_be_bytes(k.get(nk.len() + 1..nk.len() + 9).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
            if rel == keys::HANDOVER || rel == keys::HANDED {
                bundles = true;
                decode_bundle(k, v, seq, out)?;
            } else {
                out.push(decode_edge_value(k, v, rel, seq)?);
            }
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        if bundles {
            // Bundled hand-overs sort after the per-edge records; restore the documented (rel, seq, ...) order.
            if let Some(mine) = out.get_mut(start..) {
                mine.sort_by_cached_key(keys::edge_suffix);
            }
        }
        Ok(())
    }
}

/// Decodes an `edge` value.
fn decode_edge_value(k: &[u8], v: &[u8], rel: u8, seq: Seq) -> Result<Edge, Error> {
    let mut c = Cur::new(unseal(k, v, "edge")?, "edge");
    let kind = keys::kind_from(c.u8()?).ok_or_else(|| corrupt("edge", "kind"))?;
    let action = keys::action_from(c.u8()?).ok_or_else(|| corrupt("edge", "action"))?;
    let time = keys::time_from(c.arr()?);
    let event = c.event_id()?;
    let to = c.full_id()?;
    let sdt = c.sdt()?;
    let rel = if rel == UNPACK_ALL { Some(super::Rel::Child) } else { keys::rel_from(rel, sdt) };
    let rel = rel.ok_or_else(|| corrupt("edge", "relation"))?;
    Ok(Edge { to, kind, rel, action, time, seq, event })
}

/// A hand-over bundle: (rel code, source/destination type, far end).
type Bundle<'a> = Vec<(u8, &'a SourceDestType, &'a Id)>;

/// One pending write: column family index, key and value as ranges of [`Pending::arena`].
#[derive(Clone, Copy)]
struct Entry {
    cf: u8,
    /// The family index and the key's first 31 bytes, big-endian and zero-padded: sorting compares these
    /// integers and reads the key bytes (scattered over a multi-megabyte arena) only on a tie, which needs two
    /// keys of one family sharing 31 bytes. Measured at 100 000 items: 1.7 µs an event for sorting by
    /// (family, key bytes), 0.6 µs by these integers.
    prefix: (u128, u128),
    key: (usize, usize),
    value: (usize, usize),
}

/// Column families by their index in `CF_NAMES` (checked by a test), so a record names its family without a
/// string search.
mod cfi {
    pub const EVENT: u8 = 0;
    pub const LOG: u8 = 1;
    pub const CHAIN: u8 = 2;
    pub const EDGE: u8 = 3;
    pub const IDX: u8 = 4;
    pub const CLASS: u8 = 5;
    pub const XFORM: u8 = 6;
}

/// The sort prefix of a record (see [`Entry::prefix`]).
fn key_prefix(cf: u8, key: &[u8]) -> (u128, u128) {
    let mut b = [0u8; 32];
    b[0] = cf;
    for (d, s) in b.iter_mut().skip(1).zip(key) {
        *d = *s;
    }
    let (hi, lo) = b.split_at(16);
    let word = |h: &[u8]| u128::from_be_bytes(h.try_into().unwrap_or([0; 16]));
    (word(hi), word(lo))
}

/// Appends a `put` record to a RocksDB write-batch representation (the encoding of `db/write_batch.cc`, which
/// is also the WAL's record format: type `0x01` for the default family, or `0x05` and the family id as a
/// varint32; then key and value, each as a varint32 length and the bytes). Building the representation in a
/// reused buffer and handing it over in one copy costs a fraction of one foreign call and one regrowing C++
/// string per record. The family ids come from RocksDB itself ([`family_ids`]), and a test checks the bytes
/// against RocksDB's own encoder.
fn rep_put(rep: &mut Vec<u8>, cf_id: u32, key: &[u8], value: &[u8]) {
    if cf_id == 0 {
        rep.push(0x01);
    } else {
        rep.push(0x05);
        push_varint32(rep, cf_id);
    }
    push_varint32(rep, u32::try_from(key.len()).unwrap_or(u32::MAX));
    rep.extend_from_slice(key);
    push_varint32(rep, u32::try_from(value.len()).unwrap_or(u32::MAX));
    rep.extend_from_slice(value);
}

/// The 12-byte header of a write-batch representation: sequence (8, RocksDB assigns it) and record count (4),
/// both little-endian.
const REP_HEADER: usize = 12;

/// LEB128, as RocksDB's `PutVarint32`.
fn push_varint32(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(u8::try_from(v & 0x7F).unwrap_or(0) | 0x80);
        v >>= 7;
    }
    out.push(u8::try_from(v).unwrap_or(0));
}

/// Each column family's id as RocksDB encodes it in a write batch, read from a batch RocksDB encoded itself.
fn family_ids(db: &DB) -> Result<[u32; CF_NAMES.len()], Error> {
    let mut ids = [0u32; CF_NAMES.len()];
    for (slot, name) in ids.iter_mut().zip(CF_NAMES) {
        let cf = db.cf_handle(name).ok_or_else(|| corrupt("schema", "missing column family"))?;
        let mut b = WriteBatch::default();
        b.put_cf(cf, b"k", b"v");
        let bad = || corrupt("schema", "unexpected write-batch encoding");
        let rec = b.data().get(REP_HEADER..).ok_or_else(bad)?;
        *slot = match rec.first() {
            Some(0x01) => 0,
            Some(0x05) => {
                let mut v = 0u32;
                for (i, byte) in rec.iter().skip(1).take(5).enumerate() {
                    v |= u32::from(byte & 0x7F) << (7 * i);
                    if byte & 0x80 == 0 {
                        break;
                    }
                }
                v
            }
            _ => return Err(bad()),
        };
        let mut check = Vec::new();
        rep_put(&mut check, *slot, b"k", b"v");
        if Some(check.as_slice()) != b.data().get(REP_HEADER..) {
            return Err(bad());
        }
    }
    Ok(ids)
}

fn encode_bundle(v: &mut Vec<u8>, list: &[(u8, &SourceDestType, &Id)]) {
    v.extend_from_slice(&u16::try_from(list.len()).unwrap_or(u16::MAX).to_be_bytes());
    for (rel, t, id) in list.iter().take(usize::from(u16::MAX)) {
        v.push(*rel);
        keys::push_u16_bytes(v, t.term().as_bytes());
        keys::push_full_id(v, Some(id));
    }
}

/// Expands a hand-over bundle into edges.
fn decode_bundle(k: &[u8], v: &[u8], seq: Seq, out: &mut Vec<Edge>) -> Result<(), Error> {
    let mut c = Cur::new(unseal(k, v, "edge")?, "edge");
    let kind = keys::kind_from(c.u8()?).ok_or_else(|| corrupt("edge", "kind"))?;
    let action = keys::action_from(c.u8()?).ok_or_else(|| corrupt("edge", "action"))?;
    let time = keys::time_from(c.arr()?);
    let event = c.event_id()?;
    let n = u16::from_be_bytes(c.arr()?);
    for _ in 0..n {
        let code = c.u8()?;
        let t = std::str::from_utf8(c.u16_bytes()?).map_err(|_| corrupt("edge", "type"))?;
        let t = SourceDestType::parse(t).map_err(|_| corrupt("edge", "type"))?;
        let rel = keys::rel_from(code, Some(t)).ok_or_else(|| corrupt("edge", "relation"))?;
        let to = c.full_id()?;
        out.push(Edge { to, kind, rel, action, time, seq, event });
    }
    Ok(())
}

/// Everything the writer puts for one batch.
struct Pending {
    /// (column family index in `CF_NAMES`, key, sealed value); sorted before writing, because the memtable skip
    /// list inserts keys that arrive in order next to the previous one instead of searching from the top.
    entries: Vec<Entry>,
    /// Keys and sealed values of `entries`, back to back: one allocation per batch instead of two per entry.
    arena: Vec<u8>,
    /// Nodes this batch touched: head link and state fold as they will be after the commit.
    heads: HashMap<Vec<u8>, NodeHead, Keyed>,
    unpack_parents: Vec<Vec<u8>>,
    /// Aggregation "unpack all" markers of this batch: (container node, (time, seq)).
    unpacks: Vec<(Vec<u8>, (Timestamp, Seq))>,
    xforms: Vec<XformEntry>,
    edge_keys: HashSet<Vec<u8>, Keyed>,
    counters: [u64; 3],
}

impl Pending {
    /// An empty record set over reused buffers, sized for a batch of `events`.
    fn new(bufs: (Vec<u8>, Vec<Entry>), events: usize, counters: [u64; 3]) -> Self {
        let (mut arena, mut entries) = bufs;
        arena.clear();
        entries.clear();
        arena.reserve(events * 768);
        entries.reserve(events * 8);
        Self {
            entries,
            arena,
            heads: HashMap::default(),
            unpack_parents: Vec::new(),
            unpacks: Vec::new(),
            xforms: Vec::new(),
            edge_keys: HashSet::default(),
            counters,
        }
    }

    /// The bytes of a key or value range of the arena.
    fn slice(&self, r: (usize, usize)) -> &[u8] {
        self.arena.get(r.0..r.0 + r.1).unwrap_or_default()
    }

    /// Sorts the records into (family, key) order and drops repeated keys (the first of each is kept).
    fn sort(&mut self) {
        let arena = &self.arena;
        let slice = |r: (usize, usize)| arena.get(r.0..r.0 + r.1).unwrap_or_default();
        self.entries.sort_unstable_by(|a, b| a.prefix.cmp(&b.prefix).then_with(|| slice(a.key).cmp(slice(b.key))));
        self.entries.dedup_by(|a, b| a.cf == b.cf && slice(a.key) == slice(b.key));
    }

    /// The buffers, for the next batch.
    fn into_buffers(self) -> (Vec<u8>, Vec<Entry>) {
        (self.arena, self.entries)
    }

    /// Ends the record whose key starts at `k0` and whose value starts at `v0` (both written into `arena` by
    /// the caller, so no record needs its own allocation): appends the value's CRC-32 of `key ‖ body` and
    /// lists the record.
    fn close(&mut self, cf: u8, k0: usize, v0: usize) {
        let crc = crc32fast::hash(self.arena.get(k0..).unwrap_or_default());
        self.arena.extend_from_slice(&crc.to_be_bytes());
        let prefix = key_prefix(cf, self.arena.get(k0..v0).unwrap_or_default());
        self.entries.push(Entry { cf, prefix, key: (k0, v0 - k0), value: (v0, self.arena.len() - v0) });
    }

    /// Lists a record from a key and a value body.
    fn put(&mut self, cf: u8, key: &[u8], body: &[u8]) {
        let k0 = self.arena.len();
        self.arena.extend_from_slice(key);
        let v0 = self.arena.len();
        self.arena.extend_from_slice(body);
        self.close(cf, k0, v0);
    }
}

/// A node touched by the batch being prepared.
struct NodeHead {
    /// The node (`None` for a node loaded only because a container it was in was unpacked).
    id: Option<Id>,
    /// The fold's `packed_at` before this batch (a change means a new container check).
    packed_before: Option<(Timestamp, Seq)>,
    link: Link,
    fold: Fold,
    /// An event older than the fold's last one arrived: rebuild the fold from the whole chain.
    stale: bool,
    /// This batch's events about the node: (index in the batch, seq, id).
    batch: Vec<(usize, Seq, EventId)>,
    /// The batch added chain entries for the node (false for a node loaded only for an unpack).
    touched: bool,
}

#[derive(Clone)]
struct XformEntry {
    tid: Box<str>,
    why: Why,
    inputs: Vec<Id>,
    outputs: Vec<Id>,
}

fn encode_xform(x: &XformEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(&keys::time_bytes(x.why.time));
    v.extend_from_slice(&x.why.id.0);
    for side in [&x.inputs, &x.outputs] {
        v.extend_from_slice(&u32::try_from(side.len()).unwrap_or(u32::MAX).to_be_bytes());
        for id in side {
            keys::push_full_id(&mut v, Some(id));
        }
    }
    v
}

fn decode_xform(tid: &str, seq: Seq, body: &[u8]) -> Result<XformEntry, Error> {
    let mut c = Cur::new(body, "xform");
    let time = keys::time_from(c.arr()?);
    let id = c.event_id()?;
    let mut sides = [Vec::new(), Vec::new()];
    for side in &mut sides {
        let n = u32::from_be_bytes(c.arr()?);
        for _ in 0..n {
            side.push(c.full_id()?.ok_or_else(|| corrupt("xform", "empty id"))?);
        }
    }
    let [inputs, outputs] = sides;
    Ok(XformEntry { tid: tid.into(), why: Why { seq, id, time }, inputs, outputs })
}

fn xform_prefix(tid: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(tid.len() + 2);
    keys::push_u16_bytes(&mut p, tid.as_bytes());
    p
}

impl Store {
    fn put_edge(p: &mut Pending, node: &Id, e: &Edge) {
        let k0 = p.arena.len();
        keys::push_node(&mut p.arena, node);
        keys::push_edge_suffix(&mut p.arena, e);
        let key = p.arena.get(k0..).unwrap_or_default();
        if p.edge_keys.contains(key) {
            p.arena.truncate(k0);
            return; // the same edge twice in one batch (a repeated source, say): stored once
        }
        p.edge_keys.insert(key.to_vec());
        let v0 = p.arena.len();
        let v = &mut p.arena;
        v.push(keys::kind_code(e.kind));
        v.push(keys::action_code(e.action));
        v.extend_from_slice(&keys::time_bytes(e.time));
        v.extend_from_slice(&e.event.0);
        keys::push_full_id(v, e.to.as_ref());
        keys::push_u16_bytes(v, keys::rel_sdt(&e.rel).map_or("", |t| t.term()).as_bytes());
        p.close(cfi::EDGE, k0, v0);
        if e.to.is_none() {
            p.unpack_parents.push(keys::node_key(node));
            if e.kind == EdgeKind::Aggregation {
                p.unpacks.push((keys::node_key(node), (e.time, e.seq)));
            }
        }
        p.counters[2] += 1;
    }

    /// Hand-overs as bundles: one `edge` record per subject listing the event's sources and destinations
    /// (rel byte 11), and one per source/destination listing the subjects (rel byte 12) — instead of one record
    /// per (subject, party) pair in each direction, which multiplied the writes of every shipping event.
    /// [`Reader::neighbours`] expands them into the same [`Edge`]s.
    fn put_handovers(p: &mut Pending, nodes: &[&Id], e: &Event, why: Why) {
        if e.sources.is_empty() && e.destinations.is_empty() {
            return;
        }
        let sds: Vec<(u8, &SourceDestType, &Id)> = e
            .sources
            .iter()
            .map(|x| (7u8, &x.kind, &x.id))
            .chain(e.destinations.iter().map(|x| (8u8, &x.kind, &x.id)))
            .collect();
        let mut reverse: Vec<(&Id, Bundle<'_>)> = Vec::new();
        for subject in nodes {
            let mut list: Vec<(u8, &SourceDestType, &Id)> = Vec::new();
            for &(role, t, id) in &sds {
                if id != *subject && !list.iter().any(|&(r, tt, ii)| r == role && tt == t && ii == id) {
                    list.push((role, t, id));
                    let back = role + 2; // source → sent, destination → received
                    match reverse.iter_mut().find(|(n, _)| *n == id) {
                        Some((_, l)) => l.push((back, t, subject)),
                        None => reverse.push((id, vec![(back, t, subject)])),
                    }
                }
            }
            if list.is_empty() {
                continue;
            }
            p.counters[2] += 2 * list.len() as u64;
            Self::put_bundle(p, subject, keys::HANDOVER, e, why, &list);
        }
        for (node, list) in reverse {
            Self::put_bundle(p, node, keys::HANDED, e, why, &list);
        }
    }

    /// Writes one hand-over bundle record under `node` (rel byte `rel`).
    fn put_bundle(p: &mut Pending, node: &Id, rel: u8, e: &Event, why: Why, list: &[(u8, &SourceDestType, &Id)]) {
        let k0 = p.arena.len();
        let k = &mut p.arena;
        keys::push_node(k, node);
        k.push(rel);
        k.extend_from_slice(&why.seq.to_be_bytes());
        let v0 = k.len();
        k.push(keys::kind_code(EdgeKind::HandOver));
        k.push(keys::action_code(e.action));
        k.extend_from_slice(&keys::time_bytes(why.time));
        k.extend_from_slice(&why.id.0);
        encode_bundle(k, list);
        p.close(cfi::EDGE, k0, v0);
    }

    /// One `idx` record: `tag ‖ term ‖ time ‖ seq`, and a value that is only the CRC (the log maps the seq
    /// to the event id); `term` writes the term bytes.
    fn put_idx(p: &mut Pending, tag: u8, term: impl FnOnce(&mut Vec<u8>), e: &Event, seq: Seq) {
        let k0 = p.arena.len();
        p.arena.push(tag);
        term(&mut p.arena);
        p.arena.extend_from_slice(&keys::time_bytes(e.event_time));
        p.arena.extend_from_slice(&seq.to_be_bytes());
        let v0 = p.arena.len();
        p.close(cfi::IDX, k0, v0);
    }

    fn index_event(p: &mut Pending, e: &Event, seq: Seq) {
        use keys::idx;
        Self::put_idx(p, idx::TIME, |_| {}, e, seq);
        let mut locations: Vec<&Id> = Vec::new();
        let mut parties: Vec<&Id> = Vec::new();
        for place in e.read_point.iter().chain(&e.biz_location) {
            if !locations.contains(&&place.id) {
                locations.push(&place.id);
            }
        }
        for sd in e.sources.iter().chain(&e.destinations) {
            match sd.kind {
                SourceDestType::Location if !locations.contains(&&sd.id) => locations.push(&sd.id),
                SourceDestType::OwningParty | SourceDestType::PossessingParty if !parties.contains(&&sd.id) => {
                    parties.push(&sd.id);
                }
                _ => {}
            }
        }
        if let Some(w) = &e.who.party
            && !parties.contains(&w)
        {
            parties.push(w);
        }
        for l in locations {
            Self::put_idx(p, idx::LOCATION, |a| keys::push_node(a, l), e, seq);
        }
        for party in parties {
            Self::put_idx(p, idx::PARTY, |a| keys::push_node(a, party), e, seq);
        }
        if let Some(b) = &e.biz_step {
            Self::put_idx(p, idx::BIZ_STEP, |a| keys::push_u16_bytes(a, b.term().as_bytes()), e, seq);
        }
        if let Some(d) = &e.disposition {
            Self::put_idx(p, idx::DISPOSITION, |a| keys::push_u16_bytes(a, d.term().as_bytes()), e, seq);
        }
        if let Some(parent) = &e.parent_id {
            Self::put_idx(p, idx::PARENT, |a| keys::push_node(a, parent), e, seq);
        }
    }

    fn class_entries(p: &mut Pending, nodes: &[&Id], e: &Event) {
        for n in nodes {
            if let Id::Key(k) = n
                && k.gtin_class().is_some()
                && k.kind() == crate::code::KeyKind::Instance
            {
                let mut key = vec![keys::class::GTIN];
                key.extend_from_slice(k.as_bytes());
                p.put(cfi::CLASS, &key, k.as_bytes());
            }
        }
        for (lot, inst) in derive::memberships(e) {
            if let Some(m) = TraceKey::lot_member_key(&lot, &inst) {
                let mut key = vec![keys::class::LOT];
                key.extend_from_slice(&m);
                p.put(cfi::CLASS, &key, inst.as_bytes());
            }
        }
    }

    /// Transformation joins with earlier events (stored, or earlier in this batch) sharing the transformationID.
    /// Stored entries are read from `view` (the latest state for `None`), those of later events skipped, so
    /// verification can rebuild an event's joins from a store that has grown since.
    fn join_transformation(&self, p: &mut Pending, e: &Event, why: Why, view: Option<&View<'_>>) -> Result<(), Error> {
        let Some(tid) = &e.transformation_id else { return Ok(()) };
        if e.kind != EventType::Transformation {
            return Ok(());
        }
        let (ins, outs) = derive::transformation_sides(e);
        let me = XformEntry {
            tid: tid.clone(),
            why,
            inputs: ins.iter().map(|i| (*i).clone()).collect(),
            outputs: outs.iter().map(|i| (*i).clone()).collect(),
        };
        let prefix = xform_prefix(tid);
        let mut others = Vec::new();
        {
            let mut it = self.db.raw_iterator_cf_opt(self.cf("xform")?, View::options(view, ReadOptions::default()));
            it.seek(&prefix);
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                if !k.starts_with(&prefix) || k.len() != prefix.len() + 8 {
                    break;
                }
                let seq = u64::from_be_bytes(k.get(prefix.len()..).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
                if seq >= why.seq {
                    break;
                }
                others.push(decode_xform(tid, seq, unseal(k, v, "xform")?)?);
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        others.extend(p.xforms.iter().filter(|x| &x.tid == tid).cloned());
        let mut edges = Vec::new();
        for o in &others {
            let j = Why { seq: why.seq, id: why.id, time: why.time.max(o.why.time) };
            let (oi, oo): (Vec<&Id>, Vec<&Id>) = (o.inputs.iter().collect(), o.outputs.iter().collect());
            derive::transformation_edges(&mut edges, &oi, &outs, j);
            derive::transformation_edges(&mut edges, &ins, &oo, j);
        }
        for (n, edge) in &edges {
            Self::put_edge(p, n, edge);
        }
        let mut k = prefix;
        k.extend_from_slice(&why.seq.to_be_bytes());
        p.put(cfi::XFORM, &k, &encode_xform(&me));
        p.xforms.push(me);
        Ok(())
    }

    /// The records of accepted events themselves: event and log records, index entries, edges and hand-over
    /// bundles, transformation joins; sorted at the end (this runs on the helper thread of a large batch).
    fn event_records(
        &self,
        p: &mut Pending,
        events: &[Event],
        prepared: &[Prepared<'_>],
        accepted: &[Accepted],
        view: Option<&View<'_>>,
    ) -> Result<(), Error> {
        for a in accepted {
            let (Some(e), Some(pr)) = (events.get(a.i), prepared.get(a.i)) else { continue };
            let (seq, fr, id, nodes) = (a.seq, &pr.frame, &pr.id, &pr.nodes);
            // The frame is stored once: in the chain entry of the event's first node when it fits there, in
            // the event record otherwise.
            let k0 = p.arena.len();
            p.arena.extend_from_slice(&id.0);
            let v0 = p.arena.len();
            match nodes.first() {
                Some(first) if pr.inline() => {
                    event_record_head(&mut p.arena, seq, true, pr.declared);
                    keys::push_node(&mut p.arena, first);
                }
                _ => {
                    event_record_head(&mut p.arena, seq, false, pr.declared);
                    p.arena.extend_from_slice(fr);
                }
            }
            p.close(cfi::EVENT, k0, v0);
            let k0 = p.arena.len();
            p.arena.extend_from_slice(&seq.to_be_bytes());
            let v0 = p.arena.len();
            p.arena.extend_from_slice(&id.0);
            p.arena.extend_from_slice(&a.log_hash.0);
            p.close(cfi::LOG, k0, v0);
            Self::index_event(p, e, seq);
            for (n, edge) in derive::edges(e, seq, *id) {
                if edge.kind != EdgeKind::HandOver {
                    Self::put_edge(p, &n, &edge);
                }
            }
            Self::put_handovers(p, nodes, e, Why { seq, id: *id, time: e.event_time });
            self.join_transformation(p, e, Why { seq, id: *id, time: e.event_time }, view)?;
        }
        p.sort();
        Ok(())
    }

    /// The records of the nodes accepted events are about: one chain entry per node and event (extending the
    /// node's hash chain and state fold in `p.heads`), and class entries of nodes seen for the first time.
    fn node_records(
        &self,
        p: &mut Pending,
        w: &Writer,
        events: &[Event],
        prepared: &[Prepared<'_>],
        accepted: &[Accepted],
    ) -> Result<(), Error> {
        let mut nk: Vec<u8> = Vec::with_capacity(64);
        for a in accepted {
            let (Some(e), Some(pr)) = (events.get(a.i), prepared.get(a.i)) else { continue };
            let (i, seq, fr, id) = (a.i, a.seq, &pr.frame, &pr.id);
            let inline = pr.inline();
            let mut new_nodes: Vec<&Id> = Vec::new();
            for n in &pr.nodes {
                nk.clear();
                keys::push_node(&mut nk, n);
                if !p.heads.contains_key(&nk) {
                    let (link, fold) = if let Some(x) = self.stored_head(w, &nk)? {
                        x
                    } else {
                        p.counters[0] += 1;
                        new_nodes.push(*n);
                        // Before the commit, so any reader that can see the chain also passes the filter.
                        self.known.insert(&nk);
                        (GENESIS, Fold::default())
                    };
                    p.heads.insert(
                        nk.clone(),
                        NodeHead {
                            id: Some((*n).clone()),
                            packed_before: fold.packed_at,
                            link,
                            fold,
                            stale: false,
                            batch: Vec::new(),
                            touched: true,
                        },
                    );
                }
                let head = p.heads.get_mut(&nk).ok_or_else(|| corrupt("chain", "head"))?;
                head.link = chain_step(&head.link, id);
                // Events in time order extend the fold; one that happened before the fold's last event makes
                // the node's fold be rebuilt from its whole chain before the commit.
                if head.fold.last().is_none_or(|last| (e.event_time, seq) > last) {
                    head.fold.apply(n, seq, *id, e);
                } else {
                    head.stale = true;
                }
                head.batch.push((i, seq, *id));
                let link = head.link;
                let k0 = p.arena.len();
                p.arena.extend_from_slice(&nk);
                p.arena.extend_from_slice(&seq.to_be_bytes());
                let v0 = p.arena.len();
                p.arena.push(u8::from(inline));
                p.arena.extend_from_slice(&link.0);
                p.arena.extend_from_slice(&id.0);
                if inline {
                    p.arena.extend_from_slice(fr);
                }
                p.close(cfi::CHAIN, k0, v0);
                p.counters[1] += 1;
            }
            Self::class_entries(p, &new_nodes, e);
        }
        Ok(())
    }

    fn poisoned_error() -> Error {
        Error::new(ErrorKind::Poisoned, 0, 0, "an earlier write failed; reopen the store before writing again")
    }
}

impl TraceStore for Store {
    #[allow(clippy::too_many_lines, reason = "one transaction, read top to bottom")]
    fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error> {
        // CPU work (validation, encoding, hashing) happens before taking the writer lock, so concurrent
        // ingest calls overlap it with each other's commits; a large batch splits it over two threads.
        self.writable()?;
        let mut prepared = prepare(&events)?;
        if self.is_poisoned() {
            return Err(Self::poisoned_error());
        }
        let mut w = self.lock_writer();
        let event_cf = self.cf("event")?;
        let ro = ReadOptions::default();
        let existing = self.db.batched_multi_get_cf_opt(event_cf, prepared.iter().map(|p| &p.id.0[..]), false, &ro);
        let mut report = IngestReport::default();
        // Events accepted by this batch: id → (seq, index in the batch).
        let mut in_batch: HashMap<EventId, (Seq, usize), Keyed> = HashMap::default();
        // 1. Duplicates, error declarations, sequence numbers and the log's hash chain, in batch order.
        let mut accepted: Vec<Accepted> = Vec::with_capacity(events.len());
        let mut declared: Vec<Declared> = Vec::new();
        let mut seq = w.last_seq;
        let mut log_hash = w.log_hash;
        for (i, (id, found)) in prepared.iter().map(|p| &p.id).zip(existing).enumerate() {
            let declaring = events.get(i).is_some_and(|e| e.error_declaration.is_some())
                && !declared.iter().any(|d| prepared.get(d.i).is_some_and(|p| p.id == *id));
            let (dup, target) = if let Some(v) = found.map_err(|x| io(&x))? {
                let s = event_record_seq(&id.0, &v)?;
                // Only a declaring event pays for reading the stored frame.
                let stored = if declaring { self.stored_event(id)? } else { None };
                (
                    Some(s),
                    stored.filter(|st| st.event.error_declaration.is_none()).map(|st| Target::Stored(Box::new(st))),
                )
            } else if let Some(&(s, j)) = in_batch.get(id) {
                let undeclared = events.get(j).is_some_and(|e| e.error_declaration.is_none());
                (Some(s), (declaring && undeclared).then_some(Target::Batch(j)))
            } else {
                (None, None)
            };
            if let Some(target) = target {
                seq += 1;
                log_hash = log_step(&log_hash, seq, id);
                report.declared += 1;
                report.outcomes.push((*id, Outcome::Declared(seq)));
                declared.push(Declared { i, seq, log_hash, target });
                continue;
            }
            if let Some(s) = dup {
                report.duplicates += 1;
                report.outcomes.push((*id, Outcome::Duplicate(s)));
                continue;
            }
            seq += 1;
            in_batch.insert(*id, (seq, i));
            report.accepted += 1;
            report.outcomes.push((*id, Outcome::Accepted(seq)));
            log_hash = log_step(&log_hash, seq, id);
            accepted.push(Accepted { i, seq, log_hash });
        }
        if accepted.is_empty() && declared.is_empty() {
            return Ok(report);
        }
        // A declaration of an event earlier in this batch goes into that event's frame before it is written.
        for d in &declared {
            if let (Target::Batch(j), Some(decl)) = (&d.target, events.get(d.i))
                && let (Some(e), Some(p)) = (events.get(*j), prepared.get_mut(*j))
            {
                let mut merged = e.clone();
                merged.error_declaration.clone_from(&decl.error_declaration);
                p.frame = frame::encode(&merged).map_err(|x| too_big_declared(d.i, &x))?;
                p.declared = Some(d.seq);
            }
        }
        // 2. The records. The event's own records (event, log, index, edges, transformation joins) and the
        // nodes' records (chain entries, heads and state, class) are built into two arenas, on two threads for
        // a large batch: their families are disjoint, so neither needs the other's output until the unpack
        // check.
        let mut bufs = std::mem::take(&mut w.buffers);
        let mut own = Pending::new(std::mem::take(&mut bufs.own), events.len(), [0; 3]);
        let mut p = Pending::new(std::mem::take(&mut bufs.nodes), events.len(), w.counters);
        let (side, main) = std::thread::scope(|s| {
            let work = |own: &mut Pending| self.event_records(own, &events, &prepared, &accepted, None);
            if accepted.len() >= PARALLEL_MIN {
                let mine = &mut own;
                let h = s.spawn(move || work(mine));
                let main = self.node_records(&mut p, &w, &events, &prepared, &accepted);
                (h.join().unwrap_or_else(|_| Err(helper_panicked())), main)
            } else {
                let main = self.node_records(&mut p, &w, &events, &prepared, &accepted);
                (work(&mut own), main)
            }
        });
        side?;
        main?;
        if !declared.is_empty() {
            Self::declaration_records(&mut own, &events, &prepared, &declared)?;
        }
        p.counters[2] += own.counters[2];
        p.unpacks.append(&mut own.unpacks);
        p.unpack_parents.append(&mut own.unpack_parents);
        // State records: one per node this batch touched, rebuilt in full where an event arrived out of order.
        for (nk, head) in &mut p.heads {
            if head.stale {
                head.fold = self.rebuild_fold(nk, head, &events)?;
            }
        }
        self.apply_unpacks(&mut p, &w)?;
        let mut records = Vec::with_capacity(p.heads.len());
        for (nk, head) in &p.heads {
            records.push((nk.clone(), keys::encode_state(&head.link, &head.fold)));
        }
        for (nk, body) in &records {
            let k0 = p.arena.len();
            p.arena.extend_from_slice(nk);
            p.arena.extend_from_slice(&keys::STATE_SUFFIX);
            let v0 = p.arena.len();
            p.arena.extend_from_slice(body);
            p.close(cfi::CHAIN, k0, v0);
        }
        p.sort();
        let mut c = Vec::with_capacity(28);
        for x in p.counters {
            c.extend_from_slice(&x.to_be_bytes());
        }
        seal(COUNTERS_KEY, &mut c);
        let mut rep = std::mem::take(&mut bufs.rep);
        rep.clear();
        rep.reserve(REP_HEADER + p.arena.len() + own.arena.len() + 16 * (p.entries.len() + own.entries.len()) + 64);
        rep.resize(REP_HEADER, 0);
        rep_put(&mut rep, 0, COUNTERS_KEY, &c);
        let mut count = 1u32;
        // Save the known-node filter with the batch every so often, so a reopen after a crash replays at most
        // that many events into it.
        let save_known = seq.saturating_sub(w.known_seq) >= KNOWN_SAVE_EVERY;
        if save_known {
            rep_put(&mut rep, 0, KNOWN_KEY, &self.known_record(seq));
            count += 1;
        }
        // Each family's records are in key order; the order of families in a batch does not matter.
        for part in [&own, &p] {
            for e in &part.entries {
                let id =
                    self.cf_ids.get(usize::from(e.cf)).ok_or_else(|| corrupt("schema", "unknown column family"))?;
                rep_put(&mut rep, *id, part.slice(e.key), part.slice(e.value));
            }
            count += u32::try_from(part.entries.len()).map_err(|_| corrupt("batch", "too many records"))?;
        }
        if let Some(n) = rep.get_mut(8..REP_HEADER) {
            n.copy_from_slice(&count.to_le_bytes());
        }
        let batch = WriteBatch::from_data(&rep);
        let mut wo = WriteOptions::default();
        wo.set_sync(self.opts.sync);
        if let Some((left, kept)) = &mut w.recording
            && *left >= rep.len()
        {
            *left -= rep.len();
            kept.push(rep.clone());
        }
        // Every node whose answer this batch changes leaves the hot tier before RocksDB shows the batch, while the
        // tier refuses new entries (an odd epoch): a reader can then never combine a node of this batch read
        // from RocksDB with another node's cached answer from before it (see the hot tier's docs). The children
        // of unpacked containers are listed now, before the write, so a failure to list them fails the batch
        // instead of leaving stale answers behind a committed one.
        let mut stale: Vec<Vec<u8>> = Vec::new();
        if self.hot.enabled() {
            for parent in &p.unpack_parents {
                stale.extend(self.child_nodes(parent)?);
            }
            for d in &declared {
                if let Target::Stored(st) = &d.target {
                    stale.extend(st.nodes.iter().cloned());
                }
            }
        }
        let commit = Commit::begin(&self.hot);
        for (n, head) in &p.heads {
            if head.touched {
                self.hot.remove(n);
            }
        }
        for n in &stale {
            self.hot.remove(n);
        }
        let result = if w.fail_next {
            w.fail_next = false;
            Err(Error::new(ErrorKind::Io, 0, 0, "storage: injected write failure"))
        } else {
            self.db.write_opt(batch, &wo).map_err(|e| io(&e))
        };
        if let Err(e) = result {
            self.poisoned.store(true, Ordering::SeqCst);
            return Err(e);
        }
        w.last_seq = seq;
        w.log_hash = log_hash;
        if save_known {
            w.known_seq = seq;
        }
        w.counters = p.counters;
        drop(commit);
        if w.heads.len() + records.len() > self.opts.head_cache_entries {
            w.heads.clear();
        }
        w.heads.extend(records.into_iter().map(|(k, v)| (k, v.into_boxed_slice())));
        // A durability point at most `durable_interval` after the last. The batch is committed whatever happens
        // here: a failure leaves the mark where it was (the next point retries; closing reports nothing lost).
        if w.marked_at.elapsed() >= self.opts.durable_interval {
            let _ = self.mark(&mut w);
        }
        if rep.capacity() <= KEEP_BUFFER_BYTES {
            w.buffers = Buffers { nodes: p.into_buffers(), own: own.into_buffers(), rep };
        }
        drop(w);
        Ok(report)
    }

    fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader().resolve_id(id)
    }

    fn resolve_key(&self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader().resolve_key(key)
    }

    /// Parses every input, then resolves the keys in key order through one reader (sorted seeks touch
    /// neighbouring blocks one after another), and returns the answers in input order.
    fn resolve_many(&self, inputs: &[&str]) -> Vec<Result<Option<Arc<Resolution>>, Error>> {
        let mut out: Vec<Result<Option<Arc<Resolution>>, Error>> = Vec::with_capacity(inputs.len());
        let mut order: Vec<(TraceKey, usize)> = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            match crate::code::parse(input).and_then(|c| c.trace_key()) {
                Ok(k) => {
                    order.push((k, i));
                    out.push(Ok(None));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        order.sort_unstable();
        // One view for the whole batch: the answers never mix two commits.
        let mut r = self.reader();
        r.pin();
        for (k, i) in order {
            if let Some(slot) = out.get_mut(i) {
                *slot = r.resolve_key(&k);
            }
        }
        out
    }

    fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        self.reader().state_at(id, at)
    }

    fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error> {
        self.event_in(id, &View::take(self))
    }

    fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error> {
        self.events_since_in(after, limit, &View::take(self))
    }

    fn query(&self, q: &Query) -> Result<Page<Hit>, Error> {
        self.query_in(q, &View::take(self))
    }

    fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error> {
        self.instances_in(class, after, limit, &View::take(self))
    }

    fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        self.reader().neighbours(node, out)
    }

    fn edge_source(&self) -> Option<&dyn super::EdgeSource> {
        Some(self)
    }

    fn pinned(&self) -> Option<Box<dyn TraceStore + '_>> {
        Some(Box::new(self.session()))
    }

    fn checkpoint(&self) -> Result<Checkpoint, Error> {
        let w = self.lock_writer();
        Ok(Checkpoint { seq: w.last_seq, hash: w.log_hash })
    }

    fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error> {
        if cp.seq > self.lock_writer().last_seq {
            return Err(Error::new(ErrorKind::InvalidArgument, 0, 0, "checkpoint is beyond the end of the log"));
        }
        let mut h = LOG_GENESIS;
        let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, Self::scan_read_options());
        it.seek_to_first();
        let mut expect = 1;
        while expect <= cp.seq {
            let (Some(k), Some(v)) = (it.key(), it.value()) else {
                it.status().map_err(|e| io(&e))?;
                return Err(corrupt("log", "entries missing"));
            };
            let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
            if seq != expect {
                return Err(corrupt("log", "sequence gap"));
            }
            let id = Cur::new(unseal(k, v, "log")?, "log").event_id()?;
            h = log_step(&h, seq, &id);
            expect += 1;
            it.next();
        }
        Ok(h == cp.hash)
    }

    fn verify(&self, id: &Id) -> Result<VerifyReport, Error> {
        self.verify_node(id)
    }

    fn verify_all(&self) -> Result<VerifyReport, Error> {
        self.verify_everything()
    }

    fn stats(&self) -> Result<Stats, Error> {
        let w = self.lock_writer();
        let mut disk = 0;
        for n in CF_NAMES {
            let cf = self.cf(n)?;
            for prop in ["rocksdb.total-sst-files-size", "rocksdb.size-all-mem-tables"] {
                disk += self.db.property_int_value_cf(cf, prop).map_err(|e| io(&e))?.unwrap_or(0);
            }
        }
        let (hot_entries, hot_bytes) = self.hot.usage();
        Ok(Stats {
            events: w.last_seq,
            nodes: w.counters[0],
            chain_entries: w.counters[1],
            edges: w.counters[2],
            disk_bytes: disk,
            hot_entries,
            hot_bytes,
        })
    }
}

/// Reads over one view: what the [`TraceStore`] methods of [`Store`] (each over a view of its own) and of a
/// [`Session`] (over the session's) answer from.
impl Store {
    /// The checkpoint of `view`: its last log entry (seq and hash).
    fn checkpoint_in(&self, view: &View<'_>) -> Result<Checkpoint, Error> {
        let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, view.read_options(Self::scan_read_options()));
        it.seek_to_last();
        let cp = match (it.key(), it.value()) {
            (Some(k), Some(v)) => {
                let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
                let mut c = Cur::new(unseal(k, v, "log")?, "log");
                c.event_id()?;
                Checkpoint { seq, hash: Link(c.arr()?) }
            }
            _ => Checkpoint { seq: 0, hash: LOG_GENESIS },
        };
        it.status().map_err(|e| io(&e))?;
        Ok(cp)
    }

    fn event_in(&self, id: &EventId, view: &View<'_>) -> Result<Option<(Seq, Event)>, Error> {
        match self.frames(std::slice::from_ref(id), Some(view))?.pop().flatten() {
            Some(f) => Ok(Some((f.seq, frame::decode_stored(&f.frame).map_err(|x| corrupt("event", &x.to_string()))?))),
            None => Ok(None),
        }
    }

    fn events_since_in(&self, after: Seq, limit: usize, view: &View<'_>) -> Result<Vec<FeedItem>, Error> {
        let limit = limit.max(1);
        let mut ids = Vec::new();
        {
            let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, view.read_options(Self::scan_read_options()));
            it.seek(after.saturating_add(1).to_be_bytes());
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                if ids.len() >= limit {
                    break;
                }
                let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
                let mut c = Cur::new(unseal(k, v, "log")?, "log");
                ids.push((seq, c.event_id()?));
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        let evs = self.fetch_events(&ids.iter().map(|(_, i)| *i).collect::<Vec<_>>(), Some(view))?;
        ids.into_iter()
            .zip(evs)
            .map(|((seq, id), (s2, declared, mut event))| {
                // The event's own entry shows it as captured; a declaration attached later is fed at its own
                // entry, so replaying the feed into another store rebuilds the same log.
                if s2 == seq {
                    if declared.is_some() {
                        event.error_declaration = None;
                    }
                    Ok(FeedItem { seq, id, event })
                } else if declared == Some(seq) {
                    Ok(FeedItem { seq, id, event })
                } else {
                    Err(corrupt("log", "sequence mismatch"))
                }
            })
            .collect()
    }

    fn query_in(&self, q: &Query, view: &View<'_>) -> Result<Page<Hit>, Error> {
        use keys::idx;
        let mut prefix = Vec::new();
        match &q.index {
            Index::Time => prefix.push(idx::TIME),
            Index::Location(l) => {
                prefix.push(idx::LOCATION);
                keys::push_node(&mut prefix, l);
            }
            Index::Party(l) => {
                prefix.push(idx::PARTY);
                keys::push_node(&mut prefix, l);
            }
            Index::Parent(l) => {
                prefix.push(idx::PARENT);
                keys::push_node(&mut prefix, l);
            }
            Index::BizStep(b) => {
                prefix.push(idx::BIZ_STEP);
                keys::push_u16_bytes(&mut prefix, b.term().as_bytes());
            }
            Index::Disposition(d) => {
                prefix.push(idx::DISPOSITION);
                keys::push_u16_bytes(&mut prefix, d.term().as_bytes());
            }
        }
        let mut start = prefix.clone();
        start.extend_from_slice(&keys::time_bytes(q.from.unwrap_or(Timestamp(i64::MIN))));
        start.extend_from_slice(&0u64.to_be_bytes());
        if let Some(c) = q.after {
            let mut s = prefix.clone();
            s.extend_from_slice(&keys::time_bytes(c.time));
            s.extend_from_slice(&c.seq.to_be_bytes());
            s.push(0); // strictly after the cursor's key
            if s > start {
                start = s;
            }
        }
        let mut end = None;
        if let Some(u) = q.until {
            let mut e = prefix.clone();
            e.extend_from_slice(&keys::time_bytes(u));
            end = Some(e);
        }
        let limit = q.limit.max(1);
        let mut items = Vec::new();
        let mut more = false;
        let mut it = self.db.raw_iterator_cf_opt(self.cf("idx")?, view.read_options(Self::scan_read_options()));
        it.seek(&start);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(&prefix) || k.len() != prefix.len() + 16 || end.as_deref().is_some_and(|e| k >= e) {
                break;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            let tail = k.get(prefix.len()..).unwrap_or_default();
            let time = keys::time_from(tail.get(..8).and_then(|t| t.try_into().ok()).unwrap_or([0; 8]));
            let seq = u64::from_be_bytes(tail.get(8..).and_then(|t| t.try_into().ok()).unwrap_or([0; 8]));
            if !unseal(k, v, "idx")?.is_empty() {
                return Err(corrupt("idx", "an index entry has a body"));
            }
            items.push(Hit { time, seq, id: EventId([0; 32]) });
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        // The ids, from the log (one batched read; seqs in key order).
        let mut seqs: Vec<[u8; 8]> = items.iter().map(|h| h.seq.to_be_bytes()).collect();
        seqs.sort_unstable();
        let ro = view.read_options(ReadOptions::default());
        let got = self.db.batched_multi_get_cf_opt(self.cf("log")?, seqs.iter(), true, &ro);
        let mut ids = HashMap::with_capacity(seqs.len());
        for (k, r) in seqs.iter().zip(got) {
            let v = r.map_err(|e| io(&e))?.ok_or_else(|| corrupt("idx", "an index entry names a seq the log lacks"))?;
            ids.insert(u64::from_be_bytes(*k), Cur::new(unseal(k, &v, "log")?, "log").event_id()?);
        }
        for h in &mut items {
            h.id = *ids.get(&h.seq).ok_or_else(|| corrupt("idx", "an index entry names a seq the log lacks"))?;
        }
        let next = if more { items.last().map(|h| Cursor { time: h.time, seq: h.seq }) } else { None };
        Ok(Page { items, next })
    }

    fn instances_in(
        &self,
        class: &TraceKey,
        after: Option<&TraceKey>,
        limit: usize,
        view: &View<'_>,
    ) -> Result<Vec<TraceKey>, Error> {
        let mut prefix = Vec::with_capacity(40);
        if class.instances_prefix().is_some() && class.gtin_class().as_ref() == Some(class) {
            prefix.push(keys::class::GTIN);
        } else if class.gtin_class().is_some() && class.kind() == crate::code::KeyKind::Class {
            prefix.push(keys::class::LOT);
        } else {
            return Err(Error::new(ErrorKind::InvalidArgument, 0, 0, "not a GTIN or GTIN + lot class key"));
        }
        prefix.extend_from_slice(class.as_bytes());
        let mut it = self.db.raw_iterator_cf_opt(self.cf("class")?, view.read_options(Self::scan_read_options()));
        it.seek(&prefix);
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(&prefix) || out.len() >= limit.max(1) {
                break;
            }
            let inst = TraceKey::from_bytes(unseal(k, v, "class")?).map_err(|_| corrupt("class", "bad key"))?;
            if after.is_none_or(|a| &inst > a) {
                out.push(inst);
            }
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }
}

/// Heap bytes of a state's ids and terms (the hot tier's charge for them).
fn state_heap(s: &State) -> usize {
    let id = |i: &Option<Id>| match i {
        None => 0,
        Some(Id::Key(k)) => 24 + k.as_bytes().len(),
        Some(Id::Uri(u)) => 24 + u.len(),
    };
    [&s.read_point, &s.biz_location, &s.container, &s.owner, &s.possessor, &s.responsible]
        .into_iter()
        .map(id)
        .sum::<usize>()
        + s.persistent.len() * std::mem::size_of::<crate::event::Disposition>()
}

#[cfg(test)]
mod tests {
    use super::{CF_NAMES, cfi, key_prefix, push_varint32};

    /// Golden bytes of the four `event` record forms (docs/STORE.md): a change here is a format change. Each
    /// parses back to what was written.
    #[test]
    fn event_record_golden_bytes() {
        use super::{EventId, EventRecord, Pending, RecordHome, put_event_record};
        let id = EventId([7; 32]);
        let node: &[u8] = &[3, 0xAA, 0xBB, 0xCC];
        let frame: &[u8] = &[0xF7, 0x54, 1];
        let cases: [(Option<u64>, RecordHome<'_>, &[u8]); 4] = [
            (None, RecordHome::Frame(frame), &[0, 0, 0, 0, 0, 0, 0, 5, 0, 0xF7, 0x54, 1]),
            (None, RecordHome::Chain(node), &[0, 0, 0, 0, 0, 0, 0, 5, 1, 3, 0xAA, 0xBB, 0xCC]),
            (Some(9), RecordHome::Frame(frame), &[0, 0, 0, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 0, 0, 0, 9, 0xF7, 0x54, 1]),
            (
                Some(9),
                RecordHome::Chain(node),
                &[0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 0, 0, 0, 0, 0, 0, 9, 3, 0xAA, 0xBB, 0xCC],
            ),
        ];
        for (declared, home, body) in cases {
            let want_home = match home {
                RecordHome::Frame(f) => (false, f.to_vec()),
                RecordHome::Chain(n) => (true, n.to_vec()),
            };
            let mut p = Pending::new((Vec::new(), Vec::new()), 1, [0; 3]);
            put_event_record(&mut p, &id, 5, declared, home);
            let e = &p.entries[0];
            assert_eq!((e.cf, p.slice(e.key)), (cfi::EVENT, &id.0[..]));
            let crc = crc32fast::hash(&[&id.0[..], body].concat()).to_be_bytes();
            let value = p.slice(e.value);
            assert_eq!(value, [body, &crc[..]].concat());
            let rec = EventRecord::parse(&id, value).unwrap();
            let got_home = match rec.home {
                RecordHome::Frame(f) => (false, f.to_vec()),
                RecordHome::Chain(n) => (true, n.to_vec()),
            };
            assert_eq!((rec.seq, rec.declared, got_home), (5, declared, want_home));
        }
        // A declaration logged before its event is corruption, as is an unknown form.
        let mut p = Pending::new((Vec::new(), Vec::new()), 1, [0; 3]);
        put_event_record(&mut p, &id, 5, Some(5), RecordHome::Frame(frame));
        let e = &p.entries[0];
        assert_eq!(EventRecord::parse(&id, p.slice(e.value)).err().map(|e| e.kind()), Some(crate::ErrorKind::Corrupt));
        let body = [&5u64.to_be_bytes()[..], &[4]].concat();
        let v = [&body[..], &crc32fast::hash(&[&id.0[..], &body].concat()).to_be_bytes()[..]].concat();
        assert_eq!(EventRecord::parse(&id, &v).err().map(|e| e.kind()), Some(crate::ErrorKind::Corrupt));
    }

    #[test]
    fn family_indexes_name_their_families() {
        let at = |i: u8| CF_NAMES.get(usize::from(i)).copied();
        assert_eq!(at(cfi::EVENT), Some("event"));
        assert_eq!(at(cfi::LOG), Some("log"));
        assert_eq!(at(cfi::CHAIN), Some("chain"));
        assert_eq!(at(cfi::EDGE), Some("edge"));
        assert_eq!(at(cfi::IDX), Some("idx"));
        assert_eq!(at(cfi::CLASS), Some("class"));
        assert_eq!(at(cfi::XFORM), Some("xform"));
    }

    proptest::proptest! {
        /// Sorting by (prefix, bytes) is bytewise order, so the batch reaches the memtable in key order.
        #[test]
        fn prefix_order_is_byte_order(fa in 0u8..3, a in proptest::collection::vec(0u8..4, 0..24),
                                      fb in 0u8..3, b in proptest::collection::vec(0u8..4, 0..24)) {
            let by_prefix = key_prefix(fa, &a).cmp(&key_prefix(fb, &b)).then_with(|| a.cmp(&b));
            proptest::prop_assert_eq!(by_prefix, (fa, &a).cmp(&(fb, &b)));
        }

        /// Varint32 as RocksDB writes it: 7 bits a byte, low first, high bit = more.
        #[test]
        fn varint32_round_trips(v in proptest::num::u32::ANY) {
            let mut out = Vec::new();
            push_varint32(&mut out, v);
            let mut back = 0u64;
            for (i, b) in out.iter().enumerate() {
                back |= u64::from(b & 0x7F) << (7 * i);
                proptest::prop_assert_eq!(b & 0x80 != 0, i + 1 < out.len());
            }
            proptest::prop_assert_eq!(back, u64::from(v));
            proptest::prop_assert!(out.len() <= 5);
        }
    }
}

#[cfg(test)]
mod batch_tests {
    use super::{CF_NAMES, REP_HEADER, family_ids, rep_put};
    use rocksdb::{ColumnFamilyDescriptor, DB, WriteBatch};

    /// The representation ingest builds is byte for byte what RocksDB's own `WriteBatch::put_cf` encodes, for
    /// every family, for short and long keys and values (lengths across the varint32 byte boundaries).
    #[test]
    fn representation_matches_rocksdb_encoder() {
        let dir = std::env::temp_dir().join(format!("tracecode-rep-{}", std::process::id()));
        let mut o = rocksdb::Options::default();
        o.create_if_missing(true);
        o.create_missing_column_families(true);
        let cfs = CF_NAMES.iter().map(|n| ColumnFamilyDescriptor::new(*n, rocksdb::Options::default()));
        let db = DB::open_cf_descriptors(&o, &dir, cfs).expect("open");
        let ids = family_ids(&db).expect("ids");
        let mut theirs = WriteBatch::default();
        let mut ours = vec![0u8; REP_HEADER];
        let mut n = 0u32;
        for (i, name) in CF_NAMES.iter().enumerate() {
            let cf = db.cf_handle(name).expect("family");
            for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
                let key: Vec<u8> = (0..len % 200).map(|j| u8::try_from(j % 251).unwrap_or(0)).collect();
                let value: Vec<u8> = (0..len).map(|j| u8::try_from((j * 7 + i) % 256).unwrap_or(0)).collect();
                theirs.put_cf(cf, &key, &value);
                rep_put(&mut ours, ids[i], &key, &value);
                n += 1;
            }
        }
        theirs.put(b"default-key", b"v");
        rep_put(&mut ours, 0, b"default-key", b"v");
        n += 1;
        ours[8..REP_HEADER].copy_from_slice(&n.to_le_bytes());
        assert_eq!(theirs.data(), ours.as_slice());
        // And RocksDB takes it: the records land where they were meant to.
        db.write(WriteBatch::from_data(&ours)).expect("write");
        let cf = db.cf_handle("idx").expect("family");
        // (the empty key was written twice in `idx`; the later 70 000-byte value wins)
        assert_eq!(db.get_cf(cf, []).expect("get").map(|v| v.len()), Some(70_000));
        assert_eq!(db.get(b"default-key").expect("get").as_deref(), Some(&b"v"[..]));
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
