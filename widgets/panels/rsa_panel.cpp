#include "widgets/panels/rsa_panel.h"

#include "core/engine/request_tracker.h"
#include "core/rsa/rdm_csv.h"
#include "core/rsa/rdm_hdf5.h"
#include "core/rsa/rsa_result_hdf5.h"
#include "core/rsa/rsa_statistics_model.h"
#include "core/session/result_archive.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/icons.h"
#include "widgets/common/vocabulary_combo.h"
#include "widgets/panels/user_visible_work.h"
#include "widgets/views/mds_scatter_view.h"
#include "widgets/views/rdm_heatmap_view.h"
#include "widgets/views/rsa_figure_export.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextDocumentFragment>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace gyrus::widgets {

namespace {

QString number(double value, int digits = 3)
{
    return RsaStatisticsModel::formatNumber(value, digits);
}

QString pValue(double p)
{
    return RsaStatisticsModel::formatP(p);
}

QString clampCount(const ClampSet &set)
{
    int enabled = 0;
    for (const FeatureClamp &clamp : set.clamps) {
        enabled += clamp.enabled ? 1 : 0;
    }
    return enabled == 1 ? QStringLiteral("1 clamp") : QStringLiteral("%1 clamps").arg(enabled);
}

QComboBox *comboOf(QWidget *parent, const QList<std::pair<QString, QString>> &entries,
                   const QString &tip)
{
    auto *box = new ElidingComboBox(parent);
    for (const auto &[label, data] : entries) {
        box->addItem(label, data);
    }
    box->setToolTip(tip);
    return box;
}

}  // namespace

RsaPanel::RsaPanel(EngineClient *engine, SelectionHub *hub, SessionState *session, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_recompute(new QTimer(this))
{
    m_recompute->setSingleShot(true);
    m_recompute->setInterval(300);
    // A clamp edit recomputes the RDM only while the dock is seen (QGIS isUserVisible).
    auto *recompute = new UserVisibleWork(this, [this] { compute(); });
    connect(m_recompute, &QTimer::timeout, recompute, &UserVisibleWork::request);
    buildControls();

    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);

    // RDM: the measured matrix beside a model's, statistics below.
    auto *rdmPage = new QWidget(m_tabs);
    auto *rdmLayout = new QVBoxLayout(rdmPage);
    rdmLayout->setContentsMargins(4, 4, 4, 4);
    auto *pair = new QSplitter(Qt::Horizontal, rdmPage);
    m_rdmView = new RdmHeatmapView(pair);
    auto *modelSide = new QWidget(pair);
    auto *modelLayout = new QVBoxLayout(modelSide);
    modelLayout->setContentsMargins(0, 0, 0, 0);
    m_modelChoice = new ElidingComboBox(modelSide);
    m_modelChoice->setObjectName(QStringLiteral("rsa.model"));
    m_modelChoice->setToolTip(
            tr("Which model RDM to show (a categorical model per factor, and "
               "the interaction for 2 × 2 designs)"));
    m_modelView = new RdmHeatmapView(modelSide);
    modelLayout->addWidget(m_modelChoice);
    modelLayout->addWidget(m_modelView, 1);
    pair->addWidget(m_rdmView);
    pair->addWidget(modelSide);
    pair->setStretchFactor(0, 1);
    pair->setStretchFactor(1, 1);
    pair->setSizes({1000, 1000});  // the two matrices at the same scale, cell for cell
    m_statisticsModel = new RsaStatisticsModel(this);
    m_statistics = new QTableView(rdmPage);
    m_statistics->setModel(m_statisticsModel);
    m_statistics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_statistics->setSelectionMode(QAbstractItemView::NoSelection);
    m_statistics->verticalHeader()->hide();
    m_statistics->horizontalHeader()->setStretchLastSection(false);
    m_statistics->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_statistics->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_statistics->setMaximumHeight(110);
    rdmLayout->addWidget(pair, 1);
    rdmLayout->addWidget(m_statistics);
    m_tabs->addTab(rdmPage, tr("RDM"));

    m_mdsView = new MdsScatterView(m_tabs);
    m_tabs->addTab(m_mdsView, tr("MDS"));

    auto *interventionPage = new QWidget(m_tabs);
    auto *interventionLayout = new QVBoxLayout(interventionPage);
    interventionLayout->setContentsMargins(4, 4, 4, 4);
    m_interventionSummary = new QLabel(interventionPage);
    m_interventionSummary->setWordWrap(true);
    m_interventionSummary->setTextFormat(Qt::RichText);
    auto *clampPair = new QSplitter(Qt::Horizontal, interventionPage);
    m_clampedView = new RdmHeatmapView(clampPair);
    m_differenceView = new RdmHeatmapView(clampPair);
    clampPair->addWidget(m_clampedView);
    clampPair->addWidget(m_differenceView);
    clampPair->setSizes({1000, 1000});
    interventionLayout->addWidget(m_interventionSummary);
    interventionLayout->addWidget(clampPair, 1);
    m_tabs->addTab(interventionPage, tr("Intervention"));

    auto *layout = qobject_cast<QVBoxLayout *>(this->layout());
    layout->addWidget(m_tabs, 1);

    connect(m_modelChoice, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { showModel(); });
    if (m_engine) {
        m_requests = new RequestTracker(m_engine, this);
        m_requests->onResult(
                0, &EngineClient::rsaComputed,
                [this](const std::shared_ptr<const RsaResult> &result) { onResult(result); });
        m_requests->onFinished(0, [this](const Status &status) { onFinished(status); });
        m_requests->onProgress(0, [this](const JobProgress &progress) {
            m_progress->setValue(int(std::lround(progress.fraction * 100)));
            setStatus(progress.message);
        });
    }
    if (m_hub) {
        connect(m_hub, &SelectionHub::clampSetChanged, this, [this] {
            updateControls();
            if (m_computedOnce &&
                (m_intervention->isChecked() ||
                 m_subset->currentData().toString() == QLatin1String("explicit"))) {
                m_recompute->start();
            }
        });
    }
    // The session's prompt set, model hooks and SAE, now and at each change; a new model or
    // SAE may make the shown result out of date.
    setPromptSet(m_session->promptSet());
    connect(m_session, &SessionState::promptSetChanged, this, &RsaPanel::setPromptSet);
    if (m_session->hasModel()) {
        setHookNames(m_session->model().hookNames);
    }
    if (m_session->hasSae()) {
        setSae(m_session->sae());
    }
    connect(m_session, &SessionState::modelChanged, this, [this](const ModelInfo &model) {
        setHookNames(model.hookNames);
        updateStale();
    });
    connect(m_session, &SessionState::saeChanged, this, [this](const SaeInfo &sae) {
        setSae(sae);
        updateStale();
    });
    updateControls();
}

