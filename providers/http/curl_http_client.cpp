#include <algorithm>
#include <cctype>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcurl_api.hpp"
#include <curl/curl.h>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::http {

namespace {

/// Idle easy handles kept beyond this are cleaned up: enough for the bulk runner's workers, small
/// enough that a burst of threads does not leave hundreds of open sockets behind.
constexpr std::size_t k_max_idle_handles = 32;

constexpr const char* k_transport_hint = "check the network and the base URL, then retry";

// A handle or list only exists once libcurl_api() has succeeded, so the deleters' calls to it
// return the loaded table without loading anything.
struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { libcurl_api().easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { libcurl_api().slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

/// The URL as it may appear in an error message: no user info (credentials) and no query string
/// (which may carry tokens or personal data).
std::string url_for_message(std::string_view url) {
  auto cut = url.find_first_of("?#");
  std::string_view base = url.substr(0, cut);
  auto scheme_end = base.find("://");
  std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  auto authority_end = base.find('/', authority_start);
  std::string_view authority = base.substr(authority_start, authority_end == std::string_view::npos
                                                                ? std::string_view::npos
                                                                : authority_end - authority_start);
  auto at = authority.rfind('@');
  if (at == std::string_view::npos) {
    return std::string(base);
  }
  std::string out(base.substr(0, authority_start));
  out += base.substr(authority_start + at + 1);
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

/// What the callbacks of one transfer write into.
struct Transfer {
  std::string body;
  Headers headers;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  transfer->body.append(data, size * count);
  return size * count;
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line: an interim response (100 Continue) or an earlier hop came before; only
    // the final response's headers describe the body we return.
    transfer->headers.clear();
  } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    // Obsolete line folding (RFC 9112 5.2): continues the previous field's value.
    if (!transfer->headers.empty()) {
      transfer->headers.back().second += ' ';
      transfer->headers.back().second += trim(line);
    }
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    transfer->headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

bool has_header(const Headers& headers, std::string_view name) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (const auto& entry : headers) {
    const std::string& key = entry.first;
    if (std::equal(key.begin(), key.end(), name.begin(), name.end(),
                   [&](char a, char b) { return lower(a) == lower(b); })) {
      return true;
    }
  }
  return false;
}

class CurlHttpClient final : public HttpClient {
public:
  // libcurl is loaded here, by the first client, rather than by the dynamic loader at start-up.
  explicit CurlHttpClient(HttpClientOptions options)
      : m_options(std::move(options)), m_curl(libcurl_api()) {}

  HttpResponse send(const HttpRequest& request) override {
    EasyHandle handle = take_handle();
    HttpResponse response;
    try {
      response = perform(handle.get(), request);
    } catch (...) {
      give_back(std::move(handle));
      throw;
    }
    give_back(std::move(handle));
    return response;
  }

private:
  EasyHandle take_handle() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        EasyHandle handle = std::move(m_idle.back());
        m_idle.pop_back();
        return handle;
      }
    }
    EasyHandle handle(m_curl.easy_init());
    if (!handle) {
      throw Error(ErrorKind::unavailable, "libcurl could not create a transfer handle",
                  "the machine may be out of memory; retry");
    }
    return handle;
  }

  void give_back(EasyHandle handle) {
    // curl_easy_reset clears the options but keeps the live connections, so the next request to
    // the same host reuses the socket (and the TLS session).
    m_curl.easy_reset(handle.get());
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < k_max_idle_handles) {
      m_idle.push_back(std::move(handle));
    }
  }

  HttpResponse perform(CURL* curl, const HttpRequest& request) {
    Transfer transfer;
    char error_buffer[CURL_ERROR_SIZE] = {};

    Slist header_list;
    auto append_header = [&](const std::string& line) {
      curl_slist* next = m_curl.slist_append(header_list.get(), line.c_str());
      if (next == nullptr) {
        throw Error(ErrorKind::unavailable, "libcurl could not build the request headers",
                    "the machine may be out of memory; retry");
      }
      (void)header_list.release();
      header_list.reset(next);
    };
    for (const auto& [name, value] : request.headers) {
      // "Name;" is how libcurl is told to send a header with an empty value.
      append_header(value.empty() ? name + ";" : name + ": " + value);
    }
    if (!has_header(request.headers, "Expect")) {
      // libcurl would add "Expect: 100-continue" to larger bodies and wait for the server's go;
      // providers answer quickly, so the extra round trip only adds latency.
      append_header("Expect:");
    }

    m_curl.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    m_curl.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    m_curl.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    m_curl.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    m_curl.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, m_options.connect_timeout_ms);
    m_curl.easy_setopt(curl, CURLOPT_TIMEOUT_MS, m_options.total_timeout_ms);
    // Verification is deliberately not configurable: vami sends account credentials.
    m_curl.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    m_curl.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    m_curl.easy_setopt(curl, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    m_curl.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    m_curl.easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    m_curl.easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    // A redirect would resend the Authorization header to wherever it points.
    m_curl.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    m_curl.easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
    m_curl.easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    m_curl.easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    m_curl.easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
    m_curl.easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);

    const std::string& method = request.method;
    if (method == "GET") {
      m_curl.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      m_curl.easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      m_curl.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
      // A POST always carries a body (possibly empty, "Content-Length: 0"); other methods only
      // when there is one, so that a plain DELETE goes out without a Content-Type.
      if (method == "POST" || !request.body.empty()) {
        m_curl.easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        m_curl.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size()));
      }
    }

    CURLcode code = m_curl.easy_perform(curl);
    if (code != CURLE_OK) {
      std::string reason = error_buffer[0] != '\0' ? std::string(error_buffer)
                                                   : std::string(m_curl.easy_strerror(code));
      throw Error(ErrorKind::unavailable,
                  method + " " + url_for_message(request.url) +
                      " failed: " + std::string(trim(reason)),
                  k_transport_hint);
    }

    long status = 0;
    m_curl.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    HttpResponse response;
    response.status = static_cast<int>(status);
    response.headers = std::move(transfer.headers);
    response.body = std::move(transfer.body);
    return response;
  }

  HttpClientOptions m_options;
  const LibcurlApi& m_curl;
  std::mutex m_mutex;
  std::vector<EasyHandle> m_idle;
};

} // namespace

std::unique_ptr<HttpClient> make_curl_http_client(const HttpClientOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

} // namespace vami::http
