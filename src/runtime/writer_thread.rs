//! Output written from a thread of its own, so an output that stops taking bytes (a stalled
//! SSH link, a CI log collector nobody drains) blocks that thread, never the loop that runs
//! the release. What happens to bytes that arrive while the thread is busy is the policy:
//! the cockpit's frames are dropped (the next frame repaints all), headless lines are
//! queued (they are the run's record on the runner).

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::thread::JoinHandle;

/// What to do with bytes the thread has no room for yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// One chunk in hand and one waiting; any more are dropped and `Dropped` is set.
    Drop,
    /// Every chunk is queued and written in order.
    Queue,
}

/// Set when a chunk was dropped: what the output shows may differ from what was sent.
#[derive(Clone, Default)]
pub struct Dropped(Arc<AtomicBool>);

impl Dropped {
    /// Whether a chunk was dropped since the last call.
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }
}

enum Chunks {
    Bounded(SyncSender<Vec<u8>>),
    Unbounded(Sender<Vec<u8>>),
}

pub struct WriterThread {
    chunks: Option<Chunks>,
    thread: Option<JoinHandle<()>>,
    dropped: Dropped,
}

impl WriterThread {
    /// Starts the thread `name` writing to `out`.
    pub fn spawn(name: &str, out: impl Write + Send + 'static, busy: Busy) -> io::Result<WriterThread> {
        let (chunks, queue) = match busy {
            Busy::Drop => {
                let (tx, rx) = sync_channel(1);
                (Chunks::Bounded(tx), rx)
            }
            Busy::Queue => {
                let (tx, rx) = channel();
                (Chunks::Unbounded(tx), rx)
            }
        };
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || write_all(queue, out))?;
        Ok(WriterThread {
            chunks: Some(chunks),
            thread: Some(thread),
            dropped: Dropped::default(),
        })
    }

    pub fn dropped(&self) -> Dropped {
        self.dropped.clone()
    }

    /// Hands `bytes` over; never blocks. An error once the output is gone (the thread ended
    /// at a failed write).
    pub fn send(&self, bytes: Vec<u8>) -> io::Result<()> {
        let gone = || io::Error::new(io::ErrorKind::BrokenPipe, "the output stopped taking bytes");
        match self.chunks.as_ref().ok_or_else(gone)? {
            Chunks::Unbounded(tx) => tx.send(bytes).map_err(|_| gone()),
            Chunks::Bounded(tx) => match tx.try_send(bytes) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_)) => {
                    self.dropped.0.store(true, Ordering::Relaxed);
                    Ok(())
                }
                Err(TrySendError::Disconnected(_)) => Err(gone()),
            },
        }
    }
}

fn write_all(queue: Receiver<Vec<u8>>, mut out: impl Write) {
    for chunk in queue {
        // The output is gone: the sender learns it from the closed channel.
        if out.write_all(&chunk).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

impl Drop for WriterThread {
    /// Everything handed over is written before the process goes on (to restore the
    /// terminal behind the last frame, or to exit).
    fn drop(&mut self) {
        self.chunks = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
