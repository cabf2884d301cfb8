#include "widgets/panels/feature_inspector_panel.h"

#include "core/base/table_export.h"
#include "core/engine/request_tracker.h"
#include "core/features/corpus_scan_path.h"
#include "core/features/token_display.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "widgets/common/empty_state.h"
#include "widgets/common/export_button.h"
#include "widgets/common/export_tables.h"
#include "widgets/common/icons.h"
#include "widgets/panels/detection_score_box.h"
#include "widgets/panels/feature_search_box.h"
#include "widgets/panels/user_visible_work.h"
#include "widgets/views/activation_histogram_plot.h"
#include "widgets/views/corpus_scan_form.h"
#include "widgets/views/explanation_box.h"
#include "widgets/views/feature_example_html.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtNumeric>
#include <qcustomplot.h>

namespace gyrus::widgets {

namespace {

const QString kSource = QStringLiteral("inspector");

QTableView *makeTable(QStandardItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setShowGrid(false);
    view->setAlternatingRowColors(true);
    return view;
}

QStandardItem *numberItem(double value, const QString &text)
{
    auto *item = new QStandardItem(text);
    item->setData(value, Qt::UserRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

// "Suggested by <explainer> (gyrus-explain-v1, 10 top + 6 quantile examples, <time>): <desc>";
// empty for a hand-written label. "Edited" when the label is no longer the suggestion.
QString labelProvenanceText(const FeatureAnnotation &annotation)
{
    const QJsonObject &e = annotation.explanation;
    if (e.isEmpty()) {
        return QString();
    }
    const bool edited = annotation.label != e.value(QStringLiteral("label")).toString();
    const QString description = e.value(QStringLiteral("description")).toString();
    return QObject::tr("%1 by %2 (%3, %4 top + %5 quantile examples, %6)%7")
            .arg(edited ? QObject::tr("Label edited from \"%1\", suggested")
                                  .arg(e.value(QStringLiteral("label")).toString())
                        : QObject::tr("Label suggested"),
                 e.value(QStringLiteral("explainer")).toString(),
                 e.value(QStringLiteral("prompt_version")).toString())
            .arg(e.value(QStringLiteral("top_examples_used")).toInt())
            .arg(e.value(QStringLiteral("bin_examples_used")).toInt())
            .arg(e.value(QStringLiteral("created_utc")).toString())
            .arg(description.isEmpty() ? QString() : QStringLiteral(": ") + description);
}

QTextBrowser *makeExampleBrowser(QWidget *parent)
{
    auto *browser = new QTextBrowser(parent);
    browser->setOpenLinks(false);
    browser->setFrameShape(QFrame::NoFrame);
    return browser;
}

}  // namespace

FeatureInspectorPanel::~FeatureInspectorPanel() = default;

FeatureInspectorPanel::FeatureInspectorPanel(EngineClient *engine, SelectionHub *hub,
                                             SessionState *session, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_requests(new RequestTracker(engine, this))
    , m_detailsWork(new UserVisibleWork(this, [this] { startDetails(); }))
    , m_backButton(new QToolButton(this))
    , m_forwardButton(new QToolButton(this))
    , m_featureSpin(new QSpinBox(this))
    , m_clamp(new QPushButton(tr("Clamp"), this))
    , m_searchToggle(new QToolButton(this))
    , m_search(new FeatureSearchBox(engine, hub, m_session, this))
    , m_header(new QWidget(this))
    , m_stack(new QStackedWidget(this))
    , m_noSae(new EmptyState(tr("No SAE loaded"),
                             tr("Load a sparse autoencoder in the Model dock (the demo SAE loads "
                                "with the demo model) to inspect its features here."),
                             this))
    , m_noSelection(new EmptyState(tr("No feature selected"),
                                   tr("Select a feature in the token heatmap, a contrast or any "
                                      "feature list, or type its number above."),
                                   this))
    , m_error(new EmptyState(tr("Cannot show this feature"), QString(), this))
    , m_scanForm(new CorpusScanForm(this))
    , m_detailsPage(new QWidget(this))
    , m_label(new QLineEdit(this))
{
    setObjectName(QStringLiteral("featureInspector"));
    m_backButton->setArrowType(Qt::LeftArrow);
    m_backButton->setToolTip(tr("Previous feature"));
    m_backButton->setObjectName(QStringLiteral("inspector.back"));
    m_forwardButton->setArrowType(Qt::RightArrow);
    m_forwardButton->setToolTip(tr("Next feature"));
    m_forwardButton->setObjectName(QStringLiteral("inspector.forward"));
    m_featureSpin->setObjectName(QStringLiteral("inspector.feature"));
    m_featureSpin->setPrefix(tr("Feature "));
    m_featureSpin->setKeyboardTracking(false);
    m_featureSpin->setToolTip(tr("Type a feature number to jump to it"));
    m_label->setObjectName(QStringLiteral("inspector.label"));
    m_label->setPlaceholderText(tr("Label this feature…"));
    m_label->setToolTip(tr("Your name for this feature, saved in the workspace"));
    m_clamp->setObjectName(QStringLiteral("inspector.clamp"));

    auto *headerLayout = new QHBoxLayout(m_header);
    headerLayout->setContentsMargins(0, 0, 0, 0);
    headerLayout->addWidget(m_backButton);
    headerLayout->addWidget(m_forwardButton);
    headerLayout->addWidget(m_featureSpin);
    headerLayout->addWidget(m_label, 1);
    headerLayout->addWidget(m_clamp);
    headerLayout->addWidget(m_searchToggle);
    // An icon, not "Search": the header must fit the dock's width on a 1366 px screen.
    m_searchToggle->setIcon(uiIcon(QStringLiteral("search")));
    m_searchToggle->setText(tr("Search"));
    m_searchToggle->setToolButtonStyle(Qt::ToolButtonIconOnly);
    m_searchToggle->setCheckable(true);
    m_searchToggle->setObjectName(QStringLiteral("inspector.search"));
    m_searchToggle->setToolTip(
            tr("Search features: by label, examples, a boosted token, a token they fire on, "
               "or the open prompt set's concept vector"));
    connect(m_searchToggle, &QToolButton::toggled, this, &FeatureInspectorPanel::showSearch);
    m_search->hide();

    buildDetailsPage();
    m_stack->addWidget(m_noSae);
    m_scanForm->setDefaultScanDirectory(defaultCorpusScanDirectory());
    m_stack->addWidget(m_scanForm);
    m_stack->addWidget(m_noSelection);
    m_stack->addWidget(m_detailsPage);
    m_stack->addWidget(m_error);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_header);
    layout->addWidget(m_search);
    layout->addWidget(m_stack, 1);

    connect(m_backButton, &QToolButton::clicked, this, &FeatureInspectorPanel::goBack);
    connect(m_forwardButton, &QToolButton::clicked, this, &FeatureInspectorPanel::goForward);
    connect(m_featureSpin, qOverload<int>(&QSpinBox::valueChanged), this,
            &FeatureInspectorPanel::selectFromPanel);
    connect(m_label, &QLineEdit::textEdited, this, &FeatureInspectorPanel::writeAnnotation);
    connect(m_notes, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_showingAnnotation) {
            writeAnnotation();
        }
    });
    connect(m_clamp, &QPushButton::clicked, this, [this] {
        if (!m_details || m_details->feature != m_requestedFeature) {
            return;
        }
        FeatureClamp clamp;
        clamp.feature = m_details->feature;
        clamp.mode = ClampMode::Clamp;
        clamp.value = m_details->maxActivation;
        m_hub->addClamp(clamp);
    });
    connect(m_neighbours, &QTableView::activated, this, [this](const QModelIndex &index) {
        selectFromPanel(m_neighbourModel->item(index.row(), 0)->data(Qt::UserRole).toInt());
    });
    connect(m_neighbours, &QTableView::clicked, this, [this](const QModelIndex &index) {
        selectFromPanel(m_neighbourModel->item(index.row(), 0)->data(Qt::UserRole).toInt());
    });
    connect(m_scanForm, &CorpusScanForm::scanDirectoryChanged, this,
            &FeatureInspectorPanel::scanDirectoryChanged);
    connect(m_search, &FeatureSearchBox::resultsShown, this,
            &FeatureInspectorPanel::searchResultsShown);
    connect(m_scanForm, &CorpusScanForm::scanRequested, this,
            [this](const QString &, qint64 tokens) { startScan(tokens); });
    connect(m_scanForm, &CorpusScanForm::cancelRequested, this,
            [this] { m_requests->cancel(Scan); });

