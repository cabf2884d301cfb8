#pragma once

#include "core/engine/engine_client.h"
#include "core/prompts/prompt_set.h"
#include "widgets/panels/feature_search_box.h"

#include <QList>
#include <QPointer>
#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QTextBrowser;
class QToolButton;

namespace gyrus {
class ChatBackend;
class RequestTracker;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class ActivationHistogramPlot;
class CorpusScanForm;
class EmptyState;
class DetectionScoreBox;
class ExplanationBox;
class UserVisibleWork;

/// The Features dock: everything about the feature selected in the
/// SelectionHub, from the engine's corpus scan: top activating examples with the token
/// highlighted in context, examples per activation bin, the activation histogram, density and
/// maximum, logit effects, decoder-cosine neighbours (click one to select it), the user's label
/// and notes (written to the hub), and "Clamp" (adds the feature to the hub's clamp set at its
/// observed maximum). Offers a corpus scan with progress and cancel when the SAE has none.
/// "Search" opens FeatureSearchBox above it: features by label, examples, boosted token, firing
/// on a token, or decoder similarity to the open prompt set's concept vector.
class FeatureInspectorPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session` is what the dock observes (the loaded SAE, the open prompt set); null: one of
    /// its own that follows `engine`.
    FeatureInspectorPanel(EngineClient *engine, SelectionHub *hub, SessionState *session = nullptr,
                          QWidget *parent = nullptr);
    ~FeatureInspectorPanel() override;

    /// What the panel shows now.
    enum class View
    {
        NoSae,        ///< no SAE loaded
        NoScan,       ///< the SAE has no corpus scan: the scan form (also while scanning)
        NoSelection,  ///< a scan, but no feature selected
        Details,      ///< a feature's details (or the request for them in flight)
        Error,        ///< the last details request failed (e.g. out of range)
    };

    View view() const { return m_view; }

    /// The language model that explains features (null: none configured; Explain stays off).
    void setExplainer(ChatBackend *backend);

    ExplanationBox *explanationBox() const { return m_explanationBox; }

    /// "Score label": detection scoring of the shown label, stored beside it.
    DetectionScoreBox *detectionScoreBox() const { return m_scoreBox; }

    /// The corpus the scan form offers first (the bundled held-out text in the app).
    void setDefaultCorpus(const QString &path);

    /// When the loaded SAE has no saved scan, start one of `tokens` tokens at once (< 0: wait for
    /// the user; the default). For --scan-tokens and screenshots.
    void setAutoScanTokens(qint64 tokens) { m_autoScanTokens = tokens; }

    /// The folder scans are saved in and looked up first (empty: defaultCorpusScanDirectory()).
    /// Scans shipped inside an SAE's directory are found too but never written there.
    void setScanDirectory(const QString &directory);
    QString scanDirectory() const;

    /// When a scan arrives and no feature is selected, select the scan's densest feature once
    /// (a first start: the dock shows a feature, not a hint). Off by default.
    void setOpenFeatureWhenScanned(bool open) { m_openWhenScanned = open; }

    /// Starts a scan of the form's corpus with `tokenBudget` tokens (< 0: the form's value).
    void startScan(qint64 tokenBudget = -1);

    /// The feature whose details are on screen (-1 when none).
    int shownFeature() const;

    FeatureDetailsPtr details() const { return m_details; }

    bool canGoBack() const { return !m_back.isEmpty(); }

    bool canGoForward() const { return !m_forward.isEmpty(); }

    void goBack();
    void goForward();

    CorpusScanForm *scanForm() const { return m_scanForm; }

    ActivationHistogramPlot *histogram() const { return m_histogram.get(); }

    /// The neighbours table (feature in column 0).
    QTableView *neighboursView() const { return m_neighbours; }

    QLineEdit *labelEdit() const { return m_label; }

    /// Where the label came from (an accepted suggestion's explainer, prompt, examples); hidden
    /// for a hand-written label.
    QLabel *labelProvenance() const { return m_provenance; }

    QPlainTextEdit *notesEdit() const { return m_notes; }

    QPushButton *clampButton() const { return m_clamp; }

    QSpinBox *featureSpin() const { return m_featureSpin; }

    QTextBrowser *topExamplesView() const { return m_topExamples; }

    QString errorText() const;

    /// Shows or hides the search box (the header's Search button).
    void showSearch(bool shown);
    /// Opens the search box and searches features by `criterion` with `text`.
    void search(FeatureSearchBox::Criterion criterion, const QString &text);
    /// The feature in row `row` of the search results as listed; -1 when there is none.
    int searchHit(int row) const;
    /// Selects that result and its feature everywhere, as clicking it does.
    void openSearchHit(int row);

Q_SIGNALS:
    /// setOpenFeatureWhenScanned() selected `feature` (before the hub announces it).
    void featureOpenedFromScan(int feature);
    /// A feature's details were put on screen (the app waits for it before a screenshot).
    void detailsShown(int feature);
    /// A search's results were put on screen.
    void searchResultsShown();
    /// The user chose another folder for corpus scans (the app remembers it).
    void scanDirectoryChanged(const QString &directory);

private:
    void buildDetailsPage();
    void onSaeLoaded(const SaeInfo &info);
    void onFeatureSelected(int feature, const QString &source);
    void onScanReady(const CorpusScanSummary &summary);
    void onDetails(const FeatureDetailsPtr &details);
    void requestDetails();  // for m_requestedFeature, once the dock is seen
    void startDetails();
    void showDetails(const FeatureDetails &details);
    void showAnnotation();
    void writeAnnotation();
    void updateClampButton();
    void setView(View view);
    void noSavedScan(const QString &message);
    /// Loads the next of m_savedScans; noSavedScan() when none is left.
    void loadNextSavedScan(const QString &lastFailure);
    void selectFromPanel(int feature);

    EngineClient *m_engine;
    SelectionHub *m_hub;
    QPointer<SessionState> m_session;
    View m_view = View::NoSae;
    SaeInfo m_sae;
    bool m_hasScan = false;
    CorpusScanSummary m_scan;

    enum Slot
    {
        LoadScan,
        Scan,
        Details,
    };

    RequestTracker *m_requests;
    UserVisibleWork *m_detailsWork;
    int m_requestedFeature = -1;
    qint64 m_autoScanTokens = -1;
    bool m_openWhenScanned = false;
    QToolButton *m_export = nullptr;
    QStringList m_savedScans;  ///< saved scans of the loaded SAE not tried yet, best first
    FeatureDetailsPtr m_details;
    QList<int> m_back;     // features seen before the current one, most recent last
    QList<int> m_forward;  // features left by "back", most recent last
    bool m_navigating = false;
    bool m_showingAnnotation = false;

    QToolButton *m_backButton;
    QToolButton *m_forwardButton;
    QSpinBox *m_featureSpin;
    QPushButton *m_clamp;
    QToolButton *m_searchToggle;
    FeatureSearchBox *m_search;
    QWidget *m_header;
    QStackedWidget *m_stack;
    EmptyState *m_noSae;
    EmptyState *m_noSelection;
    EmptyState *m_error;
    CorpusScanForm *m_scanForm;
    QWidget *m_detailsPage;
    QLineEdit *m_label;
    QLabel *m_stats;
    QLabel *m_provenance = nullptr;
    QToolButton *m_forgetProvenance = nullptr;
    // Not a QObject: owned here (its plot widget belongs to the details page).
    std::unique_ptr<ActivationHistogramPlot> m_histogram;
    QTabWidget *m_tabs;
    QTextBrowser *m_topExamples;
    QTextBrowser *m_binExamples;
    QStandardItemModel *m_boostedModel;
    QStandardItemModel *m_suppressedModel;
    QStandardItemModel *m_neighbourModel;
    QTableView *m_neighbours;
    QPlainTextEdit *m_notes;
    ExplanationBox *m_explanationBox = nullptr;
    DetectionScoreBox *m_scoreBox = nullptr;
};

}  // namespace gyrus::widgets
