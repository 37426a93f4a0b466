// The run-time switches (ISA level, threads), the memory-bandwidth yardstick, and numpy's
// legacy normals (the sklearn wrappers' noise) against a scalar copy of numpy's loop.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "support.hpp"

using namespace infonative_test;
using infonative::Isa;

TEST_CASE("runtime/isa levels: names, capping and switching") {
    CHECK(std::string(infonative::isa_name(Isa::baseline)) == "baseline");
    CHECK(std::string(infonative::isa_name(Isa::avx2)) == "avx2");
    CHECK(std::string(infonative::isa_name(Isa::avx512)) == "avx512");
    CHECK(infonative::isa_compiled(Isa::baseline) &&
          infonative::isa_supported_by_cpu(Isa::baseline));
    const Isa best = infonative::best_supported_isa();
    CHECK(infonative::isa_compiled(best) && infonative::isa_supported_by_cpu(best));
    // Levels are ordered: a supported level implies the lower ones.
    for (Isa isa : {Isa::avx2, Isa::avx512})
        if (infonative::isa_supported_by_cpu(isa))
            CHECK(infonative::isa_supported_by_cpu(Isa(int(isa) - 1)));
    for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512}) {
        check::Scope scope("requested=%s", infonative::isa_name(isa));
        const Isa expected = int(isa) <= int(best) ? isa : best;  // capped to what runs here
        CHECK(infonative::set_active_isa(isa) == expected);
        CHECK(infonative::active_isa() == expected);
    }
    infonative::set_active_isa(best);
    std::printf("  isa levels here:");
    for (Isa isa : supported_isas()) std::printf(" %s", infonative::isa_name(isa));
    std::printf("\n");
}

TEST_CASE("runtime/threads") {
    const int before = infonative::get_num_threads();
    CHECK(before >= 1);
    CHECK_THROWS(infonative::set_num_threads(0), std::invalid_argument);
    if (infonative::openmp_enabled()) {
        infonative::set_num_threads(2);
        CHECK(infonative::get_num_threads() == 2);
    }
    infonative::set_num_threads(before);
    CHECK(infonative::get_num_threads() == before);
    CHECK(infonative::compiler_description()[0] != '\0');
}

TEST_CASE("runtime/stream_read is the xor of the 64-bit words and the tail bytes") {
    Random rng(43);
    for (std::size_t bytes : {std::size_t(0), std::size_t(7), std::size_t(8), std::size_t(1001),
                              std::size_t(8 << 16) + 5}) {  // the last one runs in parallel
        check::Scope scope("bytes=%zu", bytes);
        std::vector<unsigned char> data(bytes);
        for (unsigned char& b : data) b = static_cast<unsigned char>(rng.next());
        std::uint64_t expected = 0;
        std::size_t i = 0;
        for (; i + 8 <= bytes; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, data.data() + i, 8);
            expected ^= w;
        }
        for (; i < bytes; ++i) expected ^= data[i];
        CHECK(infonative::stream_read(data.data(), bytes) == expected);
        CHECK(with_threads(1, [&] { return infonative::stream_read(data.data(), bytes); }) ==
              with_threads(2, [&] { return infonative::stream_read(data.data(), bytes); }));
    }
}

namespace {

// A deterministic stand-in for numpy's bit generator: uniforms in [0, 1) from a counter.
double counter_uniform(void* state) {
    auto& n = *static_cast<std::uint64_t*>(state);
    std::uint64_t z = (n += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return double((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

// numpy's legacy_gauss, one call per normal, as written there.
double reference_gauss(std::uint64_t* state, infonative::LegacyGaussCache* cache) {
    if (cache->has_gauss) {
        const double temp = cache->gauss;
        cache->has_gauss = false;
        cache->gauss = 0.0;
        return temp;
    }
    double f, x1, x2, r2;
    do {
        x1 = 2.0 * counter_uniform(state) - 1.0;
        x2 = 2.0 * counter_uniform(state) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    f = std::sqrt(-2.0 * std::log(r2) / r2);
    cache->gauss = f * x1;
    cache->has_gauss = true;
    return f * x2;
}

}  // namespace

TEST_CASE("runtime/legacy standard normals: numpy's polar method, any thread count") {
    for (int threads : {1, 2})
        for (bool cached : {false, true})
            for (std::int64_t count : {0, 1, 2, 3, 10001, 40000}) {
                check::Scope scope("threads=%d cached=%d count=%lld", threads, int(cached),
                                   (long long)count);
                std::uint64_t ours_state = 42, reference_state = 42;
                infonative::LegacyGaussCache ours{cached, 0.25}, reference{cached, 0.25};
                std::vector<double> got(std::size_t(count) + 1, -7.0);
                with_threads(threads, [&] {
                    infonative::legacy_standard_normal(counter_uniform, &ours_state, got.data(),
                                                       count, &ours);
                    return 0;
                });
                int wrong = 0;
                for (std::int64_t i = 0; i < count; ++i)
                    wrong += got[std::size_t(i)] != reference_gauss(&reference_state, &reference);
                CHECK(wrong == 0);
                CHECK(got[std::size_t(count)] == -7.0);  // nothing written past the end
                CHECK(ours.has_gauss == reference.has_gauss && ours.gauss == reference.gauss);
                CHECK(ours_state == reference_state);  // the same uniforms consumed
            }
}
