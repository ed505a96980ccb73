//! Client profiles and caseload contexts, read against the schema.
//!
//! A profile is read once into slots, one per schema field: names are
//! looked up here and never during evaluation. Absent and `null` fields are
//! unknown, or take the field's schema default. A value of the wrong type
//! or out of range is an [`InputError`] naming the field; fields the schema
//! does not name are ignored.
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

mod bytes;
mod caseloads;
mod json;

use bytes::finish;
pub(crate) use bytes::read_slice;
pub use caseloads::Caseloads;
pub use json::read_json;

/// Bad profile or context data, naming the field.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let err = engine.profile(&serde_json::json!({"id": "c-1", "housing": "castle"})).unwrap_err();
/// assert_eq!(err.field, "housing");
/// assert!(err.to_string().starts_with("field `housing`: "));
/// let err = engine.profile(&serde_json::json!([1, 2])).unwrap_err();
/// assert_eq!(err.field, "");
/// ```
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

/// A client profile read against a rule set's schema, by
/// [`Engine::profile`](crate::Engine::profile) or
/// [`Engine::profile_from_slice`](crate::Engine::profile_from_slice); read
/// once, it can be evaluated any number of times.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let profile = engine.profile(&serde_json::json!({"id": "c-9", "unknown_key": 1})).unwrap();
/// assert_eq!(profile.client.as_deref(), Some("c-9"));
/// assert!(engine.profile(&serde_json::json!({"age": 30})).is_err()); // `id` is required
/// ```
///
/// The evaluation date, `as_of`, is today in UTC when the profile is read;
/// set it to evaluate the profile as of another day:
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let mut profile = engine.profile(&serde_json::json!({"id": "c-9"})).unwrap();
/// profile.as_of = careplan::date::parse("2026-03-01").unwrap();
/// let report = engine.evaluate(&profile, None).unwrap();
/// assert_eq!(careplan::date::show(report.as_of), "2026-03-01");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub(crate) slots: Vec<Option<Val>>,
    /// The slots that hold their schema default (the profile left them
    /// out): known to the rules, but not given.
    pub(crate) defaulted: Bits,
    /// The client's id (the `id` field), when the schema has one.
    pub client: Option<String>,
    /// The evaluation date: what `today` means, where durations `since` a
    /// date end, and which dated values are in force. Reading a profile
    /// sets it to today in UTC; callers set it to evaluate as of another
    /// day.
    pub as_of: crate::date::Date,
}

