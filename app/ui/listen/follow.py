""""Play latest epoch": keep sample A on a running job's newest epoch.

What a musician expects of it:
- it follows a running job unless they turned it off for that job (unticked
  the box, or chose an epoch for A: a chosen epoch stays chosen, and new
  epochs do not tick the box back on);
- it never changes the piece under the playhead: while A plays (or is
  paused part-way) the newest epoch waits, named beside the box, and A moves
  to it when playback stops.

``EpochFollower`` owns the check box and these rules; the panel gives it
four callables (the list, sample A, choose A by index, and "is a piece
playing or paused") and tells it when the list or the playing state changes.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QCheckBox

from app.ui.listen.samples import SampleItem, latest_index

LABEL = "Play latest epoch"


class EpochFollower:
    def __init__(self, items: Callable[[], list[SampleItem]], current: Callable[[], SampleItem | None],
                 choose: Callable[[int], None], mid_piece: Callable[[], bool], offered: bool = True):
        self._items, self._current, self._choose, self._mid_piece = items, current, choose, mid_piece
        self.offered = offered
        self.on = False
        self.declined: set = set()  # jobs the user chose not to follow
        self.waiting: SampleItem | None = None  # the newest epoch, held back while A plays
        self.box = QCheckBox(LABEL)
        self.box.setToolTip("Follow a running job: A moves to each new epoch's sample "
                            "(when nothing is playing)")
        self.box.clicked.connect(self.set_by_user)  # clicks only, not setChecked
        self.box.setVisible(offered)

    def latest(self) -> int | None:
        """Index of the newest epoch of A's job."""
        return latest_index(self._items(), self._current())

    def set(self, on: bool) -> None:
        """Follow (``on``) or leave A where it is."""
        self.on = bool(on) and self.offered
        if self.box.isChecked() != self.on:
            self.box.setChecked(self.on)
        if self.on:
            self.update()
        else:
            self._wait_for(None)

    def offer(self, job_id) -> None:
        """A running job's samples are shown: follow unless declined for it."""
        if job_id not in self.declined:
            self.set(True)

    def set_by_user(self, on: bool) -> None:
        """The user ticked or unticked the box (remembered per job)."""
        job = self._job()
        (self.declined.discard if on else self.declined.add)(job)
        self.set(on)

    def user_chose(self) -> None:
        """The user picked sample A by hand: following stops for this job."""
        if self.on:
            self.set_by_user(False)

    def update(self) -> None:
        """A to the newest epoch now, or once playback stops."""
        index = self.latest()
        items = self._items()
        if not self.on or index is None or items[index] == self._current():
            self._wait_for(None)
            return
        if self._mid_piece():
            self._wait_for(items[index])
            return
        self._wait_for(None)
        self._choose(index)

    def stopped(self) -> None:
        """Playback stopped (the end, or Stop): a waiting epoch moves in."""
        if self.on and self.waiting is not None:
            self.update()

    def _job(self):
        item = self._current()
        items = self._items()
        item = item or (items[0] if items else None)
        return item.job_id if item is not None else None

    def _wait_for(self, item: SampleItem | None) -> None:
        self.waiting = item
        text = LABEL
        if item is not None and item.epoch is not None:
            text += f" (epoch {item.epoch} next)"
        self.box.setText(text)
