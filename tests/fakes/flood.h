#pragma once
// Hostile clients for the listeners' DoS tests: many idle connections from many loopback
// addresses, and senders that stream an endless chunk extension. Plain sockets and OpenSSL,
// blocking, so that what they do on the wire is exactly what the test says.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace riposte::testing {

// Connections that connect (and optionally complete the TLS handshake) and then send nothing.
class IdleFlood {
 public:
  IdleFlood();
  ~IdleFlood();
  IdleFlood(const IdleFlood&) = delete;
  IdleFlood& operator=(const IdleFlood&) = delete;

  // Opens `count` connections to 127.0.0.1:`port`, `per_address` from each source address
  // 127.1.x.y in turn. With `tls`, each also completes a handshake (one that the server
  // refuses or drops counts as closed). Returns how many connected.
  size_t Open(uint16_t port, size_t count, size_t per_address, bool tls);
  // How many of them the server has not closed (checked without blocking).
  size_t StillOpen();
  void CloseAll();

 private:
  struct Conn;
  std::vector<std::unique_ptr<Conn>> conns_;
  void* ctx_ = nullptr;  // SSL_CTX
};

// One request head with `Transfer-Encoding: chunked`, then a chunk-size line whose extension
// never ends, written until `max_bytes` are written or the server closes the connection.
// Returns the bytes written after the head (what the server was offered).
uint64_t StreamChunkExtension(uint16_t port, bool tls, const std::string& head, uint64_t max_bytes);

// Resident and peak resident memory of a process, in KiB (from /proc/PID/status).
struct ProcessMemory {
  uint64_t rss_kib = 0;
  uint64_t hwm_kib = 0;
};
ProcessMemory ReadProcessMemory(pid_t pid);

}  // namespace riposte::testing
