#pragma once

// Private to providers/http: libcurl reached through dlopen, so that commands which never send an
// HTTP request (--version, the in-process sandbox, completions, local listings) do not pay at
// start-up for libcurl.so.4 and the ~30 shared libraries it depends on.

#include <curl/curl.h>

namespace vami::http {

/// The libcurl functions vami calls, resolved with dlsym from one loaded copy of the library.
/// Only the headers of libcurl-dev are used at build time (for types and constants); the
/// signatures are those of libcurl's easy interface (curl/easy.h, curl/curl.h).
struct LibcurlApi {
  /// `curl_global_init`: process-wide initialisation (TLS library, sockets); call once.
  CURLcode (*global_init)(long flags) = nullptr;
  /// `curl_easy_init`: a new transfer handle, or null when out of memory.
  CURL* (*easy_init)() = nullptr;
  /// `curl_easy_setopt`: sets one option; the value's type depends on the option (long,
  /// pointer, `curl_off_t` or callback), as documented for each CURLOPT_*.
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...) = nullptr;
  /// `curl_easy_perform`: runs the transfer configured on the handle, blocking.
  CURLcode (*easy_perform)(CURL* handle) = nullptr;
  /// `curl_easy_getinfo`: reads one piece of information about the last transfer into the
  /// pointer given as third argument.
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...) = nullptr;
  /// `curl_easy_reset`: clears the options of a handle, keeping its live connections.
  void (*easy_reset)(CURL* handle) = nullptr;
  /// `curl_easy_cleanup`: closes the handle's connections and frees it.
  void (*easy_cleanup)(CURL* handle) = nullptr;
  /// `curl_easy_strerror`: the static English text of an error code.
  const char* (*easy_strerror)(CURLcode code) = nullptr;
  /// `curl_slist_append`: a copy of `text` appended to `list` (null starts a list); returns the
  /// list head, or null when out of memory (then `list` is left as it was).
  curl_slist* (*slist_append)(curl_slist* list, const char* text) = nullptr;
  /// `curl_slist_free_all`: frees a whole list (null is allowed).
  void (*slist_free_all)(curl_slist* list) = nullptr;
};

/// The library name loaded in production: the soname of libcurl's ABI 4 (Debian's libcurl4).
inline constexpr const char* k_libcurl_soname = "libcurl.so.4";

/// Loads libcurl once per process (`k_libcurl_soname`, dlopen RTLD_NOW | RTLD_LOCAL), resolves
/// every function of `LibcurlApi` and calls `curl_global_init(CURL_GLOBAL_DEFAULT)`. Later calls
/// return the same table; thread-safe. The library stays loaded until the process exits.
/// @throws vami::Error(provider) when the library or one of its functions cannot be found (the
///         hint says how to install libcurl); the next call tries again.
/// @throws vami::Error(unavailable) when `curl_global_init` fails.
[[nodiscard]] const LibcurlApi& libcurl_api();

/// Loads the library `library_name` with dlopen and resolves every function of `LibcurlApi`,
/// without caching and without `curl_global_init`: the loader behind `libcurl_api`, taking the
/// name as a parameter so that tests can name a library that is absent or is not libcurl. On
/// success the library stays loaded until the process exits.
/// @throws vami::Error(provider) "cannot load libcurl (<dlerror>)" when dlopen fails, or
///         "cannot use libcurl (<library_name> has no <symbol>)" when a function is missing; the
///         hint is "install it with 'apt-get install libcurl4'".
[[nodiscard]] LibcurlApi load_libcurl_api(const char* library_name);

} // namespace vami::http
