// Bindings of the log-sum-exp family and the logit measures. Arrays arrive 2-D (rows x
// reduced axis) from the Python layer, with any strides; outputs are allocated here, then the
// GIL is released for the computation.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "array_views.hpp"
#include "infonative/logits.hpp"
#include "infonative/logsumexp.hpp"

namespace infonative::bindings {

void register_logsumexp(py::module_& m) {
    m.def("logsumexp_rows",
          [](const py::array& x) { return rowwise("logsumexp", logsumexp_rows, x); });
    m.def("logsumexp_weighted_rows", [](const py::array& x, const py::array& b) {
        const MatrixView view = matrix_view(x, "logsumexp");
        const MatrixView weights = matrix_view(b, "logsumexp weights");
        auto lse = per_row(view.rows), sign = per_row(view.rows);
        double *lse_data = lse.mutable_data(), *sign_data = sign.mutable_data();
        {
            py::gil_scoped_release release;
            logsumexp_weighted_rows(view, weights, lse_data, sign_data);
        }
        return py::make_tuple(lse, sign);
    });
    m.def("softmax_rows", [](const py::array& x, py::array& out) {
        const MatrixView in = matrix_view(x, "softmax");
        const MutableMatrixView result = mutable_matrix_view(out, "softmax");
        py::gil_scoped_release release;
        softmax_rows(in, result);
    });
    m.def("log_softmax_rows", [](const py::array& x, py::array& out) {
        const MatrixView in = matrix_view(x, "log_softmax");
        const MutableMatrixView result = mutable_matrix_view(out, "log_softmax");
        py::gil_scoped_release release;
        log_softmax_rows(in, result);
    });
    m.def("entropy_from_logits_rows", [](const py::array& x) {
        return rowwise("entropy_from_logits", entropy_from_logits_rows, x);
    });
    m.def("kl_divergence_from_logits_rows", [](const py::array& p, const py::array& q) {
        return rowwise("kl_divergence_from_logits", kl_divergence_from_logits_rows, p, q);
    });
    m.def(
        "cross_entropy_rows",
        [](const py::array& logits,
           const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& target,
           const std::optional<py::array_t<double, py::array::c_style | py::array::forcecast>>& weight,
           std::int64_t ignore_index, bool with_smoothing) {
            const MatrixView view = matrix_view(logits, "cross_entropy_loss");
            if (target.ndim() != 1 || target.shape(0) != view.rows)
                throw std::invalid_argument("cross_entropy_loss: target must have one entry per row");
            const double* w = nullptr;
            if (weight) {
                if (weight->ndim() != 1 || weight->shape(0) != view.cols)
                    throw std::invalid_argument("cross_entropy_loss: weight must have one entry per class");
                w = weight->data();
            }
            auto nll = per_row(view.rows), smooth = per_row(with_smoothing ? view.rows : 0),
                 target_weight = per_row(view.rows);
            double *nll_data = nll.mutable_data(), *tw_data = target_weight.mutable_data();
            double* smooth_data = with_smoothing ? smooth.mutable_data() : nullptr;
            const std::int64_t* t = target.data();
            {
                py::gil_scoped_release release;
                cross_entropy_rows(view, t, w, ignore_index, nll_data, smooth_data, tw_data);
            }
            return py::make_tuple(nll, with_smoothing ? py::object(smooth) : py::none(),
                                  target_weight);
        },
        py::arg("logits"), py::arg("target"), py::arg("weight"), py::arg("ignore_index"),
        py::arg("with_smoothing"));
}

}  // namespace infonative::bindings
