//! Component validation and pairing rules (placeholder signatures; being written).
use super::{AiDef, Gs1};
use crate::Error;

/// Context for content checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LintContext {
    /// Current year for the GS1 century rule.
    pub current_year: u16,
}

/// Validates one AI value. Error offsets are relative to the start of `value`.
///
/// # Errors
/// On any violation.
pub fn validate_value(_def: &AiDef, _value: &[u8], _ctx: &LintContext) -> Result<(), Error> {
    Ok(())
}

/// Checks req/ex pairing rules over the list. Error offsets are the offending element's source offset.
///
/// # Errors
/// On any violation.
pub fn check_pairings(_gs1: &Gs1) -> Result<(), Error> {
    Ok(())
}
