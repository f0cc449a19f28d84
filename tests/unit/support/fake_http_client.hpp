#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>

namespace vami::test {

/// A failure `FakeHttpClient` can be told to produce instead of answering one call.
enum class HttpFault {
  connection_refused, ///< Throws Error(unavailable, "<METHOD> <url> failed: connection refused").
  timeout,            ///< Throws Error(unavailable, "<METHOD> <url> failed: timeout").
  server_error,       ///< Answers 500 with a Twilio-shaped JSON error body (code 20500).
  rate_limited,       ///< Answers 429, `Retry-After: 1`, Twilio-shaped body (code 20429).
};

/// The fake half of `CurlHttpClient` for unit tests: records every request it is given, answers
/// from a scripted queue (first in, first out) or, when the queue is empty, from a handler, and
/// can be told to fail the Nth call (1-based, counting every call) with an `HttpFault`. A faulted
/// call is recorded but consumes no scripted response. Thread-safe; the handler is called
/// without the lock held, so it may be slow or call back into the fake.
class FakeHttpClient final : public http::HttpClient {
public:
  /// Answers the next call that has no fault with `response`.
  void push_response(http::HttpResponse response) {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(response));
  }

  /// Shorthand for `push_response` with a status, a body and optional headers.
  void push_response(int status, std::string body, http::Headers headers = {}) {
    push_response(http::HttpResponse{status, std::move(headers), std::move(body)});
  }

  /// Answers every call the queue cannot with `handler` (which may also throw).
  void set_handler(http::RequestHandler handler) {
    std::lock_guard lock(m_mutex);
    m_handler = std::move(handler);
  }

  /// Makes call number `nth` (1-based, over the fake's whole life) fail with `fault`.
  void fail_at(std::size_t nth, HttpFault fault) {
    std::lock_guard lock(m_mutex);
    m_faults[nth] = fault;
  }

  /// Every request received so far, in order, faulted ones included.
  [[nodiscard]] std::vector<http::HttpRequest> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

  /// How many times `send` was called.
  [[nodiscard]] std::size_t call_count() const {
    std::lock_guard lock(m_mutex);
    return m_requests.size();
  }

  /// The most recent request. @throws std::logic_error when there was none.
  [[nodiscard]] http::HttpRequest last_request() const {
    std::lock_guard lock(m_mutex);
    if (m_requests.empty()) {
      throw std::logic_error("FakeHttpClient: no request was sent");
    }
    return m_requests.back();
  }

  /// Scripted responses not consumed yet.
  [[nodiscard]] std::size_t pending_responses() const {
    std::lock_guard lock(m_mutex);
    return m_queue.size();
  }

  http::HttpResponse send(const http::HttpRequest& request) override {
    http::RequestHandler handler;
    {
      std::lock_guard lock(m_mutex);
      m_requests.push_back(request);
      if (auto fault = m_faults.find(m_requests.size()); fault != m_faults.end()) {
        return answer_fault(fault->second, request);
      }
      if (!m_queue.empty()) {
        http::HttpResponse response = std::move(m_queue.front());
        m_queue.pop_front();
        return response;
      }
      handler = m_handler;
    }
    if (!handler) {
      throw std::logic_error("FakeHttpClient: nothing scripted for " + request.method + " " +
                             request.url);
    }
    return handler(request);
  }

private:
  static http::HttpResponse answer_fault(HttpFault fault, const http::HttpRequest& request) {
    std::string url = request.url.substr(0, request.url.find('?'));
    switch (fault) {
    case HttpFault::connection_refused:
      throw Error(ErrorKind::unavailable,
                  request.method + " " + url + " failed: connection refused",
                  "check the network and the base URL, then retry");
    case HttpFault::timeout:
      throw Error(ErrorKind::unavailable, request.method + " " + url + " failed: timeout",
                  "check the network and the base URL, then retry");
    case HttpFault::server_error:
      return {500,
              {{"Content-Type", "application/json"}},
              R"({"code": 20500, "message": "Internal Server Error", "more_info": )"
              R"("https://www.twilio.com/docs/errors/20500", "status": 500})"};
    case HttpFault::rate_limited:
      return {429,
              {{"Content-Type", "application/json"}, {"Retry-After", "1"}},
              R"({"code": 20429, "message": "Too Many Requests", "more_info": )"
              R"("https://www.twilio.com/docs/errors/20429", "status": 429})"};
    }
    throw std::logic_error("FakeHttpClient: unknown fault");
  }

  mutable std::mutex m_mutex;
  std::vector<http::HttpRequest> m_requests;
  std::deque<http::HttpResponse> m_queue;
  http::RequestHandler m_handler;
  std::map<std::size_t, HttpFault> m_faults;
};

} // namespace vami::test
