//! Client profiles and caseload contexts, read against the schema.
//!
//! A profile is read once into slots, one per schema field: names are
//! looked up here and never during evaluation. Absent and `null` fields are
//! unknown. A value of the wrong type or out of range is an [`InputError`]
//! naming the field; fields the schema does not name are ignored.
//!
//! Numbers become exact decimals from their decimal text. serde_json prints
//! a number it parsed as `f64` in the shortest form that reads back the same
//! (`1835.4`), so every value with up to 15 significant digits is exact;
//! with serde_json's `arbitrary_precision` feature (the CLI turns it on) the
//! digits are kept as written, to the last one.

use crate::decimal;
use crate::ir::{FieldType, RuleSet};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// Bad profile or context data, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// The field: `age`, `needs`, `caseloads.intensive_case_management.cm-ana`;
    /// empty when the whole document is wrong (not an object).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A set of indexes, as bits: the first 64 inline, so that the sets of a
/// typical rule set (enumerations, the texts its rules mention, a profile's
/// missing fields) never allocate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Bits {
    low: u64,
    /// Bits 64 and up; no trailing zero words, so equal sets are equal.
    high: Vec<u64>,
}

impl Bits {
    pub(crate) fn insert(&mut self, i: usize) {
        if i < 64 {
            self.low |= 1 << i;
            return;
        }
        let (w, b) = (i / 64 - 1, i % 64);
        if self.high.len() <= w {
            self.high.resize(w + 1, 0);
        }
        if let Some(word) = self.high.get_mut(w) {
            *word |= 1 << b;
        }
    }

    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        if i < 64 {
            return self.low & (1 << i) != 0;
        }
        self.high
            .get(i / 64 - 1)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Some index is in both.
    pub(crate) fn intersects(&self, other: &Bits) -> bool {
        self.low & other.low != 0 || self.high.iter().zip(&other.high).any(|(a, b)| a & b != 0)
    }

    /// Every index of `other` is in `self`.
    pub(crate) fn contains_all(&self, other: &Bits) -> bool {
        other.low & !self.low == 0
            && other
                .high
                .iter()
                .enumerate()
                .all(|(i, b)| b & !self.high.get(i).copied().unwrap_or(0) == 0)
    }

    pub(crate) fn union(&mut self, other: &Bits) {
        self.low |= other.low;
        if self.high.len() < other.high.len() {
            self.high.resize(other.high.len(), 0);
        }
        for (a, b) in self.high.iter_mut().zip(&other.high) {
            *a |= b;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.low)
            .chain(self.high.iter().copied())
            .enumerate()
            .flat_map(|(w, word)| {
                (0..64)
                    .filter(move |b| word & (1 << b) != 0)
                    .map(move |b| w * 64 + b)
            })
    }
}

/// A known value of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Bool(bool),
    Num(Decimal),
    /// A string: its symbol if the rules mention it, and the string.
    Text(Option<usize>, Box<str>),
    /// An enumeration value's index.
    Enum(usize),
    /// A set: the members as bits (over enumeration values, or over the
    /// rules' text symbols), how many distinct members it has, and them.
    Set(Bits, usize, Vec<String>),
    /// A program, or none.
    Program(Option<usize>),
}

/// A client profile read against a rule set's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub(crate) slots: Vec<Option<Val>>,
    /// The client's id (the `id` field), when the schema has one.
    pub client: Option<String>,
}

/// A short, safe rendering of a JSON value for messages.
fn shown(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(37).collect();
        t.push('…');
        t
    } else {
        s
    }
}

fn number(v: &Value) -> Option<Option<Decimal>> {
    match v {
        Value::Number(n) => Some(match n.as_i64() {
            Some(i) => Some(Decimal::from(i)),
            // The number's shortest decimal text, written on the stack.
            None => {
                let mut buf = StackText::default();
                use std::fmt::Write as _;
                match write!(buf, "{n}") {
                    Ok(()) => decimal::parse_number(buf.as_str()),
                    Err(_) => decimal::parse_number(&n.to_string()),
                }
            }
        }),
        _ => None,
    }
}

