//! FHIR in: the resources of a bundle (or of a CDS Hooks prefetch) read
//! through the model, then a profile built from them by a [`Mapping`].
//!
//! What is known and what is not: a field the bundle says nothing about is
//! left out of the profile (unknown), never zero or false. For counts and
//! sets that means telling "no such resource" from "not asked": a resource
//! type is *known* when the bundle holds at least one resource of it, or
//! when the caller marks it searched ([`Resources::searched`]: a CDS Hooks
//! prefetch query that came back as an empty Bundle). Only then does
//! "none found" become an empty set, a count of zero or no coverage.

use super::mapping::{CodeMap, Mapping, Source, shape};
use super::model::{Condition, Coverage, Encounter, Observation, Patient};
use jiff::civil::Date;
use serde_json::{Map, Value};
use std::fmt;

/// A resource the model cannot read: which one (`Condition/c-2`, or its
/// place in the bundle when it has no id), the path inside it and what is
/// wrong.
///
/// ```
/// use careplan::fhir::Resources;
/// let bundle = serde_json::json!({"resourceType": "Bundle", "entry": [
///     {"resource": {"resourceType": "Condition", "id": "c-2", "code": {"coding": [{"code": 42}]}}}
/// ]});
/// let err = Resources::from_bundle(&bundle).unwrap_err();
/// assert_eq!(err.resource, "Condition/c-2");
/// assert_eq!(err.path, "code.coding[0].code");
/// assert!(err.to_string().starts_with("cannot read `Condition/c-2` at `code.coding[0].code`: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirError {
    /// `resourceType/id`, or `resourceType in entry[i]` without an id.
    pub resource: String,
    /// The path inside the resource (`.` for the resource as a whole).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FhirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read `{}` at `{}`: {}",
            self.resource, self.path, self.message
        )
    }
}

impl std::error::Error for FhirError {}

/// The resources a mapping reads, by type, each with the name errors give
/// it. `None` is a type the input says nothing about.
///
/// ```
/// use careplan::fhir::Resources;
/// let mut resources = Resources::default();
/// resources.add(&serde_json::json!({"resourceType": "Patient", "id": "p-1"}), "prefetch.patient").unwrap();
/// resources.searched("Encounter");
/// assert!(resources.knows("Patient") && resources.knows("Encounter") && !resources.knows("Coverage"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Resources {
    patient: Option<(String, Patient)>,
    conditions: Option<Vec<(String, Condition)>>,
    observations: Option<Vec<(String, Observation)>>,
    encounters: Option<Vec<(String, Encounter)>>,
    coverages: Option<Vec<(String, Coverage)>>,
}

impl Resources {
    /// Reads a Bundle (any `type`: collection, searchset, transaction).
    /// Entries of other resource types are ignored.
    ///
    /// ```
    /// let err = careplan::fhir::Resources::from_bundle(&serde_json::json!({"resourceType": "Patient"})).unwrap_err();
    /// assert!(err.message.contains("expected a `Bundle`"));
    /// ```
    pub fn from_bundle(bundle: &Value) -> Result<Resources, FhirError> {
        let ty = bundle.get("resourceType").and_then(Value::as_str);
        if ty != Some("Bundle") {
            return Err(FhirError {
                resource: ty.unwrap_or("the input").to_string(),
                path: "resourceType".into(),
                message: format!(
                    "expected a `Bundle`, found {}",
                    ty.map_or_else(|| "no resourceType".to_string(), |t| format!("`{t}`"))
                ),
            });
        }
        let mut r = Resources::default();
        r.add(bundle, "the bundle")?;
        Ok(r)
    }

