//! A TCP proxy on loopback that injects network faults between a service and
//! its Redis (or any TCP server): pass, delay, black hole, cut; switched at
//! any moment from the test.
//!
//! ```no_run
//! use std::time::Duration;
//! use shieldwall_testkit::fault_proxy::{FaultProxy, Mode};
//!
//! let proxy = FaultProxy::start("127.0.0.1:6379".parse().unwrap()).unwrap();
//! let url = format!("redis://{}", proxy.addr()); // give the service this
//! proxy.set_mode(Mode::Delay(Duration::from_millis(800))); // Redis is slow
//! proxy.set_mode(Mode::BlackHole); // Redis stops answering
//! proxy.set_mode(Mode::Cut); // Redis is gone: every connection closed
//! proxy.set_mode(Mode::Pass); // and back
//! # let _ = url;
//! ```
//!
//! Bytes are never lost or reordered inside a connection, because TCP never
//! loses them: a black hole holds what it reads and delivers it once the mode
//! lets it (a network partition that heals), and only `Cut` ends
//! connections. A proxy that dropped bytes on a live connection would
//! desynchronize the Redis protocol in a way no real network does, and the
//! tests would find faults of the proxy rather than of the service.
//!
//! Threads, not tasks: the proxy lives beside processes under test, and
//! blocking sockets keep it small. Each connection has a reader and a writer
//! per direction; a writer waits on the mode (a condition variable) before
//! each chunk.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long connecting to the upstream server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// What the proxy does with the bytes of every connection, open or new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forwards at once.
    Pass,
    /// Forwards each chunk this long after it was read (a slow network or a
    /// slow server: latency, not a narrower pipe).
    Delay(Duration),
    /// Accepts and reads, never forwards or answers; what it read is held
    /// and delivered when the mode changes to `Pass` or `Delay`.
    BlackHole,
    /// Closes every open connection now and closes each new one at once
    /// (the server stopped, or its host is gone).
    Cut,
}

/// A running proxy; stopped, with every connection closed, when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`, in [`Mode::Pass`].
    pub fn start(upstream: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Pass),
            changed: Condvar::new(),
            connections: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fault-proxy-accept".to_owned())
                .spawn(move || accept_loop(&listener, upstream, &shared))?
        };
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address to give the service instead of the upstream's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        *lock(&self.shared.mode)
    }

    /// Switches every connection, open or new, to `mode`. `Cut` closes the
    /// open ones before it returns.
    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.shared.mode) = mode;
        self.shared.changed.notify_all();
        if mode == Mode::Cut {
            self.shared.close_all();
        }
    }

    /// How many connections are open through it.
    pub fn open_connections(&self) -> usize {
        lock(&self.shared.connections).len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        self.set_mode(Mode::Cut);
        // Wake the blocking accept; it sees `stopping` and returns.
        let _ = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

#[derive(Debug)]
struct Shared {
    mode: Mutex<Mode>,
    changed: Condvar,
    /// Both sockets of each open connection, so that `Cut` can close them
    /// under threads blocked in reads and writes.
    connections: Mutex<HashMap<u64, [TcpStream; 2]>>,
    next_id: AtomicU64,
    stopping: AtomicBool,
}

impl Shared {
    fn close_all(&self) {
        for [client, server] in lock(&self.connections).drain().map(|(_, s)| s) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }

    fn close(&self, id: u64) {
        if let Some([client, server]) = lock(&self.connections).remove(&id) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }

    /// Waits until a chunk read at `read_at` may be written; `false` when
    /// the connection is cut instead.
    fn wait_to_forward(&self, read_at: Instant) -> bool {
        let mut mode = lock(&self.mode);
        loop {
            match *mode {
                Mode::Pass => return true,
                Mode::Cut => return false,
                Mode::Delay(delay) => {
                    let due = read_at + delay;
                    let now = Instant::now();
                    if now >= due {
                        return true;
                    }
                    mode = wait_timeout(&self.changed, mode, due - now);
                }
                Mode::BlackHole => {
                    mode = self
                        .changed
                        .wait(mode)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            }
        }
    }
}

/// A poisoned lock only means a proxy thread panicked; the data (a mode,
/// a list of sockets) is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn wait_timeout<'a>(
    changed: &Condvar,
    guard: MutexGuard<'a, Mode>,
    timeout: Duration,
) -> MutexGuard<'a, Mode> {
    changed
        .wait_timeout(guard, timeout)
        .map(|(guard, _)| guard)
        .unwrap_or_else(|poisoned| poisoned.into_inner().0)
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::Acquire) {
            return;
        }
        let Ok(client) = client else { continue };
        if *lock(&shared.mode) == Mode::Cut {
            // Closed at once: the client sees the connection end, as when
            // nothing listens (a refused connect is not possible while the
            // port stays bound).
            drop(client);
            continue;
        }
        // When the upstream cannot be reached, `client` is dropped (closed)
        // and the next connection may find it back.
        let _ = open(client, upstream, shared);
    }
}

