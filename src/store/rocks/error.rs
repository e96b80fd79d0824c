//! Storage failures as [`Error`]s: RocksDB's and the operating system's, by kind, with no `rocksdb` type leaking.

use std::path::Path;

use crate::{Error, ErrorKind};

/// A failure to open the store at `path`, by kind as [`io`], naming the path and what to do for a lock.
pub(super) fn opening(path: &Path, e: &rocksdb::Error) -> Error {
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
pub(super) fn io(e: &rocksdb::Error) -> Error {
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
pub(super) fn os(what: &str, path: &Path, e: &std::io::Error) -> Error {
    let kind = match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => ErrorKind::NoSpace,
        std::io::ErrorKind::ReadOnlyFilesystem => ErrorKind::ReadOnly,
        _ => ErrorKind::Io,
    };
    Error::new(kind, 0, 0, format!("storage: {what} {}: {e}", path.display()))
}
