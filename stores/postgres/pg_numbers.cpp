// The PostgreSQL state store: the pool's numbers (purchase, release, voice webhook, listing)
// and what reconcile records of the provider's view.

#include "pg_errors.hpp"
#include "pg_rows.hpp"
#include "pg_state_store.hpp"
#include <store_conflicts.hpp>

#include <vami/core/clock.hpp>

namespace vami::postgres_store {

using store_rules::held_by;
using store_rules::not_in_pool;
using store_rules::operation_not_found;

namespace {

/// Runs a write that may break the UNIQUE provider id (23505) or refer to an operation the
/// journal does not have (23503), with the SQLite store's words for both.
int execute_checked(pg::Connection& db, const pg::Statement& statement,
                    const std::string& provider_id, const std::string& operation_id) {
  try {
    return db.exec(statement).affected();
  } catch (const pg::PgError& error) {
    if (error.sqlstate() == "23503" && !operation_id.empty()) {
      throw operation_not_found(operation_id);
    }
    if (error.sqlstate() == "23505" && !retryable(error)) {
      throw Error(ErrorKind::conflict,
                  "provider id " + provider_id + " already belongs to another pool number",
                  "run 'vami reconcile' to compare the pool with the provider");
    }
    throw;
  }
}

void bind_price(pg::Statement& statement, const std::optional<Money>& price) {
  if (price) {
    statement.bind(":micros", price->micros);
    statement.bind(":currency", price->currency);
  } else {
    statement.bind_null(":micros");
    statement.bind_null(":currency");
  }
}

} // namespace

void PostgresStateStore::insert_purchase_intent(const PurchaseIntent& intent) {
  parallel_transaction("cannot record the purchase intent for " + intent.e164, [&] {
    const auto current = select_number(intent.e164);
    if (current && current->status != NumberStatus::released) {
      throw Error(ErrorKind::conflict,
                  intent.e164 + " is already in the pool (status " + to_string(current->status) +
                      ")",
                  current->status == NumberStatus::purchasing
                      ? "another operation is buying it; run 'vami reconcile' if it died"
                      : "");
    }
    // A released number that is bought again reuses its row (E.164 is UNIQUE) and starts a
    // new life: nothing of the old purchase survives but the row id.
    const char* sql =
        current
            ? "UPDATE numbers SET provider = :provider, provider_sid = NULL, country = :country, "
              "number_type = :number_type, locality = :locality, region = :region, "
              "status = 'purchasing', tenant_id = NULL, agent_id = NULL, routing_mode = NULL, "
              "provider_agent_phone_id = NULL, friendly_name = :friendly_name, "
              "voice_url = NULL, voice_method = NULL, status_callback = NULL, "
              "monthly_price_micros = NULL, currency = NULL, operation_id = :operation_id, "
              "created_at = :now, updated_at = :now, released_at = NULL "
              "WHERE e164 = :e164 AND status = 'released'"
            : "INSERT INTO numbers (e164, provider, country, number_type, locality, region, "
              "status, friendly_name, operation_id, created_at, updated_at) VALUES (:e164, "
              ":provider, :country, :number_type, :locality, :region, 'purchasing', "
              ":friendly_name, :operation_id, :now, :now)";
    pg::Statement write(sql);
    write.bind(":e164", intent.e164);
    write.bind(":provider", intent.provider);
    write.bind(":country", intent.country);
    write.bind(":number_type", to_string(intent.type));
    write.bind_text_or_null(":locality", intent.locality);
    write.bind_text_or_null(":region", intent.region);
    write.bind_text_or_null(":friendly_name", intent.friendly_name);
    write.bind(":operation_id", intent.operation_id);
    write.bind(":now", utc_now_iso8601());
    execute_checked(db(), write, "", intent.operation_id);
  });
}

PoolNumber PostgresStateStore::complete_purchase(const std::string& e164, const OwnedNumber& owned,
                                                 const std::optional<Money>& monthly_price) {
  const auto method = normalized_voice_method(owned.webhook.voice_method);
  if (monthly_price) {
    check_money(*monthly_price);
  }
  return parallel_transaction("cannot record the purchase of " + e164, [&] {
    pg::Statement update(
        "UPDATE numbers SET status = 'available', provider_sid = :provider_sid, "
        "friendly_name = COALESCE(:friendly_name, friendly_name), voice_url = :voice_url, "
        "voice_method = :voice_method, status_callback = :status_callback, "
        "monthly_price_micros = :micros, currency = :currency, updated_at = :now "
        "WHERE e164 = :e164 AND status = 'purchasing'");
    update.bind(":e164", e164);
    update.bind_text_or_null(":provider_sid", owned.provider_sid);
    update.bind_text_or_null(":friendly_name", owned.friendly_name);
    update.bind_text_or_null(":voice_url", owned.webhook.voice_url);
    update.bind_text_or_null(":voice_method", method);
    update.bind_text_or_null(":status_callback", owned.webhook.status_callback);
    bind_price(update, monthly_price);
    update.bind(":now", utc_now_iso8601());
    if (execute_checked(db(), update, owned.provider_sid, "") == 0) {
      throw Error(ErrorKind::not_found, e164 + " has no purchase in progress",
                  "run 'vami reconcile' to compare the pool with the provider");
    }
    return *select_number(e164);
  });
}

void PostgresStateStore::abandon_purchase(const std::string& e164) {
  parallel_transaction("cannot abandon the purchase of " + e164, [&] {
    pg::Statement remove("DELETE FROM numbers WHERE e164 = :e164 AND status = 'purchasing'");
    remove.bind(":e164", e164);
    db().exec(remove);
  });
}

std::optional<PoolNumber> PostgresStateStore::find_number(const std::string& e164) {
  return parallel_read("cannot read " + e164, [&] { return select_number(e164); });
}

std::set<std::string> PostgresStateStore::numbers_in_pool(const std::vector<std::string>& e164s) {
  return parallel_read("cannot read the pool", [&] {
    // One bound list instead of one parameter per number.
    std::string list;
    for (const auto& e164 : e164s) {
      // Only "+" and digits can be in the pool, and need no escaping in the list.
      if (e164.size() < 2 || e164[0] != '+' ||
          e164.find_first_not_of("0123456789", 1) != std::string::npos) {
        continue;
      }
      list += (list.empty() ? "" : ",") + e164;
    }
    std::set<std::string> held;
    if (list.empty()) {
      return held;
    }
    pg::Statement query("SELECT e164 FROM numbers WHERE status <> 'released' AND "
                        "e164 = ANY (string_to_array(:list, ','))");
    query.bind(":list", list);
    const pg::Result rows = db().exec(query);
    for (int i = 0; i < rows.rows(); ++i) {
      held.insert(rows.text(i, 0));
    }
    return held;
  });
}

std::vector<PoolNumber> PostgresStateStore::list_numbers(const NumberFilter& filter) {
  check_area_code(filter);
  return read("cannot list the pool", [&] {
    std::string sql = std::string(k_number_select) + "WHERE true";
    if (filter.status) {
      sql += " AND n.status = :status";
    } else if (!filter.include_released) {
      sql += " AND n.status <> 'released'";
    }
    append_number_filter(sql, filter);
    sql += " ORDER BY n.e164";
    pg::Statement query(sql);
    if (filter.status) {
      query.bind(":status", to_string(*filter.status));
    }
    bind_number_filter(query, filter);
    const pg::Result rows = db().exec(query);
    std::vector<PoolNumber> numbers;
    numbers.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) {
      numbers.push_back(read_number(pg::Row(rows, i)));
    }
    return numbers;
  });
}

