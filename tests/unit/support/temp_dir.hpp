#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace vami::testing {

/// A fresh folder under the system temp folder, removed with everything in it on destruction.
class TempDir {
public:
  TempDir() {
    std::random_device random;
    m_path = std::filesystem::temp_directory_path() /
             ("vami-test-" + std::to_string(random()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The folder.
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  /// A path inside the folder.
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return m_path / name;
  }

private:
  std::filesystem::path m_path;
};

} // namespace vami::testing
