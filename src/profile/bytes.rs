//! The byte reader: a profile read straight from JSON text field by field,
//! the fast path for batches. It accepts and rejects exactly what the
//! `Value` reader does, because anything it does not take as plainly valid
//! goes to that reader, which words the error.

use super::*;
use serde_json::Value;

/// Reads a profile straight from JSON text, without building a
/// `serde_json::Value`: keys are matched to slots as they stream past,
/// fields the schema does not name are skipped unparsed, and each known
/// field's value is read as its type (strings borrowed from the input where
/// they can be). Anything this pass does not take as plainly valid (a wrong
/// type, a value out of range, an escaped member, invalid JSON) stops it,
/// and the text is read again as a `Value` by [`Profile::read`], which
/// words the error: both paths accept and reject the same profiles with the
/// same messages, and bad input costs a second parse only when it is bad.
pub(crate) fn read_slice(
    rules: &RuleSet,
    lookup: &Lookup,
    bytes: &[u8],
) -> Result<Profile, InputError> {
    // A leading byte order mark is skipped, as `read_json` skips it.
    let bytes = bytes
        .strip_prefix(super::json::BOM.as_bytes())
        .unwrap_or(bytes);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = ProfileSeed { rules, lookup };
    match serde::de::DeserializeSeed::deserialize(seed, &mut de).and_then(|r| de.end().map(|()| r))
    {
        Ok(profile) => profile,
        Err(_) => match std::str::from_utf8(bytes) {
            Ok(text) => super::read_json(text).and_then(|v| Profile::read(rules, lookup, &v)),
            Err(_) => match serde_json::from_slice::<Value>(bytes) {
                Ok(v) => Profile::read(rules, lookup, &v),
                Err(e) => Err(InputError::new("", format!("invalid JSON: {e}"))),
            },
        },
    }
}

/// Stops the fast pass of [`read_slice`].
fn not_plain<E: serde::de::Error>() -> E {
    E::custom("not plainly valid")
}

/// One field's value, read as its type; `None` for `null`.
struct SlotSeed<'r> {
    field: &'r crate::ir::Field,
    slot: usize,
    lookup: &'r Lookup,
}

impl<'de> serde::de::DeserializeSeed<'de> for SlotSeed<'_> {
    type Value = Option<Val>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        use serde::Deserialize as _;
        let (field, lookup) = (self.field, self.lookup);
        match &field.ty {
            FieldType::Boolean => Ok(Option::<bool>::deserialize(d)?.map(Val::Bool)),
            // A number from its text as written, borrowed from the input:
            // exact to the last digit, with or without serde_json's
            // `arbitrary_precision`, and without the `String` that feature
            // makes for every number.
            FieldType::Integer | FieldType::Decimal => {
                match Option::<&'de serde_json::value::RawValue>::deserialize(d)? {
                    None => Ok(None),
                    Some(raw) => decimal::parse_number(raw.get())
                        .and_then(|x| number_val(field, lookup.bounds(self.slot), x))
                        .map(Some)
                        .ok_or_else(not_plain),
                }
            }
            FieldType::Text => {
                Ok(Option::<Box<str>>::deserialize(d)?.map(|s| Val::Text(lookup.symbol(&s), s)))
            }
            FieldType::Date => match Option::<&'de str>::deserialize(d)? {
                None => Ok(None),
                Some(s) => date_val(s).map(Some).ok_or_else(not_plain),
            },
            FieldType::Program => match Option::<&'de str>::deserialize(d)? {
                None => Ok(None),
                Some(s) => lookup.program(s).map(Some).ok_or_else(not_plain),
            },
            FieldType::Enum(values) => match Option::<&'de str>::deserialize(d)? {
                None => Ok(None),
                Some(s) => values
                    .iter()
                    .position(|x| x == s)
                    .map(|i| Some(Val::Enum(i)))
                    .ok_or_else(not_plain),
            },
            FieldType::SetOfText | FieldType::SetOfEnum(_) => d.deserialize_option(self),
        }
    }
}

