// Bindings of the kNN estimators. The Python layer (infonative.knn) normalises the samples to
// C-contiguous 2-D float32/float64 arrays; these functions check that contract, throw
// std::invalid_argument (ValueError) otherwise, then release the GIL for the computation.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "infonative/counter_normal.hpp"
#include "infonative/knn.hpp"
#include "infonative/legacy_normal.hpp"

namespace infonative::bindings {

namespace py = pybind11;

namespace {

[[noreturn]] void bad(const char* name, const std::string& message) {
    throw std::invalid_argument(std::string(name) + ": " + message);
}

// A C-contiguous 2-D float32/float64 array as a PointSet (the array must outlive it).
PointSet point_set(const py::array& a, const char* name) {
    if (a.ndim() != 2)
        bad(name,
            "expected a 2-D array (n_samples, n_dims), got " + std::to_string(a.ndim()) + "-D");
    const py::dtype dt = a.dtype();
    if (dt.kind() != 'f' || (dt.itemsize() != 4 && dt.itemsize() != 8))
        bad(name, "dtype must be float32 or float64, got " + py::str(dt).cast<std::string>());
    if (!dt.attr("isnative").cast<bool>()) bad(name, "dtype must be in native byte order");
    if (!(a.flags() & py::array::c_style)) bad(name, "array must be C-contiguous");
    if (a.shape(0) < 1 || a.shape(1) < 1) bad(name, "need at least one sample and one dimension");
    return PointSet{a.data(), dt.itemsize() == 4 ? DType::float32 : DType::float64, a.shape(0),
                    a.shape(1), a.shape(1) * dt.itemsize()};
}

// numpy's bitgen_t (numpy/random/bitgen.h), what a BitGenerator's capsule points to.
struct NumpyBitGenerator {
    void* state;
    std::uint64_t (*next_uint64)(void*);
    std::uint32_t (*next_uint32)(void*);
    double (*next_double)(void*);
    std::uint64_t (*next_raw)(void*);
};

void check_same(const PointSet& a, const PointSet& b, const char* name, bool same_n) {
    if (a.dtype != b.dtype) bad(name, "all sample arrays must share one dtype");
    if (same_n && a.n != b.n)
        bad(name, "all variables need the same number of samples (" + std::to_string(a.n) +
                      " != " + std::to_string(b.n) + ")");
}

void check_k(int k, std::int64_t n, const char* name) {
    if (k < 1 || k >= n)
        bad(name, "k must satisfy 1 <= k < n_samples (k = " + std::to_string(k) +
                      ", n_samples = " + std::to_string(n) + ")");
}

const std::int64_t* int64_data(const py::array& a, int ndim, const char* name) {
    if (a.ndim() != ndim) bad(name, "expected a " + std::to_string(ndim) + "-D array");
    const py::dtype dt = a.dtype();
    if (dt.kind() != 'i' || dt.itemsize() != 8 || !dt.attr("isnative").cast<bool>())
        bad(name, "dtype must be native int64, got " + py::str(dt).cast<std::string>());
    if (!(a.flags() & py::array::c_style)) bad(name, "array must be C-contiguous");
    return static_cast<const std::int64_t*>(a.data());
}

struct Variables {
    std::vector<py::array> arrays;  // keeps converted arrays alive
    std::vector<PointSet> sets;
};

Variables variables_of(const py::sequence& variables, const char* name) {
    Variables v;
    if (py::len(variables) < 2) bad(name, "need at least two variables");
    for (const py::handle item : variables) {
        v.arrays.push_back(py::reinterpret_borrow<py::object>(item).cast<py::array>());
        v.sets.push_back(point_set(v.arrays.back(), name));
        check_same(v.sets.front(), v.sets.back(), name, true);
    }
    return v;
}

const std::int64_t* permutations_of(const py::array& permutations, std::int64_t n, const char* name,
                                    std::int64_t* count) {
    const std::int64_t* data = int64_data(permutations, 2, name);
    if (permutations.shape(1) != n)
        bad(name, "permutations must have shape (n_permutations, n_samples)");
    *count = permutations.shape(0);
    return data;
}

}  // namespace

void register_knn(py::module_& m) {
    m.def(
        "add_counter_noise",
        [](py::array x, double noise, std::uint64_t seed) {
            const char* name = "add_counter_noise";
            const PointSet p = point_set(x, name);
            if (!x.writeable()) bad(name, "x is read-only");
            if (!(noise >= 0 && noise < HUGE_VAL)) bad(name, "noise must be finite and >= 0");
            const std::int64_t item = p.dtype == DType::float32 ? 4 : 8;
            const MutableMatrixView view{x.mutable_data(), p.dtype, p.n, p.dim, p.row_stride, item};
            py::gil_scoped_release release;
            add_counter_noise(view, noise, seed);
        },
        py::arg("x"), py::arg("noise"), py::arg("seed"),
        "x[r, c] += noise * max(1, mean|x[:, c]|) * counter_normal(seed, c * n + r), in place, "
        "for a C-contiguous (n, d) float32/float64 array (the mean summed in row order, the "
        "noise rounded to x's dtype, then added).");
    m.def(
        "counter_normals",
        [](std::uint64_t seed, std::uint64_t first, std::int64_t count) {
            if (count < 0) bad("counter_normals", "count must be >= 0");
            py::array_t<double> out(count);
            double* data = out.mutable_data();
            py::gil_scoped_release release;
            counter_normals(seed, first, count, data);
            return out;
        },
        py::arg("seed"), py::arg("first"), py::arg("count"),
        "Standard normal deviates first .. first + count - 1 of seed (infonative's kNN noise).");
    m.def(
        "ziggurat_tables",
        [] {
            const ZigguratTables& t = ziggurat_tables();
            py::array_t<std::uint64_t> accept(256);
            py::array_t<double> width(256), height(256);
            for (int i = 0; i < 256; ++i) {
                accept.mutable_data()[i] = t.accept[i];
                width.mutable_data()[i] = t.width[i];
                height.mutable_data()[i] = t.height[i];
            }
            return py::make_tuple(accept, width, height);
        },
        "The counter normals' ziggurat tables (accept, width, height), for tests.");
    m.def(
        "legacy_standard_normal",
        [](const py::capsule& bit_generator, py::array_t<double, py::array::c_style> out,
           bool has_gauss, double gauss) {
            const char* name = "legacy_standard_normal";
            if (!bit_generator.name() || std::string(bit_generator.name()) != "BitGenerator")
                bad(name, "expected a numpy BitGenerator's capsule");
            if (!out.writeable()) bad(name, "out is read-only");
            const auto* bitgen = bit_generator.get_pointer<NumpyBitGenerator>();
            LegacyGaussCache cache{has_gauss, gauss};
            double* data = out.mutable_data();
            const std::int64_t count = out.size();
            {
                py::gil_scoped_release release;
                legacy_standard_normal(bitgen->next_double, bitgen->state, data, count, &cache);
            }
            return py::make_tuple(cache.has_gauss, cache.gauss);
        },
        py::arg("bit_generator"), py::arg("out"), py::arg("has_gauss"), py::arg("gauss"),
        "Fill out as RandomState.standard_normal would, from the capsule of its bit generator "
        "(the caller holds its lock) and its cached normal; returns the new (has_gauss, gauss).");
    m.def(
        "legacy_standard_normal_mt19937",
        [](py::array_t<std::uint32_t, py::array::c_style> key, int pos,
           py::array_t<double, py::array::c_style> out, bool has_gauss, double gauss) {
            const char* name = "legacy_standard_normal_mt19937";
            if (key.ndim() != 1 || key.shape(0) != Mt19937State::kWords || !key.writeable())
                bad(name, "key must be a writable array of 624 uint32 words");
            if (pos < 0 || pos > Mt19937State::kWords) bad(name, "pos must be in [0, 624]");
            if (!out.writeable()) bad(name, "out is read-only");
            Mt19937State state;
            std::copy(key.data(), key.data() + Mt19937State::kWords, state.key);
            state.pos = pos;
            LegacyGaussCache cache{has_gauss, gauss};
            double* data = out.mutable_data();
            const std::int64_t count = out.size();
            {
                py::gil_scoped_release release;
                legacy_standard_normal_mt19937(&state, data, count, &cache);
            }
            std::copy(state.key, state.key + Mt19937State::kWords, key.mutable_data());
            return py::make_tuple(state.pos, cache.has_gauss, cache.gauss);
        },
        py::arg("key"), py::arg("pos"), py::arg("out"), py::arg("has_gauss"), py::arg("gauss"),
        "legacy_standard_normal for an MT19937 RandomState, from its state (key, updated in "
        "place, and pos); returns the new (pos, has_gauss, gauss).");
    m.def(
        "knn_entropy",
        [](const py::array& x, int k, double p) {
            const PointSet xs = point_set(x, "knn_entropy");
            check_k(k, xs.n, "knn_entropy");
            py::gil_scoped_release release;
            return knn_entropy(xs, k, p);
        },
        py::arg("x"), py::arg("k"), py::arg("p"),
        "Kozachenko-Leonenko entropy (nats) of x (n, d) with the p-norm (inf: max-norm).");
    m.def(
        "knn_mutual_info",
        [](const py::sequence& variables, int k, int algorithm) {
            const Variables v = variables_of(variables, "knn_mutual_info");
            check_k(k, v.sets[0].n, "knn_mutual_info");
            py::gil_scoped_release release;
            return knn_mutual_info(v.sets.data(), int(v.sets.size()), k, algorithm);
        },
        py::arg("variables"), py::arg("k"), py::arg("algorithm"),
        "KSG mutual information (nats) of two or more variables (each (n, d_v)).");
    m.def(
        "knn_conditional_mutual_info",
        [](const py::array& x, const py::array& y, const py::array& z, int k) {
            const char* name = "knn_conditional_mutual_info";
            const PointSet xs = point_set(x, name), ys = point_set(y, name),
                           zs = point_set(z, name);
            check_same(xs, ys, name, true);
            check_same(xs, zs, name, true);
            check_k(k, xs.n, name);
            py::gil_scoped_release release;
            return knn_conditional_mutual_info(xs, ys, zs, k);
        },
        py::arg("x"), py::arg("y"), py::arg("z"), py::arg("k"),
        "Frenzel-Pompe conditional mutual information I(x; y | z) in nats.");
    m.def(
        "knn_kl_divergence",
        [](const py::array& x, const py::array& y, int k, double p) {
            const char* name = "knn_kl_divergence";
            const PointSet xs = point_set(x, name), ys = point_set(y, name);
            check_same(xs, ys, name, false);
            if (xs.dim != ys.dim) bad(name, "x and y must have the same number of dimensions");
            check_k(k, xs.n, name);
            if (k > ys.n) bad(name, "k must not exceed the number of samples of y");
            py::gil_scoped_release release;
            return knn_kl_divergence(xs, ys, k, p);
        },
        py::arg("x"), py::arg("y"), py::arg("k"), py::arg("p"),
        "Wang-Kulkarni-Verdu kNN estimate of D(P || Q) in nats (x from P, y from Q).");
    m.def(
        "knn_mutual_info_mixed",
        [](const py::array& x, const py::array& labels, int k) {
            const char* name = "knn_mutual_info_mixed";
            const PointSet xs = point_set(x, name);
            const std::int64_t* l = int64_data(labels, 1, name);
            if (labels.shape(0) != xs.n) bad(name, "labels must have one entry per sample");
            py::gil_scoped_release release;
            return knn_mutual_info_mixed(xs, l, k);
        },
        py::arg("x"), py::arg("labels"), py::arg("k"),
        "Ross (2014) mutual information (nats) of continuous x and int64 labels.");
    m.def(
        "knn_mutual_info_surrogates",
        [](const py::sequence& variables, int k, int algorithm, const py::array& permutations) {
            const char* name = "knn_mutual_info_surrogates";
            const Variables v = variables_of(variables, name);
            check_k(k, v.sets[0].n, name);
            std::int64_t count = 0;
            const std::int64_t* perms = permutations_of(permutations, v.sets[0].n, name, &count);
            py::array_t<double> out(count);
            double* result = out.mutable_data();
            {
                py::gil_scoped_release release;
                knn_mutual_info_surrogates(v.sets.data(), int(v.sets.size()), k, algorithm, perms,
                                           count, result);
            }
            return out;
        },
        py::arg("variables"), py::arg("k"), py::arg("algorithm"), py::arg("permutations"),
        "KSG mutual information with the rows of the last variable permuted by each row of "
        "permutations (int64, (n_permutations, n)).");
    m.def(
        "knn_conditional_mutual_info_surrogates",
        [](const py::array& x, const py::array& y, const py::array& z, int k,
           const py::array& permutations) {
            const char* name = "knn_conditional_mutual_info_surrogates";
            const PointSet xs = point_set(x, name), ys = point_set(y, name),
                           zs = point_set(z, name);
            check_same(xs, ys, name, true);
            check_same(xs, zs, name, true);
            check_k(k, xs.n, name);
            std::int64_t count = 0;
            const std::int64_t* perms = permutations_of(permutations, xs.n, name, &count);
            py::array_t<double> out(count);
            double* result = out.mutable_data();
            {
                py::gil_scoped_release release;
                knn_conditional_mutual_info_surrogates(xs, ys, zs, k, perms, count, result);
            }
            return out;
        },
        py::arg("x"), py::arg("y"), py::arg("z"), py::arg("k"), py::arg("permutations"),
        "Frenzel-Pompe CMI with the rows of y permuted by each row of permutations.");
    // Private, for tests and benchmarks (not in _core.pyi): force the neighbour search of every
    // estimator ("auto", "kd_tree", "brute_force"); estimates are the same, only speed differs.
    m.def(
        "_set_knn_search",
        [](const std::string& search) {
            if (search == "auto")
                set_knn_search(KnnSearch::automatic);
            else if (search == "kd_tree")
                set_knn_search(KnnSearch::kd_tree);
            else if (search == "brute_force")
                set_knn_search(KnnSearch::brute_force);
            else
                bad("_set_knn_search", "expected 'auto', 'kd_tree' or 'brute_force'");
        },
        py::arg("search"));
    m.def("_knn_search", [] {
        switch (knn_search()) {
            case KnnSearch::kd_tree:
                return std::string("kd_tree");
            case KnnSearch::brute_force:
                return std::string("brute_force");
            default:
                return std::string("auto");
        }
    });
}

}  // namespace infonative::bindings