/// A short text on the stack; writing more than it holds is an error, and
/// the caller falls back to the heap.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> StackText {
        StackText {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Profile {
    /// Reads a profile (a JSON object) against the schema of `rules`.
    pub(crate) fn read(rules: &RuleSet, value: &Value) -> Result<Profile, InputError> {
        let Value::Object(map) = value else {
            return Err(InputError::new(
                "",
                format!("a profile is an object, found {}", shown(value)),
            ));
        };
        let mut slots = Vec::with_capacity(rules.fields.len());
        for (slot, field) in rules.fields.iter().enumerate() {
            let v = match map.get(&field.name) {
                None | Some(Value::Null) => {
                    if field.required {
                        return Err(InputError::new(&field.name, "is required but missing"));
                    }
                    None
                }
                Some(v) => Some(read_value(rules, slot, v)?),
            };
            slots.push(v);
        }
        let client = rules.id_field.and_then(|i| match slots.get(i) {
            Some(Some(Val::Text(_, s))) => Some(s.to_string()),
            _ => None,
        });
        Ok(Profile { slots, client })
    }
}

fn read_value(rules: &RuleSet, slot: usize, v: &Value) -> Result<Val, InputError> {
    let Some(field) = rules.fields.get(slot) else {
        return Err(InputError::new("", "the schema has no such field"));
    };
    let name = &field.name;
    let wrong = || {
        InputError::new(
            name,
            format!("expected {}, found {}", describe(field), shown(v)),
        )
    };
    let val = match &field.ty {
        FieldType::Boolean => Val::Bool(v.as_bool().ok_or_else(wrong)?),
        FieldType::Integer | FieldType::Decimal => {
            let d = match number(v) {
                None => return Err(wrong()),
                Some(None) => {
                    return Err(InputError::new(
                        name,
                        format!("{} is out of range for an exact decimal", shown(v)),
                    ));
                }
                Some(Some(d)) => d,
            };
            if field.ty == FieldType::Integer && !d.fract().is_zero() {
                return Err(wrong());
            }
            if field.min.is_some_and(|m| d < m) || field.max.is_some_and(|m| d > m) {
                return Err(InputError::new(
                    name,
                    format!("{} is out of range: expected {}", shown(v), describe(field)),
                ));
            }
            Val::Num(d.normalize())
        }
        FieldType::Text => {
            let s = v.as_str().ok_or_else(wrong)?;
            Val::Text(rules.symbols.get_index_of(s), s.into())
        }
        FieldType::Enum(values) => {
            let s = v.as_str().ok_or_else(wrong)?;
            match values.iter().position(|x| x == s) {
                Some(i) => Val::Enum(i),
                None => return Err(not_a_value(name, s, values)),
            }
        }
        FieldType::SetOfText | FieldType::SetOfEnum(_) => {
            let items = v.as_array().ok_or_else(wrong)?;
            let mut bits = Bits::default();
            let mut members: Vec<String> = Vec::new();
            // Members seen, so that a long list is read in linear time.
            let mut seen = std::collections::HashSet::new();
            for (i, item) in items.iter().enumerate() {
                let Some(s) = item.as_str() else {
                    return Err(InputError::new(
                        name,
                        format!("item {} is {}, expected a string", i + 1, shown(item)),
                    ));
                };
                let ix = match &field.ty {
                    FieldType::SetOfEnum(values) => match values.iter().position(|x| x == s) {
                        Some(ix) => Some(ix),
                        None => return Err(not_a_value(name, s, values)),
                    },
                    _ => rules.symbols.get_index_of(s),
                };
                if let Some(ix) = ix {
                    bits.insert(ix);
                }
                if seen.insert(s) {
                    members.push(s.to_string());
                }
            }
            Val::Set(bits, members.len(), members)
        }
    };
    Ok(val)
}

fn not_a_value(name: &str, s: &str, values: &[String]) -> InputError {
    let hint = match crate::diagnostic::did_you_mean(s, values.iter().map(String::as_str)) {
        Some(m) => format!(" (did you mean \"{m}\"?)"),
        None => String::new(),
    };
    InputError::new(
        name,
        format!("\"{s}\" is not one of {}{hint}", values.join(", ")),
    )
}

fn describe(field: &crate::ir::Field) -> String {
    let base = field.ty.describe();
    match (field.min, field.max) {
        (Some(lo), Some(hi)) => {
            format!("{base} from {} to {}", decimal::show(lo), decimal::show(hi))
        }
        (Some(lo), None) => format!("{base} of at least {}", decimal::show(lo)),
        (None, Some(hi)) => format!("{base} of at most {}", decimal::show(hi)),
        (None, None) => base,
    }
}

/// The current caseloads: for each program, each case manager's number of
/// active clients.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caseloads {
    /// Indexed by program; `None` where the context says nothing.
    pub(crate) programs: Vec<Option<Vec<(String, u64)>>>,
}