RsaPanel::~RsaPanel() = default;

void RsaPanel::buildControls()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 4);
    layout->setSpacing(4);
    m_setLabel = new QLabel(this);
    m_setLabel->setTextFormat(Qt::RichText);
    m_setLabel->setWordWrap(true);
    layout->addWidget(m_setLabel);

    auto label = [this](const QString &text) { return new QLabel(text, this); };

    m_hook = new ElidingComboBox(this);
    m_hook->setToolTip(tr("Hook point whose activations are compared (TransformerLens name)"));
    m_representation = comboOf(this,
                               {{tr("Raw activations"), QStringLiteral("raw")},
                                {tr("SAE features"), QStringLiteral("sae")}},
                               tr("The hook's d_model dimensions, or the loaded SAE's features "
                                  "at its hook"));
    m_pooling = comboOf(this, {},
                        tr("How an item's tokens become one vector (BOS excluded); the target "
                           "window uses each item's target span"));
    addChoices(m_pooling, {Pooling::Mean, Pooling::LastToken, Pooling::TargetWindow});
    m_metric = comboOf(this, {},
                       tr("Dissimilarity between two items' vectors (1 − r for correlation)"));
    addChoices(m_metric, {RdmMetric::Correlation, RdmMetric::Cosine, RdmMetric::Euclidean,
                          RdmMetric::SquaredEuclidean});
    m_subset = comboOf(this,
                       {{tr("All features"), QStringLiteral("all")},
                        {tr("Top-k"), QStringLiteral("top-k")},
                        {tr("Clamp-set features"), QStringLiteral("explicit")}},
                       tr("Which columns enter the RDM: all, the k best by a selection method "
                          "on the first two-level factor (circular on the same items), or the "
                          "features of the current clamp set"));
    m_topK = new QSpinBox(this);
    m_topK->setRange(1, 100000);
    m_topK->setValue(32);
    m_topK->setToolTip(tr("k: how many features the selection keeps"));
    m_selection = comboOf(this, {},
                          tr("Selection method for top-k (feature_selection: continuous scores, "
                             "never tied p-values)"));
    addChoices(m_selection, {SelectionMethod::PooledSeparationD, SelectionMethod::PooledSeparationR,
                             SelectionMethod::Univariate, SelectionMethod::MeanDifference});
    m_comparison = comboOf(this, {},
                           tr("Correlation of the two RDMs' upper triangles (Kendall τₐ suits "
                              "categorical models with many ties)"));
    addChoices(m_comparison, {RsaMethod::Spearman, RsaMethod::KendallTauA, RsaMethod::Pearson});
    m_permutations = new QSpinBox(this);
    m_permutations->setRange(0, 100000);
    m_permutations->setSingleStep(1000);
    m_permutations->setValue(10000);
    m_permutations->setToolTip(
            tr("Item-label permutations (rows and columns together) for the "
               "p-value; 0: none"));
    m_bootstraps = new QSpinBox(this);
    m_bootstraps->setRange(0, 10000);
    m_bootstraps->setSingleStep(100);
    m_bootstraps->setValue(200);
    m_bootstraps->setToolTip(tr("Bootstrap resamples of the items for a 95 % CI; 0: none"));
    m_intervention = new QCheckBox(tr("Intervention"), this);
    m_intervention->setToolTip(
            tr("Also recompute the RDM with the current clamp set spliced in "
               "at the SAE's hook during the forward pass"));
    // Object names for tests that use the form as a user does; code asks for a computation
    // through setRequest() and compute().
    for (const auto &[control, name] : {std::pair<QWidget *, const char *>{m_hook, "rsa.hook"},
                                        {m_representation, "rsa.representation"},
                                        {m_pooling, "rsa.pooling"},
                                        {m_metric, "rsa.metric"},
                                        {m_subset, "rsa.subset"},
                                        {m_topK, "rsa.topK"},
                                        {m_selection, "rsa.selection"},
                                        {m_comparison, "rsa.comparison"},
                                        {m_permutations, "rsa.permutations"},
                                        {m_bootstraps, "rsa.bootstraps"},
                                        {m_intervention, "rsa.intervention"}}) {
        control->setObjectName(QLatin1String(name));
    }

    // Groups that reflow into more lines in a narrow dock instead of making it scroll sideways.
    auto *options = new FlowLayout(nullptr, 12, 3);
    layout->addLayout(options);
    options->addGroup({label(tr("Hook")), m_hook});
    options->addGroup({label(tr("Representation")), m_representation});
    options->addGroup({label(tr("Pooling")), m_pooling});
    options->addGroup({label(tr("Metric")), m_metric});
    options->addGroup({label(tr("Features")), m_subset, m_topK});
    options->addGroup({label(tr("Selected by")), m_selection});
    options->addGroup({label(tr("Compare")), m_comparison});
    options->addGroup({label(tr("Permutations")), m_permutations});
    options->addGroup({m_intervention});
    options->addGroup({label(tr("Bootstrap")), m_bootstraps});

    auto *actions = new QHBoxLayout();
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(140);
    m_progress->setTextVisible(false);
    m_progress->hide();
    m_status = new QLabel(this);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_computeButton = new QPushButton(tr("Compute"), this);
    m_computeButton->setIcon(uiIcon(QStringLiteral("start")));
    m_computeButton->setDefault(true);
    m_computeButton->setToolTip(
            tr("Run the prompt set through the model and compare the RDMs; "
               "afterwards the view follows changes by itself"));
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setIcon(uiIcon(QStringLiteral("cancel")));
    m_cancelButton->setEnabled(false);
    m_exportButton = new QToolButton(this);
    m_exportButton->setIcon(uiIcon(QStringLiteral("export")));
    m_exportButton->setText(tr("Export"));
    m_exportButton->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_exportButton);
    menu->addAction(tr("RDM as CSV…"), this, [this] { exportDialog(QStringLiteral("csv")); });
    menu->addAction(tr("RDM as HDF5…"), this, [this] { exportDialog(QStringLiteral("h5")); });
    menu->addSeparator();
    menu->addAction(tr("Figure as PNG…"), this, [this] { exportDialog(QStringLiteral("png")); });
    menu->addAction(tr("Figure as SVG…"), this, [this] { exportDialog(QStringLiteral("svg")); });
    menu->addAction(tr("Figure as PDF…"), this, [this] { exportDialog(QStringLiteral("pdf")); });
    m_exportButton->setMenu(menu);
    actions->addWidget(m_progress);
    actions->addWidget(m_status, 1);
    actions->addWidget(m_computeButton);
    actions->addWidget(m_cancelButton);
    actions->addWidget(m_exportButton);
    layout->addLayout(actions);

    connect(m_computeButton, &QPushButton::clicked, this, [this] { compute(); });
    connect(m_cancelButton, &QPushButton::clicked, this, [this] {
        if (m_requests) {
            m_requests->cancel(0);
        }
    });
    for (QComboBox *box :
         {m_hook, m_representation, m_pooling, m_metric, m_subset, m_selection, m_comparison}) {
        connect(box, qOverload<int>(&QComboBox::currentIndexChanged), this,
                [this] { settingsChanged(); });
    }
    for (QSpinBox *box : {m_topK, m_permutations, m_bootstraps}) {
        connect(box, qOverload<int>(&QSpinBox::valueChanged), this, [this] { settingsChanged(); });
    }
    connect(m_intervention, &QCheckBox::toggled, this, [this] { settingsChanged(); });
}

