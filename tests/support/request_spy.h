#pragma once

#include "core/base/status.h"
#include "core/engine/job_runner.h"

#include <QSignalSpy>

namespace gyrus::test {

/// Whether a spy on a finished(RequestId, Status) signal has seen `id`.
bool hasFinished(const QSignalSpy &finished, RequestId id);

/// The Status `id` finished with (an Internal "no finished signal" Status when it has not).
Status statusOf(const QSignalSpy &finished, RequestId id);

}  // namespace gyrus::test
