#pragma once
// Rows and checks the state store's test suites share: the requests a purchase makes of the
// store, and the expectation of a typed error.

#include <string>

#include <gtest/gtest.h>

#include <vami/core/error.hpp>
#include <vami/core/state_store.hpp>

namespace vami::testing {

/// Runs `action`, expecting a vami::Error of `kind`; returns it for further checks.
template <typename Action>
Error expect_error(ErrorKind kind, Action&& action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error;
  }
  ADD_FAILURE() << "expected Error(" << to_string(kind) << ")";
  return Error(kind, "not thrown");
}

/// A journal operation `id` of `kind`, for 2 numbers in area code 212, by alice.
inline Operation operation(const std::string& id, OperationKind kind = OperationKind::buy) {
  Operation op;
  op.id = id;
  op.kind = kind;
  op.requested_count = 2;
  op.parameters = R"({"area_code":"212"})";
  op.actor = "alice";
  return op;
}

/// The intent row of buying `e164` (a New York local number) in `operation_id`.
inline PurchaseIntent intent(const std::string& e164, const std::string& operation_id,
                             const std::string& region = "NY") {
  PurchaseIntent purchase;
  purchase.e164 = e164;
  purchase.operation_id = operation_id;
  purchase.country = "US";
  purchase.type = NumberType::local;
  purchase.locality = "New York";
  purchase.region = region;
  purchase.friendly_name = "vami:default:" + operation_id;
  return purchase;
}

/// What the provider answers for a bought `e164` with the provider id `sid`.
inline OwnedNumber owned(const std::string& e164, const std::string& sid) {
  OwnedNumber number;
  number.e164 = e164;
  number.provider_sid = sid;
  number.friendly_name = "vami:default:op-000000000001";
  number.webhook = {"https://hooks.example.com/voice", "POST", "https://hooks.example.com/status"};
  return number;
}

/// Puts an `available` number in the pool through the store, as a purchase does
/// (1.15 USD a month).
inline void add_available(StateStore& store, const std::string& e164, const std::string& sid,
                          const std::string& operation_id, const std::string& region = "NY") {
  store.insert_purchase_intent(intent(e164, operation_id, region));
  (void)store.complete_purchase(e164, owned(e164, sid), Money{1'150'000, "USD"});
}

} // namespace vami::testing
