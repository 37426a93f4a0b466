// Merging partial results of pieces of a row, in double. Included (inside an anonymous or
// per-ISA namespace) by the kernels and by the drivers: merges run in both, always in a fixed
// order, so results do not depend on how the pieces were spread across threads.

// Adds piece b (which comes after a) into a.
static inline void merge_lse(LseStats& a, const LseStats& b, double* rescale_a = nullptr,
                             double* rescale_b = nullptr) {
    a.has_nan = a.has_nan || b.has_nan;
    a.min = b.min < a.min ? b.min : a.min;
    double scale_a = 1, scale_b = 1;
    if (b.max > a.max) {
        scale_a = (a.max == -__builtin_inf() || b.max == __builtin_inf()) ? 0.0
                                                                          : exp(a.max - b.max);
        a.rest = (a.rest + a.count) * scale_a + b.rest;
        a.count = b.count;
        a.max = b.max;
    } else if (b.max == a.max) {
        a.count += b.count;
        a.rest += b.rest;
    } else {
        scale_b = (b.max == -__builtin_inf() || a.max == __builtin_inf()) ? 0.0
                                                                          : exp(b.max - a.max);
        a.rest += (b.rest + b.count) * scale_b;
    }
    if (rescale_a) *rescale_a = scale_a;
    if (rescale_b) *rescale_b = scale_b;
}

// log of sum exp(x - max) = log(count + rest), accurately when rest << count.
static inline double log_sum_shifted(const LseStats& s) {
    return log(s.count) + log1p(s.rest / s.count);
}

static inline double finish_lse(const LseStats& s) {
    if (s.has_nan || s.rest != s.rest) return __builtin_nan("");
    if (s.max == __builtin_inf() || s.max == -__builtin_inf()) return s.max;
    return s.max + log_sum_shifted(s);
}

// Shift of a sum of w_i (x_i - old_max) when the reference maximum moves to new_max.
static inline double shift_of(double old_max, double new_max) {
    return (old_max == -__builtin_inf() || new_max == __builtin_inf()) ? 0.0 : old_max - new_max;
}

static inline void merge_entropy(EntropyStats& a, const EntropyStats& b) {
    double old_a = a.lse.max, old_b = b.lse.max;
    double sum_a = a.lse.count + a.lse.rest, sum_b = b.lse.count + b.lse.rest;
    double scale_a, scale_b;
    merge_lse(a.lse, b.lse, &scale_a, &scale_b);
    double new_max = a.lse.max;
    double ta = scale_a == 0 ? 0 : scale_a * (a.t + shift_of(old_a, new_max) * sum_a);
    double tb = scale_b == 0 ? 0 : scale_b * (b.t + shift_of(old_b, new_max) * sum_b);
    a.t = ta + tb;
}

static inline double finish_entropy(const EntropyStats& s) {
    const LseStats& l = s.lse;
    if (l.has_nan || l.rest != l.rest || s.t != s.t) return __builtin_nan("");
    if (l.max == __builtin_inf() || l.max == -__builtin_inf()) return __builtin_nan("");
    double total = l.count + l.rest;
    return log_sum_shifted(l) - s.t / total;
}

static inline void merge_kl(KlStats& a, const KlStats& b) {
    double old_pa = a.p.max, old_pb = b.p.max, old_qa = a.q.max, old_qb = b.q.max;
    double sum_a = a.p.count + a.p.rest, sum_b = b.p.count + b.p.rest;
    double scale_a, scale_b;
    merge_lse(a.p, b.p, &scale_a, &scale_b);
    merge_lse(a.q, b.q);
    double new_p = a.p.max, new_q = a.q.max;
    double ta = scale_a == 0 ? 0
        : scale_a * (a.t + (shift_of(old_pa, new_p) - shift_of(old_qa, new_q)) * sum_a);
    double tb = scale_b == 0 ? 0
        : scale_b * (b.t + (shift_of(old_pb, new_p) - shift_of(old_qb, new_q)) * sum_b);
    a.t = ta + tb;
}

static inline double finish_kl(const KlStats& s) {
    const LseStats &p = s.p, &q = s.q;
    if (p.has_nan || q.has_nan || p.rest != p.rest || q.rest != q.rest || s.t != s.t)
        return __builtin_nan("");
    if (p.max == __builtin_inf() || q.max == __builtin_inf() || p.max == -__builtin_inf())
        return __builtin_nan("");
    if (q.max == -__builtin_inf()) return __builtin_inf();  // Q is zero where P is not
    return s.t / (p.count + p.rest) - log_sum_shifted(p) + log_sum_shifted(q);
}

static inline void merge_cross_entropy(CrossEntropyStats& a, const CrossEntropyStats& b) {
    double old_a = a.lse.max, old_b = b.lse.max;
    merge_lse(a.lse, b.lse);
    double new_max = a.lse.max;
    double sa = a.weight == 0 ? 0 : a.shifted + shift_of(old_a, new_max) * a.weight;
    double sb = b.weight == 0 ? 0 : b.shifted + shift_of(old_b, new_max) * b.weight;
    a.shifted = sa + sb;
    a.weight += b.weight;
}
