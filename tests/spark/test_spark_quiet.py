"""A JVM that does not start is one line naming Spark's log (where its output goes; that the
screen shows no JVM start-up lines is checked on the build's commands, test_spark_layers.py).

It runs in a process of its own: the test process may hold the Spark tests' session."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.spark.warehouses import java_or_skip

OPEN = """
from pathlib import Path
from warehouse.connections import WarehouseUnavailable
from warehouse.settings import Settings
from warehouse.spark import spark_session, stop_spark_session

settings = Settings(target="spark", spark_warehouse_dir=Path({root!r}) / "wh")
try:
    print(spark_session(settings).sql("select 41 + 1 as answer").collect()[0].answer)
except WarehouseUnavailable as refused:
    print(refused)
stop_spark_session()
"""


def open_session(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    java_or_skip()
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(OPEN.format(root=str(root)))],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_jvm_that_does_not_start_is_one_line_naming_the_log(tmp_path: Path) -> None:
    done = open_session(tmp_path, CIW_SPARK_EXTRA_CONF='{"spark.driver.memory": "plenty"}')
    assert done.returncode == 0, done.stderr
    log = tmp_path / "spark.log"
    assert done.stdout.strip() == f"Spark's JVM did not start; its output is at the end of {log}"
    assert done.stderr == ""
    assert "plenty" in log.read_text()  # spark-submit's own complaint
