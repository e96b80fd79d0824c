//! Storage failures as [`Error`]s: RocksDB's and the operating system's, by kind, with no `rocksdb` type leaking
//! (the original error is kept as the [`Error`]'s `source()`). Storage errors have no position.

use std::path::Path;

use crate::{Error, ErrorKind};

/// A failure to open the store at `path`, by kind as [`io`], naming the path and what to do for a lock.
pub(super) fn opening(path: &Path, e: &rocksdb::Error) -> Error {
    let err = io(e);
    if err.kind() == ErrorKind::Locked {
        return Error::msg(
            ErrorKind::Locked,
            format!(
                "{} is open for writing in another process ({}); open it read-only to read it meanwhile",
                path.display(),
                err.message()
            ),
        )
        .with_source(e.clone());
    }
    err
}

/// Storage failures with RocksDB's message, by kind: damage is [`ErrorKind::Corrupt`] (never `Io`), a full disk
/// [`ErrorKind::NoSpace`], a store another process holds [`ErrorKind::Locked`], a write to a read-only store or
/// file system [`ErrorKind::ReadOnly`], anything else [`ErrorKind::Io`]. No `rocksdb` type leaks: `e` is kept as
/// the `source()`.
pub(super) fn io(e: &rocksdb::Error) -> Error {
    let message = e.to_string();
    let kind = if e.kind() == rocksdb::ErrorKind::Corruption { ErrorKind::Corrupt } else { storage_kind(&message) };
    Error::msg(kind, format!("storage: {message}")).with_source(e.clone())
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

/// An operating-system failure on a file of the store's own (the durability mark), by kind as [`io`] does, with
/// `e` as the `source()`.
pub(super) fn os(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::msg(crate::error::io_kind(&e), format!("storage: {what} {}: {e}", path.display())).with_source(e)
}
