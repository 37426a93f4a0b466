// The _core extension module: registers each area; the areas live in register_*.cpp.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace infonative::bindings {
void register_runtime(py::module_& m);
void register_logsumexp(py::module_& m);
void register_distribution(py::module_& m);
void register_knn(py::module_& m);
}  // namespace infonative::bindings

PYBIND11_MODULE(_core, m) {
    m.doc() = "infonative native core (use the functions of the infonative package instead)";
    infonative::bindings::register_runtime(m);
    infonative::bindings::register_logsumexp(m);
    infonative::bindings::register_distribution(m);
    infonative::bindings::register_knn(m);
}
