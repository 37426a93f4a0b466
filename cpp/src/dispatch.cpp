// Chooses the kernel table once, from CPU detection capped by INFONATIVE_ISA.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "kernel_table.hpp"

namespace infonative {

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::baseline: return "baseline";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
    }
    return "unknown";
}

bool isa_compiled(Isa isa) {
#if defined(INFONATIVE_HAVE_X86_KERNELS)
    (void)isa;
    return true;
#else
    return isa == Isa::baseline;
#endif
}

bool isa_supported_by_cpu(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    switch (isa) {
        case Isa::baseline: return true;
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2");
        case Isa::avx512:
            return isa_supported_by_cpu(Isa::avx2) && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl");
    }
    return false;
#else
    return isa == Isa::baseline;
#endif
}

Isa best_supported_isa() {
    for (Isa isa : {Isa::avx512, Isa::avx2})
        if (isa_compiled(isa) && isa_supported_by_cpu(isa)) return isa;
    return Isa::baseline;
}

namespace {

Isa requested_by_environment() {
    const char* value = std::getenv("INFONATIVE_ISA");
    if (!value || !*value) return Isa::avx512;  // no cap
    for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
        if (std::strcmp(value, isa_name(isa)) == 0) return isa;
    return Isa::avx512;  // unknown names are reported by the Python layer, not fatal here
}

detail::KernelTable make_table(Isa isa) {
    detail::KernelTable table{};
    table.isa = isa;
    switch (isa) {
#if defined(INFONATIVE_HAVE_X86_KERNELS)
        case Isa::avx512: simd::avx512::fill_table(table); break;
        case Isa::avx2: simd::avx2::fill_table(table); break;
#endif
        default: simd::baseline::fill_table(table); table.isa = Isa::baseline; break;
    }
    return table;
}

detail::KernelTable tables[3];
std::atomic<const detail::KernelTable*> active{nullptr};

Isa capped(Isa requested) {
    Isa best = best_supported_isa();
    return int(requested) < int(best) ? requested : best;
}

const detail::KernelTable* table_for(Isa isa) {
    static const bool filled = [] {
        for (Isa level : {Isa::baseline, Isa::avx2, Isa::avx512})
            if (isa_compiled(level) && isa_supported_by_cpu(level))
                tables[int(level)] = make_table(level);
        return true;
    }();
    (void)filled;
    return &tables[int(isa)];
}

}  // namespace

Isa active_isa() { return detail::kernels().isa; }

Isa set_active_isa(Isa requested) {
    const detail::KernelTable* table = table_for(capped(requested));
    active.store(table, std::memory_order_release);
    return table->isa;
}

namespace detail {
const KernelTable& kernels() {
    const KernelTable* table = active.load(std::memory_order_acquire);
    if (!table) {
        table = table_for(capped(requested_by_environment()));
        active.store(table, std::memory_order_release);
    }
    return *table;
}
}  // namespace detail

}  // namespace infonative
