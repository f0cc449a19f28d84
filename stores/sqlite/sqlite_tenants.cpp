// The SQLite state store: tenants and their agents.

#include "sqlite_conflicts.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_state_store.hpp"

#include <vami/core/clock.hpp>

namespace vami::sqlite_store {

namespace {

/// A rate in micros, or NULL when none is stored.
void bind_rate(SQLite::Statement& statement, const char* name,
               const std::optional<std::int64_t>& micros) {
  if (micros) {
    statement.bind(name, *micros);
  } else {
    statement.bind(name);
  }
}

} // namespace

Tenant SqliteStateStore::create_tenant(const Tenant& tenant) {
  return guarded("cannot create tenant " + tenant.slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (const auto existing = select_tenant(tenant.slug)) {
      throw Error(ErrorKind::conflict,
                  "tenant \"" + tenant.slug + "\" already exists (" + existing->name +
                      ", created " + existing->created_at + ")",
                  "choose another slug");
    }
    const auto now = utc_now_iso8601();
    SQLite::Statement insert(
        m_db, "INSERT INTO tenants (slug, name, industry, contact_name, contact_email, "
              "rate_number_micros, rate_minute_micros, rate_currency, account_profile, "
              "created_at, updated_at) "
              "VALUES (:slug, :name, :industry, :contact_name, :contact_email, :rate_number, "
              ":rate_minute, :rate_currency, :account_profile, :created_at, :updated_at)");
    bind_text_or_null(insert, ":account_profile", tenant.account_profile);
    insert.bind(":slug", tenant.slug);
    insert.bind(":name", tenant.name);
    bind_text_or_null(insert, ":industry", tenant.industry);
    bind_text_or_null(insert, ":contact_name", tenant.contact_name);
    bind_text_or_null(insert, ":contact_email", tenant.contact_email);
    bind_rate(insert, ":rate_number", tenant.rates.number_micros);
    bind_rate(insert, ":rate_minute", tenant.rates.minute_micros);
    insert.bind(":rate_currency", tenant.rates.currency);
    insert.bind(":created_at", tenant.created_at.empty() ? now : tenant.created_at);
    insert.bind(":updated_at", tenant.updated_at.empty() ? now : tenant.updated_at);
    insert.exec();
    auto created = select_tenant(tenant.slug);
    transaction.commit();
    return *created;
  });
}

std::optional<Tenant> SqliteStateStore::find_tenant(const std::string& slug) {
  return guarded("cannot read tenant " + slug, [&] { return select_tenant(slug); });
}

std::vector<Tenant> SqliteStateStore::list_tenants() {
  return guarded("cannot list the tenants", [&] {
    SQLite::Statement query(m_db, std::string(k_tenant_select) + "ORDER BY slug");
    std::vector<Tenant> tenants;
    while (query.executeStep()) {
      tenants.push_back(read_tenant(query));
    }
    return tenants;
  });
}

Tenant SqliteStateStore::update_tenant(const std::string& slug, const TenantChange& change) {
  return guarded("cannot update tenant " + slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    auto before = select_tenant(slug);
    if (!before) {
      throw tenant_not_found(slug);
    }
    if (change.empty()) {
      transaction.commit();
      return *before; // Nothing changes, so neither does updated_at.
    }
    if (change.account_profile && *change.account_profile != before->account_profile) {
      // Read in the write transaction: an agent created meanwhile cannot slip past the check.
      SQLite::Statement agents(m_db, "SELECT count(*) FROM agents AS a JOIN tenants AS t "
                                     "ON t.id = a.tenant_id WHERE t.slug = ? "
                                     "AND a.provider <> 'stream'");
      agents.bind(1, slug);
      agents.executeStep();
      if (const std::int64_t count = agents.getColumn(0).getInt64(); count > 0) {
        throw store_rules::account_change_with_agents(slug, before->account_profile,
                                                      *change.account_profile, count);
      }
    }
    // An unset field keeps its value; a set one replaces it (empty clears it, name aside:
    // it is NOT NULL and stays as given).
    SQLite::Statement update(m_db,
                             "UPDATE tenants SET "
                             "name = CASE WHEN :set_name THEN :name ELSE name END, "
                             "industry = CASE WHEN :set_industry THEN :industry ELSE industry END, "
                             "contact_name = CASE WHEN :set_contact_name THEN :contact_name "
                             "ELSE contact_name END, "
                             "contact_email = CASE WHEN :set_contact_email THEN :contact_email "
                             "ELSE contact_email END, "
                             "rate_number_micros = CASE WHEN :set_rate_number THEN :rate_number "
                             "ELSE rate_number_micros END, "
                             "rate_minute_micros = CASE WHEN :set_rate_minute THEN :rate_minute "
                             "ELSE rate_minute_micros END, "
                             "rate_currency = CASE WHEN :set_rate_currency THEN :rate_currency "
                             "ELSE rate_currency END, "
                             "account_profile = CASE WHEN :set_account_profile THEN "
                             ":account_profile ELSE account_profile END, "
                             "updated_at = :now WHERE slug = :slug");
    update.bind(":set_name", change.name ? 1 : 0);
    update.bind(":name", change.name.value_or(before->name));
    update.bind(":set_industry", change.industry ? 1 : 0);
    bind_text_or_null(update, ":industry", change.industry.value_or(""));
    update.bind(":set_contact_name", change.contact_name ? 1 : 0);
    bind_text_or_null(update, ":contact_name", change.contact_name.value_or(""));
    update.bind(":set_contact_email", change.contact_email ? 1 : 0);
    bind_text_or_null(update, ":contact_email", change.contact_email.value_or(""));
    update.bind(":set_rate_number", change.rate_number_micros ? 1 : 0);
    bind_rate(update, ":rate_number", change.rate_number_micros.value_or(std::nullopt));
    update.bind(":set_rate_minute", change.rate_minute_micros ? 1 : 0);
    bind_rate(update, ":rate_minute", change.rate_minute_micros.value_or(std::nullopt));
    update.bind(":set_rate_currency", change.rate_currency ? 1 : 0);
    update.bind(":rate_currency", change.rate_currency.value_or(before->rates.currency));
    update.bind(":set_account_profile", change.account_profile ? 1 : 0);
    bind_text_or_null(update, ":account_profile", change.account_profile.value_or(""));
    update.bind(":now", utc_now_iso8601());
    update.bind(":slug", slug);
    update.exec();
    auto after = select_tenant(slug);
    transaction.commit();
    return *after;
  });
}