impl Caseloads {
    /// Reads `{"caseloads": {"program": {"case manager": count}}}`.
    pub(crate) fn read(rules: &RuleSet, value: &Value) -> Result<Caseloads, InputError> {
        let Value::Object(top) = value else {
            return Err(InputError::new(
                "",
                format!("a context is an object, found {}", shown(value)),
            ));
        };
        let mut out = Caseloads {
            programs: vec![None; rules.programs.len()],
        };
        // Program ids to indexes, so that a context naming every program of
        // a large rule set is read in linear time.
        let index: std::collections::HashMap<&str, usize> = rules
            .programs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.meta.id.as_str(), i))
            .collect();
        for (key, v) in top {
            if key != "caseloads" {
                return Err(InputError::new(
                    key,
                    "is not part of a caseload context (expected `caseloads`)",
                ));
            }
            let Value::Object(programs) = v else {
                return Err(InputError::new(
                    "caseloads",
                    format!("expected an object of programs, found {}", shown(v)),
                ));
            };
            for (pid, cms) in programs {
                let field = format!("caseloads.{pid}");
                let Some(&ix) = index.get(pid.as_str()) else {
                    let ids: Vec<&str> =
                        rules.programs.iter().map(|p| p.meta.id.as_str()).collect();
                    let hint = crate::diagnostic::did_you_mean(pid, ids.iter().copied())
                        .map(|m| format!(" (did you mean `{m}`?)"))
                        .unwrap_or_default();
                    return Err(InputError::new(
                        field,
                        format!("`{pid}` is not a program of this rule set{hint}"),
                    ));
                };
                let Value::Object(cms) = cms else {
                    return Err(InputError::new(
                        field,
                        format!(
                            "expected an object of case managers and their client counts, found {}",
                            shown(cms)
                        ),
                    ));
                };
                let mut list = Vec::with_capacity(cms.len());
                for (cm, n) in cms {
                    let count = n.as_u64().or_else(|| {
                        number(n)
                            .flatten()
                            .and_then(decimal::to_i64)
                            .and_then(|i| u64::try_from(i).ok())
                    });
                    let Some(count) = count else {
                        return Err(InputError::new(
                            format!("{field}.{cm}"),
                            format!(
                                "expected a whole number of clients (0 or more), found {}",
                                shown(n)
                            ),
                        ));
                    };
                    list.push((cm.clone(), count));
                }
                if let Some(slot) = out.programs.get_mut(ix) {
                    *slot = Some(list);
                }
            }
        }
        Ok(out)
    }
}

/// Reads a profile straight from JSON text, without building a
/// `serde_json::Value` for the whole object: keys are matched to slots as
/// they stream past, fields the schema does not name are skipped unparsed,
/// and each known field's value goes through the same checks as
/// [`Profile::read`], so both paths accept and reject the same profiles
/// with the same messages.
pub(crate) fn read_slice(
    rules: &RuleSet,
    index: &FieldIndex,
    bytes: &[u8],
) -> Result<Profile, InputError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = ProfileSeed { rules, index };
    serde::de::DeserializeSeed::deserialize(seed, &mut de)
        .and_then(|r| de.end().map(|()| r))
        .map_err(|e| InputError::new("", format!("invalid JSON: {e}")))?
}

/// Field names to slots, for matching keys without a `Value`.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldIndex {
    names: std::collections::HashMap<Box<str>, usize>,
}

impl FieldIndex {
    pub(crate) fn new(rules: &RuleSet) -> FieldIndex {
        FieldIndex {
            names: rules
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.as_str().into(), i))
                .collect(),
        }
    }
}

struct ProfileSeed<'r> {
    rules: &'r RuleSet,
    index: &'r FieldIndex,
}

impl<'de> serde::de::DeserializeSeed<'de> for ProfileSeed<'_> {
    type Value = Result<Profile, InputError>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A key, resolved to its slot without allocating (escaped keys aside).
struct KeySeed<'r>(&'r FieldIndex);

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.names.get(key).copied())
    }
}

impl<'de> serde::de::Visitor<'de> for ProfileSeed<'_> {
    type Value = Result<Profile, InputError>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a profile object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let rules = self.rules;
        // Each slot's outcome; a key given twice keeps its last value, and
        // errors are reported in schema order, as `Profile::read` does.
        let mut read: Vec<Option<Result<Val, InputError>>> = vec![None; rules.fields.len()];
        while let Some(slot) = map.next_key_seed(KeySeed(self.index))? {
            let Some(slot) = slot else {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            };
            let value: Value = map.next_value()?;
            let outcome = if value.is_null() {
                None
            } else {
                Some(read_value(rules, slot, &value))
            };
            if let Some(s) = read.get_mut(slot) {
                *s = outcome;
            }
        }
        let mut slots = Vec::with_capacity(read.len());
        for (field, outcome) in rules.fields.iter().zip(read) {
            match outcome {
                None if field.required => {
                    return Ok(Err(InputError::new(&field.name, "is required but missing")));
                }
                None => slots.push(None),
                Some(Ok(v)) => slots.push(Some(v)),
                Some(Err(e)) => return Ok(Err(e)),
            }
        }
        Ok(finish(rules, slots))
    }

    // Anything but an object: report it as `Profile::read` does.
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(not_an_object(&Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(not_an_object(&Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(not_an_object(&Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(not_an_object(&Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(not_an_object(&Value::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(not_an_object(&Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(not_an_object(&Value::Array(Vec::new())))
    }
}

fn not_an_object(v: &Value) -> Result<Profile, InputError> {
    Err(InputError::new(
        "",
        format!("a profile is an object, found {}", shown(v)),
    ))
}

/// The client id, once every slot is read.
fn finish(rules: &RuleSet, slots: Vec<Option<Val>>) -> Result<Profile, InputError> {
    let client = rules.id_field.and_then(|i| match slots.get(i) {
        Some(Some(Val::Text(_, s))) => Some(s.to_string()),
        _ => None,
    });
    Ok(Profile { slots, client })
}