void RsaPanel::setPromptSet(const PromptSet &set)
{
    const bool same = set == m_set && set.sourceFile == m_set.sourceFile;
    m_set = set;
    const QList<PromptCondition> conditions = set.conditions();
    m_setLabel->setText(set.items.isEmpty()
                                ? tr("<i>No prompt set: open one in the Prompt sets dock.</i>")
                                : tr("<b>%1</b> · %2 items · %3 conditions")
                                          .arg(set.displayName().toHtmlEscaped())
                                          .arg(set.items.size())
                                          .arg(conditions.size()));
    if (m_computedOnce && !same) {
        m_recompute->start();
    } else if (!m_result) {
        const QString hint =
                set.items.isEmpty()
                        ? tr("Open a prompt set in the Prompt sets dock, then press Compute.")
                        : tr("Press Compute to see the item × item RDM of %1.")
                                  .arg(set.displayName());
        m_rdmView->clear(hint);
        m_modelView->clear(tr("The model RDMs of the set's factors appear here."));
        m_clampedView->clear(
                tr("Tick Intervention and compute to see the RDM with the clamp "
                   "set applied."));
        m_differenceView->clear(QString());
    }
    updateControls();
}

void RsaPanel::setHookNames(const QStringList &hooks)
{
    const QString current = m_hook->currentText();
    QSignalBlocker block(m_hook);
    m_hook->clear();
    m_hook->addItems(hooks);
    // The loaded SAE's hook first: raw and SAE analyses then read the same place.
    const QString restored = m_restoredSettings.value(QStringLiteral("hook")).toString();
    const QString preferred = !restored.isEmpty() && hooks.contains(restored) ? restored
                              : !m_sae.hookName.isEmpty() && hooks.contains(m_sae.hookName)
                                      ? m_sae.hookName
                                      : current;
    const int index = m_hook->findText(preferred);
    m_hook->setCurrentIndex(index >= 0 ? index : hooks.size() / 2);
    updateControls();
}

