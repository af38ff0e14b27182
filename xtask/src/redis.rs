//! A throwaway `redis-server` on a free loopback port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

const INSTALL_HINT: &str = "redis-server is not installed: `apt-get update && apt-get install -y redis-server` \
     (Debian/Ubuntu) or `brew install redis` (macOS)";

/// A `redis-server` that lives as long as this value.
#[derive(Debug)]
pub(crate) struct TestServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl TestServer {
    /// Starts one on a free loopback port and waits until it answers PING.
    pub(crate) fn start() -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir =
            std::env::temp_dir().join(format!("shieldwall-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--protected-mode", "yes"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--dir", &dir.to_string_lossy()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => INSTALL_HINT.to_owned(),
                _ => format!("cannot start redis-server: {e}"),
            })?;
        let mut server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(port) {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server exited at start ({status})"));
            }
            if Instant::now() > deadline {
                return Err("redis-server did not answer PING within 10 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestServer {
    /// `INFO commandstats`: calls per command since the server started.
    pub(crate) fn command_calls(&self) -> Result<std::collections::HashMap<String, u64>> {
        let text = crate::redis_cluster::command(self.port, "INFO commandstats")?;
        Ok(text
            .lines()
            .filter_map(|line| {
                let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = rest.split(',').find_map(|kv| kv.strip_prefix("calls="))?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .collect())
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut answer = [0_u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}

/// `cargo xtask redis [--cluster]`: a server (or a 3-primary cluster) for
/// development, until Ctrl-C.
pub(crate) fn serve_for_development(args: &[String]) -> Result {
    match args {
        [] => {}
        [flag] if flag == "--cluster" => return crate::redis_cluster::serve_for_development(),
        _ => return Err("usage: cargo xtask redis [--cluster]".to_owned()),
    }
    let mut server = TestServer::start()?;
    println!("redis-server running; for the tests:");
    println!("  export SHIELDWALL_TEST_REDIS_URL={}", server.url());
    println!("for the demo servers:");
    println!("  export REDIS_URL={}", server.url());
    println!("Ctrl-C stops it.");
    let status = server.child.wait().map_err(|e| e.to_string())?;
    Err(format!("redis-server stopped ({status})"))
}