PoolNumber PostgresStateStore::begin_release(const std::string& e164) {
  return transaction("cannot start the release of " + e164, [&] {
    auto before = select_number(e164);
    if (!before || before->status == NumberStatus::released) {
      throw not_in_pool(e164);
    }
    require_routing_free(*before); // an unassign in flight may still be reaching the providers
    switch (before->status) {
    case NumberStatus::assigned:
      throw Error(ErrorKind::conflict, held_by(*before) + "; unassign it first");
    case NumberStatus::purchasing:
      throw Error(ErrorKind::conflict, e164 + " is being purchased by another operation; run "
                                              "'vami reconcile'");
    case NumberStatus::releasing:
      throw Error(ErrorKind::conflict, e164 + " is being released by another operation; run "
                                              "'vami reconcile'");
    case NumberStatus::available:
    case NumberStatus::suspended:
    case NumberStatus::released:
      break;
    }
    pg::Statement update("UPDATE numbers SET status = 'releasing', updated_at = :now "
                         "WHERE e164 = :e164 AND status IN ('available', 'suspended')");
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    db().exec(update);
    return *before;
  });
}

void PostgresStateStore::complete_release(const std::string& e164) {
  transaction("cannot record the release of " + e164, [&] {
    require_releasing(e164);
    // The provider ids go: a later purchase of the same number gets a new SID, and the
    // UNIQUE columns must not keep the old one alive. The price stays as history.
    pg::Statement update(
        "UPDATE numbers SET status = 'released', released_at = :now, updated_at = :now, "
        "provider_sid = NULL, voice_url = NULL, voice_method = NULL, "
        "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL, "
        "tenant_id = NULL, " +
        std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = 'releasing'");
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    db().exec(update);
  });
}

void PostgresStateStore::revert_release(const std::string& e164, NumberStatus previous) {
  if (previous != NumberStatus::available && previous != NumberStatus::suspended) {
    throw Error(ErrorKind::invalid_input, std::string("a release can only be reverted to "
                                                      "available or suspended, not ") +
                                              to_string(previous));
  }
  transaction("cannot revert the release of " + e164, [&] {
    require_releasing(e164);
    pg::Statement update("UPDATE numbers SET status = :status, updated_at = :now "
                         "WHERE e164 = :e164 AND status = 'releasing'");
    update.bind(":status", to_string(previous));
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    db().exec(update);
  });
}

void PostgresStateStore::update_webhook(const std::string& e164, const VoiceWebhook& webhook) {
  const auto method = normalized_voice_method(webhook.voice_method);
  transaction("cannot record the voice webhook of " + e164, [&] {
    pg::Statement update("UPDATE numbers SET voice_url = :voice_url, voice_method = "
                         ":voice_method, status_callback = :status_callback, updated_at = :now "
                         "WHERE e164 = :e164 AND status <> 'released'");
    update.bind_text_or_null(":voice_url", webhook.voice_url);
    update.bind_text_or_null(":voice_method", method);
    update.bind_text_or_null(":status_callback", webhook.status_callback);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    if (db().exec(update).affected() == 0) {
      throw not_in_pool(e164);
    }
  });
}

PoolNumber PostgresStateStore::adopt_number(const AdoptedNumber& number) {
  const auto method = normalized_voice_method(number.webhook.voice_method);
  if (number.monthly_price) {
    check_money(*number.monthly_price);
  }
  return transaction("cannot adopt " + number.e164, [&] {
    const auto current = select_number(number.e164);
    if (current && current->status != NumberStatus::released) {
      throw Error(ErrorKind::conflict, number.e164 + " is already in the pool (status " +
                                           to_string(current->status) + ")");
    }
    // Like a purchase, an adoption of a released number reuses its row and starts a new life.
    const char* sql =
        current ? "UPDATE numbers SET provider = :provider, provider_sid = :provider_sid, "
                  "country = :country, number_type = :number_type, locality = :locality, "
                  "region = :region, status = 'available', tenant_id = NULL, agent_id = NULL, "
                  "routing_mode = NULL, provider_agent_phone_id = NULL, "
                  "friendly_name = :friendly_name, voice_url = :voice_url, "
                  "voice_method = :voice_method, status_callback = :status_callback, "
                  "monthly_price_micros = :micros, currency = :currency, "
                  "operation_id = :operation_id, created_at = :now, updated_at = :now, "
                  "released_at = NULL WHERE e164 = :e164 AND status = 'released'"
                : "INSERT INTO numbers (e164, provider, provider_sid, country, number_type, "
                  "locality, region, status, friendly_name, voice_url, voice_method, "
                  "status_callback, monthly_price_micros, currency, operation_id, created_at, "
                  "updated_at) VALUES (:e164, :provider, :provider_sid, :country, :number_type, "
                  ":locality, :region, 'available', :friendly_name, :voice_url, :voice_method, "
                  ":status_callback, :micros, :currency, :operation_id, :now, :now)";
    pg::Statement write(sql);
    write.bind(":e164", number.e164);
    write.bind(":provider", number.provider);
    write.bind_text_or_null(":provider_sid", number.provider_sid);
    write.bind(":country", number.country);
    write.bind(":number_type", to_string(number.type));
    write.bind_text_or_null(":locality", number.locality);
    write.bind_text_or_null(":region", number.region);
    write.bind_text_or_null(":friendly_name", number.friendly_name);
    write.bind_text_or_null(":voice_url", number.webhook.voice_url);
    write.bind_text_or_null(":voice_method", method);
    write.bind_text_or_null(":status_callback", number.webhook.status_callback);
    bind_price(write, number.monthly_price);
    write.bind_text_or_null(":operation_id", number.operation_id);
    write.bind(":now", utc_now_iso8601());
    try {
      db().exec(write);
    } catch (const pg::PgError& error) {
      if (error.sqlstate() == "23503") {
        throw operation_not_found(number.operation_id);
      }
      if (error.sqlstate() == "23505" && !retryable(error)) {
        throw Error(ErrorKind::conflict, "provider id " + number.provider_sid +
                                             " already belongs to another pool number");
      }
      throw;
    }
    return *select_number(number.e164);
  });
}

PoolNumber PostgresStateStore::mark_released(const std::string& e164,
                                             const std::string& provider_sid) {
  return transaction("cannot mark " + e164 + " released", [&] {
    const auto before = require_settled(e164, provider_sid);
    // As complete_release, and the assignment goes too: the number no longer rings anywhere.
    pg::Statement update(
        "UPDATE numbers SET status = 'released', released_at = :now, updated_at = :now, "
        "provider_sid = NULL, voice_url = NULL, voice_method = NULL, "
        "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL, "
        "tenant_id = NULL, agent_id = NULL, " +
        std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = :status");
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.bind(":status", to_string(before.status));
    db().exec(update);
    return before;
  });
}

PoolNumber PostgresStateStore::record_provider_view(const std::string& e164,
                                                    const std::string& expected_sid,
                                                    const VoiceWebhook& expected_webhook,
                                                    const OwnedNumber& owned) {
  const auto method = normalized_voice_method(owned.webhook.voice_method);
  return transaction("cannot record the provider's view of " + e164, [&] {
    const auto before = require_settled(e164, expected_sid);
    if (before.webhook != expected_webhook) {
      throw Error(ErrorKind::conflict, "the voice webhook of " + e164 + " changed meanwhile");
    }
    pg::Statement update("UPDATE numbers SET provider_sid = :provider_sid, voice_url = "
                         ":voice_url, voice_method = :voice_method, status_callback = "
                         ":status_callback, updated_at = :now WHERE e164 = :e164 AND "
                         "status = :status");
    update.bind_text_or_null(":provider_sid", owned.provider_sid);
    update.bind_text_or_null(":voice_url", owned.webhook.voice_url);
    update.bind_text_or_null(":voice_method", method);
    update.bind_text_or_null(":status_callback", owned.webhook.status_callback);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.bind(":status", to_string(before.status));
    execute_checked(db(), update, owned.provider_sid, "");
    return *select_number(e164);
  });
}

std::optional<PoolNumber> PostgresStateStore::select_number(const std::string& e164) {
  pg::Statement query(std::string(k_number_select) + "WHERE n.e164 = :e164");
  query.bind(":e164", e164);
  const pg::Result found = db().exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return read_number(pg::Row(found, 0));
}

void PostgresStateStore::require_releasing(const std::string& e164) {
  store_rules::require_releasing(select_number(e164), e164);
}

PoolNumber PostgresStateStore::require_settled(const std::string& e164,
                                               const std::string& provider_sid) {
  return store_rules::require_settled(select_number(e164), e164, provider_sid);
}

} // namespace vami::postgres_store
