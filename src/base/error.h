// Errors as values: every failure carries what was being done to what.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace krill {

class Error {
 public:
  explicit Error(std::string message, int errno_value = 0)
      : message_(std::move(message)), errno_value_(errno_value) {}

  // "what: strerror(err)", e.g. "mount proc on /r/proc: Operation not permitted".
  static Error from_errno(std::string_view what, int err = errno);

  // Prepends an outer context: "create container c1: " + message.
  Error&& context(std::string_view outer) &&;
  Error& context(std::string_view outer) &;

  const std::string& message() const { return message_; }
  // The errno behind the error, or 0 when it did not come from a syscall.
  int errno_value() const { return errno_value_; }

 private:
  std::string message_;
  int errno_value_;
};

template <typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error(std::move(message)));
}

inline std::unexpected<Error> fail_errno(std::string_view what, int err = errno) {
  return std::unexpected<Error>(Error::from_errno(what, err));
}

}  // namespace krill

// Evaluates a Result-returning expression; on failure returns its error from
// the enclosing function, otherwise yields the value (GNU statement expression).
#define KRILL_TRY(expr)                                            \
  ({                                                               \
    auto&& krill_try_result_ = (expr);                             \
    if (!krill_try_result_)                                        \
      return std::unexpected(std::move(krill_try_result_.error())); \
    std::move(*krill_try_result_);                                 \
  })

// For Result<void>: returns the error from the enclosing function on failure.
#define KRILL_CHECK(expr)                                          \
  do {                                                             \
    auto&& krill_check_result_ = (expr);                           \
    if (!krill_check_result_)                                      \
      return std::unexpected(std::move(krill_check_result_.error())); \
  } while (0)

// Like KRILL_CHECK, but prepends context to the error.
#define KRILL_CHECK_CTX(expr, ctx)                                 \
  do {                                                             \
    auto&& krill_check_result_ = (expr);                           \
    if (!krill_check_result_)                                      \
      return std::unexpected(std::move(krill_check_result_.error()).context(ctx)); \
  } while (0)
