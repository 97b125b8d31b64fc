fn main() -> std::process::ExitCode {
    incognito::cli::run()
}
