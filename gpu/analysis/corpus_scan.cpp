#include "gpu/analysis/corpus_scan.h"

#include "gpu/lm/token_corpus.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <random>

namespace gyrus::gpu {

struct CorpusScanner::Impl
{
    const LanguageModel *model = nullptr;
    const detail::SaeModule *sae = nullptr;
    detail::HookPoint point;
    CorpusScan scan;
    int64_t bos = -1;
    int64_t features = 0;
    int64_t k = 0;
    int64_t bins = 0;
    int samples = 0;
    at::Device saeDevice = at::kCPU;
    at::Tensor topValues;  // [features, k], -1 where empty
    at::Tensor topTokens;  // [features, k]
    at::Tensor histogram;  // [features * bins]
    at::Tensor active;     // [features]
    // Reservoir samples per (feature, bin): uniform over the tokens that fell in the bin.
    std::vector<std::vector<FeatureExample>> reservoirs;
    std::vector<int64_t> seen;
    std::mt19937_64 rng;
    int64_t next = 0;  // corpus-stream index of the next window

    void scanBatch();
    void scanWindows(const std::vector<std::pair<int64_t, int64_t>> &windows);
    /// Merges the codes f [tokens, features] of tokens at corpus positions `tokens` into the
    /// top-k lists, densities and histograms.
    void accumulate(const at::Tensor &f, const at::Tensor &tokens);
};

CorpusScanner::CorpusScanner(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

CorpusScanner::~CorpusScanner() = default;

Result<std::unique_ptr<CorpusScanner>> CorpusScanner::start(const LanguageModel &model,
                                                            const detail::SaeModule &sae,
                                                            const CorpusScanOptions &options)
{
    detail::Transformer &network = model.tensorModel();
    const QString hookName = options.hookName.isEmpty() ? sae.config().hookName : options.hookName;
    const std::optional<detail::HookPoint> point =
            detail::HookPoint::parse(hookName, hookLayout(network.config()));
    if (!point) {
        return Status::invalidInput(QStringLiteral("unknown hook '%1'").arg(hookName));
    }
    if (sae.config().dIn != network.config().hiddenSize) {
        return Status::invalidInput(QStringLiteral("the SAE reads d_in = %1, the model has %2")
                                            .arg(sae.config().dIn)
                                            .arg(network.config().hiddenSize));
    }
    if (options.contextLength < 2 || options.topK < 1 || options.histogramBins < 1 ||
        options.histogramHigh <= options.histogramLow) {
        return Status::invalidInput(
                QStringLiteral("context ≥ 2, top-k ≥ 1 and a non-empty histogram range please"));
    }
    Result<TokenCorpus> corpus = encodeTextFile(options.corpusPath, model.tokenizer());
    if (!corpus) {
        return corpus.status();
    }
    auto impl = std::make_unique<Impl>();
    impl->model = &model;
    impl->sae = &sae;
    impl->point = *point;
    impl->scan.options = options;
    impl->scan.options.hookName = hookName;
    impl->scan.hookName = hookName;
    impl->scan.tokens = std::move(corpus.value().tokens);
    if (options.tokenBudget > 0 && qint64(impl->scan.tokens.size()) > options.tokenBudget) {
        impl->scan.tokens.resize(size_t(options.tokenBudget));
    }
    impl->bos = model.tokenizer().bosId();
    impl->features = sae.config().dSae;
    impl->k = options.topK;
    impl->bins = options.histogramBins;
    impl->samples = std::max(0, options.samplesPerBin);
    impl->saeDevice = sae.weights().wEnc.device();
    impl->topValues = at::full({impl->features, impl->k}, -1.0f, at::kFloat);
    impl->topTokens = at::full({impl->features, impl->k}, int64_t(-1), at::kLong);
    impl->histogram = at::zeros({impl->features * impl->bins}, at::kLong);
    impl->active = at::zeros({impl->features}, at::kLong);
    impl->reservoirs.resize(size_t(impl->features * impl->bins));
    impl->seen.assign(size_t(impl->features * impl->bins), 0);
    impl->rng.seed(options.seed);
    return std::unique_ptr<CorpusScanner>(new CorpusScanner(std::move(impl)));
}

bool CorpusScanner::isFinished() const
{
    return m_impl->next >= qint64(m_impl->scan.tokens.size());
}

qint64 CorpusScanner::totalTokens() const
{
    return qint64(m_impl->scan.tokens.size());
}

qint64 CorpusScanner::scannedTokens() const
{
    return m_impl->scan.scannedTokens;
}

double CorpusScanner::fraction() const
{
    const qint64 total = totalTokens();
    return total > 0 ? std::min(1.0, double(m_impl->next) / double(total)) : 1.0;
}

void CorpusScanner::step(int batches)
{
    c10::InferenceMode guard;
    for (int b = 0; b < batches && !isFinished(); ++b) {
        m_impl->scanBatch();
    }
}

void CorpusScanner::Impl::scanBatch()
{
    const int64_t length = scan.options.contextLength;
    const auto total = static_cast<int64_t>(scan.tokens.size());
    const int64_t batchWindows = 8;
    // Windows of `length` tokens (the last one may be shorter: it runs alone).
    std::vector<std::pair<int64_t, int64_t>> windows;
    const int64_t end = std::min(total, next + length * batchWindows);
    for (int64_t s = next; s < end; s += length) {
        windows.emplace_back(s, std::min(length, total - s));
    }
    next = end;
    for (size_t w = 0; w < windows.size();) {
        size_t last = w + 1;
        while (last < windows.size() && windows[last].second == windows[w].second) {
            ++last;
        }
        scanWindows({windows.begin() + long(w), windows.begin() + long(last)});
        w = last;
    }
}

void CorpusScanner::Impl::scanWindows(const std::vector<std::pair<int64_t, int64_t>> &windows)
{
    detail::Transformer &network = model->tensorModel();
    const int64_t width = windows.front().second;
    const auto count = int64_t(windows.size());
    std::vector<int64_t> flat;
    flat.reserve(size_t(count * width));
    std::vector<int64_t> starts;
    for (const auto &window : windows) {
        starts.push_back(window.first);
        for (int64_t t = 0; t < width; ++t) {
            flat.push_back(scan.tokens[size_t(window.first + t)]);
        }
    }
    const at::Tensor ids = at::tensor(flat, at::kLong).view({count, width});
    detail::HookSet hooks;
    hooks.capture(point);
    network.forward(ids.to(network.device()), &hooks, nullptr, detail::LogitsMode::None);
    const at::Tensor h =
            hooks.captured(point).reshape({count * width, -1}).to(saeDevice).to(at::kFloat);
    // The corpus-stream index of every scanned token.
    const at::Tensor globalIndex =
            (at::tensor(starts, at::kLong).unsqueeze(1) + at::arange(width, at::kLong).unsqueeze(0))
                    .reshape({-1});
    const at::Tensor keep = ids.reshape({-1}).ne(bos);
    const at::Tensor hKept = h.index({keep.to(h.device())});
    const at::Tensor tokensKept = globalIndex.index({keep});
    scan.scannedTokens += hKept.size(0);
    // A block of tokens at a time: the dense codes of 1,024 tokens of a 262k-feature SAE would be
    // 1 GB, and the merge below makes copies of them.
    const int64_t block = sae->encodeBlockRows();
    for (int64_t begin = 0; begin < hKept.size(0); begin += block) {
        const int64_t rows = std::min(block, hKept.size(0) - begin);
        accumulate(sae->encode(hKept.narrow(0, begin, rows)).to(at::kCPU),
                   tokensKept.narrow(0, begin, rows));
    }
}

void CorpusScanner::Impl::accumulate(const at::Tensor &fKept, const at::Tensor &tokensKept)
{
    // Top-k per feature: merge this batch's best with the running best.
    const int64_t take = std::min<int64_t>(k, fKept.size(0));
    const auto batchTop = fKept.t().topk(take, 1);
    const at::Tensor mergedValues = at::cat({topValues, std::get<0>(batchTop)}, 1);
    const at::Tensor mergedTokens =
            at::cat({topTokens, tokensKept.index({std::get<1>(batchTop)})}, 1);
    const auto best = mergedValues.topk(k, 1);
    topValues = std::get<0>(best);
    topTokens = mergedTokens.gather(1, std::get<1>(best));
    // Density and the log10 histogram of active values.
    const at::Tensor positive = fKept > 0;
    active += positive.sum(0);
    const at::Tensor nonzero = positive.nonzero();  // [m, 2]: token, feature
    if (nonzero.size(0) == 0) {
        return;
    }
    const at::Tensor values = fKept.index({positive});
    const double low = scan.options.histogramLow;
    const double high = scan.options.histogramHigh;
    const at::Tensor bin = ((values.log10() - low) / (high - low) * double(bins))
                                   .floor()
                                   .clamp(0, double(bins - 1))
                                   .to(at::kLong);
    const at::Tensor cell = nonzero.select(1, 1) * bins + bin;
    histogram += at::bincount(cell, {}, features * bins);
    if (samples <= 0) {
        return;
    }
    const at::Tensor cells = cell.contiguous();
    const at::Tensor tokensOf = tokensKept.index({nonzero.select(1, 0)}).contiguous();
    const at::Tensor valuesOf = values.contiguous();
    const int64_t *cellData = cells.data_ptr<int64_t>();
    const int64_t *tokenData = tokensOf.data_ptr<int64_t>();
    const float *valueData = valuesOf.data_ptr<float>();
    for (int64_t e = 0; e < cells.size(0); ++e) {
        const auto slot = size_t(cellData[e]);
        const int64_t n = ++seen[slot];
        std::vector<FeatureExample> &reservoir = reservoirs[slot];
        if (int64_t(reservoir.size()) < samples) {
            reservoir.push_back({valueData[e], tokenData[e]});
        } else {
            const auto pick = std::uniform_int_distribution<int64_t>(0, n - 1)(rng);
            if (pick < samples) {
                reservoir[size_t(pick)] = {valueData[e], tokenData[e]};
            }
        }
    }
}

CorpusScan CorpusScanner::finish()
{
    c10::InferenceMode guard;
    Impl &d = *m_impl;
    // Logit effects of every feature now when that is cheap; for a wide SAE over a large
    // vocabulary (262k x 256k x 2304 is 1.5e14 multiply-adds, hours on a CPU) they are left empty
    // and the inspector computes the one feature it shows (addLogitEffects).
    const bool logitsNow = logitEffectsAtScan(*d.model, *d.sae, d.scan.options);
    const at::Tensor topValues = d.topValues.contiguous();
    const at::Tensor topTokens = d.topTokens.contiguous();
    const at::Tensor histogram = d.histogram.contiguous();
    const at::Tensor active = d.active.contiguous();
    const float *topValueData = topValues.data_ptr<float>();
    const int64_t *topTokenData = topTokens.data_ptr<int64_t>();
    const int64_t *histogramData = histogram.data_ptr<int64_t>();
    const int64_t *activeData = active.data_ptr<int64_t>();
    CorpusScan &scan = d.scan;
    scan.features.resize(size_t(d.features));
    for (int64_t feature = 0; feature < d.features; ++feature) {
        FeatureScan &out = scan.features[size_t(feature)];
        for (int64_t j = 0; j < d.k; ++j) {
            const float value = topValueData[feature * d.k + j];
            if (value <= 0) {
                break;  // only tokens where the feature is active
            }
            out.top.push_back({value, topTokenData[feature * d.k + j]});
        }
        out.histogram.assign(histogramData + feature * d.bins,
                             histogramData + (feature + 1) * d.bins);
        out.binSamples.resize(size_t(d.bins));
        for (int64_t b = 0; b < d.bins; ++b) {
            out.binSamples[size_t(b)] = std::move(d.reservoirs[size_t(feature * d.bins + b)]);
        }
        out.density = scan.scannedTokens > 0
                              ? double(activeData[feature]) / double(scan.scannedTokens)
                              : 0;
    }
    if (logitsNow) {
        constexpr int64_t kFeatureBlock = 512;
        for (int64_t begin = 0; begin < d.features; begin += kFeatureBlock) {
            addLogitEffects(*d.model, *d.sae, scan.options.logitTopK, begin,
                            std::min(kFeatureBlock, d.features - begin),
                            scan.features.data() + begin);
        }
    }
    return std::move(scan);
}

double logitEffectsWork(const LanguageModel &model, const detail::SaeModule &sae)
{
    const detail::Transformer &network = model.tensorModel();
    return double(sae.config().dSae) * double(network.config().vocabSize) *
           double(network.config().hiddenSize);
}

bool logitEffectsAtScan(const LanguageModel &model, const detail::SaeModule &sae,
                        const CorpusScanOptions &options)
{
    return logitEffectsWork(model, sae) <= options.logitEffectsAtScanWork;
}

void addLogitEffects(const LanguageModel &model, const detail::SaeModule &sae, int logitTopK,
                     int64_t begin, int64_t count, FeatureScan *out)
{
    c10::InferenceMode guard;
    detail::Transformer &network = model.tensorModel();
    // Through the final norm's gain and the unembedding, a block of features at a time: all at
    // once would be features x vocabulary floats (262k x 128k is 134 GB).
    const at::Tensor gain = network.finalNormGain().to(at::kCPU).to(at::kFloat).unsqueeze(0);
    const at::Tensor head = network.outputHead().to(at::kCPU);
    const int64_t logitK = std::min<int64_t>(logitTopK, head.size(0));
    const at::Tensor direction =
            sae.weights().wDec.narrow(0, begin, count).to(at::kCPU).to(at::kFloat) * gain;
    // In the head's dtype: a bf16 head is not copied to fp32 whole (2 GB at 8B).
    const at::Tensor logits = direction.to(head.scalar_type()).matmul(head.t()).to(at::kFloat);
    const auto up = logits.topk(logitK, 1);
    const auto down = logits.topk(logitK, 1, /*largest=*/false);
    const at::Tensor upValues = std::get<0>(up).contiguous();
    const at::Tensor upIds = std::get<1>(up).contiguous();
    const at::Tensor downValues = std::get<0>(down).contiguous();
    const at::Tensor downIds = std::get<1>(down).contiguous();
    for (int64_t i = 0; i < count; ++i) {
        FeatureScan &effects = out[i];
        effects.boosted.clear();
        effects.boostedLogits.clear();
        effects.suppressed.clear();
        effects.suppressedLogits.clear();
        for (int64_t j = 0; j < logitK; ++j) {
            const int64_t slot = i * logitK + j;
            effects.boosted.push_back(int(upIds.data_ptr<int64_t>()[slot]));
            effects.boostedLogits.push_back(upValues.data_ptr<float>()[slot]);
            effects.suppressed.push_back(int(downIds.data_ptr<int64_t>()[slot]));
            effects.suppressedLogits.push_back(downValues.data_ptr<float>()[slot]);
        }
    }
}

Result<CorpusScan> scanCorpus(const LanguageModel &model, const detail::SaeModule &sae,
                              const CorpusScanOptions &options,
                              const std::function<bool(double)> &progress)
{
    Result<std::unique_ptr<CorpusScanner>> scanner = CorpusScanner::start(model, sae, options);
    if (!scanner) {
        return scanner.status();
    }
    CorpusScanner &s = *scanner.value();
    while (!s.isFinished()) {
        s.step(1);
        if (progress && !progress(s.fraction())) {
            return Status::cancelled();
        }
    }
    return s.finish();
}

ExampleContext exampleContext(const LanguageModel &model, const CorpusScan &scan, qint64 index,
                              int radius)
{
    const Tokenizer &tokenizer = model.tokenizer();
    const int bos = tokenizer.bosId();
    const auto size = static_cast<qint64>(scan.tokens.size());
    qint64 first = index;
    while (first > 0 && index - first < radius && scan.tokens[size_t(first)] != bos) {
        --first;
    }
    if (scan.tokens[size_t(first)] == bos) {
        ++first;
    }
    qint64 last = index;
    while (last + 1 < size && last - index < radius && scan.tokens[size_t(last + 1)] != bos) {
        ++last;
    }
    auto decode = [&](qint64 from, qint64 to) {
        QVector<int> ids;
        for (qint64 i = from; i < to; ++i) {
            ids.append(scan.tokens[size_t(i)]);
        }
        return tokenizer.decode(ids);
    };
    return {decode(first, index), tokenizer.displayPiece(scan.tokens[size_t(index)]),
            decode(index + 1, last + 1)};
}

}  // namespace gyrus::gpu
