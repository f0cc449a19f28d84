#pragma once

// The PostgreSQL state store, for a team sharing one pool (DESIGN.md section 2). Names no
// libpq type: the store links libpq privately.

#include <memory>
#include <string>
#include <string_view>

#include <vami/core/process_holder.hpp>
#include <vami/core/state_store.hpp>

namespace vami {

/// Opens the state store in the PostgreSQL database `uri` names (`postgresql://` or
/// `postgres://`, with any libpq parameter: `sslmode`, `options=-csearch_path%3Dteam`, ...;
/// libpq completes it from the PG* environment variables and ~/.pgpass), creating or migrating
/// vami's tables in the connection's current schema. `holder` names this process in routing
/// changes and operation claims.
/// @throws Error(unavailable) when the server cannot be reached; Error(auth) when it refuses
///         the credentials; Error(invalid_input) for a database that does not exist or a schema
///         that holds another application's tables or a newer vami's; Error(storage) otherwise.
///         No message holds the password.
[[nodiscard]] std::unique_ptr<StateStore>
open_postgres_state_store(const std::string& uri,
                          const std::string& holder = current_process_holder());

/// Whether `location` names a PostgreSQL database (a `postgresql://` or `postgres://` URI).
[[nodiscard]] bool is_postgres_uri(std::string_view location) noexcept;

/// `uri` with any password in it replaced by "***", for messages and output.
[[nodiscard]] std::string redact_postgres_uri(std::string_view uri);

/// Whether `uri` itself carries a password (better kept in PGPASSWORD or ~/.pgpass).
[[nodiscard]] bool postgres_uri_has_password(std::string_view uri);

/// The schema version this vami's PostgreSQL store migrates to.
[[nodiscard]] int current_postgres_schema_version() noexcept;

} // namespace vami
