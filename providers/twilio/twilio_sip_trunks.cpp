// The telephony account's SIP trunks to voice-agent providers that answer numbers over SIP
// (twilio_sip_trunks.hpp), over the Elastic SIP Trunking v1 client.
#include "twilio_sip_trunks.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <vami/core/error.hpp>

namespace vami::twilio::detail {

namespace {

// A trunk's termination domain: letters, digits and dashes, unique across Twilio.
std::string domain_label(const std::string& name, const std::string& account_sid) {
  std::string label;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0) {
      label += static_cast<char>(std::tolower(byte));
    } else if (!label.empty() && label.back() != '-') {
      label += '-';
    }
  }
  while (!label.empty() && label.back() == '-') {
    label.pop_back();
  }
  const std::string suffix =
      account_sid.size() > 8 ? account_sid.substr(account_sid.size() - 8) : account_sid;
  std::string lowered;
  for (char c : suffix) {
    lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return label + "-" + lowered + ".pstn.twilio.com";
}

AgentSipTrunk to_agent_trunk(const SipTrunk& trunk) {
  return AgentSipTrunk{trunk.sid, trunk.friendly_name, trunk.domain_name};
}

} // namespace

AgentSipTrunks::AgentSipTrunks(SipTrunking& trunking, std::string account_sid)
    : m_trunking(trunking), m_account_sid(std::move(account_sid)) {}

AgentSipTrunk AgentSipTrunks::find_or_create(const std::string& name) {
  auto find = [&]() -> std::optional<SipTrunk> {
    for (SipTrunk& trunk : m_trunking.list_trunks()) { // oldest first
      if (trunk.friendly_name == name) {
        return std::move(trunk);
      }
    }
    return std::nullopt;
  };
  if (std::optional<SipTrunk> trunk = find()) {
    return to_agent_trunk(*trunk);
  }
  try {
    return to_agent_trunk(m_trunking.create_trunk(name, domain_label(name, m_account_sid)));
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::rate_limited) {
      throw;
    }
    // Created by an attempt whose answer was lost, or by another process just now.
    if (std::optional<SipTrunk> trunk = find()) {
      return to_agent_trunk(*trunk);
    }
    throw;
  }
}

AgentSipTrunk AgentSipTrunks::ensure(const std::string& name,
                                     const std::string& origination_sip_uri) {
  std::lock_guard lock(m_mutex);
  const auto key = std::make_pair(name, origination_sip_uri);
  if (auto found = m_ensured.find(key); found != m_ensured.end()) {
    return found->second;
  }
  AgentSipTrunk trunk = find_or_create(name);
  const std::vector<OriginationUrl> urls = m_trunking.list_origination_urls(trunk.trunk_id);
  const bool pointed = std::any_of(urls.begin(), urls.end(), [&](const OriginationUrl& url) {
    return url.enabled && url.sip_url == origination_sip_uri;
  });
  if (!pointed) {
    (void)m_trunking.add_origination_url(trunk.trunk_id, origination_sip_uri, name);
  }
  m_ensured.emplace(key, trunk);
  return trunk;
}

void AgentSipTrunks::move(const std::string& phone_number_sid, const std::string& trunk_id) {
  try {
    (void)m_trunking.add_number(trunk_id, phone_number_sid);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::invalid_input && error.kind() != ErrorKind::provider) {
      throw;
    }
    // Twilio refuses a number that is on a trunk already (21220): on this one, nothing to do.
    const std::vector<TrunkPhoneNumber> numbers = m_trunking.list_numbers(trunk_id);
    if (std::any_of(numbers.begin(), numbers.end(), [&](const TrunkPhoneNumber& number) {
          return number.sid == phone_number_sid;
        })) {
      return;
    }
    throw Error(ErrorKind::conflict,
                "number " + phone_number_sid + " cannot be moved onto SIP trunk " + trunk_id +
                    ": " + error.what(),
                "take it off the SIP trunk it is on (Twilio console: Elastic SIP Trunking), then "
                "run 'vami reconcile --apply'");
  }
}

std::vector<AgentSipTrunk> AgentSipTrunks::list() {
  std::vector<AgentSipTrunk> trunks;
  for (const SipTrunk& trunk : m_trunking.list_trunks()) {
    trunks.push_back(to_agent_trunk(trunk));
  }
  return trunks;
}

void AgentSipTrunks::remove(const std::string& phone_number_sid, const std::string& trunk_id) {
  try {
    m_trunking.remove_number(trunk_id, phone_number_sid);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::not_found) {
      throw;
    }
  }
}

} // namespace vami::twilio::detail