void SqliteStateStore::delete_tenant(const std::string& slug) {
  guarded("cannot delete tenant " + slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto id = select_tenant_id(slug);
    if (!id) {
      throw tenant_not_found(slug);
    }
    SQLite::Statement counts(m_db, "SELECT (SELECT count(*) FROM agents WHERE tenant_id = :id), "
                                   "(SELECT count(*) FROM numbers WHERE tenant_id = :id)");
    counts.bind(":id", *id);
    counts.executeStep();
    const std::int64_t agents = counts.getColumn(0).getInt64();
    const std::int64_t numbers = counts.getColumn(1).getInt64();
    if (agents > 0 || numbers > 0) {
      throw Error(ErrorKind::conflict,
                  "tenant \"" + slug + "\" still has " + count_of(agents, "agent") + " and " +
                      count_of(numbers, "assigned number"),
                  "unassign its numbers and delete its agents first");
    }
    SQLite::Statement remove(m_db, "DELETE FROM tenants WHERE id = ?");
    remove.bind(1, *id);
    remove.exec();
    transaction.commit();
  });
}

Agent SqliteStateStore::insert_agent(const Agent& agent) {
  return guarded("cannot record agent " + agent.slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto tenant_id = select_tenant_id(agent.tenant_slug);
    if (!tenant_id) {
      throw tenant_not_found(agent.tenant_slug);
    }
    if (const auto existing = select_agent_by_slug(agent.slug)) {
      throw Error(ErrorKind::conflict,
                  "agent \"" + agent.slug + "\" already exists (tenant " + existing->tenant_slug +
                      ")",
                  "choose another slug");
    }
    require_free_provider_agent_id(agent.provider_agent_id, agent.slug);
    const auto now = utc_now_iso8601();
    SQLite::Statement insert(
        m_db, "INSERT INTO agents (tenant_id, slug, name, provider, provider_agent_id, "
              "voice_id, language, personality, first_message, prompt, status, stream_url, "
              "stream_parameters, created_at, "
              "updated_at) VALUES (:tenant_id, :slug, :name, :provider, :provider_agent_id, "
              ":voice_id, :language, :personality, :first_message, :prompt, :status, :stream_url, "
              ":stream_parameters, "
              ":created_at, :updated_at)");
    insert.bind(":tenant_id", *tenant_id);
    insert.bind(":slug", agent.slug);
    insert.bind(":provider", agent.provider);
    insert.bind(":created_at", agent.created_at.empty() ? now : agent.created_at);
    insert.bind(":updated_at", agent.updated_at.empty() ? now : agent.updated_at);
    bind_agent_configuration(insert, agent);
    insert.exec();
    auto inserted = select_agent_by_slug(agent.slug);
    transaction.commit();
    return *inserted;
  });
}

std::optional<Agent> SqliteStateStore::find_agent(const std::string& slug_or_provider_id) {
  return guarded("cannot read agent " + slug_or_provider_id, [&]() -> std::optional<Agent> {
    // A slug cannot be mistaken for an ElevenLabs id ("agent_..." holds '_', which slugs do
    // not), but should one ever equal another agent's provider id, the slug wins.
    SQLite::Statement query(m_db, std::string(k_agent_select) +
                                      "WHERE a.slug = :key OR a.provider_agent_id = :key "
                                      "ORDER BY a.slug = :key DESC LIMIT 1");
    query.bind(":key", slug_or_provider_id);
    if (!query.executeStep()) {
      return std::nullopt;
    }
    return read_agent(query);
  });
}

