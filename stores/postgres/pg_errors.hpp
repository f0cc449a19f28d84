#pragma once

// The one translation of PostgreSQL's failures into vami errors that name the database (never
// its password), say what is wrong and what to do. Private to the PostgreSQL store.

#include <string>

#include "pg_connection.hpp"

#include <vami/core/error.hpp>

namespace vami::postgres_store {

/// `what` ("cannot record operation op-...") failed on the database at `location` (a redacted
/// URI) with `error`: Error(unavailable) when the server cannot be reached or went away,
/// Error(auth) when it refused the credentials, Error(invalid_input) for a database that does
/// not exist, Error(storage) otherwise; the hint says what to do.
[[nodiscard]] Error pg_error(const std::string& location, const std::string& what,
                             const pg::PgError& error);

/// Whether a transaction is run again after `error`: a serialization failure, a deadlock, or a
/// UNIQUE key that the transaction checked for and a concurrent one inserted meanwhile.
[[nodiscard]] bool retryable(const pg::PgError& error) noexcept;

} // namespace vami::postgres_store