    connect(m_hub, &SelectionHub::featureSelected, this, &FeatureInspectorPanel::onFeatureSelected);
    connect(m_hub, &SelectionHub::annotationChanged, this, [this](int feature) {
        if (feature < 0 || feature == m_requestedFeature) {
            showAnnotation();
        }
        if (m_details) {
            // Neighbours show their labels.
            for (int row = 0; row < m_neighbourModel->rowCount(); ++row) {
                const int f = m_neighbourModel->item(row, 0)->data(Qt::UserRole).toInt();
                m_neighbourModel->item(row, 1)->setText(m_hub->annotation(f).label);
            }
        }
    });
    connect(m_hub, &SelectionHub::clampSetChanged, this, &FeatureInspectorPanel::updateClampButton);

    connect(m_session, &SessionState::saeChanged, this,
            [this](const SaeInfo &info) { onSaeLoaded(info); });
    for (Slot slot : {LoadScan, Scan}) {
        m_requests->onResult(slot, &EngineClient::corpusScanReady,
                             [this](const CorpusScanSummary &summary) { onScanReady(summary); });
    }
    m_requests->onResult(Details, &EngineClient::featureDetailsReady,
                         [this](const FeatureDetailsPtr &details) { onDetails(details); });
    m_requests->onProgress(Scan, [this](const JobProgress &progress) {
        m_scanForm->setProgress(progress.fraction, progress.message);
    });
    m_requests->onFinished(LoadScan, [this](const Status &status) {
        if (!status.isOk()) {
            loadNextSavedScan(status.message());  // e.g. made for other SAE weights, or damaged
        }
    });
    m_requests->onFinished(Scan, [this](const Status &status) {
        m_scanForm->setRunning(false);
        if (status.code() == Status::Code::Cancelled) {
            m_scanForm->setMessage(tr("Scan cancelled."));
        } else if (!status.isOk()) {
            m_scanForm->setMessage(tr("Scan failed: %1").arg(status.message()));
        }
    });
    m_requests->onFinished(Details, [this](const Status &status) {
        if (status.isOk() || status.code() == Status::Code::Cancelled) {
            return;
        }
        if (status.code() == Status::Code::NotFound) {
            m_hasScan = false;
            setView(View::NoScan);
        } else {
            m_error->setExplanation(status.message());
            setView(View::Error);
        }
    });

