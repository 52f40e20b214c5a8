// C strings built in the parent from JavaScript Buffers.
//
// lib/ hands every path, argument and environment entry to native code as a
// Buffer that it has already checked for NUL bytes, so bytes reach the child
// exactly as given (non-UTF-8 included). Everything here allocates, so it runs
// before fork, never in the child.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace forkexec {

// The bytes of a Buffer as a NUL-terminated string.
std::string BufferToString(const Napi::Value& value);

// A NULL-terminated array of C strings (argv or envp) whose storage lives as
// long as the object.
class CStringArray {
 public:
  explicit CStringArray(const Napi::Value& buffers);
  CStringArray(const CStringArray&) = delete;
  CStringArray& operator=(const CStringArray&) = delete;

  char* const* data() const { return pointers_.data(); }
  size_t size() const { return strings_.size(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

}  // namespace forkexec
