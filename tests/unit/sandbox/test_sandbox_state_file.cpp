// The sandbox's state file: one SQLite file per sandbox, its account kept across runs, and
// any other file refused unchanged.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <latch>
#include <locale>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../twilio/twilio_emulator_client.hpp"
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace {

using namespace vami::sandbox_testing::twilio; // NOLINT(google-build-using-namespace)
TEST(SandboxState, PersistsWithTheSameCredentialsWhenReopened) {
  TempDir dir;
  fs::path file = dir.path() / "state.db";
  vami::sandbox::SandboxCredentials before;
  std::string sid;
  {
    auto emulator = vami::sandbox::open_sandbox(file);
    before = emulator->credentials();
    Client client(*emulator);
    HttpResponse bought = client.buy({{"AreaCode", "212"}, {"FriendlyName", "kept"}});
    ASSERT_EQ(bought.status, 201);
    sid = json::parse(bought.body).at("sid").get<std::string>();
  }
  auto reopened = vami::sandbox::open_sandbox(file);
  EXPECT_EQ(reopened->credentials().account_sid, before.account_sid);
  EXPECT_EQ(reopened->credentials().auth_token, before.auth_token);
  Client client(*reopened);
  HttpResponse fetched = client.get(client.number_path(sid));
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(json::parse(fetched.body).at("friendly_name"), "kept");

  SQLite::Database raw(file.string());
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST(SandboxState, RefusesForeignFilesAndMissingFolders) {
  TempDir dir;
  fs::path foreign = dir.path() / "foreign.db";
  {
    SQLite::Database db(foreign.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE numbers (e164 TEXT)");
  }
  auto expect_invalid = [](const fs::path& path, const std::string& words) {
    try {
      (void)vami::sandbox::open_sandbox(path);
      ADD_FAILURE() << "opened " << path;
    } catch (const vami::Error& e) {
      EXPECT_EQ(e.kind(), vami::ErrorKind::invalid_input);
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_FALSE(e.hint().empty());
    }
  };
  expect_invalid(foreign, foreign.string() + " is not a vami sandbox state file");
  // The refused file is left as it was.
  {
    SQLite::Database db(foreign.string());
    EXPECT_TRUE(db.tableExists("numbers"));
    EXPECT_FALSE(db.tableExists("account"));
  }
  fs::path text = dir.path() / "notes.txt";
  std::ofstream(text) << "this is not a database, just some text that is long enough\n";
  expect_invalid(text, text.string() + " is not a vami sandbox state file");
  fs::path missing = dir.path() / "no-such-folder";
  expect_invalid(missing / "state.db", missing.string());
}

} // namespace
