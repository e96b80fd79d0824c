//! TraceKey (being written).
use super::Code;
use crate::Error;

/// The kind of thing a key identifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// One physical thing.
    Instance,
    /// A product or product lot.
    Class,
    /// A location.
    Location,
    /// A party.
    Party,
}

/// Canonical identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceKey {
    bytes: Vec<u8>,
}

impl TraceKey {
    pub(crate) fn from_code(_code: &Code) -> Result<Self, Error> {
        Ok(Self { bytes: Vec::new() })
    }
}

impl std::fmt::Display for TraceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("")?;
        let _ = &self.bytes;
        Ok(())
    }
}
