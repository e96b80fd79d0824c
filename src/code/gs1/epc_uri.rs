//! EPC Tag Data Standard URIs (placeholder while being written).

/// EPC details kept from an EPC read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EpcInfo {
    /// Filter value.
    pub filter: Option<u8>,
    /// GS1 company-prefix length.
    pub gcp_len: Option<u8>,
}

/// A GID-96 identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gid {
    /// General manager number (28 bits).
    pub manager: u32,
    /// Object class (24 bits).
    pub class: u32,
    /// Serial (36 bits).
    pub serial: u64,
}
