//! EPCIS 1.2 and 2.0 XML: reading documents into the same [`Event`](crate::event::Event)s the JSON binding gives.
//!
//! Each event element is read whole (bounded), rewritten into the JSON binding's shape by the standard's
//! correspondence of the two bindings (`to_json`), and converted by the JSON converter: one set of rules for
//! both syntaxes, so the same event read from XML and from JSON is the same `Event`, with the same frame, id
//! and GS1 event hash. 1.2's `extension` and `baseExtension` wrappers are unwrapped into the event; user
//! extensions (elements and attributes in other namespaces) are named by their expanded IRI.
//!
//! Security: the reader never processes a DOCTYPE (a document with one is refused), so no entity is expanded and
//! no external resource is read; only the five predefined entities and character references are decoded. Every
//! event is bounded in bytes ([`MAX_EVENT_XML_BYTES`]), elements and depth.

mod dom;
mod read;
mod to_json;
mod vocab;
mod write;

pub(crate) use read::entity;
pub use read::{MAX_EVENT_XML_BYTES, XmlDocumentKind, XmlSummary, read_events};
pub use write::{XmlVersion, XmlWriter, export_xml};

#[cfg(test)]
mod tests;
