"""What the runner writes while a job trains: the training seam's records
turned into rows. ``JobStore`` holds one ``RunLog`` and hands these methods
out as its own; each method is one short transaction."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import TYPE_CHECKING, Sequence

from gan.util.numbers import finite_or_none as _num

from app.jobs import lifecycle
from app.jobs.database import Database

if TYPE_CHECKING:
    from gan.training.events import EpochReport, RunStarted

    from app.jobs.records import StepRow


class RunLog:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def refresh_best(conn: sqlite3.Connection, job_id: int) -> None:
        """Latest and best similarity come from the epoch rows, so redone
        epochs after a resume never leave stale figures behind."""
        last = conn.execute("SELECT epoch, step, similarity FROM epochs WHERE job_id = ? "
                            "ORDER BY epoch DESC LIMIT 1", (job_id,)).fetchone()
        best = conn.execute("SELECT epoch, similarity FROM epochs WHERE job_id = ? AND "
                            "similarity IS NOT NULL ORDER BY similarity DESC, epoch "
                            "LIMIT 1", (job_id,)).fetchone()
        conn.execute("UPDATE jobs SET similarity = ?, best_similarity = ?, best_epoch = ? "
                     "WHERE id = ?", (last[2] if last else None, best[1] if best else None,
                                      best[0] if best else None, job_id))

    def record_run_started(self, job_id: int, ev: "RunStarted") -> None:
        def do(conn: sqlite3.Connection) -> None:
            # Epochs after the checkpoint are about to be redone: their old
            # rows go now, so they are replaced and never duplicated.
            conn.execute("DELETE FROM epochs WHERE job_id = ? AND epoch > ?",
                         (job_id, ev.start_epoch))
            conn.execute("DELETE FROM samples WHERE job_id = ? AND epoch > ?",
                         (job_id, ev.start_epoch))
            conn.execute("DELETE FROM steps WHERE job_id = ? AND step > ?",
                         (job_id, ev.start_step))
            conn.execute(
                "UPDATE jobs SET device = ?, world_size = ?, total_epochs = ?, total_steps = ?, "
                "epoch = ?, step = ?, reference = ?, ceiling = ?, heartbeat = ? WHERE id = ?",
                (ev.device, ev.world_size, ev.total_epochs,
                 ev.total_steps, ev.start_epoch, ev.start_step,
                 json.dumps({k: _num(v) for k, v in ev.reference_metrics.items()}),
                 _num(ev.ceiling), time.time(), job_id))
            self.refresh_best(conn, job_id)
            what = (f"Resumed at epoch {ev.start_epoch}" if ev.start_epoch
                    else "Training started")
            lifecycle.event(conn, job_id, f"{what} on {ev.device}: {ev.n_segments} segments, "
                                          f"{ev.steps_per_epoch} steps per epoch, "
                                          f"{ev.generator_params:,} generator parameters")

        self.db.tx(do)

    def record_steps(self, job_id: int, rows: Sequence["StepRow"], step: int,
                     steps_per_second: float | None, eta_seconds: float | None) -> None:
        def do(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR REPLACE INTO steps (job_id, step, epoch, time, critic_loss, "
                "generator_loss, wasserstein, adversarial_loss, reconstruction_loss) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(job_id, r.step, r.epoch, r.time, _num(r.critic_loss),
                  _num(r.generator_loss), _num(r.wasserstein), _num(r.adversarial_loss),
                  _num(r.reconstruction_loss)) for r in rows])
            conn.execute("UPDATE jobs SET step = ?, steps_per_second = ?, eta_seconds = ?, "
                         "heartbeat = ? WHERE id = ?",
                         (step, _num(steps_per_second), _num(eta_seconds), time.time(),
                          job_id))

        self.db.tx(do)

    def record_epoch(self, job_id: int, ev: "EpochReport") -> None:
        def do(conn: sqlite3.Connection) -> None:
            now = time.time()
            conn.execute(
                "INSERT OR REPLACE INTO epochs (job_id, epoch, step, critic_loss, "
                "generator_loss, wasserstein, metrics, similarity, ceiling, seconds, "
                "checkpoint_path, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, ev.epoch, ev.step, _num(ev.critic_loss), _num(ev.generator_loss),
                 _num(ev.wasserstein),
                 json.dumps({k: _num(v) for k, v in ev.metrics.items()}),
                 _num(ev.similarity), _num(ev.ceiling), _num(ev.seconds),
                 str(ev.checkpoint_path or ""), now))
            conn.execute("DELETE FROM samples WHERE job_id = ? AND epoch = ?",
                         (job_id, ev.epoch))
            conn.executemany("INSERT INTO samples (job_id, epoch, idx, path) "
                             "VALUES (?, ?, ?, ?)",
                             [(job_id, ev.epoch, i, str(p))
                              for i, p in enumerate(ev.sample_paths)])
            # an epoch judged in the background arrives after some of the next
            # epoch's steps (gan.training.epoch_end): the step never goes back
            conn.execute("UPDATE jobs SET epoch = ?, step = MAX(COALESCE(step, 0), ?), heartbeat = ? "
                         "WHERE id = ?", (ev.epoch, ev.step, now, job_id))
            self.refresh_best(conn, job_id)
            sim = _num(ev.similarity)
            lifecycle.event(conn, job_id, f"Epoch {ev.epoch}: similarity "
                                          f"{'n/a' if sim is None else f'{sim:.3f}'}, "
                                          f"{ev.seconds:.1f} s")

        self.db.tx(do)

    def record_finished(self, job_id: int, status: str, error: str = "") -> None:
        """running -> completed | failed | cancelled."""
        self.db.tx(lambda conn: lifecycle.transition(conn, job_id, status, error))

    def heartbeat(self, job_id: int) -> None:
        self.db.tx(lambda conn: conn.execute(
            "UPDATE jobs SET heartbeat = ? WHERE id = ? AND status = 'running'",
            (time.time(), job_id)), bump=False)
