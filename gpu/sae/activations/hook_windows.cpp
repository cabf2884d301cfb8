#include "gpu/sae/activations/hook_windows.h"

#include "gpu/model/language_model.h"

#include <algorithm>

namespace gyrus::gpu::detail {

std::vector<HookWindow> cutHookWindows(const TokenCorpus &corpus, int bos, int contextLength,
                                       int64_t tokenBudget)
{
    // Lines start with BOS in the corpus stream; cut each into windows that all begin with BOS.
    std::vector<HookWindow> windows;
    const std::vector<int32_t> &ids = corpus.tokens;
    const auto step = static_cast<size_t>(std::max(1, contextLength - 1));
    int64_t covered = 0;
    int32_t document = -1;
    size_t i = 0;
    while (i < ids.size() && (tokenBudget <= 0 || covered < tokenBudget)) {
        size_t end = i + 1;
        while (end < ids.size() && ids[end] != bos) {
            ++end;
        }
        if (end > i + 1) {
            ++document;
        }
        // Tokens of this line without its BOS: [i + 1, end).
        for (size_t start = i + 1; start < end && (tokenBudget <= 0 || covered < tokenBudget);
             start += step) {
            HookWindow window;
            window.document = document;
            window.firstPosition = static_cast<int32_t>(start - (i + 1));
            window.tokens.push_back(bos);
            const size_t stop = std::min(end, start + step);
            window.tokens.insert(window.tokens.end(), ids.begin() + long(start),
                                 ids.begin() + long(stop));
            covered += rowsOf(window);
            windows.push_back(std::move(window));
        }
        i = end;
    }
    return windows;
}

Result<at::Tensor> hookRows(const LanguageModel &model, const QString &hookName,
                            const std::vector<const HookWindow *> &windows,
                            const QString &corpusName)
{
    std::vector<std::vector<int>> batch;
    int64_t total = 0;
    for (const HookWindow *window : windows) {
        batch.push_back(window->tokens);
        total += rowsOf(*window);
    }
    ForwardOptions forward;
    forward.captures = {hookName};
    forward.logits = false;  // the forward stops after the hook's layer
    Result<std::vector<ForwardOutput>> outputs = model.forwardBatch(batch, forward);
    if (!outputs) {
        return outputs.status();
    }
    const int64_t columns = model.info().dModel;
    at::Tensor rows = at::empty({total, columns}, at::TensorOptions().dtype(at::kFloat));
    float *out = rows.data_ptr<float>();
    for (size_t w = 0; w < windows.size(); ++w) {
        const FloatTensor &hook = outputs->at(w).activations.at(hookName);
        const size_t count = static_cast<size_t>(rowsOf(*windows[w]) * columns);
        std::copy_n(hook.values.data() + columns, count, out);  // row 0 is BOS
        out += count;
    }
    if (!at::isfinite(rows).all().item<bool>()) {
        const int64_t bad = at::isfinite(rows).all(1).logical_not().nonzero()[0][0].item<int64_t>();
        int64_t before = 0;
        for (const HookWindow *window : windows) {
            if (bad < before + rowsOf(*window)) {
                return Status::invalidInput(
                        QStringLiteral("%1: non-finite activation at hook '%4', line %2, token %3")
                                .arg(corpusName)
                                .arg(window->document + 1)
                                .arg(window->firstPosition + bad - before)
                                .arg(hookName));
            }
            before += rowsOf(*window);
        }
    }
    return rows;
}

}  // namespace gyrus::gpu::detail
