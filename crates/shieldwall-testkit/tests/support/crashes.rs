//! Whether example servers started by a test are still alive and quiet:
//! a server that exited, or printed a panic, is a finding whatever its
//! answers were.

use shieldwall_testkit::server::ServerProcess;

/// One line per server that exited, and per panic a server printed.
pub(crate) fn crashes(servers: &mut [ServerProcess]) -> Vec<String> {
    let mut crashes = Vec::new();
    for server in servers {
        if !server.is_running() {
            crashes.push(format!("{} exited", server.name()));
        }
        for line in server.output() {
            if line.contains("panicked") {
                crashes.push(format!("{}: {line}", server.name()));
            }
        }
    }
    crashes
}
