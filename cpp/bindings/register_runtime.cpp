// Build and runtime information, threads, instruction-set selection, the bandwidth yardstick.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "infonative/isa.hpp"
#include "infonative/stream_read.hpp"
#include "infonative/threads.hpp"
#include "output_cache.hpp"

#ifndef INFONATIVE_VERSION
#define INFONATIVE_VERSION "unknown"
#endif

namespace py = pybind11;

namespace infonative::bindings {

namespace {
Isa isa_from_name(const std::string& name) {
    for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
        if (name == isa_name(isa)) return isa;
    throw std::invalid_argument("unknown instruction-set level '" + name +
                                "' (expected baseline, avx2 or avx512)");
}
}  // namespace

void register_runtime(py::module_& m) {
    m.attr("__version__") = INFONATIVE_VERSION;
    m.def("active_isa", [] { return std::string(isa_name(active_isa())); });
    m.def("best_supported_isa", [] { return std::string(isa_name(best_supported_isa())); });
    m.def("compiled_isas", [] {
        std::vector<std::string> names;
        for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
            if (isa_compiled(isa)) names.emplace_back(isa_name(isa));
        return names;
    });
    m.def("set_active_isa",
          [](const std::string& name) { return std::string(isa_name(set_active_isa(isa_from_name(name)))); },
          py::arg("name"), "Switch kernels (capped to what the CPU supports); returns the level in use.");
    m.def("openmp_enabled", &openmp_enabled);
    m.def("compiler", [] { return std::string(compiler_description()); });
    m.def("get_num_threads", &get_num_threads);
    m.def("set_num_threads", &set_num_threads, py::arg("n"));
    m.def(
        "stream_read",
        [](const py::array& a) {
            if (!(a.flags() & py::array::c_style))
                throw std::invalid_argument("stream_read: array must be C-contiguous");
            const void* data = a.data();
            const std::size_t bytes = std::size_t(a.nbytes());
            py::gil_scoped_release release;
            return stream_read(data, bytes);
        },
        py::arg("a"), "Read every byte once in parallel (bandwidth yardstick for benchmarks).");
    m.def("empty_output", &empty_output, py::arg("shape"), py::arg("dtype"),
          py::arg("min_cached_bytes") = kCachedOutputMinBytes,
          "Uninitialised C-ordered array; from min_cached_bytes on, from the buffer cache.");
    m.def("set_output_cache_limit", &set_output_cache_limit, py::arg("nbytes"));
    m.def("output_cache_limit", &output_cache_limit);
    m.def("output_cache_held", &output_cache_held);
}

}  // namespace infonative::bindings
