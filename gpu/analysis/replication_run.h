#pragma once
// The replication of the original project's three claims as a stepper (docs/replication.md):
// four tables ({SAE, raw} × {corrected aligned windows, the seed's left-first windows}), a
// cross-validated method comparison on each, then the claims as paired differences. Each step()
// is one bounded piece (one table, or a few splits of a comparison), so the engine runs it in
// slices with progress and cancel and `gyrus-cli replicate` drives the same class to the end.
// Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "gpu/analysis/replication_report.h"
#include "gpu/analysis/temporal_rsa.h"

#include <functional>
#include <memory>
#include <vector>

namespace gyrus::gpu {

/// One of the four tables: which representation, which version of windows and formulas, and
/// the pooling and window its representations are computed with.
struct ReplicationStage
{
    QString representation;             ///< "sae" or "raw"
    QString version;                    ///< "corrected" or "seed"
    Pooling pooling = Pooling::Window;  ///< Window or LegacyLeftFirst
    int window = 0;

    bool sae() const { return representation == QLatin1String("sae"); }
};

/// A stage's items: window means, the aligned windows, and labels (0: the concept's condition,
/// the factor's first level).
struct ReplicationTable
{
    FloatMatrix x;
    TemporalTable windows;
    std::vector<int64_t> labels;
};

class ReplicationRun
{
public:
    /// Computes a stage's table (runs the model); called once per stage, from step().
    using TableSource = std::function<Result<ReplicationTable>(const ReplicationStage &)>;

    /// The four stages in the order they run: the corrected windows of `window` positions on
    /// SAE features and raw activations, then the seed's windows (kSeedWindow) likewise.
    static std::vector<ReplicationStage> stages(int window);

    /// `inputs` carries the options (cross-validation, paired tests) and the provenance the
    /// report prints; items, verdicts and rows are filled in by the run.
    ReplicationRun(ReplicationInputs inputs, TableSource source);

    /// One piece: the next stage's table, or up to `splits` splits of its comparison; after the
    /// last stage, the paired tests. Errors end the run.
    Status step(int splits = 1);

    bool isFinished() const;

    /// 0 … 1 over the whole run (a table counts as a tenth of its stage).
    double fraction() const;

    /// "stage 2 of 4 (raw corrected): cross-validation 3 / 10", for progress lines.
    QString stageText() const;

    /// The report, complete once isFinished() (its seconds and date are the caller's to set).
    const ReplicationReport &report() const;
    ReplicationReport &report();

private:
    struct State;
    std::shared_ptr<State> m_state;
};

/// Writes DIR/report.html (figures inlined), DIR/report.json and DIR/figures/*.svg.
Status writeReplicationReport(const QString &directory, const ReplicationReport &report);

}  // namespace gyrus::gpu
