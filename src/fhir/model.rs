//! The FHIR R4 resources read and written, with only the elements used.
//! Elements not named here are ignored on the way in; on the way out only
//! what is set is written (`skip_serializing_if`), as FHIR JSON requires
//! (no nulls, no empty arrays).

use serde::{Deserialize, Serialize};

/// `Coding`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct Coding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `CodeableConcept`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// Whether any coding has this code (in this system, when given).
    pub fn has(&self, system: Option<&str>, code: &str) -> bool {
        self.coding.iter().any(|c| {
            c.code.as_deref() == Some(code) && system.is_none_or(|s| c.system.as_deref() == Some(s))
        })
    }

    /// Whether any coding's code is one of `codes`.
    pub fn has_code_in(&self, codes: &[&str]) -> bool {
        self.coding
            .iter()
            .any(|c| c.code.as_deref().is_some_and(|k| codes.contains(&k)))
    }
}

/// `Reference`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `Period`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Period {
    #[serde(default)]
    pub start: Option<String>,
}

/// `Quantity`: the value only; the unit is the code's (PHQ-9 is a score).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Quantity {
    #[serde(default)]
    pub value: Option<serde_json::Number>,
}

/// `Patient`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Patient {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// `Condition`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Condition {
    #[serde(default)]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(default)]
    pub verification_status: Option<CodeableConcept>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
}

/// `Observation`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Observation {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub effective_date_time: Option<String>,
    #[serde(default)]
    pub effective_period: Option<Period>,
    #[serde(default)]
    pub issued: Option<String>,
    #[serde(default)]
    pub value_quantity: Option<Quantity>,
    #[serde(default)]
    pub value_integer: Option<serde_json::Number>,
}

/// `Encounter`. R4's `class` is one Coding.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Encounter {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub class: Option<Coding>,
    #[serde(default)]
    pub period: Option<Period>,
}

/// `Coverage`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Coverage {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<CodeableConcept>,
}
