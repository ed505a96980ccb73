//! JSON text to a `serde_json::Value`, refusing a key given twice.
//!
//! A `Value` cannot hold a duplicate key: serde_json keeps the last one,
//! silently. A profile saying `"age": 30` and then `"age": 80` is not a
//! profile anyone meant, so it is refused where the text is read.

use super::InputError;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// The byte order mark some editors put at the start of a file.
pub(crate) const BOM: &str = "\u{FEFF}";

/// Parses JSON text into a `Value`, refusing a key that appears twice in
/// an object at any depth, and naming it with its path. A leading byte
/// order mark is skipped.
///
/// ```
/// let v = careplan::read_json(r#"{"id": "a", "age": 30}"#).unwrap();
/// assert_eq!(v["age"], 30);
/// let e = careplan::read_json(r#"{"id": "a", "age": 30, "age": 80}"#).unwrap_err();
/// assert_eq!(e.field, "age");
/// assert_eq!(e.message, "appears twice");
/// ```
pub fn read_json(text: &str) -> Result<Value, InputError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Node {
        path: String::new(),
        duplicate: &duplicate,
    };
    match seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        Ok(v) => Ok(v),
        Err(e) => Err(duplicate
            .into_inner()
            .unwrap_or_else(|| InputError::new("", format!("invalid JSON: {e}")))),
    }
}

/// The key serde_json's `arbitrary_precision` wraps a number's digits in.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// One value at `path`; the first duplicate found is left in `duplicate`.
struct Node<'a> {
    path: String,
    duplicate: &'a RefCell<Option<InputError>>,
}

impl Node<'_> {
    fn child(&self, step: &str) -> String {
        if self.path.is_empty() {
            step.to_string()
        } else if step.starts_with('[') {
            format!("{}{step}", self.path)
        } else {
            format!("{}.{step}", self.path)
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let node = Node {
                path: self.child(&format!("[{}]", out.len())),
                duplicate: self.duplicate,
            };
            match seq.next_element_seed(node)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == NUMBER_TOKEN && out.is_empty() {
                // `arbitrary_precision`: a number, its digits as a string.
                let digits: String = map.next_value()?;
                return serde_json::from_str(&digits).map_err(de::Error::custom);
            }
            let node = Node {
                path: self.child(&key),
                duplicate: self.duplicate,
            };
            if out.contains_key(&key) {
                let field = node.path;
                *self.duplicate.borrow_mut() = Some(InputError::new(field, "appears twice"));
                return Err(de::Error::custom("a key appears twice"));
            }
            let v = map.next_value_seed(node)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a":1,"b":[1,2.5,-3,{"c":null}],"d":"x\"y","e":true}"#,
            "[]",
            "3",
            "1e400",
            r#""s""#,
            "79228162514264337593543950335.5",
        ] {
            let ours = read_json(text);
            let theirs = serde_json::from_str::<Value>(text);
            assert_eq!(ours.ok(), theirs.ok(), "{text}");
        }
    }

    #[test]
    fn a_duplicate_is_named_by_its_path() {
        let e = read_json(r#"{"caseloads":{"icm":{"cm-ana":3,"cm-ana":4}}}"#).unwrap_err();
        assert_eq!(e.field, "caseloads.icm.cm-ana");
        let e = read_json(r#"{"x":[1,{"k":1,"k":null}]}"#).unwrap_err();
        assert_eq!(e.field, "x[1].k");
        assert!(read_json(r#"{"k":1,"x":{"k":1}}"#).is_ok());
    }

    #[test]
    fn invalid_text_is_invalid_json() {
        for text in ["", "{", "{} {}", "[1,]"] {
            let e = read_json(text).unwrap_err();
            assert!(e.message.starts_with("invalid JSON: "), "{text}: {e}");
            assert_eq!(e.field, "");
        }
    }
}