/// A short, safe rendering of a JSON value for messages.
pub(super) fn shown(v: &Value) -> String {
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

pub(super) fn number(v: &Value) -> Option<Option<Decimal>> {
    match v {
        Value::Number(n) => Some(number_of(n)),
        _ => None,
    }
}

/// A JSON number as an exact decimal, if it can be one.
fn number_of(n: &serde_json::Number) -> Option<Decimal> {
    match n.as_i64() {
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
    /// Reads a profile (a JSON object) against the schema of `rules`. The
    /// object's keys are matched to slots, so the cost follows the keys
    /// given, not the size of the schema; the error reported is the first
    /// in schema order, whatever the order of the keys.
    pub(crate) fn read(
        rules: &RuleSet,
        lookup: &Lookup,
        value: &Value,
    ) -> Result<Profile, InputError> {
        let Value::Object(map) = value else {
            return Err(InputError::new(
                "",
                format!("a profile is an object, found {}", shown(value)),
            ));
        };
        let mut slots: Vec<Option<Val>> = empty_slots(rules.fields.len());
        let mut error: Option<(usize, InputError)> = None;
        for (key, v) in map {
            let Some(slot) = lookup.field(key) else {
                continue;
            };
            if v.is_null() || error.as_ref().is_some_and(|(first, _)| *first < slot) {
                continue;
            }
            match read_value(rules, lookup, slot, v) {
                Ok(val) => {
                    if let Some(s) = slots.get_mut(slot) {
                        *s = Some(val);
                    }
                }
                Err(e) => error = Some((slot, e)),
            }
        }
        finish(rules, lookup, slots, error)
    }
}

/// A whole decimal as an integer.
fn whole(mut d: Decimal) -> i128 {
    d.rescale(0);
    d.mantissa()
}

/// `n` unknown slots. (`vec![None; n]` clones a 72-byte `None` into each,
/// which cost more than the rest of reading a small profile.)
fn empty_slots(n: usize) -> Vec<Option<Val>> {
    let mut slots = Vec::with_capacity(n);
    slots.resize_with(n, || None);
    slots
}

/// What reading looks up, built once per engine: field names to slots and
/// the texts the rules mention to their symbols. foldhash rather than the
/// standard SipHash, which was a third of the time of reading a profile;
/// its seed is random per map, so keys chosen to collide cannot be
/// prepared in advance.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lookup {
    fields: std::collections::HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    symbols: std::collections::HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// Each field's bounds for whole numbers: `x >= 0.5` is `x >= 1` for a
    /// whole `x`, so the bounds rounded inward keep the check exact, and
    /// every decimal's rounded value fits an `i128`.
    bounds: Vec<(i128, i128)>,
    /// Each field's default as a slot holds it, made once: both readers
    /// put it in a slot left empty (absent or `null`), in [`finish`].
    defaults: Vec<(usize, Val)>,
    /// What a `program` field may hold: `none`, then the program ids in
    /// rule-set order (index `i + 1` is program `i`).
    program_words: Vec<String>,
}

impl Lookup {
    /// A `program` field's value from its word: `none` or a program id.
    pub(super) fn program(&self, s: &str) -> Option<Val> {
        match self.program_words.iter().position(|w| w == s)? {
            0 => Some(Val::Program(None)),
            i => Some(Val::Program(Some(i - 1))),
        }
    }
}

impl Lookup {
    pub(crate) fn new(rules: &RuleSet) -> Lookup {
        Lookup {
            fields: rules
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.as_str().into(), i))
                .collect(),
            symbols: rules
                .symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str().into(), i))
                .collect(),
            bounds: rules
                .fields
                .iter()
                .map(|f| {
                    (
                        f.min.map_or(i128::MIN, |m| whole(m.ceil())),
                        f.max.map_or(i128::MAX, |m| whole(m.floor())),
                    )
                })
                .collect(),
            defaults: Vec::new(),
            program_words: std::iter::once("none".to_string())
                .chain(rules.programs.iter().map(|p| p.meta.id.clone()))
                .collect(),
        }
        .with_defaults(rules)
    }

    /// The fields' defaults as values, read as a profile's would be.
    fn with_defaults(mut self, rules: &RuleSet) -> Lookup {
        use crate::ir::DefaultValue as D;
        let mut defaults = Vec::new();
        for (slot, field) in rules.fields.iter().enumerate() {
            let Some(d) = &field.default else { continue };
            let v = match &d.value {
                D::Bool(b) => Some(Val::Bool(*b)),
                D::Num(x) => number_val(field, self.bounds(slot), *x),
                D::Text(t) => Some(Val::Text(self.symbol(t), t.as_str().into())),
                D::Enum(i) => Some(Val::Enum(*i)),
                D::NoProgram => Some(Val::Program(None)),
                D::Set(members) => {
                    let mut set = SetBuilder::new(field, &self, members.len());
                    members
                        .iter()
                        .try_for_each(|m| set.add(m))
                        .map(|()| set.finish())
                }
            };
            // The checker made sure every default fits its field.
            if let Some(v) = v {
                defaults.push((slot, v));
            }
        }
        self.defaults = defaults;
        self
    }

    fn bounds(&self, slot: usize) -> (i128, i128) {
        self.bounds
            .get(slot)
            .copied()
            .unwrap_or((i128::MIN, i128::MAX))
    }

    #[inline]
    fn field(&self, name: &str) -> Option<usize> {
        self.fields.get(name).copied()
    }

    /// The symbol of a text the rules mention.
    #[inline]
    pub(crate) fn symbol(&self, text: &str) -> Option<usize> {
        self.symbols.get(text).copied()
    }
}

