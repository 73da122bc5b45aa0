"""The embedded default (`make run`): no Redis, SQLite, tasks run in-process after
commit, and a change puts the victim's message in the file outbox."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
from cases.constants import Stage
from cases.services import case_change_stage
from tests.factories import CaseVictimFactory
from victims.constants import ContactPreference

link = CaseVictimFactory(
    victim__contact_preference=ContactPreference.EMAIL, victim__email="v@example.com"
)
case_change_stage(case=link.case, stage=Stage.UNDER_INVESTIGATION, actor=None)
"""


def _manage(var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("NOTIF")
    }
    env.update({"DEBUG": "true", "VAR_DIR": str(var_dir), "LOG_FORMAT": "text"})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_redis_a_stage_change_sends_the_message_in_process(tmp_path):
    migrated = _manage(tmp_path, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr

    changed = _manage(tmp_path, "shell", "-c", SCRIPT)
    assert changed.returncode == 0, changed.stderr

    [written] = list((tmp_path / "outbox").glob("*.json"))
    message = json.loads(written.read_text())
    assert message["to"] == "v@example.com"
    assert "There is an update about your report" in message["body"]

    swept = _manage(tmp_path, "send_due_notifications")
    assert swept.returncode == 0, swept.stderr
    assert "0 handed over" in swept.stdout
