// The SQLite state store: the pool's numbers (purchase, release, voice webhook, listing) and
// what reconcile records of the provider's view.

#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"
#include <sqlite3.h>

#include <vami/core/clock.hpp>

namespace vami::sqlite_store {

void SqliteStateStore::insert_purchase_intent(const PurchaseIntent& intent) {
  guarded("cannot record the purchase intent for " + intent.e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
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
    Prepared write = prepared(sql);
    write->bind(":e164", intent.e164);
    write->bind(":provider", intent.provider);
    write->bind(":country", intent.country);
    write->bind(":number_type", to_string(intent.type));
    bind_text_or_null(*write, ":locality", intent.locality);
    bind_text_or_null(*write, ":region", intent.region);
    bind_text_or_null(*write, ":friendly_name", intent.friendly_name);
    write->bind(":operation_id", intent.operation_id);
    write->bind(":now", utc_now_iso8601());
    execute_with_operation(*write, intent.operation_id);
    transaction.commit();
  });
}

PoolNumber SqliteStateStore::complete_purchase(const std::string& e164, const OwnedNumber& owned,
                                               const std::optional<Money>& monthly_price) {
  const auto method = normalized_voice_method(owned.webhook.voice_method);
  if (monthly_price) {
    check_money(*monthly_price);
  }
  return guarded("cannot record the purchase of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    Prepared update =
        prepared("UPDATE numbers SET status = 'available', provider_sid = :provider_sid, "
                 "friendly_name = COALESCE(:friendly_name, friendly_name), voice_url = :voice_url, "
                 "voice_method = :voice_method, status_callback = :status_callback, "
                 "monthly_price_micros = :micros, currency = :currency, updated_at = :now "
                 "WHERE e164 = :e164 AND status = 'purchasing'");
    update->bind(":e164", e164);
    bind_text_or_null(*update, ":provider_sid", owned.provider_sid);
    bind_text_or_null(*update, ":friendly_name", owned.friendly_name);
    bind_text_or_null(*update, ":voice_url", owned.webhook.voice_url);
    bind_text_or_null(*update, ":voice_method", method);
    bind_text_or_null(*update, ":status_callback", owned.webhook.status_callback);
    if (monthly_price) {
      update->bind(":micros", monthly_price->micros);
      update->bind(":currency", monthly_price->currency);
    } else {
      update->bind(":micros");
      update->bind(":currency");
    }
    update->bind(":now", utc_now_iso8601());
    if (execute_unique(*update, "provider id " + owned.provider_sid) == 0) {
      throw Error(ErrorKind::not_found, e164 + " has no purchase in progress",
                  "run 'vami reconcile' to compare the pool with the provider");
    }
    auto number = select_number(e164);
    transaction.commit();
    return *number;
  });
}

void SqliteStateStore::abandon_purchase(const std::string& e164) {
  guarded("cannot abandon the purchase of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(m_db, "DELETE FROM numbers WHERE e164 = ? AND status = 'purchasing'");
    remove.bind(1, e164);
    remove.exec();
    transaction.commit();
  });
}

std::optional<PoolNumber> SqliteStateStore::find_number(const std::string& e164) {
  return guarded("cannot read " + e164, [&] { return select_number(e164); });
}

std::set<std::string> SqliteStateStore::numbers_in_pool(const std::vector<std::string>& e164s) {
  return guarded("cannot read the pool", [&] {
    // One bound JSON array instead of one parameter per number (SQLite's json_each).
    SQLite::Statement query(m_db, "SELECT e164 FROM numbers WHERE status <> 'released' AND "
                                  "e164 IN (SELECT value FROM json_each(?))");
    std::string array = "[";
    for (const auto& e164 : e164s) {
      // Only "+" and digits can be in the pool, and need no escaping in JSON.
      if (e164.size() < 2 || e164[0] != '+' ||
          e164.find_first_not_of("0123456789", 1) != std::string::npos) {
        continue;
      }
      array += (array.size() > 1 ? ",\"" : "\"") + e164 + "\"";
    }
    query.bind(1, array + "]");
    std::set<std::string> held;
    while (query.executeStep()) {
      held.insert(column_text(query.getColumn(0)));
    }
    return held;
  });
}

