// The sandbox's request log: every request its emulators answer, in the state file, with the
// credential it carried masked (never a whole secret), bounded to the newest rows.

#include <cstdint>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "sandbox/sandbox_request_log.hpp"
#include "temp_dir.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace {

using vami::http::HttpRequest;
using vami::sandbox::LoggedRequest;
using vami::sandbox::masked_credential;
using vami::sandbox::RequestLogFilter;

const std::string k_ellipsis = "\u2026";

std::string base64(const std::string& text) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  unsigned count = 0;
  for (char c : text) {
    bits = (bits << 8U) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += k_alphabet[(bits >> count) & 63U];
    }
  }
  if (count > 0) {
    out += k_alphabet[(bits << (6 - count)) & 63U];
  }
  while (out.size() % 4 != 0) {
    out += '=';
  }
  return out;
}

HttpRequest request(const std::string& method, const std::string& url,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest made;
  made.method = method;
  made.url = url;
  made.headers = std::move(headers);
  return made;
}

HttpRequest basic(const std::string& method, const std::string& url, const std::string& user,
                  const std::string& password) {
  return request(method, url, {{"Authorization", "Basic " + base64(user + ":" + password)}});
}

TEST(SandboxRequestLogMask, ShowsWhoseCredentialItIsButNeverTheSecret) {
  const std::string sid = "AC0123456789abcdef0123456789ab1234";
  const std::string token = "f00dfeedf00dfeedf00dfeedf00dfeed";
  EXPECT_EQ(masked_credential(basic("GET", "/", sid, token)), "AC" + k_ellipsis + "1234");
  EXPECT_EQ(masked_credential(basic("GET", "/", "SK0123456789abcdef0123456789ab5678", token)),
            "SK" + k_ellipsis + "5678");
  EXPECT_EQ(masked_credential(request("GET", "/", {{"xi-api-key", "sk_0123456789abcdefab12"}}),
                              "xi-api-key"),
            "xi-api-key " + k_ellipsis + "ab12");
  EXPECT_EQ(masked_credential(request("GET", "/", {{"XI-API-KEY", " sk_0123456789abcdefab12 "}}),
                              "xi-api-key"),
            "xi-api-key " + k_ellipsis + "ab12");
  // Without its own key header, a provider's Authorization still shows masked.
  EXPECT_EQ(
      masked_credential(request("GET", "/", {{"Authorization", "Bearer sf_0123456789abcdef9f0c"}}),
                        "xi-api-key"),
      "Bearer " + k_ellipsis + "9f0c");
  EXPECT_EQ(
      masked_credential(request("GET", "/", {{"Authorization", "Bearer sf_0123456789abcdef9f0c"}})),
      "Bearer " + k_ellipsis + "9f0c");
  EXPECT_EQ(masked_credential(request("GET", "/")), "");
  // Too short to show any of it, not base64, no password: nothing of it shows.
  EXPECT_EQ(masked_credential(request("GET", "/", {{"Authorization", "Bearer short"}})),
            "Bearer " + k_ellipsis);
  EXPECT_EQ(masked_credential(basic("GET", "/", "ACshort", token)), k_ellipsis);
  EXPECT_EQ(masked_credential(request("GET", "/", {{"Authorization", "Basic %%%not-base64"}})),
            "Basic " + k_ellipsis);
  EXPECT_EQ(masked_credential(request("GET", "/", {{"Authorization", "Basic " + base64(sid)}})),
            "Basic " + k_ellipsis);
  // A header with no scheme is a bare secret: its scheme word would be the secret itself.
  const std::string bare = "0123456789abcdef0123456789abcdef0123";
  const std::string shown = masked_credential(request("GET", "/", {{"Authorization", bare}}));
  EXPECT_EQ(shown.find(bare.substr(0, 8)), std::string::npos) << shown;
  for (const std::string& secret : {token, bare}) {
    for (const std::string& mask :
         {masked_credential(basic("GET", "/", sid, token)), shown,
          masked_credential(request("GET", "/", {{"Authorization", "Bearer " + bare}}))}) {
      EXPECT_EQ(mask.find(secret.substr(0, 8)), std::string::npos) << mask;
    }
  }
}

class SandboxRequestLogTest : public ::testing::Test {
protected:
  vami::testing::TempDir m_dir;
  std::unique_ptr<vami::sandbox::SandboxEmulator> m_sandbox =
      vami::sandbox::open_sandbox(m_dir / "state.db");
  vami::sandbox::SandboxCredentials m_credentials = m_sandbox->credentials();
};

