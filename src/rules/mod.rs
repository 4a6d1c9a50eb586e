//! Rules: loading rule files and the knowledge base, running analyses, producing fixes.

pub mod app_token;
pub mod downstream;
pub mod engine;
pub mod knowledge;
pub mod lang;
pub mod load;
pub mod metadata;
pub mod online;
pub mod permissions;
pub mod schema;
pub mod shell;
