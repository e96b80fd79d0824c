//! Master data in XML: a `VocabularyElement` (read whole, like an event) as a [`VocabularyElement`], in an
//! `EPCISMasterDataDocument`'s body or a document header's `EPCISMasterData`.

use super::dom::Element;
use crate::event::{ExtValue, Extension};
use crate::masterdata::{Attribute, VocabularyElement};

/// The element `e` (`<VocabularyElement id="…">` with `<attribute id="…">` and `<children><id>`); a message
/// for one of the wrong shape.
pub(super) fn element(e: &Element) -> Result<VocabularyElement, String> {
    let id = e.attr("id").map(str::trim).filter(|s| !s.is_empty()).ok_or("a VocabularyElement has no id")?;
    let mut out = VocabularyElement::new(id);
    for c in &e.children {
        if c.is("attribute") {
            let name = c.attr("id").map(str::trim).filter(|s| !s.is_empty()).ok_or("an attribute has no id")?;
            if out.attributes.iter().any(|a| &*a.id == name) {
                return Err(format!("attribute {name} appears twice"));
            }
            out.attributes.push(Attribute { id: name.into(), value: value(c) });
        } else if c.is("children") {
            for i in c.children.iter().filter(|i| i.is("id")) {
                let child = i.value();
                if !child.is_empty() && !out.children.iter().any(|x| &**x == child) {
                    out.children.push(child.into());
                }
            }
        } else if c.is("extension") {
            // 1.2's extension point of a vocabulary element: nothing standard is defined there.
        } else {
            return Err(format!("<{}> is not part of a VocabularyElement", c.name));
        }
    }
    Ok(out)
}

/// An attribute's value: its text, or its child elements as an object named by expanded IRI.
fn value(e: &Element) -> ExtValue {
    if e.children.is_empty() {
        return ExtValue::String(e.value().into());
    }
    ExtValue::Object(
        e.children
            .iter()
            .map(|c| Extension {
                name: format!("{}{}", c.ns.as_deref().unwrap_or_default(), c.name).into(),
                value: value(c),
            })
            .collect(),
    )
}
