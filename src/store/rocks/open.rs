//! Opening a store: [`Options`], the column families (their RocksDB tuning, and [`cfi`], their indexes in
//! write batches), and what open checks before the store is used: the format marker, the writer's state from
//! the log, the durability mark, the known-node filter.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, ReadOptions, SliceTransform,
    WriteOptions,
};

use super::admin::KNOWN_KEY;
use super::batch::family_ids;
use super::error::{io, opening};
use super::ingest::Writer;
use super::{Store, durable, upgrade};
use crate::event::digest::Link;
use crate::store::hot::HotTier;
use crate::store::keys::{
    self, CF_NAMES, COUNTERS_KEY, Cur, FORMAT_KEY, FORMAT_VERSION, OLDEST_OPENED_FORMAT, corrupt, seal, unseal,
};
use crate::store::known::KnownNodes;
use crate::store::{Checkpoint, Seq, derive};
use crate::{Error, ErrorKind};

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
    /// Create the store (and its directory) when the path holds none (default `true`; ignored by
    /// [read-only](Self::read_only) opens, which never create anything). With `false` such a path is
    /// [`ErrorKind::NotFound`].
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
    /// Open for reading only (default `false`), with RocksDB's read-only instance: nothing is written, not even
    /// on open or close, and no lock is taken, so a store on a read-only file system or a full disk, or one
    /// another process (or another [`Store`] of this process) holds open for writing, can still be read,
    /// verified and exported.
    ///
    /// - The reader sees the store as of its open (RocksDB replays the write-ahead log into memory), and as of
    ///   the last [`Store::catch_up`] after that, which reopens it to see what writers committed meanwhile.
    /// - Calls that would write ([`TraceStore::ingest`](crate::store::TraceStore::ingest), [`Store::sync`],
    ///   [`Store::flush`], [`Store::compact`]) return [`ErrorKind::ReadOnly`].
    /// - The open's checks write nothing: a store of an older format this build reads is read as it is (not
    ///   upgraded); the durability mark is compared but never written, so a loss is still refused (and with
    ///   [`Self::accept_loss`] read, not recorded); no directory is created ([`ErrorKind::NotFound`] for a
    ///   path without a store, whatever [`Self::create_if_missing`] says).
    /// - The hot tier caches resolutions of that state in memory; the known-node filter is loaded (and
    ///   extended from the log) but never saved.
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

/// Column families by their index in `CF_NAMES` (checked by a test), so a record names its family without a
/// string search.
pub(super) mod cfi {
    pub const EVENT: u8 = 0;
    pub const LOG: u8 = 1;
    pub const CHAIN: u8 = 2;
    pub const EDGE: u8 = 3;
    pub const IDX: u8 = 4;
    pub const CLASS: u8 = 5;
    pub const XFORM: u8 = 6;
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
    /// [read-only](Options::read_only) meanwhile); [`ErrorKind::NotFound`] for a path that holds no store (a
    /// missing path or an empty directory, when the open may not create one: read-only, or
    /// `create_if_missing = false`) or that is a file; [`ErrorKind::NoSpace`] for a full disk (read-only opens
    /// still work); [`ErrorKind::ReadOnly`] for an open for writing on a read-only file system;
    /// [`ErrorKind::Io`] for other storage failures. RocksDB's error, where there is one, is the `source()`.
    #[allow(clippy::needless_pass_by_value, reason = "the public signature takes the options, as it always did")]
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Self, Error> {
        let path = path.as_ref();
        let mut tries = 0;
        loop {
            match Self::open_once(path, opts.clone()) {
                // Beside a live writer, a flush or compaction can retire a file between RocksDB reading the
                // manifest and opening the file. A read-only open writes nothing, so trying again is harmless;
                // real damage fails every time.
                Err(e) if opts.read_only && matches!(e.kind(), ErrorKind::Io | ErrorKind::Corrupt) && tries < 2 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                r => return r,
            }
        }
    }

