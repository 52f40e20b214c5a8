{
  "variables": { "forkexec_sanitize%": 0 },
  "targets": [
    {
      "target_name": "forkexec",
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags": ["-Wall", "-Wextra", "-Werror"],
      "cflags_cc": ["-Wall", "-Wextra", "-Werror", "-std=c++17", "-fexceptions"],
      "ldflags": ["-Wl,-z,now", "-Wl,-z,nodelete"],
      "conditions": [
        [
          "forkexec_sanitize==1",
          {
            "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"],
            "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"],
            "ldflags": ["-fsanitize=address,undefined"]
          }
        ],
        [
          "OS=='linux'",
          {
            "sources": [
              "native/addon.cc",
              "native/child_path.c",
              "native/constants.cc",
              "native/cstrings.cc",
              "native/drain_watcher.cc",
              "native/errors.cc",
              "native/exec_state.cc",
              "native/exit_watcher.cc",
              "native/fd_calls.cc",
              "native/fd_passing.cc",
              "native/fork_recipe.cc",
              "native/fork_safety.cc",
              "native/glibc_compat.cc",
              "native/loop_callback.cc",
              "native/orphan_reaper.cc",
              "native/poll_handle.cc",
              "native/pool_barrier.cc",
              "native/js_fork.cc",
              "native/libstdcxx_compat.cc",
              "native/posix_spawn_call.cc",
              "native/prefault.cc",
              "native/process_calls.cc",
              "native/readiness_watcher.cc",
              "native/spawn_call.cc",
              "native/teardown_holder.cc",
              "native/launcher.cc",
              "native/thread_quiescence.cc",
              "native/wait_calls.cc",
              "native/wait_status.cc",
              "native/watcher_registry.cc"
            ]
          }
        ]
      ]
    }
  ]
}
