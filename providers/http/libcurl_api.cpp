#include "libcurl_api.hpp"

#include <mutex>
#include <string>

#include <dlfcn.h>

#include <vami/core/error.hpp>

namespace vami::http {

namespace {

constexpr const char* k_install_hint = "install it with 'apt-get install libcurl4'";

/// Resolves `name` in the library behind `handle` into `target`. The pointer comes back from
/// dlsym as void*; POSIX guarantees it converts to the function pointer it names.
template <typename Function>
void resolve(void* handle, const char* library_name, const char* name, Function& target) {
  // Clear any earlier error so that the dlerror() below describes this lookup only.
  (void)dlerror();
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    throw Error(ErrorKind::provider,
                std::string("cannot use libcurl (") + library_name + " has no " + name + ")",
                k_install_hint);
  }
  target = reinterpret_cast<Function>(symbol);
}

} // namespace

LibcurlApi load_libcurl_api(const char* library_name) {
  // RTLD_NOW: a library that cannot resolve its own dependencies fails here, with a message,
  // rather than in the middle of a request. RTLD_LOCAL: libcurl's symbols do not leak into the
  // global namespace where they could satisfy someone else's lookups.
  void* handle = dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    throw Error(ErrorKind::provider,
                std::string("cannot load libcurl (") + (reason != nullptr ? reason : library_name) +
                    ")",
                k_install_hint);
  }
  LibcurlApi api;
  try {
    resolve(handle, library_name, "curl_global_init", api.global_init);
    resolve(handle, library_name, "curl_easy_init", api.easy_init);
    resolve(handle, library_name, "curl_easy_setopt", api.easy_setopt);
    resolve(handle, library_name, "curl_easy_perform", api.easy_perform);
    resolve(handle, library_name, "curl_easy_getinfo", api.easy_getinfo);
    resolve(handle, library_name, "curl_easy_reset", api.easy_reset);
    resolve(handle, library_name, "curl_easy_cleanup", api.easy_cleanup);
    resolve(handle, library_name, "curl_easy_strerror", api.easy_strerror);
    resolve(handle, library_name, "curl_slist_append", api.slist_append);
    resolve(handle, library_name, "curl_slist_free_all", api.slist_free_all);
  } catch (...) {
    dlclose(handle);
    throw;
  }
  // Deliberately never dlclose'd: easy handles held by static or long-lived clients may be
  // cleaned up during exit, and libcurl's global state is not meant to be unloaded.
  return api;
}

const LibcurlApi& libcurl_api() {
  static std::once_flag flag;
  static LibcurlApi api;
  // A failed attempt (exception) leaves the flag unset, so a later call tries again.
  std::call_once(flag, [] {
    LibcurlApi loaded = load_libcurl_api(k_libcurl_soname);
    if (loaded.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw Error(ErrorKind::unavailable, "libcurl could not be initialised",
                  "check the installation of libcurl and its TLS library");
    }
    api = loaded;
  });
  return api;
}

} // namespace vami::http
