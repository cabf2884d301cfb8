#include "widgets/panels/contrast_panel.h"

#include "core/engine/engine_client.h"
#include "core/llm/chat_backend.h"
#include "core/session/result_archive.h"
#include "core/session/session_state.h"
#include "widgets/panels/batch_explain_dialog.h"
#include "widgets/panels/contrast_tab.h"
#include "widgets/panels/feature_rsa_tab.h"
#include "widgets/panels/judged_methods_tab.h"
#include "widgets/panels/method_comparison_tab.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/feature_scatter_plot.h"
#include "widgets/views/feature_table_view.h"

#include <QBuffer>
#include <QJsonArray>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace gyrus::widgets {

ContrastPanel::ContrastPanel(EngineClient *engine, SelectionHub *hub, SessionState *session,
                             QWidget *parent)
    : QWidget(parent)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_form(new ContrastSettingsForm(this))
    , m_tabs(new QTabWidget(this))
    , m_contrast(new ContrastTab(engine, hub, m_session, m_form, this))
    , m_rsa(new FeatureRsaTab(engine, hub, m_session, m_form, this))
    , m_methods(new MethodComparisonTab(engine, hub, m_session, m_form, this))
    , m_judged(new JudgedMethodsTab(engine, m_form, this))
    , m_engine(engine)
    , m_hub(hub)
    , m_explain(new QToolButton(this))
{
    m_tabs->setObjectName(QStringLiteral("contrast.tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_contrast, tr("Contrast"));
    m_tabs->addTab(m_rsa, tr("Feature RSA map"));
    m_tabs->addTab(m_methods, tr("Method comparison"));
    m_tabs->addTab(m_judged, tr("Judged relevance"));
    m_tabs->setTabToolTip(m_tabs->indexOf(m_judged),
                          tr("The original study's comparison: a language model rates the corpus "
                             "texts each method's classifier ranks highest, against random ones"));
    // Explain several features at once: the contrast's top ones, or a method's selection.
    m_explain->setObjectName(QStringLiteral("contrast.explain"));
    m_explain->setText(tr("Explain…"));
    m_explain->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_explain->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_explain);
    menu->addAction(tr("Top 10 features of the contrast"), this, [this] {
        explainFeatures(contrastTopFeatures(10), tr("the contrast's top 10 features"));
    });
    menu->addAction(tr("Features of the chosen method"), this, [this] {
        QString method;
        const std::vector<int> features = methodFeatures(&method);
        explainFeatures(features, tr("the features %1 selects").arg(method));
    });
    m_explain->setMenu(menu);
    m_tabs->setCornerWidget(m_explain);
    setExplainer(nullptr);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_form);
    layout->addWidget(m_tabs, 1);

    connect(m_contrast, &ContrastTab::resultShown, this, &ContrastPanel::resultShown);
    connect(m_rsa, &FeatureRsaTab::resultShown, this, &ContrastPanel::resultShown);
    connect(m_methods, &MethodComparisonTab::resultShown, this, &ContrastPanel::resultShown);
    connect(m_judged, &JudgedMethodsTab::resultShown, this, &ContrastPanel::resultShown);
    connect(m_judged, &JudgedMethodsTab::finishedRun, this, [this](const Status &status) {
        if (!status.isOk()) {
            Q_EMIT judgedRunFailed(status);
        }
    });
    connect(m_form, &ContrastSettingsForm::changed, this, &ContrastPanel::requestChanged);
    m_form->setHookNames(m_session->model().hookNames);
    m_form->setSae(m_session->sae());
    m_form->setPromptSet(m_session->promptSet());
    connect(m_session, &SessionState::modelChanged, this,
            [this](const ModelInfo &info) { m_form->setHookNames(info.hookNames); });
    connect(m_session, &SessionState::saeChanged, m_form, &ContrastSettingsForm::setSae);
    connect(m_session, &SessionState::promptSetChanged, m_form,
            &ContrastSettingsForm::setPromptSet);
}

ContrastPanel::~ContrastPanel() = default;

void ContrastPanel::setExplainer(ChatBackend *backend)
{
    m_explainer = backend;
    m_judged->setBackend(backend);
    m_explain->setEnabled(backend != nullptr);
    m_explain->setToolTip(
            backend ? tr("Ask %1 for labels of several SAE features at once")
                              .arg(backend->describe())
                    : tr("No language-model endpoint configured (Settings ▸ Language model "
                         "endpoint…): nothing is sent"));
}

