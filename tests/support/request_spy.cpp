#include "tests/support/request_spy.h"

namespace gyrus::test {

bool hasFinished(const QSignalSpy &finished, RequestId id)
{
    for (const QList<QVariant> &args : finished) {
        if (args.at(0).value<RequestId>() == id) {
            return true;
        }
    }
    return false;
}

Status statusOf(const QSignalSpy &finished, RequestId id)
{
    for (const QList<QVariant> &args : finished) {
        if (args.at(0).value<RequestId>() == id) {
            return args.at(1).value<Status>();
        }
    }
    return Status::internal(QStringLiteral("no finished signal"));
}

}  // namespace gyrus::test
