//! The FHIR mapping a rule set declares: for each schema field, where in a
//! FHIR bundle its value comes from. It is data (`fhir.yaml` or
//! `fhir.json` in the rules directory), checked against the engine's schema
//! when it is loaded: every mapped field exists and the kind of reading fits
//! the field's type, and every value it produces is one the field allows.
//! Errors name the file and the key path.

use crate::{Engine, FieldKind, FieldView};
use serde_json::{Map, Value};
use std::fmt;

/// A mapping that failed its check: the file, the key path inside it
/// (`fields.phq9.from`) and what is wrong.
///
/// ```
/// use careplan::fhir::Mapping;
/// let engine = careplan::reference().unwrap();
/// let errors = Mapping::check(&serde_json::json!({"fields": {"insurance": {"from": "Patient.birthDate"}}}),
///     "rules/fhir.yaml", &engine).unwrap_err();
/// assert_eq!(errors[0].path, "fields.insurance.from");
/// assert_eq!(errors[0].to_string(),
///     "rules/fhir.yaml: fields.insurance.from: `Patient.birthDate` gives an integer age, which cannot fill `insurance` (one of none, medicaid, medicare, private): use `Coverage.type`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    /// The mapping file, as the caller named it.
    pub file: String,
    /// The key path inside it, dot-separated, with `[i]` for list items.
    pub path: String,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.path, self.message)
    }
}

impl std::error::Error for MappingError {}

/// One code pattern of a value map: a code, or a prefix ending in `*`
/// (`F20*` matches `F20`, `F20.0`, `F20.89`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub text: String,
    pub prefix: bool,
}

impl Pattern {
    pub fn matches(&self, code: &str) -> bool {
        if self.prefix {
            code.starts_with(&self.text)
        } else {
            code == self.text
        }
    }
}

/// Codes of one system that map to one of the rule set's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeMap {
    pub system: String,
    pub codes: Vec<Pattern>,
    pub to: String,
}

impl CodeMap {
    /// Whether a coding (system, code) falls in this entry.
    pub fn matches(&self, system: Option<&str>, code: Option<&str>) -> bool {
        system == Some(self.system.as_str())
            && code.is_some_and(|c| self.codes.iter().any(|p| p.matches(c)))
    }
}

/// How one field is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `Patient.id`: the patient's logical id.
    PatientId,
    /// `Patient.birthDate`: whole years on the evaluation date.
    Age,
    /// `Condition.code`: the words of the current conditions' codes.
    Conditions(Vec<CodeMap>),
    /// `Observation.value`: the latest value of one code on or before the
    /// evaluation date.
    Observation { system: String, code: String },
    /// `Encounter.class`: how many encounters of these classes started in
    /// the months before the evaluation date.
    Encounters { classes: Vec<String>, months: u16 },
    /// `Coverage.type`: the word of the active coverage's type; `none`
    /// (the word given) when the coverage was searched and none is active.
    Coverage {
        map: Vec<CodeMap>,
        none: Option<String>,
    },
}

impl Source {
    fn name(&self) -> &'static str {
        match self {
            Source::PatientId => "Patient.id",
            Source::Age => "Patient.birthDate",
            Source::Conditions(_) => "Condition.code",
            Source::Observation { .. } => "Observation.value",
            Source::Encounters { .. } => "Encounter.class",
            Source::Coverage { .. } => "Coverage.type",
        }
    }

    /// What it gives, in words, for errors.
    fn gives(&self) -> &'static str {
        match self {
            Source::PatientId => "a text id",
            Source::Age => "an integer age",
            Source::Conditions(_) => "a set of words",
            Source::Observation { .. } => "a number",
            Source::Encounters { .. } => "an integer count",
            Source::Coverage { .. } => "one word",
        }
    }

    fn fits(&self, kind: FieldKind) -> bool {
        use FieldKind as K;
        match self {
            Source::PatientId => kind == K::Text,
            Source::Age | Source::Encounters { .. } => kind == K::Integer,
            Source::Conditions(_) => matches!(kind, K::SetOf | K::SetOfText),
            Source::Observation { .. } => matches!(kind, K::Integer | K::Decimal),
            Source::Coverage { .. } => matches!(kind, K::OneOf | K::Text),
        }
    }

    /// The source to suggest for a field of this kind.
    fn suggest(kind: FieldKind) -> &'static str {
        match kind {
            FieldKind::Integer | FieldKind::Decimal => "Observation.value",
            FieldKind::Text => "Patient.id",
            FieldKind::SetOf | FieldKind::SetOfText => "Condition.code",
            FieldKind::OneOf => "Coverage.type",
            FieldKind::Boolean => "nothing: no FHIR source gives a boolean yet",
            FieldKind::Date => "nothing: no FHIR source gives a date yet",
            FieldKind::Program => "nothing: enrollment is the case system's own record",
        }
    }
}

