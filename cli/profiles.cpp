// The config file of named profiles: TOML read with toml++, written by hand in a fixed order,
// and kept private to its owner (0600 in a folder no one else can write to).
#include "profiles.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>

namespace vami::cli {

namespace {

constexpr const char* k_name_rule =
    "profile names are 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter or "
    "digit";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string mode_text(mode_t mode) {
  std::array<char, 8> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buffer.data();
}

std::string system_error(int error_number) {
  return std::strerror(error_number);
}

// Closes a descriptor on every path out of a function.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  [[nodiscard]] int get() const noexcept { return m_fd; }
  // Closes now, so that a failing close (lost write on NFS) can be reported.
  int close() noexcept {
    int result = ::close(m_fd);
    m_fd = -1;
    return result;
  }

private:
  int m_fd;
};

std::filesystem::path folder_of(const std::filesystem::path& path) {
  auto folder = path.parent_path();
  return folder.empty() ? std::filesystem::path(".") : folder;
}

// A folder others can write to lets them swap the file for theirs, whatever its own mode.
void check_folder(const std::filesystem::path& folder) {
  struct stat status {};
  if (::stat(folder.c_str(), &status) != 0) {
    return;
  }
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw Error(ErrorKind::invalid_input,
                folder.string() + " is writable by others (mode " + mode_text(status.st_mode) +
                    "), so the config file in it cannot be trusted",
                "run 'chmod 700 " + folder.string() + "'");
  }
}

void check_file_mode(const std::filesystem::path& path, mode_t mode) {
  if ((mode & (S_IRWXG | S_IRWXO)) == 0) {
    return;
  }
  std::string what = (mode & (S_IRGRP | S_IROTH)) != 0   ? "readable"
                     : (mode & (S_IWGRP | S_IWOTH)) != 0 ? "writable"
                                                         : "accessible";
  throw Error(ErrorKind::invalid_input,
              path.string() + " is " + what + " by others (mode " + mode_text(mode) + ")",
              "run 'chmod 600 " + path.string() + "'");
}

