// Bindings of the measures on distributions (scipy.stats.entropy).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "array_views.hpp"
#include "infonative/distribution.hpp"

namespace infonative::bindings {

void register_distribution(py::module_& m) {
    m.def("entropy_rows", [](const py::array& pk) { return rowwise("entropy", entropy_rows, pk); });
    m.def("relative_entropy_rows", [](const py::array& pk, const py::array& qk) {
        return rowwise("entropy", relative_entropy_rows, pk, qk);
    });
}

}  // namespace infonative::bindings
