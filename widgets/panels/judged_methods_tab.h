#pragma once

#include "core/llm/method_judging.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTableView;
class QToolButton;

namespace gyrus {
class ChatBackend;
class ChatJob;
class EngineClient;
class RequestTracker;
}  // namespace gyrus

namespace gyrus::widgets {

class ContrastSettingsForm;

/// The Contrasts dock's "Judged relevance" tab: the original study's LLM-judged comparison of
/// feature-finding methods, what `gyrus-cli judge-methods` computes. Stage 1 (the engine, the
/// CLI's stepper): for raw activations at the SAE's hook and the SAE's features, each method's k
/// features on the form's prompt set and levels (A: the concept), their classifier, and the
/// held-out corpus lines it ranks highest. Stage 2 (the configured judge): each distinct line
/// rated for relevance to the concept (0-3, temperature 0, fixed seed, repeats) beside a random
/// draw of as many lines. Then per representation × method the mean rating with its 95 % CI,
/// Mann-Whitney U and permutation p against the random lines, and Kruskal-Wallis H with its
/// permutation p over all methods. Progress, ETA and Cancel in both stages; a cancelled or
/// failed run keeps the previous result.
class JudgedMethodsTab : public QWidget
{
    Q_OBJECT
public:
    JudgedMethodsTab(EngineClient *engine, ContrastSettingsForm *form, QWidget *parent = nullptr);
    ~JudgedMethodsTab() override;

    /// The judge (null: none configured; Run stays off). Not owned.
    void setBackend(ChatBackend *backend);

    /// The run's settings (what the form does not hold).
    struct Settings
    {
        QString corpusPath;
        QString concept;  ///< empty: level A's name
        QString methods = QStringLiteral("mean-difference,univariate,pooled-separation-r");
        int k = 8;
        int top = 15;
        int permutations = 9999;
        JudgeOptions judge;
    };

    void setSettings(const Settings &settings);
    Settings settings() const;

    void run();
    void cancel();

    bool isRunning() const { return m_running; }

    std::shared_ptr<const MethodJudgement> result() const { return m_result; }

    /// Shows a saved result (the workspace) without running anything.
    void showResult(std::shared_ptr<const MethodJudgement> result);
    void clearResult();

    /// The numbers table (one row per representation × method, then the random baseline) and
    /// the rated lines, as CSV or HDF5 by the suffix.
    Status exportNumbers(const QString &path) const;
    Status exportTexts(const QString &path) const;

    QTableView *numbersView() const { return m_numbers; }

    QTableView *textsView() const { return m_texts; }

    QPushButton *runButton() const { return m_run; }

    QPushButton *cancelButton() const { return m_cancel; }

    QProgressBar *progressBar() const { return m_progress; }

    QString statusText() const;
    QString summaryText() const;

Q_SIGNALS:
    void resultShown();
    /// Every run ends here (Ok, Cancelled or why it failed).
    void finishedRun(const gyrus::Status &status);

private:
    void onRankings(const MethodTextRankingsPtr &rankings);
    void onAnswers(const Status &status);
    void finish(const Status &status, const QString &message);
    void showTexts(int row);
    void updateButtons();

    EngineClient *m_engine;
    ContrastSettingsForm *m_form;
    RequestTracker *m_requests;
    QPointer<ChatBackend> m_backend;
    std::shared_ptr<const MethodJudgement> m_result;

    bool m_running = false;
    Settings m_active;  ///< the settings of the run in progress
    QStringList m_corpus;
    MethodTextRankings m_rankings;
    QList<int> m_baseline;
    QList<int> m_rated;
    RelevancePlan m_plan;
    QPointer<ChatJob> m_job;

    QLineEdit *m_concept;
    QLineEdit *m_corpusPath;
    QToolButton *m_browse;
    QLineEdit *m_methods;
    QSpinBox *m_k;
    QSpinBox *m_top;
    QSpinBox *m_repeats;
    QSpinBox *m_permutations;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QToolButton *m_export;
    QProgressBar *m_progress;
    QLabel *m_status;
    QLabel *m_summary;
    QStandardItemModel *m_numbersModel;
    QStandardItemModel *m_textsModel;
    QTableView *m_numbers;
    QTableView *m_texts;
};

}  // namespace gyrus::widgets
