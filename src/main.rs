use clap::Parser;

fn main() {
    // color-eyre's hooks report panics and keep the terminal usable; errors a person can
    // fix (a bad plan, no terminal, an unwritable journal) are printed plainly instead.
    if let Err(e) = color_eyre::install() {
        shipdeck::stderr::say(format_args!("shipdeck: {e}"));
    }
    shipdeck::tls::choose_crypto_provider();
    let cli = shipdeck::cli::Cli::parse();
    match shipdeck::app::main(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            shipdeck::stderr::say(format_args!("shipdeck: {e:#}"));
            std::process::exit(1);
        }
    }
}
