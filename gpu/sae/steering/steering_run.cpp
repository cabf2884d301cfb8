#include "gpu/sae/steering/steering_run.h"

#include "gpu/model/generation_session.h"
#include "gpu/model/hook_set.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "gpu/sae/steering/intervention_hooks.h"

namespace gyrus::gpu {

bool SteeringBaselineKey::operator==(const SteeringBaselineKey &other) const
{
    return prompt == other.prompt && options == other.options && modelEpoch == other.modelEpoch;
}

namespace {

QList<int> toList(const std::vector<int> &values)
{
    return QList<int>(values.begin(), values.end());
}

}  // namespace

struct SteeringRun::Impl
{
    const LanguageModel *model = nullptr;
    GenerateOptions options;
    std::vector<int> promptTokens;
    SteeringBaselineKey key;
    SteeringBaselineMemo *memo = nullptr;
    detail::HookSet hooks;  // the clamp splice of the steered continuation (empty: none)
    std::unique_ptr<GenerationSession> session;
    bool steered = false;  // the baseline is done
    bool finished = false;
    bool reused = false;
    int done = 0;
    SteeringOutcome outcome;

    Result<GeneratedToken> nextToken(detail::HookSet *sessionHooks)
    {
        if (!session) {
            Result<std::unique_ptr<GenerationSession>> started =
                    GenerationSession::startFromTokens(*model, promptTokens, options, sessionHooks);
            if (!started) {
                return started.status();
            }
            session = std::move(started).value();
        }
        Result<GeneratedToken> token = session->step();
        if (token) {
            ++done;
        }
        return token;
    }
};

SteeringRun::SteeringRun(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

SteeringRun::~SteeringRun() = default;

Result<std::unique_ptr<SteeringRun>> SteeringRun::start(
        const LanguageModel &model, quint64 modelEpoch,
        const std::shared_ptr<const detail::SaeModule> &sae, const SteeringRequest &request,
        SteeringBaselineMemo *memo)
{
    auto impl = std::make_unique<Impl>();
    impl->model = &model;
    impl->options = request.options;
    impl->memo = memo;
    impl->key = SteeringBaselineKey{request.prompt, request.options, modelEpoch};
    Result<std::vector<int>> tokens = model.encode(request.prompt, impl->options.addBos);
    if (!tokens) {
        return tokens.status();
    }
    impl->promptTokens = std::move(tokens).value();
    const int bos = model.tokenizer().bosId();
    const bool startsWithBos =
            bos >= 0 && !impl->promptTokens.empty() && impl->promptTokens.front() == bos;
    const ClampScope scope =
            clampScopeForPrompt(static_cast<int64_t>(impl->promptTokens.size()), startsWithBos);
    // Validates the set against the SAE once, before anything is generated.
    if (Status added = detail::addClampSplice(impl->hooks, hookLayout(model.config()), sae,
                                              request.clamps, scope);
        !added.isOk()) {
        return added;
    }
    if (Status added = detail::addInterventions(impl->hooks, model.tensorModel(),
                                                request.interventions, impl->promptTokens, scope);
        !added.isOk()) {
        return added;
    }
    return std::unique_ptr<SteeringRun>(new SteeringRun(std::move(impl)));
}

Result<SteeringPiece> SteeringRun::step()
{
    Impl &d = *m_impl;
    if (d.finished) {
        return Status::internal(QStringLiteral("SteeringRun::step() after the run finished"));
    }
    if (!d.steered) {
        if (!d.session && d.memo && d.memo->key && *d.memo->key == d.key) {
            const GenerateResult &baseline = d.memo->baseline;
            d.outcome.baselineText = baseline.text;
            d.outcome.baselineTokens = toList(baseline.tokens);
            d.outcome.baselineReused = true;
            d.reused = true;
            d.steered = true;
            d.done += static_cast<int>(baseline.tokens.size());
            return SteeringPiece{SteeringStream::Baseline, baseline.text};
        }
        Result<GeneratedToken> token = d.nextToken(nullptr);
        if (!token) {
            d.finished = true;
            return token.status();
        }
        if (d.session->isFinished()) {
            const GenerateResult baseline = d.session->result();
            d.outcome.baselineText = baseline.text;
            d.outcome.baselineTokens = toList(baseline.tokens);
            if (d.memo) {
                d.memo->key = d.key;
                d.memo->baseline = baseline;
            }
            d.session.reset();
            d.steered = true;
        }
        return SteeringPiece{SteeringStream::Baseline, token->text};
    }
    Result<GeneratedToken> token = d.nextToken(d.hooks.empty() ? nullptr : &d.hooks);
    if (!token) {
        d.finished = true;
        return token.status();
    }
    if (d.session->isFinished()) {
        const GenerateResult steered = d.session->result();
        d.outcome.steeredText = steered.text;
        d.outcome.steeredTokens = toList(steered.tokens);
        d.session.reset();
        d.finished = true;
    }
    return SteeringPiece{SteeringStream::Steered, token->text};
}

bool SteeringRun::isFinished() const
{
    return m_impl->finished;
}

int SteeringRun::tokensDone() const
{
    return m_impl->done;
}

int SteeringRun::tokensTotal() const
{
    const int baseline = m_impl->reused ? static_cast<int>(m_impl->outcome.baselineTokens.size())
                                        : m_impl->options.maxNewTokens;
    return baseline + m_impl->options.maxNewTokens;
}

bool SteeringRun::baselineReused() const
{
    return m_impl->reused;
}

SteeringOutcome SteeringRun::outcome() const
{
    return m_impl->outcome;
}

}  // namespace gyrus::gpu
