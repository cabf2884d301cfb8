// The feature inspector's engine requests: a corpus scan run in slices, saved
// next to the SAE and loaded again on the next start, and the details of one feature drawn from
// it (top examples in context, histogram, logit effects, decoder-cosine neighbours).

#include "core/base/logging.h"
#include "gpu/analysis/corpus_scan.h"
#include "gpu/analysis/corpus_scan_file.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/decoder_geometry.h"
#include "gpu/sae/sae_module.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

namespace {

// Tokens of context each side of an example: enough to read the phrase, short enough for a row.
constexpr int kContextRadius = 10;
constexpr int kNeighbours = 10;
// A scan slice: long enough to amortise a forward pass, short enough that a hover or a feature
// click queued meanwhile waits little.
constexpr int kSliceMs = 100;

CorpusScanSummary summaryOf(const CorpusScan &scan)
{
    CorpusScanSummary summary;
    summary.corpusPath = scan.options.corpusPath;
    summary.scannedTokens = scan.scannedTokens;
    summary.features = int(scan.features.size());
    double densest = 0;
    for (size_t f = 0; f < scan.features.size(); ++f) {
        if (scan.features[f].density > densest) {
            densest = scan.features[f].density;
            summary.densestFeature = int(f);
        }
    }
    return summary;
}

FeatureExampleText exampleText(const LanguageModel &model, const CorpusScan &scan,
                               const FeatureExample &example)
{
    const ExampleContext context = exampleContext(model, scan, example.token, kContextRadius);
    FeatureExampleText text;
    text.activation = example.activation;
    text.tokenIndex = example.token;
    text.before = context.before;
    text.token = context.token;
    text.after = context.after;
    return text;
}

QList<NeighbourFeature> nearestByDecoderCosine(const detail::SaeModule &sae, int feature)
{
    c10::InferenceMode guard;
    at::Tensor cosine = detail::decoderCosines(sae, sae.weights().wDec[feature]);
    cosine[feature] = -2.0f;  // never its own neighbour
    const int64_t take = std::min<int64_t>(kNeighbours, cosine.size(0) - 1);
    QList<NeighbourFeature> neighbours;
    if (take <= 0) {
        return neighbours;
    }
    const auto best = cosine.topk(take);
    for (int64_t i = 0; i < take; ++i) {
        neighbours.append({int(std::get<1>(best)[i].item<int64_t>()),
                           double(std::get<0>(best)[i].item<float>())});
    }
    return neighbours;
}

FeatureDetailsPtr detailsOf(const EngineState &state, int feature)
{
    const CorpusScan &scan = *state.scan;
    const FeatureScan &s = scan.features[size_t(feature)];
    const LanguageModel &model = *state.model;
    auto details = std::make_shared<FeatureDetails>();
    details->feature = feature;
    details->corpusPath = scan.options.corpusPath;
    details->scannedTokens = scan.scannedTokens;
    details->density = s.density;
    details->maxActivation = s.top.empty() ? 0.0 : double(s.top.front().activation);
    for (const FeatureExample &e : s.top) {
        details->top.append(exampleText(model, scan, e));
    }
    const double low = scan.options.histogramLow;
    const double high = scan.options.histogramHigh;
    const auto bins = int(s.histogram.size());
    details->histogramLog10Low = low;
    details->histogramLog10High = high;
    for (int b = 0; b < bins; ++b) {
        details->histogram.append(double(s.histogram[size_t(b)]));
        FeatureBinExamples bin;
        bin.low = std::pow(10.0, low + (high - low) * b / bins);
        bin.high = std::pow(10.0, low + (high - low) * (b + 1) / bins);
        bin.count = s.histogram[size_t(b)];
        if (size_t(b) < s.binSamples.size()) {
            for (const FeatureExample &e : s.binSamples[size_t(b)]) {
                bin.examples.append(exampleText(model, scan, e));
            }
        }
        details->bins.append(bin);
    }
    // A wide SAE's scan leaves the logit effects to the feature shown (corpus_scan.h).
    FeatureScan computed;
    if (s.boosted.empty() && scan.options.logitTopK > 0) {
        addLogitEffects(model, *state.sae, scan.options.logitTopK, feature, 1, &computed);
    }
    const FeatureScan &e = s.boosted.empty() ? computed : s;
    const Tokenizer &tokenizer = model.tokenizer();
    for (size_t i = 0; i < e.boosted.size(); ++i) {
        details->boosted.append(
                {e.boosted[i], tokenizer.displayPiece(e.boosted[i]), double(e.boostedLogits[i])});
    }
    for (size_t i = 0; i < e.suppressed.size(); ++i) {
        details->suppressed.append({e.suppressed[i], tokenizer.displayPiece(e.suppressed[i]),
                                    double(e.suppressedLogits[i])});
    }
    details->neighbours = nearestByDecoderCosine(*state.sae, feature);
    return details;
}

}  // namespace

