//! [`Json`] as output: JSON text, serde, indexing and comparison with `serde_json::Value`.

use std::fmt::{self, Write as _};
use std::ops::Index;

use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::reader::Json;

/// What indexing yields for a missing member or element (as `serde_json::Value` does).
static NULL: Json = Json::Null;

impl Json {
    /// The member named `key` of an object; `None` for another value or a missing member.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(o) => o.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Compact JSON text: members in order, numbers exactly as held, strings escaped as serde_json escapes them.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => write_str(f, s),
            Json::Array(a) => {
                f.write_char('[')?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    fmt::Display::fmt(v, f)?;
                }
                f.write_char(']')
            }
            Json::Object(o) => {
                f.write_char('{')?;
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_str(f, k)?;
                    f.write_char(':')?;
                    fmt::Display::fmt(v, f)?;
                }
                f.write_char('}')
            }
        }
    }
}

/// A JSON string literal (RFC 8259 escapes; the same bytes serde_json writes).
fn write_str(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        f.write_str(s.get(start..i).unwrap_or_default())?;
        if esc.is_empty() {
            write!(f, "\\u{:04x}", u32::from(c))?;
        } else {
            f.write_str(esc)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(s.get(start..).unwrap_or_default())?;
    f.write_char('"')
}

/// Integers as integers; other numbers as their exact text through serde_json's `RawValue` (so serde_json's
/// writers keep `12.3450` and `1e400` as written without the `arbitrary_precision` feature). Converting to a
/// `serde_json::Value` parses such a number as an `f64` and fails for one beyond its range.
impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => {
                if let Some(u) = n.parse::<u64>().ok().filter(|u| u.to_string() == **n) {
                    s.serialize_u64(u)
                } else if let Some(i) = n.parse::<i64>().ok().filter(|i| i.to_string() == **n) {
                    s.serialize_i64(i)
                } else {
                    RawValue::from_string(n.to_string()).map_err(S::Error::custom)?.serialize(s)
                }
            }
            Json::String(x) => s.serialize_str(x),
            Json::Array(a) => s.collect_seq(a),
            Json::Object(o) => s.collect_map(o.iter().map(|(k, v)| (&**k, v))),
        }
    }
}

/// An array of the values.
impl FromIterator<Json> for Json {
    fn from_iter<I: IntoIterator<Item = Json>>(iter: I) -> Self {
        Json::Array(iter.into_iter().collect())
    }
}

impl Index<&str> for Json {
    type Output = Json;

    /// The member named `key`; `null` when there is none (as `serde_json::Value` indexes).
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl Index<usize> for Json {
    type Output = Json;

    /// The array element at `i`; `null` when there is none.
    fn index(&self, i: usize) -> &Json {
        match self {
            Json::Array(a) => a.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

impl PartialEq<str> for Json {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

/// The same JSON value: objects compared as sets of members (a `Value` may not keep member order), numbers by
/// their text or, failing that, as `f64`.
impl PartialEq<Value> for Json {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Json::Null, Value::Null) => true,
            (Json::Bool(a), Value::Bool(b)) => a == b,
            (Json::Number(a), Value::Number(b)) => {
                let t = b.to_string();
                **a == *t || a.parse::<f64>().ok().zip(b.as_f64()).is_some_and(|(x, y)| x == y)
            }
            (Json::String(a), Value::String(b)) => **a == **b,
            (Json::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y),
            (Json::Object(a), Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(&**k).is_some_and(|w| v == w))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(t: &str) -> Json {
        Json::Number(t.into())
    }

    #[test]
    fn text_keeps_order_and_numbers() {
        let j = Json::Object(vec![
            ("z".into(), num("12.3450")),
            ("a".into(), Json::Array(vec![num("1e400"), num("-0"), Json::Null, Json::Bool(true)])),
            ("m\"\u{1}\n".into(), Json::String("\\ é \u{1f}".into())),
        ]);
        let text = j.to_string();
        assert_eq!(text, r#"{"z":12.3450,"a":[1e400,-0,null,true],"m\"\u0001\n":"\\ é \u001f"}"#);
        // The same bytes through serde (RawValue), and the strings escaped as serde_json escapes them.
        assert_eq!(serde_json::to_string(&j).unwrap(), text);
        let s = Json::String("\"\\\u{8}\u{c}\t\r\u{0}x".into());
        assert_eq!(s.to_string(), serde_json::to_string(&Value::String(s.as_str().unwrap().into())).unwrap());
    }

    #[test]
    fn index_and_compare() {
        let j = Json::Object(vec![("a".into(), Json::Array(vec![Json::String("x".into()), num("2.50")]))]);
        assert_eq!(j["a"][0], "x");
        assert_eq!(j["a"][1], json!(2.5));
        assert_eq!(j["missing"][3], Value::Null);
        assert_eq!(j, json!({"a": ["x", 2.5]}));
        assert!(j.get("b").is_none());
        // Integers stay integers in a Value; other numbers parse as f64 there.
        assert_eq!(serde_json::to_value(&j).unwrap(), json!({"a": ["x", 2.5]}));
        assert_eq!(serde_json::to_value(num("18446744073709551615")).unwrap(), json!(u64::MAX));
    }
}
