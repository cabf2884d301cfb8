#include "gpu/analysis/rsa_compare.h"

#include "gpu/analysis/analysis_tensors.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus::gpu {

namespace {

// Elements of one batch of permuted upper triangles ([batch, pairs]): 2^24 keeps the gather
// index and the gathered values at 128 MiB each.
constexpr int64_t kPermutationBatchElements = int64_t{1} << 24;

// A uniform integer in [0, range) without modulo bias (rejection), so the permutations depend on
// mt19937_64 alone, which the C++ standard fixes bit for bit.
uint64_t uniformBelow(std::mt19937_64 &rng, uint64_t range)
{
    const uint64_t limit =
            std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
    uint64_t value = rng();
    while (value >= limit) {
        value = rng();
    }
    return value % range;
}

void shuffle(std::vector<int64_t> &items, std::mt19937_64 &rng)
{
    for (size_t i = items.size(); i > 1; --i) {
        std::swap(items[i - 1], items[uniformBelow(rng, i)]);
    }
}

// The next `count` permutations of 0 … n−1 from `rng`: drawing in chunks from one generator gives
// the same sequence as drawing them all at once.
std::vector<std::vector<int64_t>> nextPermutations(std::mt19937_64 &rng, int64_t n, int64_t count)
{
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(std::max<int64_t>(count, 0)));
    for (std::vector<int64_t> &perm : out) {
        perm.resize(static_cast<size_t>(n));
        std::iota(perm.begin(), perm.end(), int64_t{0});
        shuffle(perm, rng);
    }
    return out;
}

at::Tensor doubleTensor(const std::vector<float> &values, at::Device device)
{
    return at::tensor(values, at::TensorOptions().dtype(at::kFloat)).to(device, at::kDouble);
}

// Average ranks (1-based; ties share the mean of their ranks), as scipy.stats.rankdata.
at::Tensor averageRanks(const at::Tensor &values)
{
    const auto [sorted, order] = values.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false);
    const auto [unique, inverse, counts] =
            at::unique_consecutive(sorted, /*return_inverse=*/true, /*return_counts=*/true);
    (void)unique;
    const at::Tensor ends = counts.cumsum(0).to(at::kDouble);
    const at::Tensor groupRank = ends - (counts.to(at::kDouble) - 1.0) * 0.5;
    at::Tensor ranks = at::empty_like(values, values.options().dtype(at::kDouble));
    ranks.index_put_({order}, groupRank.index_select(0, inverse));
    return ranks;
}

// The upper-triangle (i, j) index pairs in condensed order.
std::pair<std::vector<int64_t>, std::vector<int64_t>> upperPairs(int64_t n)
{
    std::vector<int64_t> rows;
    std::vector<int64_t> cols;
    rows.reserve(static_cast<size_t>(Rdm::condensedSize(n)));
    cols.reserve(rows.capacity());
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            rows.push_back(i);
            cols.push_back(j);
        }
    }
    return {rows, cols};
}

// Dense ranks (0-based) of `values`: equal values share a rank.
std::vector<int32_t> denseRanks(const std::vector<float> &values, int64_t *tiedPairs)
{
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return values[a] < values[b]; });
    std::vector<int32_t> ranks(values.size());
    int32_t rank = -1;
    int64_t run = 0;
    int64_t ties = 0;
    for (size_t k = 0; k < order.size(); ++k) {
        if (k == 0 || values[order[k]] != values[order[k - 1]]) {
            ties += run * (run - 1) / 2;
            run = 0;
            ++rank;
        }
        ++run;
        ranks[order[k]] = rank;
    }
    ties += run * (run - 1) / 2;
    if (tiedPairs != nullptr) {
        *tiedPairs = ties;
    }
    return ranks;
}

