// The pool: its rows as read, voice webhooks and what every pool operation shares (buying,
// releasing and resuming live in pool_buying.cpp, pool_release.cpp and pool_resume.cpp).

#include "audit_json.hpp"

#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/pool_service.hpp>

namespace vami {

const char* to_string(ItemStatus status) noexcept {
  switch (status) {
  case ItemStatus::succeeded:
    return "succeeded";
  case ItemStatus::failed:
    return "failed";
  case ItemStatus::uncertain:
    return "uncertain";
  case ItemStatus::skipped:
    return "skipped";
  }
  return "failed";
}

void validate_webhook_url(const std::string& url, bool allow_http) {
  auto invalid = [&](const std::string& why, const std::string& hint) {
    return Error(ErrorKind::invalid_input, "voice webhook '" + url + "' " + why, hint);
  };
  bool https = url_scheme(url) == UrlScheme::https;
  bool http = url_scheme(url) == UrlScheme::http;
  if (!https && !http) {
    throw invalid("is not an http(s) URL",
                  "give an absolute URL such as https://example.com/voice");
  }
  if (http && !allow_http) {
    throw invalid("is not https", "use https, or pass --allow-http for a test endpoint");
  }
  std::string rest = url.substr(https ? 8 : 7);
  std::string host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || url.find_first_of(" \t\r\n\"<>\\^`{|}") != std::string::npos) {
    throw invalid("is not a valid URL", "give an absolute URL such as https://example.com/voice");
  }
}

PoolService::PoolService(TelephonyProvider& telephony, StateStore& store, std::string actor)
    : m_telephony(telephony), m_store(store), m_actor(std::move(actor)) {}

std::vector<PoolNumber> list_pool(StateStore& store, const NumberFilter& filter) {
  bool three_digits =
      filter.area_code.size() == 3 && std::all_of(filter.area_code.begin(), filter.area_code.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!filter.area_code.empty() && !three_digits) {
    throw Error(ErrorKind::invalid_input,
                "area code '" + filter.area_code + "' is not three digits", "write it like 212");
  }
  return store.list_numbers(filter);
}

PoolNumber find_pool_number(StateStore& store, const std::string& number) {
  std::string e164 = to_e164(number);
  auto row = store.find_number(e164);
  if (!row) {
    throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                "list the pool with 'vami numbers list'");
  }
  return *row;
}

PoolNumber PoolService::owned_row(const std::string& e164) {
  auto row = m_store.find_number(e164);
  if (!row || row->status == NumberStatus::released) {
    throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                "list the pool with 'vami numbers list'");
  }
  if (row->status == NumberStatus::purchasing || row->provider_sid.empty()) {
    throw Error(ErrorKind::conflict, e164 + " is still being purchased",
                "wait for the purchase to finish, or run 'vami reconcile'");
  }
  return *row;
}

PoolNumber PoolService::set_webhook(const std::string& number, const VoiceWebhook& webhook,
                                    bool allow_http) {
  std::string e164 = to_e164(number);
  validate_webhook_url(webhook.voice_url, allow_http);
  if (!webhook.status_callback.empty()) {
    validate_webhook_url(webhook.status_callback, allow_http);
  }
  if (webhook.voice_method != "POST" && webhook.voice_method != "GET") {
    throw Error(ErrorKind::invalid_input,
                "voice method '" + webhook.voice_method + "' is not GET or POST",
                "use --voice-method POST or GET");
  }
  PoolNumber before = owned_row(e164);
  if (before.provider != m_telephony.name()) {
    throw Error(ErrorKind::invalid_input,
                "cannot set the voice webhook of " + e164 + ", a number of the " + before.provider +
                    " workspace: " + before.provider + " answers it itself, with no voice URL",
                "assign it to a " + before.provider + " agent ('vami numbers assign " + e164 +
                    " --agent SLUG') to choose who answers it");
  }
  // An assigned number's voice URL is its routing (the voice-agent provider's, or the router's
  // for its agent): another one would leave its calls unanswered until reconcile put it back.
  const auto method = [](const std::string& text) { return text.empty() ? "POST" : text; };
  if (before.status == NumberStatus::assigned &&
      (webhook.voice_url != before.webhook.voice_url ||
       method(webhook.voice_method) != method(before.webhook.voice_method))) {
    throw Error(ErrorKind::conflict,
                e164 + " is assigned to agent \"" + before.agent_slug + "\" (tenant " +
                    before.tenant_slug + ", " +
                    to_string(before.routing_mode.value_or(RoutingMode::native)) +
                    " routing): its voice URL is what routes its calls to the agent",
                "unassign it first ('vami numbers unassign " + e164 +
                    "'); to change only its status callback, give its current --voice-url and "
                    "--voice-method");
  }
  m_telephony.set_voice_webhook(before.provider_sid, webhook);
  auto read_back = m_telephony.find_owned(e164);
  if (!read_back) {
    throw Error(ErrorKind::uncertain,
                "the provider no longer reports " + e164 + " after setting its voice webhook",
                "run 'vami reconcile'");
  }
  // A status callback left out of the request stays as the provider had it.
  bool same = read_back->webhook.voice_url == webhook.voice_url &&
              read_back->webhook.voice_method == webhook.voice_method &&
              (webhook.status_callback.empty() ||
               read_back->webhook.status_callback == webhook.status_callback);
  if (!same) {
    throw Error(ErrorKind::provider,
                "the provider reports voice webhook '" + read_back->webhook.voice_url + "' (" +
                    read_back->webhook.voice_method + ") for " + e164 + " after setting '" +
                    webhook.voice_url + "' (" + webhook.voice_method + ")",
                "retry; if it persists, check the number in the provider's console");
  }
  m_store.update_webhook(e164, read_back->webhook);
  PoolNumber after = owned_row(e164);
  audit("webhooks set", e164, detail::audit_json(before), detail::audit_json(after));
  return after;
}

std::string PoolService::purchase_tag(const std::string& pool, const std::string& operation_id) {
  // FriendlyName holds at most 64 characters; the pool name is cut to fit.
  return "vami:" + pool.substr(0, 40) + ":" + operation_id;
}

void PoolService::audit(const std::string& command, const std::string& entity_id,
                        const std::string& before, const std::string& after) {
  AuditEntry entry;
  entry.actor = m_actor;
  entry.command = command;
  entry.entity_type = "number";
  entry.entity_id = entity_id;
  entry.before_json = before;
  entry.after_json = after;
  m_store.append_audit(entry);
}

} // namespace vami
