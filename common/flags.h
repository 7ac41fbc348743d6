#pragma once
// Minimal command-line flag parsing shared by every subcommand, so all of them accept
// `--name value`, `--name=value`, boolean `--name` / `--name=false`, and `--` the same way.

#include <cstdint>
#include <string>
#include <vector>

namespace riposte {

class FlagSet {
 public:
  explicit FlagSet(std::string command) : command_(std::move(command)) {}

  void String(const std::string& name, std::string* dest, const std::string& help);
  void Bool(const std::string& name, bool* dest, const std::string& help);
  void Int(const std::string& name, int64_t* dest, const std::string& help);
  void Double(const std::string& name, double* dest, const std::string& help);
  // Repeatable flag; each occurrence appends.
  void StringList(const std::string& name, std::vector<std::string>* dest, const std::string& help);

  // Returns false with a message naming the offending flag on unknown flags, missing or
  // malformed values. `-` alone and everything after `--` are positional.
  bool Parse(const std::vector<std::string>& args, std::string* error);
  const std::vector<std::string>& positional() const { return positional_; }
  bool WasSet(const std::string& name) const;
  std::string Usage() const;

 private:
  enum class Kind { kString, kBool, kInt, kDouble, kList };
  struct Flag {
    std::string name;
    Kind kind;
    void* dest;
    std::string help;
    bool set = false;
  };
  Flag* Find(const std::string& name);
  bool Assign(Flag& f, const std::string& value, std::string* error);

  std::string command_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
};

}  // namespace riposte
