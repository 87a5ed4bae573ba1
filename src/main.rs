use clap::Parser;

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = shipdeck::cli::Cli::parse();
    let code = shipdeck::app::main(cli)?;
    std::process::exit(code);
}
