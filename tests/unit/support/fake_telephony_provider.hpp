#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <vami/core/error.hpp>
#include <vami/core/telephony_provider.hpp>

namespace vami::testing {

/// An in-memory `TelephonyProvider` for core unit tests: a fixed inventory per area code, an
/// account of owned numbers, a log of every call, and faults injected at the Nth call.
class FakeTelephonyProvider final : public TelephonyProvider {
public:
  /// What the Nth call does instead of answering.
  struct Fault {
    ErrorKind kind = ErrorKind::unavailable;
    /// The provider acts first and the response is lost (a timeout after a purchase).
    bool acted = false;
  };

  /// One recorded call: the method name and its main argument.
  struct Call {
    std::string method;
    std::string argument;
  };

  /// `per_area_code` numbers for sale in each of the given area codes: +1<area>555<4 digits>.
  explicit FakeTelephonyProvider(std::vector<std::string> area_codes = {"212"},
                                 int per_area_code = 200) {
    for (const auto& area : area_codes) {
      for (int i = 0; i < per_area_code; ++i) {
        std::string line = std::to_string(1000 + i);
        m_inventory[area].push_back("+1" + area + "555" + line);
      }
    }
  }

  /// Makes call number `n` (1-based, counting every method) fail with `fault`.
  void fail_at(int n, Fault fault) {
    std::lock_guard lock(m_mutex);
    m_faults[n] = fault;
  }
  /// Makes the next call of `method` fail with `fault`.
  void fail_next(const std::string& method, Fault fault) {
    std::lock_guard lock(m_mutex);
    m_method_faults[method] = fault;
  }
  /// Makes every `buy` of `e164` answer "not available" (someone else took it).
  void take(const std::string& e164) {
    std::lock_guard lock(m_mutex);
    m_taken.insert(e164);
  }
  /// Sells out an area code: its numbers are no longer offered by any search.
  void sell_out(const std::string& area_code) {
    std::lock_guard lock(m_mutex);
    m_inventory.erase(area_code);
  }
  /// Sets the monthly price (nullopt: none published).
  void set_price(std::optional<Money> price) { m_price = std::move(price); }

  /// Every call so far, in order.
  std::vector<Call> calls() const {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }
  /// Number of calls of `method`.
  int count(const std::string& method) const {
    std::lock_guard lock(m_mutex);
    int n = 0;
    for (const auto& call : m_calls) {
      n += call.method == method ? 1 : 0;
    }
    return n;
  }
  /// Sets the voice URL (POST) of an owned number directly, unrecorded, as a voice-agent
  /// provider's import does or someone in the provider's console would; nothing when the
  /// account does not own it.
  void point(const std::string& e164, const std::string& voice_url) {
    std::lock_guard lock(m_mutex);
    if (auto it = m_owned.find(e164); it != m_owned.end()) {
      it->second.webhook.voice_url = voice_url;
      it->second.webhook.voice_method = "POST";
    }
  }
  /// The voice URL of an owned number ("" when none or not owned), unrecorded.
  std::string voice_url_of(const std::string& e164) const {
    std::lock_guard lock(m_mutex);
    auto it = m_owned.find(e164);
    return it == m_owned.end() ? std::string() : it->second.webhook.voice_url;
  }
  /// The numbers the account owns, by E.164.
  std::map<std::string, OwnedNumber> owned() const {
    std::lock_guard lock(m_mutex);
    return m_owned;
  }

  std::string name() const override { return "fake"; }

  std::vector<AvailableNumber> search_available(const NumberSearch& search) override {
    std::lock_guard lock(m_mutex);
    begin("search_available", search.area_code + "|" + search.contains, false);
    std::vector<AvailableNumber> found;
    for (const auto& [area, numbers] : m_inventory) {
      if (!search.area_code.empty() && area != search.area_code) {
        continue;
      }
      for (const auto& e164 : numbers) {
        if (static_cast<int>(found.size()) >= std::min(search.limit, 30)) {
          break;
        }
        if (m_owned.count(e164) > 0) {
          continue;
        }
        if (!search.contains.empty() && search.contains.back() == '$' &&
            e164.substr(e164.size() - (search.contains.size() - 1)) !=
                search.contains.substr(0, search.contains.size() - 1)) {
          continue;
        }
        AvailableNumber number;
        number.e164 = e164;
        number.country = "US";
        number.locality = "New York";
        number.region = "NY";
        found.push_back(number);
      }
    }
    return found;
  }

  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    std::lock_guard lock(m_mutex);
    auto act = [&] {
      PurchaseOutcome outcome;
      if (m_owned.count(e164) > 0 || m_taken.count(e164) > 0) {
        outcome.status = PurchaseOutcome::Status::unavailable;
        outcome.provider_message = "PhoneNumber requested is not available";
        return outcome;
      }
      OwnedNumber number;
      number.provider_sid = "PN" + std::string(32 - std::to_string(m_next_sid).size(), '0') +
                            std::to_string(m_next_sid);
      ++m_next_sid;
      number.e164 = e164;
      number.friendly_name = tag;
      m_owned[e164] = number;
      outcome.number = number;
      return outcome;
    };
    if (begin("buy", e164, true)) {
      act();
      fail();
    }
    return act();
  }