    m_requestedFeature = m_hub->selectedFeature();
    if (m_session->hasSae()) {
        onSaeLoaded(m_session->sae());
    } else {
        setView(View::NoSae);
    }
}

void FeatureInspectorPanel::buildDetailsPage()
{
    m_explanationBox = new ExplanationBox(m_detailsPage);
    connect(m_explanationBox, &ExplanationBox::accepted, this,
            [this](int feature, const QString &label, const QJsonObject &provenance) {
                // Like a hand-written label, with where it came from stored beside it.
                FeatureAnnotation annotation = m_hub->annotation(feature);
                annotation.label = label;
                annotation.explanation = provenance;
                m_hub->setAnnotation(feature, annotation);
            });
    m_scoreBox = new DetectionScoreBox(m_engine, m_detailsPage);
    connect(m_scoreBox, &DetectionScoreBox::scored, this,
            [this](int feature, const QJsonObject &score) {
                // Kept with the label it scored, in the workspace's annotations.
                FeatureAnnotation annotation = m_hub->annotation(feature);
                annotation.detection = score;
                m_hub->setAnnotation(feature, annotation);
            });
    m_stats = new QLabel(m_detailsPage);
    m_stats->setObjectName(QStringLiteral("inspector.stats"));
    m_stats->setWordWrap(true);
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_histogram = std::make_unique<ActivationHistogramPlot>(m_detailsPage);
    m_histogram->widget()->setObjectName(QStringLiteral("inspector.histogram"));
    m_histogram->widget()->setFixedHeight(130);

    m_topExamples = makeExampleBrowser(m_detailsPage);
    m_topExamples->setObjectName(QStringLiteral("inspector.topExamples"));
    m_binExamples = makeExampleBrowser(m_detailsPage);
    m_binExamples->setObjectName(QStringLiteral("inspector.binExamples"));

    m_boostedModel = new QStandardItemModel(0, 2, this);
    m_boostedModel->setHorizontalHeaderLabels({tr("Boosts"), tr("Logit")});
    m_suppressedModel = new QStandardItemModel(0, 2, this);
    m_suppressedModel->setHorizontalHeaderLabels({tr("Suppresses"), tr("Logit")});
    auto *logits = new QWidget(m_detailsPage);
    auto *logitLayout = new QHBoxLayout(logits);
    logitLayout->setContentsMargins(0, 0, 0, 0);
    for (QStandardItemModel *model : {m_boostedModel, m_suppressedModel}) {
        QTableView *table = makeTable(model, logits);
        table->setObjectName(model == m_boostedModel ? QStringLiteral("inspector.boosted")
                                                     : QStringLiteral("inspector.suppressed"));
        table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
        table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
        logitLayout->addWidget(table);
    }

    m_neighbourModel = new QStandardItemModel(0, 3, this);
    m_neighbourModel->setHorizontalHeaderLabels({tr("Feature"), tr("Label"), tr("Cosine")});
    m_neighbours = makeTable(m_neighbourModel, m_detailsPage);
    m_neighbours->setObjectName(QStringLiteral("inspector.neighbours"));
    m_neighbours->setToolTip(
            tr("Features whose decoder directions point the same way; click "
               "one to inspect it"));
    m_neighbours->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_neighbours->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_neighbours->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_neighbours->setCursor(Qt::PointingHandCursor);

    m_notes = new QPlainTextEdit(m_detailsPage);
    m_notes->setObjectName(QStringLiteral("inspector.notes"));
    m_notes->setPlaceholderText(tr("Notes on this feature (saved in the workspace)…"));

    m_tabs = new QTabWidget(m_detailsPage);
    m_tabs->setObjectName(QStringLiteral("inspector.tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_topExamples, tr("Top"));
    m_tabs->setTabToolTip(0, tr("The tokens where the feature is strongest, in context"));
    m_tabs->addTab(m_binExamples, tr("By strength"));
    m_tabs->setTabToolTip(1, tr("Examples drawn from each activation range of the histogram"));
    m_tabs->addTab(logits, tr("Logits"));
    m_tabs->setTabToolTip(2, tr("Next tokens its decoder direction promotes and suppresses"));
    m_tabs->addTab(m_neighbours, tr("Similar"));
    m_tabs->addTab(m_notes, tr("Notes"));
    auto detailsTable = [this](auto makeTable) {
        return [this, makeTable](const QString &path) {
            return m_details ? writeTable(*makeTable(*m_details), path)
                             : Status::invalidInput(QStringLiteral("no feature shown"));
        };
    };
    const auto examples = detailsTable(examplesTable);
    const auto logitEffects = detailsTable(logitTable);
    m_export = makeExportButton(
            m_detailsPage,
            {{{tr("Examples as CSV…"), QStringLiteral("csv"), examples},
              {tr("Examples as HDF5…"), QStringLiteral("h5"), examples},
              {tr("Logit effects as CSV…"), QStringLiteral("csv"), logitEffects},
              {tr("Logit effects as HDF5…"), QStringLiteral("h5"), logitEffects}},
             tableExportChoices(m_neighbourModel, Qt::UserRole, tr("Similar features")),
             plotExportChoices(m_histogram->widget(), QSize(640, 300), tr("Histogram"))},
            [this] { return QStringLiteral("feature-%1").arg(m_details ? m_details->feature : 0); },
            [this](const Status &status, const QString &) {
                if (!status.isOk()) {  // the user asked for the file: say why there is none
                    QMessageBox::warning(this, tr("Export"), status.message());
                }
            });
    m_export->setObjectName(QStringLiteral("inspector.export"));
    m_export->setToolTip(
            tr("The feature's examples, logit effects or similar features as data "
               "(CSV, HDF5), or its histogram as a figure"));
    m_tabs->setCornerWidget(m_export, Qt::TopRightCorner);

    auto *layout = new QVBoxLayout(m_detailsPage);
    layout->setContentsMargins(0, 0, 0, 0);
    m_provenance = new QLabel(m_detailsPage);
    m_provenance->setObjectName(QStringLiteral("inspector.labelProvenance"));
    m_provenance->setWordWrap(true);
    m_provenance->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_provenance->setVisible(false);
    m_forgetProvenance = new QToolButton(m_detailsPage);
    m_forgetProvenance->setObjectName(QStringLiteral("inspector.rejectLabel"));
    m_forgetProvenance->setText(tr("Reject"));
    m_forgetProvenance->setToolTip(
            tr("Reject the suggested label: clears the label and where it came from (your notes "
               "stay)"));
    m_forgetProvenance->setVisible(false);
    connect(m_forgetProvenance, &QToolButton::clicked, this, [this] {
        if (m_requestedFeature < 0) {
            return;
        }
        FeatureAnnotation annotation = m_hub->annotation(m_requestedFeature);
        annotation.label.clear();
        annotation.explanation = QJsonObject();
        annotation.detection = QJsonObject();  // it scored the label that is gone
        m_hub->setAnnotation(m_requestedFeature, annotation);
    });
    auto *provenanceRow = new QHBoxLayout;
    provenanceRow->setContentsMargins(0, 0, 0, 0);
    provenanceRow->addWidget(m_provenance, 1);
    provenanceRow->addWidget(m_forgetProvenance, 0, Qt::AlignTop);
    layout->addWidget(m_stats);
    layout->addLayout(provenanceRow);
    layout->addWidget(m_explanationBox);
    layout->addWidget(m_scoreBox);
    layout->addWidget(m_histogram->widget());
    layout->addWidget(m_tabs, 1);
}

void FeatureInspectorPanel::setExplainer(ChatBackend *backend)
{
    m_explanationBox->setBackend(backend);
    m_scoreBox->setBackend(backend);
}

void FeatureInspectorPanel::setDefaultCorpus(const QString &path)
{
    if (m_scanForm->corpusPath().isEmpty()) {
        m_scanForm->setCorpusPath(path);
    }
}

void FeatureInspectorPanel::startScan(qint64 tokenBudget)
{
    if (m_sae.path.isEmpty() || m_requests->isRunning(Scan)) {
        return;
    }
    CorpusScanRequest request;
    request.corpusPath = m_scanForm->corpusPath();
    if (request.corpusPath.isEmpty()) {
        m_scanForm->setMessage(tr("Choose a corpus file to scan."));
        return;
    }
    request.tokenBudget = tokenBudget >= 0 ? tokenBudget : m_scanForm->tokenBudget();
    request.savePath = corpusScanPath(m_sae, scanDirectory());
    if (request.savePath.isEmpty()) {
        m_scanForm->setMessage(
                tr("Cannot read the SAE's files at %1 to name its scan.").arg(m_sae.path));
        return;
    }
    m_scanForm->setRunning(true);
    m_requests->start(Scan, m_engine->scanCorpus(request));
    setView(View::NoScan);
}

int FeatureInspectorPanel::shownFeature() const
{
    return m_view == View::Details && m_details ? m_details->feature : -1;
}

QString FeatureInspectorPanel::errorText() const
{
    return m_error->explanation();
}

void FeatureInspectorPanel::goBack()
{
    if (m_back.isEmpty()) {
        return;
    }
    const int feature = m_back.takeLast();
    if (m_requestedFeature >= 0) {
        m_forward.append(m_requestedFeature);
    }
    m_navigating = true;
    m_hub->selectFeature(feature, kSource);
    m_navigating = false;
}

void FeatureInspectorPanel::goForward()
{
    if (m_forward.isEmpty()) {
        return;
    }
    const int feature = m_forward.takeLast();
    if (m_requestedFeature >= 0) {
        m_back.append(m_requestedFeature);
    }
    m_navigating = true;
    m_hub->selectFeature(feature, kSource);
    m_navigating = false;
}

void FeatureInspectorPanel::selectFromPanel(int feature)
{
    m_hub->selectFeature(feature, kSource);
}

void FeatureInspectorPanel::onSaeLoaded(const SaeInfo &info)
{
    m_sae = info;
    m_hasScan = false;
    m_scan = CorpusScanSummary();
    m_details.reset();
    m_explanationBox->setFeature(nullptr);
    m_back.clear();
    m_forward.clear();
    m_requests->start(Details, 0);  // details of the old SAE are no use
    {
        const QSignalBlocker block(m_featureSpin);
        m_featureSpin->setRange(0, static_cast<int>(qMax<int64_t>(0, info.dSae - 1)));
        m_featureSpin->setValue(qMax(0, m_requestedFeature));
    }
    setView(View::NoScan);
    // A workspace restores the selected feature before its SAE: the label field opens now.
    showAnnotation();
    // Stat the files here rather than ask the engine, so a first start logs no failed request.
    m_savedScans = existingCorpusScans(info, scanDirectory());
    loadNextSavedScan(QString());
}

void FeatureInspectorPanel::loadNextSavedScan(const QString &lastFailure)
{
    if (m_savedScans.isEmpty()) {
        noSavedScan(lastFailure);
        return;
    }
    m_scanForm->setMessage(tr("Loading the saved scan…"));
    m_requests->start(LoadScan, m_engine->loadCorpusScan(m_savedScans.takeFirst()));
}

void FeatureInspectorPanel::setScanDirectory(const QString &directory)
{
    m_scanForm->setScanDirectory(directory);
}

QString FeatureInspectorPanel::scanDirectory() const
{
    return m_scanForm->scanDirectory();
}

void FeatureInspectorPanel::noSavedScan(const QString &message)
{
    m_scanForm->setMessage(message);
    if (m_autoScanTokens >= 0) {
        startScan(m_autoScanTokens);
    }
}

void FeatureInspectorPanel::onFeatureSelected(int feature, const QString &)
{
    if (!m_navigating && m_requestedFeature >= 0 && feature != m_requestedFeature) {
        m_back.append(m_requestedFeature);
        m_forward.clear();
    }
    m_requestedFeature = feature;
    if (feature >= 0) {
        const QSignalBlocker block(m_featureSpin);
        m_featureSpin->setValue(feature);
    }
    showAnnotation();
    updateClampButton();
    m_backButton->setEnabled(canGoBack());
    m_forwardButton->setEnabled(canGoForward());
    if (m_sae.path.isEmpty()) {
        setView(View::NoSae);
    } else if (!m_hasScan) {
        setView(View::NoScan);
    } else if (feature < 0) {
        setView(View::NoSelection);
    } else {
        requestDetails();
    }
}

void FeatureInspectorPanel::requestDetails()
{
    // Only while the dock is seen: a hidden inspector asks when it is shown again.
    m_detailsWork->request();
}

void FeatureInspectorPanel::startDetails()
{
    if (m_requestedFeature < 0 || !m_hasScan) {
        return;
    }
    m_requests->start(Details, m_engine->featureDetails(m_requestedFeature));
    if (m_view != View::Details) {
        setView(View::Details);  // the previous content stays until the new one arrives
    }
}

void FeatureInspectorPanel::onScanReady(const CorpusScanSummary &summary)
{
    m_hasScan = true;
    m_scan = summary;
    m_scanForm->setMessage(QString());
    if (m_openWhenScanned && m_requestedFeature < 0 && summary.densestFeature >= 0) {
        m_openWhenScanned = false;
        Q_EMIT featureOpenedFromScan(summary.densestFeature);
        m_hub->selectFeature(summary.densestFeature, kSource);  // requests its details
        return;
    }
    if (m_requestedFeature >= 0) {
        requestDetails();
    } else {
        setView(View::NoSelection);
    }
}

void FeatureInspectorPanel::onDetails(const FeatureDetailsPtr &details)
{
    if (!details) {
        return;
    }
    m_details = details;
    m_explanationBox->setFeature(details);
    m_scoreBox->setFeature(details, m_scan.features > 0 ? m_scan.features : m_sae.dSae);
    showDetails(*details);
    setView(View::Details);
    Q_EMIT detailsShown(details->feature);
}

void FeatureInspectorPanel::showDetails(const FeatureDetails &d)
{
    const QString corpus = QFileInfo(d.corpusPath).fileName();
    if (d.maxActivation > 0) {
        m_stats->setText(tr("Density <b>%1%</b> · max activation <b>%2</b> · %3 tokens scanned")
                                 .arg(formatActivation(100.0 * d.density),
                                      formatActivation(d.maxActivation),
                                      QLocale().toString(d.scannedTokens)));
    } else {
        m_stats->setText(tr("Never active on the %L1 scanned tokens of %2: a dead feature, or "
                            "one this corpus does not reach.")
                                 .arg(d.scannedTokens)
                                 .arg(corpus.toHtmlEscaped()));
    }
    m_stats->setToolTip(tr("Scanned corpus: %1").arg(d.corpusPath));
    m_histogram->setHistogram(d.histogram, d.histogramLog10Low, d.histogramLog10High);

    const QPalette palette = this->palette();
    const QColor accent = palette.color(QPalette::Highlight);
    const QColor background = palette.color(QPalette::Base);
    m_topExamples->setHtml(d.top.isEmpty()
                                   ? tr("<i>No activating tokens in the scan.</i>")
                                   : exampleRowsHtml(d.top, d.maxActivation, accent, background));
    const QString bins = binExamplesHtml(d.bins, d.maxActivation, accent, background);
    m_binExamples->setHtml(bins.isEmpty() ? tr("<i>No activating tokens in the scan.</i>") : bins);

    auto fillTokens = [](QStandardItemModel *model, const QList<TokenEffect> &effects) {
        model->removeRows(0, model->rowCount());
        for (const TokenEffect &e : effects) {
            auto *token = new QStandardItem(visibleToken(e.token));
            token->setToolTip(QStringLiteral("token id %1").arg(e.id));
            model->appendRow({token, numberItem(e.logit, formatActivation(e.logit))});
        }
    };
    fillTokens(m_boostedModel, d.boosted);
    fillTokens(m_suppressedModel, d.suppressed);

    m_neighbourModel->removeRows(0, m_neighbourModel->rowCount());
    for (const NeighbourFeature &n : d.neighbours) {
        auto *feature = new QStandardItem(QString::number(n.feature));
        feature->setData(n.feature, Qt::UserRole);
        m_neighbourModel->appendRow({feature, new QStandardItem(m_hub->annotation(n.feature).label),
                                     numberItem(n.cosine, QString::number(n.cosine, 'f', 3))});
    }
    updateClampButton();
}

void FeatureInspectorPanel::showAnnotation()
{
    const FeatureAnnotation annotation =
            m_requestedFeature >= 0 ? m_hub->annotation(m_requestedFeature) : FeatureAnnotation();
    m_showingAnnotation = true;
    if (m_label->text() != annotation.label) {
        m_label->setText(annotation.label);
    }
    if (m_notes->toPlainText() != annotation.notes) {
        m_notes->setPlainText(annotation.notes);
    }
    m_showingAnnotation = false;
    m_label->setEnabled(m_requestedFeature >= 0 && !m_sae.path.isEmpty());
    m_notes->setEnabled(m_requestedFeature >= 0);
    m_provenance->setText(labelProvenanceText(annotation));
    m_provenance->setVisible(!m_provenance->text().isEmpty());
    m_forgetProvenance->setVisible(!annotation.explanation.isEmpty());
    // A suggestion's description goes to the judge with its label, unless the label was edited.
    const QJsonObject &e = annotation.explanation;
    const bool suggested =
            !e.isEmpty() && e.value(QStringLiteral("label")).toString() == annotation.label;
    m_scoreBox->setLabel(annotation.label,
                         suggested ? e.value(QStringLiteral("description")).toString() : QString(),
                         annotation.detection);
}

void FeatureInspectorPanel::writeAnnotation()
{
    if (m_requestedFeature < 0 || m_showingAnnotation) {
        return;
    }
    m_showingAnnotation = true;  // the hub's annotationChanged must not rewrite what we type
    // A suggestion's provenance stays when the label is typed over (it then reads "edited").
    m_hub->setAnnotation(m_requestedFeature,
                         FeatureAnnotation{m_label->text(), m_notes->toPlainText(),
                                           m_hub->annotation(m_requestedFeature).explanation,
                                           m_hub->annotation(m_requestedFeature).detection});
    m_showingAnnotation = false;
}

void FeatureInspectorPanel::updateClampButton()
{
    const bool ready = m_details && m_details->feature == m_requestedFeature &&
                       m_details->maxActivation > 0 && m_view == View::Details;
    m_clamp->setEnabled(ready);
    const bool clamped =
            m_requestedFeature >= 0 && m_hub->clampSet().indexOf(m_requestedFeature) >= 0;
    m_clamp->setText(clamped ? tr("Clamped ✓") : tr("Clamp"));
    m_clamp->setToolTip(
            ready ? tr("Add feature %1 to the clamp set, clamped at its observed maximum %2 "
                       "(adjust it in the Steering dock)")
                            .arg(m_details->feature)
                            .arg(formatActivation(m_details->maxActivation))
                  : tr("Select a feature with a scan to clamp it"));
}

void FeatureInspectorPanel::setView(View view)
{
    m_view = view;
    switch (view) {
        case View::NoSae:
            m_stack->setCurrentWidget(m_noSae);
            break;
        case View::NoScan:
            m_stack->setCurrentWidget(m_scanForm);
            break;
        case View::NoSelection:
            m_stack->setCurrentWidget(m_noSelection);
            break;
        case View::Details:
            m_stack->setCurrentWidget(m_detailsPage);
            break;
        case View::Error:
            m_stack->setCurrentWidget(m_error);
            break;
    }
    m_header->setVisible(view != View::NoSae);
    m_search->setVisible(view != View::NoSae && m_searchToggle->isChecked());
    m_backButton->setEnabled(canGoBack());
    m_forwardButton->setEnabled(canGoForward());
    updateClampButton();
}

void FeatureInspectorPanel::showSearch(bool shown)
{
    m_search->setVisible(shown);
    if (m_searchToggle->isChecked() != shown) {
        m_searchToggle->setChecked(shown);
    }
}

void FeatureInspectorPanel::search(FeatureSearchBox::Criterion criterion, const QString &text)
{
    showSearch(true);
    m_search->setCriterion(criterion);
    m_search->setText(text);
    m_search->search();
}

int FeatureInspectorPanel::searchHit(int row) const
{
    return m_search->resultFeature(row);
}

void FeatureInspectorPanel::openSearchHit(int row)
{
    m_search->openResult(row);
}

}  // namespace gyrus::widgets
