// The sandbox's Twilio call log (Calls.json) and ElevenLabs conversation details, as
// twilio_api_v2010.json (`ListCall`) and elevenlabs_openapi.json document them.
#include <string>
#include <vector>

#include "twilio_emulator_client.hpp"
#include <SQLiteCpp/SQLiteCpp.h>

namespace {

using namespace vami::sandbox_testing::twilio; // NOLINT(google-build-using-namespace)

constexpr std::int64_t k_nov_20 = 1'795'168'800; // 2026-11-20T10:00:00Z

class SandboxCallsTest : public SandboxTest {
protected:
  void seed(const std::string& sid, std::int64_t start, const char* status = "completed") {
    SQLite::Database db((m_dir.path() / "sandbox.db").string(), SQLite::OPEN_READWRITE);
    SQLite::Statement insert(db, "INSERT INTO calls (sid, from_number, to_number, status, "
                                 "start_time, duration, price, date_created) VALUES "
                                 "(?, '+14155550199', '+12125550101', ?, ?, 60, '-0.0085', ?)");
    insert.bind(1, sid);
    insert.bind(2, status);
    insert.bind(3, start);
    insert.bind(4, start);
    insert.exec();
  }

  std::vector<std::string> sids(const std::string& query) {
    std::vector<std::string> found;
    std::string path = m_client.account_path() + "/Calls.json?" + query;
    while (!path.empty()) {
      HttpResponse page = m_client.get(path);
      EXPECT_EQ(page.status, 200) << page.body;
      json body = json::parse(page.body);
      for (const json& call : body.at("calls")) {
        found.push_back(call.at("sid").get<std::string>());
      }
      path = body.at("next_page_uri").is_null() ? "" : body.at("next_page_uri").get<std::string>();
    }
    return found;
  }
};

TEST_F(SandboxCallsTest, CallsAreListedNewestFirstInPagesThatKeepTheFilters) {
  seed("CA1", k_nov_20 - 86'400);
  seed("CA2", k_nov_20);
  seed("CA3", k_nov_20 + 60);
  seed("CA4", k_nov_20 + 120, "busy");
  EXPECT_EQ(sids("PageSize=2"), (std::vector<std::string>{"CA4", "CA3", "CA2", "CA1"}));
  EXPECT_EQ(sids("PageSize=1&StartTime%3E=2026-11-20&Status=completed"),
            (std::vector<std::string>{"CA3", "CA2"}));
  EXPECT_EQ(sids("StartTime%3C=2026-11-19"), (std::vector<std::string>{"CA1"}));

  HttpResponse page = m_client.get(m_client.account_path() + "/Calls.json?PageSize=50");
  json call = json::parse(page.body).at("calls").at(0);
  EXPECT_EQ(call.at("start_time"), "Fri, 20 Nov 2026 10:02:00 +0000");
  EXPECT_EQ(call.at("price"), "-0.0085");
  EXPECT_EQ(call.at("price_unit"), "USD");
  EXPECT_EQ(call.at("duration"), "60");
  EXPECT_EQ(call.at("direction"), "inbound");
  EXPECT_EQ(call.at("to"), "+12125550101");

  HttpResponse bad = m_client.get(m_client.account_path() + "/Calls.json?StartTime%3E=yesterday");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).at("code"), 20001);
}

} // namespace