  std::optional<OwnedNumber> find_owned(const std::string& e164) override {
    std::lock_guard lock(m_mutex);
    begin("find_owned", e164, false);
    auto it = m_owned.find(e164);
    return it == m_owned.end() ? std::nullopt : std::optional<OwnedNumber>(it->second);
  }

  /// Adds a call to the account's call list.
  void add_call(TelephonyCall call) {
    std::lock_guard lock(m_mutex);
    m_account_calls.push_back(std::move(call));
  }

  /// The calls added, those started on or after the date (Twilio compares days).
  std::vector<TelephonyCall> list_calls(const std::string& started_on_or_after) override {
    std::lock_guard lock(m_mutex);
    begin("list_calls", started_on_or_after, false);
    std::vector<TelephonyCall> calls;
    for (const TelephonyCall& call : m_account_calls) {
      if (call.start_time.substr(0, 10) >= started_on_or_after) {
        calls.push_back(call);
      }
    }
    return calls;
  }

  std::vector<OwnedNumber> list_owned() override {
    std::lock_guard lock(m_mutex);
    begin("list_owned", "", false);
    std::vector<OwnedNumber> numbers;
    for (const auto& [e164, number] : m_owned) {
      numbers.push_back(number);
    }
    return numbers;
  }

  OwnedNumber set_voice_webhook(const std::string& provider_sid,
                                const VoiceWebhook& webhook) override {
    std::lock_guard lock(m_mutex);
    begin("set_voice_webhook", provider_sid, false);
    for (auto& [e164, number] : m_owned) {
      if (number.provider_sid == provider_sid) {
        // As Twilio: an empty method or status callback is not sent, so stays as it was.
        number.webhook.voice_url = webhook.voice_url;
        if (!webhook.voice_method.empty()) {
          number.webhook.voice_method = webhook.voice_method;
        }
        if (!webhook.status_callback.empty()) {
          number.webhook.status_callback = webhook.status_callback;
        }
        return number;
      }
    }
    throw Error(ErrorKind::not_found, provider_sid + " not found");
  }

  /// A recognisable URL that encodes the message (the fake serves no TwiML).
  VoiceWebhook out_of_service_webhook(const std::string& message) const override {
    return {"https://out-of-service.example.com/" + (message.empty() ? "reject" : "say?" + message),
            "GET", ""};
  }

  void release(const std::string& provider_sid) override {
    std::lock_guard lock(m_mutex);
    auto act = [&] {
      for (auto it = m_owned.begin(); it != m_owned.end(); ++it) {
        if (it->second.provider_sid == provider_sid) {
          m_owned.erase(it);
          return;
        }
      }
      throw Error(ErrorKind::not_found, provider_sid + " not found");
    };
    if (begin("release", provider_sid, true)) {
      act();
      fail();
    }
    act();
  }

  /// Trunks are named; the first `ensure_sip_trunk` of a name creates it ("TK1", ...), with the
  /// termination URI `<name>.pstn.example.com`, and records its origination URI.
  AgentSipTrunk ensure_sip_trunk(const std::string& name,
                                 const std::string& origination_sip_uri) override {
    std::lock_guard lock(m_mutex);
    begin("ensure_sip_trunk", name, false);
    auto [it, created] = m_trunks.try_emplace(name);
    if (created) {
      it->second.trunk_id = "TK" + std::to_string(m_trunks.size());
      it->second.name = name;
      it->second.termination_uri = name + ".pstn.example.com";
    }
    m_trunk_origination[it->second.trunk_id] = origination_sip_uri;
    return it->second;
  }

