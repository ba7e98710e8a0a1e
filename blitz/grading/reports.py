"""The reports a grading platform reads, from the records of :mod:`blitz.grading.runner`.

- ``<out>/<student>/results.json`` — Gradescope's autograder format
  (https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level score,
  execution_time, output, visibility, stdout_visibility, tests[] (name, number, score, max_score,
  status "passed"/"failed", output, visibility, execution_time, tags) and extra_data, where
  blitz keeps the whole record (with the fingerprint that lets a stopped batch resume).
- ``<out>/grades.csv`` — one row per submission: student, total, max_total, one column per
  graded exercise in the course's order, status, notes.
- ``<out>/junit.xml`` — one <testsuite> per submission, one <testcase> per check.
- :func:`summary_table` — the table printed at the end of `blitz grade`.

Every file is written atomically (a temporary file, then os.replace): a stopped batch never
leaves half a report behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg
from blitz.course.text import clip, display_width, pad, points

FORMAT = "blitz-grade/1"
BAD = ("crashed", "timeout", "error")  # statuses that are errors rather than failures in JUnit


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _render(message: dict | None, lang: str) -> str:
    return "" if not message else Msg(message["zh"], message["en"]).render(lang)


def _num(x: float) -> float:
    return round(float(x), 4)


# ---------------------------------------------------------------------------------------------- results.json


def test_name(row: dict, lang: str) -> str:
    title = _render(row["title"], lang).replace("\n", " / ")
    return f"{row['key']}: {title}" if title else row["key"]


def test_output(row: dict, lang: str) -> str:
    if row["status"] == "passed":
        return Msg("通过", "passed").render(lang).replace("\n", " / ")
    return _render(row["message"], lang)


def results_json(record: dict, lang: str = "both") -> dict:
    tests = []
    for number, row in enumerate(record["checks"], start=1):
        tests.append(
            {
                "name": test_name(row, lang),
                "number": str(number),
                "score": _num(row["score"]),
                "max_score": _num(row["max_score"]),
                "status": "passed" if row["status"] == "passed" else "failed",
                "output": test_output(row, lang),
                "visibility": "after_published" if row.get("hidden") else "visible",
                "execution_time": _num(row["seconds"]),
                "tags": [row["exercise"], row["status"]],
            }
        )
    return {
        "score": _num(record["score"]),
        "execution_time": _num(record["seconds"]),
        "output": overall_output(record, lang),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "format": FORMAT,
            "max_score": _num(record["max_score"]),
            "fingerprint": record["fingerprint"],
            "record": record,
        },
    }


def overall_output(record: dict, lang: str) -> str:
    lines = [
        Msg(
            f"得分 {points(record['score'])} / {points(record['max_score'])}",
            f"Score {points(record['score'])} / {points(record['max_score'])}",
        ).render(lang)
    ]
    if record.get("message"):
        lines.append(_render(record["message"], lang))
    for exercise_id, ex in record["exercises"].items():
        lines.append(f"{exercise_id}: {points(ex['score'])} / {points(ex['max_score'])} ({ex['status']})")
    return "\n".join(lines)


def record_from_results(path: Path) -> dict | None:
    """The record a results.json was written from; None when it is not one of ours (or is damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        extra = data["extra_data"]
        if extra.get("format") != FORMAT:
            return None
        record = extra["record"]
        return record if record.get("fingerprint") == extra.get("fingerprint") else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_results(out: Path, record: dict, lang: str) -> Path:
    path = out / record["student"] / "results.json"
    atomic_write(path, json.dumps(results_json(record, lang), ensure_ascii=False, indent=2) + "\n")
    return path


# ---------------------------------------------------------------------------------------------- CSV


def graded_exercises(records: list[dict]) -> list[str]:
    seen = {e for r in records for e in r["exercises"]}
    return [e.id for e in registry.EXERCISES if e.id in seen]


def grades_csv(records: list[dict]) -> str:
    columns = graded_exercises(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "total", "max_total", *columns, "status", "notes"])
    for r in records:
        scores = [f"{r['exercises'][e]['score']:.2f}" if e in r["exercises"] else "" for e in columns]
        writer.writerow([r["student"], f"{r['score']:.2f}", f"{r['max_score']:.2f}", *scores, r["status"], r["notes"]])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- JUnit


def junit_xml(records: list[dict], lang: str = "en") -> str:
    suites = ET.Element("testsuites", name="blitz grade")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for r in records:
        rows = r["checks"]
        failures = sum(1 for c in rows if c["status"] != "passed" and c["status"] not in BAD)
        errors = sum(1 for c in rows if c["status"] in BAD)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r["student"],
            tests=str(len(rows)),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
            time=f"{r['seconds']:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("score", f"{r['score']:.4f}"),
            ("max_score", f"{r['max_score']:.4f}"),
            ("status", r["status"]),
            ("folder", r["folder"]),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        for c in rows:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{r['student']}.{c['exercise']}",
                name=c["key"],
                time=f"{c['seconds']:.3f}",
            )
            if c["status"] != "passed":
                text = _render(c["message"], lang) or c["status"]
                tag = "error" if c["status"] in BAD else "failure"
                element = ET.SubElement(
                    case, tag, message=text.splitlines()[0][:300] if text else c["status"], type=c["status"]
                )
                element.text = text
        totals["tests"] += len(rows)
        totals["failures"] += failures
        totals["errors"] += errors
        total_time += r["seconds"]
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("time", f"{total_time:.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------------------------- terminal


def summary_table(records: list[dict]) -> str:
    columns = graded_exercises(records)
    width = min(24, max([7] + [display_width(r["student"]) for r in records]))
    head = f"{'student':<{width}} {'total':>7} " + " ".join(f"{c[:8]:>8}" for c in columns) + "  status"
    lines = [head, "-" * len(head)]
    for r in records:
        cells = " ".join(
            f"{points(r['exercises'][c]['score']):>8}" if c in r["exercises"] else f"{'':>8}" for c in columns
        )
        flags = [
            f"{e}:{s['status']}" for e, s in r["exercises"].items() if s["status"] in ("crashed", "timeout", "error")
        ]
        status = r["status"] + (f" ({', '.join(flags)})" if flags else "")
        lines.append(f"{pad(clip(r['student'], width), width)} {points(r['score']):>7} {cells}  {status}")
    if records:
        mean = sum(r["score"] for r in records) / len(records)
        lines.append("-" * len(head))
        lines.append(f"{'mean':<{width}} {points(mean):>7}  ({len(records)} submissions / 份提交)")
    return "\n".join(lines)
