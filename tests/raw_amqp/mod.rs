//! A minimal AMQP 0-9-1 publisher written against the wire directly: it sends header
//! tables given as raw bytes, so a test can publish what no client library would
//! encode (lapin serialises tables recursively, and a table nested thousands deep would
//! overflow the test's own I/O thread before it reached the broker).
//!
//! It speaks just enough of the protocol: handshake (PLAIN, guest), one channel in
//! confirm mode, `basic.publish` with a content header whose properties are
//! `content-type`, `headers` (raw bytes) and `message-id`, and waits for each
//! publish's `basic.ack`. Blocking I/O: call it from `spawn_blocking`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const FRAME_METHOD: u8 = 1;
const FRAME_HEADER: u8 = 2;
const FRAME_BODY: u8 = 3;
const FRAME_HEARTBEAT: u8 = 8;
const FRAME_END: u8 = 0xCE;

/// One publisher connection with one channel in confirm mode.
pub struct RawPublisher {
    stream: TcpStream,
    frame_max: u32,
}

/// A `u32` length prefix and `bytes`: a field table's or long string's encoding.
pub fn long(bytes: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(bytes.len())
        .expect("under 4 GiB")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(bytes);
    out
}

fn short(text: &str) -> Vec<u8> {
    let mut out = vec![u8::try_from(text.len()).expect("a short string")];
    out.extend_from_slice(text.as_bytes());
    out
}

