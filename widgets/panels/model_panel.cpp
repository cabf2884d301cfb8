#include "widgets/panels/model_panel.h"

#include "core/engine/request_tracker.h"
#include "widgets/common/icons.h"
#include "widgets/common/vocabulary_combo.h"
#include "widgets/panels/sae_picker.h"

#include <QComboBox>
#include <QCompleter>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace gyrus::widgets {

namespace {
constexpr int kMaxRecent = 8;

enum CardField
{
    Name,
    Architecture,
    Family,
    Quirks,
    Layers,
    Width,
    Heads,
    Vocabulary,
    Parameters,
    Placement,
    Weights,
    CardFieldCount
};

QString humanCount(qint64 n)
{
    if (n >= 1'000'000'000) {
        return QStringLiteral("%1 B").arg(double(n) / 1e9, 0, 'f', 2);
    }
    if (n >= 1'000'000) {
        return QStringLiteral("%1 M").arg(double(n) / 1e6, 0, 'f', 1);
    }
    if (n >= 1'000) {
        return QStringLiteral("%1 k").arg(double(n) / 1e3, 0, 'f', 1);
    }
    return QString::number(n);
}

QString humanBytes(qint64 bytes)
{
    if (bytes >= (qint64(1) << 30)) {
        return QStringLiteral("%1 GiB").arg(double(bytes) / double(qint64(1) << 30), 0, 'f', 2);
    }
    return QStringLiteral("%1 MiB").arg(double(bytes) / double(1 << 20), 0, 'f', 1);
}

// "15.0 GiB bf16 in 8 shards, mapped; a job at layer L holds 1.0 GiB + 0.41 GiB per layer 0..L;
// generation 15.0 GiB".
QString weightUseText(const WeightUse &use)
{
    if (use.checkpointBytes <= 0) {
        return QObject::tr("all in memory");
    }
    const QString files =
            use.shards == 1 ? QObject::tr("one file") : QObject::tr("%1 shards").arg(use.shards);
    return QObject::tr(
                   "%1 %2 in %3, mapped; a job at layer L holds %4 + %5 per layer 0..L; "
                   "generation %6")
            .arg(humanBytes(use.checkpointBytes), use.checkpointDtype, files,
                 humanBytes(use.embeddingBytes), humanBytes(use.bytesPerLayer()),
                 humanBytes(use.bytesForGeneration()));
}
}  // namespace

