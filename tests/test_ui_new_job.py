"""The New Job dialog: live validation, presets, tooltips, tags, devices."""

from __future__ import annotations

import pytest

from gan.config import PRESETS, SPECS
from tests.ui_fixtures import ui_env  # noqa: F401

from app.ui.config_form import FORM_FIELDS
from app.ui.new_job_dialog import NewJobDialog

DEVICES = [{"name": "cpu", "kind": "cpu", "label": "cpu (2 cores)", "memory_gb": None}]


@pytest.fixture
def dialog(qtbot, ui_env):  # noqa: F811
    d = NewJobDialog(devices=DEVICES)
    qtbot.addWidget(d)
    d.show()
    return d


def test_invalid_value_shows_message_and_disables_start(dialog):
    assert dialog.start_button.isEnabled()
    dialog.form.set_value("batch_size", "0")
    message = dialog.form.messages["batch_size"]
    # the form's own words, never the internal name
    assert message.isVisible()
    assert message.text() == "Batch size must be a whole number from 1 to 4,096"
    assert not dialog.start_button.isEnabled() and not dialog.queue_button.isEnabled()
    assert "Batch size must be" in dialog.summary.text() and "batch_size" not in dialog.summary.text()
    dialog.form.set_value("generator_lr", "fast")
    assert dialog.form.messages["generator_lr"].text() == \
        "Composer learning rate must be a number above 0, at most 1"
    dialog.form.set_value("epochs", "")
    assert dialog.form.messages["epochs"].text().startswith("Epochs is empty")
    dialog.form.set_value("epochs", "20")
    dialog.form.set_value("batch_size", "16")
    dialog.form.set_value("generator_lr", "0.0005")
    assert not dialog.form.messages["batch_size"].isVisible()
    assert dialog.start_button.isEnabled()
    assert dialog.current_config().batch_size == 16


def test_every_field_has_its_plain_words_tooltip(dialog):
    for name in FORM_FIELDS:
        assert dialog.form.edits[name].toolTip() == SPECS[name].help
    assert dialog.arch_combo.toolTip() == SPECS["architecture"].help
    assert dialog.device_combo.toolTip() == SPECS["device"].help


def test_preset_fills_fields_and_editing_turns_it_custom(dialog):
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("smoke"))
    assert dialog.form.edits["epochs"].text() == str(PRESETS["smoke"].epochs)
    assert dialog.current_config().width == PRESETS["smoke"].width
    dialog.form.set_value("epochs", "7")
    assert dialog.preset_combo.currentData() == "custom"


def test_devices_listed_and_missing_device_refused(dialog):
    labels = [dialog.device_combo.itemText(i) for i in range(dialog.device_combo.count())]
    assert labels[0].startswith("auto") and "cpu (2 cores)" in labels[1]
    dialog.set_devices(DEVICES)
    dialog.device_combo.addItem("cuda:3 (not found here)", "cuda:3")
    dialog.device_combo.setCurrentIndex(dialog.device_combo.count() - 1)
    assert not dialog.start_button.isEnabled()
    assert "not available" in dialog.summary.text()


def test_tags_from_real_corpus_with_counts_and_total(dialog):
    picker = dialog.tag_picker
    rows = picker.tag_counts()
    assert rows.get("genre=chorale", 0) > 100, rows
    everything = picker.segment_total()
    assert picker.tick("genre=chorale")
    assert picker.tags() == ["genre=chorale"]
    chosen = picker.segment_total()
    assert 0 < chosen <= everything
    assert f"{chosen:,}" in picker.total_label.text()
    # A longer piece length cuts fewer segments and the counts follow.
    dialog.form.set_value("bars_per_sample", "8")
    assert picker.segment_total() < chosen
    # The same count the training loop will use (whole batches only).
    batch = int(dialog.form.edits["batch_size"].text())
    assert dialog.estimate_label.text().startswith(
        f"{max(1, picker.segment_total() // batch):,} steps per epoch")


def test_request_carries_the_form(dialog):
    dialog.name_edit.setText("my chorales")
    dialog.form.set_value("epochs", "3")
    dialog.queue_button.click()
    req = dialog.request
    assert req.name == "my chorales" and req.config.epochs == 3 and not req.start_now


def test_import_folder_from_the_dialog_shows_report_and_new_genre(dialog, qtbot, tmp_path):
    from tests.fixtures.midi_factory import melody, write_midi

    folder = tmp_path / "my songs"
    for i in range(3):
        write_midi(folder / f"song{i}.mid", [melody(8, 60 + i), melody(8, 48 + i)])
    (folder / "broken.mid").write_bytes(b"not a midi file")
    write_midi(folder / "waltz.mid", [melody(6)], time_signature=(3, 4))
    picker = dialog.tag_picker
    worker = picker.start_import(str(folder), "my_songs")
    qtbot.waitUntil(lambda: picker.last_report != "", timeout=60_000)
    assert worker.wait(5)
    text = picker.last_report
    assert "Imported 3 file(s)" in text, text
    assert "broken.mid" in text and "waltz.mid" in text and "3/4" in text
    tags = picker.tag_counts()
    assert tags.get("genre=my_songs", 0) > 0, tags
    picker.report_dialog.accept()