/// A headers table of `entries`, each `(name, type byte, encoded value)`.
pub fn table(entries: &[(&str, u8, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, kind, value) in entries {
        body.extend(short(name));
        body.push(*kind);
        body.extend_from_slice(value);
    }
    long(&body)
}

/// `levels` field tables nested in one another (`{"a": {"a": ... {}}}`), encoded
/// without recursion: 7 bytes a level.
pub fn nested_tables(levels: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(7 * levels);
    for level in 1..levels {
        let inner = 7 * (levels - level - 1) + 4;
        bytes.extend_from_slice(&(3 + u32::try_from(inner).expect("small")).to_be_bytes());
        bytes.extend_from_slice(&[1, b'a', b'F']);
    }
    bytes.extend_from_slice(&0u32.to_be_bytes());
    bytes
}

/// `levels` field arrays nested in one another (`[[[...]]]`): 5 bytes a level.
pub fn nested_arrays(levels: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(5 * levels);
    for level in 1..=levels {
        let inner = 5 * (levels - level);
        bytes.extend_from_slice(&u32::try_from(inner).expect("small").to_be_bytes());
        if level < levels {
            bytes.push(b'A');
        }
    }
    bytes
}

impl RawPublisher {
    /// Connects to 127.0.0.1:5672 as guest, opens channel 1 and selects confirms.
    pub fn connect() -> Self {
        let stream = TcpStream::connect("127.0.0.1:5672").expect("connect to 127.0.0.1:5672");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("set a read timeout");
        let mut p = Self {
            stream,
            frame_max: 4096,
        };
        p.stream.write_all(b"AMQP\x00\x00\x09\x01").expect("write");
        p.expect_method(0, (10, 10)); // connection.start
        let mut start_ok = vec![0, 10, 0, 11];
        start_ok.extend(long(&[])); // client properties
        start_ok.extend(short("PLAIN"));
        start_ok.extend(long(b"\0guest\0guest"));
        start_ok.extend(short("en_US"));
        p.send(FRAME_METHOD, 0, &start_ok);
        let tune = p.expect_method(0, (10, 30));
        let channel_max = [tune[4], tune[5]];
        p.frame_max = u32::from_be_bytes([tune[6], tune[7], tune[8], tune[9]]);
        let mut tune_ok = vec![0, 10, 0, 31];
        tune_ok.extend_from_slice(&channel_max);
        tune_ok.extend_from_slice(&p.frame_max.to_be_bytes());
        tune_ok.extend_from_slice(&0u16.to_be_bytes()); // no heartbeats
        p.send(FRAME_METHOD, 0, &tune_ok);
        let mut open = vec![0, 10, 0, 40];
        open.extend(short("/"));
        open.extend(short(""));
        open.push(0);
        p.send(FRAME_METHOD, 0, &open);
        p.expect_method(0, (10, 41));
        let mut channel_open = vec![0, 20, 0, 10];
        channel_open.extend(short(""));
        p.send(FRAME_METHOD, 1, &channel_open);
        p.expect_method(1, (20, 11));
        p.send(FRAME_METHOD, 1, &[0, 85, 0, 10, 0]); // confirm.select
        p.expect_method(1, (85, 11));
        p
    }

    /// The largest frame the broker accepts on this connection.
    pub fn frame_max(&self) -> u32 {
        self.frame_max
    }

    /// Publishes `body` to `exchange` with `routing_key`, with the properties
    /// `content-type`, `headers` (already encoded: a `u32` length and the entries) and
    /// `message-id`; returns once the broker has confirmed it.
    ///
    /// # Panics
    ///
    /// When the broker nacks the message or closes the channel or connection.
    pub fn publish(
        &mut self,
        exchange: &str,
        routing_key: &str,
        content_type: &str,
        headers: &[u8],
        message_id: &str,
        body: &[u8],
    ) {
        let mut method = vec![0, 60, 0, 40, 0, 0];
        method.extend(short(exchange));
        method.extend(short(routing_key));
        method.push(0); // neither mandatory nor immediate
        self.send(FRAME_METHOD, 1, &method);
        let mut header = vec![0, 60, 0, 0];
        header.extend_from_slice(&(body.len() as u64).to_be_bytes());
        // content-type (bit 15), headers (bit 13), message-id (bit 7).
        header.extend_from_slice(&(1u16 << 15 | 1 << 13 | 1 << 7).to_be_bytes());
        header.extend(short(content_type));
        header.extend_from_slice(headers);
        header.extend(short(message_id));
        assert!(
            header.len() + 8 <= self.frame_max as usize,
            "a content header of {} bytes does not fit a {}-byte frame",
            header.len(),
            self.frame_max
        );
        self.send(FRAME_HEADER, 1, &header);
        for chunk in body.chunks(self.frame_max as usize - 8) {
            self.send(FRAME_BODY, 1, chunk);
        }
        let ack = self.expect_method(1, (60, 80));
        assert!(!ack.is_empty(), "basic.ack for {message_id}");
    }

    fn send(&mut self, kind: u8, channel: u16, payload: &[u8]) {
        let mut frame = vec![kind];
        frame.extend_from_slice(&channel.to_be_bytes());
        frame.extend(long(payload));
        frame.push(FRAME_END);
        self.stream.write_all(&frame).expect("write a frame");
    }

    /// Reads frames until a method frame; it must be `class.method` on `channel`.
    fn expect_method(&mut self, channel: u16, (class, method): (u16, u16)) -> Vec<u8> {
        loop {
            let mut head = [0u8; 7];
            self.stream.read_exact(&mut head).expect("read a frame");
            let size = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
            let mut payload = vec![0u8; size + 1];
            self.stream.read_exact(&mut payload).expect("read a frame");
            assert_eq!(payload.pop(), Some(FRAME_END), "frame end");
            if head[0] == FRAME_HEARTBEAT {
                continue;
            }
            assert_eq!(head[0], FRAME_METHOD, "a method frame");
            let got = (
                u16::from_be_bytes([payload[0], payload[1]]),
                u16::from_be_bytes([payload[2], payload[3]]),
            );
            let on = u16::from_be_bytes([head[1], head[2]]);
            assert_eq!(
                (on, got),
                (channel, (class, method)),
                "expected method {class}.{method} on channel {channel}; the broker said: {}",
                String::from_utf8_lossy(&payload)
            );
            return payload;
        }
    }
}
