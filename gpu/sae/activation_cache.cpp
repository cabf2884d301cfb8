#include "gpu/sae/activation_cache.h"

#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activation_file.h"

#include <QFileInfo>

#include <cmath>

namespace gyrus::gpu {

namespace {

// One forward-pass input: a window of a corpus line, BOS first.
struct Window
{
    std::vector<int> tokens;
    int32_t document = 0;
    int32_t firstPosition = 0;  // position of tokens[1] within the line's token stream
};

}  // namespace

Result<ActivationCacheResult> cacheActivations(const LanguageModel &model,
                                               const ActivationCacheOptions &options,
                                               const std::function<bool(double)> &progress)
{
    if (!model.info().hookNames.contains(options.hookName)) {
        return Status::invalidInput(
                QStringLiteral("unknown hook '%1' (see gyrus-cli info for the model's hooks)")
                        .arg(options.hookName));
    }
    if (options.contextLength < 2 || options.batchSequences < 1 || options.tokenBudget < 0) {
        return Status::invalidInput(QStringLiteral("context length must be ≥ 2 and the batch ≥ 1"));
    }
    Result<TokenCorpus> corpus = encodeTextFile(options.corpusPath, model.tokenizer());
    if (!corpus) {
        return corpus.status();
    }
    const int bos = model.tokenizer().bosId();

    // Lines start with BOS in the corpus stream; cut each into windows that all begin with BOS.
    std::vector<Window> windows;
    qint64 available = 0;
    {
        const std::vector<int32_t> &ids = corpus->tokens;
        int32_t document = -1;
        size_t i = 0;
        while (i < ids.size()) {
            size_t end = i + 1;
            while (end < ids.size() && ids[end] != bos) {
                ++end;
            }
            ++document;
            // Tokens of this line without its BOS: [i + 1, end).
            for (size_t start = i + 1; start < end; start += size_t(options.contextLength - 1)) {
                Window window;
                window.document = document;
                window.firstPosition = static_cast<int32_t>(start - (i + 1));
                window.tokens.push_back(bos);
                const size_t stop = std::min(end, start + size_t(options.contextLength - 1));
                window.tokens.insert(window.tokens.end(), ids.begin() + long(start),
                                     ids.begin() + long(stop));
                available += qint64(window.tokens.size()) - 1;
                windows.push_back(std::move(window));
                if (options.tokenBudget > 0 && available >= options.tokenBudget) {
                    break;
                }
            }
            if (options.tokenBudget > 0 && available >= options.tokenBudget) {
                break;
            }
            i = end;
        }
    }
    const qint64 rows =
            options.tokenBudget > 0 ? std::min(available, options.tokenBudget) : available;
    if (rows == 0) {
        return Status::invalidInput(
                QStringLiteral("%1: no tokens to cache").arg(options.corpusPath));
    }
    const int columns = model.info().dModel;

    Result<std::unique_ptr<Hdf5Writer>> writer = Hdf5Writer::create(options.outPath);
    if (!writer) {
        return writer.status();
    }
    Hdf5Writer &out = *writer.value();
    for (const auto &[name, type, width] :
         {std::tuple{QStringLiteral("activations"), Hdf5Writer::Type::Float32, int64_t(columns)},
          std::tuple{QStringLiteral("tokens"), Hdf5Writer::Type::Int32, int64_t(0)},
          std::tuple{QStringLiteral("doc_index"), Hdf5Writer::Type::Int32, int64_t(0)},
          std::tuple{QStringLiteral("position"), Hdf5Writer::Type::Int32, int64_t(0)}}) {
        if (Status created = out.createDataset(name, type, rows, width); !created.isOk()) {
            return created;
        }
    }

    ForwardOptions forward;
    forward.captures = {options.hookName};
    forward.logits = false;  // the forward stops after the hook's layer
    qint64 written = 0;
    double normSum = 0.0;
    qint64 documents = 0;
    int32_t lastDocument = -1;
    for (size_t first = 0; first < windows.size() && written < rows;
         first += size_t(options.batchSequences)) {
        const size_t count = std::min(windows.size() - first, size_t(options.batchSequences));
        std::vector<std::vector<int>> batch;
        for (size_t w = first; w < first + count; ++w) {
            batch.push_back(windows[w].tokens);
        }
        Result<std::vector<ForwardOutput>> outputs = model.forwardBatch(batch, forward);
        if (!outputs) {
            return outputs.status();
        }
        std::vector<float> activations;
        std::vector<int32_t> tokens;
        std::vector<int32_t> docs;
        std::vector<int32_t> positions;
        for (size_t w = 0; w < count && written + qint64(tokens.size()) < rows; ++w) {
            const Window &window = windows[first + w];
            const FloatTensor &hook = outputs->at(w).activations.at(options.hookName);
            for (size_t t = 1; t < window.tokens.size() && written + qint64(tokens.size()) < rows;
                 ++t) {
                const float *row = hook.values.data() + t * size_t(columns);
                double squared = 0.0;
                for (int c = 0; c < columns; ++c) {
                    squared += double(row[c]) * row[c];
                }
                if (!std::isfinite(squared)) {
                    return Status::invalidInput(
                            QStringLiteral("%1: non-finite activation at line %2, token %3")
                                    .arg(options.corpusPath)
                                    .arg(window.document + 1)
                                    .arg(window.firstPosition + int(t) - 1));
                }
                normSum += std::sqrt(squared);
                activations.insert(activations.end(), row, row + columns);
                tokens.push_back(window.tokens[t]);
                docs.push_back(window.document);
                positions.push_back(window.firstPosition + int32_t(t) - 1);
                if (window.document != lastDocument) {
                    lastDocument = window.document;
                    ++documents;
                }
            }
        }
        const auto n = static_cast<int64_t>(tokens.size());
        for (const auto &[name, data] :
             {std::pair{QStringLiteral("activations"),
                        static_cast<const void *>(activations.data())},
              std::pair{QStringLiteral("tokens"), static_cast<const void *>(tokens.data())},
              std::pair{QStringLiteral("doc_index"), static_cast<const void *>(docs.data())},
              std::pair{QStringLiteral("position"), static_cast<const void *>(positions.data())}}) {
            if (Status ok = out.writeRows(name, written, n, data); !ok.isOk()) {
                return ok;
            }
        }
        written += n;
        if (progress && !progress(double(written) / double(rows))) {
            return Status::cancelled();
        }
    }
    ActivationCacheResult result;
    result.rows = written;
    result.columns = columns;
    result.documents = documents;
    const double meanNorm = normSum / double(std::max<qint64>(1, written));
    result.normalisationScale = meanNorm > 0 ? std::sqrt(double(columns)) / meanNorm : 1.0;
    const ModelInfo info = model.info();
    out.setAttribute(QStringLiteral("model"), info.directory);
    out.setAttribute(QStringLiteral("hook_name"), options.hookName);
    out.setAttribute(QStringLiteral("dtype"), QStringLiteral("float32"));
    out.setAttribute(QStringLiteral("model_dtype"), info.dtype);
    out.setAttribute(QStringLiteral("context_length"), double(options.contextLength));
    out.setAttribute(QStringLiteral("corpus"), QFileInfo(options.corpusPath).absoluteFilePath());
    out.setAttribute(QStringLiteral("normalisation_scale"), result.normalisationScale);
    if (Status closed = out.close(); !closed.isOk()) {
        return closed;
    }
    return result;
}

}  // namespace gyrus::gpu
