#include "tests/e2e/process.h"

#include <signal.h>

#include <filesystem>
#include <stdexcept>

namespace riposte::e2e {

ManagedProcess::~ManagedProcess() {
  if (child_) Stop(std::chrono::seconds(5));
}

void ManagedProcess::Start(const std::vector<std::string>& argv, const std::string& log_file,
                           const std::map<std::string, std::string>& env) {
  if (argv.empty()) throw std::runtime_error("empty command line");
  if (Running()) throw std::runtime_error("process already running: " + argv.at(0));
  riposte::testing::ChildProcess::Options opts;
  opts.append_output = true;  // one log across restarts
  opts.own_process_group = true;
  opts.die_with_parent = true;
  opts.env = env;
  auto child = std::make_unique<riposte::testing::ChildProcess>(
      argv[0], std::vector<std::string>(argv.begin() + 1, argv.end()), log_file, opts);
  if (!child->started()) throw std::runtime_error(child->start_error());
  log_file_ = log_file;
  status_ = -1;
  child_ = std::move(child);
}

bool ManagedProcess::Running() { return child_ && child_->Running(); }

void ManagedProcess::Signal(int sig) {
  if (child_) child_->Send(sig);
}

bool ManagedProcess::Stop(std::chrono::milliseconds grace) {
  if (!child_) return true;
  const bool clean = child_->Stop(grace);
  child_->Kill();
  status_ = child_->status();
  child_.reset();
  return clean;
}

void ManagedProcess::Kill() {
  if (!child_) return;
  child_->Kill();
  status_ = child_->status();
  child_.reset();
}

std::string ManagedProcess::Log() const { return ReadFile(log_file_); }

bool ManagedProcess::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) {
  return Eventually([&] { return Log().find(needle) != std::string::npos || !Running(); }, timeout) &&
         Log().find(needle) != std::string::npos;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text,
                         const std::map<std::string, std::string>& env, std::chrono::seconds deadline) {
  const std::string dir = MakeTempDir("riposte-cmd");
  riposte::testing::RunOptions opts;
  opts.stdin_text = stdin_text;
  opts.env = env;
  CommandResult r = riposte::testing::RunProcess(argv, deadline, dir, opts);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r;
}

}  // namespace riposte::e2e
