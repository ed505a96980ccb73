//! What the fuzz targets share: the reference engine, built once, and the
//! fixed profiles and contexts a rule set that loads is evaluated against.

use careplan::{Engine, FieldKind, LoadOptions};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// The reference policy, compiled once per process.
pub fn reference() -> Option<&'static Engine> {
    static ENGINE: OnceLock<Option<Engine>> = OnceLock::new();
    ENGINE.get_or_init(|| careplan::reference().ok()).as_ref()
}

/// `examples/context.json`: two programs with case managers at their limit.
pub fn reference_context() -> Value {
    json!({"caseloads": {
        "intensive_case_management": {"cm-ana": 19, "cm-ben": 19},
        "standard_case_management": {"cm-cy": 31}
    }})
}

/// Loads one rule file with the default limits.
pub fn load_one(text: &str) -> Option<Engine> {
    careplan::load_sources(&[("fuzz.rules", text)], &LoadOptions::default()).ok()
}

/// Profiles for any schema: empty, every field at a "low" value, every
/// field at a "high" value, and the reference example client (whose fields
/// an arbitrary schema mostly ignores).
pub fn profiles_for(engine: &Engine) -> Vec<Value> {
    let mut out = vec![json!({})];
    for high in [false, true] {
        let mut m = Map::new();
        for f in engine.fields() {
            let values = f.values();
            let v = match f.kind() {
                FieldKind::Integer => {
                    let d = if high { f.max() } else { f.min() };
                    d.map_or(json!(if high { 7 } else { 0 }), |d| number(&d.to_string()))
                }
                FieldKind::Decimal => {
                    let d = if high { f.max() } else { f.min() };
                    d.map_or(number(if high { "1835.40" } else { "0.5" }), |d| {
                        number(&d.to_string())
                    })
                }
                FieldKind::Boolean => json!(high),
                FieldKind::Text => json!(if high { "serious_mental_illness" } else { "x" }),
                FieldKind::OneOf => {
                    let v = if high { values.last() } else { values.first() };
                    v.map_or(Value::Null, |v| json!(v))
                }
                FieldKind::SetOfText => json!(if high {
                    vec!["serious_mental_illness", "food", "x"]
                } else {
                    vec![]
                }),
                FieldKind::SetOf => {
                    if high {
                        json!(values)
                    } else {
                        json!(values.first().into_iter().collect::<Vec<_>>())
                    }
                }
                // Past days, so that `not in the future` bounds hold; a
                // 29 February for the anniversary rules.
                FieldKind::Date => json!(if high { "2024-02-29" } else { "1990-05-17" }),
                // The most intensive program, or none (an intake).
                FieldKind::Program => {
                    let first = engine.programs().next().map(|p| p.id().to_string());
                    match (high, first) {
                        (true, Some(id)) => json!(id),
                        _ => json!("none"),
                    }
                }
            };
            m.insert(f.name().to_string(), v);
        }
        out.push(Value::Object(m));
    }
    out.push(json!({
        "id": "c-001", "age": 34, "housing": "homeless",
        "diagnoses": ["serious_mental_illness", "substance_use_disorder"],
        "hospital_admissions_12m": 2, "ed_visits_6m": 5, "phq9": 14,
        "monthly_income": number("850.00"), "household_size": 1, "insurance": "none",
        "medication_adherence": number("0.65"), "needs": ["housing", "food", "health"],
        "current_treatments": ["medication"], "violence_risk": false
    }));
    out
}

/// Contexts for any rule set: none, every program full, every program
/// with room, and every program listed with no case managers.
pub fn contexts_for(engine: &Engine) -> Vec<Option<Value>> {
    let mut full = Map::new();
    let mut room = Map::new();
    let mut empty = Map::new();
    for p in engine.programs() {
        let limit = p.caseload_limit().unwrap_or(10);
        full.insert(
            p.id().to_string(),
            json!({"cm-a": limit, "cm-b": limit + 1}),
        );
        room.insert(p.id().to_string(), json!({"cm-a": 0}));
        empty.insert(p.id().to_string(), json!({}));
    }
    vec![
        None,
        Some(json!({ "caseloads": full })),
        Some(json!({ "caseloads": room })),
        Some(json!({ "caseloads": empty })),
    ]
}

/// A JSON number from its decimal text, kept exactly (`arbitrary_precision`).
pub fn number(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Evaluates and explains a profile; nothing may panic, and a report must
/// serialise.
pub fn exercise(engine: &Engine, profile: &Value, context: Option<&Value>) {
    if let Ok(report) = engine.evaluate_json(profile, context) {
        let _ = report.to_json();
    }
    if let Ok(p) = engine.profile(profile) {
        let caseloads = context.and_then(|c| engine.caseloads(c).ok());
        let _ = engine.explain(&p, caseloads.as_ref());
        // The compiled program and the tree walker decide alike, errors
        // included; the lean outcomes never fail where the report does not.
        assert_eq!(
            engine.decide(&p, caseloads.as_ref()),
            engine.decide_walking(&p, caseloads.as_ref()),
            "program and walker differ on {profile}"
        );
        assert_eq!(
            engine.outcomes(&p, caseloads.as_ref()).is_ok(),
            engine.evaluate(&p, caseloads.as_ref()).is_ok()
        );
    }
    // JSON bytes read as the `Value` is read.
    let bytes = profile.to_string();
    assert_eq!(
        engine.profile_from_slice(bytes.as_bytes()),
        engine.profile(profile),
        "byte and Value readers differ on {bytes}"
    );
}
