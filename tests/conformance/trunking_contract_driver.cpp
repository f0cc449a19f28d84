// Runs every Elastic SIP Trunking operation vami's Twilio trunking client has, over libcurl,
// against VAMI_TWILIO_TRUNKING_BASE_URL (api-mocks: Prism serving the official document), and
// prints one JSON line per operation: {"op", "ok", "detail"|"error"}. No command uses the
// trunking client yet, so test_twilio_trunking_contract.py runs this.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/twilio_trunking.hpp>

namespace {

using nlohmann::json;

int failures = 0;

void run(const std::string& op, const std::function<json()>& action) {
  json line = {{"op", op}};
  try {
    line["ok"] = true;
    line["detail"] = action();
  } catch (const vami::Error& error) {
    line["ok"] = false;
    line["error"] = std::string(vami::to_string(error.kind())) + ": " + error.what();
    ++failures;
  }
  std::cout << line.dump() << std::endl;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

} // namespace

int main() {
  std::unique_ptr<vami::http::HttpClient> http = vami::http::make_curl_http_client({});
  vami::twilio::TrunkingConfig config;
  config.auth_username = env("TWILIO_ACCOUNT_SID");
  config.auth_password = env("TWILIO_AUTH_TOKEN");
  config.base_url = env("VAMI_TWILIO_TRUNKING_BASE_URL");
  auto trunking = vami::twilio::make_twilio_trunking(config, *http);
  std::string trunk = "TK" + std::string(32, 'a');
  const std::string number = "PN" + std::string(32, 'b');

  run("create_trunk", [&] {
    trunk = trunking->create_trunk("vami pool", "vami-pool.pstn.twilio.com").sid;
    return json(trunk);
  });
  run("list_trunks", [&] { return json(trunking->list_trunks().size()); });
  run("add_origination_url", [&] {
    return json(trunking->add_origination_url(trunk, "sip:vami.sip.example.com", "agents").sid);
  });
  run("list_origination_urls", [&] { return json(trunking->list_origination_urls(trunk).size()); });
  run("add_number", [&] { return json(trunking->add_number(trunk, number).sid); });
  run("list_numbers", [&] { return json(trunking->list_numbers(trunk).size()); });
  run("remove_number", [&] {
    trunking->remove_number(trunk, number);
    return json(number);
  });
  run("delete_trunk", [&] {
    trunking->delete_trunk(trunk);
    return json(trunk);
  });
  return failures == 0 ? 0 : 1;
}
