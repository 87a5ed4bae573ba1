//! Headless output reaches stdout from a thread of its own: a pipe nobody drains (a stalled
//! CI log collector) blocks that thread, never the loop that runs the release. Lines are
//! queued rather than dropped, since they are the run's record on the runner; at a line or
//! two a second, even a day's stall queues a few megabytes.

use std::io::{self, Write};
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

pub struct OutputThread {
    lines: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl OutputThread {
    /// Starts the thread that writes to `out`.
    pub fn spawn(mut out: impl Write + Send + 'static) -> io::Result<OutputThread> {
        let (lines, queue) = channel::<Vec<u8>>();
        let thread = std::thread::Builder::new().name("output".into()).spawn(move || {
            for bytes in queue {
                // Stdout is gone: the loop learns it from the closed channel.
                if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
                    return;
                }
            }
        })?;
        Ok(OutputThread {
            lines: Some(lines),
            thread: Some(thread),
        })
    }

    fn closed() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "standard output stopped taking output")
    }
}

impl Write for OutputThread {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let lines = self.lines.as_ref().ok_or_else(Self::closed)?;
        lines.send(bytes.to_vec()).map_err(|_| Self::closed())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for OutputThread {
    /// Everything queued is written before the process goes on to exit.
    fn drop(&mut self) {
        self.lines = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// An output that cannot be written until the test lets go of its lock.
    #[derive(Clone, Default)]
    struct Held(Arc<Mutex<Vec<u8>>>);

    impl Write for Held {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_never_wait_for_the_output_and_all_of_it_arrives() {
        let out = Held::default();
        let blocked = out.0.lock().unwrap();
        let mut writer = OutputThread::spawn(out.clone()).unwrap();
        for i in 0..1000 {
            writeln!(writer, "line {i}").unwrap();
        }
        drop(blocked);
        drop(writer);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.ends_with("line 999\n"));
    }
}
