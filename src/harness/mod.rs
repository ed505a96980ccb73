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