bool is_hex_sid(const std::string& text, const char* prefix) {
  if (text.size() != 34 || text.compare(0, 2, prefix) != 0) {
    return false;
  }
  return std::all_of(text.begin() + 2, text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// What is wrong with the value of `key`, or "" when it is fine. Never quotes the value: it may
// be a secret typed into the wrong key.
std::string problem_with(const std::string& key, const std::string& value,
                         const AgentProviderList& list) {
  if (value.empty()) {
    return {};
  }
  if (auto [provider, setting] = find_provider_setting(list, key); setting != nullptr) {
    return provider_setting_problem(*setting, value);
  }
  if (key == "twilio_account_sid" && !is_hex_sid(value, "AC")) {
    return "is not an Account SID (AC followed by 32 hex digits)";
  }
  if (key == "twilio_api_key" && !is_hex_sid(value, "SK")) {
    return "is not an API key SID (SK followed by 32 hex digits)";
  }
  if (key == "default_country" &&
      (value.size() != 2 ||
       !std::all_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))) {
    return "is not an ISO 3166-1 alpha-2 country code in capitals (such as US)";
  }
  if (key == "agent_provider") {
    std::vector<std::string> known;
    for (const AgentProviderDescriptor* provider : list) {
      known.push_back(provider->name);
    }
    if (std::find(known.begin(), known.end(), value) == known.end()) {
      std::string names;
      for (const std::string& name : known) {
        names += (names.empty() ? "" : ", ") + name;
      }
      return "is not a voice-agent provider vami knows (" + names + ")";
    }
  }
  if (((key.size() > 9 && key.compare(key.size() - 9, 9, "_base_url") == 0) ||
       key == "router_url") &&
      url_scheme(value) == UrlScheme::other) {
    return "is not an http:// or https:// URL";
  }
  return {};
}

// The string keys of a profile and the members they fill, in the order the file lists them.
using StringMember = std::string Profile::*;
const std::vector<std::pair<std::string, StringMember>>& string_keys() {
  static const std::vector<std::pair<std::string, StringMember>> keys{
      {"twilio_account_sid", &Profile::twilio_account_sid},
      {"twilio_auth_token", &Profile::twilio_auth_token},
      {"twilio_api_key", &Profile::twilio_api_key},
      {"twilio_api_secret", &Profile::twilio_api_secret},
      {"twilio_base_url", &Profile::twilio_base_url},
      {"twilio_pricing_base_url", &Profile::twilio_pricing_base_url},
      {"default_country", &Profile::default_country},
      {"agent_provider", &Profile::agent_provider},
      {"router_url", &Profile::router_url},
  };
  return keys;
}

std::string known_profile_keys(const AgentProviderList& list) {
  std::string text;
  for (const auto& [key, member] : string_keys()) {
    text += key + ", ";
  }
  for (const AgentProviderDescriptor* provider : list) {
    for (const ProviderSetting& setting : provider->settings) {
      text += setting.key + ", ";
    }
  }
  return text + "concurrency";
}

std::string concurrency_problem(std::int64_t value) {
  if (value < 1 || value > k_max_concurrency) {
    return "must be an integer from 1 to " + std::to_string(k_max_concurrency);
  }
  return {};
}

// Reads the checked TOML document into the model; every error names the file, line and key.
class ConfigReader {
public:
  ConfigReader(std::filesystem::path path, const AgentProviderList& list)
      : m_path(std::move(path)), m_list(list) {}

  ConfigFile read(const toml::table& root) const {
    ConfigFile config;
    for (const auto& [key, node] : root) {
      if (key.str() == "default_profile") {
        if (!node.is_string()) {
          fail(node.source(), "key 'default_profile' must be a string (a profile name)");
        }
        config.default_profile = *node.value<std::string>();
      } else if (key.str() == "profiles") {
        const toml::table* profiles = node.as_table();
        if (profiles == nullptr) {
          fail(node.source(), "key 'profiles' must be a table of [profiles.NAME] tables");
        }
        read_profiles(*profiles, config);
      } else {
        fail(key.source(), "unknown key '" + std::string(key.str()) + "'",
             "the file holds default_profile and [profiles.NAME] tables");
      }
    }
    return config;
  }

private:
  void read_profiles(const toml::table& profiles, ConfigFile& config) const {
    std::vector<std::pair<std::uint32_t, Profile>> in_order;
    for (const auto& [key, node] : profiles) {
      std::string name(key.str());
      if (!is_valid_profile_name(name)) {
        fail(key.source(), "'" + name + "' is not a valid profile name", k_name_rule);
      }
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        fail(node.source(), "'profiles." + name + "' must be a table ([profiles." + name + "])");
      }
      in_order.emplace_back(key.source().begin.line, read_profile(name, *table));
    }
    // toml++ keeps keys sorted; the file's order is the order people wrote them in.
    std::stable_sort(in_order.begin(), in_order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [line, profile] : in_order) {
      config.profiles.push_back(std::move(profile));
    }
  }

  Profile read_profile(const std::string& name, const toml::table& table) const {
    Profile profile;
    profile.name = name;
    for (const auto& [key, node] : table) {
      std::string key_name(key.str());
      std::string where = "key '" + key_name + "' in [profiles." + name + "]";
      if (key_name == "concurrency") {
        if (!node.is_integer()) {
          fail(node.source(), where + " " + concurrency_problem(0));
        }
        std::int64_t value = *node.value<std::int64_t>();
        if (auto problem = concurrency_problem(value); !problem.empty()) {
          fail(node.source(), where + " " + problem);
        }
        profile.concurrency = static_cast<int>(value);
        continue;
      }
      auto known = std::find_if(string_keys().begin(), string_keys().end(),
                                [&](const auto& entry) { return entry.first == key_name; });
      const bool provider_key = find_provider_setting(m_list, key_name).second != nullptr;
      if (known == string_keys().end() && !provider_key) {
        fail(key.source(), "unknown " + where,
             "the keys of a profile are " + known_profile_keys(m_list));
      }
      if (!node.is_string()) {
        fail(node.source(), where + " must be a string");
      }
      std::string value = *node.value<std::string>();
      if (auto problem = problem_with(key_name, value, m_list); !problem.empty()) {
        fail(node.source(), where + " " + problem);
      }
      if (provider_key) {
        profile.provider_values[key_name] = std::move(value);
      } else {
        profile.*(known->second) = std::move(value);
      }
    }
    return profile;
  }

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message,
                         const std::string& hint = {}) const {
    throw Error(ErrorKind::invalid_input,
                m_path.string() + ":" + std::to_string(where.begin.line) + ": " + message,
                hint.empty() ? "fix the file, or write it again with 'vami profiles add'" : hint);
  }

  std::filesystem::path m_path;
  const AgentProviderList& m_list;
};

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      std::array<char, 8> buffer{};
      std::snprintf(buffer.data(), buffer.size(), "\\u%04X", static_cast<unsigned>(byte));
      quoted += buffer.data();
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