/// A checked FHIR mapping: the schema fields it fills and how, in the
/// order the file lists them.
///
/// ```
/// use careplan::fhir::Mapping;
/// let engine = careplan::reference().unwrap();
/// let mapping = Mapping::check(&serde_json::json!({"fields": {
///     "phq9": {"from": "Observation.value", "system": "http://loinc.org", "code": "44261-6"},
///     "ed_visits_6m": {"from": "Encounter.class", "class": ["EMER"], "months": 6}
/// }}), "fhir.json", &engine).unwrap();
/// assert_eq!(mapping.fields().collect::<Vec<_>>(), ["phq9", "ed_visits_6m"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub(crate) fields: Vec<(String, Source)>,
}

impl Mapping {
    /// The fields it fills, in file order.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let mapping = careplan::fhir::Mapping::check(
    ///     &serde_json::json!({"fields": {"id": {"from": "Patient.id"}}}), "fhir.json", &engine).unwrap();
    /// assert_eq!(mapping.fields().count(), 1);
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(name, _)| name.as_str())
    }

    /// The LOINC (or other) codes of the observations it reads, as
    /// `system|code`: the CDS Hooks prefetch asks for these.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let mapping = careplan::fhir::Mapping::check(&serde_json::json!({"fields": {"phq9":
    ///     {"from": "Observation.value", "system": "http://loinc.org", "code": "44261-6"}}}),
    ///     "fhir.json", &engine).unwrap();
    /// assert_eq!(mapping.observation_codes(), ["http://loinc.org|44261-6"]);
    /// ```
    pub fn observation_codes(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter_map(|(_, s)| match s {
                Source::Observation { system, code } => Some(format!("{system}|{code}")),
                _ => None,
            })
            .collect()
    }

    /// Reads a mapping (the parsed `fhir.yaml` or `fhir.json`) and checks
    /// it against the engine's schema. Every error is reported, each naming
    /// `file` and the key path.
    ///
    /// ```
    /// use careplan::fhir::Mapping;
    /// let engine = careplan::reference().unwrap();
    /// let errors = Mapping::check(&serde_json::json!({"fields": {
    ///     "age_years": {"from": "Patient.birthDate"},
    ///     "diagnoses": {"from": "Condition.code", "map": [
    ///         {"system": "http://snomed.info/sct", "codes": ["58214004"], "to": 7}]}
    /// }}), "fhir.json", &engine).unwrap_err();
    /// assert_eq!(errors[0].path, "fields.age_years");
    /// assert!(errors[0].message.contains("no field `age_years`"));
    /// assert_eq!(errors[1].path, "fields.diagnoses.map[0].to");
    /// ```
    pub fn check(value: &Value, file: &str, engine: &Engine) -> Result<Mapping, Vec<MappingError>> {
        let mut r = Reader {
            file,
            errors: Vec::new(),
        };
        let mut fields = Vec::new();
        if let Some(top) = r.object(value, "") {
            r.only(top, "", &["fields"]);
            match top.get("fields") {
                None => r.err("fields", "the mapping has no `fields`"),
                Some(v) => {
                    if let Some(map) = r.object(v, "fields") {
                        for (name, spec) in map {
                            let path = format!("fields.{name}");
                            let field = engine.fields().find(|f| f.name() == name);
                            let Some(field) = field else {
                                r.err(
                                    &path,
                                    format!("the rule set's schema has no field `{name}`"),
                                );
                                continue;
                            };
                            if let Some(source) = r.source(spec, &path, &field) {
                                fields.push((name.clone(), source));
                            }
                        }
                    }
                }
            }
        }
        if r.errors.is_empty() {
            Ok(Mapping { fields })
        } else {
            Err(r.errors)
        }
    }
}

/// Walks the mapping's JSON, collecting errors with their key paths.
struct Reader<'a> {
    file: &'a str,
    errors: Vec<MappingError>,
}

