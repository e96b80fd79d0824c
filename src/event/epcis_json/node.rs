//! The JSON value trees the converter reads: a caller's `serde_json::Value` or the importer's bounded [`Json`].
//! The traits are public in a private module: [`JsonTree`](super::JsonTree) is sealed by them.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::reader::Json;

/// A JSON value the converter reads: a `serde_json::Value` a caller built, or the importer's bounded [`Json`]
/// tree. One converter serves both, without copying one into the other.
pub trait Node: Sized + 'static {
    /// An object's members.
    type Obj: Obj<Self> + ?Sized;

    /// What the value is.
    fn view(&self) -> View<'_, Self>;
}

/// An object's members, in document order.
pub trait Obj<N: 'static> {
    /// The members, in order.
    fn members(&self) -> impl Iterator<Item = (&str, &N)>;

    /// The member named `key`.
    fn get(&self, key: &str) -> Option<&N>;
}

/// One level of a [`Node`].
pub enum View<'a, N: Node> {
    Null,
    Bool(bool),
    /// The number's text (exact).
    Number(Cow<'a, str>),
    String(&'a str),
    Array(&'a [N]),
    Object(&'a N::Obj),
}

impl Node for Value {
    type Obj = Map<String, Value>;

    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(Cow::Owned(n.to_string())),
            Value::String(s) => View::String(s),
            Value::Array(a) => View::Array(a),
            Value::Object(o) => View::Object(o),
        }
    }
}

impl Obj<Value> for Map<String, Value> {
    fn members(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }
}

impl Node for Json {
    type Obj = [(Box<str>, Json)];

    fn view(&self) -> View<'_, Self> {
        match self {
            Json::Null => View::Null,
            Json::Bool(b) => View::Bool(*b),
            Json::Number(n) => View::Number(Cow::Borrowed(n)),
            Json::String(s) => View::String(s),
            Json::Array(a) => View::Array(a),
            Json::Object(o) => View::Object(o.as_slice()),
        }
    }
}

impl Obj<Json> for [(Box<str>, Json)] {
    fn members(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.iter().map(|(k, v)| (&**k, v))
    }

    fn get(&self, key: &str) -> Option<&Json> {
        self.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }
}
