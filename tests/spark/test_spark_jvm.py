"""The driver's JVM writes its output to Spark's log beside the warehouse, not to a command's
screen (that the screen shows no start-up lines is checked on the build's own commands, in
test_spark_layers.py); a JVM that does not start is one line naming that log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.spark.warehouses import java_or_skip

#: In a process of its own: the test process may already hold the Spark tests' session.
OPEN_SESSION = """
import sys
from pathlib import Path
from warehouse.connections import WarehouseUnavailable
from warehouse.settings import Settings
from warehouse.spark import spark_session

try:
    spark_session(Settings(target="spark", spark_warehouse_dir=Path(sys.argv[1])))
except WarehouseUnavailable as refused:
    print(refused)
"""


def test_a_jvm_that_does_not_start_is_one_line_naming_the_log(tmp_path: Path) -> None:
    java_or_skip()
    done = subprocess.run(
        [sys.executable, "-c", OPEN_SESSION, str(tmp_path / "wh")],
        env={**os.environ, "CIW_SPARK_EXTRA_CONF": '{"spark.driver.memory": "plenty"}'},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    log = tmp_path / "spark.log"
    assert done.stdout.strip() == f"Spark's JVM did not start; its output is at the end of {log}"
    assert done.stderr == ""
    assert "plenty" in log.read_text()  # spark-submit's own complaint


@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_the_local_driver_gets_the_heap_the_settings_give(both_warehouses: dict[str, Any]) -> None:
    """The session the build's tests read through was launched with ``spark.driver.memory``
    from :func:`warehouse.spark.local_driver_memory` (Spark's default of 1 GiB holds a few
    thousand customers, everything running in the driver on one machine)."""
    from pyspark.sql import SparkSession

    from warehouse.spark import local_driver_memory

    session = SparkSession.getActiveSession()
    assert session is not None
    jvm: Any = session.sparkContext._jvm
    heap_mib = jvm.java.lang.Runtime.getRuntime().maxMemory() >> 20
    wanted_mib = int(local_driver_memory().removesuffix("m"))
    assert wanted_mib >= 1024
    # the JVM reports its heap rounded to its regions, less a survivor space
    assert 0.85 * wanted_mib <= heap_mib <= 1.02 * wanted_mib
