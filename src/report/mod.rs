//! Output for people and machines: diffs, findings, JSON, SARIF and GitHub annotations.

pub mod campaign;
pub mod diff;
pub mod findings;
pub mod human;
pub mod markdown;

/// `print!` with every credential masked (see `workflow::credentials`).
#[macro_export]
macro_rules! print_masked {
    ($($t:tt)*) => { print!("{}", $crate::workflow::credentials::mask(&format!($($t)*))) };
}

/// `println!` with every credential masked.
#[macro_export]
macro_rules! println_masked {
    ($($t:tt)*) => { println!("{}", $crate::workflow::credentials::mask(&format!($($t)*))) };
}

/// `eprint!` with every credential masked.
#[macro_export]
macro_rules! eprint_masked {
    ($($t:tt)*) => { eprint!("{}", $crate::workflow::credentials::mask(&format!($($t)*))) };
}

/// `eprintln!` with every credential masked.
#[macro_export]
macro_rules! eprintln_masked {
    ($($t:tt)*) => { eprintln!("{}", $crate::workflow::credentials::mask(&format!($($t)*))) };
}
