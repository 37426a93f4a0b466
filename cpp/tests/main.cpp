// Runs the registered tests whose names start with one of the arguments; without arguments, all
// but reproductions of open bugs (named known_bug/...; none at present), which run only when
// named.
// Exit status 0 only if every selected test passed and at least one was selected (a misspelt
// ctest filter must not pass silently).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

#include "check.hpp"

// Sanitizer options compiled into the test binary, so that ctest, CI and a developer running it
// by hand get the same behaviour; the environment (ASAN_OPTIONS, UBSAN_OPTIONS) still overrides.
// UBSan: stop at the first report with a non-zero status (by default it prints and goes on, and
// the run would pass). Harmless in a build without sanitizers: nobody calls these.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
extern "C" const char* __asan_default_options() {
    return "strict_string_checks=1:detect_stack_use_after_return=1";
}

int main(int argc, char** argv) {
    int selected = 0, failed = 0;
    for (const check::TestCase& test : check::registry()) {
        bool wanted = argc == 1 && std::strncmp(test.name, "known_bug/", 10) != 0;
        for (int i = 1; i < argc; ++i)
            wanted = wanted || std::strncmp(test.name, argv[i], std::strlen(argv[i])) == 0;
        if (!wanted) continue;
        ++selected;
        check::failures() = 0;
        check::context().clear();
        const auto start = std::chrono::steady_clock::now();
        try {
            test.run();
        } catch (const std::exception& e) {
            check::fail(__FILE__, __LINE__, check::format("unexpected exception: %s", e.what()));
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (check::failures() == 0) {
            std::printf("[ ok ] %s (%.2f s)\n", test.name, seconds);
        } else {
            ++failed;
            std::printf("[FAIL] %s: %d failed checks\n", test.name, check::failures());
        }
        std::fflush(stdout);
    }
    if (selected == 0) {
        std::fprintf(stderr, "no test matches the arguments\n");
        return 2;
    }
    std::printf("%d of %d tests passed\n", selected - failed, selected);
    return failed == 0 ? 0 : 1;
}
