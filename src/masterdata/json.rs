//! The JSON form of master data (EPCIS 2.0 JSON schema): `vocabularyList`, an array of
//! `{"type", "vocabularyElementList": [{"id", "attributes": [{"id", "attribute"}], "children": [...]}]}`.

use serde_json::{Map, Value};

use super::{Attribute, Vocabulary, VocabularyElement};
use crate::event::{Decimal, ExtValue, Extension};
use crate::{Error, ErrorKind};

/// Deepest nesting of an attribute's structured value.
const MAX_DEPTH: usize = 32;

/// Longest identifier or attribute name (bytes).
const MAX_ID: usize = crate::event::MAX_URI;

fn bad(pointer: &str, msg: impl std::fmt::Display) -> Error {
    Error::msg(ErrorKind::Syntax, format!("{pointer}: {msg}"))
}

fn text<'v>(v: Option<&'v Value>, pointer: &str, what: &str) -> Result<&'v str, Error> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_ID => Ok(s.trim()),
        Some(Value::String(s)) if s.len() > MAX_ID => {
            Err(Error::msg(ErrorKind::Length, format!("{pointer}: {what} is longer than {MAX_ID} bytes")))
        }
        Some(_) => Err(bad(pointer, format!("{what} must be a non-empty string"))),
        None => Err(bad(pointer, format!("{what} is missing"))),
    }
}

/// A JSON value as an attribute value.
fn ext_value(v: &Value, pointer: &str, depth: usize) -> Result<ExtValue, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::msg(ErrorKind::Length, format!("{pointer}: nested deeper than {MAX_DEPTH} levels")));
    }
    Ok(match v {
        Value::Null => ExtValue::Null,
        Value::Bool(b) => ExtValue::Bool(*b),
        Value::Number(n) => ExtValue::Number(
            Decimal::parse(&n.to_string()).map_err(|e| bad(pointer, format!("not a decimal: {}", e.message())))?,
        ),
        Value::String(s) => ExtValue::String(s.as_str().into()),
        Value::Array(a) => ExtValue::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| ext_value(x, &format!("{pointer}/{i}"), depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => ExtValue::Object(
            o.iter()
                .map(|(k, x)| {
                    Ok(Extension {
                        name: k.as_str().into(),
                        value: ext_value(x, &format!("{pointer}/{k}"), depth + 1)?,
                    })
                })
                .collect::<Result<_, Error>>()?,
        ),
    })
}

/// An attribute value as JSON.
pub(super) fn ext_json(v: &ExtValue) -> Value {
    match v {
        ExtValue::Null => Value::Null,
        ExtValue::Bool(b) => Value::Bool(*b),
        ExtValue::Number(d) => {
            d.as_str().parse::<serde_json::Number>().map_or_else(|_| Value::String(d.as_str().into()), Value::Number)
        }
        ExtValue::String(s) => Value::String(s.to_string()),
        ExtValue::Array(a) => Value::Array(a.iter().map(ext_json).collect()),
        ExtValue::Object(o) => Value::Object(o.iter().map(|x| (x.name.to_string(), ext_json(&x.value))).collect()),
    }
}

fn element(v: &Value, pointer: &str) -> Result<VocabularyElement, Error> {
    let Value::Object(o) = v else { return Err(bad(pointer, "a vocabulary element is an object")) };
    let mut e = VocabularyElement::new(text(o.get("id"), &format!("{pointer}/id"), "id")?);
    if let Some(attrs) = o.get("attributes") {
        let Value::Array(list) = attrs else { return Err(bad(&format!("{pointer}/attributes"), "must be an array")) };
        for (i, a) in list.iter().enumerate() {
            let ap = format!("{pointer}/attributes/{i}");
            let Value::Object(ao) = a else { return Err(bad(&ap, "an attribute is an object")) };
            let id = text(ao.get("id"), &format!("{ap}/id"), "id")?;
            if e.attributes.iter().any(|x| &*x.id == id) {
                return Err(Error::msg(ErrorKind::Duplicate, format!("{ap}: attribute {id} appears twice")));
            }
            let value = ext_value(ao.get("attribute").unwrap_or(&Value::Null), &format!("{ap}/attribute"), 0)?;
            e.attributes.push(Attribute { id: id.into(), value });
        }
    }
    if let Some(children) = o.get("children") {
        let Value::Array(list) = children else { return Err(bad(&format!("{pointer}/children"), "must be an array")) };
        for (i, c) in list.iter().enumerate() {
            let c = text(Some(c), &format!("{pointer}/children/{i}"), "a child")?;
            if !e.children.iter().any(|x| &**x == c) {
                e.children.push(c.into());
            }
        }
    }
    Ok(e)
}

