#include <algorithm>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include <vami/core/bulk_runner.hpp>
#include <vami/core/error.hpp>

namespace vami {

void validate_concurrency(int concurrency) {
  if (concurrency < 1 || concurrency > k_max_concurrency) {
    throw Error(ErrorKind::invalid_input,
                "--concurrency " + std::to_string(concurrency) + " is out of range",
                "run between 1 and " + std::to_string(k_max_concurrency) + " items at once");
  }
}

namespace detail {

void run_indexed(std::size_t count, int concurrency, const std::function<void(std::size_t)>& work,
                 const StopRequested& stop, const std::function<void(std::size_t)>& settled,
                 bool& stopped) {
  validate_concurrency(concurrency);
  std::mutex dispatch_mutex; // guards next, halted, first_error, stopped; serialises `stop`
  std::mutex settle_mutex;   // serialises `settled`
  std::size_t next = 0;
  bool halted = false;
  std::exception_ptr first_error;
  stopped = false;

  auto fail = [&](std::exception_ptr error) {
    std::lock_guard lock(dispatch_mutex);
    if (!first_error) {
      first_error = std::move(error);
    }
    halted = true;
  };
  auto worker = [&] {
    while (true) {
      std::size_t index = 0;
      {
        std::lock_guard lock(dispatch_mutex);
        if (halted || next >= count) {
          return;
        }
        try {
          if (stop && stop()) {
            stopped = true;
            halted = true;
            return;
          }
        } catch (...) {
          if (!first_error) {
            first_error = std::current_exception();
          }
          halted = true;
          return;
        }
        index = next++;
      }
      try {
        work(index);
        if (settled) {
          std::lock_guard lock(settle_mutex);
          settled(index);
        }
      } catch (...) {
        fail(std::current_exception());
        return;
      }
    }
  };

  const auto threads = std::min(count, static_cast<std::size_t>(concurrency));
  std::vector<std::jthread> helpers;
  for (std::size_t i = 1; i < threads; ++i) {
    try {
      helpers.emplace_back(worker);
    } catch (const std::system_error&) {
      // Out of threads: the ones running, and this one, share the work.
      break;
    }
  }
  worker();
  helpers.clear(); // joins
  if (first_error) {
    std::rethrow_exception(first_error);
  }
}

} // namespace detail

} // namespace vami
