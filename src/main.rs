//! The `ghfix` binary: parses the command line, calls the library, maps errors to exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use ghfix::cli::{Cli, ColorChoice, Command};
use ghfix::commands;

fn main() -> ExitCode {
    // A reader that stops early (`ghfix explain RULE | head`) ends the output quietly, as with
    // any Unix filter, instead of a panic on the broken pipe.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let colour = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let code = match cli.command {
        Command::Edit(args) => {
            let sub = matches.subcommand_matches("edit").expect("edit was parsed");
            commands::edit::run(&args, &commands::edit::order(sub), colour)
        }
        Command::Check(args) => commands::run::check(&args, colour),
        Command::Migrate(args) => commands::migrate::run(&args),
        Command::Apply(args) => commands::run::apply(&args, colour),
        Command::Rules(args) => commands::run::list_rules(args.rules_dir.as_deref()),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "ghfix", &mut std::io::stdout());
            0
        }
        Command::Man => {
            let page = clap_mangen::Man::new(Cli::command());
            match page.render(&mut std::io::stdout()) {
                Ok(()) => 0,
                Err(e) => commands::input_error(e),
            }
        }
        Command::Explain { rule, rules_dir } => {
            commands::run::explain(&rule, rules_dir.as_deref(), colour)
        }
        Command::Diagnose {
            log,
            workflow,
            format,
        } => commands::diagnose::run(
            &log,
            workflow.as_deref(),
            format == ghfix::cli::Format::Json,
        ),
        Command::Config { config, .. } => commands::run::print_config(config.as_deref()),
        Command::Schema => {
            print!("{}", ghfix::rules::schema::Rule::json_schema());
            0
        }
        Command::TestRules(args) => commands::run::test_rules(args.rules_dir.as_deref()),
    };
    ExitCode::from(code)
}
