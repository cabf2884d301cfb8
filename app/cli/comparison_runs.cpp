#include "app/cli/comparison_runs.h"

#include <QElapsedTimer>

#include <cstdio>
#include <memory>

namespace gyrus::cli {

Result<std::vector<ComparisonRow>> runComparison(const FeatureTable &table,
                                                 const QString &representation,
                                                 const QString &version,
                                                 const std::vector<SelectionMethod> &methods,
                                                 const gpu::ComparisonOptions &options,
                                                 const std::function<bool(int, int)> &progress)
{
    const bool windows = table.windows.items > 0;
    Result<std::vector<MethodScore>> scores =
            windows ? gpu::compareSelectionMethods(table.windows, table.labels, methods, options,
                                                   progress)
                    : gpu::compareSelectionMethods(table.x, table.labels, methods, options,
                                                   progress);
    if (!scores) {
        return scores.status();
    }
    return gpu::comparisonRows(scores.value(), table.x, table.windows, table.labels, representation,
                               version, options.k);
}

std::function<bool(int, int)> stderrProgress(const QString &command, const QString &stage)
{
    auto clock = std::make_shared<QElapsedTimer>();
    auto sinceLine = std::make_shared<QElapsedTimer>();
    clock->start();
    sinceLine->start();
    return [=](int done, int total) {
        if (done < total && sinceLine->elapsed() < 1000) {
            return true;
        }
        sinceLine->restart();
        const double eta = double(clock->elapsed()) / 1000.0 / std::max(1, done) * (total - done);
        std::fprintf(stderr, "%s: %s: %d / %d splits, ETA %.0f s\n", qPrintable(command),
                     qPrintable(stage), done, total, eta);
        return true;
    };
}

}  // namespace gyrus::cli
