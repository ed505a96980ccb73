#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// pest_derive without `std` (see Cargo.toml) names `alloc` in the code it
// generates.
extern crate alloc;

pub mod cases;
pub mod check;
mod compile;
pub mod coverage;
pub mod decimal;
pub mod diagnostic;
mod engine;
pub mod eval;
pub mod format;
pub mod ir;
mod limits;
mod load;
pub mod profile;
pub mod report;
pub mod script;
pub mod syntax;
mod view;

pub use diagnostic::{Diagnostic, Severity as DiagnosticSeverity, SourceMap};
pub use engine::Engine;
pub use eval::{Decision, EvalError, Truth};
pub use limits::Limits;
pub use load::{LoadError, LoadOptions, REFERENCE_RULES, load_dir, load_sources, reference};
pub use profile::{Caseloads, InputError, Profile, read_json};
pub use report::{Kind, Report};
pub use view::{FieldKind, FieldView, ItemView};
