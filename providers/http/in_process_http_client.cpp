#include <memory>
#include <utility>

#include <vami/providers/http_client.hpp>

namespace vami::http {

namespace {

class InProcessHttpClient final : public HttpClient {
public:
  explicit InProcessHttpClient(RequestHandler handler) : m_handler(std::move(handler)) {}

  // Exceptions from the handler propagate unchanged: the emulator throws vami::Error(unavailable)
  // to stand for a lost response, exactly as a socket client would.
  HttpResponse send(const HttpRequest& request) override { return m_handler(request); }

private:
  RequestHandler m_handler;
};

} // namespace

std::unique_ptr<HttpClient> make_in_process_http_client(RequestHandler handler) {
  return std::make_unique<InProcessHttpClient>(std::move(handler));
}

} // namespace vami::http