impl Vocabulary {
    /// Reads a JSON `vocabularyList`.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] naming the JSON pointer (from the list) of a member of the wrong shape;
    /// [`ErrorKind::Duplicate`] for an attribute named twice in one element; [`ErrorKind::Length`] for an
    /// identifier over [`MAX_URI`](crate::event::MAX_URI) bytes.
    ///
    /// ```
    /// use tracecode::masterdata::Vocabulary;
    /// let v = Vocabulary::from_json_list(&serde_json::json!([{
    ///     "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
    ///     "vocabularyElementList": [{"id": "urn:epc:id:sgln:0614141.00777.0",
    ///         "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": "Cold store"}],
    ///         "children": ["urn:epc:id:sgln:0614141.00777.1"]}]
    /// }]))?;
    /// assert_eq!(v[0].elements[0].children.len(), 1);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn from_json_list(v: &Value) -> Result<Vec<Self>, Error> {
        let Value::Array(list) = v else { return Err(bad("", "a vocabularyList is an array")) };
        let mut out = Vec::with_capacity(list.len());
        for (i, voc) in list.iter().enumerate() {
            let p = format!("/{i}");
            let Value::Object(o) = voc else { return Err(bad(&p, "a vocabulary is an object")) };
            let kind = text(o.get("type"), &format!("{p}/type"), "type")?;
            let mut elements = Vec::new();
            if let Some(els) = o.get("vocabularyElementList") {
                let Value::Array(els) = els else {
                    return Err(bad(&format!("{p}/vocabularyElementList"), "must be an array"));
                };
                for (j, e) in els.iter().enumerate() {
                    elements.push(element(e, &format!("{p}/vocabularyElementList/{j}"))?);
                }
            }
            out.push(Self { kind: kind.into(), elements });
        }
        Ok(out)
    }

    /// The JSON `vocabularyList` of `list` (what [`Self::from_json_list`] reads back).
    pub fn to_json_list(list: &[Self]) -> Value {
        Value::Array(
            list.iter()
                .map(|v| {
                    let els: Vec<Value> = v
                        .elements
                        .iter()
                        .map(|e| {
                            let mut m = Map::new();
                            m.insert("id".into(), Value::String(e.id.to_string()));
                            if !e.attributes.is_empty() {
                                let attrs = e
                                    .attributes
                                    .iter()
                                    .map(|a| serde_json::json!({"id": &*a.id, "attribute": ext_json(&a.value)}))
                                    .collect();
                                m.insert("attributes".into(), Value::Array(attrs));
                            }
                            if !e.children.is_empty() {
                                m.insert(
                                    "children".into(),
                                    e.children.iter().map(|c| Value::String(c.to_string())).collect(),
                                );
                            }
                            Value::Object(m)
                        })
                        .collect();
                    serde_json::json!({"type": &*v.kind, "vocabularyElementList": els})
                })
                .collect(),
        )
    }

    /// The master data of a JSON document: an `EPCISMasterDataDocument`'s `epcisBody.vocabularyList`, or an
    /// `EPCISDocument`'s (or `EPCISQueryDocument`'s) `epcisHeader.epcisMasterData.vocabularyList`; none when
    /// the document has neither.
    ///
    /// # Errors
    /// As [`Self::from_json_list`], pointers from the document root.
    pub fn from_json_document(doc: &Value) -> Result<Vec<Self>, Error> {
        let (list, at) = match doc.pointer("/epcisBody/vocabularyList") {
            Some(l) => (l, "/epcisBody/vocabularyList"),
            None => match doc.pointer("/epcisHeader/epcisMasterData/vocabularyList") {
                Some(l) => (l, "/epcisHeader/epcisMasterData/vocabularyList"),
                None => return Ok(Vec::new()),
            },
        };
        Self::from_json_list(list).map_err(|e| Error::msg(e.kind(), format!("{at}{}", e.message())))
    }
}
