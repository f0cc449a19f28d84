// The PostgreSQL state store: tenants and their agents.

#include "pg_rows.hpp"
#include "pg_state_store.hpp"
#include <store_conflicts.hpp>

#include <vami/core/clock.hpp>

namespace vami::postgres_store {

using store_rules::account_change_with_agents;
using store_rules::agent_not_found;
using store_rules::count_of;
using store_rules::tenant_not_found;

namespace {

/// Binds the columns insert_agent and update_agent both write.
void bind_agent_configuration(pg::Statement& statement, const Agent& agent) {
  statement.bind(":name", agent.name);
  statement.bind_text_or_null(":provider_agent_id", agent.provider_agent_id);
  statement.bind_text_or_null(":voice_id", agent.voice_id);
  statement.bind_text_or_null(":language", agent.language);
  if (agent.personality) {
    statement.bind(":personality", to_string(*agent.personality));
  } else {
    statement.bind_null(":personality");
  }
  statement.bind_text_or_null(":first_message", agent.first_message);
  statement.bind_text_or_null(":prompt", agent.prompt);
  statement.bind(":status", to_string(agent.status));
  statement.bind_text_or_null(":stream_url", agent.stream_url);
  statement.bind(":stream_parameters", stream_parameters_text(agent.stream_parameters));
}

/// A rate in micros, or NULL when none is stored.
void bind_rate(pg::Statement& statement, const char* name,
               const std::optional<std::int64_t>& micros) {
  if (micros) {
    statement.bind(name, *micros);
  } else {
    statement.bind_null(name);
  }
}

} // namespace

Tenant PostgresStateStore::create_tenant(const Tenant& tenant) {
  return transaction("cannot create tenant " + tenant.slug, [&] {
    if (const auto existing = select_tenant(tenant.slug)) {
      throw Error(ErrorKind::conflict,
                  "tenant \"" + tenant.slug + "\" already exists (" + existing->name +
                      ", created " + existing->created_at + ")",
                  "choose another slug");
    }
    const auto now = utc_now_iso8601();
    pg::Statement insert("INSERT INTO tenants (slug, name, industry, contact_name, "
                         "contact_email, rate_number_micros, rate_minute_micros, rate_currency, "
                         "account_profile, created_at, updated_at) VALUES (:slug, :name, "
                         ":industry, :contact_name, :contact_email, :rate_number, :rate_minute, "
                         ":rate_currency, :account_profile, :created_at, :updated_at)");
    insert.bind_text_or_null(":account_profile", tenant.account_profile);
    bind_rate(insert, ":rate_number", tenant.rates.number_micros);
    bind_rate(insert, ":rate_minute", tenant.rates.minute_micros);
    insert.bind(":rate_currency", tenant.rates.currency);
    insert.bind(":slug", tenant.slug);
    insert.bind(":name", tenant.name);
    insert.bind_text_or_null(":industry", tenant.industry);
    insert.bind_text_or_null(":contact_name", tenant.contact_name);
    insert.bind_text_or_null(":contact_email", tenant.contact_email);
    insert.bind(":created_at", tenant.created_at.empty() ? now : tenant.created_at);
    insert.bind(":updated_at", tenant.updated_at.empty() ? now : tenant.updated_at);
    db().exec(insert);
    return *select_tenant(tenant.slug);
  });
}

std::optional<Tenant> PostgresStateStore::find_tenant(const std::string& slug) {
  return read("cannot read tenant " + slug, [&] { return select_tenant(slug); });
}

std::vector<Tenant> PostgresStateStore::list_tenants() {
  return read("cannot list the tenants", [&] {
    const pg::Result rows =
        db().exec(pg::Statement(std::string(k_tenant_select) + "ORDER BY slug"));
    std::vector<Tenant> tenants;
    for (int i = 0; i < rows.rows(); ++i) {
      tenants.push_back(read_tenant(pg::Row(rows, i)));
    }
    return tenants;
  });
}

Tenant PostgresStateStore::update_tenant(const std::string& slug, const TenantChange& change) {
  return transaction("cannot update tenant " + slug, [&] {
    auto before = select_tenant(slug);
    if (!before) {
      throw tenant_not_found(slug);
    }
    if (change.empty()) {
      return *before; // Nothing changes, so neither does updated_at.
    }
    if (change.account_profile && *change.account_profile != before->account_profile) {
      // Counted in this serializable transaction: an agent created meanwhile makes one of the
      // two fail and retry.
      pg::Statement agents("SELECT count(*) FROM agents AS a JOIN tenants AS t "
                           "ON t.id = a.tenant_id WHERE t.slug = :slug "
                           "AND a.provider <> 'stream'");
      agents.bind(":slug", slug);
      if (const std::int64_t count = db().exec(agents).integer(0, 0); count > 0) {
        throw account_change_with_agents(slug, before->account_profile, *change.account_profile,
                                         count);
      }
    }
    // An unset field keeps its value; a set one replaces it (empty clears it, name aside:
    // it is NOT NULL and stays as given).
    pg::Statement update("UPDATE tenants SET "
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
    auto flag = [](bool set) { return set ? "true" : "false"; };
    update.bind(":set_name", flag(change.name.has_value()));
    update.bind(":name", change.name.value_or(before->name));
    update.bind(":set_industry", flag(change.industry.has_value()));
    update.bind_text_or_null(":industry", change.industry.value_or(""));
    update.bind(":set_contact_name", flag(change.contact_name.has_value()));
    update.bind_text_or_null(":contact_name", change.contact_name.value_or(""));
    update.bind(":set_contact_email", flag(change.contact_email.has_value()));
    update.bind_text_or_null(":contact_email", change.contact_email.value_or(""));
    update.bind(":set_rate_number", flag(change.rate_number_micros.has_value()));
    bind_rate(update, ":rate_number", change.rate_number_micros.value_or(std::nullopt));
    update.bind(":set_rate_minute", flag(change.rate_minute_micros.has_value()));
    bind_rate(update, ":rate_minute", change.rate_minute_micros.value_or(std::nullopt));
    update.bind(":set_rate_currency", flag(change.rate_currency.has_value()));
    update.bind(":rate_currency", change.rate_currency.value_or(before->rates.currency));
    update.bind(":set_account_profile", flag(change.account_profile.has_value()));
    update.bind_text_or_null(":account_profile", change.account_profile.value_or(""));
    update.bind(":now", utc_now_iso8601());
    update.bind(":slug", slug);
    db().exec(update);
    return *select_tenant(slug);
  });
}

void PostgresStateStore::delete_tenant(const std::string& slug) {
  transaction("cannot delete tenant " + slug, [&] {
    const auto id = select_tenant_id(slug);
    if (!id) {
      throw tenant_not_found(slug);
    }
    pg::Statement counts("SELECT (SELECT count(*) FROM agents WHERE tenant_id = :id), "
                         "(SELECT count(*) FROM numbers WHERE tenant_id = :id)");
    counts.bind(":id", *id);
    const pg::Result found = db().exec(counts);
    const std::int64_t agents = found.integer(0, 0);
    const std::int64_t numbers = found.integer(0, 1);
    if (agents > 0 || numbers > 0) {
      throw Error(ErrorKind::conflict,
                  "tenant \"" + slug + "\" still has " + count_of(agents, "agent") + " and " +
                      count_of(numbers, "assigned number"),
                  "unassign its numbers and delete its agents first");
    }
    pg::Statement remove("DELETE FROM tenants WHERE id = :id");
    remove.bind(":id", *id);
    db().exec(remove);
  });
}

Agent PostgresStateStore::insert_agent(const Agent& agent) {
  return transaction("cannot record agent " + agent.slug, [&] {
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
    pg::Statement insert(
        "INSERT INTO agents (tenant_id, slug, name, provider, provider_agent_id, voice_id, "
        "language, personality, first_message, prompt, status, stream_url, stream_parameters, "
        "created_at, updated_at) VALUES "
        "(:tenant_id, :slug, :name, :provider, :provider_agent_id, :voice_id, :language, "
        ":personality, :first_message, :prompt, :status, :stream_url, :stream_parameters, "
        ":created_at, :updated_at)");
    insert.bind(":tenant_id", *tenant_id);
    insert.bind(":slug", agent.slug);
    insert.bind(":provider", agent.provider);
    insert.bind(":created_at", agent.created_at.empty() ? now : agent.created_at);
    insert.bind(":updated_at", agent.updated_at.empty() ? now : agent.updated_at);
    bind_agent_configuration(insert, agent);
    db().exec(insert);
    return *select_agent_by_slug(agent.slug);
  });
}

std::optional<Agent> PostgresStateStore::find_agent(const std::string& slug_or_provider_id) {
  return parallel_read("cannot read agent " + slug_or_provider_id, [&]() -> std::optional<Agent> {
    // Should a slug ever equal another agent's provider id, the slug wins.
    pg::Statement query(std::string(k_agent_select) +
                        "WHERE a.slug = :key OR a.provider_agent_id = :key "
                        "ORDER BY a.slug = :key DESC LIMIT 1");
    query.bind(":key", slug_or_provider_id);
    const pg::Result found = db().exec(query);
    if (found.rows() == 0) {
      return std::nullopt;
    }
    return read_agent(pg::Row(found, 0));
  });
}

std::vector<Agent> PostgresStateStore::list_agents(const std::string& tenant_slug) {
  return read("cannot list the agents", [&] {
    std::string sql = k_agent_select;
    if (!tenant_slug.empty()) {
      sql += "WHERE t.slug = :tenant_slug ";
    }
    sql += "ORDER BY a.slug";
    pg::Statement query(sql);
    if (!tenant_slug.empty()) {
      query.bind(":tenant_slug", tenant_slug);
    }
    const pg::Result rows = db().exec(query);
    std::vector<Agent> agents;
    for (int i = 0; i < rows.rows(); ++i) {
      agents.push_back(read_agent(pg::Row(rows, i)));
    }
    return agents;
  });
}

Agent PostgresStateStore::update_agent(const Agent& agent) {
  return transaction("cannot update agent " + agent.slug, [&] {
    if (!select_agent_by_slug(agent.slug)) {
      throw agent_not_found(agent.slug);
    }
    require_free_provider_agent_id(agent.provider_agent_id, agent.slug);
    pg::Statement update("UPDATE agents SET name = :name, provider_agent_id = :provider_agent_id, "
                         "voice_id = :voice_id, language = :language, personality = :personality, "
                         "first_message = :first_message, prompt = :prompt, status = :status, "
                         "stream_url = :stream_url, stream_parameters = :stream_parameters, "
                         "updated_at = :now WHERE slug = :slug");
    bind_agent_configuration(update, agent);
    update.bind(":now", utc_now_iso8601());
    update.bind(":slug", agent.slug);
    db().exec(update);
    return *select_agent_by_slug(agent.slug);
  });
}

void PostgresStateStore::delete_agent(const std::string& slug) {
  transaction("cannot delete agent " + slug, [&] {
    const auto agent = select_agent_ids(slug);
    if (!agent) {
      throw agent_not_found(slug);
    }
    // A number suspended from it counts: resuming it gives it back to this agent.
    pg::Statement held("SELECT e164, agent_id IS NULL FROM numbers WHERE agent_id = :id OR "
                       "suspended_agent_id = :id ORDER BY e164");
    held.bind(":id", agent->id);
    const pg::Result rows = db().exec(held);
    std::vector<std::string> numbers;
    std::size_t suspended = 0;
    for (int i = 0; i < rows.rows(); ++i) {
      numbers.push_back(rows.text(i, 0));
      suspended += rows.boolean(i, 1) ? 1U : 0U;
    }
    if (!numbers.empty()) {
      throw store_rules::agent_still_has_numbers(slug, numbers, suspended);
    }
    pg::Statement documents("DELETE FROM documents WHERE agent_id = :id");
    documents.bind(":id", agent->id);
    db().exec(documents);
    pg::Statement remove("DELETE FROM agents WHERE id = :id");
    remove.bind(":id", agent->id);
    db().exec(remove);
  });
}

std::optional<Tenant> PostgresStateStore::select_tenant(const std::string& slug) {
  pg::Statement query(std::string(k_tenant_select) + "WHERE slug = :slug");
  query.bind(":slug", slug);
  const pg::Result found = db().exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return read_tenant(pg::Row(found, 0));
}

std::optional<std::int64_t> PostgresStateStore::select_tenant_id(const std::string& slug) {
  pg::Statement query("SELECT id FROM tenants WHERE slug = :slug");
  query.bind(":slug", slug);
  const pg::Result found = db().exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return found.integer(0, 0);
}

std::optional<Agent> PostgresStateStore::select_agent_by_slug(const std::string& slug) {
  pg::Statement query(std::string(k_agent_select) + "WHERE a.slug = :slug");
  query.bind(":slug", slug);
  const pg::Result found = db().exec(query);
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return read_agent(pg::Row(found, 0));
}

void PostgresStateStore::require_free_provider_agent_id(const std::string& provider_agent_id,
                                                        const std::string& slug) {
  if (provider_agent_id.empty()) {
    return;
  }
  pg::Statement holder("SELECT slug FROM agents WHERE provider_agent_id = :id AND slug <> :slug");
  holder.bind(":id", provider_agent_id);
  holder.bind(":slug", slug);
  const pg::Result found = db().exec(holder);
  if (found.rows() > 0) {
    throw Error(ErrorKind::conflict, "provider agent id " + provider_agent_id +
                                         " already belongs to agent \"" + found.text(0, 0) + "\"");
  }
}

} // namespace vami::postgres_store
