// Binds the pthread calls whose default symbol version moved when glibc 2.32
// and 2.34 folded libpthread into libc to their first versions, which every
// glibc since 2.17 (arm64) / 2.2.5 (x64) still exports. Without this a build on
// a new glibc asks for GLIBC_2.34 and the prebuilds would not load on the
// glibc 2.28 baseline (test/prebuild.test.mjs checks the versions asked for).
// Include it in each file that calls these; it only renames references.
#pragma once

#if defined(__linux__) && defined(__GLIBC__)
#if defined(__x86_64__)
#define FORKEXEC_GLIBC_BASE_VERSION "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define FORKEXEC_GLIBC_BASE_VERSION "GLIBC_2.17"
#endif
#endif

#ifdef FORKEXEC_GLIBC_BASE_VERSION
__asm__(".symver pthread_create,pthread_create@" FORKEXEC_GLIBC_BASE_VERSION);
__asm__(".symver pthread_sigmask,pthread_sigmask@" FORKEXEC_GLIBC_BASE_VERSION);
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@" FORKEXEC_GLIBC_BASE_VERSION);
#endif