  void move_to_sip_trunk(const std::string& provider_sid, const std::string& trunk_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("move_to_sip_trunk", provider_sid, true);
    OwnedNumber& number = owned_by_sid(provider_sid);
    if (!number.sip_trunk_id.empty() && number.sip_trunk_id != trunk_id) {
      throw Error(ErrorKind::conflict, provider_sid + " is on trunk " + number.sip_trunk_id);
    }
    number.sip_trunk_id = trunk_id;
    if (act_then_fail) {
      fail();
    }
  }

  void remove_from_sip_trunk(const std::string& provider_sid,
                             const std::string& trunk_id) override {
    std::lock_guard lock(m_mutex);
    const bool act_then_fail = begin("remove_from_sip_trunk", provider_sid, true);
    OwnedNumber& number = owned_by_sid(provider_sid);
    if (number.sip_trunk_id == trunk_id) {
      number.sip_trunk_id.clear();
    }
    if (act_then_fail) {
      fail();
    }
  }

  /// Every trunk, in the order made.
  std::vector<AgentSipTrunk> list_sip_trunks() override {
    std::lock_guard lock(m_mutex);
    begin("list_sip_trunks", "", false);
    std::vector<AgentSipTrunk> trunks;
    for (const auto& [name, trunk] : m_trunks) {
      trunks.push_back(trunk);
    }
    std::sort(trunks.begin(), trunks.end(), [](const AgentSipTrunk& a, const AgentSipTrunk& b) {
      return a.trunk_id.size() != b.trunk_id.size() ? a.trunk_id.size() < b.trunk_id.size()
                                                    : a.trunk_id < b.trunk_id;
    });
    return trunks;
  }

  /// Makes a trunk named `name` directly (as someone in the provider's console would), and
  /// returns its id.
  std::string make_trunk(const std::string& name) {
    std::lock_guard lock(m_mutex);
    AgentSipTrunk& trunk = m_trunks[name];
    trunk.trunk_id = "TK" + std::to_string(m_trunks.size());
    trunk.name = name;
    trunk.termination_uri = name + ".pstn.example.com";
    return trunk.trunk_id;
  }

  /// Puts a number on a trunk directly (as someone in the provider's console would).
  void put_on_trunk(const std::string& e164, const std::string& trunk_id) {
    std::lock_guard lock(m_mutex);
    m_owned.at(e164).sip_trunk_id = trunk_id;
  }
  /// The origination URI the trunk `trunk_id` was last ensured with.
  std::string trunk_origination(const std::string& trunk_id) const {
    std::lock_guard lock(m_mutex);
    auto found = m_trunk_origination.find(trunk_id);
    return found == m_trunk_origination.end() ? "" : found->second;
  }

  std::optional<Money> monthly_price(const std::string& country, NumberType) override {
    std::lock_guard lock(m_mutex);
    begin("monthly_price", country, false);
    return m_price;
  }

private:
  // Records the call; throws its fault, or returns true when the fault wants the action done
  // first (then the caller acts and calls fail()).
  bool begin(const std::string& method, const std::string& argument, bool can_act) {
    m_calls.push_back({method, argument});
    auto it = m_faults.find(static_cast<int>(m_calls.size()));
    auto by_method = m_method_faults.find(method);
    if (it != m_faults.end()) {
      m_pending = it->second;
    } else if (by_method != m_method_faults.end()) {
      m_pending = by_method->second;
      m_method_faults.erase(by_method);
    } else {
      return false;
    }
    if (m_pending.acted && can_act) {
      return true;
    }
    fail();
    return false;
  }

  OwnedNumber& owned_by_sid(const std::string& provider_sid) {
    for (auto& [e164, number] : m_owned) {
      if (number.provider_sid == provider_sid) {
        return number;
      }
    }
    throw Error(ErrorKind::not_found, provider_sid + " not found");
  }

  [[noreturn]] void fail() {
    throw Error(m_pending.kind, "injected fault at call " + std::to_string(m_calls.size()));
  }

  mutable std::mutex m_mutex;
  std::map<std::string, std::vector<std::string>> m_inventory;
  std::map<std::string, OwnedNumber> m_owned;
  std::vector<TelephonyCall> m_account_calls;
  std::set<std::string> m_taken;
  std::map<int, Fault> m_faults;
  std::map<std::string, Fault> m_method_faults;
  std::vector<Call> m_calls;
  Fault m_pending;
  std::optional<Money> m_price = Money{1'150'000, "USD"};
  std::map<std::string, AgentSipTrunk> m_trunks;
  std::map<std::string, std::string> m_trunk_origination;
  int m_next_sid = 1;
};

} // namespace vami::testing
