//! Small builders of event fields, shared by the production runs and the genealogy.

use crate::event::{BizStep, Decimal, ExtValue, Extension, Id, Quantity, SourceDest, SourceDestType};

pub(super) fn qty(class: &Id, amount: Option<u64>, uom: Option<&str>) -> Quantity {
    Quantity {
        class: class.clone(),
        quantity: amount.and_then(|a| Decimal::parse(&a.to_string()).ok()),
        uom: uom.map(Into::into),
    }
}

pub(super) fn ext(name: &str, value: &str) -> Extension {
    Extension { name: name.into(), value: ExtValue::String(value.into()) }
}

pub(super) fn sd(kind: SourceDestType, id: &Id) -> SourceDest {
    SourceDest { kind, id: id.clone() }
}

pub(super) fn other_step(uri: &str) -> BizStep {
    BizStep::Other(uri.into())
}

pub(super) const KGM: Option<&str> = Some("KGM");
