#include "gpu/analysis/corpus_scan.h"

#include "gpu/detail/hook_set.h"
#include "gpu/detail/llama_model.h"
#include "gpu/detail/sae_module.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <random>

namespace gyrus::gpu {

Result<CorpusScan> scanCorpus(const LanguageModel &model, const detail::SaeModule &sae,
                              const CorpusScanOptions &options,
                              const std::function<bool(double)> &progress)
{
    detail::LlamaModel &network = model.tensorModel();
    const QString hookName = options.hookName.isEmpty() ? sae.config().hookName : options.hookName;
    const std::optional<detail::HookPoint> point =
            detail::HookPoint::parse(hookName, network.config().numHiddenLayers);
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
    CorpusScan scan;
    scan.hookName = hookName;
    scan.tokens = std::move(corpus.value().tokens);
    if (options.tokenBudget > 0 && qint64(scan.tokens.size()) > options.tokenBudget) {
        scan.tokens.resize(size_t(options.tokenBudget));
    }
    const int64_t bos = model.tokenizer().bosId();
    const int64_t features = sae.config().dSae;
    const int64_t k = options.topK;
    const int64_t bins = options.histogramBins;
    const at::Device saeDevice = sae.weights().wEnc.device();

    c10::InferenceMode guard;
    at::Tensor topValues = at::full({features, k}, -1.0f, at::kFloat);
    at::Tensor topTokens = at::full({features, k}, int64_t(-1), at::kLong);
    at::Tensor histogram = at::zeros({features * bins}, at::kLong);
    at::Tensor active = at::zeros({features}, at::kLong);
    // Reservoir samples per (feature, bin): uniform over the tokens that fell in the bin.
    const int samples = std::max(0, options.samplesPerBin);
    std::vector<std::vector<FeatureExample>> reservoirs(size_t(features * bins));
    std::vector<int64_t> seen(size_t(features * bins), 0);
    std::mt19937_64 rng(options.seed);
    const int64_t length = options.contextLength;
    const auto total = static_cast<int64_t>(scan.tokens.size());
    const int64_t batchWindows = 8;
    for (int64_t start = 0; start < total; start += length * batchWindows) {
        // Windows of `length` tokens (the last one may be shorter: run it alone).
        std::vector<std::pair<int64_t, int64_t>> windows;
        for (int64_t s = start; s < std::min(total, start + length * batchWindows); s += length) {
            windows.emplace_back(s, std::min(length, total - s));
        }
        for (size_t w = 0; w < windows.size();) {
            const int64_t width = windows[w].second;
            size_t end = w + 1;
            while (end < windows.size() && windows[end].second == width) {
                ++end;
            }
            const auto count = int64_t(end - w);
            at::Tensor ids = at::empty({count, width}, at::kLong);
            for (int64_t b = 0; b < count; ++b) {
                for (int64_t t = 0; t < width; ++t) {
                    ids[b][t] = scan.tokens[size_t(windows[w + size_t(b)].first + t)];
                }
            }
            detail::HookSet hooks;
            hooks.capture(*point);
            network.forward(ids.to(network.device()), &hooks, nullptr, detail::LogitsMode::None);
            const at::Tensor h = hooks.captured(*point)
                                         .reshape({count * width, -1})
                                         .to(saeDevice)
                                         .to(at::kFloat);
            const at::Tensor f = sae.encode(h).to(at::kCPU);  // [tokens, features]
            std::vector<int64_t> starts;
            for (int64_t b = 0; b < count; ++b) {
                starts.push_back(windows[w + size_t(b)].first);
            }
            // The corpus-stream index of every scanned token.
            const at::Tensor globalIndex = (at::tensor(starts, at::kLong).unsqueeze(1) +
                                            at::arange(width, at::kLong).unsqueeze(0))
                                                   .reshape({-1});
            const at::Tensor isBos = ids.reshape({-1}).eq(bos);
            const at::Tensor keep = isBos.logical_not();
            const at::Tensor fKept = f.index({keep});
            const at::Tensor tokensKept = globalIndex.index({keep});
            scan.scannedTokens += fKept.size(0);
            if (fKept.size(0) > 0) {
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
                if (nonzero.size(0) > 0) {
                    const at::Tensor values = fKept.index({positive});
                    const at::Tensor bin =
                            ((values.log10() - options.histogramLow) /
                             (options.histogramHigh - options.histogramLow) * double(bins))
                                    .floor()
                                    .clamp(0, double(bins - 1))
                                    .to(at::kLong);
                    const at::Tensor cell = nonzero.select(1, 1) * bins + bin;
                    histogram += at::bincount(cell, {}, features * bins);
                    if (samples > 0) {
                        const at::Tensor cells = cell.contiguous();
                        const at::Tensor tokensOf =
                                tokensKept.index({nonzero.select(1, 0)}).contiguous();
                        const at::Tensor valuesOf = values.contiguous();
                        const int64_t *cellData = cells.data_ptr<int64_t>();
                        const int64_t *tokenData = tokensOf.data_ptr<int64_t>();
                        const float *valueData = valuesOf.data_ptr<float>();
                        for (int64_t e = 0; e < cells.size(0); ++e) {
                            const auto slot = size_t(cellData[e]);
                            const int64_t count = ++seen[slot];
                            std::vector<FeatureExample> &reservoir = reservoirs[slot];
                            if (int64_t(reservoir.size()) < samples) {
                                reservoir.push_back({valueData[e], tokenData[e]});
                            } else {
                                const auto pick =
                                        std::uniform_int_distribution<int64_t>(0, count - 1)(rng);
                                if (pick < samples) {
                                    reservoir[size_t(pick)] = {valueData[e], tokenData[e]};
                                }
                            }
                        }
                    }
                }
            }
            w = end;
        }
        if (progress &&
            !progress(double(std::min(total, start + length * batchWindows)) / double(total))) {
            return Status::cancelled();
        }
    }

    // Logit effects through the final norm's gain and the unembedding.
    const at::Tensor direction =
            sae.weights().wDec.to(at::kCPU).to(at::kFloat) *
            network.weights().finalNorm.to(at::kCPU).to(at::kFloat).unsqueeze(0);
    const at::Tensor logits =
            direction.matmul(network.weights().lmHead.to(at::kCPU).to(at::kFloat).t());
    const int64_t logitK = std::min<int64_t>(options.logitTopK, logits.size(1));
    const auto up = logits.topk(logitK, 1);
    const auto down = logits.topk(logitK, 1, /*largest=*/false);

    const at::Tensor histogramRows = histogram.view({features, bins});
    scan.features.resize(size_t(features));
    for (int64_t feature = 0; feature < features; ++feature) {
        FeatureScan &out = scan.features[size_t(feature)];
        for (int64_t j = 0; j < k; ++j) {
            const float value = topValues[feature][j].item<float>();
            if (value <= 0) {
                break;  // only tokens where the feature is active
            }
            out.top.push_back({value, topTokens[feature][j].item<int64_t>()});
        }
        const at::Tensor row = histogramRows[feature].contiguous();
        out.histogram.assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + bins);
        out.binSamples.resize(size_t(bins));
        for (int64_t b = 0; b < bins; ++b) {
            out.binSamples[size_t(b)] = std::move(reservoirs[size_t(feature * bins + b)]);
        }
        out.density = scan.scannedTokens > 0
                              ? double(active[feature].item<int64_t>()) / double(scan.scannedTokens)
                              : 0;
        for (int64_t j = 0; j < logitK; ++j) {
            out.boosted.push_back(int(std::get<1>(up)[feature][j].item<int64_t>()));
            out.boostedLogits.push_back(std::get<0>(up)[feature][j].item<float>());
            out.suppressed.push_back(int(std::get<1>(down)[feature][j].item<int64_t>()));
            out.suppressedLogits.push_back(std::get<0>(down)[feature][j].item<float>());
        }
    }
    return scan;
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
