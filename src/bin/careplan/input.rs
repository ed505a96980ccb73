//! Reading profiles and contexts from files: JSON, YAML, TOML, JSON Lines.
//!
//! Every reader gives the same `serde_json::Value` the library reads, with
//! the same guarantees as `careplan::read_json`: a key given twice in a
//! mapping is refused (named by its path), and a number keeps the digits it
//! was written with (serde_json's `arbitrary_precision`), or is refused
//! (`.nan`, `.inf`, TOML's `nan` and `inf`): never rounded through `f64`.
//!
//! YAML: serde_yaml_ng resolves a plain scalar such as `1835.40000000001`
//! to an `f64` and keeps no text. So a YAML document is read twice: first
//! into a tree that marks where the numbers are (and refuses duplicate
//! keys); then again, guided by that tree, asking for each number's scalar
//! as a string (`deserialize_str`, which gives a plain scalar's text as
//! written). TOML: the parser's own tree (`toml::de::DeTable`) keeps each
//! integer's and float's text.

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;
use std::path::Path;

/// The data formats a profile or context may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Toml,
    JsonLines,
}

impl Format {
    /// The format a path's extension names; JSON when it names none.
    pub fn of(path: &str) -> Format {
        let ext = Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Format::Yaml,
            "toml" => Format::Toml,
            "jsonl" | "ndjson" => Format::JsonLines,
            _ => Format::Json,
        }
    }
}

/// A file that could not be read as text.
#[derive(Debug)]
pub enum Unread {
    /// It could not be read at all (missing, a directory, no permission):
    /// the command's usage error, exit code 2.
    Io(String),
    /// It was read but is not UTF-8: bad input, exit code 1.
    NotText(String),
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unread::Io(m) | Unread::NotText(m) => f.write_str(m),
        }
    }
}

impl Unread {
    /// The error that ends the command: exit 2 for a file that cannot be
    /// read, 1 for one that is not text.
    pub fn fail(self) -> crate::Fail {
        match self {
            Unread::Io(m) => crate::Fail::usage(format!("error: {m}")),
            Unread::NotText(m) => crate::Fail::input(format!("error: {m}")),
        }
    }
}