/// A number in range for its field, as a slot holds it; `None` when it is
/// not (the caller words the error). `bounds` are the field's bounds for
/// whole numbers (see [`Lookup`]).
#[inline]
fn number_val(field: &crate::ir::Field, bounds: (i128, i128), d: Decimal) -> Option<Val> {
    // `-0` is 0.
    let d = if d.is_zero() { Decimal::ZERO } else { d };
    // Whole numbers, nearly all of them, compare as integers.
    if d.scale() == 0 {
        let x = d.mantissa();
        return (bounds.0 <= x && x <= bounds.1).then_some(Val::Num(d));
    }
    number_val_exact(field, d)
}

fn number_val_exact(field: &crate::ir::Field, d: Decimal) -> Option<Val> {
    // Most numbers are whole and already have no decimal places.
    let d = if d.scale() == 0 { d } else { d.normalize() };
    // Normalised, a whole number has no decimal places.
    if field.ty == FieldType::Integer && d.scale() != 0 {
        return None;
    }
    let below = field.min.is_some_and(|m| decimal::cmp(&d, &m).is_lt());
    let above = field.max.is_some_and(|m| decimal::cmp(&d, &m).is_gt());
    (!below && !above).then_some(Val::Num(d))
}

/// A date field's value: the day number of a real calendar day written
/// `YYYY-MM-DD`; `None` for anything else (the caller words the error).
#[inline]
fn date_val(s: &str) -> Option<Val> {
    let d = crate::date::parse(s).ok()?;
    Some(Val::Num(Decimal::from(crate::date::day_number(d))))
}

/// A set, built member by member: `None` from [`SetBuilder::add`] for a
/// member that is not one of the field's values (the caller words the
/// error). The members are kept once each, in the order first given.
struct SetBuilder<'f> {
    field: &'f crate::ir::Field,
    lookup: &'f Lookup,
    bits: Bits,
    members: Vec<String>,
    /// The members, once there are many: a short list is checked for
    /// repeats by a scan, a long one by a hash set, so that it is still
    /// read in linear time.
    seen: Option<std::collections::HashSet<String, foldhash::fast::RandomState>>,
}

impl<'f> SetBuilder<'f> {
    fn new(field: &'f crate::ir::Field, lookup: &'f Lookup, size: usize) -> Self {
        SetBuilder {
            field,
            lookup,
            bits: Bits::default(),
            members: Vec::with_capacity(size.min(64)),
            seen: None,
        }
    }

    fn add(&mut self, s: &str) -> Option<()> {
        let ix = match &self.field.ty {
            FieldType::SetOfEnum(values) => Some(values.iter().position(|x| x == s)?),
            _ => self.lookup.symbol(s),
        };
        if let Some(ix) = ix {
            self.bits.insert(ix);
        }
        if self.seen.is_none() && self.members.len() >= 16 {
            self.seen = Some(self.members.iter().cloned().collect());
        }
        let new = match &mut self.seen {
            Some(seen) => !seen.contains(s) && seen.insert(s.to_string()),
            None => !self.members.iter().any(|m| m == s),
        };
        if new {
            self.members.push(s.to_string());
        }
        Some(())
    }

    fn finish(self) -> Val {
        Val::Set(self.bits, self.members.len(), self.members)
    }
}

