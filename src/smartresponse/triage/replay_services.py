"""Django side of CAD imports and what-if replays: store, scope, run in the background, audit.

The reading and the counting are the pure cores `cadimport` and `replay`; this module only
chooses protocols for an agency, keeps files under VAR_DIR and records what happened.
"""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .cadimport import (
    CadMapping,
    FileProblem,
    ImportSummary,
    MappingError,
    check_files,
    count_rows,
    load_mapping,
    mapping_ids,
)
from .models import AgencyProtocol, CadImport, CadImportStatus, ReplayRun, ReplayStatus
from .protocol import Protocol, ProtocolError, load_protocol, preset_ids
from .services import _stored_protocol

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".ndjson")


def protocol_choices(agency: Agency) -> list[tuple[str, str]]:
    """(value, label): the shipped presets, then the agency's own versions."""
    out = []
    for pid in preset_ids():
        p = load_protocol(pid)
        out.append((f"preset:{pid}", f"{p.name} v{p.version} (preset)"))
    for row in AgencyProtocol.objects.filter(agency=agency).order_by("-created_at"):
        out.append((f"version:{row.pk}", f"{row.name} v{row.version} ({row.get_status_display()})"))
    return out


def resolve_protocol(agency: Agency, choice: str) -> Protocol:
    kind, _, value = choice.partition(":")
    if kind == "preset" and value in preset_ids():
        return load_protocol(value)
    if kind == "version" and value.isdigit():
        if AgencyProtocol.objects.filter(pk=int(value), agency=agency).exists():
            return _stored_protocol(int(value))
    raise ProtocolError(f"{choice}: no such protocol for this agency")


def mapping_choices() -> list[tuple[str, str]]:
    return [(mid, load_mapping(mid).name) for mid in mapping_ids()]


# --------------------------------------------------------------------------------------------
# Imports