/// Reads a whole file (or standard input for `-`) as UTF-8 text.
pub fn read_text(path: &str) -> Result<String, Unread> {
    let shown = if path == "-" {
        "standard input".to_string()
    } else {
        format!("`{path}`")
    };
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Unread::Io(format!("cannot read standard input: {e}")))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| Unread::Io(format!("cannot read `{path}`: {e}")))?
    };
    String::from_utf8(bytes).map_err(|e| {
        Unread::NotText(format!(
            "{shown} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A document that was read but is not good data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// Not valid JSON, YAML or TOML: the message names the file.
    Syntax(String),
    /// A key given twice, or a number that cannot be kept exactly: the
    /// field by its path (`caseloads.icm.cm-ana`, `cases[0].profile.age`).
    Field { field: String, message: String },
}

impl Bad {
    fn field(field: impl Into<String>, message: impl Into<String>) -> Bad {
        Bad::Field {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message, saying what the document was (`profile`, `context`)
    /// when a field is named: `in profile `p.yaml`: field `age`: appears
    /// twice`.
    pub fn shown(&self, what: &str, name: &str) -> String {
        match self {
            Bad::Syntax(m) => m.clone(),
            Bad::Field { field, message } => {
                format!("in {what} `{name}`: field `{field}`: {message}")
            }
        }
    }
}

/// Parses one document in a format into a JSON value.
pub fn parse(text: &str, format: Format, name: &str) -> Result<Value, Bad> {
    match format {
        Format::Json | Format::JsonLines => read_json(text, name),
        Format::Yaml => read_yaml(text, name),
        Format::Toml => read_toml(text, name),
    }
}

/// JSON through `careplan::read_json`: duplicate keys refused, a BOM skipped.
pub fn read_json(text: &str, name: &str) -> Result<Value, Bad> {
    careplan::read_json(text).map_err(|e| {
        if e.field.is_empty() {
            let m = e
                .message
                .strip_prefix("invalid JSON: ")
                .unwrap_or(&e.message);
            Bad::Syntax(format!("`{name}` is not valid JSON: {m}"))
        } else {
            Bad::field(e.field, e.message)
        }
    })
}

/// The path of a child: `a.b`, `a[3]`.
fn child(path: &str, step: &str) -> String {
    if path.is_empty() {
        step.to_string()
    } else if step.starts_with('[') {
        format!("{path}{step}")
    } else {
        format!("{path}.{step}")
    }
}

/// What is wrong with a number that cannot be kept exactly.
fn not_finite(text: &str) -> String {
    format!("`{text}` is not a finite number")
}

/// YAML, keeping each number's digits (see the module documentation).
pub fn read_yaml(text: &str, name: &str) -> Result<Value, Bad> {
    let syntax = |e: serde_yaml_ng::Error| Bad::Syntax(format!("`{name}` is not valid YAML: {e}"));
    let bad = RefCell::new(None);
    let shape = Shaper {
        path: String::new(),
        bad: &bad,
    }
    .deserialize(serde_yaml_ng::Deserializer::from_str(text));
    let shape = match shape {
        Ok(s) => s,
        Err(e) => return Err(bad.into_inner().unwrap_or_else(|| syntax(e))),
    };
    let value = Guide {
        shape,
        path: String::new(),
        bad: &bad,
    }
    .deserialize(serde_yaml_ng::Deserializer::from_str(text));
    value.map_err(|e| bad.into_inner().unwrap_or_else(|| syntax(e)))
}

/// A YAML document's first reading: its values, with the numbers only
/// marked.
enum Shape {
    Leaf(Value),
    Number,
    Seq(Vec<Shape>),
    Map(Vec<(String, Shape)>),
}

/// Reads the shape of the value at `path`; a key given twice is left in
/// `bad`.
struct Shaper<'a> {
    path: String,
    bad: &'a RefCell<Option<Bad>>,
}

impl<'de> DeserializeSeed<'de> for Shaper<'_> {
    type Value = Shape;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shaper<'_> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Shape, E> {
        Ok(Shape::Leaf(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
        Ok(Shape::Leaf(Value::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Shape, E> {
        Ok(Shape::Leaf(Value::String(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Leaf(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Leaf(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut out = Vec::new();
        loop {
            let next = Shaper {
                path: child(&self.path, &format!("[{}]", out.len())),
                bad: self.bad,
            };
            match seq.next_element_seed(next)? {
                Some(s) => out.push(s),
                None => return Ok(Shape::Seq(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut out: Vec<(String, Shape)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = child(&self.path, &key);
            if !seen.insert(key.clone()) {
                *self.bad.borrow_mut() = Some(Bad::field(path, "appears twice"));
                return Err(de::Error::custom("a key appears twice"));
            }
            let s = map.next_value_seed(Shaper {
                path,
                bad: self.bad,
            })?;
            out.push((key, s));
        }
        Ok(Shape::Map(out))
    }
}

/// The second reading of the value at `path`, guided by its shape: each
/// number is asked for as its text.
struct Guide<'a> {
    shape: Shape,
    path: String,
    bad: &'a RefCell<Option<Bad>>,
}

impl<'de> DeserializeSeed<'de> for Guide<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.shape {
            Shape::Leaf(v) => IgnoredAny::deserialize(d).map(|_| v),
            Shape::Number => d.deserialize_str(NumberText {
                path: self.path,
                bad: self.bad,
            }),
            Shape::Seq(items) => d.deserialize_seq(SeqGuide {
                items,
                path: self.path,
                bad: self.bad,
            }),
            Shape::Map(entries) => d.deserialize_map(MapGuide {
                entries,
                path: self.path,
                bad: self.bad,
            }),
        }
    }
}

/// A sentence for a document that changed between the two readings, which
/// cannot happen: the text is the same.
const SHIFTED: &str = "the document read differently the second time";

struct SeqGuide<'a> {
    items: Vec<Shape>,
    path: String,
    bad: &'a RefCell<Option<Bad>>,
}

impl<'de> Visitor<'de> for SeqGuide<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(self.items.len());
        for shape in self.items {
            let guide = Guide {
                shape,
                path: child(&self.path, &format!("[{}]", out.len())),
                bad: self.bad,
            };
            match seq.next_element_seed(guide)? {
                Some(v) => out.push(v),
                None => return Err(de::Error::custom(SHIFTED)),
            }
        }
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(SHIFTED));
        }
        Ok(Value::Array(out))
    }
}

struct MapGuide<'a> {
    entries: Vec<(String, Shape)>,
    path: String,
    bad: &'a RefCell<Option<Bad>>,
}

impl<'de> Visitor<'de> for MapGuide<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        for (key, shape) in self.entries {
            if map.next_key::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom(SHIFTED));
            }
            let guide = Guide {
                shape,
                path: child(&self.path, &key),
                bad: self.bad,
            };
            let v = map.next_value_seed(guide)?;
            out.insert(key, v);
        }
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(SHIFTED));
        }
        Ok(Value::Object(out))
    }
}