RequestId TorchEngineClient::scanCorpus(const CorpusScanRequest &request)
{
    struct Run
    {
        std::unique_ptr<CorpusScanner> scanner;
        std::shared_ptr<detail::SaeModule> sae;  // keeps the SAE the scanner reads alive
        quint64 saeEpoch = 0;
        quint64 modelEpoch = 0;
        QString saeIdentity;
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("scan corpus"), QString(),
            [this, state, run, request](JobContext &context, Status *status) {
                if (!run->scanner) {
                    if (Status ready = state->requireSae(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    CorpusScanOptions options;
                    options.corpusPath = request.corpusPath;
                    options.tokenBudget = request.tokenBudget;
                    options.contextLength = request.contextLength;
                    options.topK = request.topK;
                    context.reportProgress(0.0,
                                           QStringLiteral("tokenising %1")
                                                   .arg(QFileInfo(request.corpusPath).fileName()));
                    Result<std::unique_ptr<CorpusScanner>> scanner =
                            CorpusScanner::start(*state->model, *state->sae, options);
                    if (!scanner) {
                        *status = scanner.status();
                        return JobStep::Done;
                    }
                    run->scanner = std::move(scanner).value();
                    run->sae = state->sae;
                    run->modelEpoch = state->modelEpoch;
                    run->saeEpoch = state->saeEpoch;
                    run->saeIdentity = saeIdentityOf(state->saeInfo.path, state->saeInfo.dSae);
                    return JobStep::Continue;
                }
                if (context.isCancelled()) {
                    return JobStep::Done;  // the runner reports Cancelled
                }
                // Requests served between slices may have replaced the model or the SAE.
                if (state->saeEpoch != run->saeEpoch || state->modelEpoch != run->modelEpoch) {
                    *status = Status::invalidInput(QStringLiteral(
                            "the model or SAE changed during the corpus scan; scan again"));
                    return JobStep::Done;
                }
                CorpusScanner &scanner = *run->scanner;
                QElapsedTimer slice;
                slice.start();
                while (!scanner.isFinished() && slice.elapsed() < kSliceMs &&
                       !context.isCancelled()) {
                    scanner.step(1);
                    context.reportProgress(scanner.fraction(), QStringLiteral("%L1 of %L2 tokens")
                                                                       .arg(scanner.scannedTokens())
                                                                       .arg(scanner.totalTokens()));
                }
                if (!scanner.isFinished()) {
                    return JobStep::Continue;
                }
                auto scan = std::make_shared<const CorpusScan>(scanner.finish());
                run->scanner.reset();
                state->scan = scan;
                state->scanSae = state->sae;
                CorpusScanSummary summary = summaryOf(*scan);
                if (!request.savePath.isEmpty()) {
                    if (Status saved = saveCorpusScan(*scan, run->saeIdentity, request.savePath);
                        saved.isOk()) {
                        summary.savedPath = request.savePath;
                    } else {
                        // The scan is still usable in memory; only the next start rescans.
                        qCWarning(lcEngine).noquote() << saved.message();
                    }
                }
                qCInfo(lcEngine).noquote()
                        << QStringLiteral("corpus scan of %1: %2 tokens, %3 features")
                                   .arg(summary.corpusPath)
                                   .arg(summary.scannedTokens)
                                   .arg(summary.features);
                Q_EMIT corpusScanReady(context.id(), summary);
                return JobStep::Done;
            }});
}

RequestId TorchEngineClient::loadCorpusScan(const QString &path)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("load corpus scan"), QStringLiteral("load-corpus-scan"),
            [this, state, path](JobContext &context, Status *status) {
                if (Status ready = state->requireSae(); !ready.isOk()) {
                    *status = ready;
                    return JobStep::Done;
                }
                Result<SavedCorpusScan> saved = gpu::loadCorpusScan(path);
                if (!saved) {
                    *status = saved.status();
                    return JobStep::Done;
                }
                const CorpusScan &scan = saved.value().scan;
                const QString identity = saeIdentityOf(state->saeInfo.path, state->saeInfo.dSae);
                if (saved.value().saeIdentity != identity ||
                    qint64(scan.features.size()) != state->sae->config().dSae) {
                    *status = Status::notFound(
                            QStringLiteral("%1 was made for other SAE weights; scan again")
                                    .arg(path));
                    return JobStep::Done;
                }
                state->scan = std::make_shared<const CorpusScan>(std::move(saved.value().scan));
                state->scanSae = state->sae;
                CorpusScanSummary summary = summaryOf(*state->scan);
                summary.loadedFromFile = true;
                summary.savedPath = path;
                Q_EMIT corpusScanReady(context.id(), summary);
                return JobStep::Done;
            }});
}

RequestId TorchEngineClient::featureDetails(int feature)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("feature details"), QStringLiteral("feature-details"),
            [this, state, feature](JobContext &context, Status *status) {
                if (Status ready = state->requireSae(); !ready.isOk()) {
                    *status = ready;
                    return JobStep::Done;
                }
                const int features = state->saeInfo.dSae;
                if (feature < 0 || feature >= features) {
                    *status = Status::invalidInput(
                            QStringLiteral("feature %1 is out of range: the SAE has %2 features "
                                           "(0–%3)")
                                    .arg(feature)
                                    .arg(features)
                                    .arg(features - 1));
                    return JobStep::Done;
                }
                if (!state->hasScanForCurrentSae()) {
                    *status = Status::notFound(QStringLiteral(
                            "no corpus scan yet for this SAE: scan a corpus to see its "
                            "features' examples"));
                    return JobStep::Done;
                }
                Q_EMIT featureDetailsReady(context.id(), detailsOf(*state, feature));
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
