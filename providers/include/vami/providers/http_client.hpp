#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vami::http {

/// Header fields in the order they are sent; names compare case-insensitively (RFC 9110 5.1).
using Headers = std::vector<std::pair<std::string, std::string>>;

/// One HTTP request. `url` is absolute (scheme, host, path and query string).
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
};

/// One HTTP response as received.
struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  /// The value of the first header named `name` (case-insensitive); empty when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
};

/// Sends one request and returns its response: the transport behind every provider. Any status
/// code is a response, not an error.
/// @throws vami::Error(unavailable) when no response arrived (refused, reset, DNS, TLS, timeout);
///         the message names the URL and the transport's reason.
/// Implementations are thread-safe: many threads may call `send` at once.
class HttpClient {
public:
  virtual ~HttpClient() = default;
  /// Sends `request` and waits for the whole response.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

/// Timeouts and identity of an HTTP client.
struct HttpClientOptions {
  long connect_timeout_ms = 10'000; ///< TCP + TLS handshake.
  long total_timeout_ms = 60'000;   ///< Whole request, response included.
  std::string user_agent = "vami";
};

/// An `HttpClient` over libcurl: TLS peer and host verification always on, connections reused
/// across requests (a pool of easy handles shared by all threads), HTTP/1.1 keep-alive.
/// libcurl (libcurl.so.4) is loaded on first use, so commands that send no request never load
/// it and its libraries.
/// @throws vami::Error(provider) when libcurl.so.4 cannot be loaded (hint: apt-get install
///         libcurl4); Error(unavailable) when curl_global_init fails.
[[nodiscard]] std::unique_ptr<HttpClient> make_curl_http_client(const HttpClientOptions& options);

/// A function that answers requests in-process (the sandbox emulator).
using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

/// An `HttpClient` that hands each request to `handler` without a socket: how vami talks to the
/// built-in sandbox when no credentials are configured. The handler must be thread-safe.
[[nodiscard]] std::unique_ptr<HttpClient> make_in_process_http_client(RequestHandler handler);

/// Where a debug trace goes (one call per request or response, several lines each).
using TraceSink = std::function<void(std::string_view)>;

/// Wraps `inner` so that every request and response is written to `sink` (`--debug`), with
/// secrets redacted: the `Authorization`, `xi-api-key` and `Cookie` headers, every string in
/// `secrets` wherever it appears, and token-like fields of form and JSON bodies (see `redact`).
[[nodiscard]] std::unique_ptr<HttpClient>
make_tracing_http_client(std::unique_ptr<HttpClient> inner, TraceSink sink,
                         std::vector<std::string> secrets);

/// Replaces every occurrence of each non-empty string of `secrets` in `text` by "[REDACTED]",
/// and the values of form fields and JSON members whose names contain "token", "secret",
/// "password" or "api_key" (case-insensitive).
[[nodiscard]] std::string redact(std::string_view text, const std::vector<std::string>& secrets);

/// Percent-encodes `text` for a URL query or form body (RFC 3986 unreserved characters kept).
[[nodiscard]] std::string url_encode(std::string_view text);
/// Decodes percent-encoding and, for form bodies, `+` as space.
[[nodiscard]] std::string url_decode(std::string_view text);
/// Encodes name/value pairs as `application/x-www-form-urlencoded` (also for query strings).
[[nodiscard]] std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
/// Decodes `a=1&b=2` into pairs, in order.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> form_decode(std::string_view text);

/// The HTTP Basic `Authorization` header value for `user` and `password` (RFC 7617).
[[nodiscard]] std::string basic_authorization(std::string_view user, std::string_view password);

/// The wait a `Retry-After` header value asks for, in seconds: delay-seconds or an HTTP-date
/// (RFC 9110 10.2.3; a date in the past means 0). Empty when absent or malformed.
[[nodiscard]] std::optional<double> parse_retry_after(std::string_view value);

/// One part of a `multipart/form-data` body (RFC 7578): a field, or a file when `file_name` is
/// set.
struct MultipartPart {
  std::string name;         ///< The form field name.
  std::string file_name;    ///< Set for a file part; empty for a plain field.
  std::string content_type; ///< Of a file part; empty for a plain field.
  std::string content;      ///< The bytes.
};

/// A `multipart/form-data` body and the `Content-Type` header value that names its boundary.
struct MultipartBody {
  std::string content_type; ///< "multipart/form-data; boundary=...".
  std::string body;
};

/// Encodes `parts` as `multipart/form-data` (RFC 7578) with a random boundary that does not
/// occur in any part.
[[nodiscard]] MultipartBody multipart_encode(const std::vector<MultipartPart>& parts);

/// Decodes a `multipart/form-data` body given its `Content-Type` header value.
/// @throws vami::Error(invalid_input) when the header has no boundary or the body is malformed.
[[nodiscard]] std::vector<MultipartPart> multipart_decode(std::string_view content_type,
                                                          std::string_view body);

} // namespace vami::http
