"""The person-linkage model on Splink's Spark backend, for data too large for one machine.

Pure Python (no Django). The model, its comparisons and weights are the ones the DuckDB runs use
(`linkage.LinkageModel`); Splink turns the model's SQL into Spark SQL, and the string
similarity functions (Jaro-Winkler, Damerau-Levenshtein) come from the jar Splink ships
(`splink.backends.spark.similarity_jar_location()`), which the session must load.

    spark = spark_session()                      # local[2], a temporary checkpoint directory
    pairs = predict(model, records, spark=spark) # the same ScoredPair list as linkage.predict

On a cluster, pass the master URL and a checkpoint directory on shared storage (HDFS, S3, a
shared file system): `spark_session("spark://host:7077", checkpoint_dir="hdfs:///tmp/splink")`;
docs/linkage-at-scale.md has the details. pyspark is an optional dependency (extra `spark`)
and Spark needs Java 17 or 21.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from .linkage import LinkageModel, ScoredPair, _arrow, _linkage_tables


class SparkUnavailable(RuntimeError):
    pass


def java_available() -> bool:
    return bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None


def pyspark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def spark_session(
    master: str = "local[2]",
    *,
    checkpoint_dir: str | None = None,
    app_name: str = "smartresponse-linkage",
    config: Mapping[str, str] | None = None,
) -> Any:
    """A Spark session ready for Splink: the similarity jar loaded and a checkpoint directory
    set (a new temporary one unless given; on a cluster give one on shared storage)."""
    if not pyspark_available():
        raise SparkUnavailable("pyspark is not installed: pip install -e '.[spark]'.")
    if not java_available():
        raise SparkUnavailable("Spark needs Java (17 or 21): set JAVA_HOME or put java on PATH.")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8" if master.startswith("local") else "200")
        .config("spark.default.parallelism", "8" if master.startswith("local") else "200")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(
        checkpoint_dir or tempfile.mkdtemp(prefix="splink-checkpoints-")
    )
    return spark


# The model's level conditions are DuckDB SQL, passed to the backend as they are: for Spark,
# names are quoted with backticks (a double-quoted name is a string there) and the DuckDB
# functions become their Spark or Splink-jar counterparts.
SPARK_FUNCTIONS = {
    "list_has_any(": "arrays_overlap(",
    "jaro_winkler_similarity(": "jaro_winkler(",
    "starts_with(": "startswith(",
}
_QUOTED = re.compile(r'"(\w+)"')


def spark_sql(sql: str) -> str:
    sql = _QUOTED.sub(r"`\1`", sql)
    for duck, spark in SPARK_FUNCTIONS.items():
        sql = sql.replace(duck, spark)
    return sql


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The model's settings with its level conditions in Spark SQL."""
    for comp in settings["comparisons"]:
        for lv in comp["comparison_levels"]:
            lv["sql_condition"] = spark_sql(lv["sql_condition"])
    settings["sql_dialect"] = "spark"
    return settings


def predict(
    model: LinkageModel,
    records: Sequence[Mapping[str, Any]],
    other: Sequence[Mapping[str, Any]] | None = None,
    *,
    spark: Any,
    min_probability: float = 0.01,
    prior: float | None = None,
    today: dt.date | None = None,
    blocking_rules: Sequence[str] | None = None,
    num_partitions: int | None = None,
) -> list[ScoredPair]:
    """`linkage.predict` on Spark: scored pairs above `min_probability`, within `records`
    (dedupe) or between `records` and `other` (link)."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    logging.getLogger("splink").setLevel(logging.WARNING)
    prepared = _linkage_tables(records, other, today)
    if prepared is None:
        return []
    tables, link_type = prepared
    if prior is None:  # as linkage.predict: the prior scaled to the number of records
        prior = model.prior_for(max(len(t) for t in tables))
    settings = spark_settings(model.for_link_type(link_type, prior))
    rules = blocking_rules
    if rules is None:
        rules = [r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]]
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": r, "sql_dialect": "duckdb"} for r in rules
    ]
    db = SparkAPI(
        spark_session=spark,
        num_partitions_on_repartition=num_partitions or spark.sparkContext.defaultParallelism,
    )
    registered = [
        db.register(spark.createDataFrame(_arrow(rows)), dataset_display_name=f"input_{i}")
        for i, rows in enumerate(tables)
    ]
    linker = Linker(registered if len(registered) > 1 else registered[0], settings, log_level=None)
    df = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    rows_out = (
        df.as_spark_dataframe()
        .select("unique_id_l", "unique_id_r", "match_weight", "match_probability")
        .collect()
    )
    pairs = [ScoredPair(str(a), str(b), float(w), float(p)) for a, b, w, p in rows_out]
    df.drop_table_from_database_and_remove_from_cache()
    return pairs