// Counts pairs i < j with y[i] > y[j] by merge sort; sorts y.
int64_t countInversions(std::vector<int32_t> &y, std::vector<int32_t> &buffer)
{
    const size_t n = y.size();
    buffer.resize(n);
    int64_t inversions = 0;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t left = 0; left < n; left += 2 * width) {
            const size_t mid = std::min(left + width, n);
            const size_t right = std::min(left + 2 * width, n);
            size_t i = left;
            size_t j = mid;
            size_t out = left;
            while (i < mid && j < right) {
                if (y[j] < y[i]) {
                    inversions += static_cast<int64_t>(mid - i);
                    buffer[out++] = y[j++];
                } else {
                    buffer[out++] = y[i++];
                }
            }
            while (i < mid) {
                buffer[out++] = y[i++];
            }
            while (j < right) {
                buffer[out++] = y[j++];
            }
        }
        std::swap(y, buffer);
    }
    return inversions;
}

// Kendall's τ-a against a fixed first vector x, by Knight's algorithm:
// C − D = n0 − n1 − n2 + n3 − 2·swaps, with n1/n2 the pairs tied in x/y, n3 those tied in both
// and swaps the inversions of y once sorted by (x, y).
class KendallPlan
{
public:
    explicit KendallPlan(const std::vector<float> &x)
    {
        const std::vector<int32_t> ranks = denseRanks(x, &m_tiedX);
        m_order.resize(x.size());
        std::iota(m_order.begin(), m_order.end(), int64_t{0});
        std::stable_sort(m_order.begin(), m_order.end(),
                         [&](int64_t a, int64_t b) { return ranks[a] < ranks[b]; });
        for (size_t k = 0; k < m_order.size(); ++k) {
            if (k == 0 || ranks[m_order[k]] != ranks[m_order[k - 1]]) {
                m_groupStarts.push_back(k);
            }
        }
        m_groupStarts.push_back(m_order.size());
        const int64_t n = static_cast<int64_t>(x.size());
        m_totalPairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2.0;
    }

    /// `y` gives the dense rank of the second vector at each position; `tiedY` its tied pairs.
    double tauA(const std::vector<int32_t> &y, int64_t tiedY, std::vector<int32_t> &sorted,
                std::vector<int32_t> &buffer) const
    {
        sorted.resize(y.size());
        for (size_t k = 0; k < m_order.size(); ++k) {
            sorted[k] = y[static_cast<size_t>(m_order[k])];
        }
        int64_t tiedBoth = 0;
        for (size_t g = 0; g + 1 < m_groupStarts.size(); ++g) {
            const auto begin = sorted.begin() + static_cast<std::ptrdiff_t>(m_groupStarts[g]);
            const auto end = sorted.begin() + static_cast<std::ptrdiff_t>(m_groupStarts[g + 1]);
            if (end - begin < 2) {
                continue;
            }
            std::sort(begin, end);
            int64_t run = 1;
            for (auto it = begin + 1; it != end; ++it) {
                if (*it == *(it - 1)) {
                    ++run;
                } else {
                    tiedBoth += run * (run - 1) / 2;
                    run = 1;
                }
            }
            tiedBoth += run * (run - 1) / 2;
        }
        const int64_t swaps = countInversions(sorted, buffer);
        const double difference = m_totalPairs - static_cast<double>(m_tiedX) -
                                  static_cast<double>(tiedY) + static_cast<double>(tiedBoth) -
                                  2.0 * static_cast<double>(swaps);
        return difference / m_totalPairs;
    }

private:
    std::vector<int64_t> m_order;
    std::vector<size_t> m_groupStarts;
    int64_t m_tiedX = 0;
    double m_totalPairs = 0.0;
};

bool isConstant(const std::vector<float> &values)
{
    return std::all_of(values.begin(), values.end(), [&](float v) { return v == values.front(); });
}

Status checkPair(const Rdm &a, const Rdm &b)
{
    if (a.size() != b.size()) {
        return Status::invalidInput(QStringLiteral("the RDMs cover %1 and %2 stimuli; they must "
                                                   "cover the same ones")
                                            .arg(a.size())
                                            .arg(b.size()));
    }
    for (int k = 0; k < a.ids().size(); ++k) {
        if (a.ids()[k] != b.ids()[k]) {
            return Status::invalidInput(
                    QStringLiteral("stimulus %1 is '%2' in the first RDM but '%3' in the second; "
                                   "the RDMs must list the same stimuli in the same order")
                            .arg(k + 1)
                            .arg(a.ids()[k], b.ids()[k]));
        }
    }
    if (a.size() < 3) {
        return Status::invalidInput(
                QStringLiteral("comparing RDMs needs at least 3 stimuli, got %1").arg(a.size()));
    }
    if (isConstant(a.condensed()) || isConstant(b.condensed())) {
        return Status::invalidInput(
                QStringLiteral(
                        "the %1 RDM is constant, so its correlation with any RDM is undefined")
                        .arg(isConstant(a.condensed()) ? QStringLiteral("first")
                                                       : QStringLiteral("second")));
    }
    return Status::ok();
}