std::vector<int> ContrastPanel::contrastTopFeatures(int n) const
{
    std::vector<int> features;
    const FeatureTableView *table = m_contrast->table();
    if (!m_contrast->result() ||
        !m_contrast->result()->representation.startsWith(QLatin1String("SAE"))) {
        return features;
    }
    for (int row = 0; row < std::min(n, table->model()->rowCount()); ++row) {
        if (const int feature = table->featureAtRow(row); feature >= 0) {
            features.push_back(feature);
        }
    }
    return features;
}

std::vector<int> ContrastPanel::methodFeatures(QString *method) const
{
    const MethodComparisonResultPtr result = m_methods->result();
    if (!result || result->rows.isEmpty() || !result->settings.source.saeFeatures) {
        return {};
    }
    const QModelIndex current = m_methods->numbersView()->currentIndex();
    const auto *sorted =
            qobject_cast<const QSortFilterProxyModel *>(m_methods->numbersView()->model());
    const int row = current.isValid() && sorted ? sorted->mapToSource(current).row() : 0;
    const MethodComparisonRow &chosen = result->rows.value(row, result->rows.first());
    if (method) {
        *method = nameOf(chosen.method);
    }
    return chosen.selectedFeatures;
}

BatchExplainDialog *ContrastPanel::explainFeatures(const std::vector<int> &features,
                                                   const QString &what)
{
    if (!m_explainer || features.empty()) {
        return nullptr;
    }
    auto *dialog = new BatchExplainDialog(m_engine, m_hub, m_explainer, features, what, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    dialog->start();
    return dialog;
}

QJsonObject ContrastPanel::workspaceState(WorkspaceData *data) const
{
    QJsonObject state{{QStringLiteral("version"), 1},
                      {QStringLiteral("form"), m_form->settingsState()},
                      {QStringLiteral("tab"), m_tabs->currentIndex()}};
    if (const ContrastAnalysisResultPtr result = m_contrast->result()) {
        state[QStringLiteral("contrast")] =
                QJsonObject{{QStringLiteral("result"),
                             archiveContrast(*result, QStringLiteral("contrast"), data)},
                            {QStringLiteral("computed_with"),
                             provenanceToJson(m_contrast->resultProvenance())}};
    }
    if (const FeatureRsaMapPtr map = m_rsa->map()) {
        state[QStringLiteral("rsa_map")] = QJsonObject{
                {QStringLiteral("result"),
                 archiveFeatureRsaMap(*map, QStringLiteral("rsa_map"), data)},
                {QStringLiteral("computed_with"), provenanceToJson(m_rsa->resultProvenance())}};
    }
    if (const MethodComparisonResultPtr methods = m_methods->result()) {
        state[QStringLiteral("methods")] = QJsonObject{
                {QStringLiteral("result"),
                 archiveMethodComparison(*methods, QStringLiteral("methods"), data)},
                {QStringLiteral("computed_with"), provenanceToJson(m_methods->resultProvenance())}};
    }
    // The judged comparison keeps its settings (corpus file, concept, methods) and its result
    // (the JSON gyrus-cli judge-methods prints: rated lines with their texts, the statistics).
    const JudgedMethodsTab::Settings judged = m_judged->settings();
    QJsonObject judgedState{{QStringLiteral("corpus"), judged.corpusPath},
                            {QStringLiteral("concept"), judged.concept},
                            {QStringLiteral("methods"), judged.methods},
                            {QStringLiteral("k"), judged.k},
                            {QStringLiteral("top"), judged.top},
                            {QStringLiteral("repeats"), judged.judge.repeats},
                            {QStringLiteral("permutations"), judged.permutations}};
    if (const auto result = m_judged->result()) {
        judgedState[QStringLiteral("result")] = methodJudgementJson(*result);
    }
    state[QStringLiteral("judged")] = judgedState;
    return state;
}

Status ContrastPanel::restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                            QStringList *warnings)
{
    clearResults();
    m_form->restoreSettingsState(state.value(QStringLiteral("form")).toObject());
    const PromptSet &set = m_form->promptSet();
    auto entry = [&state](const char *key) { return state.value(QLatin1String(key)).toObject(); };
    auto provenance = [&set](const QJsonObject &object) {
        return provenanceFromJson(object.value(QStringLiteral("computed_with")).toObject(), set);
    };
    auto result = [](const QJsonObject &object) {
        return object.value(QStringLiteral("result")).toObject();
    };
    // A result that cannot be read is left out with a warning: the rest of the study opens.
    auto warn = [warnings](const QString &what, const Status &status) {
        if (warnings) {
            warnings->append(tr("The saved %1 could not be restored (%2); run it again.")
                                     .arg(what, status.message()));
        }
    };
    if (const QJsonObject contrast = entry("contrast"); !contrast.isEmpty()) {
        Result<ContrastAnalysisResultPtr> restored =
                unarchiveContrast(result(contrast), QStringLiteral("contrast"), data);
        restored ? m_contrast->showResult(*restored, provenance(contrast))
                 : warn(tr("contrast"), restored.status());
    }
    if (const QJsonObject map = entry("rsa_map"); !map.isEmpty()) {
        Result<FeatureRsaMapPtr> restored =
                unarchiveFeatureRsaMap(result(map), QStringLiteral("rsa_map"), data);
        restored ? m_rsa->showMap(*restored, provenance(map))
                 : warn(tr("feature RSA map"), restored.status());
    }
    if (const QJsonObject methods = entry("methods"); !methods.isEmpty()) {
        Result<MethodComparisonResultPtr> restored =
                unarchiveMethodComparison(result(methods), QStringLiteral("methods"), data);
        restored ? m_methods->showResult(*restored, provenance(methods))
                 : warn(tr("method comparison"), restored.status());
    }
    if (const QJsonObject judged = entry("judged"); !judged.isEmpty()) {
        JudgedMethodsTab::Settings settings;
        settings.corpusPath = judged.value(QStringLiteral("corpus")).toString();
        settings.concept = judged.value(QStringLiteral("concept")).toString();
        settings.methods = judged.value(QStringLiteral("methods")).toString(settings.methods);
        settings.k = judged.value(QStringLiteral("k")).toInt(settings.k);
        settings.top = judged.value(QStringLiteral("top")).toInt(settings.top);
        settings.judge.repeats =
                judged.value(QStringLiteral("repeats")).toInt(settings.judge.repeats);
        settings.permutations =
                judged.value(QStringLiteral("permutations")).toInt(settings.permutations);
        m_judged->setSettings(settings);
        if (judged.contains(QStringLiteral("result"))) {
            Result<MethodJudgement> restored =
                    methodJudgementFromJson(judged.value(QStringLiteral("result")).toObject());
            restored ? m_judged->showResult(
                               std::make_shared<const MethodJudgement>(restored.value()))
                     : warn(tr("judged method comparison"), restored.status());
        }
    }
    const int tab = state.value(QStringLiteral("tab")).toInt();
    if (tab >= 0 && tab < m_tabs->count()) {
        m_tabs->setCurrentIndex(tab);
    }
    return Status::ok();
}

