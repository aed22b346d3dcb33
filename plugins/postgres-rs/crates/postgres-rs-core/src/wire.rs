//! The data connections: a minimal synchronous PostgreSQL protocol client for COPY.
//!
//! Why not the driver's `Client::copy_out`: rust-postgres hands out one COPY
//! message per call through its async machinery (a runtime entered, a channel
//! and a parse per message); on a 2-column table that was two thirds of the
//! reader's CPU, and the server shares the machine's cores. Here the socket
//! is read in large chunks into one buffer and each CopyData message is handed
//! to the decoder as a slice of that buffer: no copy, no per-message
//! allocation, no runtime.
//!
//! Everything else (connecting for the describe, type lookups, planning,
//! exporting the snapshot) uses the rust-postgres client. A data connection
//! only authenticates (trust, password, md5, SCRAM-SHA-256 via
//! postgres-protocol, the driver's own protocol crate), adopts the snapshot
//! and runs one `COPY ... TO STDOUT`. No TLS, like the rest of the reader.

use std::io::{self, BufRead, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::ops::Range;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use bytes::BytesMut;
use postgres::Config;
use postgres::config::Host;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::frontend;

use crate::error::{Error, Result, connect_failure_for_sqlstate};

/// The receive buffer: large reads, few syscalls.
const BUFFER_SIZE: usize = 256 << 10;
const DEFAULT_PORT: u16 = 5432;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a connection goes (kept to send cancel requests).
#[derive(Clone, Debug)]
pub enum Address {
    Tcp(SocketAddr),
    #[cfg(unix)]
    Unix(PathBuf),
}

enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Stream {
    fn open(address: &Address, timeout: Duration) -> io::Result<Stream> {
        match address {
            Address::Tcp(addr) => {
                let stream = TcpStream::connect_timeout(addr, timeout)?;
                stream.set_nodelay(true)?;
                Ok(Stream::Tcp(stream))
            }
            #[cfg(unix)]
            Address::Unix(path) => Ok(Stream::Unix(UnixStream::connect(path)?)),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// What cancels a connection's running statement (the server's key for it).
#[derive(Clone, Debug)]
pub struct CancelKey {
    address: Address,
    process_id: i32,
    secret: i32,
}

impl CancelKey {
    /// Ask the server to cancel; best effort (a gone server is fine).
    pub fn cancel(&self) {
        let Ok(mut stream) = Stream::open(&self.address, CONNECT_TIMEOUT) else {
            return;
        };
        let mut buf = BytesMut::new();
        frontend::cancel_request(self.process_id, self.secret, &mut buf);
        if stream.write_all(&buf).is_ok() {
            // The server closes the connection once it has handled the request.
            if let Stream::Tcp(tcp) = &stream {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
            }
            let mut sink = [0u8; 16];
            let _ = stream.read(&mut sink);
        }
    }
}

/// An authenticated protocol connection, idle.
pub struct WireConnection {
    stream: Stream,
    address: Address,
    buffer: Vec<u8>,
    /// The unread bytes are buffer[start..end].
    start: usize,
    end: usize,
    process_id: i32,
    secret: i32,
}

/// The addresses to try, in order, like libpq: each host (or hostaddr) with its port.
fn addresses(config: &Config) -> Vec<Address> {
    let ports = config.get_ports();
    let port = |i: usize| ports.get(i).or_else(|| ports.first()).copied().unwrap_or(DEFAULT_PORT);
    let hostaddrs = config.get_hostaddrs();
    let hosts = config.get_hosts();
    let mut out = Vec::new();
    let count = hosts.len().max(hostaddrs.len());
    for i in 0..count {
        if let Some(ip) = hostaddrs.get(i) {
            out.push(Address::Tcp(SocketAddr::new(*ip, port(i))));
            continue;
        }
        match hosts.get(i) {
            Some(Host::Tcp(name)) => {
                if let Ok(ip) = name.parse::<IpAddr>() {
                    out.push(Address::Tcp(SocketAddr::new(ip, port(i))));
                } else if let Ok(resolved) = (name.as_str(), port(i)).to_socket_addrs() {
                    out.extend(resolved.map(Address::Tcp));
                }
            }
            #[cfg(unix)]
            Some(Host::Unix(dir)) => {
                out.push(Address::Unix(dir.join(format!(".s.PGSQL.{}", port(i)))))
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    out
}

fn unreachable_io(err: &io::Error) -> Error {
    let what = match err.kind() {
        io::ErrorKind::ConnectionRefused => "the server refused the connection",
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "the connection timed out",
        _ => "the connection failed",
    };
    Error::unreachable(
        format!("cannot open a data connection to PostgreSQL: {what}"),
        "check the server and the network, then run again",
    )
}

fn protocol(what: &str) -> Error {
    Error::internal(format!("unexpected PostgreSQL protocol message: {what}"))
}

/// The fields of an ErrorResponse: (SQLSTATE, primary message).
fn error_fields(body: &[u8]) -> (String, String) {
    let (mut code, mut message) = (String::new(), String::new());
    let mut rest = body;
    while let Some((&kind, tail)) = rest.split_first() {
        if kind == 0 {
            break;
        }
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let value = String::from_utf8_lossy(&tail[..end]).into_owned();
        match kind {
            b'C' => code = value,
            b'M' => message = value,
            _ => {}
        }
        rest = tail.get(end + 1..).unwrap_or(&[]);
    }
    (code, message)
}

impl WireConnection {
    /// Connect and authenticate with `config` (the URL already parsed and checked).
    pub fn connect(config: &Config) -> Result<WireConnection> {
        let timeout = config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT);
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no host");
        for address in addresses(config) {
            match Stream::open(&address, timeout) {
                Ok(stream) => {
                    let mut connection = WireConnection {
                        stream,
                        address,
                        buffer: vec![0; BUFFER_SIZE],
                        start: 0,
                        end: 0,
                        process_id: 0,
                        secret: 0,
                    };
                    connection.startup(config)?;
                    return Ok(connection);
                }
                Err(err) => last = err,
            }
        }
        Err(unreachable_io(&last))
    }

    pub fn cancel_key(&self) -> CancelKey {
        CancelKey {
            address: self.address.clone(),
            process_id: self.process_id,
            secret: self.secret,
        }
    }

    fn send(&mut self, message: &[u8]) -> Result<()> {
        self.stream.write_all(message).map_err(|e| unreachable_io(&e))
    }

    /// Read more bytes, so that `needed` bytes from `start` can fit: compact the
    /// buffer first when they would not, grow it for a message larger than it.
    fn fill(&mut self, needed: usize) -> Result<()> {
        if self.start > 0 && (self.start == self.end || self.buffer.len() - self.start < needed) {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buffer.len() < self.start + needed {
            self.buffer.resize(self.start + needed, 0);
        }
        let read =
            self.stream.read(&mut self.buffer[self.end..]).map_err(|e| unreachable_io(&e))?;
        if read == 0 {
            return Err(Error::unreachable(
                "the server closed the data connection",
                "check the server's logs, then run again",
            ));
        }
        self.end += read;
        Ok(())
    }

    /// The next message: its tag and the range of its body in `self.buffer`.
    #[inline]
    fn next_message(&mut self) -> Result<(u8, Range<usize>)> {
        loop {
            let available = self.end - self.start;
            if available >= 5 {
                let head = &self.buffer[self.start..self.start + 5];
                let length = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
                if length < 4 {
                    return Err(protocol("a message length below 4"));
                }
                let total = 1 + length;
                if available >= total {
                    let tag = head[0];
                    let body = self.start + 5..self.start + total;
                    self.start += total;
                    return Ok((tag, body));
                }
                self.fill(total)?;
            } else {
                self.fill(5)?;
            }
        }
    }

    fn startup(&mut self, config: &Config) -> Result<()> {
        let user = match config.get_user() {
            Some(user) => user.to_string(),
            None => std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_default(),
        };
        let database = config.get_dbname().map_or_else(|| user.clone(), str::to_string);
        let mut params: Vec<(&str, &str)> =
            vec![("user", &user), ("database", &database), ("client_encoding", "UTF8")];
        if let Some(name) = config.get_application_name() {
            params.push(("application_name", name));
        }
        if let Some(options) = config.get_options() {
            params.push(("options", options));
        }
        let mut buf = BytesMut::new();
        frontend::startup_message(params, &mut buf).map_err(|e| protocol(&e.to_string()))?;
        self.send(&buf)?;
        let password = config.get_password().unwrap_or_default().to_vec();
        let mut scram: Option<ScramSha256> = None;
        loop {
            let (tag, body) = self.next_message()?;
            let body = self.buffer[body].to_vec();
            match tag {
                b'R' => {
                    let (code, rest) =
                        body.split_at_checked(4).ok_or_else(|| protocol("short auth"))?;
                    let code = i32::from_be_bytes([code[0], code[1], code[2], code[3]]);
                    let mut out = BytesMut::new();
                    match code {
                        0 => continue,
                        3 => frontend::password_message(&password, &mut out),
                        5 => {
                            let salt: [u8; 4] =
                                rest.try_into().map_err(|_| protocol("md5 salt"))?;
                            let hash = md5_hash(user.as_bytes(), &password, salt);
                            frontend::password_message(hash.as_bytes(), &mut out)
                        }
                        10 => {
                            let offered =
                                rest.split(|&b| b == 0).any(|m| m == SCRAM_SHA_256.as_bytes());
                            if !offered {
                                return Err(unsupported_auth());
                            }
                            let exchange =
                                ScramSha256::new(&password, ChannelBinding::unsupported());
                            let sent = frontend::sasl_initial_response(
                                SCRAM_SHA_256,
                                exchange.message(),
                                &mut out,
                            );
                            scram = Some(exchange);
                            sent
                        }
                        11 => {
                            let exchange =
                                scram.as_mut().ok_or_else(|| protocol("SASL continue"))?;
                            exchange.update(rest).map_err(|_| auth_failed())?;
                            frontend::sasl_response(exchange.message(), &mut out)
                        }
                        12 => {
                            let exchange = scram.as_mut().ok_or_else(|| protocol("SASL final"))?;
                            exchange.finish(rest).map_err(|_| auth_failed())?;
                            continue;
                        }
                        _ => return Err(unsupported_auth()),
                    }
                    .map_err(|e| protocol(&e.to_string()))?;
                    self.send(&out)?;
                }
                b'K' => {
                    let key: [u8; 8] =
                        body.as_slice().try_into().map_err(|_| protocol("backend key"))?;
                    self.process_id = i32::from_be_bytes([key[0], key[1], key[2], key[3]]);
                    self.secret = i32::from_be_bytes([key[4], key[5], key[6], key[7]]);
                }
                b'Z' => return Ok(()),
                b'E' => {
                    let (code, _) = error_fields(&body);
                    let (what, hint) = connect_failure_for_sqlstate(&code);
                    return Err(Error::unreachable(
                        format!("cannot connect to PostgreSQL: {what}"),
                        hint,
                    ));
                }
                b'S' | b'N' | b'v' => {}
                other => return Err(protocol(&format!("'{}' during startup", char::from(other)))),
            }
        }
    }

    /// Run statements with the simple protocol; rows are discarded.
    pub fn simple_query(&mut self, sql: &str, subject: &str) -> Result<()> {
        let mut buf = BytesMut::new();
        frontend::query(sql, &mut buf).map_err(|e| protocol(&e.to_string()))?;
        self.send(&buf)?;
        let mut failure = None;
        loop {
            let (tag, body) = self.next_message()?;
            match tag {
                b'Z' => break,
                b'E' if failure.is_none() => {
                    let (code, message) = error_fields(&self.buffer[body]);
                    failure = Some(Error::from_sqlstate(&code, &message, subject));
                }
                _ => {}
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Start `COPY ... TO STDOUT`; the returned reader yields each CopyData payload.
    pub fn copy_out(&mut self, sql: &str, subject: &str) -> Result<CopyOut<'_>> {
        let mut buf = BytesMut::new();
        frontend::query(sql, &mut buf).map_err(|e| protocol(&e.to_string()))?;
        self.send(&buf)?;
        loop {
            let (tag, body) = self.next_message()?;
            match tag {
                b'H' => {
                    return Ok(CopyOut {
                        connection: self,
                        current: 0..0,
                        finished: false,
                        failure: None,
                        subject: subject.to_string(),
                    });
                }
                b'E' => {
                    let (code, message) = error_fields(&self.buffer[body]);
                    let error = Error::from_sqlstate(&code, &message, subject);
                    while self.next_message()?.0 != b'Z' {}
                    return Err(error);
                }
                b'N' | b'S' => {}
                other => {
                    return Err(protocol(&format!("'{}' instead of a COPY", char::from(other))));
                }
            }
        }
    }
}

fn unsupported_auth() -> Error {
    Error::unreachable(
        "cannot connect to PostgreSQL: the server asks for an authentication method the \
         postgres_rs reader does not support",
        "use password, md5 or scram-sha-256 authentication (or trust) for this user",
    )
}

fn auth_failed() -> Error {
    Error::unreachable(
        "cannot connect to PostgreSQL: authentication failed",
        "check the user and password in `url` and the server's pg_hba.conf",
    )
}

impl Drop for WireConnection {
    fn drop(&mut self) {
        let mut buf = BytesMut::new();
        frontend::terminate(&mut buf);
        let _ = self.stream.write_all(&buf);
    }
}

/// The CopyData payloads of a running COPY, as a `BufRead` (one message per `fill_buf`).
pub struct CopyOut<'a> {
    connection: &'a mut WireConnection,
    current: Range<usize>,
    finished: bool,
    failure: Option<Error>,
    subject: String,
}

impl Read for CopyOut<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let chunk = self.fill_buf()?;
        let length = chunk.len().min(out.len());
        out[..length].copy_from_slice(&chunk[..length]);
        self.consume(length);
        Ok(length)
    }
}

impl BufRead for CopyOut<'_> {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.current.is_empty() && !self.finished {
            let (tag, body) = self.connection.next_message().map_err(io::Error::other)?;
            match tag {
                b'd' => self.current = body,
                b'c' | b'C' | b'N' | b'S' | b'A' => {}
                b'Z' => self.finished = true,
                b'E' => {
                    let (code, message) = error_fields(&self.connection.buffer[body]);
                    if self.failure.is_none() {
                        self.failure = Some(Error::from_sqlstate(&code, &message, &self.subject));
                    }
                }
                other => {
                    return Err(io::Error::other(protocol(&format!(
                        "'{}' during a COPY",
                        char::from(other)
                    ))));
                }
            }
        }
        if self.current.is_empty()
            && let Some(failure) = self.failure.take()
        {
            return Err(io::Error::other(failure));
        }
        Ok(&self.connection.buffer[self.current.clone()])
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        self.current.start = (self.current.start + amount).min(self.current.end);
    }
}