// Everything the permutation loop needs, prepared once per comparison.
class PermutationEngine
{
public:
    PermutationEngine(const Rdm &a, const Rdm &b, RsaMethod method, bool batchedTensors)
        : m_method(method)
        , m_batchedTensors(batchedTensors)
        , m_n(a.size())
        , m_device(detail::analysisDevice())
    {
        if (method == RsaMethod::KendallTauA) {
            m_kendall = std::make_unique<KendallPlan>(a.condensed());
            m_bRanks = denseRanks(b.toSquare(), nullptr);
            denseRanks(b.condensed(), &m_tiedB);
            std::tie(m_rows, m_cols) = upperPairs(m_n);
            return;
        }
        at::Tensor x = doubleTensor(a.condensed(), m_device);
        at::Tensor ySquare = doubleTensor(b.toSquare(), m_device);
        if (method == RsaMethod::Spearman) {
            x = averageRanks(x);
            // Ranking the condensed values and scattering them into a square keeps the ranks of
            // the upper triangle (the diagonal is never gathered).
            const at::Tensor yRanks = averageRanks(doubleTensor(b.condensed(), m_device));
            ySquare = at::zeros({m_n * m_n}, yRanks.options());
            const auto [rows, cols] = upperPairs(m_n);
            const at::Tensor r = at::tensor(rows, at::TensorOptions().dtype(at::kLong));
            const at::Tensor c = at::tensor(cols, at::TensorOptions().dtype(at::kLong));
            const at::Tensor flatUpper = (r * m_n + c).to(m_device);
            const at::Tensor flatLower = (c * m_n + r).to(m_device);
            ySquare.index_put_({flatUpper}, yRanks);
            ySquare.index_put_({flatLower}, yRanks);
        }
        m_ySquare = ySquare.reshape({m_n * m_n});
        m_xCentred = x - x.mean();
        const auto [rows, cols] = upperPairs(m_n);
        m_rowsTensor = at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(m_device);
        m_colsTensor = at::tensor(cols, at::TensorOptions().dtype(at::kLong)).to(m_device);
        const at::Tensor y = m_ySquare.index_select(0, m_rowsTensor * m_n + m_colsTensor);
        const at::Tensor yCentred = y - y.mean();
        // Permuting items permutes the upper triangle's values, so the mean and norm of y are
        // the same for every permutation; only the dot product with x changes.
        m_denominator = (m_xCentred.norm() * yCentred.norm()).item<double>();
    }

    double observed()
    {
        std::vector<int64_t> identity(static_cast<size_t>(m_n));
        std::iota(identity.begin(), identity.end(), int64_t{0});
        return evaluate({identity}).front();
    }

    std::vector<double> evaluate(const std::vector<std::vector<int64_t>> &permutations)
    {
        return m_method == RsaMethod::KendallTauA ? evaluateKendall(permutations)
                                                  : evaluateLinear(permutations);
    }

private:
    std::vector<double> evaluateLinear(const std::vector<std::vector<int64_t>> &permutations)
    {
        if (m_device.is_cpu() && !m_batchedTensors) {
            return evaluateLinearOnHost(permutations);
        }
        const int64_t pairs = Rdm::condensedSize(m_n);
        const int64_t count = static_cast<int64_t>(permutations.size());
        const int64_t batch = std::max<int64_t>(1, kPermutationBatchElements / pairs);
        std::vector<double> out;
        out.reserve(permutations.size());
        for (int64_t start = 0; start < count; start += batch) {
            const int64_t end = std::min(count, start + batch);
            std::vector<int64_t> flat;
            flat.reserve(static_cast<size_t>((end - start) * m_n));
            for (int64_t k = start; k < end; ++k) {
                flat.insert(flat.end(), permutations[static_cast<size_t>(k)].begin(),
                            permutations[static_cast<size_t>(k)].end());
            }
            const at::Tensor perms = at::tensor(flat, at::TensorOptions().dtype(at::kLong))
                                             .to(m_device)
                                             .reshape({end - start, m_n});
            // Item i of the permuted RDM is item perm[i] of b: entry (i, j) reads
            // b[perm[i], perm[j]], rows and columns moving together.
            const at::Tensor index =
                    perms.index_select(1, m_rowsTensor) * m_n + perms.index_select(1, m_colsTensor);
            const at::Tensor gathered =
                    m_ySquare.index_select(0, index.reshape({-1})).reshape({end - start, pairs});
            const at::Tensor r = at::matmul(gathered, m_xCentred) / m_denominator;
            const std::vector<double> values = detail::toDoubles(r);
            out.insert(out.end(), values.begin(), values.end());
        }
        return out;
    }