void RsaPanel::setSae(const SaeInfo &sae)
{
    m_sae = sae;
    if (!sae.hookName.isEmpty() && m_hook->findText(sae.hookName) >= 0) {
        QSignalBlocker block(m_hook);
        m_hook->setCurrentIndex(m_hook->findText(sae.hookName));
    }
    {
        // Follow each newly loaded SAE (a study with an SAE is about its features), unless a
        // workspace restored a choice that waited for this SAE.
        QSignalBlocker block(m_representation);
        const QString restored =
                m_restoredSettings.value(QStringLiteral("representation")).toString();
        m_representation->setCurrentIndex(
                m_representation->findData(sae.path.isEmpty()    ? QStringLiteral("raw")
                                           : !restored.isEmpty() ? restored
                                                                 : QStringLiteral("sae")));
        if (!sae.path.isEmpty()) {
            m_restoredSettings = QJsonObject();
        }
    }
    updateControls();
}

void RsaPanel::updateControls()
{
    const bool hasSae = !m_sae.path.isEmpty();
    const bool sae = m_representation->currentData().toString() == QLatin1String("sae");
    if (sae && hasSae && m_hook->findText(m_sae.hookName) >= 0) {
        QSignalBlocker block(m_hook);
        m_hook->setCurrentIndex(m_hook->findText(m_sae.hookName));
    }
    m_hook->setEnabled(!sae);
    const bool topK = m_subset->currentData().toString() == QLatin1String("top-k");
    m_topK->setEnabled(topK);
    m_selection->setEnabled(topK);
    const int clamps = m_hub ? int(m_hub->clampSet().clamps.size()) : 0;
    m_intervention->setText(clamps > 0 ? tr("Intervention (%1)").arg(clampCount(m_hub->clampSet()))
                                       : tr("Intervention"));
    m_intervention->setToolTip(
            hasSae ? tr("Also recompute the RDM with the current clamp set spliced in at the "
                        "SAE's hook (%1) during the forward pass")
                             .arg(m_sae.hookName)
                   : tr("Needs an SAE (the clamp set acts through it): load one first"));
    m_exportButton->setEnabled(m_result != nullptr);
    m_computeButton->setEnabled(m_engine != nullptr && m_set.items.size() >= 3);
}

void RsaPanel::settingsChanged()
{
    m_restoredSettings = QJsonObject();  // the user's choice from now on
    updateControls();
    Q_EMIT stateChanged();
    if (m_computedOnce) {
        m_recompute->start();
    }
}

