//! The cockpit's frames reach the terminal from a thread of their own. A terminal that stops
//! reading (an SSH link that stalls without dropping) then blocks that thread, never the loop
//! that runs the release: rollback, the judge and the keys keep working. While the thread is
//! still writing, a new frame is dropped rather than queued, and the loop repaints the whole
//! screen once there is room again.

use std::io::{self, Write};

pub use super::writer_thread::Dropped;
use super::writer_thread::{Busy, WriterThread};

/// `Write` for ratatui's backend: collects a frame's bytes and hands them over on `flush`.
pub struct FrameWriter {
    pending: Vec<u8>,
    thread: WriterThread,
}

impl FrameWriter {
    /// Starts the thread that writes frames to `out`; `Dropped` says when the screen missed
    /// one.
    pub fn spawn(out: impl Write + Send + 'static) -> io::Result<(FrameWriter, Dropped)> {
        let thread = WriterThread::spawn("terminal-writer", out, Busy::Drop)?;
        let dropped = thread.dropped();
        Ok((
            FrameWriter {
                pending: Vec::new(),
                thread,
            },
            dropped,
        ))
    }
}

impl Write for FrameWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.thread.send(std::mem::take(&mut self.pending))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Condvar, Mutex};

    use super::*;

    #[derive(Default)]
    struct Output {
        released: bool,
        written: Vec<u8>,
    }

    /// An output that blocks until released, like a terminal nobody reads.
    #[derive(Clone, Default)]
    struct Stalled {
        state: Arc<(Mutex<Output>, Condvar)>,
    }

    impl Stalled {
        fn release(&self) {
            let (lock, wake) = &*self.state;
            lock.lock().unwrap().released = true;
            wake.notify_all();
        }

        fn written(&self) -> Vec<u8> {
            self.state.0.lock().unwrap().written.clone()
        }
    }

    impl Write for Stalled {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let (lock, wake) = &*self.state;
            let mut state = wake.wait_while(lock.lock().unwrap(), |s| !s.released).unwrap();
            state.written.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_terminal_never_blocks_a_frame_and_drops_are_reported() {
        let out = Stalled::default();
        let (mut writer, dropped) = FrameWriter::spawn(out.clone()).unwrap();
        // The thread takes the first frame and blocks in it; one more waits; the rest drop.
        for frame in 0..50u8 {
            writer.write_all(&[frame]).unwrap();
            writer.flush().unwrap();
        }
        assert!(dropped.take(), "frames beyond the queue are dropped");
        assert!(!dropped.take(), "reported once");
        out.release();
        drop(writer);
        let written = out.written();
        assert!(written.starts_with(&[0]) && written.len() < 50, "{written:?}");
    }

    #[test]
    fn a_closed_terminal_is_an_error() {
        struct Gone;
        impl Write for Gone {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("EIO"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (mut writer, _) = FrameWriter::spawn(Gone).unwrap();
        let mut failed = false;
        // The thread ends at its first write; a later flush finds the channel closed.
        while !failed {
            writer.write_all(b"x").unwrap();
            failed = match writer.flush() {
                Ok(()) => {
                    std::thread::yield_now();
                    false
                }
                Err(e) => e.kind() == io::ErrorKind::BrokenPipe,
            };
        }
        assert!(failed);
    }
}
