//! ghfix: repairs GitHub Actions workflows in place with format-preserving, verified edits.
//!
//! Data flows one way: bytes -> [`cst::Document`] -> workflow model -> rules -> verified edits ->
//! output. The editor in [`cst`] knows YAML and nothing of GitHub.

pub mod cli;
pub mod commands;
pub mod config;
pub mod cst;
pub mod files;
pub mod git;
pub mod github;
pub mod report;
pub mod rules;
pub mod workflow;
