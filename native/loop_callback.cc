#include "loop_callback.h"

#include <vector>

namespace forkexec {

void ReportFromLoop(Napi::Env env, napi_value exception) {
  if (exception == nullptr) return;
  napi_valuetype type;
  // V8 shows a terminating stack as a `null` exception. The callbacks run
  // from here are this library's own (user code runs in promise reactions,
  // where a throw becomes a rejection), so null is always that: nothing to
  // report, the fork machinery finishes it. `undefined` is what
  // node-addon-api makes of a call refused by a closing environment.
  if (napi_typeof(env, exception, &type) != napi_ok || type == napi_undefined ||
      type == napi_null) {
    return;
  }
  // Fails (harmlessly) when the environment can no longer run JavaScript.
  napi_fatal_exception(env, exception);
}

void CallFromLoop(Napi::Env env, const Napi::FunctionReference& fn, Napi::Value recv,
                  std::initializer_list<napi_value> args, const Napi::AsyncContext& context) {
  std::vector<napi_value> argv(args);
  napi_value result;
  napi_status status =
      napi_make_callback(env, context, recv, fn.Value(), argv.size(), argv.data(), &result);
  if (status == napi_ok) return;
  napi_value exception;
  if (napi_get_and_clear_last_exception(env, &exception) != napi_ok) return;
  ReportFromLoop(env, exception);
}

}  // namespace forkexec
