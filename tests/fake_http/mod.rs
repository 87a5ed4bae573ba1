//! A small HTTP/1.1 answerer on 127.0.0.1 for tests: one thread reads each request's head
//! and answers with what `answer` makes of its request line, then closes the connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};

/// An answer: status, content type, body.
pub type Answer = (u16, &'static str, String);

pub fn serve(answer: impl Fn(&str) -> Answer + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head);
            let (status, content_type, body) = answer(text.lines().next().unwrap_or_default());
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    addr
}
