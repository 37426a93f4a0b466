// The run-time switches (ISA level, threads) and the memory-bandwidth yardstick.
#include <stdexcept>

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