    // On the CPU the batched gather is memory-bound on its index tensors (two [batch, pairs]
    // int64 arrays per batch); one fused pass per permutation reads b's square (L2-resident for
    // a few hundred items) directly and is ~20x faster. Same arithmetic as the tensor path.
    std::vector<double> evaluateLinearOnHost(const std::vector<std::vector<int64_t>> &permutations)
    {
        if (m_xHost.empty()) {
            m_xHost = detail::toDoubles(m_xCentred);
            m_yHost = detail::toDoubles(m_ySquare);
        }
        std::vector<double> out(permutations.size());
        const int64_t n = m_n;
        at::parallel_for(
                0, static_cast<int64_t>(permutations.size()), 16, [&](int64_t begin, int64_t end) {
                    for (int64_t k = begin; k < end; ++k) {
                        const std::vector<int64_t> &perm = permutations[static_cast<size_t>(k)];
                        const double *x = m_xHost.data();
                        double dot = 0.0;
                        for (int64_t i = 0; i < n; ++i) {
                            const double *row = m_yHost.data() + perm[static_cast<size_t>(i)] * n;
                            for (int64_t j = i + 1; j < n; ++j) {
                                dot += *x++ * row[perm[static_cast<size_t>(j)]];
                            }
                        }
                        out[static_cast<size_t>(k)] = dot / m_denominator;
                    }
                });
        return out;
    }

    std::vector<double> evaluateKendall(const std::vector<std::vector<int64_t>> &permutations)
    {
        std::vector<double> out(permutations.size());
        at::parallel_for(
                0, static_cast<int64_t>(permutations.size()), 1, [&](int64_t begin, int64_t end) {
                    std::vector<int32_t> y(m_rows.size());
                    std::vector<int32_t> sorted;
                    std::vector<int32_t> buffer;
                    for (int64_t k = begin; k < end; ++k) {
                        const std::vector<int64_t> &perm = permutations[static_cast<size_t>(k)];
                        for (size_t p = 0; p < m_rows.size(); ++p) {
                            y[p] = m_bRanks[static_cast<size_t>(
                                    perm[static_cast<size_t>(m_rows[p])] * m_n +
                                    perm[static_cast<size_t>(m_cols[p])])];
                        }
                        out[static_cast<size_t>(k)] = m_kendall->tauA(y, m_tiedB, sorted, buffer);
                    }
                });
        return out;
    }

    RsaMethod m_method;
    bool m_batchedTensors;
    int64_t m_n;
    at::Device m_device;
    // Spearman / Pearson
    at::Tensor m_xCentred;
    at::Tensor m_ySquare;
    at::Tensor m_rowsTensor;
    at::Tensor m_colsTensor;
    double m_denominator = 1.0;
    std::vector<double> m_xHost;  // CPU path: centred x (condensed) and b's square
    std::vector<double> m_yHost;
    // Kendall
    std::unique_ptr<KendallPlan> m_kendall;
    std::vector<int32_t> m_bRanks;  // dense ranks of b's square (diagonal never read)
    int64_t m_tiedB = 0;
    std::vector<int64_t> m_rows;
    std::vector<int64_t> m_cols;
};