    /// Adds a resource, or every entry of a Bundle. `place` names it in
    /// errors when it has no id (`prefetch.patient`).
    ///
    /// ```
    /// let mut r = careplan::fhir::Resources::default();
    /// let err = r.add(&serde_json::json!({"resourceType": "Patient", "birthDate": 1990}), "prefetch.patient").unwrap_err();
    /// assert_eq!((err.resource.as_str(), err.path.as_str()), ("Patient in prefetch.patient", "birthDate"));
    /// ```
    pub fn add(&mut self, value: &Value, place: &str) -> Result<(), FhirError> {
        let Some(o) = value.as_object() else {
            return Err(FhirError {
                resource: place.to_string(),
                path: ".".into(),
                message: format!("expected a resource, found {}", shape(value)),
            });
        };
        let ty = match o.get("resourceType") {
            Some(Value::String(t)) => t.as_str(),
            _ => {
                return Err(FhirError {
                    resource: place.to_string(),
                    path: "resourceType".into(),
                    message: "a resource needs a `resourceType`".into(),
                });
            }
        };
        if ty == "Bundle" {
            return match o.get("entry") {
                None => Ok(()),
                Some(Value::Array(entries)) => {
                    for (i, e) in entries.iter().enumerate() {
                        let at = format!("{place}, entry[{i}]");
                        match e.get("resource") {
                            Some(res) => self.add(res, &at)?,
                            None => continue,
                        }
                    }
                    Ok(())
                }
                Some(v) => Err(FhirError {
                    resource: name(o, ty, place),
                    path: "entry".into(),
                    message: format!("expected a list of entries, found {}", shape(v)),
                }),
            };
        }
        let label = name(o, ty, place);
        match ty {
            "Patient" => {
                let p: Patient = read(value, &label)?;
                if let Some((first, _)) = &self.patient {
                    return Err(FhirError {
                        resource: label,
                        path: ".".into(),
                        message: format!(
                            "a second Patient (the first is `{first}`): a bundle is about one patient"
                        ),
                    });
                }
                self.patient = Some((label, p));
            }
            "Condition" => push(&mut self.conditions, label.clone(), read(value, &label)?),
            "Observation" => push(&mut self.observations, label.clone(), read(value, &label)?),
            "Encounter" => push(&mut self.encounters, label.clone(), read(value, &label)?),
            "Coverage" => push(&mut self.coverages, label.clone(), read(value, &label)?),
            _ => {}
        }
        Ok(())
    }

    /// Marks a resource type as searched: none of it means none exists.
    /// Unknown types are ignored.
    ///
    /// ```
    /// let mut r = careplan::fhir::Resources::default();
    /// r.searched("Coverage");
    /// assert!(r.knows("Coverage"));
    /// ```
    pub fn searched(&mut self, resource_type: &str) {
        match resource_type {
            "Condition" => known(&mut self.conditions),
            "Observation" => known(&mut self.observations),
            "Encounter" => known(&mut self.encounters),
            "Coverage" => known(&mut self.coverages),
            _ => {}
        }
    }

    /// Whether the input says anything about this resource type.
    ///
    /// ```
    /// assert!(!careplan::fhir::Resources::default().knows("Condition"));
    /// ```
    pub fn knows(&self, resource_type: &str) -> bool {
        match resource_type {
            "Patient" => self.patient.is_some(),
            "Condition" => self.conditions.is_some(),
            "Observation" => self.observations.is_some(),
            "Encounter" => self.encounters.is_some(),
            "Coverage" => self.coverages.is_some(),
            _ => false,
        }
    }

    /// The patient's logical id, when there is a Patient with one.
    ///
    /// ```
    /// let r = careplan::fhir::Resources::from_bundle(&serde_json::json!({"resourceType": "Bundle",
    ///     "entry": [{"resource": {"resourceType": "Patient", "id": "p-9"}}]})).unwrap();
    /// assert_eq!(r.patient_id(), Some("p-9"));
    /// ```
    pub fn patient_id(&self) -> Option<&str> {
        self.patient.as_ref().and_then(|(_, p)| p.id.as_deref())
    }
}

fn push<T>(list: &mut Option<Vec<(String, T)>>, label: String, item: T) {
    list.get_or_insert_with(Vec::new).push((label, item));
}

fn known<T>(list: &mut Option<Vec<T>>) {
    list.get_or_insert_with(Vec::new);
}

fn name(o: &Map<String, Value>, ty: &str, place: &str) -> String {
    match o.get("id").and_then(Value::as_str) {
        Some(id) => format!("{ty}/{id}"),
        None => format!("{ty} in {place}"),
    }
}

