//! An embedding application in miniature: see `tests/serde_json_unchanged.rs`. Empty on purpose.
