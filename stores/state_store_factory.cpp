// The one place that maps a `--db` value to a state store implementation.

#include <vami/stores/sqlite_state_store.hpp>
#include <vami/stores/state_store_factory.hpp>

namespace vami {

std::unique_ptr<StateStore> open_state_store(const std::string& location,
                                             const std::string& holder) {
  // Every location is a SQLite file path for now, a `postgresql://` URI included (it then names
  // a folder that does not exist, and SQLite's store says so).
  return open_sqlite_state_store(location, holder);
}

} // namespace vami
