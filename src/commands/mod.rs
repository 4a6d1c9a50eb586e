//! One module per subcommand: reads files, calls the library, prints, returns an exit code.

pub mod diagnose;
pub mod edit;
pub mod migrate;
pub mod publish;
pub mod run;

/// Exit code: nothing left to fix.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings remain.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_INPUT: u8 = 2;
/// Exit code: a fix was refused by verification.
pub const EXIT_REFUSED: u8 = 3;

/// Prints a one-line input error (credentials masked) and gives its exit code.
pub fn input_error(e: impl std::fmt::Display) -> u8 {
    crate::eprintln_masked!("ghfix: {e}");
    EXIT_INPUT
}