impl Reader<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(MappingError {
            file: self.file.to_string(),
            path: if path.is_empty() {
                "(top)".to_string()
            } else {
                path.to_string()
            },
            message: message.into(),
        });
    }

    fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.err(
                path,
                format!("expected a mapping of keys, found {}", shape(v)),
            );
        }
        o
    }

    /// Refuses keys other than `allowed`: a misspelt key would otherwise
    /// be ignored in silence.
    fn only(&mut self, o: &Map<String, Value>, path: &str, allowed: &[&str]) {
        for k in o.keys() {
            if !allowed.contains(&k.as_str()) {
                let list = allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.err(
                    &join(path, k),
                    format!("unknown key `{k}`; expected {list}"),
                );
            }
        }
    }

    fn text(&mut self, o: &Map<String, Value>, path: &str, key: &str) -> Option<String> {
        let p = join(path, key);
        match o.get(key) {
            None => {
                self.err(&p, format!("missing `{key}`"));
                None
            }
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(v) => {
                self.err(&p, format!("expected non-empty text, found {}", shape(v)));
                None
            }
        }
    }

    fn texts(&mut self, o: &Map<String, Value>, path: &str, key: &str) -> Option<Vec<String>> {
        let p = join(path, key);
        match o.get(key) {
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
                        _ => self.err(
                            &format!("{p}[{i}]"),
                            format!("expected non-empty text, found {}", shape(v)),
                        ),
                    }
                }
                Some(out)
            }
            None => {
                self.err(&p, format!("missing `{key}`"));
                None
            }
            Some(v) => {
                self.err(
                    &p,
                    format!("expected a non-empty list of text, found {}", shape(v)),
                );
                None
            }
        }
    }

    /// A word the field allows (for `one of`/`set of {…}` fields).
    fn word(&mut self, word: &str, path: &str, field: &FieldView) {
        let values = field.values();
        if !values.is_empty() && !values.iter().any(|v| v == word) {
            self.err(
                path,
                format!(
                    "`{word}` is not a value of `{}`, which is {}",
                    field.name(),
                    field.describe()
                ),
            );
        }
    }

    fn code_maps(&mut self, o: &Map<String, Value>, path: &str, field: &FieldView) -> Vec<CodeMap> {
        let p = join(path, "map");
        let items = match o.get("map") {
            Some(Value::Array(items)) if !items.is_empty() => items,
            None => {
                self.err(&p, "missing `map`");
                return Vec::new();
            }
            Some(v) => {
                self.err(&p, format!("expected a non-empty list, found {}", shape(v)));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ip = format!("{p}[{i}]");
            let Some(m) = self.object(item, &ip) else {
                continue;
            };
            self.only(m, &ip, &["system", "codes", "to"]);
            let system = self.text(m, &ip, "system");
            let codes = self.texts(m, &ip, "codes");
            let to = self.text(m, &ip, "to");
            if let Some(to) = &to {
                self.word(to, &join(&ip, "to"), field);
            }
            if let (Some(system), Some(codes), Some(to)) = (system, codes, to) {
                let codes = codes
                    .into_iter()
                    .map(|c| match c.strip_suffix('*') {
                        Some(stem) => Pattern {
                            text: stem.to_string(),
                            prefix: true,
                        },
                        None => Pattern {
                            text: c,
                            prefix: false,
                        },
                    })
                    .collect();
                out.push(CodeMap { system, codes, to });
            }
        }
        out
    }

    fn source(&mut self, spec: &Value, path: &str, field: &FieldView) -> Option<Source> {
        let o = self.object(spec, path)?;
        let from_path = join(path, "from");
        let from = self.text(o, path, "from")?;
        let errors_before = self.errors.len();
        let source = match from.as_str() {
            "Patient.id" => {
                self.only(o, path, &["from"]);
                Source::PatientId
            }
            "Patient.birthDate" => {
                self.only(o, path, &["from"]);
                Source::Age
            }
            "Condition.code" => {
                self.only(o, path, &["from", "map"]);
                Source::Conditions(self.code_maps(o, path, field))
            }
            "Observation.value" => {
                self.only(o, path, &["from", "system", "code"]);
                let system = self.text(o, path, "system");
                let code = self.text(o, path, "code");
                Source::Observation {
                    system: system.unwrap_or_default(),
                    code: code.unwrap_or_default(),
                }
            }
            "Encounter.class" => {
                self.only(o, path, &["from", "class", "months"]);
                let classes = self.texts(o, path, "class").unwrap_or_default();
                let months = match o.get("months") {
                    Some(Value::Number(n)) => match n.as_u64() {
                        Some(m @ 1..=120) => m as u16,
                        _ => {
                            self.err(
                                &join(path, "months"),
                                format!(
                                    "expected a whole number of months from 1 to 120, found {n}"
                                ),
                            );
                            1
                        }
                    },
                    None => {
                        self.err(&join(path, "months"), "missing `months`");
                        1
                    }
                    Some(v) => {
                        self.err(
                            &join(path, "months"),
                            format!(
                                "expected a whole number of months from 1 to 120, found {}",
                                shape(v)
                            ),
                        );
                        1
                    }
                };
                Source::Encounters { classes, months }
            }
            "Coverage.type" => {
                self.only(o, path, &["from", "map", "none"]);
                let map = self.code_maps(o, path, field);
                let none = match o.get("none") {
                    None => None,
                    Some(Value::String(s)) => {
                        self.word(s, &join(path, "none"), field);
                        Some(s.clone())
                    }
                    Some(v) => {
                        self.err(
                            &join(path, "none"),
                            format!("expected text, found {}", shape(v)),
                        );
                        None
                    }
                };
                Source::Coverage { map, none }
            }
            other => {
                self.err(
                    &from_path,
                    format!("unknown source `{other}`; expected `Patient.id`, `Patient.birthDate`, `Condition.code`, `Observation.value`, `Encounter.class` or `Coverage.type`"),
                );
                return None;
            }
        };
        if !source.fits(field.kind()) {
            self.err(
                &from_path,
                format!(
                    "`{}` gives {}, which cannot fill `{}` ({}): use `{}`",
                    source.name(),
                    source.gives(),
                    field.name(),
                    field.describe(),
                    Source::suggest(field.kind())
                ),
            );
        }
        (self.errors.len() == errors_before).then_some(source)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A value's JSON type in words.
pub(crate) fn shape(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
