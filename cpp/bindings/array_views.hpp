// numpy arrays <-> MatrixView. The only place that knows how numpy spells our dtypes.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include "infonative/matrix.hpp"

namespace infonative::bindings {

namespace py = pybind11;

// float16/32/64 by kind 'f'; ml_dtypes.bfloat16 is a 2-byte 'V' dtype named "bfloat16".
inline DType dtype_of(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'f' && size == 2) return DType::float16;
    if (kind == 'f' && size == 4) return DType::float32;
    if (kind == 'f' && size == 8) return DType::float64;
    if (size == 2 && py::str(dt.attr("name")).cast<std::string>() == "bfloat16")
        return DType::bfloat16;
    throw py::type_error(std::string(name) + ": unsupported dtype " +
                         py::str(dt).cast<std::string>());
}

inline void require_2d(const py::array& a, const char* name) {
    if (a.ndim() != 2)
        throw std::invalid_argument(std::string(name) + ": expected a 2-D array, got " +
                                    std::to_string(a.ndim()) + "-D");
}

inline MatrixView matrix_view(const py::array& a, const char* name) {
    require_2d(a, name);
    return MatrixView{a.data(), dtype_of(a, name), a.shape(0), a.shape(1), a.strides(0),
                      a.strides(1)};
}

inline MutableMatrixView mutable_matrix_view(py::array& a, const char* name) {
    require_2d(a, name);
    if (!a.writeable()) throw std::invalid_argument(std::string(name) + ": output is read-only");
    return MutableMatrixView{a.mutable_data(), dtype_of(a, name), a.shape(0), a.shape(1),
                             a.strides(0), a.strides(1)};
}

// A new float64 vector with one entry per row.
inline py::array_t<double> per_row(std::int64_t rows) { return py::array_t<double>(rows); }

// The common binding shapes: one or two matrices in, one float64 per row out, the GIL
// released while kernel(views..., out) runs.
template <class Kernel>
py::array_t<double> rowwise(const char* name, Kernel kernel, const py::array& x) {
    const MatrixView view = matrix_view(x, name);
    auto out = per_row(view.rows);
    double* result = out.mutable_data();
    py::gil_scoped_release release;
    kernel(view, result);
    return out;
}

template <class Kernel>
py::array_t<double> rowwise(const char* name, Kernel kernel, const py::array& x,
                            const py::array& y) {
    const MatrixView first = matrix_view(x, name), second = matrix_view(y, name);
    auto out = per_row(first.rows);
    double* result = out.mutable_data();
    py::gil_scoped_release release;
    kernel(first, second, result);
    return out;
}

}  // namespace infonative::bindings
