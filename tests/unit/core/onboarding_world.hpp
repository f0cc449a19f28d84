#pragma once

// The world of the onboarding tests (test_onboarding_service.cpp, test_onboarding_fault_sweep.cpp):
// a pool of two numbers, two knowledge files and an onboarding service over the fake providers.

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "service_fixture.hpp"

#include <vami/core/onboarding_service.hpp>

namespace vami {

inline constexpr const char* k_router = "https://router.example.com/voice";

/// A pool of two numbers, two knowledge files, and an onboarding service over them (ElevenLabs
/// agents: `m_voice`).
class OnboardingWorld : public test::ServiceWorld {
public:
  OnboardingWorld() : m_onboarding(m_telephony, m_voice_agents, *m_store, "tester", k_router) {
    m_numbers = buy_numbers(2);
    m_faq = write("faq.txt", "Q: Do you take walk-ins?\nA: Yes, before noon.\n");
    m_hours = write("hours.md", "# Opening hours\n\nMonday to Friday, 9-17.\n");
    m_voice_before = m_voice.call_count();
    m_telephony_before = static_cast<int>(m_telephony.calls().size());
    m_audit_before = audit().size();
  }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    auto path = m_dir / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Tenant, agent with a voice named by its name, two documents, and a pool number.
  OnboardRequest full_request(RoutingMode mode = RoutingMode::native) {
    OnboardRequest request;
    request.tenant.slug = "acme";
    request.tenant.name = "Acme Dental";
    request.tenant.industry = "dental";
    request.number = m_numbers[0];
    request.mode = mode;
    request.agent.name = "Front Desk";
    request.agent.prompt = "Book dental appointments.";
    request.agent.first_message = "Hello, Acme Dental.";
    request.agent.voice = "Rachel";
    request.agent.personality = Personality::friendly;
    request.files = {m_faq, m_hours};
    return request;
  }

  OnboardResult onboard(const OnboardRequest& request) {
    return m_onboarding.onboard(request, [&](const std::string& step, const std::string& what) {
      m_steps.emplace_back(step, what);
    });
  }

  // Telephony calls since the world was set up.
  int telephony_calls() const {
    return static_cast<int>(m_telephony.calls().size()) - m_telephony_before;
  }

  OnboardingService m_onboarding;
  std::vector<std::string> m_numbers;
  std::filesystem::path m_faq;
  std::filesystem::path m_hours;
  int m_voice_before = 0;
  int m_telephony_before = 0;
  std::size_t m_audit_before = 0;
  std::vector<std::pair<std::string, std::string>> m_steps;
};

} // namespace vami