std::vector<PoolNumber> SqliteStateStore::list_numbers(const NumberFilter& filter) {
  check_area_code(filter);
  return guarded("cannot list the pool", [&] {
    std::string sql = std::string(k_number_select) + "WHERE 1 = 1";
    if (filter.status) {
      sql += " AND n.status = :status";
    } else if (!filter.include_released) {
      sql += " AND n.status <> 'released'";
    }
    append_number_filter(sql, filter);
    sql += " ORDER BY n.e164";
    SQLite::Statement query(m_db, sql);
    if (filter.status) {
      query.bind(":status", to_string(*filter.status));
    }
    bind_number_filter(query, filter);
    std::vector<PoolNumber> numbers;
    while (query.executeStep()) {
      numbers.push_back(read_number(query));
    }
    return numbers;
  });
}

PoolNumber SqliteStateStore::begin_release(const std::string& e164) {
  return guarded("cannot start the release of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
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
    SQLite::Statement update(m_db, "UPDATE numbers SET status = 'releasing', updated_at = ? "
                                   "WHERE e164 = ? AND status IN ('available', 'suspended')");
    update.bind(1, utc_now_iso8601());
    update.bind(2, e164);
    update.exec();
    transaction.commit();
    return *before;
  });
}

void SqliteStateStore::complete_release(const std::string& e164) {
  guarded("cannot record the release of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    require_releasing(e164);
    // The provider ids go: a later purchase of the same number gets a new SID, and the
    // UNIQUE columns must not keep the old one alive. The price stays as history.
    SQLite::Statement update(
        m_db, "UPDATE numbers SET status = 'released', released_at = :now, updated_at = :now, "
              "provider_sid = NULL, voice_url = NULL, voice_method = NULL, "
              "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL, "
              "tenant_id = NULL, " +
                  std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = 'releasing'");
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.exec();
    transaction.commit();
  });
}

void SqliteStateStore::revert_release(const std::string& e164, NumberStatus previous) {
  if (previous != NumberStatus::available && previous != NumberStatus::suspended) {
    throw Error(ErrorKind::invalid_input, std::string("a release can only be reverted to "
                                                      "available or suspended, not ") +
                                              to_string(previous));
  }
  guarded("cannot revert the release of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    require_releasing(e164);
    SQLite::Statement update(m_db, "UPDATE numbers SET status = ?, updated_at = ? "
                                   "WHERE e164 = ? AND status = 'releasing'");
    update.bind(1, to_string(previous));
    update.bind(2, utc_now_iso8601());
    update.bind(3, e164);
    update.exec();
    transaction.commit();
  });
}

void SqliteStateStore::update_webhook(const std::string& e164, const VoiceWebhook& webhook) {
  const auto method = normalized_voice_method(webhook.voice_method);
  guarded("cannot record the voice webhook of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(
        m_db, "UPDATE numbers SET voice_url = :voice_url, voice_method = :voice_method, "
              "status_callback = :status_callback, updated_at = :now "
              "WHERE e164 = :e164 AND status <> 'released'");
    bind_text_or_null(update, ":voice_url", webhook.voice_url);
    bind_text_or_null(update, ":voice_method", method);
    bind_text_or_null(update, ":status_callback", webhook.status_callback);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    if (update.exec() == 0) {
      throw not_in_pool(e164);
    }
    transaction.commit();
  });
}

