#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bulk_journal.hpp"

#include <vami/core/error.hpp>
#include <vami/core/phone_number.hpp>
#include <vami/core/state_store.hpp>

// What the use cases that change a number's routing (assignment, suspension) share: the undo of
// a refused change, the pool row, and the numbers and items of their bulk commands.
namespace vami::detail {

/// Runs `undo` after a failed provider step, from inside the catch block, then rethrows the
/// provider's error. If undoing fails too, the database no longer says where the number rings.
[[noreturn]] inline void roll_back(const std::string& e164, const std::function<void()>& undo) {
  try {
    throw;
  } catch (const Error& error) {
    // The provider may have acted: the database keeps what was asked for, and reconcile makes
    // the provider follow it.
    if (error.kind() == ErrorKind::uncertain) {
      throw;
    }
  }
  try {
    undo();
  } catch (const Error& undo_error) {
    throw Error(ErrorKind::uncertain,
                "a provider refused a change to " + e164 +
                    " and putting the state database back failed: " + undo_error.what(),
                "run 'vami reconcile' to compare the database with the providers");
  }
  throw;
}

/// The pool row of a number. @throws Error(not_found) when the pool does not hold it.
inline PoolNumber pool_row(StateStore& store, const std::string& e164) {
  std::optional<PoolNumber> row = store.find_number(e164);
  if (!row || row->status == NumberStatus::released) {
    throw Error(ErrorKind::not_found, e164 + " is not in the pool",
                "list the pool with 'vami numbers list', or buy numbers with 'vami numbers buy'");
  }
  return *row;
}

/// The numbers of a bulk command as E.164, each once, in the order given; all are checked
/// before anything is journaled.
/// @throws Error(invalid_input) for none or a malformed one.
inline std::vector<std::string> distinct_numbers(const std::vector<std::string>& numbers) {
  if (numbers.empty()) {
    throw Error(ErrorKind::invalid_input, "no number given",
                "name pool numbers, or give them one per line with --from-file FILE");
  }
  std::vector<std::string> distinct;
  std::set<std::string> seen;
  for (const auto& number : numbers) {
    std::string e164 = to_e164(number);
    if (seen.insert(e164).second) {
      distinct.push_back(std::move(e164));
    }
  }
  return distinct;
}

/// One number of a bulk command: a refusal fails that number alone; rejected credentials and a
/// database failure end the command.
inline ItemResult bulk_item(const std::string& e164, const std::function<PoolNumber()>& step) {
  try {
    ItemResult item;
    item.e164 = e164;
    item.number = step();
    return item;
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::auth || error.kind() == ErrorKind::storage) {
      throw;
    }
    return failed_item(e164, error,
                       error.kind() == ErrorKind::uncertain ? ItemStatus::uncertain
                                                            : ItemStatus::failed);
  }
}

} // namespace vami::detail