void ContrastPanel::clearResults()
{
    m_contrast->clearResult();
    m_rsa->clearResult();
    m_methods->clearResult();
    m_judged->clearResult();
}

void ContrastPanel::setPromptSet(const PromptSet &set)
{
    m_form->setPromptSet(set);
}

ContrastSource ContrastPanel::request() const
{
    return m_form->source();
}

void ContrastPanel::setRequest(const ContrastSource &request)
{
    m_form->setSource(request);
}

QString ContrastPanel::problem() const
{
    return m_form->problem();
}

JudgedMethodsTab::Settings ContrastPanel::judgedSettings() const
{
    return m_judged->settings();
}

void ContrastPanel::setJudgedSettings(const JudgedMethodsTab::Settings &settings)
{
    m_judged->setSettings(settings);
}

void ContrastPanel::showTab(Tab tab)
{
    m_tabs->setCurrentIndex(int(tab));
}

ContrastPanel::Tab ContrastPanel::currentTab() const
{
    return Tab(m_tabs->currentIndex());
}

void ContrastPanel::run()
{
    switch (currentTab()) {
        case Tab::Contrast:
            m_contrast->run();
            break;
        case Tab::RsaMap:
            m_rsa->run();
            break;
        case Tab::Methods:
            m_methods->run();
            break;
        case Tab::Judged:
            m_judged->run();
            break;
    }
}

ContrastAnalysisResultPtr ContrastPanel::contrastResult() const
{
    return m_contrast->result();
}

MethodComparisonResultPtr ContrastPanel::methodComparisonResult() const
{
    return m_methods->result();
}

QByteArray ContrastPanel::figurePng(Figure figure, int width, int height) const
{
    QCustomPlot *plot = figure == Figure::Volcano
                                ? static_cast<QCustomPlot *>(m_contrast->volcano())
                                : m_methods->chart();
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    plot->toPixmap(width, height, 2.0).save(&buffer, "PNG");
    return png;
}

int ContrastPanel::topFeature() const
{
    switch (currentTab()) {
        case Tab::Contrast:
            return m_contrast->table()->featureAtRow(0);
        case Tab::RsaMap:
            return m_rsa->table()->featureAtRow(0);
        default:
            return -1;
    }
}

}  // namespace gyrus::widgets
