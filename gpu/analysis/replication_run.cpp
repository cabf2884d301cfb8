#include "gpu/analysis/replication_run.h"

#include "gpu/analysis/method_comparison.h"

#include <QDir>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>
#include <optional>

namespace gyrus::gpu {

namespace {

// The paired tests of the three claims: for each, a primary comparison (SAE features and the
// corrected formulas, where the seed made its headline claim) and secondary ones.
struct ClaimSpec
{
    int claim;
    bool primary;
    QString representationA;
    SelectionMethod methodA;
    QString versionA;
    QString representationB;
    SelectionMethod methodB;
    QString versionB;
};

std::vector<ClaimSpec> claimSpecs()
{
    const QString sae = QStringLiteral("sae");
    const QString raw = QStringLiteral("raw");
    const QString fixed = QStringLiteral("corrected");
    const QString seed = QStringLiteral("seed");
    return {
            {0, true, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, sae,
             SelectionMethod::MeanDifference, fixed},
            {1, true, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, raw,
             SelectionMethod::TemporalDiscriminativeRsa, fixed},
            {2, true, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, sae,
             SelectionMethod::TemporalCategoricalRsa, fixed},
            {0, false, raw, SelectionMethod::TemporalDiscriminativeRsa, fixed, raw,
             SelectionMethod::MeanDifference, fixed},
            {0, false, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, sae,
             SelectionMethod::SeedMaxActivation, fixed},
            {0, false, sae, SelectionMethod::FeatureSetRsa, fixed, sae,
             SelectionMethod::MeanDifference, fixed},
            {0, false, sae, SelectionMethod::SeedTemporalDiscriminativeRsa, seed, sae,
             SelectionMethod::SeedMaxActivation, seed},
            {1, false, sae, SelectionMethod::MeanDifference, fixed, raw,
             SelectionMethod::MeanDifference, fixed},
            {1, false, sae, SelectionMethod::SeedTemporalDiscriminativeRsa, seed, raw,
             SelectionMethod::SeedTemporalDiscriminativeRsa, seed},
            {2, false, raw, SelectionMethod::TemporalDiscriminativeRsa, fixed, raw,
             SelectionMethod::TemporalCategoricalRsa, fixed},
            {2, false, sae, SelectionMethod::SeedTemporalDiscriminativeRsa, seed, sae,
             SelectionMethod::SeedTemporalCategoricalRsa, seed},
    };
}

QString rowName(const QString &representation, SelectionMethod method, const QString &version)
{
    return QStringLiteral("%1/%2%3").arg(
            representation, nameOf(method),
            version == QLatin1String("seed") ? QStringLiteral(" (seed windows)") : QString());
}

std::vector<SelectionMethod> methodsOf(const ReplicationStage &stage)
{
    if (stage.version == QLatin1String("seed")) {
        return {SelectionMethod::SeedTemporalDiscriminativeRsa,
                SelectionMethod::SeedTemporalCategoricalRsa, SelectionMethod::SeedMaxActivation};
    }
    return {SelectionMethod::MeanDifference,
            SelectionMethod::SeedMaxActivation,
            SelectionMethod::Univariate,
            SelectionMethod::TemporalDiscriminativeRsa,
            SelectionMethod::TemporalCategoricalRsa,
            SelectionMethod::FeatureSetRsa};
}

// The claims' paired differences on the finished rows, Holm-adjusted per family.
Status testClaims(const std::vector<int64_t> &labels, ReplicationReport *report)
{
    const QStringList claims = claimNames();
    std::vector<double> primaryP;
    std::vector<double> secondaryP;
    for (const ClaimSpec &spec : claimSpecs()) {
        const ComparisonRow *a =
                findRow(report->rows, spec.representationA, spec.methodA, spec.versionA);
        const ComparisonRow *b =
                findRow(report->rows, spec.representationB, spec.methodB, spec.versionB);
        if (!a || !b) {
            return Status::internal(QStringLiteral("a claim's method is missing"));
        }
        Result<PairedDifference> difference =
                pairedDifference(a->score, b->score, labels, report->inputs.paired);
        if (!difference) {
            return difference.status();
        }
        ClaimTest test;
        test.claim = claims[spec.claim];
        test.a = rowName(spec.representationA, spec.methodA, spec.versionA);
        test.b = rowName(spec.representationB, spec.methodB, spec.versionB);
        test.difference = difference.value();
        test.primary = spec.primary;
        (spec.primary ? primaryP : secondaryP).push_back(test.difference.p);
        report->tests.push_back(test);
    }
    const std::vector<double> primaryHolm = holmAdjusted(primaryP);
    const std::vector<double> secondaryHolm = holmAdjusted(secondaryP);
    size_t primaryIndex = 0;
    size_t secondaryIndex = 0;
    for (ClaimTest &test : report->tests) {
        test.holmP = test.primary ? primaryHolm[primaryIndex++] : secondaryHolm[secondaryIndex++];
    }
    return Status::ok();
}

Status writeText(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    return Status::ok();
}

}  // namespace

struct ReplicationRun::State
{
    ReplicationReport report;
    TableSource source;
    std::vector<ReplicationStage> stages;
    size_t stage = 0;
    std::vector<int64_t> labels;  // the first table's; every other must keep the same items
    std::optional<ReplicationTable> table;
    std::optional<MethodComparisonRun> comparison;
    bool finished = false;
};

std::vector<ReplicationStage> ReplicationRun::stages(int window)
{
    const QString sae = QStringLiteral("sae");
    const QString raw = QStringLiteral("raw");
    const QString corrected = QStringLiteral("corrected");
    const QString seed = QStringLiteral("seed");
    const Pooling aligned = Pooling::Window;
    const Pooling leftFirst = Pooling::LegacyLeftFirst;
    return {{sae, corrected, aligned, window},
            {raw, corrected, aligned, window},
            {sae, seed, leftFirst, kSeedWindow},
            {raw, seed, leftFirst, kSeedWindow}};
}

ReplicationRun::ReplicationRun(ReplicationInputs inputs, TableSource source)
    : m_state(std::make_shared<State>())
{
    m_state->stages = stages(inputs.window);
    m_state->report.inputs = std::move(inputs);
    m_state->source = std::move(source);
}

Status ReplicationRun::step(int splits)
{
    State &s = *m_state;
    if (s.finished) {
        return Status::ok();
    }
    const ReplicationStage &stage = s.stages[s.stage];
    if (!s.comparison) {
        Result<ReplicationTable> table = s.source(stage);
        if (!table) {
            return table.status();
        }
        if (s.labels.empty()) {
            s.labels = table->labels;
        } else if (s.labels != table->labels) {
            return Status::invalidInput(
                    QStringLiteral("the %1 %2 window kept different items than the first table "
                                   "(items too short for it?)")
                            .arg(stage.version, stage.representation));
        }
        Result<MethodComparisonRun> run =
                table->windows.items > 0
                        ? MethodComparisonRun::create(table->windows, table->labels,
                                                      methodsOf(stage), s.report.inputs.options)
                        : MethodComparisonRun::create(table->x, table->labels, methodsOf(stage),
                                                      s.report.inputs.options);
        if (!run) {
            return run.status();
        }
        s.table = std::move(table).value();
        s.comparison = std::move(run).value();
        return Status::ok();
    }
    if (Status stepped = s.comparison->step(splits); !stepped.isOk()) {
        return stepped;
    }
    if (!s.comparison->isFinished()) {
        return Status::ok();
    }
    Result<std::vector<ComparisonRow>> rows =
            comparisonRows(s.comparison->scores(), s.table->x, s.table->windows, s.table->labels,
                           stage.representation, stage.version, s.report.inputs.options.k);
    if (!rows) {
        return rows.status();
    }
    s.report.rows.insert(s.report.rows.end(), rows->begin(), rows->end());
    s.comparison.reset();
    s.table.reset();
    if (++s.stage < s.stages.size()) {
        return Status::ok();
    }
    ReplicationInputs &in = s.report.inputs;
    in.itemsA = int(std::count(s.labels.begin(), s.labels.end(), 0));
    in.itemsB = int(std::count(s.labels.begin(), s.labels.end(), 1));
    if (Status tested = testClaims(s.labels, &s.report); !tested.isOk()) {
        return tested;
    }
    s.finished = true;
    return Status::ok();
}

bool ReplicationRun::isFinished() const
{
    return m_state->finished;
}

double ReplicationRun::fraction() const
{
    const State &s = *m_state;
    if (s.finished) {
        return 1.0;
    }
    double within = 0;
    if (s.comparison) {
        within = 0.1 + 0.9 * double(s.comparison->stepsDone()) /
                               double(std::max(1, s.comparison->totalSteps()));
    }
    return (double(s.stage) + within) / double(s.stages.size());
}

QString ReplicationRun::stageText() const
{
    const State &s = *m_state;
    if (s.finished) {
        return QStringLiteral("paired tests");
    }
    const ReplicationStage &stage = s.stages[s.stage];
    const QString head = QStringLiteral("stage %1 of %2 (%3 %4)")
                                 .arg(s.stage + 1)
                                 .arg(s.stages.size())
                                 .arg(stage.representation, stage.version);
    if (!s.comparison) {
        return head + QStringLiteral(": representations");
    }
    const MethodComparisonRun &run = *s.comparison;
    const int repeats = run.repeatCount();
    return run.inPermutations() ? head + QStringLiteral(": permutation null %1 / %2")
                                                  .arg(run.stepsDone() - repeats)
                                                  .arg(run.totalSteps() - repeats)
                                : head + QStringLiteral(": cross-validation %1 / %2")
                                                  .arg(run.stepsDone())
                                                  .arg(repeats);
}

const ReplicationReport &ReplicationRun::report() const
{
    return m_state->report;
}

ReplicationReport &ReplicationRun::report()
{
    return m_state->report;
}

Status writeReplicationReport(const QString &directory, const ReplicationReport &report)
{
    if (!QDir().mkpath(directory + QStringLiteral("/figures"))) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot create the directory").arg(directory));
    }
    for (const auto &[file, bytes] :
         {std::pair{QStringLiteral("report.html"), replicationHtml(report).toUtf8()},
          std::pair{QStringLiteral("report.json"),
                    QJsonDocument(replicationJson(report)).toJson(QJsonDocument::Indented)},
          std::pair{QStringLiteral("figures/accuracy.svg"),
                    accuracyFigureSvg(report.rows).toUtf8()},
          std::pair{QStringLiteral("figures/differences.svg"),
                    differencesFigureSvg(report.tests).toUtf8()}}) {
        if (Status written = writeText(directory + QLatin1Char('/') + file, bytes);
            !written.isOk()) {
            return written;
        }
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
