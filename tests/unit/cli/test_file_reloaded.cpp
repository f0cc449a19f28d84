// FileReloaded (cli/file_reloaded.hpp): what `vami router serve` reads the tenant accounts'
// webhook secrets with, again once the config file changes, at most once per interval.
#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "file_reloaded.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

namespace vami::cli {
namespace {

using namespace std::chrono_literals;

class FileReloadedTest : public ::testing::Test {
protected:
  void write(const std::string& text) {
    // As write_config_file does: a new file renamed into place.
    const auto temporary = m_dir / "config.toml.new";
    std::ofstream(temporary) << text;
    std::filesystem::rename(temporary, m_file);
  }
  std::string read() {
    ++m_loads;
    std::ifstream in(m_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text == "broken") {
      throw std::runtime_error("not TOML");
    }
    return text;
  }
  FileReloaded<std::string> reloaded() {
    return {m_file,
            [this] { return read(); },
            1s,
            [this] { return m_now; },
            [this](const std::string& problem) { m_errors.push_back(problem); },
            [this] { ++m_reloads; }};
  }

  testing::TempDir m_dir;
  std::filesystem::path m_file = m_dir / "config.toml";
  std::chrono::steady_clock::time_point m_now{};
  int m_loads = 0;
  int m_reloads = 0;
  std::vector<std::string> m_errors;
};

TEST_F(FileReloadedTest, AChangedFileIsReadAgainOnceTheIntervalIsOver) {
  write("first");
  FileReloaded<std::string> value = reloaded();
  EXPECT_EQ(*value.current(), "first");
  const std::shared_ptr<const std::string> held = value.current();

  write("second, longer");
  m_now += 500ms;
  EXPECT_EQ(*value.current(), "first"); // not looked at within the interval
  m_now += 600ms;
  EXPECT_EQ(*value.current(), "second, longer");
  EXPECT_EQ(*held, "first"); // what a request holds stays valid
  EXPECT_EQ(m_reloads, 1);

  // Unchanged: looked at, not read again.
  m_now += 5s;
  EXPECT_EQ(*value.current(), "second, longer");
  EXPECT_EQ(m_loads, 2);

  // Same size, new file (an atomic rewrite): read again.
  write("second, LONGER");
  m_now += 1s;
  EXPECT_EQ(*value.current(), "second, LONGER");
}

TEST_F(FileReloadedTest, AFailedReloadKeepsTheValueAndIsSaidOncePerChange) {
  write("good");
  FileReloaded<std::string> value = reloaded();
  write("broken");
  for (int i = 0; i < 3; ++i) {
    m_now += 2s;
    EXPECT_EQ(*value.current(), "good");
  }
  EXPECT_EQ(m_errors, (std::vector<std::string>{"not TOML"}));
  EXPECT_EQ(m_loads, 2);
  write("mended");
  m_now += 2s;
  EXPECT_EQ(*value.current(), "mended");
}

TEST_F(FileReloadedTest, TheFirstLoadsErrorIsThrown) {
  write("broken");
  EXPECT_THROW((void)reloaded(), std::runtime_error);
}

} // namespace
} // namespace vami::cli
