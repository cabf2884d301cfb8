// The Contrasts dock's LLM-judged method comparison, the model's part: the stepper `gyrus-cli
// judge-methods` drives (gpu/analysis/method_text_ranking_run.h), run in slices on the engine
// thread with the loaded model and SAE. The judging itself runs through the chat backend on the
// GUI side (core/llm/method_judging.h).

#include "gpu/analysis/method_text_ranking_run.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/stepped_job.h"
#include "gpu/engine/torch_engine_client.h"

#include <cmath>
#include <memory>
#include <optional>

namespace gyrus::gpu {

namespace {

// Both representations read at the SAE's hook, pooled as the form says; items of other levels
// are left out; label 0 is level A, the concept.
Result<TextRankingTable> rankingTable(EngineState &state, const TextRankingRequest &request,
                                      bool sae)
{
    const ContrastSource &source = request.source;
    const PromptFactor *factor = source.promptSet.factor(source.factor);
    if (!factor || source.levelA == source.levelB || !factor->levels.contains(source.levelA) ||
        !factor->levels.contains(source.levelB)) {
        return Status::invalidInput(
                QStringLiteral("%1: the judged comparison needs two different levels of a factor")
                        .arg(source.promptSet.displayName()));
    }
    RepresentationOptions options;
    options.hookName = state.saeInfo.hookName;
    if (source.pooling != Pooling::Mean && source.pooling != Pooling::LastToken) {
        return Status::invalidInput(
                QStringLiteral("corpus lines have no targets: pool by mean or last, not %1")
                        .arg(nameOf(source.pooling)));
    }
    options.pooling = source.pooling;
    if (sae) {
        options.sae = state.sae;
    }
    Result<PromptRepresentations> r =
            promptRepresentations(*state.model, source.promptSet, options);
    if (!r) {
        return r.status();
    }
    TextRankingTable table;
    table.items.cols = r->values.cols;
    for (int row = 0; row < r->items.size(); ++row) {
        const QString level = source.promptSet.items[r->items[row]].levels.value(factor->name);
        if (level != source.levelA && level != source.levelB) {
            continue;
        }
        table.labels.push_back(level == source.levelA ? 0 : 1);
        table.items.values.insert(table.items.values.end(),
                                  r->values.values.begin() + row * r->values.cols,
                                  r->values.values.begin() + (row + 1) * r->values.cols);
        ++table.items.rows;
    }
    PromptSet corpus;
    corpus.name = QStringLiteral("corpus");
    for (qsizetype i = 0; i < request.corpus.size(); ++i) {
        PromptItem item;
        item.id = QString::number(i);
        item.text = request.corpus[i];
        corpus.items.append(item);
    }
    Result<PromptRepresentations> texts = promptRepresentations(*state.model, corpus, options);
    if (!texts) {
        return texts.status().withContext(QStringLiteral("the corpus"));
    }
    if (texts->values.rows != request.corpus.size()) {
        return Status::invalidInput(
                QStringLiteral("%1 of %2 corpus lines are too short to represent")
                        .arg(request.corpus.size() - texts->values.rows)
                        .arg(request.corpus.size()));
    }
    table.texts = texts->values;
    return table;
}

}  // namespace

RequestId TorchEngineClient::rankCorpusTexts(const TextRankingRequest &request)
{
    SteppedJob<MethodTextRankingRun> job;
    job.name = QStringLiteral("rank corpus texts");
    job.during = QStringLiteral("the ranking");
    job.start = [request](EngineState &state) {
        const std::vector<SelectionMethod> methods(request.methods.begin(), request.methods.end());
        EngineState *engine = &state;
        return MethodTextRankingRun::start(
                methods, request.k, request.top,
                [engine, request](bool sae) { return rankingTable(*engine, request, sae); });
    };
    job.stage = [](const MethodTextRankingRun &run) { return run.stageText(); };
    job.context = request.source.promptSet.displayName();
    job.startAlone = true;
    job.finish = [this](MethodTextRankingRun &run, JobContext &context) {
        Q_EMIT textRankingReady(context.id(),
                                std::make_shared<const MethodTextRankings>(run.rankings()));
        return Status::ok();
    };
    return m_runner.submit(steppedJob(m_state, std::move(job)));
}

}  // namespace gyrus::gpu
