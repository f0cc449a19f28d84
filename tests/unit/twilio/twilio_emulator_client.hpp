#pragma once

// Shared by the tests of the sandbox's Twilio half: a client that speaks to an emulator as its
// account, and checks of Twilio's shapes.

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <locale>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "temp_dir.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vami/providers/http_client.hpp>
#include <vami/providers/sandbox.hpp>

namespace vami::sandbox_testing::twilio {
namespace fs = std::filesystem;
using nlohmann::json;
using vami::http::HttpRequest;
using vami::http::HttpResponse;
using Fields = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* k_origin = "http://sandbox.test";

using vami::testing::TempDir;

// A client of one emulator speaking as the sandbox account (or with other credentials).
class Client {
public:
  explicit Client(vami::sandbox::SandboxEmulator& emulator)
      : m_emulator(emulator), m_credentials(emulator.credentials()),
        m_authorization(
            vami::http::basic_authorization(m_credentials.account_sid, m_credentials.auth_token)) {}

  void set_authorization(std::string value) { m_authorization = std::move(value); }
  [[nodiscard]] std::string account_path() const {
    return "/2010-04-01/Accounts/" + m_credentials.account_sid;
  }

  HttpResponse send(const std::string& method, const std::string& path, std::string body = {}) {
    HttpRequest request;
    request.method = method;
    request.url = k_origin + path;
    request.headers.emplace_back("Authorization", m_authorization);
    if (!body.empty()) {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    request.body = std::move(body);
    return m_emulator.handle(request);
  }
  HttpResponse get(const std::string& path) { return send("GET", path); }
  HttpResponse post(const std::string& path, const Fields& fields) {
    return send("POST", path, vami::http::form_encode(fields));
  }

  HttpResponse search(const std::string& country, const std::string& type, const Fields& query) {
    std::string path = account_path() + "/AvailablePhoneNumbers/" + country + "/" + type + ".json";
    if (!query.empty()) {
      path += "?" + vami::http::form_encode(query);
    }
    return get(path);
  }
  // The phone numbers a successful search returned.
  std::vector<std::string> search_numbers(const std::string& country, const std::string& type,
                                          const Fields& query) {
    HttpResponse response = search(country, type, query);
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<std::string> numbers;
    const json body = json::parse(response.body);
    for (const auto& item : body.at("available_phone_numbers")) {
      numbers.push_back(item.at("phone_number").get<std::string>());
    }
    return numbers;
  }
  HttpResponse buy(const Fields& fields) {
    return post(account_path() + "/IncomingPhoneNumbers.json", fields);
  }
  std::string number_path(const std::string& sid) const {
    return account_path() + "/IncomingPhoneNumbers/" + sid + ".json";
  }

private:
  vami::sandbox::SandboxEmulator& m_emulator;
  vami::sandbox::SandboxCredentials m_credentials;
  std::string m_authorization;
};

// Whether `text` is `prefix` followed by 32 lower-case hex digits (Twilio SIDs, request ids).
inline bool is_hex_id(std::string_view text, std::string_view prefix) {
  return text.size() == prefix.size() + 32 && text.substr(0, prefix.size()) == prefix &&
         std::all_of(text.begin() + static_cast<std::ptrdiff_t>(prefix.size()), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Whether `text` is an RFC 2822 date in UTC as Twilio writes it: "Thu, 30 Jul 2015 23:19:04 +0000".
inline bool is_rfc2822_utc(const std::string& text) {
  std::tm parsed{};
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  in >> std::get_time(&parsed, "%a, %d %b %Y %H:%M:%S");
  std::string zone;
  in >> zone;
  return !in.fail() && zone == "+0000" && in.peek() == std::char_traits<char>::eof() &&
         text.size() == 31;
}

inline void expect_twilio_error(const HttpResponse& response, int status, int code) {
  EXPECT_EQ(response.status, status) << response.body;
  json body = json::parse(response.body);
  EXPECT_EQ(body.at("code").get<int>(), code) << response.body;
  EXPECT_EQ(body.at("status").get<int>(), status);
  EXPECT_EQ(body.at("more_info").get<std::string>(),
            "https://www.twilio.com/docs/errors/" + std::to_string(code));
  EXPECT_FALSE(body.at("message").get<std::string>().empty());
}

class SandboxTest : public ::testing::Test {
protected:
  SandboxTest()
      : m_emulator(vami::sandbox::open_sandbox(m_dir.path() / "sandbox.db")),
        m_client(*m_emulator) {}

  TempDir m_dir;
  std::unique_ptr<vami::sandbox::SandboxEmulator> m_emulator;
  Client m_client;
};

} // namespace vami::sandbox_testing::twilio
