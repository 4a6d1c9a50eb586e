//! Output for people and machines: diffs, findings, JSON, SARIF and GitHub annotations.

pub mod diff;
pub mod findings;