void RsaPanel::setRequest(const RsaRequest &request)
{
    auto select = [](QComboBox *box, const QString &data) {
        if (const int index = box->findData(data); index >= 0) {
            box->setCurrentIndex(index);
        }
    };
    select(m_representation, request.saeFeatures ? QStringLiteral("sae") : QStringLiteral("raw"));
    if (const int hook = m_hook->findText(request.hookName); hook >= 0) {
        m_hook->setCurrentIndex(hook);
    }
    select(m_pooling, nameOf(request.pooling));
    select(m_metric, nameOf(request.metric));
    select(m_subset, rsaFeatureSubsetName(request.subset));
    m_topK->setValue(request.topK);
    select(m_selection, nameOf(request.selectionMethod));
    select(m_comparison, nameOf(request.comparisonMethod));
    m_permutations->setValue(request.permutations);
    m_bootstraps->setValue(request.bootstraps);
    m_intervention->setChecked(request.intervention);
}

RsaRequest RsaPanel::request() const
{
    RsaRequest r;
    r.set = m_set;
    r.saeFeatures = m_representation->currentData().toString() == QLatin1String("sae");
    r.hookName =
            r.saeFeatures && !m_sae.hookName.isEmpty() ? m_sae.hookName : m_hook->currentText();
    r.pooling = currentChoice(m_pooling, Pooling::Mean);
    r.metric = currentChoice(m_metric, RdmMetric::Correlation);
    const QString subset = m_subset->currentData().toString();
    r.subset = subset == QLatin1String("top-k")      ? RsaFeatureSubset::TopK
               : subset == QLatin1String("explicit") ? RsaFeatureSubset::Explicit
                                                     : RsaFeatureSubset::All;
    r.topK = m_topK->value();
    r.selectionMethod = currentChoice(m_selection, SelectionMethod::PooledSeparationD);
    if (m_hub && r.subset == RsaFeatureSubset::Explicit) {
        for (const FeatureClamp &clamp : m_hub->clampSet().clamps) {
            if (clamp.enabled) {
                r.features << clamp.feature;
            }
        }
    }
    r.comparisonMethod = currentChoice(m_comparison, RsaMethod::Spearman);
    r.permutations = m_permutations->value();
    r.bootstraps = m_bootstraps->value();
    r.intervention = m_intervention->isChecked();
    if (m_hub) {
        r.clamps = m_hub->clampSet();
    }
    return r;
}

RequestId RsaPanel::compute()
{
    if (!m_engine) {
        return 0;
    }
    if (m_set.items.size() < 3) {
        setStatus(tr("Open a prompt set with at least 3 items first."), true);
        return 0;
    }
    m_computedOnce = true;
    const RequestId id = m_requests->start(0, m_engine->computeRsa(request()));  // latest wins
    m_progress->setValue(0);
    m_progress->show();
    m_cancelButton->setEnabled(true);
    setStatus(tr("Computing…"));
    return id;
}

void RsaPanel::onResult(const std::shared_ptr<const RsaResult> &result)
{
    if (!result) {
        return;
    }
    m_result = result;
    m_resultModel = m_session->model().path;
    m_resultSae = m_session->sae().path;
    showResult();
}

void RsaPanel::onFinished(const Status &status)
{
    m_progress->hide();
    m_cancelButton->setEnabled(false);
    if (status.code() == Status::Code::Cancelled) {
        setStatus(tr("Cancelled."));
    } else if (!status.isOk()) {
        setStatus(status.message(), true);
    }
    updateControls();
}

void RsaPanel::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setToolTip(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: palette(bright-text); "
                                                   "background: #b2182b; padding: 1px 4px;")
                                  : QString());
}

QString RsaPanel::statusText() const
{
    return m_status->text();
}

