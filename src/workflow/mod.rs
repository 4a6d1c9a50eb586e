//! The GitHub Actions model built over the CST: workflows, jobs, steps, token sources.

pub mod credentials;
pub mod listeners;
pub mod model;
pub mod position;
pub mod token;

pub use model::{Job, Step, Workflow};
