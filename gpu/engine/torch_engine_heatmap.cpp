// TorchEngineClient::analyzeText: the token heatmap's data. Texts are tokenised, run through the
// model in right-padded batches up to the SAE's hook (padding never reaches a real token: the
// attention is causal and outputs are cropped to each text's length), and every token's hook
// vector is encoded by the loaded SAE; only nonzero activations travel back (TopK/JumpReLU
// SAEs activate a few dozen of thousands of features per token).

#include "gpu/analysis/non_finite_activation.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>

namespace gyrus::gpu {

namespace {

// Items per slice: one batched forward each, so a 200-item prompt set stays cancellable and
// other requests are served in between.
constexpr int kItemsPerSlice = 16;

Status checkReady(const EngineState &state)
{
    if (Status ready = state.requireSae(); !ready.isOk()) {
        return ready;
    }
    if (!state.model->info().hasTokenizer) {
        return Status::invalidInput(QStringLiteral(
                "the loaded model has no tokenizer (tokenizer.json, tokenizer.model or "
                "vocab.json + merges.txt): texts cannot be analysed"));
    }
    return Status::ok();
}

// Tokens of one text with their display pieces and spans.
TextActivations tokenise(const LanguageModel &model, const QString &text)
{
    const Tokenizer &tokenizer = model.tokenizer();
    const Encoding encoding = tokenizer.encode(text, /*addBos=*/true);
    TextActivations row;
    row.text = text;
    row.tokens.reserve(static_cast<size_t>(encoding.ids.size()));
    for (int i = 0; i < encoding.ids.size(); ++i) {
        AnalyzedToken token;
        token.id = encoding.ids.at(i);
        token.piece = tokenizer.displayPiece(token.id);
        token.begin = encoding.spans.at(i).begin;
        token.end = encoding.spans.at(i).end;
        token.bos = i == 0 && token.id == tokenizer.bosId();
        row.tokens.push_back(token);
    }
    return row;
}

// Fills row's sparse activations (and hook vectors) from its [tokens, d_model] activations.
void encodeRow(const detail::SaeModule &sae, const FloatTensor &activations, bool keepHook,
               TextActivations *row)
{
    c10::InferenceMode guard;
    const int64_t tokens = activations.shape.at(0);
    const int64_t dModel = activations.shape.at(1);
    const at::Tensor x = at::from_blob(const_cast<float *>(activations.values.data()),
                                       {tokens, dModel}, at::TensorOptions().dtype(at::kFloat))
                                 .to(sae.weights().wEnc.device());
    // Encoded a block of tokens at a time and kept sparse: a 262k-feature SAE's dense codes
    // are 1 MB per token.
    const detail::SparseActivations codes = sae.encodeSparse(x);
    row->features.assign(codes.features.begin(), codes.features.end());
    row->values = codes.values;
    row->rowStart.assign(codes.rowStart.begin(), codes.rowStart.end());
    if (keepHook) {
        row->hook = activations.values;
    }
}

}  // namespace

RequestId TorchEngineClient::analyzeText(const TokenAnalysisRequest &request)
{
    struct Run
    {
        std::shared_ptr<TokenAnalysis> analysis;
        int next = 0;  // the first item not yet analysed
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("analyse text"), QStringLiteral("token-analysis"),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (!run->analysis) {
                    if (Status ready = checkReady(*state); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    if (request.texts.isEmpty()) {
                        *status = Status::invalidInput(QStringLiteral("no text to analyse"));
                        return JobStep::Done;
                    }
                    for (int i = 0; i < request.texts.size(); ++i) {
                        if (request.texts.at(i).trimmed().isEmpty()) {
                            *status = Status::invalidInput(
                                    request.texts.size() == 1
                                            ? QStringLiteral("the text is empty: type a prompt")
                                            : QStringLiteral("item %1 is empty: nothing to analyse")
                                                      .arg(i + 1));
                            return JobStep::Done;
                        }
                    }
                    run->analysis = std::make_shared<TokenAnalysis>();
                    run->analysis->hookName = state->sae->config().hookName;
                    run->analysis->saeName = state->saeInfo.name;
                    run->analysis->dModel = state->model->info().dModel;
                    run->analysis->dSae = static_cast<int>(state->sae->config().dSae);
                    run->analysis->texts.reserve(static_cast<size_t>(request.texts.size()));
                }
                const LanguageModel &model = *state->model;
                const int maxPositions = model.info().maxPositions;
                const int end = std::min<int>(run->next + kItemsPerSlice, request.texts.size());
                std::vector<TextActivations> rows;
                std::vector<std::vector<int>> sequences;
                for (int i = run->next; i < end; ++i) {
                    rows.push_back(tokenise(model, request.texts.at(i)));
                    if (maxPositions > 0 && rows.back().tokenCount() > maxPositions) {
                        *status = Status::invalidInput(
                                QStringLiteral("item %1 has %2 tokens; the model reads at most %3")
                                        .arg(i + 1)
                                        .arg(rows.back().tokenCount())
                                        .arg(maxPositions));
                        return JobStep::Done;
                    }
                    std::vector<int> ids;
                    for (const AnalyzedToken &token : rows.back().tokens) {
                        ids.push_back(token.id);
                    }
                    sequences.push_back(std::move(ids));
                }
                ForwardOptions options;
                options.captures = {run->analysis->hookName};
                options.logits = false;
                Result<std::vector<ForwardOutput>> outputs = model.forwardBatch(sequences, options);
                if (!outputs) {
                    *status = outputs.status();
                    return JobStep::Done;
                }
                for (size_t i = 0; i < rows.size(); ++i) {
                    const QString nonFinite = detail::describeNonFiniteActivation(
                            run->analysis->hookName,
                            outputs.value()[i].activations.at(run->analysis->hookName));
                    if (!nonFinite.isEmpty()) {
                        *status = Status::invalidInput(QStringLiteral("text %1: %2")
                                                               .arg(run->next + int(i) + 1)
                                                               .arg(nonFinite));
                        return JobStep::Done;
                    }
                }
                for (size_t i = 0; i < rows.size(); ++i) {
                    encodeRow(*state->sae,
                              outputs.value()[i].activations.at(run->analysis->hookName),
                              request.hookVectors, &rows[i]);
                    run->analysis->texts.push_back(std::move(rows[i]));
                }
                run->next = end;
                context.reportProgress(
                        double(end) / request.texts.size(),
                        QStringLiteral("%1 / %2 texts").arg(end).arg(request.texts.size()));
                if (end < request.texts.size()) {
                    return JobStep::Continue;
                }
                Q_EMIT tokenAnalysisReady(context.id(), TokenAnalysisPtr(run->analysis));
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
