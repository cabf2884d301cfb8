#include "widgets/panels/activation_patching_tab.h"

#include "core/engine/request_tracker.h"
#include "core/features/token_display.h"
#include "core/prompts/minimal_pairs.h"
#include "core/session/session_state.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/icons.h"
#include "widgets/common/status_line.h"
#include "widgets/views/patching_map_grid.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace gyrus::widgets {

namespace {

enum Slot
{
    PatchSlot,
};

QStandardItem *numberItem(double value, int decimals = 3)
{
    auto *item = new QStandardItem(QString::number(value, 'f', decimals));
    item->setData(value, Qt::UserRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

}  // namespace

ActivationPatchingTab::ActivationPatchingTab(EngineClient *engine, SessionState *session,
                                             QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_session(sessionOrFollowing(session, engine, this))
{
    auto *help = new QLabel(
            tr("Activation patching across the open prompt set's minimal pairs: each pair's "
               "source activation is copied into its partner's forward at one layer and "
               "position (site SAE features: the chosen features' contribution at the SAE's "
               "hook), and the map shows how much of the pair's logit difference that "
               "restores (mean over pairs; 1 = the partner now behaves like the source)."),
            this);
    help->setWordWrap(true);
    help->setForegroundRole(QPalette::PlaceholderText);
    m_setLabel = new QLabel(this);
    m_setLabel->setWordWrap(true);

    m_site = new QComboBox(this);
    for (const QString &site :
         {QStringLiteral("resid_pre"), QStringLiteral("resid_mid"), QStringLiteral("resid_post"),
          QStringLiteral("attn_out"), QStringLiteral("mlp_out")}) {
        m_site->addItem(site, site);
    }
    m_site->addItem(tr("SAE features"), QStringLiteral("sae_features"));
    m_site->setToolTip(
            tr("The activation patched at every layer (blocks.L.hook_<site>), or the "
               "chosen SAE features' contribution at the SAE's hook"));
    m_features = new QLineEdit(this);
    m_features->setMinimumWidth(m_features->fontMetrics().horizontalAdvance(QStringLiteral("M")) *
                                8);
    m_features->setPlaceholderText(tr("e.g. 12, 40"));
    m_features->setToolTip(
            tr("The SAE features patched (activation × decoder row, the reconstruction error "
               "and the other features left as the partner's): the map's rows are each "
               "feature alone, then all of them together"));
    m_target = new QLineEdit(this);
    m_target->setMinimumWidth(m_target->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 8);
    m_target->setPlaceholderText(tr("source's top token"));
    m_target->setToolTip(
            tr("logit(target) − logit(versus) at the last position; both empty: "
               "each pair's own top next tokens"));
    m_versus = new QLineEdit(this);
    m_versus->setMinimumWidth(m_target->minimumWidth());
    m_versus->setPlaceholderText(tr("partner's top token"));
    m_versus->setToolTip(m_target->toolTip());
    m_runButton = new QPushButton(uiIcon(QStringLiteral("start")), tr("Patch"), this);
    connect(m_runButton, &QPushButton::clicked, this, &ActivationPatchingTab::run);
    m_cancelButton = new QPushButton(uiIcon(QStringLiteral("cancel")), tr("Cancel"), this);
    connect(m_cancelButton, &QPushButton::clicked, this, &ActivationPatchingTab::cancel);
    // Groups that reflow into more lines when the dock is narrow.
    auto *settings = new FlowLayout(nullptr, 8, 3);
    settings->addGroup({new QLabel(tr("Site"), this), m_site});
    m_featuresLabel = new QLabel(tr("Features"), this);
    settings->addGroup({m_featuresLabel, m_features});
    settings->addGroup({new QLabel(tr("Target"), this), m_target});
    settings->addGroup({new QLabel(tr("minus"), this), m_versus});
    settings->addGroup({m_runButton, m_cancelButton});
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(6);

    connect(m_site, &QComboBox::currentIndexChanged, this, &ActivationPatchingTab::settingsChanged);
    connect(m_site, &QComboBox::currentIndexChanged, this, &ActivationPatchingTab::updateControls);
    for (QLineEdit *edit : {m_target, m_versus, m_features}) {
        connect(edit, &QLineEdit::textChanged, this, &ActivationPatchingTab::settingsChanged);
    }

    m_grid = new PatchingMapGrid(this);
    connect(m_grid, &PatchingMapGrid::cellPicked, this, &ActivationPatchingTab::showCell);
    m_cellLabel = new QLabel(tr("Click a cell to list its pairs."), this);
    m_cellLabel->setWordWrap(true);
    m_pairs = new QStandardItemModel(this);
    m_pairTable = new QTableView(this);
    m_pairTable->setModel(m_pairs);
    m_pairTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_pairTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_pairTable->verticalHeader()->hide();
    m_pairTable->horizontalHeader()->setStretchLastSection(true);
    m_pairTable->setSortingEnabled(true);
    auto *pairsBox = new QWidget(this);
    auto *pairsLayout = new QVBoxLayout(pairsBox);
    pairsLayout->setContentsMargins(0, 0, 0, 0);
    pairsLayout->addWidget(m_cellLabel);
    pairsLayout->addWidget(m_pairTable, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_grid);
    split->addWidget(pairsBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setForegroundRole(QPalette::PlaceholderText);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(help);
    layout->addWidget(m_setLabel);
    layout->addLayout(settings);
    layout->addWidget(m_progress);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);

    if (m_engine) {
        m_requests = new RequestTracker(m_engine, this);
        connect(m_requests, &RequestTracker::runningChanged, this, [this] {
            updateControls();
            Q_EMIT runningChanged();
        });
        m_requests->onResult(PatchSlot, &EngineClient::patchingReady,
                             [this](const PatchingOutcomePtr &outcome) { showOutcome(outcome); });
        m_requests->onProgress(PatchSlot, [this](const JobProgress &progress) {
            if (progress.fraction >= 0) {
                m_progress->setValue(int(std::lround(progress.fraction * 100)));
            }
            setStatus(tr("Patching: %1").arg(progress.message));
        });
        m_requests->onFinished(PatchSlot, [this](const Status &status) {
            if (status.code() == Status::Code::Cancelled) {
                setStatus(tr("Patching cancelled."));
            } else if (!status.isOk()) {
                setStatus(tr("Patching: %1").arg(status.message()), true);
            } else {
                m_progress->setValue(100);
            }
            updateControls();
        });
    }
    showPromptSet(m_session->promptSet());
    connect(m_session, &SessionState::promptSetChanged, this,
            &ActivationPatchingTab::showPromptSet);
}

void ActivationPatchingTab::showPromptSet(const PromptSet &set)
{
    m_pairCount = 0;
    if (set.items.isEmpty()) {
        m_setLabel->setText(
                tr("No prompt set is open: open one with minimal pairs in the "
                   "Prompt sets dock (e.g. demo-agreement)."));
    } else if (Result<QList<MinimalPair>> pairs = minimalPairs(set); !pairs) {
        m_setLabel->setText(pairs.status().message());
    } else {
        m_pairCount = int(pairs->size());
        m_setLabel->setText(tr("%1: %2 minimal pairs").arg(set.displayName()).arg(m_pairCount));
    }
    updateControls();
}

void ActivationPatchingTab::run()
{
    if (!m_requests) {
        return;
    }
    PatchingRequest request;
    request.set = m_session->promptSet();
    if (patchesFeatures()) {
        const std::optional<std::vector<int>> features = parsedFeatures();
        if (!features) {
            setStatus(tr("Features: give SAE feature numbers separated by commas (e.g. 12, 40)."),
                      true);
            return;
        }
        request.options.features = *features;
    } else {
        request.options.site = m_site->currentData().toString();
    }
    request.targetToken = m_target->text();
    request.versusToken = m_versus->text();
    m_progress->setValue(0);
    setStatus(tr("Patching…"));
    m_requests->start(PatchSlot, m_engine->patchMinimalPairs(request));
    updateControls();
}

void ActivationPatchingTab::cancel()
{
    if (m_requests) {
        m_requests->cancel(PatchSlot);
    }
}

bool ActivationPatchingTab::isRunning() const
{
    return m_requests && m_requests->isRunning(PatchSlot);
}

void ActivationPatchingTab::showOutcome(const PatchingOutcomePtr &outcome)
{
    m_outcome = outcome;
    m_grid->setOutcome(outcome);
    m_pairs->clear();
    const PatchingResult &result = outcome->result;
    const bool features = !result.map.features.empty();
    QString text =
            (features
                     ? tr("%1 pairs, SAE features patched at %2, %3 rows × %4 positions "
                          "(lined up at the %5).")
                     : tr("%1 pairs patched at %2, %3 layers × %4 positions (lined up at the %5)."))
                    .arg(result.pairs.size())
                    .arg(features ? result.map.saeHook : result.map.site)
                    .arg(result.map.hooks.size())
                    .arg(result.map.positions)
                    .arg(result.map.alignEnd ? tr("last token") : tr("first token"));
    if (!result.skipped.empty()) {
        text += QLatin1Char(' ') +
                tr("%1 skipped: %2").arg(result.skipped.size()).arg(result.skipped.front().reason);
    }
    setStatus(text);
    // Open on the cell that restores most, so the list is never empty after a run.
    int bestRow = -1;
    int bestColumn = -1;
    double best = -INFINITY;
    for (size_t r = 0; r < result.map.mean.size(); ++r) {
        for (size_t c = 0; c < result.map.mean[r].size(); ++c) {
            const double value = result.map.mean[r][c];
            if (result.map.count[r][c] > 0 && std::isfinite(value) && value > best) {
                best = value;
                bestRow = int(r);
                bestColumn = int(c);
            }
        }
    }
    if (bestRow >= 0) {
        showCell(bestRow, bestColumn);
        m_grid->setCurrentIndex(m_grid->gridModel()->index(bestRow, bestColumn));
    }
    Q_EMIT patchingShown();
}

void ActivationPatchingTab::showCell(int layer, int column)
{
    m_pairs->clear();
    m_pairs->setHorizontalHeaderLabels({tr("Source"), tr("Partner"), tr("Token"), tr("Restored"),
                                        tr("Clean LD"), tr("Corrupted LD"), tr("Target − versus"),
                                        tr("Texts")});
    if (!m_outcome) {
        return;
    }
    const PatchingResult &result = m_outcome->result;
    if (layer < 0 || layer >= int(result.map.mean.size()) || column < 0 ||
        column >= result.map.positions) {
        return;
    }
    m_pairTable->setSortingEnabled(false);
    for (const PairPatching &pair : result.pairs) {
        const int position = result.map.position(pair, column);
        if (position < 0) {
            continue;
        }
        const QString source = m_outcome->itemIds.value(pair.pair.source);
        const QString partner = m_outcome->itemIds.value(pair.pair.partner);
        QList<QStandardItem *> row;
        row << new QStandardItem(source) << new QStandardItem(partner);
        row << new QStandardItem(QStringLiteral("%1 %2").arg(position).arg(
                visibleToken(m_outcome->piece(pair.partnerTokens[size_t(position)]))));
        row << numberItem(pair.restored[size_t(layer)][size_t(position)]);
        row << numberItem(pair.clean) << numberItem(pair.corrupted);
        row << new QStandardItem(QStringLiteral("“%1” − “%2”")
                                         .arg(visibleToken(m_outcome->piece(pair.token)),
                                              visibleToken(m_outcome->piece(pair.versus))));
        row << new QStandardItem(
                QStringLiteral("%1 → %2").arg(m_outcome->itemTexts.value(pair.pair.source),
                                              m_outcome->itemTexts.value(pair.pair.partner)));
        m_pairs->appendRow(row);
    }
    m_pairTable->setSortingEnabled(true);
    m_pairTable->resizeColumnsToContents();
    const double mean = result.map.mean[size_t(layer)][size_t(column)];
    const QString columnName = m_grid->gridModel()->horizontalHeaderItem(column)
                                       ? m_grid->gridModel()->horizontalHeaderItem(column)->text()
                                       : QString::number(column);
    m_cellLabel->setText(
            tr("%1, position %2: %3 pairs, mean restored %4 (%5% CI %6 to %7)")
                    .arg(PatchingMapGrid::rowName(result.map.hooks.value(layer)), columnName)
                    .arg(m_pairs->rowCount())
                    .arg(mean, 0, 'f', 3)
                    .arg(int(std::lround(result.map.confidence * 100)))
                    .arg(result.map.low[size_t(layer)][size_t(column)], 0, 'f', 3)
                    .arg(result.map.high[size_t(layer)][size_t(column)], 0, 'f', 3));
}

QString ActivationPatchingTab::statusText() const
{
    return m_status->text();
}

QJsonObject ActivationPatchingTab::state() const
{
    return QJsonObject{{QStringLiteral("site"), m_site->currentData().toString()},
                       {QStringLiteral("features"), m_features->text()},
                       {QStringLiteral("target"), m_target->text()},
                       {QStringLiteral("versus"), m_versus->text()}};
}

void ActivationPatchingTab::restoreState(const QJsonObject &state)
{
    const int site = m_site->findData(
            state.value(QStringLiteral("site")).toString(QStringLiteral("resid_pre")));
    if (site >= 0) {
        m_site->setCurrentIndex(site);
    }
    m_features->setText(state.value(QStringLiteral("features")).toString());
    m_target->setText(state.value(QStringLiteral("target")).toString());
    m_versus->setText(state.value(QStringLiteral("versus")).toString());
}

void ActivationPatchingTab::setStatus(const QString &text, bool error)
{
    showStatusLine(m_status, text, error);
}

bool ActivationPatchingTab::patchesFeatures() const
{
    return m_site->currentData().toString() == QLatin1String("sae_features");
}

std::optional<std::vector<int>> ActivationPatchingTab::parsedFeatures() const
{
    std::vector<int> out;
    for (const QString &part : m_features->text().split(
                 QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int feature = part.toInt(&ok);
        if (!ok || feature < 0) {
            return std::nullopt;
        }
        out.push_back(feature);
    }
    if (out.empty()) {
        return std::nullopt;
    }
    return out;
}

void ActivationPatchingTab::updateControls()
{
    const bool running = isRunning();
    m_featuresLabel->setVisible(patchesFeatures());
    m_features->setVisible(patchesFeatures());
    m_runButton->setEnabled(m_engine && m_pairCount > 0 && !running);
    m_cancelButton->setEnabled(running);
}

}  // namespace gyrus::widgets
