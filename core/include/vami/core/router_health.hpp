#pragma once

#include <string>

namespace vami {

/// What the call router's health endpoint answered (`GET <public>/healthz` of
/// `vami router serve`: 200 `{"status":"ok"}` while it can read the state database, 503 when it
/// cannot).
struct RouterHealth {
  std::string url;      ///< The health URL asked.
  bool healthy = false; ///< Answered 200 with `{"status":"ok"}`.
  int http_status = 0;  ///< The answer's status; 0 when none arrived.
  /// Why it is not healthy: the transport's reason (refused, timeout, TLS) or what the answer
  /// was; empty when healthy.
  std::string problem;
};

/// Asks a call router whether it is up. Implementations must be safe to call from several
/// threads and give up quickly (a few seconds): a router that is slow to say it is up is not up
/// for Twilio, which waits 15 s for a whole call setup.
class RouterHealthProbe {
public:
  virtual ~RouterHealthProbe() = default;
  /// One `GET health_url`. Never throws for what the router or the network does: every failure
  /// is a `RouterHealth` that is not healthy.
  virtual RouterHealth probe(const std::string& health_url) = 0;
};

} // namespace vami
