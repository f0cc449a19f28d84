#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vami/core/telephony_provider.hpp>

namespace vami::testing {

/// A telephony provider that passes every call to `inner`: the base of test doubles that change
/// one or two calls (fail a release, fill the disk after a purchase), so that a method added to
/// TelephonyProvider is forwarded by all of them without touching each.
class ForwardingTelephonyProvider : public TelephonyProvider {
public:
  explicit ForwardingTelephonyProvider(TelephonyProvider& inner) : m_inner(inner) {}

  std::string name() const override { return m_inner.name(); }
  std::vector<AvailableNumber> search_available(const NumberSearch& search) override {
    return m_inner.search_available(search);
  }
  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    return m_inner.buy(e164, tag);
  }
  std::optional<OwnedNumber> find_owned(const std::string& e164) override {
    return m_inner.find_owned(e164);
  }
  std::vector<OwnedNumber> list_owned() override { return m_inner.list_owned(); }
  std::vector<TelephonyCall> list_calls(const std::string& since) override {
    return m_inner.list_calls(since);
  }
  OwnedNumber set_voice_webhook(const std::string& sid, const VoiceWebhook& webhook) override {
    return m_inner.set_voice_webhook(sid, webhook);
  }
  VoiceWebhook out_of_service_webhook(const std::string& message) const override {
    return m_inner.out_of_service_webhook(message);
  }
  void release(const std::string& sid) override { m_inner.release(sid); }
  AgentSipTrunk ensure_sip_trunk(const std::string& name, const std::string& uri) override {
    return m_inner.ensure_sip_trunk(name, uri);
  }
  void move_to_sip_trunk(const std::string& sid, const std::string& trunk_id) override {
    m_inner.move_to_sip_trunk(sid, trunk_id);
  }
  void remove_from_sip_trunk(const std::string& sid, const std::string& trunk_id) override {
    m_inner.remove_from_sip_trunk(sid, trunk_id);
  }
  std::vector<AgentSipTrunk> list_sip_trunks() override { return m_inner.list_sip_trunks(); }
  std::optional<Money> monthly_price(const std::string& country, NumberType type) override {
    return m_inner.monthly_price(country, type);
  }

protected:
  /// The provider every call goes to.
  TelephonyProvider& inner() { return m_inner; }

private:
  TelephonyProvider& m_inner;
};

} // namespace vami::testing
