//! FHIR R4 in both directions (feature `fhir`).
//!
//! - **In**: a rule set declares, as data, how each schema field is read
//!   from FHIR resources ([`Mapping`], the rules directory's `fhir.yaml`),
//!   checked against the engine's schema when it is loaded. [`profile`]
//!   turns a bundle ([`Resources`]) into a profile (a JSON object) that the
//!   engine reads like any other, so a bundle and the equivalent JSON
//!   profile give the same report. Absent data stays absent (unknown);
//!   a resource the model cannot read is a [`FhirError`] naming it.
//! - **Out**: [`care_plan`] turns a report into a CarePlan shaped like the
//!   result of the Clinical Reasoning module's `PlanDefinition/$apply`: its
//!   activity references a contained RequestGroup whose actions reference
//!   contained ServiceRequests (one per referral); warnings are contained
//!   DetectedIssues.
//!
//! The resources are a small hand-written serde model of only the elements
//! used (`model.rs`), not a generated crate of the whole specification.
//!
//! ```
//! use careplan::fhir::{Mapping, Resources};
//! use serde_json::json;
//! let engine = careplan::reference().unwrap();
//! let mapping = Mapping::check(&json!({"fields": {
//!     "id": {"from": "Patient.id"},
//!     "age": {"from": "Patient.birthDate"}
//! }}), "fhir.json", &engine).unwrap();
//! let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
//!     {"resource": {"resourceType": "Patient", "id": "p-1", "birthDate": "1990-06-01"}}
//! ]});
//! let resources = Resources::from_bundle(&bundle).unwrap();
//! let as_of = jiff::civil::date(2026, 5, 31);
//! let profile = careplan::fhir::profile(&mapping, &resources, as_of).unwrap();
//! assert_eq!(profile, json!({"id": "p-1", "age": 35}));
//! let report = engine.evaluate_json(&profile, None).unwrap();
//! let plan = careplan::fhir::care_plan(&report, &careplan::fhir::PlanOptions::new(as_of));
//! assert_eq!(plan["resourceType"], "CarePlan");
//! ```

mod bundle;
mod careplan;
mod mapping;
mod model;

pub use bundle::{FhirError, Resources, profile};
pub use careplan::{PlanOptions, care_plan};
pub use mapping::{Mapping, MappingError};
