//! Rules: loading rule files and the knowledge base, running analyses, producing fixes.

pub mod knowledge;
pub mod load;