def cad_import_create(
    *,
    agency: Agency,
    mapping: CadMapping,
    paths: Sequence[str | Path],
    name: str,
    user: Any = None,
    skip_bad: bool = False,
    progress: Any = None,
) -> tuple[CadImport | None, ImportSummary]:
    """Check every row; store the import only if no row is bad, or if told to skip bad rows.

    Nothing half-done: on any failure no row and no file remains.
    """
    summary = check_files(mapping, paths, progress=progress)
    if summary.rows_bad and not skip_bad:
        return None, summary
    if summary.rows_ok == 0:
        return None, summary
    with transaction.atomic():
        row = CadImport.objects.create(
            agency=agency,
            name=name[:200],
            mapping_id=mapping.id,
            files=[],
            rows=summary.rows_ok,
            rows_skipped=summary.rows_bad,
            summary={**summary.as_dict(), "skip_bad": bool(summary.rows_bad)},
            status=CadImportStatus.READY,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        folder = Path(row.folder)
        try:
            folder.mkdir(parents=True, exist_ok=False)
            names = []
            for i, path in enumerate(paths):
                target = f"{i + 1:02d}-{Path(path).name}"
                shutil.copyfile(path, folder / target)
                names.append(target)
            row.files = names
            row.save(update_fields=["files"])
            audit_record(
                user=user,
                action="cad_import.create",
                obj=row,
                agency_id=agency.pk,
                detail={"mapping": mapping.id, "rows": row.rows, "skipped": row.rows_skipped},
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return row, summary


# --------------------------------------------------------------------------------------------
# Replay runs


class ReplayInputError(ValueError):
    pass


def _check_upload(upload: Any, mapping: CadMapping) -> None:
    if upload.size > MAX_UPLOAD_BYTES:
        raise ReplayInputError(
            f"The file is {upload.size / 1e6:.0f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB. Import larger files with `smartresponse cad import`."
        )
    if not upload.name.lower().endswith(UPLOAD_SUFFIXES):
        raise ReplayInputError(
            f"{upload.name}: expected a CSV, Excel (.xlsx) or JSON lines (.jsonl) file."
        )


def replay_run_create(
    *,
    user: Any,
    protocol: str,
    compare: str = "",
    screening: str = "assume_no",
    mapping_id: str = "",
    upload: Any = None,
    cad_import: CadImport | None = None,
) -> ReplayRun:
    """Validate the choices, keep the upload, queue the background task."""
    require(user, Cap.PROTOCOL_MANAGE)
    agency = user.agency
    resolve_protocol(agency, protocol)
    if compare:
        resolve_protocol(agency, compare)
    if screening not in ("assume_no", "unknown"):
        raise ReplayInputError("Choose how missing screening answers count.")
    if cad_import is not None:
        if cad_import.agency_id != agency.pk:
            raise ReplayInputError("No such import.")
        mapping_id = cad_import.mapping_id
    elif upload is None:
        raise ReplayInputError("Upload a file or pick an import.")
    try:
        mapping = load_mapping(mapping_id)
    except MappingError as exc:
        raise ReplayInputError(str(exc)) from exc
    if upload is not None:
        _check_upload(upload, mapping)
    with transaction.atomic():
        run = ReplayRun.objects.create(
            agency=agency,
            cad_import=cad_import,
            upload_name=Path(upload.name).name[:255] if upload is not None else "",
            mapping_id=mapping.id,
            protocol=protocol,
            compare_protocol=compare,
            screening=screening,
            created_by=user,
        )
        if upload is not None:
            folder = Path(run.folder)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"upload{Path(upload.name).suffix.lower()}"
            with target.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                from .cadimport import _Layout, open_source

                source = open_source(target, mapping)
                try:
                    _Layout(mapping, source.header, upload.name)
                finally:
                    source.close()
            except FileProblem as exc:
                shutil.rmtree(folder, ignore_errors=True)
                raise ReplayInputError(str(exc).replace(str(target), upload.name)) from exc
        audit_record(
            user=user,
            action="replay.run",
            obj=run,
            detail={
                "protocol": protocol,
                "compare": compare,
                "mapping": mapping.id,
                "import": cad_import.pk if cad_import is not None else None,
                "screening": screening,
            },
        )
    from .tasks import run_replay

    run_replay.enqueue(run.pk)
    run.refresh_from_db()
    return run


def run_paths(run: ReplayRun) -> tuple[list[Path], bool]:
    """The files a run reads, and whether bad rows are skipped (an import accepted with them)."""
    if run.cad_import is not None:
        return list(run.cad_import.paths()), bool(run.cad_import.summary.get("skip_bad"))
    return sorted(Path(run.folder).glob("upload.*")), False


def replay_run_execute(run_id: int) -> None:
    """The background task's body: run, write progress now and then, store the result."""
    from .replay import replay_files
    from .replay_charts import render_svg

    run = ReplayRun.objects.select_related("agency", "cad_import").get(pk=run_id)
    if run.status not in (ReplayStatus.QUEUED, ReplayStatus.RUNNING):
        return
    try:
        mapping = load_mapping(run.mapping_id)
        protocol = resolve_protocol(run.agency, run.protocol)
        compare = (
            resolve_protocol(run.agency, run.compare_protocol) if run.compare_protocol else None
        )
        paths, skip_bad = run_paths(run)
        if not paths:
            raise ReplayInputError("The run's file is missing.")
        total = sum(count_rows(mapping, p) for p in paths)
        ReplayRun.objects.filter(pk=run.pk).update(
            status=ReplayStatus.RUNNING, rows_total=total, rows_done=0
        )

        def progress(done: int, size: int) -> None:
            rows = int(total * done / size) if size else 0
            ReplayRun.objects.filter(pk=run.pk).update(rows_done=min(rows, total))

        result, summary = replay_files(
            protocol,
            mapping,
            paths,
            compare=compare,
            screening=run.screening,
            skip_bad=skip_bad,
            progress=progress,
        )
        if result is None:
            shown = "\n".join(str(p) for p in summary.problems[:200])
            more = len(summary.problems) - 200
            raise ReplayInputError(
                f"{summary.rows_bad} bad row(s) in the file; nothing was replayed.\n{shown}"
                + (f"\n... and {more} more problem(s)" if more > 0 else "")
            )
        data = result.to_json()
        charts = render_svg(data)
        ReplayRun.objects.filter(pk=run.pk).update(
            status=ReplayStatus.DONE,
            rows_done=result.calls,
            rows_total=max(total, result.calls),
            result=data,
            charts=charts,
            finished_at=timezone.now(),
        )
    except (ReplayInputError, MappingError, FileProblem, ProtocolError) as exc:
        _fail(run, str(exc))
    except Exception:  # the page must show a failure, never spin forever
        _fail(run, "The replay failed:\n" + traceback.format_exc(limit=5))
        if settings.DEBUG:
            raise


def _fail(run: ReplayRun, message: str) -> None:
    ReplayRun.objects.filter(pk=run.pk).update(
        status=ReplayStatus.FAILED, error=message[:20000], finished_at=timezone.now()
    )
