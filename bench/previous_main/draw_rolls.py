"""Piano rolls of listen.py's three melodies: Bach, the previous main, today."""
import sys, numpy as np
from PySide6.QtGui import QImage, QPainter, QColor, QFont
from PySide6.QtWidgets import QApplication
app = QApplication([])
rolls = np.load("/tmp/exp2/listen/rolls.npy")  # (3 kinds, 3 melodies, 4, T, P)
kinds = ["Bach (real)", "old main quick", "today's quick"]
K, M, V, T, P = rolls.shape
lo = min(np.nonzero((rolls > 0).any((0, 1, 2, 3)))[0]); hi = max(np.nonzero((rolls > 0).any((0, 1, 2, 3)))[0])
cw, ch = 6, 4
rows = hi - lo + 1
W, H = M * (T * cw + 20) + 150, K * (rows * ch + 30) + 10
img = QImage(W, H, QImage.Format_RGB32); img.fill(QColor("white"))
p = QPainter(img); p.setFont(QFont("DejaVu Sans", 10))
colors = [QColor(40, 40, 40), QColor(214, 39, 40), QColor(44, 160, 44), QColor(31, 119, 180)]
for k in range(K):
    y0 = 10 + k * (rows * ch + 30)
    p.setPen(QColor("black")); p.drawText(5, y0 + rows * ch // 2, kinds[k])
    for m in range(M):
        x0 = 150 + m * (T * cw + 20)
        p.fillRect(x0, y0, T * cw, rows * ch, QColor(245, 245, 245))
        for bar in range(0, T, 16):
            p.fillRect(x0 + bar * cw, y0, 1, rows * ch, QColor(180, 180, 180))
        for v in range(V):
            for t in range(T):
                for q in np.nonzero(rolls[k, m, v, t, lo:hi + 1])[0]:
                    c = QColor(colors[v]);
                    if rolls[k, m, v, t, lo + q] == 2: c = c.darker(160)
                    p.fillRect(x0 + t * cw + (1 if rolls[k, m, v, t, lo + q] == 2 else 0), y0 + (rows - 1 - q) * ch, cw - (1 if rolls[k, m, v, t, lo + q] == 2 else 0), ch, c)
p.end(); img.save(sys.argv[1] if len(sys.argv) > 1 else "/tmp/exp2/listen/rolls.png"); print(W, H)
