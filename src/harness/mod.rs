//! What the `careplan` binary, the tests and the benches share beyond the
//! engine: test cases and the suite runner, condition coverage, synthetic
//! populations, timing and counting over a population, comparing two rule
//! sets over a population, and ordered parallel JSON Lines batches.
//!
//! Everything here returns data; reading case files from disk and rendering
//! for people (or as the CLI's JSON) belong to the binary.

pub mod batch;
pub mod cases;
pub mod compare;
pub mod coverage;
pub mod measure;
#[cfg(feature = "population")]
pub mod population;
pub mod suite;

/// The candidate closest to a name the user mistyped, if one is close
/// enough to be what they meant: for "did you mean …?" hints.
///
/// ```
/// let ids = ["housing_services", "food_assistance"];
/// assert_eq!(
///     careplan::harness::did_you_mean("housing_service", ids.into_iter()),
///     Some("housing_services")
/// );
/// assert_eq!(careplan::harness::did_you_mean("xyz", ids.into_iter()), None);
/// ```
pub use crate::diagnostic::did_you_mean;
