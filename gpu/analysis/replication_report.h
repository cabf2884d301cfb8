#pragma once
// The replication report of the original project's three claims (seed_pipeline.md §12.1):
// numbers, figures (SVG, also inlined into one self-contained HTML file), the methods in words
// and the provenance of every input. Plain Qt Core: the figures are written as SVG text.

#include "gpu/analysis/method_claims.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace gyrus::gpu {

struct ReplicationInputs
{
    QString promptSet;
    QString promptSetSha256;
    QString model;
    QString modelFingerprint;
    QString sae;
    QString saeFingerprint;
    QString hook;
    QString factor;
    QString levelA;  ///< label 0: the concept's condition
    QString levelB;
    int itemsA = 0;
    int itemsB = 0;
    int window = 0;
    ComparisonOptions options;
    PairedOptions paired;
    QString gyrusVersion;
    QString date;
    double seconds = 0;
};

struct ReplicationReport
{
    ReplicationInputs inputs;
    std::vector<ComparisonRow> rows;
    std::vector<ClaimTest> tests;
    QStringList notes;
};

/// The three claims, numbered, in words.
QStringList claimNames();

/// "supported", "contradicted" or "not supported" for the primary test of each claim.
QString claimVerdict(const ClaimTest &primary);

QString accuracyFigureSvg(const std::vector<ComparisonRow> &rows);
QString differencesFigureSvg(const std::vector<ClaimTest> &tests);
QString replicationHtml(const ReplicationReport &report);
QJsonObject replicationJson(const ReplicationReport &report);

}  // namespace gyrus::gpu
