// The one place that maps a `--db` value to a state store implementation.

#include <vami/stores/postgres_state_store.hpp>
#include <vami/stores/sqlite_state_store.hpp>
#include <vami/stores/state_store_factory.hpp>

namespace vami {

std::unique_ptr<StateStore> open_state_store(const std::string& location,
                                             const std::string& holder) {
  if (is_postgres_uri(location)) {
    return open_postgres_state_store(location, holder);
  }
  return open_sqlite_state_store(location, holder);
}

bool is_server_location(const std::string& location) noexcept {
  return is_postgres_uri(location);
}

std::string redact_location(const std::string& location) {
  return is_postgres_uri(location) ? redact_postgres_uri(location) : location;
}

bool location_has_password(const std::string& location) {
  return is_postgres_uri(location) && postgres_uri_has_password(location);
}

} // namespace vami