void RsaPanel::showResult()
{
    const RsaResult &r = *m_result;
    const QString representation =
            r.request.saeFeatures ? tr("SAE features") : tr("raw activations");
    const QString features =
            r.request.subset == RsaFeatureSubset::All
                    ? tr("%1 features").arg(r.featureCount)
                    : tr("%1 of the features (%2)")
                              .arg(r.featureCount)
                              .arg(r.request.subset == RsaFeatureSubset::TopK
                                           ? tr("top-%1 by %2")
                                                     .arg(r.request.topK)
                                                     .arg(nameOf(r.request.selectionMethod))
                                           : tr("clamp set"));
    m_rdmView->setMatrix(r.rdm, r.texts, r.conditions, RdmHeatmapView::Scale::Sequential,
                         tr("Measured RDM · %1 · %2 · %3")
                                 .arg(r.request.hookName, representation, nameOf(r.request.metric)),
                         nameOf(r.request.metric) + tr(" distance"));
    m_rdmView->setToolTip(
            tr("%1 items × %2; hover a cell for the two items").arg(r.rdm.size()).arg(features));
    {
        QSignalBlocker block(m_modelChoice);
        const int previous = m_modelChoice->currentIndex();
        m_modelChoice->clear();
        for (const RsaModelFit &fit : r.models) {
            m_modelChoice->addItem(tr("Model: %1").arg(fit.name));
        }
        m_modelChoice->setCurrentIndex(previous >= 0 && previous < r.models.size() ? previous : 0);
    }
    showModel();

    m_statisticsModel->setResult(m_result);

    m_mdsView->setPoints(r.mdsX, r.mdsY, r.rdm.ids(), r.texts, r.conditions,
                         tr("Classical MDS of the measured RDM · 2 axes keep %1 % of the "
                            "positive eigenvalues")
                                 .arg(QString::number(100.0 * r.mdsExplained, 'f', 0)));
    showIntervention();
    QString status = tr("%1 items · %2").arg(r.rdm.size()).arg(features);
    if (!r.notes.isEmpty()) {
        status += QStringLiteral(" · ") + r.notes.join(QStringLiteral("; "));
    }
    setStatus(status);
    updateControls();
    Q_EMIT stateChanged();
}

void RsaPanel::showModel()
{
    if (!m_result) {
        return;
    }
    const int index = m_modelChoice->currentIndex();
    if (index < 0 || index >= m_result->models.size()) {
        m_modelView->clear(tr("No model RDM: the set needs a factor with two or more levels."));
        return;
    }
    const RsaModelFit &fit = m_result->models[index];
    m_modelView->setMatrix(
            fit.model, m_result->texts, m_result->conditions, RdmHeatmapView::Scale::Sequential,
            tr("Model RDM · %1 (0 same, 1 different)").arg(fit.name), tr("model dissimilarity"));
}

void RsaPanel::showIntervention()
{
    const RsaResult &r = *m_result;
    if (!r.hasIntervention) {
        m_clampedView->clear(
                tr("Tick Intervention (with features in the clamp set) and "
                   "compute to see the RDM with the clamp set applied."));
        m_differenceView->clear(QString());
        m_interventionSummary->setText(QString());
        return;
    }
    m_clampedView->setMatrix(r.clampedRdm, r.texts, r.conditions, RdmHeatmapView::Scale::Sequential,
                             tr("Clamped RDM · %1").arg(clampCount(r.request.clamps)),
                             nameOf(r.request.metric) + tr(" distance"));
    std::vector<float> difference(r.rdm.condensed().size());
    for (size_t k = 0; k < difference.size(); ++k) {
        difference[k] = r.clampedRdm.condensed()[k] - r.rdm.condensed()[k];
    }
    Result<Rdm> diff =
            Rdm::fromCondensed(r.rdm.ids(), difference, QStringLiteral("clamped − plain"));
    if (diff) {
        m_differenceView->setMatrix(*diff, r.texts, r.conditions, RdmHeatmapView::Scale::Diverging,
                                    tr("Difference: clamped − plain"), tr("Δ dissimilarity"));
    }
    m_interventionSummary->setText(interventionText());
}

QString RsaPanel::interventionText() const
{
    if (!m_result || !m_result->hasIntervention) {
        return QString();
    }
    const RsaResult &r = *m_result;
    QStringList clamps;
    for (const FeatureClamp &clamp : r.request.clamps.clamps) {
        if (clamp.enabled) {
            clamps << QStringLiteral("#%1 %2 %3")
                              .arg(clamp.feature)
                              .arg(clampModeName(clamp.mode))
                              .arg(clamp.value);
        }
    }
    double sumAbs = 0.0;
    for (size_t k = 0; k < r.rdm.condensed().size(); ++k) {
        sumAbs += std::abs(double(r.clampedRdm.condensed()[k] - r.rdm.condensed()[k]));
    }
    const double meanAbs = r.rdm.condensed().empty() ? 0.0 : sumAbs / r.rdm.condensed().size();
    QStringList changes;
    for (const RsaModelFit &fit : r.models) {
        changes << tr("%1: %2 → %3 (Δ %4)")
                           .arg(fit.name.toHtmlEscaped(), number(fit.comparison.r),
                                number(fit.clampedComparison.r),
                                number(fit.clampedComparison.r - fit.comparison.r));
    }
    return tr("<b>Clamp set</b> %1 · mean |Δd| %2<br><b>%3</b> %4")
            .arg(clamps.isEmpty() ? tr("(empty)") : clamps.join(QStringLiteral(", ")),
                 number(meanAbs, 4), labelOf(r.request.comparisonMethod),
                 changes.join(QStringLiteral(" · ")));
}

