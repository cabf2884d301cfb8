// The Contrasts dock's replication report: the stepper `gyrus-cli replicate` drives
// (gpu/analysis/replication_run.h), run in slices on the engine thread with the loaded model and
// SAE, then written where the user chose.

#include "core/base/file_fingerprint.h"
#include "core/base/file_sha256.h"
#include "core/base/version.h"
#include "gpu/analysis/method_comparison.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/analysis/replication_run.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/stepped_job.h"
#include "gpu/engine/torch_engine_client.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>

#include <cmath>
#include <optional>

namespace gyrus::gpu {

namespace {

// Label 0 is level A (the concept's condition), as `gyrus-cli replicate` labels the factor's
// first level; items of other levels are left out.
Result<ReplicationTable> replicationTable(EngineState &state, const ReplicationRequest &request,
                                          const ReplicationStage &stage)
{
    const ContrastSource &source = request.source;
    const PromptFactor *factor = source.promptSet.factor(source.factor);
    if (!factor || source.levelA == source.levelB || !factor->levels.contains(source.levelA) ||
        !factor->levels.contains(source.levelB)) {
        return Status::invalidInput(
                QStringLiteral("%1: the replication needs two different levels of a factor")
                        .arg(source.promptSet.displayName()));
    }
    RepresentationOptions options;
    options.hookName = state.saeInfo.hookName;  // raw activations where the SAE reads
    options.pooling = stage.pooling;
    options.window = stage.window;
    if (stage.sae()) {
        options.sae = state.sae;
    }
    Result<PromptRepresentations> r =
            promptRepresentations(*state.model, source.promptSet, options);
    if (!r) {
        return r.status();
    }
    ReplicationTable table;
    table.x.cols = r->values.cols;
    const TemporalTable &all = r->patterns;
    table.windows.positions = all.positions;
    table.windows.features = all.features;
    const int64_t stride = all.positions * all.features;
    for (int row = 0; row < r->items.size(); ++row) {
        const QString level = source.promptSet.items[r->items[row]].levels.value(factor->name);
        if (level != source.levelA && level != source.levelB) {
            continue;
        }
        table.labels.push_back(level == source.levelA ? 0 : 1);
        table.x.values.insert(table.x.values.end(), r->values.values.begin() + row * r->values.cols,
                              r->values.values.begin() + (row + 1) * r->values.cols);
        ++table.x.rows;
        if (all.items > 0) {
            table.windows.values.insert(table.windows.values.end(),
                                        all.values.begin() + row * stride,
                                        all.values.begin() + (row + 1) * stride);
            table.windows.mask.insert(table.windows.mask.end(),
                                      all.mask.begin() + row * all.positions,
                                      all.mask.begin() + (row + 1) * all.positions);
            ++table.windows.items;
        }
    }
    return table;
}

// Paths and fingerprints, as the command line reports them.
Result<ReplicationInputs> replicationInputs(const EngineState &state,
                                            const ReplicationRequest &request)
{
    ReplicationInputs in;
    const ContrastSource &source = request.source;
    in.promptSet = source.promptSet.sourceFile.isEmpty()
                           ? source.promptSet.displayName()
                           : QFileInfo(source.promptSet.sourceFile).absoluteFilePath();
    if (!source.promptSet.sourceFile.isEmpty()) {
        in.promptSetSha256 = QString::fromLatin1(fileSha256(in.promptSet));
    }
    in.model = QFileInfo(state.modelCard.path).absoluteFilePath();
    in.sae = QFileInfo(state.saeInfo.path).absoluteFilePath();
    in.hook = state.saeInfo.hookName;
    for (auto [path, fingerprint] :
         {std::pair{in.model, &in.modelFingerprint}, std::pair{in.sae, &in.saeFingerprint}}) {
        Result<DirectoryFingerprint> print = fingerprintDirectory(path);
        if (!print) {
            return print.status();
        }
        *fingerprint = print->sha256;
    }
    in.factor = source.factor;
    in.levelA = source.levelA;
    in.levelB = source.levelB;
    in.window = request.window;
    in.options.k = request.k;
    in.options.folds = request.folds;
    in.options.repeats = request.repeats;
    in.options.permutations = request.permutations;
    in.options.seed = request.seed;
    in.paired.signFlips = request.signFlips;
    in.paired.bootstrap = request.bootstrap;
    in.paired.seed = request.seed;
    in.gyrusVersion = versionString();
    return in;
}

}  // namespace

RequestId TorchEngineClient::replicate(const ReplicationRequest &request)
{
    auto clock = std::make_shared<QElapsedTimer>();  // the report's seconds, from the start
    SteppedJob<ReplicationRun> job;
    job.name = QStringLiteral("replication report");
    job.during = QStringLiteral("the replication");
    job.start = [request, clock](EngineState &state) -> Result<std::unique_ptr<ReplicationRun>> {
        clock->start();
        if (request.outputDirectory.isEmpty()) {
            return Status::invalidInput(QStringLiteral("choose a directory for the report"));
        }
        Result<ReplicationInputs> inputs = replicationInputs(state, request);
        if (!inputs) {
            return inputs.status();
        }
        EngineState *engine = &state;
        return std::make_unique<ReplicationRun>(
                std::move(inputs).value(), [engine, request](const ReplicationStage &stage) {
                    return replicationTable(*engine, request, stage);
                });
    };
    // Slices of about 100 ms (a table is one slice), so other requests run between.
    job.step = [](ReplicationRun &replication) {
        QElapsedTimer slice;
        slice.start();
        do {
            if (Status stepped = replication.step(comparisonSplitsPerStep()); !stepped.isOk()) {
                return stepped;
            }
        } while (!replication.isFinished() && slice.elapsed() < 100);
        return Status::ok();
    };
    job.stage = [](const ReplicationRun &run) { return run.stageText(); };
    job.context = request.source.promptSet.displayName();
    job.startAlone = true;
    job.finish = [this, request, clock](ReplicationRun &replication, JobContext &context) {
        ReplicationReport &report = replication.report();
        report.inputs.seconds = double(clock->elapsed()) / 1000.0;
        report.inputs.date = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
        if (Status written = writeReplicationReport(request.outputDirectory, report);
            !written.isOk()) {
            return written;
        }
        ReplicationOutcome outcome;
        outcome.directory = request.outputDirectory;
        outcome.htmlPath = request.outputDirectory + QStringLiteral("/report.html");
        outcome.seconds = report.inputs.seconds;
        for (const ClaimTest &test : report.tests) {
            if (test.primary) {
                outcome.verdicts << QStringLiteral("%1: %2").arg(test.claim, claimVerdict(test));
            }
        }
        Q_EMIT replicationWritten(context.id(), outcome);
        return Status::ok();
    };
    return m_runner.submit(steppedJob(m_state, std::move(job)));
}

}  // namespace gyrus::gpu
