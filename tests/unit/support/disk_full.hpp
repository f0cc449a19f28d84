#pragma once

#include <csignal>
#include <filesystem>
#include <optional>
#include <string>

#include "forwarding_telephony_provider.hpp"
#include <sys/resource.h>

namespace vami::testing {

/// Until destroyed, every write of this process to a regular file past `bytes` fails as on a
/// full disk (RLIMIT_FSIZE: the part past it fails with EFBIG, which SQLite reports as
/// SQLITE_IOERR_WRITE). SIGXFSZ, which would kill the process, is ignored meanwhile.
class FileSizeLimit {
public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &m_before);
    m_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = m_before;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &m_before);
    std::signal(SIGXFSZ, m_handler);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
  rlimit m_before{};
  void (*m_handler)(int) = SIG_DFL;
};

/// A telephony provider (forwarding to `inner`) under which the disk of the state database at
/// `database` fills up right after the provider acted on its `n`th purchase, release or webhook
/// change: from
/// then on the database can no longer grow its write-ahead log.
class DiskFillingProvider final : public ForwardingTelephonyProvider {
public:
  DiskFillingProvider(TelephonyProvider& inner, std::filesystem::path database)
      : ForwardingTelephonyProvider(inner), m_wal(database.string() + "-wal") {}

  /// Fills the disk after the `n`th call (1-based) of `method` ("buy", "release" or
  /// "set_voice_webhook").
  void fill_after(std::string method, int n) {
    m_method = std::move(method);
    m_remaining = n;
  }
  /// Frees the disk again.
  void free_disk() { m_limit.reset(); }
  /// Whether the disk is full now.
  [[nodiscard]] bool full() const { return m_limit.has_value(); }

  PurchaseOutcome buy(const std::string& e164, const std::string& tag) override {
    PurchaseOutcome outcome = inner().buy(e164, tag);
    acted("buy");
    return outcome;
  }
  OwnedNumber set_voice_webhook(const std::string& sid, const VoiceWebhook& webhook) override {
    OwnedNumber owned = inner().set_voice_webhook(sid, webhook);
    acted("set_voice_webhook");
    return owned;
  }
  void release(const std::string& sid) override {
    inner().release(sid);
    acted("release");
  }

private:
  void acted(const std::string& method) {
    if (method == m_method && --m_remaining == 0) {
      std::error_code ignored;
      const auto size = std::filesystem::file_size(m_wal, ignored);
      m_limit.emplace(static_cast<rlim_t>((ignored ? 0 : size) + 100));
    }
  }

  std::string m_wal;
  std::string m_method;
  int m_remaining = 0;
  std::optional<FileSizeLimit> m_limit;
};

} // namespace vami::testing
