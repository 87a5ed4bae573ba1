//! Provisional: replaced by the plan checker.
use std::io::Write;
use std::path::PathBuf;

pub fn run(paths: &[PathBuf], out: &mut impl Write, err: &mut impl Write) -> i32 {
    let mut code = 0;
    for path in paths {
        match crate::plan::load(path) {
            Ok(_) => {
                let _ = writeln!(out, "{}: ok", path.display());
            }
            Err(errors) => {
                code = 2;
                for e in errors {
                    let _ = writeln!(err, "{e}");
                }
            }
        }
    }
    code
}
