#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// pest_derive without `std` (see Cargo.toml) names `alloc` in the code it
// generates.
extern crate alloc;

mod check;
mod compile;
pub mod date;
mod decimal;
mod diagnostic;
mod engine;
mod eval;
#[cfg(feature = "fhir")]
pub mod fhir;
pub mod format;
pub mod harness;
mod ir;
mod limits;
mod load;
mod profile;
mod report;
pub mod review;
mod script;
// Public only for the formatter's round-trip tests, which compare syntax
// trees; not part of the API.
#[doc(hidden)]
pub mod syntax;
mod view;

pub use diagnostic::{Code, Diagnostic, Location, Severity as DiagnosticSeverity, Span};
pub use engine::Engine;
pub use eval::{
    Clause, ClauseTrace, Decision, EvalError, ItemOutcome, ItemTrace, Trace, Transition, Truth,
};
pub use format::format_source;
pub use ir::{Priority, Severity};
pub use limits::Limits;
pub use load::{LoadError, LoadOptions, REFERENCE_RULES, load_dir, load_sources, reference};
pub use profile::{Caseloads, InputError, Profile, read_json};
pub use report::{
    Held, Kind, ProgramItem, Referral, Report, Reported, Status, TransitionItem, TransitionKind,
    Undetermined, Warning, Why,
};
pub use review::{PreviousReport, Review, ReviewError};
pub use view::{FieldKind, FieldView, ItemView};
