//! Work on a thread of its own with a tokio runtime of its own, stopped when dropped: how a
//! test runs the service or the load generator inside its process, whatever runtime (if any)
//! the test itself uses, and with nothing left behind when the test ends or panics.

use std::future::Future;
use std::io;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// Running work; dropping it stops the work and waits for its thread to end.
#[derive(Debug)]
pub struct Background {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Runs the future `work` makes on a new thread called `name`, until it ends or this is
    /// dropped. The future is made on that thread, so it need not be `Send`.
    pub fn spawn<W, F>(name: &str, work: W) -> io::Result<Background>
    where
        W: FnOnce() -> F + Send + 'static,
        F: Future<Output = ()> + 'static,
    {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name(name.to_string()).spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = work() => {}
                    // Sent or dropped: either way, stop.
                    _ = stopped => {}
                }
            });
            // The runtime drops here, and with it every task the work spawned and every
            // socket those tasks held.
        })?;
        Ok(Background {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A panic on that thread was already reported there; the owner is going away.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_stops_work_that_would_never_end() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let work = Background::spawn("forever", move || async move {
            // Dropped with the runtime when the work stops, which closes the channel.
            let _held = tx;
            std::future::pending::<()>().await;
        })
        .unwrap();
        drop(work);
        assert!(rx.recv().is_err(), "the work's sender is gone once drop returns");
    }

    #[test]
    fn spawned_tasks_end_with_the_work() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let work = Background::spawn("spawner", move || async move {
            tokio::spawn(async move {
                let _held = tx;
                std::future::pending::<()>().await;
            });
            std::future::pending::<()>().await;
        })
        .unwrap();
        drop(work);
        assert!(rx.recv().is_err(), "the spawned task was dropped with the runtime");
    }
}