std::string render(const ConfigFile& config) {
  std::ostringstream out;
  out << "# vami profiles (docs/configuration.md), written by 'vami profiles'.\n"
         "# It holds secrets: keep it private (chmod 600).\n";
  if (!config.default_profile.empty()) {
    out << "default_profile = " << toml_string(config.default_profile) << '\n';
  }
  for (const Profile& profile : config.profiles) {
    out << "\n[profiles." << profile.name << "]\n";
    for (const auto& [key, member] : string_keys()) {
      if (!(profile.*member).empty()) {
        out << key << " = " << toml_string(profile.*member) << '\n';
      }
    }
    // The registered voice-agent providers' keys (reading refuses any other key).
    for (const auto& [key, value] : profile.provider_values) {
      if (!value.empty()) {
        out << key << " = " << toml_string(value) << '\n';
      }
    }
    if (profile.concurrency) {
      out << "concurrency = " << *profile.concurrency << '\n';
    }
  }
  return out.str();
}

// Creates the missing folders of `folder`, the last one 0700.
void make_private_folder(const std::filesystem::path& folder) {
  std::error_code error;
  if (std::filesystem::exists(folder, error)) {
    return;
  }
  if (folder.has_parent_path() && folder.parent_path() != folder) {
    std::filesystem::create_directories(folder.parent_path(), error);
  }
  if (::mkdir(folder.c_str(), S_IRWXU) != 0 && errno != EEXIST) {
    int saved = errno;
    throw Error(ErrorKind::storage,
                "cannot create the config folder " + folder.string() + ": " + system_error(saved),
                "check the permissions of its parent folder, or set VAMI_CONFIG");
  }
  // mkdir's mode is filtered by the umask; the folder must be 0700 whatever it is.
  ::chmod(folder.c_str(), S_IRWXU);
}

} // namespace

bool Profile::has_twilio_credentials() const noexcept {
  return !twilio_account_sid.empty() || !twilio_auth_token.empty() || !twilio_api_key.empty() ||
         !twilio_api_secret.empty();
}

std::string Profile::value(const std::string& key) const {
  auto found = provider_values.find(key);
  return found == provider_values.end() ? std::string() : found->second;
}

bool Profile::has_credentials_of(const AgentProviderDescriptor& provider) const {
  for (const ProviderSetting* credential : provider.settings_of(SettingRole::credential)) {
    if (!value(credential->key).empty()) {
      return true;
    }
  }
  return false;
}

bool Profile::has_credentials_of(const std::string& provider_name,
                                 const AgentProviderList& list) const {
  const AgentProviderDescriptor* provider = find_agent_provider(list, provider_name);
  return provider != nullptr && has_credentials_of(*provider);
}

bool Profile::has_all_credentials_of(const AgentProviderDescriptor& provider) const {
  for (const ProviderSetting* credential : provider.settings_of(SettingRole::credential)) {
    if (value(credential->key).empty()) {
      return false;
    }
  }
  return provider.has_account();
}

