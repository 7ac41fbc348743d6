#pragma once
// SIGTERM/SIGINT handling shared by the long-running commands: the signals are blocked in the
// calling thread before any other thread starts (threads inherit the mask), and the main
// thread then waits for one with sigwait. No handler runs asynchronously, so shutdown happens
// on the main thread with every lock available; SIGPIPE is ignored (a peer closing a socket
// is an error code, not a signal).

namespace riposte {

class StopSignals {
 public:
  // Call first in main, before starting threads.
  StopSignals();
  // Blocks until SIGTERM or SIGINT arrives; returns it.
  int Wait();
  static const char* Name(int sig);
};

}  // namespace riposte