PoolNumber SqliteStateStore::adopt_number(const AdoptedNumber& number) {
  const auto method = normalized_voice_method(number.webhook.voice_method);
  if (number.monthly_price) {
    check_money(*number.monthly_price);
  }
  return guarded("cannot adopt " + number.e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
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
    SQLite::Statement write(m_db, sql);
    write.bind(":e164", number.e164);
    write.bind(":provider", number.provider);
    bind_text_or_null(write, ":provider_sid", number.provider_sid);
    write.bind(":country", number.country);
    write.bind(":number_type", to_string(number.type));
    bind_text_or_null(write, ":locality", number.locality);
    bind_text_or_null(write, ":region", number.region);
    bind_text_or_null(write, ":friendly_name", number.friendly_name);
    bind_text_or_null(write, ":voice_url", number.webhook.voice_url);
    bind_text_or_null(write, ":voice_method", method);
    bind_text_or_null(write, ":status_callback", number.webhook.status_callback);
    if (number.monthly_price) {
      write.bind(":micros", number.monthly_price->micros);
      write.bind(":currency", number.monthly_price->currency);
    } else {
      write.bind(":micros");
      write.bind(":currency");
    }
    bind_text_or_null(write, ":operation_id", number.operation_id);
    write.bind(":now", utc_now_iso8601());
    try {
      write.exec();
    } catch (const SQLite::Exception& error) {
      if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        throw operation_not_found(number.operation_id);
      }
      if (error.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
        throw Error(ErrorKind::conflict, "provider id " + number.provider_sid +
                                             " already belongs to another pool number");
      }
      throw;
    }
    auto adopted = select_number(number.e164);
    transaction.commit();
    return *adopted;
  });
}

PoolNumber SqliteStateStore::mark_released(const std::string& e164,
                                           const std::string& provider_sid) {
  return guarded("cannot mark " + e164 + " released", [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = require_settled(e164, provider_sid);
    // As complete_release, and the assignment goes too: the number no longer rings anywhere.
    SQLite::Statement update(
        m_db, "UPDATE numbers SET status = 'released', released_at = :now, updated_at = :now, "
              "provider_sid = NULL, voice_url = NULL, voice_method = NULL, "
              "status_callback = NULL, routing_mode = NULL, provider_agent_phone_id = NULL, "
              "tenant_id = NULL, agent_id = NULL, " +
                  std::string(k_no_suspension) + " WHERE e164 = :e164 AND status = :status");
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.bind(":status", to_string(before.status));
    update.exec();
    transaction.commit();
    return before;
  });
}

PoolNumber SqliteStateStore::record_provider_view(const std::string& e164,
                                                  const std::string& expected_sid,
                                                  const VoiceWebhook& expected_webhook,
                                                  const OwnedNumber& owned) {
  const auto method = normalized_voice_method(owned.webhook.voice_method);
  return guarded("cannot record the provider's view of " + e164, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto before = require_settled(e164, expected_sid);
    if (before.webhook != expected_webhook) {
      throw Error(ErrorKind::conflict, "the voice webhook of " + e164 + " changed meanwhile");
    }
    SQLite::Statement update(
        m_db, "UPDATE numbers SET provider_sid = :provider_sid, voice_url = :voice_url, "
              "voice_method = :voice_method, status_callback = :status_callback, "
              "updated_at = :now WHERE e164 = :e164 AND status = :status");
    bind_text_or_null(update, ":provider_sid", owned.provider_sid);
    bind_text_or_null(update, ":voice_url", owned.webhook.voice_url);
    bind_text_or_null(update, ":voice_method", method);
    bind_text_or_null(update, ":status_callback", owned.webhook.status_callback);
    update.bind(":now", utc_now_iso8601());
    update.bind(":e164", e164);
    update.bind(":status", to_string(before.status));
    execute_unique(update, "provider id " + owned.provider_sid);
    auto after = select_number(e164);
    transaction.commit();
    return *after;
  });
}

std::optional<PoolNumber> SqliteStateStore::select_number(const std::string& e164) {
  Prepared query = prepared(std::string(k_number_select) + "WHERE n.e164 = ?");
  query->bind(1, e164);
  if (!query->executeStep()) {
    return std::nullopt;
  }
  return read_number(*query);
}

void SqliteStateStore::require_releasing(const std::string& e164) {
  store_rules::require_releasing(select_number(e164), e164);
}

PoolNumber SqliteStateStore::require_settled(const std::string& e164,
                                             const std::string& provider_sid) {
  return store_rules::require_settled(select_number(e164), e164, provider_sid);
}

} // namespace vami::sqlite_store
