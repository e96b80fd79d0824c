//! Detection (being written).
use super::{Code, ParseOptions};
use crate::{Error, ErrorKind};

/// A candidate interpretation.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The code.
    pub code: Code,
}

/// Parse.
///
/// # Errors
/// When nothing matches.
pub fn parse(input: impl AsRef<[u8]>) -> Result<Code, Error> {
    parse_with(input, &ParseOptions::new())
}

/// Parse with options.
///
/// # Errors
/// When nothing matches.
pub fn parse_with(_input: impl AsRef<[u8]>, _opts: &ParseOptions) -> Result<Code, Error> {
    Err(Error::new(ErrorKind::Unrecognized, 0, 0, "not yet"))
}

/// Candidates.
pub fn candidates(input: impl AsRef<[u8]>) -> Vec<Candidate> {
    candidates_with(input, &ParseOptions::new())
}

/// Candidates with options.
pub fn candidates_with(_input: impl AsRef<[u8]>, _opts: &ParseOptions) -> Vec<Candidate> {
    Vec::new()
}
