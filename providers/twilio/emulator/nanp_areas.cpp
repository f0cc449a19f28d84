#include "twilio/emulator/nanp_areas.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "twilio/emulator/inventory_regions.hpp"

#include <vami/core/phone_number.hpp>

namespace vami::sandbox::inventory_detail {

bool local_area_in_service(std::string_view country, const std::string& area_code) {
  static std::array<std::atomic<std::int8_t>, 800> us_memo{};
  static std::array<std::atomic<std::int8_t>, 800> ca_memo{};
  auto slot = static_cast<std::size_t>(std::stoi(area_code) - 200);
  std::atomic<std::int8_t>& memo = (country == "CA" ? ca_memo : us_memo).at(slot);
  std::int8_t known = memo.load(std::memory_order_relaxed);
  if (known != 0) {
    return known > 0;
  }
  bool in_service = !is_nanp_toll_free(area_code) && is_area_code_in_service(country, area_code);
  memo.store(in_service ? 1 : -1, std::memory_order_relaxed);
  return in_service;
}

// All NANP area codes, ascending: the order of walks (each checked with
// local_area_in_service as the walk reaches it).
const std::vector<std::string>& nanp_area_codes() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> all;
    for (int npa = 200; npa <= 999; ++npa) {
      all.push_back(std::to_string(npa));
    }
    return all;
  }();
  return codes;
}

// Local area codes of `country` in service, ascending (toll-free codes excluded). Computed
// once per process (800 checks), lazily: only searches by locality need the whole list.
const std::vector<std::string>& nanp_local_area_codes(std::string_view country) {
  static std::once_flag us_once;
  static std::once_flag ca_once;
  static std::vector<std::string> us;
  static std::vector<std::string> ca;
  auto compute = [](std::string_view iso, std::vector<std::string>& out) {
    for (const std::string& code : nanp_area_codes()) {
      if (local_area_in_service(iso, code)) {
        out.push_back(code);
      }
    }
  };
  if (country == "CA") {
    std::call_once(ca_once, compute, "CA", std::ref(ca));
    return ca;
  }
  std::call_once(us_once, compute, "US", std::ref(us));
  return us;
}

// Geocodes a few exchanges of an area code. Used only to skip or reorder area codes in a walk;
// the filters themselves are always applied to every listing.
AreaSample sample_area(std::string_view country, const std::string& area_code) {
  static std::mutex mutex;
  static std::map<std::string, AreaSample> samples;
  std::string key = std::string(country) + area_code;
  {
    std::lock_guard lock(mutex);
    if (auto found = samples.find(key); found != samples.end()) {
      return found->second;
    }
  }
  AreaSample sample;
  for (const char* exchange : {"234", "345", "456", "567", "678", "789", "890", "902"}) {
    std::string e164 = "+1" + area_code + exchange + "4567";
    if (canonical_region_of(e164) != country) {
      continue;
    }
    ++sample.valid;
    NumberLocation location = locate(e164);
    if (is_country_name(location.region)) {
      ++sample.non_geographic;
      continue;
    }
    const RegionInfo* info = find_region(country, location.region);
    if (info == nullptr) {
      sample.unknown_region = true;
    } else {
      sample.regions.emplace_back(info->code);
    }
    if (!location.locality.empty()) {
      sample.localities.push_back(location.locality);
    }
  }
  std::lock_guard lock(mutex);
  samples.emplace(std::move(key), sample);
  return sample;
}

} // namespace vami::sandbox::inventory_detail
