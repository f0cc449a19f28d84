#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <vami/core/telephony_provider.hpp>
#include <vami/providers/twilio_trunking.hpp>

namespace vami::twilio::detail {

/// What `TelephonyProvider` asks of SIP trunks (`ensure_sip_trunk`, `move_to_sip_trunk`,
/// `remove_from_sip_trunk`), over the Elastic SIP Trunking v1 client. Thread-safe.
class AgentSipTrunks {
public:
  /// Over `trunking`, which must outlive this. `account_sid` makes the termination domains of
  /// the trunks it creates unique across Twilio (`<name>-<last 8 hex digits>.pstn.twilio.com`).
  AgentSipTrunks(SipTrunking& trunking, std::string account_sid);

  /// The trunk named `name` (the oldest when several are), created when none is, with an
  /// origination URL to `origination_sip_uri` added when it has none. Remembered for the
  /// process's life: later calls send no request.
  /// @throws what the trunking client throws.
  AgentSipTrunk ensure(const std::string& name, const std::string& origination_sip_uri);
  /// Puts the number on the trunk; nothing when it is there already.
  /// @throws Error(conflict) when it is on another trunk; what the client throws.
  void move(const std::string& phone_number_sid, const std::string& trunk_id);
  /// Takes the number off the trunk; nothing when it is not on it.
  /// @throws what the client throws, but not_found.
  void remove(const std::string& phone_number_sid, const std::string& trunk_id);
  /// Every trunk of the account, oldest first.
  /// @throws what the trunking client throws.
  std::vector<AgentSipTrunk> list();

private:
  AgentSipTrunk find_or_create(const std::string& name);

  SipTrunking& m_trunking;
  const std::string m_account_sid;
  std::mutex m_mutex;
  std::map<std::pair<std::string, std::string>, AgentSipTrunk> m_ensured;
};

} // namespace vami::twilio::detail