ModelPanel::ModelPanel(EngineClient *engine, SessionState *session, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_requests(new RequestTracker(engine, this))
    , m_path(new QComboBox(this))
    , m_browse(new QPushButton(tr("Open…"), this))
    , m_device(new QComboBox(this))
    , m_dtype(new QComboBox(this))
    , m_load(new QPushButton(tr("Load"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_card(new QFormLayout)
    , m_prompt(new QPlainTextEdit(this))
    , m_maxTokens(new QSpinBox(this))
    , m_temperature(new QDoubleSpinBox(this))
    , m_seed(new QSpinBox(this))
    , m_generate(new QPushButton(tr("Generate"), this))
    , m_output(new QPlainTextEdit(this))
    , m_saePicker(new SaePicker(engine, session, this))
{
    setAcceptDrops(true);
    m_browse->setIcon(uiIcon(QStringLiteral("open")));
    m_load->setIcon(uiIcon(QStringLiteral("start")));
    m_cancel->setIcon(uiIcon(QStringLiteral("cancel")));
    m_generate->setIcon(uiIcon(QStringLiteral("start")));
    m_path->setEditable(true);
    m_path->setObjectName(QStringLiteral("modelPath"));
    m_path->lineEdit()->setPlaceholderText(tr("Hugging Face model directory"));
    m_path->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    // A long path scrolls in the field rather than widening the dock; hover shows all of it.
    m_path->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_path->setMinimumContentsLength(12);
    connect(m_path, &QComboBox::currentTextChanged, m_path,
            [this](const QString &text) { m_path->setToolTip(text); });
    m_path->setInsertPolicy(QComboBox::NoInsert);
    // Completion offers recent paths in a popup; inline completion would load a different
    // model than the one typed when Return is pressed.
    m_path->completer()->setCompletionMode(QCompleter::PopupCompletion);
    m_path->completer()->setCaseSensitivity(Qt::CaseSensitive);
    m_device->setObjectName(QStringLiteral("device"));
    m_device->addItem(QStringLiteral("cpu"));
    m_dtype->setObjectName(QStringLiteral("dtype"));
    addChoices(m_dtype, {Dtype::Float32, Dtype::BFloat16, Dtype::Float16});
    m_dtype->setToolTip(
            tr("Numeric type of the weights on the device. bfloat16 halves memory; "
               "float32 is exact on the CPU."));
    m_load->setObjectName(QStringLiteral("load"));
    m_cancel->setObjectName(QStringLiteral("cancel"));
    m_generate->setObjectName(QStringLiteral("generate"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(6);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(m_browse);
    auto *placeRow = new QHBoxLayout;
    placeRow->addWidget(new QLabel(tr("Device"), this));
    placeRow->addWidget(m_device, 1);
    placeRow->addWidget(new QLabel(tr("Type"), this));
    placeRow->addWidget(m_dtype);
    placeRow->addWidget(m_load);
    placeRow->addWidget(m_cancel);

    auto *cardBox = new QGroupBox(tr("Model card"), this);
    cardBox->setLayout(m_card);
    const QStringList labels = {tr("Name"),       tr("Architecture"), tr("Family"),
                                tr("Quirks"),     tr("Layers"),       tr("d_model"),
                                tr("Heads (KV)"), tr("Vocabulary"),   tr("Parameters"),
                                tr("Placement"),  tr("Weights")};
    static_assert(CardFieldCount == sizeof(m_cardFields) / sizeof(m_cardFields[0]),
                  "one label per card field");
    for (int i = 0; i < labels.size(); ++i) {
        m_cardFields[i] = new QLabel(QStringLiteral("—"), cardBox);
        m_cardFields[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_card->addRow(labels[i], m_cardFields[i]);
    }
    m_cardFields[Name]->setObjectName(QStringLiteral("card.name"));
    m_cardFields[Family]->setObjectName(QStringLiteral("card.family"));
    m_cardFields[Quirks]->setObjectName(QStringLiteral("card.quirks"));
    m_cardFields[Quirks]->setWordWrap(true);
    m_cardFields[Layers]->setObjectName(QStringLiteral("card.layers"));
    m_cardFields[Parameters]->setObjectName(QStringLiteral("card.parameters"));
    m_cardFields[Weights]->setObjectName(QStringLiteral("card.weights"));
    m_cardFields[Weights]->setWordWrap(true);

    m_prompt->setObjectName(QStringLiteral("prompt"));
    m_prompt->setPlaceholderText(tr("Prompt, e.g. The jury said"));
    m_prompt->setMaximumHeight(80);
    m_maxTokens->setRange(1, 4096);
    m_maxTokens->setValue(40);
    m_maxTokens->setPrefix(tr("max "));
    m_maxTokens->setSuffix(tr(" tokens"));
    m_temperature->setRange(0.0, 5.0);
    m_temperature->setSingleStep(0.1);
    m_temperature->setDecimals(2);
    m_temperature->setPrefix(tr("T = "));
    m_temperature->setToolTip(tr("0 is greedy decoding"));
    m_seed->setRange(0, 1'000'000);
    m_seed->setPrefix(tr("seed "));
    auto *generateRow = new QHBoxLayout;
    generateRow->addWidget(m_maxTokens);
    generateRow->addWidget(m_temperature);
    generateRow->addWidget(m_seed);
    generateRow->addStretch(1);
    generateRow->addWidget(m_generate);
    m_output->setObjectName(QStringLiteral("output"));
    m_output->setReadOnly(true);
    m_output->setPlaceholderText(tr("The continuation appears here as it is generated."));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(pathRow);
    layout->addLayout(placeRow);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(cardBox);
    auto *saeBox = new QGroupBox(tr("Sparse autoencoder"), this);
    auto *saeLayout = new QVBoxLayout(saeBox);
    saeLayout->addWidget(m_saePicker);
    layout->addWidget(saeBox);
    layout->addWidget(m_prompt);
    layout->addLayout(generateRow);
    layout->addWidget(m_output, 1);

    connect(m_browse, &QPushButton::clicked, this, &ModelPanel::chooseDirectory);
    connect(m_load, &QPushButton::clicked, this, [this] { loadModel(m_path->currentText()); });
    connect(m_path->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { loadModel(m_path->currentText()); });
    connect(m_cancel, &QPushButton::clicked, this, &ModelPanel::cancelCurrent);
    connect(m_generate, &QPushButton::clicked, this, [this] {
        if (m_requests->isRunning(Generate)) {
            m_requests->cancel(Generate);
        } else {
            generate();
        }
    });
    m_requests->onProgress(Load, [this](const JobProgress &progress) {
        if (progress.fraction >= 0) {
            m_progress->setValue(static_cast<int>(progress.fraction * 1000));
        }
        if (!progress.message.isEmpty()) {
            m_status->setText(tr("Loading: %1").arg(progress.message));
        }
    });
    m_requests->onResult(Load, &EngineClient::modelLoaded, [this](const ModelInfo &info) {
        showCard(info);
        rememberRecent(info.path);
    });
    m_requests->onFinished(Load, [this](const Status &status) {
        m_progress->setValue(status.isOk() ? 1000 : 0);
        if (status.isOk()) {
            m_status->setText(tr("Loaded %1.").arg(m_engine->currentModel().name));
        } else if (status.code() == Status::Code::Cancelled) {
            m_status->setText(tr("Loading cancelled."));
        } else {
            m_status->setText(tr("Could not load the model: %1").arg(status.message()));
        }
        if (!status.isOk()) {
            // The box shows the model the docks use, not a path that did not load (the status
            // line names it).
            m_path->setCurrentText(m_engine->currentModel().path);
        }
    });
    m_requests->onResult(Generate, &EngineClient::tokenGenerated, [this](const QString &text) {
        m_output->moveCursor(QTextCursor::End);
        m_output->insertPlainText(text);
    });
    m_requests->onFinished(Generate, [this](const Status &status) {
        if (status.isOk()) {
            m_status->setText(tr("Done."));
        } else if (status.code() == Status::Code::Cancelled) {
            m_status->setText(tr("Generation stopped."));
        } else {
            m_status->setText(tr("Generation failed: %1").arg(status.message()));
        }
    });
    connect(m_requests, &RequestTracker::runningChanged, this, &ModelPanel::updateEnabled);

    m_status->setText(
            tr("No model loaded. Open a directory with config.json, *.safetensors "
               "and tokenizer.model, or drop one here."));
    showCard(m_engine->currentModel());
    updateEnabled();
}

void ModelPanel::setDevices(const QStringList &devices)
{
    m_device->clear();
    m_device->addItems(devices.isEmpty() ? QStringList{QStringLiteral("cpu")} : devices);
}

bool ModelPanel::setCurrentDevice(const QString &device)
{
    for (int i = 0; i < m_device->count(); ++i) {
        if (m_device->itemText(i).section(QLatin1Char(' '), 0, 0) == device) {
            m_device->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

bool ModelPanel::setCurrentDtype(const QString &dtype)
{
    return selectChoice<Dtype>(m_dtype, dtype);
}

void ModelPanel::setRecentModels(const QStringList &paths)
{
    m_recent = paths.mid(0, kMaxRecent);
    const QString current = m_path->currentText();
    m_path->clear();
    m_path->addItems(m_recent);
    m_path->setCurrentText(current.isEmpty() ? m_recent.value(0) : current);
}

QStringList ModelPanel::recentModels() const
{
    return m_recent;
}

QString ModelPanel::modelPath() const
{
    return m_path->currentText();
}

QString ModelPanel::output() const
{
    return m_output->toPlainText();
}

QString ModelPanel::statusText() const
{
    return m_status->text();
}

bool ModelPanel::isBusy() const
{
    return m_requests->anyRunning();
}

void ModelPanel::loadModel(const QString &path)
{
    const QString trimmed = path.trimmed();
    if (trimmed.isEmpty()) {
        m_status->setText(tr("Choose a model directory first."));
        return;
    }
    m_path->setCurrentText(trimmed);
    ModelSpec spec;
    spec.path = trimmed;
    spec.device = m_device->currentText().section(QLatin1Char(' '), 0, 0);
    spec.dtype = currentChoice(m_dtype, Dtype::Float32);
    m_requests->start(Load, m_engine->loadModel(spec));  // the newer choice wins
    m_progress->setValue(0);
    m_status->setText(tr("Loading %1 …").arg(QDir::toNativeSeparators(trimmed)));
    updateEnabled();
}

void ModelPanel::loadSae(const QString &path, const QString &device)
{
    m_saePicker->loadSae(path, device);
}

void ModelPanel::generate()
{
    GenerateRequest request;
    request.prompt = m_prompt->toPlainText();
    request.options.maxNewTokens = m_maxTokens->value();
    request.options.temperature = m_temperature->value();
    request.options.seed = static_cast<quint64>(m_seed->value());
    m_output->clear();
    m_requests->start(Generate, m_engine->generate(request));
    m_status->setText(tr("Generating …"));
    updateEnabled();
}

void ModelPanel::chooseDirectory()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a model directory"),
                                                          m_path->currentText());
    if (!dir.isEmpty()) {
        loadModel(dir);
    }
}

void ModelPanel::cancelCurrent()
{
    m_requests->cancelAll();
}

void ModelPanel::showCard(const ModelInfo &info)
{
    if (info.name.isEmpty()) {
        for (QLabel *field : m_cardFields) {
            field->setText(QStringLiteral("—"));
        }
        return;
    }
    m_cardFields[Name]->setText(info.name);
    m_cardFields[Name]->setToolTip(QDir::toNativeSeparators(info.path));
    m_cardFields[Architecture]->setText(info.architecture);
    m_cardFields[Family]->setText(info.family.isEmpty() ? QStringLiteral("—") : info.family);
    // The BOS rule and centring matter to whoever feeds the model's activations to an SAE.
    QStringList familyTip;
    if (!info.bosRule.isEmpty()) {
        familyTip << info.bosRule;
    }
    if (info.centringApplies) {
        familyTip << tr(
                "SAEs trained on TransformerLens-processed weights expect residuals with "
                "the per-token mean removed.");
    }
    m_cardFields[Family]->setToolTip(familyTip.join(QLatin1Char('\n')));
    m_cardFields[Quirks]->setText(info.quirks.isEmpty() ? tr("none")
                                                        : info.quirks.join(QLatin1Char('\n')));
    m_cardFields[Layers]->setText(QString::number(info.layers));
    m_cardFields[Width]->setText(QString::number(info.dModel));
    m_cardFields[Heads]->setText(QStringLiteral("%1 (%2)").arg(info.heads).arg(info.kvHeads));
    m_cardFields[Vocabulary]->setText(QString::number(info.vocabSize));
    m_cardFields[Parameters]->setText(humanCount(info.parameters));
    m_cardFields[Placement]->setText(
            QStringLiteral("%1 · %2 · %3")
                    .arg(info.device, nameOf(info.dtype), humanBytes(info.memoryBytes)));
    m_cardFields[Weights]->setText(weightUseText(info.weightUse));
    m_cardFields[Weights]->setToolTip(
            tr("Opening maps the checkpoint and reads no weight. A job that reads the residual "
               "stream at layer L (heatmap, contrast, RSA, SAE, scan) reads the embedding and "
               "layers 0..L only; generation and logits read every layer and the head."));
}

void ModelPanel::updateEnabled()
{
    const bool loading = m_requests->isRunning(Load);
    const bool generating = m_requests->isRunning(Generate);
    const bool haveModel = !m_engine->currentModel().name.isEmpty();
    m_cancel->setEnabled(loading || generating);
    m_progress->setVisible(loading);
    m_generate->setEnabled(haveModel || generating);
    m_generate->setText(generating ? tr("Stop") : tr("Generate"));
    m_prompt->setReadOnly(generating);
}

void ModelPanel::rememberRecent(const QString &path)
{
    if (path.isEmpty()) {
        return;
    }
    m_recent.removeAll(path);
    m_recent.prepend(path);
    m_recent = m_recent.mid(0, kMaxRecent);
    setRecentModels(m_recent);
    m_path->setCurrentText(path);
    Q_EMIT recentModelsChanged(m_recent);
}

void ModelPanel::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile() &&
        QFileInfo(urls.first().toLocalFile()).isDir()) {
        event->acceptProposedAction();
    }
}

void ModelPanel::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty()) {
        loadModel(urls.first().toLocalFile());
        event->acceptProposedAction();
    }
}

}  // namespace gyrus::widgets
