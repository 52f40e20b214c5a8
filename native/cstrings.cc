#include "cstrings.h"

namespace forkexec {

std::string BufferToString(const Napi::Value& value) {
  Napi::Buffer<char> buffer = value.As<Napi::Buffer<char>>();
  return std::string(buffer.Data(), buffer.Length());
}

CStringArray::CStringArray(const Napi::Value& buffers) {
  Napi::Array array = buffers.As<Napi::Array>();
  uint32_t length = array.Length();
  strings_.reserve(length);
  for (uint32_t i = 0; i < length; i++) strings_.push_back(BufferToString(array.Get(i)));
  // Pointers are taken only once the vector stops growing.
  pointers_.reserve(length + 1);
  for (std::string& s : strings_) pointers_.push_back(&s[0]);
  pointers_.push_back(nullptr);
}

}  // namespace forkexec
