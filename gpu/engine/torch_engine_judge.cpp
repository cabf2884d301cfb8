// The Contrasts dock's LLM-judged method comparison, the model's part: the stepper `gyrus-cli
// judge-methods` drives (gpu/analysis/method_text_ranking_run.h), run in slices on the engine
// thread with the loaded model and SAE. The judging itself runs through the chat backend on the
// GUI side (core/llm/method_judging.h).

#include "gpu/analysis/method_text_ranking_run.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"

#include <QElapsedTimer>

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
    struct Run
    {
        std::unique_ptr<MethodTextRankingRun> ranking;
        quint64 modelEpoch = 0;
        quint64 saeEpoch = 0;
        QElapsedTimer clock;
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("rank corpus texts"), QString(),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (!run->ranking) {
                    if (Status ready = state->requireSae(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    std::vector<SelectionMethod> methods;
                    for (const QString &name : request.methods) {
                        const std::optional<SelectionMethod> m = fromName<SelectionMethod>(name);
                        if (!m) {
                            *status = Status::invalidInput(
                                    QStringLiteral("unknown selection method '%1'").arg(name));
                            return JobStep::Done;
                        }
                        methods.push_back(*m);
                    }
                    EngineState *engine = state.get();
                    Result<std::unique_ptr<MethodTextRankingRun>> started =
                            MethodTextRankingRun::start(
                                    methods, request.k, request.top, [engine, request](bool sae) {
                                        return rankingTable(*engine, request, sae);
                                    });
                    if (!started) {
                        *status = started.status();
                        return JobStep::Done;
                    }
                    run->ranking = std::move(started).value();
                    run->modelEpoch = state->modelEpoch;
                    run->saeEpoch = state->saeEpoch;
                    run->clock.start();
                    context.reportProgress(0.0, run->ranking->stageText());
                    return JobStep::Continue;
                }
                if (state->modelEpoch != run->modelEpoch || state->saeEpoch != run->saeEpoch) {
                    *status = Status::cancelled(
                            QStringLiteral("the model or SAE was replaced during the ranking"));
                    return JobStep::Done;
                }
                MethodTextRankingRun &ranking = *run->ranking;
                if (Status stepped = ranking.step(); !stepped.isOk()) {
                    *status = stepped.withContext(request.source.promptSet.displayName());
                    return JobStep::Done;
                }
                if (!ranking.isFinished()) {
                    const double fraction = ranking.fraction();
                    const double remaining = fraction > 0 ? double(run->clock.elapsed()) / 1000.0 *
                                                                    (1.0 - fraction) / fraction
                                                          : 0.0;
                    context.reportProgress(
                            fraction,
                            ranking.stageText() +
                                    QStringLiteral(" · ETA %1 s").arg(std::ceil(remaining)));
                    return JobStep::Continue;
                }
                Q_EMIT textRankingReady(context.id(), std::make_shared<const MethodTextRankings>(
                                                              ranking.rankings()));
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