/// Connects `client` to the upstream and starts its four threads.
fn open(client: TcpStream, upstream: SocketAddr, shared: &Arc<Shared>) -> io::Result<()> {
    let server = TcpStream::connect_timeout(&upstream, CONNECT_TIMEOUT)?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    {
        let mut connections = lock(&shared.connections);
        // A `Cut` between the check in the accept loop and here must close
        // this connection too.
        if *lock(&shared.mode) == Mode::Cut {
            return Ok(());
        }
        connections.insert(id, [client.try_clone()?, server.try_clone()?]);
    }
    for (from, to, name) in [
        (client.try_clone()?, server.try_clone()?, "up"),
        (server, client, "down"),
    ] {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("fault-proxy-{id}-{name}-read"))
            .spawn(move || read_side(from, &tx))?;
        let writer_shared = Arc::clone(shared);
        std::thread::Builder::new()
            .name(format!("fault-proxy-{id}-{name}-write"))
            .spawn(move || write_side(to, &rx, &writer_shared, id))?;
    }
    Ok(())
}

/// Reads chunks as they come, whatever the mode, stamped with when they
/// were read (so that a delay is latency, not a queue behind each chunk).
/// An error is a reset, `Ok(0)` a close: either way the reader stops, and
/// the writer forwards what it holds (when the mode lets it) and closes both
/// sides.
fn read_side(mut from: TcpStream, tx: &Sender<(Instant, Vec<u8>)>) {
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let chunk = buffer.get(..n).unwrap_or_default().to_vec();
                if tx.send((Instant::now(), chunk)).is_err() {
                    break;
                }
            }
        }
    }
}

/// Forwards each chunk when the mode lets it; closes the connection when
/// the reader ends, the mode is `Cut` or a write fails.
fn write_side(mut to: TcpStream, rx: &Receiver<(Instant, Vec<u8>)>, shared: &Shared, id: u64) {
    while let Ok((read_at, chunk)) = rx.recv() {
        if !shared.wait_to_forward(read_at) || to.write_all(&chunk).is_err() {
            break;
        }
    }
    shared.close(id);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that echoes every byte on each connection.
    fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                std::thread::spawn(move || {
                    let mut reader = stream.try_clone().unwrap();
                    let mut writer = stream;
                    let _ = io::copy(&mut reader, &mut writer);
                });
            }
        });
        addr
    }

    fn connect(proxy: &FaultProxy) -> TcpStream {
        let stream = TcpStream::connect(proxy.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    }

    fn echo(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<Vec<u8>> {
        stream.write_all(bytes)?;
        let mut answer = vec![0_u8; bytes.len()];
        stream.read_exact(&mut answer)?;
        Ok(answer)
    }

    #[test]
    fn passes_delays_holds_and_cuts() {
        let proxy = FaultProxy::start(echo_server()).unwrap();
        let mut stream = connect(&proxy);
        assert_eq!(echo(&mut stream, b"ping").unwrap(), b"ping");

        proxy.set_mode(Mode::Delay(Duration::from_millis(300)));
        let start = Instant::now();
        assert_eq!(echo(&mut stream, b"slow").unwrap(), b"slow");
        // Once on the way out, once on the way back.
        assert!(start.elapsed() >= Duration::from_millis(600));

        // Held, not lost: the bytes sent into the black hole arrive, in
        // order, once it ends.
        proxy.set_mode(Mode::BlackHole);
        stream.write_all(b"held").unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut one = [0_u8; 1];
        assert!(stream.read(&mut one).is_err(), "nothing comes back");
        proxy.set_mode(Mode::Pass);
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut held = [0_u8; 4];
        stream.read_exact(&mut held).unwrap();
        assert_eq!(&held, b"held");

        // Cut ends the open connection and every new one.
        proxy.set_mode(Mode::Cut);
        assert!(matches!(stream.read(&mut one), Ok(0) | Err(_)));
        assert_eq!(proxy.open_connections(), 0);
        let mut late = connect(&proxy);
        assert!(echo(&mut late, b"x").is_err());

        proxy.set_mode(Mode::Pass);
        assert_eq!(echo(&mut connect(&proxy), b"back").unwrap(), b"back");
    }
}
