//! The only place with tokio tasks, channels and I/O: it runs backends, executes the
//! engine's effects, writes the journal and owns the terminal.

pub mod deploys;
pub mod frame_writer;
pub mod headless;
pub mod journal_writer;
pub mod operator;
pub mod output_thread;
pub mod session;
pub mod signals;
pub mod stop;
pub mod tasks;
pub mod tui;
pub mod weights;
pub mod writer_thread;

pub use session::{Backends, Session};
