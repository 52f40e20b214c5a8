// GCC 11 and later inline a call to std::__throw_bad_array_new_length into
// every std::allocator<T>::allocate; libstdc++ has it only from GLIBCXX_3.4.29
// (GCC 11). Defined here, hidden, so that the addon needs no libstdc++ newer
// than the one Node's own binaries need (GLIBCXX_3.4.21, CXXABI_1.3.11).
#include <new>

namespace std {

__attribute__((visibility("hidden"))) void __throw_bad_array_new_length() {
  throw bad_array_new_length();
}

}  // namespace std
