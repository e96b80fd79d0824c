//! # tracecode
//!
//! An embeddable engine for product traceability: the layer under a platform that must let anyone **check the
//! source, trace the destination and assign responsibility** for food, drugs, agricultural inputs, special
//! equipment and hazardous goods.
//!
//! It has three pillars:
//! 1. **A unified coding scheme** ([`code`]): whatever a scanner, an RFID reader, a camera app or a person
//!    supplies — GS1 element strings with AIM prefixes and FNC1, bracketed text, bare GTINs and SSCCs, GS1
//!    Digital Link URIs, EPC URNs and RFID binary, China's 20-digit drug codes, MA codes, Handle/IDIS
//!    identifiers, special-equipment, detonator, veterinary-drug, pesticide and credit codes — is parsed,
//!    validated with positioned errors, and reduced to one canonical [`code::TraceKey`] with an
//!    order-preserving binary form. Codes can also be issued (check digits, unguessable serials) and rendered in
//!    every spelling.
//! 2. **Compact events** ([`event`]): the EPCIS 2.0 / CBV 2.0 model with a *who* (responsible party, operator,
//!    device), checksummed binary frames ([`event::frame`], layout in `docs/FORMAT.md`), BLAKE3 content ids and
//!    per-code hash chains plus the interoperable GS1 canonical event hash ([`event::digest`]), and streaming EPCIS
//!    2.0 JSON-LD import/export ([`event::epcis_json`]).
//! 3. **A chain index** ([`store`]): an embedded RocksDB store (feature `rocksdb`) with idempotent atomic
//!    ingest, per-code hash chains, an auditable log with checkpoints, secondary indexes, a change feed,
//!    one-call resolution of any scan, a hot tier in front, and integrity verification; and the genealogy on top
//!    of it ([`trace`]): trace back, trace forward, recall and state at a point in time. `synth` (feature
//!    `synth`) generates a deterministic province-like workload for demos, tests and benchmarks.
//!
//! ## Example
//! ```
//! use tracecode::code::{parse, KeyKind};
//!
//! // The same item as a GS1 DataMatrix scan (AIM id, FNC1 as GS), as bracketed text and as a Digital Link QR:
//! let scan = parse("]d2010950600013435217261231\u{1d}10ABC123\u{1d}21XYZ789")?;
//! let text = parse("(01)09506000134352(17)261231(10)ABC123(21)XYZ789")?;
//! let link = parse("https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ789?17=261231")?;
//!
//! let key = scan.trace_key()?;
//! assert_eq!(key, text.trace_key()?);
//! assert_eq!(key, link.trace_key()?);
//! assert_eq!(key.kind(), KeyKind::Instance);
//! assert_eq!(key.to_string(), "01/09506000134352/21/XYZ789");
//!
//! // Bad input gets a typed error with the position of the fault.
//! let err = parse("]d2010950600013435317261231").unwrap_err();
//! assert_eq!(err.kind(), tracecode::ErrorKind::CheckDigit);
//! assert_eq!(err.offset(), Some(3 + 2 + 13)); // after "]d2" and the AI "01": the 14th digit
//! # Ok::<(), tracecode::Error>(())
//! ```
//!
//! ## Crate features
//! - `rocksdb` (default): the embedded store (builds RocksDB's C++; needs libclang for bindgen).
//! - `synth`: the deterministic synthetic province (`tracecode::synth`), for demos, benchmarks and load tests.
//! - `cli`: the `tracecode` binary (turns on `synth`, and `testing` for its `bench` command).
//! - `jiff`, `time`, `chrono`: conversions between [`event::Timestamp`]/[`event::TzOffset`] and those crates'
//!   date-time types (see [`event::time`]); each is a dependency only when its feature is on.
//! - `testing`: bench, test and fuzzing hooks (raw RocksDB baselines, a hot-tier bypass, fault injection, the
//!   store's key layout, the fuzz oracles), hidden from the docs and not a supported API.
//!
//! The `code` and `event` modules build and test with `--no-default-features`: no C++, cheap to fuzz and to
//! embed.
//!
//! ## What it is not
//! - Not a network service or a resolver: it is a library that services embed.
//! - Not an authority: a code that parses is well-formed, not genuine. Check characters that only the issuing
//!   platform can verify (China's drug codes) are reported as such, never as verified.
//! - Not a GS1 company-prefix registry: converting a GS1 key to an EPC needs the prefix length, which the caller
//!   supplies (see [`code::gs1::gcp`]).
//!
//! ## Design
//! The layout follows `DESIGN.md` in the project's design notes, with these decisions recorded where they are
//! made: one opaque [`Error`] with a stable [`ErrorKind`] and positions ([`error`](Error)); identity rules and
//! the key layout ([`code::key`]); detection order and ambiguity ([`code::parse`]).
#![forbid(unsafe_code)]
// docs.rs (nightly) marks feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod civil;
pub mod code;
mod error;
pub mod event;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod fuzzing;
mod hash;
mod hex;
pub mod masterdata;
pub mod store;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod trace;

/// The README's examples compile and run as doctests (they embed the store).
#[cfg(all(doctest, feature = "rocksdb"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use error::{Error, ErrorKind, Result};