/// A YAML number's scalar text, made a JSON number keeping its digits.
struct NumberText<'a> {
    path: String,
    bad: &'a RefCell<Option<Bad>>,
}

impl<'de> Visitor<'de> for NumberText<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        match exact_number(&yaml_number_text(v), v) {
            Ok(n) => Ok(n),
            Err(message) => {
                *self.bad.borrow_mut() = Some(Bad::field(self.path, message));
                Err(E::custom("a number cannot be kept exactly"))
            }
        }
    }
}

/// The JSON text of a YAML number as serde_yaml_ng reads one (YAML 1.2's
/// core schema, as Rust reads floats): `+` dropped, `0x`, `0o` and `0b`
/// integers in decimal, `.5` as `0.5`, `1.` as `1`, leading zeros dropped.
/// Anything else (`.inf`, `.nan`) is returned as it is, for
/// [`exact_number`] to refuse.
fn yaml_number_text(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = rest.strip_prefix(prefix) {
            return match u128::from_str_radix(digits, radix) {
                Ok(n) => format!("{sign}{n}"),
                Err(_) => text.to_string(),
            };
        }
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return text.to_string();
    }
    let int = int.trim_start_matches('0');
    let mut out = format!("{sign}{}", if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if let Some(e) = exponent {
        let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e_digits.is_empty() || !digits(e_digits) {
            return text.to_string();
        }
        out.push('e');
        out.push_str(e);
    }
    out
}

/// `json` (the number's text made JSON) as a JSON number with every digit
/// kept (serde_json's `arbitrary_precision`); or why `written` (the text
/// as the file has it) is refused.
fn exact_number(json: &str, written: &str) -> Result<Value, String> {
    let lower = written.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return Err(not_finite(written));
    }
    match serde_json::from_str::<serde_json::Number>(json) {
        Ok(n) => Ok(Value::Number(n)),
        Err(_) => Err(format!("`{written}` is not a decimal number")),
    }
}

/// TOML, keeping each number's digits: the parser's tree holds each
/// integer's and float's text.
pub fn read_toml(text: &str, name: &str) -> Result<Value, Bad> {
    let doc = toml::de::DeTable::parse(text)
        .map_err(|e| Bad::Syntax(format!("`{name}` is not valid TOML: {e}")))?;
    toml_table(doc.into_inner(), "")
}

fn toml_table(table: toml::de::DeTable<'_>, path: &str) -> Result<Value, Bad> {
    let mut out = serde_json::Map::new();
    for (key, v) in table {
        let key = key.into_inner().into_owned();
        let v = toml_value(v.into_inner(), &child(path, &key))?;
        out.insert(key, v);
    }
    Ok(Value::Object(out))
}

fn toml_value(v: toml::de::DeValue<'_>, path: &str) -> Result<Value, Bad> {
    use toml::de::DeValue;
    let number = |json: &str, written: &str| {
        exact_number(json, written).map_err(|message| Bad::field(path, message))
    };
    Ok(match v {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Integer(i) => {
            let written = i.to_string();
            let json = if i.radix() == 10 {
                i.as_str()
                    .strip_prefix('+')
                    .unwrap_or(i.as_str())
                    .to_string()
            } else {
                u128::from_str_radix(i.as_str(), i.radix())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| written.clone())
            };
            number(&json, &written)?
        }
        DeValue::Float(f) => {
            let written = f.as_str();
            number(written.strip_prefix('+').unwrap_or(written), written)?
        }
        DeValue::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| toml_value(v.into_inner(), &child(path, &format!("[{i}]"))))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => toml_table(t, path)?,
    })
}

/// The files under `paths`: files as named, directories searched
/// recursively for the given extensions, in name order.
pub fn files_under(
    paths: &[String],
    extensions: &[&str],
) -> Result<Vec<std::path::PathBuf>, String> {
    fn walk(
        dir: &Path,
        extensions: &[&str],
        out: &mut Vec<std::path::PathBuf>,
    ) -> std::io::Result<()> {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, extensions, out)?;
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            walk(path, extensions, &mut out).map_err(|e| format!("cannot read `{p}`: {e}"))?;
        } else if path.is_file() {
            out.push(path.to_path_buf());
        } else {
            return Err(format!("`{p}` is not a file or directory"));
        }
    }
    Ok(out)
}
