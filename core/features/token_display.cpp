#include "core/features/token_display.h"

namespace gyrus {

QString visibleToken(const QString &piece)
{
    QString shown;
    shown.reserve(piece.size());
    for (const QChar c : piece) {
        switch (c.unicode()) {
            case ' ':
                shown += QChar(0x2423);  // ␣ OPEN BOX
                break;
            case '\n':
                shown += QChar(0x21B5);  // ↵
                break;
            case '\t':
                shown += QChar(0x21E5);  // ⇥
                break;
            case '\r':
                break;
            default:
                shown += c;
        }
    }
    return shown.isEmpty() ? QStringLiteral("∅") : shown;
}

}  // namespace gyrus
