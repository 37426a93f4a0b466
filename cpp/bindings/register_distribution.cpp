// Bindings of the measures on distributions (scipy.stats.entropy).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "array_views.hpp"
#include "infonative/distribution.hpp"

namespace infonative::bindings {

void register_distribution(py::module_& m) {
    m.def("entropy_rows", [](const py::array& pk) {
        const MatrixView view = matrix_view(pk, "entropy");
        auto out = per_row(view.rows);
        double* result = out.mutable_data();
        py::gil_scoped_release release;
        entropy_rows(view, result);
        return out;
    });
    m.def("relative_entropy_rows", [](const py::array& pk, const py::array& qk) {
        const MatrixView p = matrix_view(pk, "entropy");
        const MatrixView q = matrix_view(qk, "entropy");
        auto out = per_row(p.rows);
        double* result = out.mutable_data();
        py::gil_scoped_release release;
        relative_entropy_rows(p, q, result);
        return out;
    });
}

}  // namespace infonative::bindings
