//! Reading a small file a person names (a plan, a theme, a secret, samples): only a regular
//! file, never more than a limit. A pipe or a device may block for ever or never end, and
//! /dev/zero would fill the memory.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

#[derive(Debug)]
pub enum ReadError {
    NotFound,
    PermissionDenied,
    Directory,
    /// A device, a pipe or a socket.
    NotRegular,
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    NotUtf8 {
        offset: usize,
    },
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("does not exist"),
            ReadError::PermissionDenied => f.write_str("cannot be read: permission denied"),
            ReadError::Directory => f.write_str("is a directory, not a file"),
            ReadError::NotRegular => f.write_str("is not a regular file (a device, pipe or socket?)"),
            ReadError::TooLarge { bytes, limit } => {
                write!(f, "is {bytes} bytes, more than the {} this file may be", size(*limit))
            }
            ReadError::NotUtf8 { offset } => write!(f, "is not UTF-8 text (at byte {offset})"),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

impl std::error::Error for ReadError {}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => ReadError::NotFound,
        io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
        _ => ReadError::Io(e),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    // Checked before opening: opening a pipe for reading waits for a writer.
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            bytes: meta.len(),
            limit,
        });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The file may have grown since `metadata`: never read past the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// The UTF-8 text of the regular file at `path`, at most `limit` bytes of it.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|e| ReadError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, "hello").unwrap();
        assert_eq!(read_text(&small, 5).unwrap(), "hello");
        assert!(matches!(
            read_text(&small, 4),
            Err(ReadError::TooLarge { bytes: 5, limit: 4 })
        ));
        assert!(matches!(
            read_text(Path::new("/dev/zero"), 1 << 20),
            Err(ReadError::NotRegular)
        ));
        assert!(matches!(read_text(dir.path(), 10), Err(ReadError::Directory)));
        assert!(matches!(
            read_text(&dir.path().join("none"), 10),
            Err(ReadError::NotFound)
        ));
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            // Would block for ever if opened.
            assert!(matches!(read_text(&fifo, 10), Err(ReadError::NotRegular)));
        }
        std::fs::write(&small, [0x66, 0xff]).unwrap();
        assert!(matches!(read_text(&small, 10), Err(ReadError::NotUtf8 { offset: 1 })));
        assert_eq!(
            ReadError::TooLarge {
                bytes: 70_000,
                limit: 64 << 10
            }
            .to_string(),
            "is 70000 bytes, more than the 64 KiB this file may be"
        );
    }
}
