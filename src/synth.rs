//! A deterministic, seeded synthetic "province" traceability workload, for the demo, the benchmarks and tests.
//!
//! [`Synth`] generates the EPCIS events of a province-like mix of the six regulated categories:
//!
//! | Category | Items | Life of an item |
//! |---|---|---|
//! | [`Category::Food`] | SGTIN retail items | farm harvest lots (GTIN + lot) → processing TransformationEvents into product lots → commissioning with ILMD `lotNumber` → line check → cases (SSCC) → pallets → processor → DC → store → retail sale |
//! | [`Category::Drug`] | China 20-digit drug codes | commissioning → code check → cases (20-digit case codes) → pallets (SSCC) → manufacturer → distributor → pharmacy (DELETE, sometimes parent-only) → dispensing |
//! | [`Category::AgriInput`] | pesticide 32-digit, veterinary-drug 24-digit, seed / fertiliser SGTIN | production → cartons → dealer → retail sale |
//! | [`Category::GasCylinder`] | gas-cylinder registration codes | registration, then cycles of pre-fill check, filling, delivery, return; a periodic inspection (repair or scrapping) |
//! | [`Category::Elevator`] | equipment registration codes | manufacture → delivery → installation → acceptance → maintenance every ~15 days, repairs, annual inspection |
//! | [`Category::Explosive`] | GA 441 detonator codes | production → boxes → magazine → depot → blasting site → pre-blast test → use or destruction |
//!
//! Every event is a valid EPCIS 2.0 event ([`Event::validate`]) with GLN read points and business locations
//! (`414` keys), responsible parties (`417` party GLNs or unified social credit codes), realistic CBV business
//! steps and dispositions, sources and destinations on hand-overs, despatch advice and purchase-order business
//! transactions on most hand-overs, and a [`Who`].
//!
//! Across the mix an item has about 8 events: consumables (food, drugs, agricultural inputs, detonators) about 3
//! each plus their share of case, pallet and lot events, gas cylinders about 32 and elevators about 37. The
//! assets are 15% of the items and carry about two thirds of the events (long per-code chains); the consumables carry
//! the genealogy (lots, transformations, aggregation).
//!
//! # Determinism, order and memory
//! Everything is a pure function of [`SynthConfig`]: the same seed gives the same events, byte for byte. Items
//! are produced in *runs* (one production run of one category: 40 to 300 items), interleaved across the
//! categories; a run's events are generated together, so memory is bounded by one run whatever the size of the
//! data set. Within a run, events are yielded in capture order: each event is captured within a second of when
//! it happened, except about 2% captured hours later (a scanner that synchronised late); about 1% of events
//! therefore arrive after a later event of the same code, as in the field. Every identifier an event is
//! *about* (items, cases, pallets, lots) belongs to one run, so each code's history arrives in capture order.
//! Runs start 15 minutes apart and their lives overlap in event time (like the feeds of independent sites), so
//! event times across runs are not sorted: a global capture order would need a merge window as long as an
//! elevator's life, i.e. most of the data set in memory. `recordTime` is left unset: the repository sets it on
//! capture.
//!
//! The item index space is O(1) addressable: [`Synth::item_key`], [`Synth::category_of`] and
//! [`Synth::scan_of`] compute the i-th item without generating anything. [`Synth::unknown_scan`] gives
//! well-formed codes the generator never issues (counterfeit probes).
//!
//! [`genealogy`](fn@genealogy) is a separate generator for the trace benchmark: a tree of about `nodes` nodes
//! under one raw lot.
//!
//! ```
//! use tracecode::synth::{Category, Synth, SynthConfig};
//!
//! let synth = Synth::new(SynthConfig { items: 3_000, ..SynthConfig::default() });
//! let events: usize = synth.batches(10_000).map(|batch| batch.len()).sum();
//! assert!(events > 3_000 * 5);
//!
//! // The i-th item is known without generating events, and its scan reads back to it.
//! let key = synth.item_key(0).unwrap();
//! assert_eq!(synth.category_of(0), Category::Food);
//! assert_eq!(tracecode::code::parse(synth.scan_of(0))?.trace_key()?, key);
//! # Ok::<(), tracecode::Error>(())
//! ```
//!
//! [`Event::validate`]: crate::event::Event::validate
//! [`Who`]: crate::event::Who

mod codes;
mod config;
mod consts;
mod fields;
mod genealogy;
mod index;
mod item_codes;
mod num;
mod perm;
mod province;
mod rng;
mod run;
mod scan;
#[cfg(test)]
mod tests;

/// The SplitMix64 stream the generator draws from, for harnesses that need the same deterministic sequences.
pub use crate::hash::SplitMix64;
pub use config::{Category, Sample, SynthConfig};
pub use genealogy::genealogy;
pub use index::Synth;
