#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sandbox/provider_emulator.hpp"

// Private to providers/: stream agents as the sandbox plays them (no remote API: their calls
// are streamed to the platform's own orchestrator, which the sandbox runs, orchestrator.hpp).

namespace vami::sandbox {

/// Stream agents' emulator: it serves no path; it answers a call whose TwiML streams it to the
/// platform's orchestrator (`<Connect><Stream>` with a `vami_agent_id` parameter and no
/// `agent_id`, as vami's router answers).
class StreamEmulator final : public AgentProviderEmulator {
public:
  /// No tables: the orchestrator's (`media_streams`) belong to the sandbox that runs it.
  void create_schema(SQLite::Database& db) override;
  /// False: stream agents have no API.
  [[nodiscard]] bool handles(std::string_view path) const override;
  /// 404 `{"detail": "Not Found"}` (never routed here).
  http::HttpResponse handle(const http::HttpRequest& request, const std::string& path,
                            const std::string& query) override;
  /// Whether the stream names a stream agent (`vami_agent_id`) and no ElevenLabs agent.
  [[nodiscard]] bool answers_stream(const twiml::Answer& answer) const override;
  /// Follows the stream (`CallContext::follow_stream`: over a WebSocket when the sandbox serves
  /// the URL; `stream_failed` when that stream fails); the agent is the one the parameters name
  /// (`vami_agent_id`, `vami_agent_name`), greeting with `vami_greeting`; the call keeps the
  /// parameters the orchestrator received as its dynamic variables.
  void answer_stream(const CallContext& context, const InboundCall& call,
                     const twiml::Answer& answer, CallProgress& progress) override;
};

} // namespace vami::sandbox
