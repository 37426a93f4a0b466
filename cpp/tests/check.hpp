// A tiny test runner for the C++ core (no dependency): TEST_CASE registers a function, the
// CHECK macros record a failure with file, line and the current context, and the test goes on.
// main.cpp runs the registered tests whose names start with one of its arguments.
#pragma once
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace check {

struct TestCase {
    const char* name;
    void (*run)();
};

inline std::vector<TestCase>& registry() {
    static std::vector<TestCase> tests;
    return tests;
}

struct Register {
    Register(const char* name, void (*run)()) { registry().push_back({name, run}); }
};

// Failed checks of the running test (main resets it per test).
inline int& failures() {
    static int count = 0;
    return count;
}

// What the running test is looking at ("isa=avx2", "dtype=float16", ...), printed with a failure.
inline std::vector<std::string>& context() {
    static std::vector<std::string> stack;
    return stack;
}

inline std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string format(const char* fmt, ...) {
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    return buffer;
}

// Pushes a context line for its lifetime: `check::Scope scope("dtype=%s", name);`.
class Scope {
  public:
    template <class... Args>
    explicit Scope(const char* fmt, Args... args) {
        context().push_back(format(fmt, args...));
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() { context().pop_back(); }
};

// Prints at most this many failures per test: one wrong kernel fails thousands of elements.
constexpr int kMaxPrintedFailures = 12;

inline void fail(const char* file, int line, const std::string& what) {
    if (++failures() > kMaxPrintedFailures) return;
    std::string where;
    for (const std::string& c : context()) where += (where.empty() ? "" : " ") + c;
    std::printf("  %s:%d: %s%s%s\n", file, line, what.c_str(), where.empty() ? "" : "\n      in ",
                where.c_str());
}

// Equal values (including infinities of the same sign), both NaN, or |actual - expected| <= tol.
inline bool close(double actual, double expected, double tol) {
    if (std::isnan(expected) || std::isnan(actual))
        return std::isnan(expected) && std::isnan(actual);
    if (actual == expected) return true;
    if (std::isinf(expected) || std::isinf(actual)) return false;
    return std::fabs(actual - expected) <= tol;
}

}  // namespace check

#define CHECK_CONCAT_INNER(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT_INNER(a, b)

// TEST_CASE("area/what it checks") { ... }
#define TEST_CASE(name)                                                   \
    static void CHECK_CONCAT(check_test_, __LINE__)();                    \
    static const check::Register CHECK_CONCAT(check_register_, __LINE__)( \
        name, &CHECK_CONCAT(check_test_, __LINE__));                      \
    static void CHECK_CONCAT(check_test_, __LINE__)()

#define CHECK(condition)                                                                   \
    do {                                                                                   \
        if (!(condition)) check::fail(__FILE__, __LINE__, "CHECK(" #condition ") failed"); \
    } while (0)

// Same value within an absolute tolerance; NaN matches only NaN, infinities only themselves.
#define CHECK_CLOSE(actual, expected, tol)                                                        \
    do {                                                                                          \
        const double check_a_ = double(actual), check_e_ = double(expected);                      \
        const double check_t_ = double(tol);                                                      \
        if (!check::close(check_a_, check_e_, check_t_))                                          \
            check::fail(                                                                          \
                __FILE__, __LINE__,                                                               \
                check::format("%s = %.17g, expected %.17g (error %.3g, tolerance %.3g)", #actual, \
                              check_a_, check_e_, std::fabs(check_a_ - check_e_), check_t_));     \
    } while (0)

// CHECK_CLOSE with a context line (printf-style) formatted only on failure: for loops over
// millions of elements, where a Scope per element would cost more than the check.
#define CHECK_CLOSE_AT(actual, expected, tol, ...)                          \
    do {                                                                    \
        if (!check::close(double(actual), double(expected), double(tol))) { \
            check::Scope check_scope_(__VA_ARGS__);                         \
            CHECK_CLOSE(actual, expected, tol);                             \
        }                                                                   \
    } while (0)

// Bitwise equality of two buffers of `bytes` bytes.
#define CHECK_SAME_BYTES(a, b, bytes)                                             \
    do {                                                                          \
        if (std::memcmp((a), (b), (bytes)) != 0)                                  \
            check::fail(__FILE__, __LINE__, "bytes of " #a " and " #b " differ"); \
    } while (0)

#define CHECK_THROWS(expression, exception_type)                                            \
    do {                                                                                    \
        bool check_thrown_ = false;                                                         \
        try {                                                                               \
            expression;                                                                     \
        } catch (const exception_type&) {                                                   \
            check_thrown_ = true;                                                           \
        } catch (...) {                                                                     \
        }                                                                                   \
        if (!check_thrown_)                                                                 \
            check::fail(__FILE__, __LINE__, #expression " did not throw " #exception_type); \
    } while (0)

#define CHECK_NOTHROW(expression)                                                  \
    do {                                                                           \
        try {                                                                      \
            expression;                                                            \
        } catch (const std::exception& check_e_) {                                 \
            check::fail(__FILE__, __LINE__,                                        \
                        check::format(#expression " threw: %s", check_e_.what())); \
        }                                                                          \
    } while (0)
