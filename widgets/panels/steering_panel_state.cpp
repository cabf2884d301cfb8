// The Steering dock's part of a workspace: what it was asked and what it answered, so that a
// reopened study shows the same texts, next-token table and sweep without generating again.

#include "core/steering/next_token_shift_model.h"
#include "widgets/panels/concept_sweep_tab.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/views/interventions_editor.h"
#include "widgets/views/strength_sweep_plot.h"

#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>

namespace gyrus::widgets {

namespace {

std::vector<double> column(const QList<TokenShift> &tokens, double TokenShift::*field)
{
    std::vector<double> values;
    for (const TokenShift &token : tokens) {
        values.push_back(token.*field);
    }
    return values;
}

std::vector<double> column(const QList<StrengthSweepPoint> &points,
                           double StrengthSweepPoint::*field)
{
    std::vector<double> values;
    for (const StrengthSweepPoint &point : points) {
        values.push_back(point.*field);
    }
    return values;
}

}  // namespace

QJsonObject SteeringPanel::workspaceState(WorkspaceData *data) const
{
    const NextTokenShift &shift = m_nextTokens->shift();
    const StrengthSweepResult &sweep = m_sweepPlot->result();
    std::vector<double> ids;
    QStringList pieces;
    for (const TokenShift &token : shift.tokens) {
        ids.push_back(token.id);
        pieces << token.piece;
    }
    if (!shift.tokens.isEmpty()) {
        data->insert(QStringLiteral("next_token.id"), WorkspaceArray::ofNumbers(ids));
        data->insert(QStringLiteral("next_token.piece"), WorkspaceArray::ofStrings(pieces));
        data->insert(
                QStringLiteral("next_token.p_baseline"),
                WorkspaceArray::ofNumbers(column(shift.tokens, &TokenShift::probabilityBefore)));
        data->insert(
                QStringLiteral("next_token.p_steered"),
                WorkspaceArray::ofNumbers(column(shift.tokens, &TokenShift::probabilityAfter)));
    }
    if (!sweep.points.isEmpty()) {
        data->insert(QStringLiteral("sweep.value"),
                     WorkspaceArray::ofNumbers(column(sweep.points, &StrengthSweepPoint::value)));
        data->insert(QStringLiteral("sweep.log_probability"),
                     WorkspaceArray::ofNumbers(
                             column(sweep.points, &StrengthSweepPoint::logProbability)));
        data->insert(QStringLiteral("sweep.kl"),
                     WorkspaceArray::ofNumbers(column(sweep.points, &StrengthSweepPoint::kl)));
    }
    return {{QStringLiteral("version"), 1},
            {QStringLiteral("prompt"), m_prompt->text()},
            {QStringLiteral("max_new_tokens"), m_maxTokens->value()},
            {QStringLiteral("temperature"), m_temperature->value()},
            {QStringLiteral("seed"), m_seed->value()},
            {QStringLiteral("interventions"), m_interventions->state()},
            {QStringLiteral("concept_sweep"), m_conceptSweep->state()},
            {QStringLiteral("baseline"), m_baseline->toPlainText()},
            {QStringLiteral("steered"), m_steered->toPlainText()},
            {QStringLiteral("next_token"),
             QJsonObject{{QStringLiteral("tokens"), int(shift.tokens.size())},
                         {QStringLiteral("kl"), shift.kl},
                         {QStringLiteral("prompt_tokens"), shift.promptTokens}}},
            {QStringLiteral("sweep"),
             QJsonObject{
                     {QStringLiteral("from"), m_sweepFrom->value()},
                     {QStringLiteral("to"), m_sweepTo->value()},
                     {QStringLiteral("steps"), m_sweepSteps->value()},
                     {QStringLiteral("target"), m_sweepTarget->text()},
                     {QStringLiteral("points"), int(sweep.points.size())},
                     {QStringLiteral("target_id"), sweep.targetId},
                     {QStringLiteral("target_piece"), sweep.targetPiece},
                     {QStringLiteral("baseline_log_probability"), sweep.baselineLogProbability}}}};
}

Status SteeringPanel::restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data)
{
    if (state.contains(QStringLiteral("prompt"))) {
        setPrompt(state.value(QStringLiteral("prompt")).toString());
    }
    setSampling(state.value(QStringLiteral("max_new_tokens")).toInt(m_maxTokens->value()),
                state.value(QStringLiteral("temperature")).toDouble(m_temperature->value()),
                quint64(state.value(QStringLiteral("seed")).toInteger(m_seed->value())));
    m_interventions->restoreState(state.value(QStringLiteral("interventions")).toObject());
    m_conceptSweep->restoreState(state.value(QStringLiteral("concept_sweep")).toObject());
    SteeringOutcome outcome;
    outcome.baselineText = state.value(QStringLiteral("baseline")).toString();
    outcome.steeredText = state.value(QStringLiteral("steered")).toString();
    showOutcome(outcome);

    const QJsonObject next = state.value(QStringLiteral("next_token")).toObject();
    NextTokenShift shift;
    const WorkspaceArray ids = data.value(QStringLiteral("next_token.id"));
    const WorkspaceArray pieces = data.value(QStringLiteral("next_token.piece"));
    const WorkspaceArray before = data.value(QStringLiteral("next_token.p_baseline"));
    const WorkspaceArray after = data.value(QStringLiteral("next_token.p_steered"));
    const size_t tokens = ids.numbers.size();
    if (tokens > 0 && pieces.strings.size() == qsizetype(tokens) &&
        before.numbers.size() == tokens && after.numbers.size() == tokens) {
        for (size_t k = 0; k < tokens; ++k) {
            shift.tokens.append(TokenShift{int(ids.numbers[k]), pieces.strings[qsizetype(k)],
                                           before.numbers[k], after.numbers[k]});
        }
        shift.kl = next.value(QStringLiteral("kl")).toDouble();
        shift.promptTokens = next.value(QStringLiteral("prompt_tokens")).toInt();
        m_lastKl = shift.kl;
        m_klLabel->setText(tr("KL(baseline ‖ steered) = %1 nats over the next token after %2 "
                              "prompt tokens (saved)")
                                   .arg(shift.kl, 0, 'g', 4)
                                   .arg(shift.promptTokens));
    }
    m_nextTokens->setShift(shift);

    const QJsonObject sweepState = state.value(QStringLiteral("sweep")).toObject();
    setSweepGrid(sweepState.value(QStringLiteral("from")).toDouble(m_sweepFrom->value()),
                 sweepState.value(QStringLiteral("to")).toDouble(m_sweepTo->value()),
                 sweepState.value(QStringLiteral("steps")).toInt(m_sweepSteps->value()));
    m_sweepTarget->setText(sweepState.value(QStringLiteral("target")).toString());
    StrengthSweepResult sweep;
    sweep.targetId = sweepState.value(QStringLiteral("target_id")).toInt();
    sweep.targetPiece = sweepState.value(QStringLiteral("target_piece")).toString();
    sweep.baselineLogProbability =
            sweepState.value(QStringLiteral("baseline_log_probability")).toDouble();
    const std::vector<double> values = data.value(QStringLiteral("sweep.value")).numbers;
    const std::vector<double> logp = data.value(QStringLiteral("sweep.log_probability")).numbers;
    const std::vector<double> kl = data.value(QStringLiteral("sweep.kl")).numbers;
    if (logp.size() == values.size() && kl.size() == values.size()) {
        for (size_t k = 0; k < values.size(); ++k) {
            sweep.points.append(StrengthSweepPoint{values[k], logp[k], kl[k]});
        }
    }
    if (sweep.points.isEmpty()) {
        m_sweepPlot->clear();
    } else {
        m_sweepPlot->setResult(sweep);
    }
    return Status::ok();
}

}  // namespace gyrus::widgets
