"""Job > Free disk space…: delete the checkpoints finished jobs no longer
need, after a confirmation that says which jobs and how much is freed.

The plan and the deleting are ``app.jobs.disk``'s (each job keeps its latest
checkpoint, to resume or compose from, and its best); this only asks and
reports.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from app.jobs.disk import CleanupPlan, cleanup_plan, format_bytes, free_space

TITLE = "Free disk space"


def describe(plan: CleanupPlan) -> str:
    """The confirmation's words: how many files of which jobs, and the bytes."""
    lines = [f"Delete {len(plan.files)} checkpoint file(s) of {len(plan.jobs)} finished job(s)? "
             f"This frees {format_bytes(plan.frees)}.",
             "Each job keeps its latest checkpoint (to resume or compose from) and its best one.", ""]
    for job in plan.jobs[:12]:
        lines.append(f"#{job.job_id} {job.name}: {len(job.delete)} file(s), {format_bytes(job.frees)}")
    if len(plan.jobs) > 12:
        lines.append(f"... and {len(plan.jobs) - 12} more job(s)")
    return "\n".join(lines)


def free_disk_space(window, confirm: bool = True) -> int | None:
    """Ask, then delete; returns the bytes freed (None when the user said no)."""
    plan = cleanup_plan(window.store)
    if not plan.files:
        QMessageBox.information(window, TITLE, "Nothing to free: every finished job keeps only "
                                               "its latest and best checkpoints.")
        return 0
    if confirm and QMessageBox.question(window, TITLE, describe(plan),
                                        QMessageBox.Yes | QMessageBox.No,
                                        QMessageBox.No) != QMessageBox.Yes:
        return None
    deleted, problems = free_space(plan)
    message = f"Freed {format_bytes(plan.frees)}: deleted {deleted} checkpoint file(s)"
    if problems:
        QMessageBox.warning(window, TITLE, message + ", but these could not be deleted:\n"
                            + "\n".join(f"{path}: {why}" for path, why in problems[:10]))
    window.show_message(message, 15000)
    window.detail.settings_view.forget_disk_use()
    window.refresh()
    return plan.frees