/// A set field: `null` or a list of strings.
impl<'de> serde::de::Visitor<'de> for SlotSeed<'_> {
    type Value = Option<Val>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut set = SetBuilder::new(self.field, self.lookup, seq.size_hint().unwrap_or(0));
        while let Some(s) = seq.next_element::<&'de str>()? {
            set.add(s).ok_or_else(not_plain)?;
        }
        Ok(Some(set.finish()))
    }
}

struct ProfileSeed<'r> {
    rules: &'r RuleSet,
    lookup: &'r Lookup,
}

impl<'de> serde::de::DeserializeSeed<'de> for ProfileSeed<'_> {
    type Value = Result<Profile, InputError>;

    // Only an object: anything else stops the fast pass, and the `Value`
    // reader words it. (Not `deserialize_any`: with `arbitrary_precision`,
    // serde_json hands a number to `visit_map` as a one-key map.)
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// A key, resolved to its slot without allocating: a field's slot, or a
/// key the schema does not name, borrowed from the input (an escaped one
/// stops the fast pass).
struct KeySeed<'r>(&'r Lookup);

enum Key<'de> {
    Field(usize),
    Other(&'de str),
}

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed<'_> {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(self.0.field(key).map_or(Key::Other(key), Key::Field))
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        self.0.field(key).map(Key::Field).ok_or_else(not_plain)
    }
}

/// A value the schema does not name, skipped unkept, but read far enough
/// to stop the fast pass at a key given twice in any object inside it.
struct Skip;

impl<'de> serde::de::DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<&'de str>()? {
            if !seen.insert(key) {
                return Err(not_plain());
            }
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for ProfileSeed<'_> {
    type Value = Result<Profile, InputError>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a profile object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let rules = self.rules;
        let mut slots: Vec<Option<Val>> = empty_slots(rules.fields.len());
        // Keys seen, to stop at one given twice: the `Value` reader words
        // it. Other keys are kept only when there are some.
        let mut seen = Bits::default();
        let mut others = std::collections::HashSet::new();
        while let Some(key) = map.next_key_seed(KeySeed(self.lookup))? {
            let slot = match key {
                Key::Field(slot) => slot,
                Key::Other(key) => {
                    if !others.insert(key) {
                        return Err(not_plain());
                    }
                    map.next_value_seed(Skip)?;
                    continue;
                }
            };
            if seen.contains(slot) {
                return Err(not_plain());
            }
            seen.insert(slot);
            let Some(field) = rules.fields.get(slot) else {
                map.next_value_seed(Skip)?;
                continue;
            };
            let v = map.next_value_seed(SlotSeed {
                field,
                slot,
                lookup: self.lookup,
            })?;
            if let Some(s) = slots.get_mut(slot) {
                *s = v;
            }
        }
        Ok(finish(rules, self.lookup, slots, None))
    }
}

/// The profile, once every slot is read: the defaults in the slots left
/// empty, then the first error in schema order (a value's, or a required
/// field's absence), or the client id.
pub(super) fn finish(
    rules: &RuleSet,
    lookup: &Lookup,
    mut slots: Vec<Option<Val>>,
    error: Option<(usize, InputError)>,
) -> Result<Profile, InputError> {
    // An absent or `null` field with a default takes it. (A required field
    // has none: the checker refuses both.)
    let mut defaulted = super::Bits::default();
    for (slot, v) in &lookup.defaults {
        if let Some(s @ None) = slots.get_mut(*slot) {
            *s = Some(v.clone());
            defaulted.insert(*slot);
        }
    }
    let upto = error.as_ref().map_or(slots.len(), |(slot, _)| *slot);
    for (field, v) in rules.fields.iter().zip(&slots).take(upto) {
        if field.required && v.is_none() {
            return Err(InputError::new(&field.name, "is required but missing"));
        }
    }
    if let Some((_, e)) = error {
        return Err(e);
    }
    let client = rules.id_field.and_then(|i| match slots.get(i) {
        Some(Some(Val::Text(_, s))) => Some(s.to_string()),
        _ => None,
    });
    Ok(Profile {
        slots,
        defaulted,
        client,
        as_of: crate::date::today(),
    })
}
