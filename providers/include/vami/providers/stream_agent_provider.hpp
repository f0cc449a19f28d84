#pragma once

#include <memory>

#include <vami/core/voice_agent_provider.hpp>

namespace vami {

/// The name stream agents are stored under (`Agent::provider`).
inline constexpr const char* k_stream_provider_name = "stream";

/// The "stream" voice-agent provider: agents that run on the platform's own orchestrator,
/// reached over Twilio Media Streams. There is no remote account: an agent is its row in the
/// state database (the orchestrator's WebSocket URL and the parameters to pass), its id is
/// made here (`stream_` and 24 hex digits), and the router answers a call to one of its numbers
/// with `<Connect><Stream url>` carrying the tenant's settings as `<Parameter>`s
/// (`register_call`). It has no voices, knowledge base, imported numbers or workspace webhooks:
/// those methods throw Error(invalid_input) saying so (listings return nothing). Thread-safe.
[[nodiscard]] std::unique_ptr<VoiceAgentProvider> make_stream_agent_provider();

} // namespace vami