QString RsaPanel::statisticsCaption() const
{
    if (!m_result) {
        return QString();
    }
    const RsaResult &r = *m_result;
    QStringList lines;
    for (const RsaModelFit &fit : r.models) {
        const RsaComparison &c = fit.comparison;
        QString line = tr("%1 model: %2 = %3")
                               .arg(fit.name, labelOf(r.request.comparisonMethod), number(c.r));
        if (c.permutations > 0) {
            line += tr(", p = %1 (%2 item-label permutations)")
                            .arg(pValue(c.p))
                            .arg(QLocale::c().toString(qlonglong(c.permutations)));
        }
        if (c.bootstraps > 0) {
            line += tr(", 95 % CI [%1, %2] (%3 bootstraps of the items)")
                            .arg(number(c.ciLow), number(c.ciHigh))
                            .arg(c.bootstraps);
        }
        lines << line;
    }
    lines << tr("%1 · %2 items · %3 features · %4 pooling")
                     .arg(r.request.set.displayName())
                     .arg(r.rdm.size())
                     .arg(r.featureCount)
                     .arg(nameOf(r.request.pooling));
    return lines.join(QLatin1Char('\n'));
}

QString RsaPanel::statisticsText() const
{
    QStringList rows;
    for (int row = 0; row < m_statisticsModel->rowCount(); ++row) {
        QStringList cells;
        for (int column = 0; column < m_statisticsModel->columnCount(); ++column) {
            cells << m_statisticsModel->index(row, column).data().toString();
        }
        rows << cells.join(QStringLiteral(" | "));
    }
    return rows.join(QLatin1Char('\n'));
}

void RsaPanel::showView(const QString &name)
{
    const QStringList views{QStringLiteral("rdm"), QStringLiteral("mds"),
                            QStringLiteral("intervention")};
    if (views.contains(name)) {
        m_tabs->setCurrentIndex(int(views.indexOf(name)));
    }
}

Status RsaPanel::exportRdmCsv(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: compute an RDM first"));
    }
    return writeRdmCsv(m_result->rdm, path);
}

QJsonObject RsaPanel::workspaceState(WorkspaceData *data) const
{
    QJsonObject settings = m_restoredSettings;
    for (const auto &[key, box] :
         {std::pair{"representation", m_representation}, std::pair{"pooling", m_pooling},
          std::pair{"metric", m_metric}, std::pair{"subset", m_subset},
          std::pair{"selection", m_selection}, std::pair{"comparison", m_comparison}}) {
        settings[QLatin1String(key)] = box->currentData().toString();
    }
    if (m_restoredSettings.isEmpty()) {
        settings[QStringLiteral("hook")] = m_hook->currentText();
    } else {
        settings[QStringLiteral("representation")] =
                m_restoredSettings.value(QStringLiteral("representation"));
    }
    settings[QStringLiteral("top_k")] = m_topK->value();
    settings[QStringLiteral("permutations")] = m_permutations->value();
    settings[QStringLiteral("bootstraps")] = m_bootstraps->value();
    settings[QStringLiteral("intervention")] = m_intervention->isChecked();
    QJsonObject state{{QStringLiteral("version"), 1}, {QStringLiteral("settings"), settings}};
    if (m_result) {
        state[QStringLiteral("result")] = archiveRsaResult(*m_result, QStringLiteral("rsa"), data);
        state[QStringLiteral("computed_with")] = QJsonObject{
                {QStringLiteral("model"), m_resultModel}, {QStringLiteral("sae"), m_resultSae}};
    }
    return state;
}