TEST_F(SandboxRequestLogTest, EveryAnsweredRequestIsLoggedWithItsProviderPathAndStatus) {
  const std::string origin = "http://127.0.0.1:9";
  const std::string numbers =
      "/2010-04-01/Accounts/" + m_credentials.account_sid + "/IncomingPhoneNumbers.json";
  const std::string sid = m_credentials.account_sid;
  std::vector<std::pair<HttpRequest, int>> sent = {
      {basic("GET", origin + numbers + "?PageSize=5&token=" + m_credentials.auth_token, sid,
             m_credentials.auth_token),
       200},
      {basic("GET", origin + numbers, sid, "wrong-token-0123456789abcdef"), 401},
      {basic("GET", origin + "/v1/PhoneNumbers/Countries/US", sid, m_credentials.auth_token), 200},
      {basic("GET", origin + "/v1/Trunks", sid, m_credentials.auth_token), 200},
      {request("GET", origin + "/v1/convai/agents",
               {{"xi-api-key", m_credentials.value("elevenlabs_api_key")}}),
       200},
      {request("GET", origin + "/v1/convai/agents", {{"xi-api-key", "sk_not_this_account_0000"}}),
       401},
      {request("GET", origin + "/synthflow/v2/assistants",
               {{"Authorization", "Bearer " + m_credentials.value("synthflow_api_key")}}),
       200},
      {request("GET", origin + "/v1/convai/agents"), 401},
  };
  for (const auto& [made, status] : sent) {
    EXPECT_EQ(m_sandbox->handle(made).status, status) << made.url;
  }

  const std::vector<LoggedRequest> rows = m_sandbox->requests({});
  ASSERT_EQ(rows.size(), sent.size());
  const std::vector<std::string> providers = {"twilio",          "twilio",     "twilio-pricing",
                                              "twilio-trunking", "elevenlabs", "elevenlabs",
                                              "synthflow",       "elevenlabs"};
  const std::string sid_mask = "AC" + k_ellipsis + sid.substr(sid.size() - 4);
  const std::vector<std::string> credentials = {
      sid_mask,
      sid_mask,
      sid_mask,
      sid_mask,
      "xi-api-key " + k_ellipsis +
          m_credentials.value("elevenlabs_api_key")
              .substr(m_credentials.value("elevenlabs_api_key").size() - 4),
      "xi-api-key " + k_ellipsis + "0000",
      "Bearer " + k_ellipsis +
          m_credentials.value("synthflow_api_key")
              .substr(m_credentials.value("synthflow_api_key").size() - 4),
      ""};
  const std::regex iso8601(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].provider, providers[i]) << i;
    EXPECT_EQ(rows[i].method, "GET");
    EXPECT_EQ(rows[i].status, sent[i].second) << i;
    EXPECT_EQ(rows[i].credential, credentials[i]) << i;
    EXPECT_TRUE(std::regex_match(rows[i].time, iso8601)) << rows[i].time;
    EXPECT_EQ(rows[i].path.find('?'), std::string::npos) << rows[i].path;
    if (i > 0) {
      EXPECT_GT(rows[i].id, rows[i - 1].id);
    }
  }
  EXPECT_EQ(rows[0].path, numbers); // the query (and the token in it) left out

  // No secret anywhere in the file's log, whether it was accepted or refused.
  SQLite::Database raw((m_dir / "state.db").string());
  SQLite::Statement everything(raw, "SELECT time || provider || method || path || credential "
                                    "FROM sandbox_requests");
  while (everything.executeStep()) {
    const std::string row = everything.getColumn(0).getString();
    for (const std::string& secret :
         {m_credentials.auth_token, m_credentials.value("elevenlabs_api_key"),
          m_credentials.value("synthflow_api_key"), std::string("sk_not_this_account_0000"),
          std::string("wrong-token-0123456789abcdef")}) {
      EXPECT_EQ(row.find(secret), std::string::npos) << row;
    }
  }

  // Filtered by provider, and the newest N, oldest first.
  RequestLogFilter only;
  only.provider = "elevenlabs";
  ASSERT_EQ(m_sandbox->requests(only).size(), 3U);
  only.limit = 2;
  const std::vector<LoggedRequest> newest = m_sandbox->requests(only);
  ASSERT_EQ(newest.size(), 2U);
  EXPECT_EQ(newest[0].id, rows[5].id);
  EXPECT_EQ(newest[1].id, rows[7].id);
  // Another process sees the same log.
  EXPECT_EQ(vami::sandbox::open_sandbox(m_dir / "state.db")->requests({}).size(), rows.size());
}

TEST_F(SandboxRequestLogTest, ARequestAnsweredOutsideTheEmulatorIsLoggedToo) {
  m_sandbox->log_request(request("POST", "http://127.0.0.1:9/v1/convai/agents/create",
                                 {{"xi-api-key", m_credentials.value("elevenlabs_api_key")}}),
                         429);
  m_sandbox->log_request(request("DELETE", "http://127.0.0.1:9/synthflow/v2/assistants/a1"), 0);
  const std::vector<LoggedRequest> rows = m_sandbox->requests({});
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].provider, "elevenlabs");
  EXPECT_EQ(rows[0].status, 429);
  EXPECT_EQ(rows[0].path, "/v1/convai/agents/create");
  EXPECT_EQ(rows[1].provider, "synthflow");
  EXPECT_EQ(rows[1].method, "DELETE");
  EXPECT_EQ(rows[1].status, 0);
  EXPECT_EQ(rows[1].credential, "");
}

TEST(SandboxRequestLog, KeepsOnlyTheNewestRows) {
  vami::testing::TempDir dir;
  SQLite::Database db((dir / "log.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL"); // as the sandbox's state file
  db.exec("PRAGMA synchronous = NORMAL");
  vami::sandbox::RequestLog::create_schema(db);
  std::mutex mutex;
  vami::sandbox::RequestLog log(db, mutex, /*max_rows=*/100, /*prune_every=*/10);
  for (int i = 1; i <= 355; ++i) {
    log.record(request("GET", "/v1/convai/agents/" + std::to_string(i)), "elevenlabs", 200);
    if (i % 10 == 0) {
      log.flush(); // as the writer would, in batches
    }
  }
  const std::vector<LoggedRequest> rows = log.read({});
  // Pruned with the 350th row to the newest 100, then 5 more written by read().
  ASSERT_EQ(rows.size(), 105U);
  EXPECT_EQ(rows.front().path, "/v1/convai/agents/251");
  EXPECT_EQ(rows.back().path, "/v1/convai/agents/355");
  // The default bound: a long-running sandbox keeps a few MB of log at most.
  EXPECT_LE(vami::sandbox::k_request_log_rows, 100'000);
}

} // namespace