/// Reads one resource into its model, naming the path of what does not fit.
fn read<T: serde::de::DeserializeOwned>(value: &Value, label: &str) -> Result<T, FhirError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        FhirError {
            resource: label.to_string(),
            path: if path.is_empty() { ".".into() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// A FHIR `date` or `dateTime`: its calendar date, `Ok(None)` for a valid
/// partial date (`1990`, `1990-06`), which names no single day. The time
/// and zone of a `dateTime` are dropped: windows are counted in days.
fn date(s: &str, resource: &str, path: &str) -> Result<Option<Date>, FhirError> {
    let bad = |why: String| FhirError {
        resource: resource.to_string(),
        path: path.to_string(),
        message: why,
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let partial = match s.len() {
        4 => digits(s),
        7 => {
            s.get(..4).is_some_and(digits)
                && s.get(4..5) == Some("-")
                && s.get(5..).is_some_and(digits)
        }
        _ => false,
    };
    if partial {
        return Ok(None);
    }
    let day = s
        .get(..10)
        .filter(|_| s.len() == 10 || s.get(10..11) == Some("T"));
    match day.map(str::parse::<Date>) {
        Some(Ok(d)) => Ok(Some(d)),
        _ => Err(bad(format!("`{s}` is not a FHIR date (YYYY-MM-DD)"))),
    }
}

/// Builds the profile the mapping declares from the resources, relative to
/// the evaluation date `as_of`. Fields the resources say nothing about are
/// left out: unknown.
///
/// ```
/// use careplan::fhir::{Mapping, Resources};
/// use serde_json::json;
/// let engine = careplan::reference().unwrap();
/// let mapping = Mapping::check(&json!({"fields": {
///     "ed_visits_6m": {"from": "Encounter.class", "class": ["EMER"], "months": 6},
///     "phq9": {"from": "Observation.value", "system": "http://loinc.org", "code": "44261-6"}
/// }}), "fhir.json", &engine).unwrap();
/// let bundle = json!({"resourceType": "Bundle", "entry": [
///     {"resource": {"resourceType": "Encounter", "status": "finished", "class": {"code": "EMER"},
///                   "period": {"start": "2026-03-02T10:00:00Z"}}},
///     {"resource": {"resourceType": "Encounter", "status": "finished", "class": {"code": "EMER"},
///                   "period": {"start": "2025-01-02"}}}
/// ]});
/// let r = Resources::from_bundle(&bundle).unwrap();
/// let profile = careplan::fhir::profile(&mapping, &r, jiff::civil::date(2026, 5, 31)).unwrap();
/// // one visit in the six months; no Observation at all: phq9 unknown
/// assert_eq!(profile, json!({"ed_visits_6m": 1}));
/// ```
pub fn profile(mapping: &Mapping, r: &Resources, as_of: Date) -> Result<Value, FhirError> {
    let mut out = Map::new();
    for (field, source) in &mapping.fields {
        if let Some(v) = read_field(source, r, as_of)? {
            out.insert(field.clone(), v);
        }
    }
    Ok(Value::Object(out))
}

fn read_field(source: &Source, r: &Resources, as_of: Date) -> Result<Option<Value>, FhirError> {
    Ok(match source {
        Source::PatientId => r.patient_id().map(|id| Value::String(id.to_string())),
        Source::Age => age(r, as_of)?,
        Source::Conditions(map) => r.conditions.as_ref().map(|list| conditions(list, map)),
        Source::Observation { system, code } => r
            .observations
            .as_ref()
            .map(|list| latest(list, system, code, as_of))
            .transpose()?
            .flatten(),
        Source::Encounters { classes, months } => r
            .encounters
            .as_ref()
            .map(|list| encounters(list, classes, *months, as_of))
            .transpose()?
            .flatten(),
        Source::Coverage { map, none } => r
            .coverages
            .as_ref()
            .and_then(|list| coverage(list, map, none.as_deref())),
    })
}

fn age(r: &Resources, as_of: Date) -> Result<Option<Value>, FhirError> {
    let Some((label, p)) = &r.patient else {
        return Ok(None);
    };
    let Some(text) = &p.birth_date else {
        return Ok(None);
    };
    let Some(born) = date(text, label, "birthDate")? else {
        // A year or a month names no birthday: the age is unknown.
        return Ok(None);
    };
    if born > as_of {
        return Err(FhirError {
            resource: label.clone(),
            path: "birthDate".into(),
            message: format!("`{text}` is after the evaluation date {as_of}"),
        });
    }
    let before_birthday = (as_of.month(), as_of.day()) < (born.month(), born.day());
    let years = i64::from(as_of.year()) - i64::from(born.year()) - i64::from(before_birthday);
    Ok(Some(Value::from(years)))
}

/// The words of the current conditions, in the map's order, each once.
/// Refuted and entered-in-error diagnoses and resolved, inactive or
/// remitted conditions do not count.
fn conditions(list: &[(String, Condition)], map: &[CodeMap]) -> Value {
    let current: Vec<&Condition> = list
        .iter()
        .map(|(_, c)| c)
        .filter(|c| {
            let refuted = c
                .verification_status
                .as_ref()
                .is_some_and(|v| v.has_code_in(&["refuted", "entered-in-error"]));
            let over = c
                .clinical_status
                .as_ref()
                .is_some_and(|s| s.has_code_in(&["inactive", "remission", "resolved"]));
            !refuted && !over
        })
        .collect();
    let mut words: Vec<Value> = Vec::new();
    for entry in map {
        let hit = current.iter().any(|c| {
            c.code.as_ref().is_some_and(|code| {
                code.coding
                    .iter()
                    .any(|k| entry.matches(k.system.as_deref(), k.code.as_deref()))
            })
        });
        let word = Value::String(entry.to.clone());
        if hit && !words.contains(&word) {
            words.push(word);
        }
    }
    Value::Array(words)
}

/// The value of the latest final observation of the code on or before
/// `as_of`; undated ones cannot be ordered and are passed over.
fn latest(
    list: &[(String, Observation)],
    system: &str,
    code: &str,
    as_of: Date,
) -> Result<Option<Value>, FhirError> {
    let mut best: Option<(Date, Value)> = None;
    for (label, o) in list {
        let coded = o.code.as_ref().is_some_and(|c| c.has(Some(system), code));
        let final_ = matches!(o.status.as_deref(), Some("final" | "amended" | "corrected"));
        if !coded || !final_ {
            continue;
        }
        let (when, path) = match (&o.effective_date_time, &o.effective_period, &o.issued) {
            (Some(t), _, _) => (Some(t), "effectiveDateTime"),
            (None, Some(p), _) => (p.start.as_ref(), "effectivePeriod.start"),
            (None, None, Some(t)) => (Some(t), "issued"),
            _ => (None, ""),
        };
        let Some(day) = when.map(|t| date(t, label, path)).transpose()?.flatten() else {
            continue;
        };
        let value = match (&o.value_quantity, &o.value_integer) {
            (Some(q), _) => q.value.clone(),
            (None, Some(n)) => Some(n.clone()),
            _ => None,
        };
        let Some(value) = value else { continue };
        if day <= as_of && best.as_ref().is_none_or(|(d, _)| day >= *d) {
            best = Some((day, Value::Number(value)));
        }
    }
    Ok(best.map(|(_, v)| v))
}

/// How many encounters of the classes started in the `months` before
/// `as_of` (after the same day `months` earlier, up to and including
/// `as_of`). One such encounter with no day to place it makes the count
/// unknown rather than low.
fn encounters(
    list: &[(String, Encounter)],
    classes: &[String],
    months: u16,
    as_of: Date,
) -> Result<Option<Value>, FhirError> {
    let from = as_of
        .checked_sub(jiff::Span::new().months(i64::from(months)))
        .map_err(|e| FhirError {
            resource: "the evaluation date".into(),
            path: ".".into(),
            message: e.to_string(),
        })?;
    let mut n = 0u64;
    for (label, e) in list {
        let class = e.class.as_ref().and_then(|c| c.code.as_deref());
        if !class.is_some_and(|c| classes.iter().any(|k| k == c)) {
            continue;
        }
        if matches!(
            e.status.as_deref(),
            Some("planned" | "cancelled" | "entered-in-error")
        ) {
            continue;
        }
        let start = e.period.as_ref().and_then(|p| p.start.as_deref());
        let Some(day) = start
            .map(|s| date(s, label, "period.start"))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        if day > from && day <= as_of {
            n += 1;
        }
    }
    Ok(Some(Value::from(n)))
}

/// The word of the first active coverage whose type the map knows. When
/// there are active coverages but the map knows none of their types, the
/// field is unknown; no active coverage at all gives `none` (when the
/// mapping names it).
fn coverage(list: &[(String, Coverage)], map: &[CodeMap], none: Option<&str>) -> Option<Value> {
    let active: Vec<&Coverage> = list
        .iter()
        .map(|(_, c)| c)
        .filter(|c| c.status.as_deref().is_none_or(|s| s == "active"))
        .collect();
    if active.is_empty() {
        return none.map(|w| Value::String(w.to_string()));
    }
    for c in &active {
        let codings = c
            .kind
            .as_ref()
            .map(|k| k.coding.as_slice())
            .unwrap_or_default();
        for entry in map {
            if codings
                .iter()
                .any(|k| entry.matches(k.system.as_deref(), k.code.as_deref()))
            {
                return Some(Value::String(entry.to.clone()));
            }
        }
    }
    None
}