Status RsaPanel::restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                       QStringList *warnings)
{
    clearResult();
    const QJsonObject settings = state.value(QStringLiteral("settings")).toObject();
    {
        // Restoring settings is not a change to follow with a recomputation.
        const QSignalBlocker blockers[] = {
                QSignalBlocker(m_representation), QSignalBlocker(m_pooling),
                QSignalBlocker(m_metric),         QSignalBlocker(m_subset),
                QSignalBlocker(m_selection),      QSignalBlocker(m_comparison),
                QSignalBlocker(m_hook),           QSignalBlocker(m_topK),
                QSignalBlocker(m_permutations),   QSignalBlocker(m_bootstraps),
                QSignalBlocker(m_intervention)};
        for (const auto &[key, box] :
             {std::pair{"representation", m_representation}, std::pair{"pooling", m_pooling},
              std::pair{"metric", m_metric}, std::pair{"subset", m_subset},
              std::pair{"selection", m_selection}, std::pair{"comparison", m_comparison}}) {
            QString value = settings.value(QLatin1String(key)).toString();
            if (box == m_selection && fromName<SelectionMethod>(value)) {
                value = nameOf(*fromName<SelectionMethod>(value));  // an older name
            }
            const int index = box->findData(value);
            if (index >= 0) {
                box->setCurrentIndex(index);
            }
        }
        const int hook = m_hook->findText(settings.value(QStringLiteral("hook")).toString());
        if (hook >= 0) {
            m_hook->setCurrentIndex(hook);
        }
        m_topK->setValue(settings.value(QStringLiteral("top_k")).toInt(m_topK->value()));
        m_permutations->setValue(
                settings.value(QStringLiteral("permutations")).toInt(m_permutations->value()));
        m_bootstraps->setValue(
                settings.value(QStringLiteral("bootstraps")).toInt(m_bootstraps->value()));
        m_intervention->setChecked(settings.value(QStringLiteral("intervention")).toBool());
    }
    // The hook box fills when the model loads, SAE features need the SAE: wait for them.
    const bool sae =
            settings.value(QStringLiteral("representation")).toString() == QLatin1String("sae");
    m_restoredSettings = (sae && m_sae.path.isEmpty()) ||
                                         m_hook->currentText() !=
                                                 settings.value(QStringLiteral("hook")).toString()
                                 ? settings
                                 : QJsonObject();
    if (state.contains(QStringLiteral("result"))) {
        Result<std::shared_ptr<const RsaResult>> restored =
                unarchiveRsaResult(state.value(QStringLiteral("result")).toObject(),
                                   QStringLiteral("rsa"), data, m_set);
        if (!restored) {
            if (warnings) {
                warnings->append(tr("The saved RSA result could not be restored (%1); compute "
                                    "it again.")
                                         .arg(restored.status().message()));
            }
        } else {
            const QJsonObject computed = state.value(QStringLiteral("computed_with")).toObject();
            m_resultModel = computed.value(QStringLiteral("model")).toString();
            m_resultSae = computed.value(QStringLiteral("sae")).toString();
            m_result = *restored;
            m_computedOnce = true;  // from now on the view follows changes, as after Compute
            showResult();
            updateStale();
        }
    }
    updateControls();
    return Status::ok();
}

void RsaPanel::clearResult()
{
    if (m_requests) {
        m_requests->cancel(0);
    }
    m_result.reset();
    m_computedOnce = false;
    m_statisticsModel->setResult(nullptr);
    setPromptSet(m_set);  // the empty views with their hints
    setStatus(QString());
}

void RsaPanel::updateStale()
{
    if (!m_result || !m_requests || m_requests->isRunning(0)) {
        return;
    }
    const QString model = m_session->model().path;
    const QString sae = m_session->sae().path;
    auto differs = [](const QString &now, const QString &then) {
        return !now.isEmpty() &&
               QFileInfo(now).absoluteFilePath() != QFileInfo(then).absoluteFilePath();
    };
    if (differs(model, m_resultModel) ||
        (m_result->request.saeFeatures && differs(sae, m_resultSae))) {
        setStatus(tr("Out of date: another model or SAE is loaded. Compute again to update."),
                  true);
    }
}

Status RsaPanel::exportRdmHdf5(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: compute an RDM first"));
    }
    return writeRsaResultHdf5(*m_result, path);
}

Status RsaPanel::exportFigure(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: compute an RDM first"));
    }
    switch (m_tabs->currentIndex()) {
        case 1:
            return m_mdsView->exportFigure(path);
        case 2:
            return exportHeatmapFigure(
                    {m_clampedView, m_differenceView},
                    m_interventionSummary->text().isEmpty()
                            ? QString()
                            : QTextDocumentFragment::fromHtml(m_interventionSummary->text())
                                      .toPlainText(),
                    path);
        default:
            return exportHeatmapFigure({m_rdmView, m_modelView}, statisticsCaption(), path);
    }
}

void RsaPanel::exportDialog(const QString &what)
{
    const QString filter = what == QLatin1String("csv") ? tr("CSV (*.csv)")
                           : what == QLatin1String("h5")
                                   ? tr("HDF5 (*.h5)")
                                   : tr("%1 (*.%2)").arg(what.toUpper(), what);
    QString path = QFileDialog::getSaveFileName(
            this, tr("Export"), m_set.name + QStringLiteral("-rdm.") + what, filter);
    if (path.isEmpty()) {
        return;
    }
    const Status status = what == QLatin1String("csv")  ? exportRdmCsv(path)
                          : what == QLatin1String("h5") ? exportRdmHdf5(path)
                                                        : exportFigure(path);
    setStatus(status.isOk() ? tr("Wrote %1").arg(path) : status.message(), !status.isOk());
}

}  // namespace gyrus::widgets
