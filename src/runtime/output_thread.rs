//! Headless output reaches stdout from a thread of its own: a pipe nobody drains (a stalled
//! CI log collector) blocks that thread, never the loop that runs the release. Lines are
//! queued rather than dropped, since they are the run's record on the runner; at a line or
//! two a second, even a day's stall queues a few megabytes.

use std::io::{self, Write};

use super::writer_thread::{Busy, WriterThread};

pub struct OutputThread {
    thread: WriterThread,
}

impl OutputThread {
    /// Starts the thread that writes to `out`.
    pub fn spawn(out: impl Write + Send + 'static) -> io::Result<OutputThread> {
        Ok(OutputThread {
            thread: WriterThread::spawn("output", out, Busy::Queue)?,
        })
    }
}

impl Write for OutputThread {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.thread.send(bytes.to_vec())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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
