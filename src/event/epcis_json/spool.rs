//! Bytes held for a second reading: in memory up to a bound, then in an anonymous temporary file, so that
//! holding a document part of any size costs bounded memory.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

/// Bytes written once, then read back once ([`Spool::into_reader`]).
#[derive(Debug)]
pub(crate) struct Spool {
    memory: Vec<u8>,
    /// Bytes kept in memory at most; past them everything goes to `file`.
    limit: usize,
    file: Option<File>,
    /// Bytes written in all.
    len: u64,
}

/// A spool read back: the memory or the file, from its start.
pub(crate) enum SpoolReader {
    /// Held in memory.
    Memory(Cursor<Vec<u8>>),
    /// Spilled to the temporary file (removed when dropped).
    File(io::BufReader<File>),
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Memory(c) => c.read(buf),
            Self::File(f) => f.read(buf),
        }
    }
}

impl Spool {
    /// An empty spool keeping at most `limit` bytes in memory.
    pub(crate) const fn new(limit: usize) -> Self {
        Self { memory: Vec::new(), limit, file: None, len: 0 }
    }

    /// Appends `bytes`.
    ///
    /// # Errors
    /// Creating or writing the temporary file.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len = self.len.saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        if let Some(f) = &mut self.file {
            return f.write_all(bytes);
        }
        if self.memory.len().saturating_add(bytes.len()) <= self.limit {
            self.memory.extend_from_slice(bytes);
            return Ok(());
        }
        let mut f = tempfile::tempfile()?;
        f.write_all(&self.memory)?;
        f.write_all(bytes)?;
        self.memory = Vec::new();
        self.file = Some(f);
        Ok(())
    }

    /// Bytes written.
    pub(crate) const fn len(&self) -> u64 {
        self.len
    }

    /// Whether the bytes went to the temporary file.
    #[cfg(test)]
    const fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// The bytes, from the start.
    ///
    /// # Errors
    /// Seeking the temporary file.
    pub(crate) fn into_reader(self) -> io::Result<SpoolReader> {
        match self.file {
            Some(mut f) => {
                f.flush()?;
                f.seek(SeekFrom::Start(0))?;
                Ok(SpoolReader::File(io::BufReader::new(f)))
            }
            None => Ok(SpoolReader::Memory(Cursor::new(self.memory))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// What is written comes back, in memory or spilled.
        #[test]
        fn reads_back_what_was_written(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20),
            limit in 0usize..200,
        ) {
            let mut s = Spool::new(limit);
            let mut want = Vec::new();
            for c in &chunks {
                s.write(c).unwrap();
                want.extend_from_slice(c);
            }
            prop_assert_eq!(s.spilled(), want.len() > limit);
            prop_assert_eq!(s.len(), want.len() as u64);
            let mut got = Vec::new();
            s.into_reader().unwrap().read_to_end(&mut got).unwrap();
            prop_assert_eq!(got, want);
        }
    }
}