double percentile(std::vector<double> values, double fraction)
{
    // Linear interpolation between order statistics (numpy's default).
    std::vector<double> &sorted = values;
    std::sort(sorted.begin(), sorted.end());
    const double position = fraction * static_cast<double>(sorted.size() - 1);
    const size_t lower = static_cast<size_t>(std::floor(position));
    const size_t upper = std::min(sorted.size() - 1, lower + 1);
    const double weight = position - static_cast<double>(lower);
    return sorted[lower] * (1.0 - weight) + sorted[upper] * weight;
}

}  // namespace

std::vector<std::vector<int64_t>> itemPermutations(int64_t n, int64_t count, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    return nextPermutations(rng, n, count);
}

Result<double> vectorCorrelation(const std::vector<float> &a, const std::vector<float> &b,
                                 RsaMethod method)
{
    if (a.size() != b.size() || a.size() < 2) {
        return Status::invalidInput(QStringLiteral("cannot correlate vectors of %1 and %2 values")
                                            .arg(a.size())
                                            .arg(b.size()));
    }
    if (isConstant(a) || isConstant(b)) {
        return Status::invalidInput(
                QStringLiteral("a constant vector has no correlation with anything"));
    }
    if (method == RsaMethod::KendallTauA) {
        const KendallPlan plan(a);
        int64_t tiedB = 0;
        const std::vector<int32_t> y = denseRanks(b, &tiedB);
        std::vector<int32_t> sorted;
        std::vector<int32_t> buffer;
        return plan.tauA(y, tiedB, sorted, buffer);
    }
    const at::Device device = detail::analysisDevice();
    at::Tensor x = doubleTensor(a, device);
    at::Tensor y = doubleTensor(b, device);
    if (method == RsaMethod::Spearman) {
        x = averageRanks(x);
        y = averageRanks(y);
    }
    x = x - x.mean();
    y = y - y.mean();
    return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

Result<std::vector<double>> permutationNull(const Rdm &a, const Rdm &b, const RsaOptions &options)
{
    if (Status ok = checkPair(a, b); !ok.isOk()) {
        return ok;
    }
    PermutationEngine engine(a, b, options.method, options.batchedTensorPermutations);
    return engine.evaluate(itemPermutations(a.size(), options.permutations, options.seed));
}

struct RsaComparisonRun::State
{
    Rdm a;
    Rdm b;
    RsaOptions options;
    RsaComparison result;
    std::unique_ptr<PermutationEngine> engine;
    std::mt19937_64 permutationRng;
    std::mt19937_64 bootstrapRng;
    int64_t permutationsDone = 0;
    int64_t extreme = 0;
    int64_t bootstrapsDone = 0;
    std::vector<double> estimates;
};

RsaComparisonRun::RsaComparisonRun(std::unique_ptr<State> state)
    : m_state(std::move(state))
{}

RsaComparisonRun::~RsaComparisonRun() = default;

Result<std::unique_ptr<RsaComparisonRun>> RsaComparisonRun::start(const Rdm &a, const Rdm &b,
                                                                  const RsaOptions &options)
{
    if (Status ok = checkPair(a, b); !ok.isOk()) {
        return ok;
    }
    if (options.permutations < 0 || options.bootstraps < 0) {
        return Status::invalidInput(QStringLiteral("permutations and bootstraps must be >= 0"));
    }
    if (!(options.ciLevel > 0.0 && options.ciLevel < 1.0)) {
        return Status::invalidInput(
                QStringLiteral("confidence level must be in (0, 1), got %1").arg(options.ciLevel));
    }
    auto state = std::make_unique<State>();
    state->a = a;
    state->b = b;
    state->options = options;
    RsaComparison &result = state->result;
    result.method = options.method;
    result.alternative = options.alternative;
    result.items = a.size();
    result.nPairs = Rdm::condensedSize(a.size());
    result.permutations = options.permutations;
    result.seed = options.seed;
    result.bootstraps = options.bootstraps;
    result.ciLevel = options.ciLevel;
    state->engine = std::make_unique<PermutationEngine>(state->a, state->b, options.method,
                                                        options.batchedTensorPermutations);
    result.r = state->engine->observed();
    state->permutationRng.seed(options.seed);
    // A stream of its own, so the CI does not change when the permutation count does.
    state->bootstrapRng.seed(options.seed ^ 0x9E3779B97F4A7C15ULL);
    return std::unique_ptr<RsaComparisonRun>(new RsaComparisonRun(std::move(state)));
}

bool RsaComparisonRun::isFinished() const
{
    return m_state->permutationsDone >= m_state->options.permutations &&
           m_state->bootstrapsDone >= m_state->options.bootstraps;
}

double RsaComparisonRun::progress() const
{
    const double total =
            double(m_state->options.permutations) + 50.0 * double(m_state->options.bootstraps);
    if (total <= 0.0) {
        return 1.0;
    }
    return (double(m_state->permutationsDone) + 50.0 * double(m_state->bootstrapsDone)) / total;
}

bool RsaComparisonRun::step(int64_t permutations, int64_t bootstraps)
{
    State &s = *m_state;
    const RsaOptions &options = s.options;
    if (s.permutationsDone < options.permutations) {
        // Chunks of permutations bound the host memory for large item counts (10,000
        // permutations of 10,000 items would be 800 MB at once); drawing them in chunks from one
        // generator gives the same sequence whatever the chunk size.
        const double tolerance = 1e-12 * (1.0 + std::abs(s.result.r));
        const int64_t end = std::min(options.permutations,
                                     s.permutationsDone + std::max<int64_t>(1, permutations));
        for (int64_t start = s.permutationsDone; start < end; start += 1024) {
            const int64_t stop = std::min(end, start + 1024);
            for (double r :
                 s.engine->evaluate(nextPermutations(s.permutationRng, s.a.size(), stop - start))) {
                const bool atLeast = options.alternative == RsaAlternative::Greater
                                             ? r >= s.result.r - tolerance
                                             : std::abs(r) >= std::abs(s.result.r) - tolerance;
                s.extreme += atLeast ? 1 : 0;
            }
        }
        s.permutationsDone = end;
        if (s.permutationsDone >= options.permutations) {
            s.result.p = static_cast<double>(s.extreme + 1) /
                         static_cast<double>(options.permutations + 1);
        }
        return isFinished();
    }
    const int64_t n = s.a.size();
    const int64_t end =
            std::min(options.bootstraps, s.bootstrapsDone + std::max<int64_t>(1, bootstraps));
    std::vector<int64_t> sample(static_cast<size_t>(n));
    std::vector<float> x;
    std::vector<float> y;
    for (; s.bootstrapsDone < end; ++s.bootstrapsDone) {
        for (int64_t &item : sample) {
            item = static_cast<int64_t>(uniformBelow(s.bootstrapRng, static_cast<uint64_t>(n)));
        }
        x.clear();
        y.clear();
        for (int64_t p = 0; p < n; ++p) {
            for (int64_t q = p + 1; q < n; ++q) {
                const int64_t i = sample[static_cast<size_t>(p)];
                const int64_t j = sample[static_cast<size_t>(q)];
                if (i == j) {
                    continue;  // a duplicated item's self-pair has no dissimilarity
                }
                x.push_back(s.a.at(i, j));
                y.push_back(s.b.at(i, j));
            }
        }
        const Result<double> r = vectorCorrelation(x, y, options.method);
        if (r && std::isfinite(r.value())) {
            s.estimates.push_back(r.value());
        }
    }
    if (s.bootstrapsDone >= options.bootstraps && !s.estimates.empty()) {
        const double tail = (1.0 - options.ciLevel) / 2.0;
        s.result.ciLow = percentile(s.estimates, tail);
        s.result.ciHigh = percentile(s.estimates, 1.0 - tail);
    }
    return isFinished();
}

RsaComparison RsaComparisonRun::result() const
{
    return m_state->result;
}

Result<RsaComparison> compareRdms(const Rdm &a, const Rdm &b, const RsaOptions &options)
{
    Result<std::unique_ptr<RsaComparisonRun>> run = RsaComparisonRun::start(a, b, options);
    if (!run) {
        return run.status();
    }
    while (!run.value()->step(options.permutations, options.bootstraps)) {
    }
    return run.value()->result();
}

}  // namespace gyrus::gpu
