use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YORUBE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,yorube=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = yorube::cli::Cli::parse();
    match yorube::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("エラー: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