bool Profile::has_voice_agent_credentials(const AgentProviderList& list) const {
  return std::any_of(list.begin(), list.end(), [&](const AgentProviderDescriptor* provider) {
    return has_all_credentials_of(*provider);
  });
}

bool Profile::has_any_credentials(const AgentProviderList& list) const {
  return has_twilio_credentials() ||
         std::any_of(list.begin(), list.end(), [&](const AgentProviderDescriptor* provider) {
           return has_credentials_of(*provider);
         });
}

const Profile* ConfigFile::find(const std::string& name) const noexcept {
  auto found = std::find_if(profiles.begin(), profiles.end(),
                            [&](const Profile& profile) { return profile.name == name; });
  return found == profiles.end() ? nullptr : &*found;
}

Profile* ConfigFile::find(const std::string& name) noexcept {
  auto found = std::find_if(profiles.begin(), profiles.end(),
                            [&](const Profile& profile) { return profile.name == name; });
  return found == profiles.end() ? nullptr : &*found;
}

std::vector<std::string> ConfigFile::names() const {
  std::vector<std::string> result;
  result.reserve(profiles.size());
  for (const Profile& profile : profiles) {
    result.push_back(profile.name);
  }
  return result;
}

namespace {

// The config file's path, or nothing when none of the variables that place it is set.
std::optional<std::filesystem::path> locate_config_file() {
  if (std::string explicit_path = env("VAMI_CONFIG"); !explicit_path.empty()) {
    return explicit_path;
  }
  // The XDG spec tells to ignore a relative XDG_CONFIG_HOME.
  if (std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty() && xdg.front() == '/') {
    return std::filesystem::path(xdg) / "vami" / "config.toml";
  }
  if (std::string home = env("HOME"); !home.empty()) {
    return std::filesystem::path(home) / ".config" / "vami" / "config.toml";
  }
  return std::nullopt;
}

} // namespace

std::filesystem::path config_file_path() {
  if (auto path = locate_config_file()) {
    return *path;
  }
  throw Error(ErrorKind::invalid_input,
              "cannot locate the config file: none of VAMI_CONFIG, XDG_CONFIG_HOME and HOME is set",
              "set VAMI_CONFIG to the config file's path");
}

ConfigFile read_config_file(const std::filesystem::path& path, const AgentProviderList& list) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ENOENT) {
      return {};
    }
    int saved = errno;
    throw Error(ErrorKind::invalid_input,
                "cannot read the config file " + path.string() + ": " + system_error(saved),
                "check its permissions (it must be the user's own, mode 600)");
  }
  // The checks are on the opened file, so it cannot be swapped between check and read.
  struct stat status {};
  if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
    throw Error(ErrorKind::invalid_input, "the config file " + path.string() + " is not a file",
                "set VAMI_CONFIG to a file, or remove what is at that path");
  }
  check_file_mode(path, status.st_mode);
  check_folder(folder_of(path));

  std::string text;
  std::array<char, 4096> buffer{};
  while (true) {
    ssize_t count = ::read(file.get(), buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      int saved = errno;
      throw Error(ErrorKind::invalid_input,
                  "cannot read the config file " + path.string() + ": " + system_error(saved));
    }
    if (count == 0) {
      break;
    }
    text.append(buffer.data(), static_cast<std::size_t>(count));
  }

  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& error) {
    throw Error(ErrorKind::invalid_input,
                path.string() + ":" + std::to_string(error.source().begin.line) +
                    ": not valid TOML: " + std::string(error.description()),
                "fix the file, or write it again with 'vami profiles add'");
  }
  return ConfigReader(path, list).read(root);
}