std::vector<Agent> SqliteStateStore::list_agents(const std::string& tenant_slug) {
  return guarded("cannot list the agents", [&] {
    std::string sql = k_agent_select;
    if (!tenant_slug.empty()) {
      sql += "WHERE t.slug = :tenant_slug ";
    }
    sql += "ORDER BY a.slug";
    SQLite::Statement query(m_db, sql);
    if (!tenant_slug.empty()) {
      query.bind(":tenant_slug", tenant_slug);
    }
    std::vector<Agent> agents;
    while (query.executeStep()) {
      agents.push_back(read_agent(query));
    }
    return agents;
  });
}

Agent SqliteStateStore::update_agent(const Agent& agent) {
  return guarded("cannot update agent " + agent.slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (!select_agent_by_slug(agent.slug)) {
      throw agent_not_found(agent.slug);
    }
    require_free_provider_agent_id(agent.provider_agent_id, agent.slug);
    SQLite::Statement update(
        m_db, "UPDATE agents SET name = :name, provider_agent_id = :provider_agent_id, "
              "voice_id = :voice_id, language = :language, personality = :personality, "
              "first_message = :first_message, prompt = :prompt, status = :status, stream_url = "
              ":stream_url, stream_parameters = :stream_parameters, "
              "updated_at = :now WHERE slug = :slug");
    bind_agent_configuration(update, agent);
    update.bind(":now", utc_now_iso8601());
    update.bind(":slug", agent.slug);
    update.exec();
    auto after = select_agent_by_slug(agent.slug);
    transaction.commit();
    return *after;
  });
}

void SqliteStateStore::delete_agent(const std::string& slug) {
  guarded("cannot delete agent " + slug, [&] {
    SQLite::Transaction transaction(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto agent = select_agent_ids(slug);
    if (!agent) {
      throw agent_not_found(slug);
    }
    // A number suspended from it counts: resuming it gives it back to this agent.
    SQLite::Statement held(m_db, "SELECT e164, agent_id IS NULL FROM numbers WHERE "
                                 "agent_id = :id OR suspended_agent_id = :id ORDER BY e164");
    held.bind(":id", agent->id);
    std::vector<std::string> numbers;
    std::size_t suspended = 0;
    while (held.executeStep()) {
      numbers.push_back(column_text(held.getColumn(0)));
      suspended += held.getColumn(1).getInt() != 0 ? 1U : 0U;
    }
    if (!numbers.empty()) {
      throw store_rules::agent_still_has_numbers(slug, numbers, suspended);
    }
    SQLite::Statement documents(m_db, "DELETE FROM documents WHERE agent_id = ?");
    documents.bind(1, agent->id);
    documents.exec();
    SQLite::Statement remove(m_db, "DELETE FROM agents WHERE id = ?");
    remove.bind(1, agent->id);
    remove.exec();
    transaction.commit();
  });
}

std::optional<Tenant> SqliteStateStore::select_tenant(const std::string& slug) {
  SQLite::Statement query(m_db, std::string(k_tenant_select) + "WHERE slug = ?");
  query.bind(1, slug);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return read_tenant(query);
}

std::optional<std::int64_t> SqliteStateStore::select_tenant_id(const std::string& slug) {
  SQLite::Statement query(m_db, "SELECT id FROM tenants WHERE slug = ?");
  query.bind(1, slug);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return query.getColumn(0).getInt64();
}

std::optional<Agent> SqliteStateStore::select_agent_by_slug(const std::string& slug) {
  SQLite::Statement query(m_db, std::string(k_agent_select) + "WHERE a.slug = ?");
  query.bind(1, slug);
  if (!query.executeStep()) {
    return std::nullopt;
  }
  return read_agent(query);
}

void SqliteStateStore::require_free_provider_agent_id(const std::string& provider_agent_id,
                                                      const std::string& slug) {
  if (provider_agent_id.empty()) {
    return;
  }
  SQLite::Statement holder(m_db,
                           "SELECT slug FROM agents WHERE provider_agent_id = ? AND slug <> ?");
  holder.bind(1, provider_agent_id);
  holder.bind(2, slug);
  if (holder.executeStep()) {
    throw Error(ErrorKind::conflict, "provider agent id " + provider_agent_id +
                                         " already belongs to agent \"" +
                                         column_text(holder.getColumn(0)) + "\"");
  }
}

void SqliteStateStore::bind_agent_configuration(SQLite::Statement& statement, const Agent& agent) {
  statement.bind(":name", agent.name);
  bind_text_or_null(statement, ":provider_agent_id", agent.provider_agent_id);
  bind_text_or_null(statement, ":voice_id", agent.voice_id);
  bind_text_or_null(statement, ":language", agent.language);
  if (agent.personality) {
    statement.bind(":personality", to_string(*agent.personality));
  } else {
    statement.bind(":personality");
  }
  bind_text_or_null(statement, ":first_message", agent.first_message);
  bind_text_or_null(statement, ":prompt", agent.prompt);
  statement.bind(":status", to_string(agent.status));
  bind_text_or_null(statement, ":stream_url", agent.stream_url);
  statement.bind(":stream_parameters", stream_parameters_text(agent.stream_parameters));
}

} // namespace vami::sqlite_store
