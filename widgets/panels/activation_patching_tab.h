#pragma once

#include "core/engine/engine_client.h"
#include "core/prompts/prompt_set.h"
#include "core/steering/patching_types.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QStandardItemModel;
class QTableView;

namespace gyrus {
class RequestTracker;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class PatchingMapGrid;

/// The Attribution dock's Patching tab: activation patching across the open prompt set's minimal
/// pairs (items that name a `pair` partner), a lesion study on the model. Each pair's source
/// activation at one site is copied into its partner's forward at every layer × position; the
/// map shows the mean fraction of the logit difference restored with its confidence interval
/// (PatchingMapGrid), and clicking a cell lists every pair's value there with its items. The
/// engine runs it in slices (gpu/analysis/activation_patching.h, the code of `gyrus-cli patch`):
/// progress with ETA, Cancel.
class ActivationPatchingTab : public QWidget
{
    Q_OBJECT
public:
    /// Patches the pairs of `session`'s open prompt set (null: a session of its own that
    /// follows `engine`).
    explicit ActivationPatchingTab(EngineClient *engine, SessionState *session = nullptr,
                                   QWidget *parent = nullptr);

    void run();
    void cancel();
    bool isRunning() const;

    PatchingOutcomePtr outcome() const { return m_outcome; }

    /// Lists the pairs at a map cell (what a click does).
    void showCell(int layer, int column);

    QComboBox *siteBox() const { return m_site; }

    /// The SAE features patched when the site is "SAE features" ("12, 40").
    QLineEdit *featuresEdit() const { return m_features; }

    QLineEdit *targetEdit() const { return m_target; }

    QLineEdit *versusEdit() const { return m_versus; }

    PatchingMapGrid *mapGrid() const { return m_grid; }

    /// The clicked cell's pairs: source, partner, token there, restored, clean and corrupted
    /// logit differences (numbers at full precision in Qt::UserRole).
    QStandardItemModel *pairModel() const { return m_pairs; }

    QString statusText() const;

    /// The settings (site, tokens) for the workspace, and back.
    QJsonObject state() const;
    void restoreState(const QJsonObject &state);

Q_SIGNALS:
    void patchingShown();
    /// The site or a token was edited.
    void settingsChanged();
    /// A request of this tab started or ended.
    void runningChanged();

private:
    void showPromptSet(const PromptSet &set);  // the pairs it offers
    void showOutcome(const PatchingOutcomePtr &outcome);
    void setStatus(const QString &text, bool error = false);
    void updateControls();
    bool patchesFeatures() const;
    std::optional<std::vector<int>> parsedFeatures() const;

    EngineClient *m_engine;
    QPointer<SessionState> m_session;
    RequestTracker *m_requests = nullptr;
    int m_pairCount = 0;
    PatchingOutcomePtr m_outcome;

    QLabel *m_setLabel;
    QComboBox *m_site;
    QLabel *m_featuresLabel;
    QLineEdit *m_features;
    QLineEdit *m_target;
    QLineEdit *m_versus;
    QPushButton *m_runButton;
    QPushButton *m_cancelButton;
    QProgressBar *m_progress;
    PatchingMapGrid *m_grid;
    QLabel *m_cellLabel;
    QStandardItemModel *m_pairs;
    QTableView *m_pairTable;
    QLabel *m_status;
};

}  // namespace gyrus::widgets
