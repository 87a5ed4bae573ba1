//! The real binary in a real pseudo-terminal, its screen read through a VT100 emulator.
//! Shared by the terminal tests and the live benchmarks, which each use part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct Screen {
    parser: vt100::Parser,
    /// Every byte the program wrote, for checks on escape sequences and volume.
    pub raw: Vec<u8>,
    pub closed: bool,
    /// The reader has stopped taking output, like a stalled SSH link.
    paused: bool,
}

pub struct Pty {
    state: Arc<(Mutex<Screen>, Condvar)>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    pub dir: std::path::PathBuf,
}

impl Pty {
    /// Starts `shipdeck ARGS` in a fresh temporary directory at `cols` x `rows`.
    pub fn spawn(args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_with(args, &[], cols, rows)
    }

    /// The same, with environment variables `env` set for it.
    pub fn spawn_with(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
        let dir = std::env::temp_dir().join(format!(
            "shipdeck-pty-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ (args.len() as u128) ^ rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_shipdeck"));
        cmd.args(args);
        cmd.cwd(&dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env("USER", "pty-tester");
        cmd.env_remove("NO_COLOR");
        cmd.env("SSH_CLIENT", "192.0.2.7 50022 22");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn shipdeck");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let state = Arc::new((
            Mutex::new(Screen {
                parser: vt100::Parser::new(nz(rows), nz(cols), 0),
                raw: Vec::new(),
                closed: false,
                paused: false,
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                {
                    let (lock, cvar) = &*shared;
                    let _resumed = cvar.wait_while(lock.lock().unwrap(), |s| s.paused).unwrap();
                }
                let n = reader.read(&mut buf).unwrap_or(0);
                let (lock, cvar) = &*shared;
                let mut screen = lock.lock().unwrap();
                if n == 0 {
                    screen.closed = true;
                    cvar.notify_all();
                    return;
                }
                screen.parser.process(&buf[..n]);
                screen.raw.extend_from_slice(&buf[..n]);
                cvar.notify_all();
            }
        });
        Pty {
            state,
            writer,
            child,
            _master: pair.master,
            dir,
        }
    }

    /// Stops reading the program's output (after the read under way), so its writes fill
    /// the terminal's buffer and then block.
    pub fn pause_reading(&self) {
        self.state.0.lock().unwrap().paused = true;
    }

    pub fn resume_reading(&self) {
        let (lock, cvar) = &*self.state;
        lock.lock().unwrap().paused = false;
        cvar.notify_all();
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self._master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.state.0.lock().unwrap().parser.set_size(nz(rows), nz(cols));
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// The screen's text now.
    pub fn text(&self) -> String {
        self.state.0.lock().unwrap().parser.screen().contents()
    }

    pub fn raw_len(&self) -> usize {
        self.state.0.lock().unwrap().raw.len()
    }

    pub fn with_screen<T>(&self, f: impl FnOnce(&Screen) -> T) -> T {
        f(&self.state.0.lock().unwrap())
    }

    /// Waits until the screen satisfies `pred` (true) or `limit` passes (false). Wakes on
    /// every write from the program: this waits for a condition, it is not a sleep.
    pub fn wait_for(&self, limit: Duration, mut pred: impl FnMut(&str) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let (lock, cvar) = &*self.state;
        let mut screen = lock.lock().unwrap();
        loop {
            if pred(&screen.parser.screen().contents()) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || screen.closed {
                return pred(&screen.parser.screen().contents());
            }
            screen = cvar.wait_timeout(screen, deadline - now).unwrap().0;
        }
    }

    /// Waits until the program has written nothing for `quiet` (a whole frame is on
    /// screen), or `limit` passes; true if it went quiet.
    pub fn wait_quiet(&self, quiet: Duration, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let (lock, cvar) = &*self.state;
        let mut screen = lock.lock().unwrap();
        loop {
            let len = screen.raw.len();
            let (next, timeout) = cvar.wait_timeout_while(screen, quiet, |s| s.raw.len() == len).unwrap();
            screen = next;
            if timeout.timed_out() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
        }
    }

    pub fn wait_text(&self, needle: &str, limit: Duration) -> bool {
        self.wait_for(limit, |s| s.contains(needle))
    }

    /// Waits for the program to exit; its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<u32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.exit_code());
            }
            // Exit is not signalled through the screen; poll the child briefly.
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("child pid")
    }

    pub fn alternate_screen(&self) -> bool {
        self.state.0.lock().unwrap().parser.screen().alternate_screen()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) as u128 * 1_000_003
}

fn nz(v: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(v).expect("a terminal has at least one row and column")
}