    fn open_once(path: &Path, opts: Options) -> Result<Self, Error> {
        let path = path.to_path_buf();
        // Before RocksDB, which creates the directory even for a read-only open.
        check_path(&path, opts.read_only || !opts.create_if_missing)?;
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
            writer: Mutex::new(Writer::new()),
            poisoned: AtomicBool::new(false),
            opened: false,
            cf_ids,
            stale_states: false,
            query_index: true,
        };
        let older = store.check_format()?;
        store.stale_states = older.is_some_and(|v| v < upgrade::STICKY_RETIRED);
        store.query_index = older.is_none_or(|v| v >= keys::QUERY_INDEX_FORMAT);
        store.load_writer()?;
        store.check_durable(mark)?;
        if let Some(v) = older
            && !store.opts.read_only
        {
            // Only now that nothing was lost: rewrite what the older format's rules gave differently, then raise
            // the marker, so an older build refuses the store from now on (it could not read what this one may
            // write into it).
            if v < upgrade::STICKY_RETIRED {
                store.refold_states()?;
                store.stale_states = false;
            }
            if v < keys::QUERY_INDEX_FORMAT {
                store.backfill_query_index()?;
                store.query_index = true;
            }
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

    pub(super) fn cf(&self, name: &str) -> Result<&ColumnFamily, Error> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| Error::msg(ErrorKind::Corrupt, format!("column family {name} is missing")))
    }

    /// Checks the format marker; `Some(version)` when the store is of an older format this build still opens
    /// (read-write opens upgrade it).
    fn check_format(&self) -> Result<Option<u32>, Error> {
        #[allow(clippy::single_match_else, reason = "two real branches: an existing store and a new one")]
        match self.db.get(FORMAT_KEY).map_err(|e| io(&e))? {
            Some(v) => {
                let body = unseal(FORMAT_KEY, &v, "format")?;
                let version = u32::from_be_bytes(body.try_into().map_err(|_| corrupt("format", "length"))?);
                if (OLDEST_OPENED_FORMAT..FORMAT_VERSION).contains(&version) {
                    return Ok(Some(version));
                }
                if version != FORMAT_VERSION {
                    return Err(Error::msg(
                        ErrorKind::Version,
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
                Ok(None)
            }
            None => {
                let mut it = self.db.raw_iterator_cf(self.cf("log")?);
                it.seek_to_first();
                if it.valid() {
                    return Err(corrupt("format", "a non-empty store without a format marker"));
                }
                if self.opts.read_only {
                    // An empty RocksDB database (a writer's open that stopped before its first write).
                    return Err(Error::msg(
                        ErrorKind::NotFound,
                        format!("{} holds no tracecode store to open read-only", self.path.display()),
                    ));
                }
                self.write_format_marker()?;
                Ok(None)
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

    pub(super) fn prefix_read_options() -> ReadOptions {
        let mut ro = ReadOptions::default();
        ro.set_prefix_same_as_start(true);
        ro
    }

    pub(super) fn scan_read_options() -> ReadOptions {
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        ro.fill_cache(false);
        ro
    }
}

/// RocksDB's file naming the current manifest: every RocksDB database has one.
const CURRENT: &str = "CURRENT";

/// [`ErrorKind::NotFound`] for a path that is a file, or, when the open must not create a store (`existing`),
/// for a path that holds no RocksDB database.
fn check_path(path: &Path, existing: bool) -> Result<(), Error> {
    let not_found = |what: &str| Error::msg(ErrorKind::NotFound, format!("{} {what}", path.display()));
    // The operating system's error is the `source()`, as RocksDB's would be.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => {
            let e = std::fs::read_dir(path).err();
            let err = not_found("is a file, not a store directory");
            Err(if let Some(e) = e { err.with_source(e) } else { err })
        }
        Ok(_) if existing => match std::fs::metadata(path.join(CURRENT)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found("holds no store").with_source(e)),
            _ => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && existing => {
            Err(not_found("does not exist (no store there)").with_source(e))
        }
        Ok(_) | Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::cfi;
    use crate::store::keys::CF_NAMES;

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
}
