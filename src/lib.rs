//! # tracecode
//!
//! An embeddable engine for product traceability (crate docs are completed as the pillars land).
#![forbid(unsafe_code)]

pub mod code;
mod error;

pub use error::{Error, ErrorKind, Result};
