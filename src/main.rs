use std::process::ExitCode;

fn main() -> ExitCode {
    assume_role::main()
}