void write_config_file(const std::filesystem::path& path, const ConfigFile& config) {
  for (const Profile& profile : config.profiles) {
    if (!is_valid_profile_name(profile.name)) {
      throw Error(ErrorKind::invalid_input, "'" + profile.name + "' is not a valid profile name",
                  k_name_rule);
    }
  }
  auto folder = folder_of(path);
  make_private_folder(folder);
  check_folder(folder);

  std::string text = render(config);
  std::string pattern = (folder / ".config.toml.XXXXXX").string();
  // mkstemp creates the file 0600 before a byte is written, so no one can open it meanwhile.
  FileDescriptor file(::mkstemp(pattern.data()));
  if (file.get() < 0) {
    int saved = errno;
    throw Error(ErrorKind::storage,
                "cannot write the config file in " + folder.string() + ": " + system_error(saved),
                "check the folder's permissions");
  }
  std::string temporary = pattern;
  auto fail = [&](const std::string& what, int error_number) {
    ::unlink(temporary.c_str());
    throw Error(ErrorKind::storage,
                "cannot write the config file " + path.string() + ": " + what + ": " +
                    system_error(error_number),
                "nothing was changed; check the disk and the folder's permissions");
  };
  ::fchmod(file.get(), S_IRUSR | S_IWUSR);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t count = ::write(file.get(), text.data() + written, text.size() - written);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      fail("write", errno);
    }
    written += static_cast<std::size_t>(count);
  }
  if (::fsync(file.get()) != 0) {
    fail("fsync", errno);
  }
  if (file.close() != 0) {
    fail("close", errno);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    fail("rename", errno);
  }
  // The rename itself is durable only once the folder is synced.
  FileDescriptor directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() >= 0) {
    ::fsync(directory.get());
  }
}

std::vector<std::string> profile_names() {
  try {
    return read_config_file(config_file_path()).names();
  } catch (const std::exception&) {
    return {};
  }
}

bool is_valid_profile_name(const std::string& name) noexcept {
  if (name.empty() || name.size() > 32) {
    return false;
  }
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

std::string check_profile_value(const std::string& key, const std::string& value,
                                const AgentProviderList& list) {
  return problem_with(key, value, list);
}

std::vector<std::pair<std::string, std::optional<std::string>>>
shown_provider_values(const Profile& profile, const AgentProviderList& list) {
  std::vector<std::pair<std::string, std::optional<std::string>>> shown;
  for (const AgentProviderDescriptor* provider : list) {
    for (const ProviderSetting& setting : provider->settings) {
      const std::string value = profile.value(setting.key);
      std::optional<std::string> text;
      if (!value.empty()) {
        text = setting.secrecy == Secrecy::secret ? mask_secret(value) : value;
      }
      shown.emplace_back(setting.key, std::move(text));
    }
  }
  return shown;
}

std::string mask_secret(const std::string& secret) {
  if (secret.empty()) {
    return {};
  }
  if (secret.size() <= 8) {
    return "••••";
  }
  return "••••" + secret.substr(secret.size() - 4);
}

std::optional<Profile> select_profile(const std::string& flag_name) {
  std::string name = flag_name.empty() ? env("VAMI_PROFILE") : flag_name;
  // A systemd unit or an `env -i` job has no HOME: with no profile asked for, there is no config
  // file to read, and the environment's credentials are all the command needs.
  if (name.empty() && !locate_config_file()) {
    return std::nullopt;
  }
  auto path = config_file_path();
  ConfigFile config = read_config_file(path);
  std::string names;
  for (const auto& known : config.names()) {
    names += (names.empty() ? "" : ", ") + known;
  }
  if (names.empty()) {
    names = "none";
  }
  if (name.empty()) {
    if (config.default_profile.empty()) {
      return std::nullopt;
    }
    if (const Profile* profile = config.find(config.default_profile)) {
      return *profile;
    }
    throw Error(ErrorKind::not_found,
                "default_profile '" + config.default_profile + "' in " + path.string() +
                    " names no profile (known profiles: " + names + ")",
                "choose one with 'vami profiles use NAME'");
  }
  if (const Profile* profile = config.find(name)) {
    return *profile;
  }
  throw Error(ErrorKind::not_found,
              "no profile '" + name + "' in " + path.string() + " (known profiles: " + names + ")",
              "run 'vami profiles list', or add it with 'vami profiles add " + name + "'");
}

} // namespace vami::cli
