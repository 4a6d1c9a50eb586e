//! The concrete-syntax YAML editor: parses with tree-sitter, edits by byte splices that keep
//! comments and layout, and verifies every batch of edits before it is used. Knows YAML, nothing
//! of GitHub.

pub mod document;
pub mod edit;
pub mod load;
pub mod path;
pub mod scalar;
pub mod style;
pub mod verify;

pub use document::{Document, ParseError};
pub use edit::{apply, EditError, Op, Place};
pub use path::{Path, Segment};

/// A new value to write: JSON's data model, with key order kept.
pub type Value = serde_json::Value;