/// A field's value when it is valid, without wording anything.
fn quick_value(field: &crate::ir::Field, slot: usize, lookup: &Lookup, v: &Value) -> Option<Val> {
    match (&field.ty, v) {
        (FieldType::Boolean, Value::Bool(b)) => Some(Val::Bool(*b)),
        (FieldType::Integer | FieldType::Decimal, Value::Number(_)) => {
            number_val(field, lookup.bounds(slot), number(v)??)
        }
        (FieldType::Text, Value::String(s)) => Some(Val::Text(lookup.symbol(s), s.as_str().into())),
        (FieldType::Date, Value::String(s)) => date_val(s),
        (FieldType::Program, Value::String(s)) => lookup.program(s),
        (FieldType::Enum(values), Value::String(s)) => {
            values.iter().position(|x| x == s).map(Val::Enum)
        }
        (FieldType::SetOfText | FieldType::SetOfEnum(_), Value::Array(items)) => {
            let mut set = SetBuilder::new(field, lookup, items.len());
            for item in items {
                set.add(item.as_str()?)?;
            }
            Some(set.finish())
        }
        _ => None,
    }
}

/// A field's value, or the error that names it.
fn read_value(rules: &RuleSet, lookup: &Lookup, slot: usize, v: &Value) -> Result<Val, InputError> {
    let Some(field) = rules.fields.get(slot) else {
        return Err(InputError::new("", "the schema has no such field"));
    };
    match quick_value(field, slot, lookup, v) {
        Some(val) => Ok(val),
        None => Err(invalid(field, lookup, v)),
    }
}

/// Why a value that [`quick_value`] refused is wrong for its field.
#[cold]
fn invalid(field: &crate::ir::Field, lookup: &Lookup, v: &Value) -> InputError {
    let name = &field.name;
    let wrong = || {
        InputError::new(
            name,
            format!("expected {}, found {}", describe(field), shown(v)),
        )
    };
    match (&field.ty, v) {
        (FieldType::Integer | FieldType::Decimal, Value::Number(_)) => match number(v) {
            Some(Some(d)) if field.ty == FieldType::Integer && d.normalize().scale() != 0 => {
                wrong()
            }
            Some(Some(_)) => InputError::new(
                name,
                format!("{} is out of range: expected {}", shown(v), describe(field)),
            ),
            _ => InputError::new(
                name,
                format!("{} is out of range for an exact decimal", shown(v)),
            ),
        },
        (FieldType::Enum(values), Value::String(s)) => not_a_value(name, s, values),
        (FieldType::Program, Value::String(s)) => not_a_value(name, s, &lookup.program_words),
        (FieldType::SetOfText | FieldType::SetOfEnum(_), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match (item.as_str(), &field.ty) {
                    (None, _) => {
                        return InputError::new(
                            name,
                            format!("item {} is {}, expected a string", i + 1, shown(item)),
                        );
                    }
                    (Some(s), FieldType::SetOfEnum(values)) if !values.iter().any(|x| x == s) => {
                        return not_a_value(name, s, values);
                    }
                    _ => {}
                }
            }
            wrong()
        }
        _ => wrong(),
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn whole_numbers_meet_fractional_bounds_exactly() {
        let src = "schema {\n  x: integer between 0.5 and 2.5\n  y: decimal at least -1.5\n  \
                   z: integer at most 79228162514264337593543950335\n}\n";
        let engine = match crate::load_sources(&[("t.rules", src)], &Default::default()) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        for (profile, ok) in [
            (json!({"x": 0}), false),
            (json!({"x": 1}), true),
            (json!({"x": 2}), true),
            (json!({"x": 3}), false),
            (json!({"y": -2}), false),
            (json!({"y": -1}), true),
            (json!({"y": -1.5}), true),
            (json!({"y": -1.51}), false),
            (json!({"z": i64::MAX}), true),
        ] {
            let bytes = profile.to_string();
            let from_value = engine.profile(&profile);
            let from_bytes = engine.profile_from_slice(bytes.as_bytes());
            assert_eq!(from_value.is_ok(), ok, "{profile}: {from_value:?}");
            assert_eq!(from_value, from_bytes, "{profile}");
        }
    }
}
